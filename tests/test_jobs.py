"""check --jobs N: the matrix shared by N child processes gives the rows one process gives, each unit done
once; interrupted, it keeps what the children finished and `--resume` completes it."""

import json
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from conformance.core import backends
from conformance.run import checkpoint
from conformance.run.runner import CLAIMS
from tests.test_interrupt import quartet, units

# float64 eager in two frameworks: every case against the reference, and the per-case pairwise units
ARGS = ("check", "--quick", "--backends", "numpy,torch,jax", "--modes", "eager", "--dtypes", "float64")


@pytest.fixture(autouse=True)
def frameworks():
    for name in ("torch", "jax"):
        ok, reason = backends.framework_status(name)
        if not ok:
            pytest.skip(reason)


def finished(base: Path, *extra: str, timeout: float = 300) -> tuple[Path, str]:
    """A check run to its end in its own process: (its folder, its output)."""
    run = quartet(*ARGS, "--out", str(base), *extra)
    output = run.communicate(timeout=timeout)[0]
    assert run.returncode == 0, output
    (folder,) = base.glob("check-*")
    return folder, output


def comparisons(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "conformance.csv")


@pytest.mark.slow
def test_processes_interrupted_and_resumed_give_the_rows_of_one_process(tmp_path):
    one, _ = finished(tmp_path / "one")
    run = quartet(*ARGS, "--jobs", "3", "--out", str(tmp_path / "jobs"))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and run.poll() is None:
        shards = list((tmp_path / "jobs").glob("check-*/shard-*"))
        if sum(len(units(s)) for s in shards) >= 4:  # the children have finished a few units
            break
        time.sleep(0.05)
    assert run.poll() is None, f"the run ended before it could be interrupted:\n{run.stdout.read()}"
    run.send_signal(signal.SIGTERM)
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 143 and "in 3 processes" in output, output
    (folder,) = (tmp_path / "jobs").glob("check-*")
    kept = units(folder)
    assert len(kept) >= 4 and not list(folder.glob("shard-*")) and not (folder / CLAIMS).exists()
    assert "Incomplete run" in (folder / "conformance.md").read_text()

    resumed = quartet("check", "--resume", str(folder), "--jobs", "3")
    output = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, output
    done = json.loads((folder / checkpoint.FILE).read_text())
    assert done["complete"] and all(done["units"][key] == rows for key, rows in kept.items())  # not redone
    assert set(done["units"]) == set(units(one)) and not list(folder.glob("shard-*"))
    a, b = comparisons(one), comparisons(folder)
    assert len(a) == len(b) > 1000 and (b["against"] != "numpy/float64").any()  # the pairwise rows came too
    pd.testing.assert_frame_equal(a, b)  # the same numbers in the same order, whoever did the work and when
