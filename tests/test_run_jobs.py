"""check --jobs N: the matrix shared by N child processes gives the rows one process gives, each unit done
once; interrupted, it keeps what the children finished and `--resume` completes it."""

import json
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from conformance import check, cli
from conformance.cli.check_jobs import PAIRWISE, default_jobs, in_order_of, unit_backend
from conformance.core import backends
from conformance.core.environment import usable_cores
from conformance.run import checkpoint
from conformance.run.runner import CLAIMS
from tests.backend_helper import QUICK_SECOND as SECOND
from tests.test_run_interrupt import quartet, units

# float64 eager in two frameworks: every case against the reference, and the per-case pairwise units (the
# second: MLX or JAX, backend_helper.QUICK_SECOND; either gives the same plan of 105 units)
ARGS = ("check", "--quick", "--backends", f"numpy,torch,{SECOND}", "--modes", "eager", "--dtypes", "float64")


@pytest.fixture(autouse=True)
def frameworks():
    for name in dict.fromkeys(("torch", "jax", SECOND)):  # the tests below the first use JAX
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


def test_each_child_starts_on_backends_of_its_own_and_leaves_the_pairwise_units_last():
    """--jobs 2: child 0 takes the backends from the first, child 1 from halfway, so each imports and compiles
    its own frameworks first; both hold every unit, so the claims can share out the rest."""
    settings = check.CheckSettings(backends=["numpy", "torch", "jax"], modes=["eager"], dtypes=["float64"], quick=True)
    plan = check.plan(settings)
    first, second = in_order_of(plan.units, 0, 2), in_order_of(plan.units, 1, 2)
    assert sorted(u.key for u in first) == sorted(u.key for u in second) == sorted(u.key for u in plan.units)
    assert unit_backend(first[0].key) == "torch" and unit_backend(second[0].key) == "jax"  # numpy float64: the judge
    assert unit_backend(first[-1].key) == unit_backend(second[-1].key) == PAIRWISE
    assert unit_backend("functions/jax/eager/float64/cpu") == "jax"
    assert default_jobs(settings) == min(2, usable_cores())  # torch and jax: two frameworks
    one = check.CheckSettings(backends=["numpy", "jax"], modes=["eager"], dtypes=["float64"], quick=True)
    assert default_jobs(one) == 1  # a porter's one-backend check stays in one process


def test_one_course_function_alone(tmp_path, capsys):
    """--function: those functions' verdicts, no matrix; an unknown name lists the names."""
    code = cli.main(
        [
            "check",
            "--backends",
            "numpy,jax",
            "--modes",
            "eager,compiled",
            "--dtypes",
            "float64",
            "--function",
            "L_model_forward,logistic.optimize",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    (folder,) = tmp_path.glob("check-*")
    verdicts = json.loads((folder / "conformance.json").read_text())["functions"]
    assert {(v["mode"], v["function"]) for v in verdicts} == {
        ("eager", "L_model_forward"),
        ("eager", "logistic.optimize"),
        ("compiled", "logistic.optimize"),
    }
    assert all(v["status"] == "green" for v in verdicts) and "0 comparisons" in out
    assert "jax compiled float64 logistic.optimize: green" in out
    assert cli.main(["check", "--function", "softmax", "--out", str(tmp_path)]) == 2
    assert "unknown course function(s) ['softmax']; choose from ['from_numpy'" in capsys.readouterr().err
