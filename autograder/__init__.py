"""Hidden checks for the Fashion-MNIST assignment and the class-scale grading command."""
