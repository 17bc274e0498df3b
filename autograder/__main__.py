"""python -m autograder grade ASSIGNMENT ...: grade a whole class (see autograder/GRADING.md)."""

import sys

from .grading.cli import main

if __name__ == "__main__":
    sys.exit(main())
