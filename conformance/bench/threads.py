"""The same threads for every framework in a benchmark, and the process given its own back afterwards.

limit_threads(threads)           # before any framework is imported: the variables, and the cores (pin)
apply_thread_limits(threads)     # after: the pools that take their size at run time
with threads_kept(): ...         # whatever the two set is undone when the block ends (cli.main's commands)"""

import os
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from ..core.backends import framework_status
from ..core.registry import AUTODIFF

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(threads: int, pin: bool = True) -> None:
    """Give every framework the same `threads` cores. Call before importing any of them: BLAS, OpenMP and
    XLA size their pools at load time. With `pin` (Linux), the process is bound to `threads` of its cores
    (os.sched_setaffinity): XLA's pools take their size from that, and nothing else limits JAX (XLA
    aborts on flags it does not know and ignores words without the leading dashes). Children inherit
    both the variables and the binding."""
    for var in THREAD_VARIABLES:
        os.environ[var] = str(threads)
    if pin and hasattr(os, "sched_setaffinity"):
        _bind(sorted(os.sched_getaffinity(0))[: max(threads, 1)])


def _bind(cores: Collection[int]) -> None:
    """Every thread of this process on `cores`: the binding is per thread, and NumPy's BLAS started its pool
    when it was imported."""
    tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["0"]
    for task in tasks:
        try:
            os.sched_setaffinity(int(task), cores)
        except OSError:  # a thread that ended meanwhile
            pass


def settings() -> dict:
    """The process's thread settings now: the variables limit_threads sets, the cores it is bound to (None where
    the OS does not say), each loaded BLAS / OpenMP pool's size by library file, PyTorch's threads (None before it
    is imported). What threads_kept restores, and what the test suite checks each test leaves as it found it."""
    from threadpoolctl import ThreadpoolController

    torch = sys.modules.get("torch")
    return {
        "variables": {var: os.environ.get(var) for var in THREAD_VARIABLES},
        "cores": pinned_cores(),
        "pools": {lib.filepath: lib.num_threads for lib in ThreadpoolController().lib_controllers},
        "torch": torch.get_num_threads() if torch else None,
    }


@contextmanager
def threads_kept() -> Iterator[None]:
    """The process's thread settings (settings()) as they were once the block ends; a BLAS / OpenMP pool or PyTorch
    first loaded inside the block gets the size the variables give, else one thread per core. A command run inside
    another program (cli.main from a test or a notebook) leaves it as it found it: two test workers on two cores,
    each left with a benchmark's two BLAS threads, spent up to three times the CPU time on the same work
    (OpenBLAS's idle threads spin). TensorFlow's pools cannot be resized once it has started them, and are left
    as they are."""
    from threadpoolctl import ThreadpoolController

    before = settings()
    try:
        yield
    finally:
        for var, value in before["variables"].items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        cores = before["cores"]
        if cores is not None:
            _bind(cores)
        omp = before["variables"]["OMP_NUM_THREADS"] or ""  # a pool loaded inside the block: the size it would have had
        default = int(omp) if omp.isdigit() else len(cores) if cores else os.cpu_count()
        for lib in ThreadpoolController().lib_controllers:
            if size := before["pools"].get(lib.filepath, default):
                lib.set_num_threads(size)
        if "torch" in sys.modules and (size := before["torch"] or default):
            sys.modules["torch"].set_num_threads(size)


def pinned_cores() -> list[int] | None:
    """The cores this process may run on (None where the OS does not say), for the metadata."""
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def apply_thread_limits(threads: int, frameworks: Collection[str] = AUTODIFF) -> dict[str, str]:
    """The runtime half of limit_threads, for `frameworks` (backend names; NumPy's BLAS always) that take it at
    run time; returns what each one reports, for the metadata. A process that times only some of them leaves
    the others unimported (TensorFlow alone takes seconds)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    report = {"numpy": str(threads)}

    if "torch" in frameworks and framework_status("torch")[0]:
        import torch

        torch.set_num_threads(threads)
        report["torch"] = str(torch.get_num_threads())
    if "tf" in frameworks and framework_status("tf")[0]:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # TensorFlow already started its thread pools
            pass
        report["tf"] = str(tf.config.threading.get_intra_op_parallelism_threads())
    if "jax" in frameworks and framework_status("jax")[0]:
        report["jax"] = f"bound to cores {pinned_cores()}"
    return report
