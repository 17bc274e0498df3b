"""Class-scale autograding on top of nbgrader: isolated parallel execution, one gradebook writer.

    python -m autograder grade ASSIGNMENT --workers N

Workers execute each submission with real ``nbgrader autograde`` in a private scratch course,
sandboxed (time, memory, no network); the coordinator alone then runs ``nbgrader autograde`` in
the real course with execution replaced by :class:`replay.ReplayExecution`, so nbgrader records
every score. See ``autograder/GRADING.md``.
"""

GRADER_VERSION = "1"  # part of every submission's key: bump to re-execute everything
