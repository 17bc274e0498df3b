"""``python -m autograder grade ASSIGNMENT ...``: the class-scale grading command (see GRADING.md)."""

from .classgrade.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
