"""`python -m nbgrader`, made non-dumpable first, so that the student's kernel it starts (same
user, same box) cannot ptrace it or read /proc/PID/mem to change the grades it holds."""

from autograder.grading.inside import not_dumpable

if __name__ == "__main__":
    not_dumpable()
    from nbgrader.apps.nbgraderapp import main
    main()
