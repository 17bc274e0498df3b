"""Class-scale grading on top of nbgrader: parallel, isolated, resumable, one gradebook writer."""
