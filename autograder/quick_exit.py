"""A grading process ends without Python's last garbage collection.

At exit, Python walks every object left in the heap once more; in a process that imported
nbgrader, nbformat's schemas and SQLAlchemy that took 0.35-0.45 s (measured on each of plain
`nbgrader autograde`, the class command's worker and its coordinator), after the grades were
written. ``gc.freeze()`` as the last exit handler moves the heap out of that collection; the
operating system takes the memory back as it would anyway. Everything the grader writes is
written, closed and committed before exit (nothing waits on a finaliser of an object in a cycle),
and the other exit handlers (logging's, temporary folders') still run.
"""

import atexit
import gc

_registered = []


def skip_last_collection():
    """From now on, this process ends without the last collection (registered once)."""
    if not _registered:
        atexit.register(gc.freeze)
        _registered.append(True)
