"""python -m autograder grade|report|lms ASSIGNMENT ...: grade a class, report on it, export grades
(see autograder/GRADING.md)."""

import sys

REPORT_COMMANDS = {"report", "lms", "export-lms"}

if __name__ == "__main__":
    if sys.argv[1:2] and sys.argv[1] in REPORT_COMMANDS:
        from .report.cli import main
    elif sys.argv[1:2] == ["bundle"]:  # the zip a student downloads (autograder/bundle.py)
        from .bundle import main
    else:
        from .grading.cli import main
    sys.exit(main())
