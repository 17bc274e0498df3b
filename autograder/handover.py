"""Where the kernel leaves the trained weights for the accuracy verdict.

A module of names only: the hidden check in the student's kernel imports it, and importing
the preprocessors there would pull nbgrader and Jupyter's server into the kernel (about 2 s
for every graded notebook).
"""

HANDOVER = "trained_model.weights.npz"            # written beside the notebook by checks.hand_over_model
GRADE_ID = "test_accuracy_threshold"              # the grade cell whose verdict JudgeAccuracy takes
HANDOVER_DIR = "autograder_handover_dir"          # resources key: where the file is, if not beside the notebook
