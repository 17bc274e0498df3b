"""python -m autograder.grading grade ASSIGNMENT ...: grade a whole class (see autograder/GRADING.md)."""

import sys

from .cli import main

sys.exit(main())
