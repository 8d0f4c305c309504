"""Shared options and fixtures.

Floating-point warnings are errors (pyproject: filterwarnings = error::RuntimeWarning), so an
overflow or a 0 * inf anywhere in the reference fails the test that caused it."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# One set of compilation caches for the session and every process it starts (before anything imports JAX or
# PyTorch; conformance/core/caches.py): the suite's checks meet the same programs again, in this process and in
# the fresh ones it starts, and a fresh folder keeps the suite from reading or filling the user's own.
if "QUARTET_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="quartet-tests-cache-")
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
    os.environ["QUARTET_CACHE_DIR"] = _cache

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from conformance.core import caches
from conformance.core.datasets import CAT_FILES, default_data_dir

caches.enable()  # before any test imports JAX or PyTorch


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


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261125)


def assert_rank2(name: str, array: np.ndarray, shape: tuple[int, int]) -> None:
    """No rank-1 arrays and no accidental broadcast: exactly the course's 2-D shape."""
    assert isinstance(array, np.ndarray), f"{name} is {type(array).__name__}, not an ndarray"
    assert array.shape == shape, f"{name} has shape {array.shape}, expected {shape}"


# property-based conformance (tests/test_properties.py): "ci" is the default, derandomised so that
# `make test` is repeatable and fast; "thorough" is for a long hunt: --hypothesis-profile thorough
settings.register_profile(
    "ci", max_examples=25, derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("ci")
