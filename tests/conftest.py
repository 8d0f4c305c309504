"""Shared options and fixtures.

Floating-point warnings are errors (pyproject: filterwarnings = error::RuntimeWarning), so an
overflow or a 0 * inf anywhere in the reference fails the test that caused it."""

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
from backend_helper import FRAMEWORKS, framework
from filelock import FileLock
from hypothesis import HealthCheck, settings

from conformance import cli
from conformance.bench import threads
from conformance.core import caches
from conformance.core.datasets import CAT_FILES, default_data_dir
from conformance.core.environment import usable_cores

# The compilation caches quartet itself uses (conformance/core/caches.py; ~/.cache/quartet, keyed by the code),
# set before any test imports JAX or PyTorch and inherited by every process a test starts: the suite meets the
# same programs in this process, in the fresh ones it starts and in the next run. QUARTET_CACHE_DIR=DIR for
# another folder, QUARTET_NO_CACHE=1 to compile everything afresh.
caches.enable()

T = TypeVar("T")


# One worker per core (make test: pytest -n auto): each worker's math libraries get their share of the cores,
# not every core each. Without it two workers run four BLAS / OpenMP / TensorFlow pools on two cores, and the
# threads that wait for each other spin. Set by the controller before it starts the workers, so every worker and
# every process a test starts has it from its first import; a variable already set is left as it is.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")


def pytest_configure(config: pytest.Config) -> None:
    workers = getattr(config.option, "numprocesses", None)
    if isinstance(workers, int) and workers > 1 and "PYTEST_XDIST_WORKER" not in os.environ:
        share = str(max(1, usable_cores() // workers))
        for var in THREAD_VARIABLES:
            os.environ.setdefault(var, share)


def _thread_settings() -> dict:
    """What a test leaves as it found it (conformance/bench/threads.settings(), one entry per variable, pool and
    the rest), with TensorFlow's variable, which this file sets too."""
    now = threads.settings()
    pools = now.pop("pools")
    return {**now.pop("variables"), **now, **pools, "TF_NUM_INTRAOP_THREADS": os.environ.get("TF_NUM_INTRAOP_THREADS")}


@pytest.fixture(autouse=True)
def thread_settings_kept():
    """A test that leaves its worker with more threads or other cores fails: every later test in that worker would
    run oversubscribed (a bench run in-process once left two BLAS threads per worker on two cores, and the
    suite's CPU time grew by a third)."""
    before = _thread_settings()
    yield
    after = _thread_settings()
    unset = {k for k, v in before.items() if k == "torch" and v is None}  # PyTorch imported by the test: its own
    changed = {k: (before[k], after[k]) for k in before.keys() & after.keys() - unset if before[k] != after[k]}
    assert not changed, f"the test changed the worker's thread settings (before, after): {changed}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (marked slow: the ones of half a minute or more in the 20 slowest CI prints), the
    rest in their order: under pytest-xdist a worker that meets a minute-long test at the end keeps the run
    waiting while the other has nothing left to do; met first, the short ones fill in around it."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # a stable sort


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--data-dir",
        default=None,
        help="directory of the course's train/test_catvnoncat.h5 (default: $QUARTET_DATA_DIR, else "
        "../shared/data/catvnoncat beside this checkout)",
    )


@pytest.fixture(scope="session")
def cat_data_dir(request: pytest.FixtureRequest) -> Path:
    """The course's cat / non-cat directory; tests that need it skip, saying where they looked."""
    option = request.config.getoption("--data-dir")
    data_dir = Path(option) if option else default_data_dir()
    missing = [name for name, _, _ in CAT_FILES.values() if not (data_dir / name).is_file()]
    if missing:
        pytest.skip(f"course data not found: {data_dir} lacks {missing} (pass --data-dir DIR)")
    return data_dir


def once_per_run(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]) -> T:
    """make(folder)'s result, made once per run of the suite: under pytest-xdist the first worker to need it
    makes it in a folder every worker sees (its basetemp's parent, keyed by the run's id) and the others wait
    for it (a file lock) and read it (pickled), instead of each worker making its own copy of a module's or the
    session's fixture. A make() that raises or skips leaves nothing, and the next worker tries again."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # one id per `pytest -n` run, shared by its workers
    base = factory.getbasetemp()
    shared = base.parent / f"{name}-{run}" if run else base / name
    done = shared / "made.pickle"
    with FileLock(f"{shared}.lock"):
        if not done.exists():
            shared.mkdir(exist_ok=True)
            made = make(shared)
            done.write_bytes(pickle.dumps(made))
    return pickle.loads(done.read_bytes())


@pytest.fixture(scope="session")
def quick_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results folder of one `quartet check --quick --backends numpy,jax --modes compiled --dtypes float32` for
    the whole run (once_per_run): tests that read a check's results read this one. The smallest plan that shows a
    check's files (10 s, where JAX's eager units took it to 44 to 68 s): those units' comparisons are made in process
    by tests/test_check_matrix.py, test_check_regimes.py and test_check_functions.py (JAX eager green function by
    function), and a command's eager NumPy rows by tests/test_cli.py's run without TensorFlow."""

    def check(folder: Path) -> Path:
        argv = ["check", "--quick", "--backends", "numpy,jax", "--modes", "compiled", "--dtypes", "float32"]
        argv += ["--out", str(folder)]
        assert cli.main(argv) == 0
        (results,) = folder.glob("check-*")
        return results

    return once_per_run(tmp_path_factory, "quick-check", check)


@pytest.fixture(params=FRAMEWORKS)
def fw(request: pytest.FixtureRequest):
    """Each of torch, jax and tf as a Framework (tests/backend_helper.py): the one fixture of the frameworks."""
    return framework(request.param)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261125)


def assert_rank2(name: str, array: np.ndarray, shape: tuple[int, int]) -> None:
    """No rank-1 arrays and no accidental broadcast: exactly the course's 2-D shape."""
    assert isinstance(array, np.ndarray), f"{name} is {type(array).__name__}, not an ndarray"
    assert array.shape == shape, f"{name} has shape {array.shape}, expected {shape}"


# property-based conformance (tests/test_check_properties.py): "ci" is the default, derandomised so that
# `make test` is repeatable and fast; "thorough" is for a long hunt: --hypothesis-profile thorough
settings.register_profile(
    "ci",
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("ci")
