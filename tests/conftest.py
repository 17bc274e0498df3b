"""The suite's own TensorFlow at one thread a pool, as the grader's boxes and the book's builds run
theirs (course/threads.py): the trainings in the test processes, and the kernels they start
without a box (a chapter's notebook in the student environment, a student's `nbgrader validate`).

The lesson's model is too small for a pool: at TensorFlow's default of one thread per core, two
test workers on two cores each ask for both, and a ten-epoch training ran about a third slower
(course/threads.py has the measurement). The tests check what the code does, never how fast, and a
value set outside the suite wins. Set here, before any test module imports TensorFlow."""

import os

from course.threads import thread_env

for _name, _threads in thread_env().items():
    os.environ.setdefault(_name, _threads)
