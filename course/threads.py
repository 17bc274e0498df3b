"""How many threads TensorFlow and BLAS get in each kernel the course starts: the book's builds
and the grader's boxes (one place, so both follow the same measurement)."""

import os

# The lesson's model (784 -> 128 -> 10, batches of 32) is too small for a thread pool: on two idle
# cores the tutorial script took 38.0 s with TensorFlow's default of 2 threads and 28.0 s with 1
# (farm-bench, 3 runs each, 2026-12-01; benchmarks/grading.py measures it again). So each kernel
# gets one thread, and more kernels at once use more cores. Raise it for a bigger model.
MOST_THREADS = 1

VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS",
             "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_env(at_once=1, cores=None, most=MOST_THREADS):
    """Environment sizing the pools of ``at_once`` kernels that share ``cores`` (never 0, at most
    ``most`` each)."""
    cores = cores or os.cpu_count() or 1
    threads = str(max(1, min(most, cores // max(1, at_once))))
    return {name: threads for name in VARIABLES}
