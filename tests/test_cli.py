"""The `quartet` command, run in-process (its output is captured by pytest's capsys)."""

import json

import pandas as pd
import pytest
from backend_helper import small_bench

from conformance import cli


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_doctor_json_lists_every_framework(capsys):
    code, out = run_cli(capsys, "doctor", "--json")
    assert code == 0
    env = json.loads(out)
    names = [fw["name"] for fw in env["frameworks"]]
    assert names == ["numpy", "torch", "jax", "tensorflow", "keras", "scikit-learn"]
    numpy_row = env["frameworks"][0]
    assert numpy_row["installed"] and numpy_row["version"] == env["numpy"]
    assert env["blas"]["library"] and env["cores_usable"] >= 1
    for fw in env["frameworks"]:  # installed with a version, or missing with the reason
        assert (fw["installed"] and fw["version"]) or fw["note"].startswith("not installed")


def test_doctor_table(capsys):
    code, out = run_cli(capsys, "doctor")
    assert code == 0
    assert "BLAS (NumPy)" in out and "framework" in out and "numpy" in out


def test_train_planar_prints_costs_and_accuracy(capsys, tmp_path):
    png = tmp_path / "curve.png"
    code, out = run_cli(
        capsys,
        "train",
        "deep",
        "--dataset",
        "planar",
        "--layer-dims",
        "2,4,1",
        "--hidden-activation",
        "tanh",
        "--init",
        "small",
        "--seed",
        "2",
        "--learning-rate",
        "1.2",
        "--num-iterations",
        "1001",
        "--plot",
        str(png),
    )
    assert code == 0
    assert "Cost after iteration 0: 0.693048" in out
    assert "Cost after iteration 1000: 0.288083" in out  # the course's number
    assert "train accuracy" in out and "n/a (no test set)" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_logistic_on_breast_cancer_reports_test_accuracy(capsys):
    code, out = run_cli(
        capsys, "train", "logistic", "--dataset", "breast_cancer", "--learning-rate", "0.1", "--num-iterations", "300"
    )
    assert code == 0
    accuracy_line = next(line for line in out.splitlines() if "test accuracy" in line)
    assert float(accuracy_line.split("│")[2].split("%")[0]) > 90


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layer-dims", "3,4,1"], "--layer-dims starts with 3, but dataset 'planar' has n_x = 2"),
        (["--layer-dims", "2,4,2"], "must end with 1"),
    ],
)
def test_train_rejects_layer_dims_that_do_not_fit(capsys, argv, message):
    code, out = run_cli(capsys, "train", "planar", "--num-iterations", "1", *argv)
    assert code == 2
    assert message in " ".join(out.split())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--learning-rate", "-1"], "must be a positive finite number, got '-1'"),
        (["--learning-rate", "nan"], "must be a positive finite number, got 'nan'"),
        (["--num-iterations", "0"], "must be a positive integer, got '0'"),
        (["--layer-dims", "2,x,1"], "integers separated by commas"),
        (["--hidden-activation", "gelu"], "invalid choice: 'gelu'"),
    ],
)
def test_train_rejects_bad_arguments(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "deep", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_train_on_cat_without_data_names_the_directory(capsys, tmp_path):
    code, out = run_cli(capsys, "train", "deep", "--dataset", "cat", "--data-dir", str(tmp_path / "none"))
    assert code == 2
    assert "is not a directory" in out and "--data-dir" in out


def test_replicate_writes_the_page(capsys, tmp_path):
    code, _out = run_cli(capsys, "replicate", "planar", "--frameworks", "jax", "--out", str(tmp_path))
    assert code == 0
    page = (tmp_path / "course-replication.md").read_text()
    assert "| 7000 | 0.21750" in page and "| 0.217504 | match |" in page
    assert "DIFFERS" not in page
    assert "| jax | compiled |" in page
    assert (tmp_path / "course-replication" / "planar.png").stat().st_size > 1000


def test_replicate_rejects_an_unknown_run(capsys, tmp_path):
    code, out = run_cli(capsys, "replicate", "mnist", "--out", str(tmp_path))
    assert code == 2 and "unknown course run(s) ['mnist']" in out


def test_check_writes_its_results_and_passes(quick_check):
    folder = quick_check  # the session's quick check of compiled JAX in float32 (tests/conftest.py): exit 0
    assert folder.name.startswith("check-")
    frame = pd.read_csv(folder / "conformance.csv")
    assert set(frame[["backend", "mode"]].itertuples(index=False)) == {("jax", "compiled")} and frame["passed"].all()
    payload = json.loads((folder / "conformance.json").read_text())
    assert payload["passed"] and payload["environment"]["frameworks"]
    assert "| jax | compiled | float32 |" in (folder / "conformance.md").read_text()


def test_check_with_nothing_available_says_why_and_fails(capsys, tmp_path):
    code, out = run_cli(capsys, "check", "--backends", "numpy", "--device", "gpu", "--out", str(tmp_path))
    assert code == 2
    out = " ".join(out.split())  # as wide as the terminal, or 80 columns without one
    assert "NumPy runs on the CPU only" in out and "nothing to check" in out


def test_train_that_diverges_stops_and_names_the_iteration(capsys):
    code, out = run_cli(capsys, "train", "planar", "--learning-rate", "100", "--num-iterations", "500")
    text = " ".join(out.split())
    assert code == 2
    assert "training diverged at iteration" in text and "try a smaller one (e.g. 10)" in text
    assert "Traceback" not in out and "summary" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "--backends", "numpy,mxnet"], "unknown backend(s) ['mxnet']; choose from ['numpy', 'torch'"),
        (["check", "--dtypes", "float16"], "unknown dtype(s) ['float16']"),
        (["check", "--modes", "graph"], "unknown mode(s) ['graph']"),
        (["check", "--backends", ""], "unknown backend(s) ''"),
        (["bench", "--workloads", "resnet", "--backends", "numpy"], "unknown workload(s) ['resnet']"),
        (["bench", "--peers", "caffe", "--backends", "numpy", "--workloads", "planar"], "unknown peer(s) ['caffe']"),
        (["code", "softmax"], "softmax"),
    ],
)
def test_commands_name_a_bad_choice(capsys, tmp_path, argv, message):
    code, out = run_cli(capsys, *argv, *(["--out", str(tmp_path)] if argv[0] in ("check", "bench") else []))
    assert code == 2
    assert message in " ".join(out.split())
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "deep", "--num-iterations", "-5"], "must be a positive integer, got '-5'"),
        (["train", "deep", "--init", "orthogonal"], "invalid choice: 'orthogonal'"),
        (["train", "deep", "--dataset", "mnist"], "invalid choice: 'mnist'"),
        (["check", "--device", "tpu"], "invalid choice: 'tpu'"),
        (["bench", "--threads", "0"], "must be a positive integer, got '0'"),
        (["bench", "--min-time", "inf"], "must be a positive finite number, got 'inf'"),
        (["bench", "--decide", "-1"], "must be a finite number of seconds, 0 or more, got '-1'"),
        (["bench", "--decide", "nan"], "must be a finite number of seconds, 0 or more, got 'nan'"),
    ],
)
def test_argument_parser_names_a_bad_value(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_train_on_cat_with_a_directory_lacking_the_files_names_them(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("not the data")
    code, out = run_cli(capsys, "train", "deep", "--dataset", "cat", "--data-dir", str(tmp_path))
    text = " ".join(out.split())
    assert code == 2
    assert "no file" in text and "train_catvnoncat.h5" in text and "holds the .h5 files []" in text


def test_determinism_numpy_gives_the_same_bits_in_fresh_processes(capsys, tmp_path):
    code, out = run_cli(
        capsys, "determinism", "--backends", "numpy", "--dtypes", "float64", "--runs", "2", "--out", str(tmp_path)
    )
    assert code == 0, out
    (folder,) = tmp_path.glob("determinism-*")
    table = (folder / "determinism.md").read_text()
    assert "| numpy | eager | float64 | same bits | same bits | same bits | same bits |" in table
    assert "DIFFERS" not in table


@pytest.mark.slow
def test_without_a_framework_everything_else_runs_and_says_why(tmp_path):
    """A Python where `import tensorflow` fails, as on a machine without it: doctor, check, the data-parallel
    check and bench run the rest and name the reason on the missing rows."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    script = (
        "import sys; sys.modules['tensorflow'] = None; from conformance.cli import main; sys.exit(main(sys.argv[1:]))"
    )

    def quartet(*argv):
        done = subprocess.run(
            [sys.executable, "-c", script, *argv],
            cwd=root,
            capture_output=True,
            text=True,
            env={**__import__("os").environ, "COLUMNS": "200"},
        )
        return done.returncode, " ".join((done.stdout + done.stderr).split())

    code, out = quartet("doctor")
    assert code == 0 and "tensorflow" in out and "missing" in out
    code, out = quartet("check", "--quick", "--backends", "numpy,tf", "--dtypes", "float32", "--out", str(tmp_path))
    assert code == 0, out
    assert "unavailable: tf (eager float32, compiled float32, function float32):" in out
    assert "tensorflow not installed" in out
    assert "| numpy | eager | float32 |" in next(tmp_path.glob("check-*/conformance.md")).read_text()
    code, out = quartet(*small_bench(tmp_path, "numpy,tf", "float64"))
    assert code == 0, out
    assert "tensorflow not installed" in (next(tmp_path.glob("bench-*/bench.csv")).read_text())


def test_workers_take_the_frameworks_that_have_an_engine_and_name_a_plugin_that_has_none(capsys):
    """--workers with every backend (the default) leaves a plugin out; naming one stops with its own reason,
    not a traceback from the engine."""
    from conformance.cli.common import data_parallel_backends
    from conformance.core import registry

    assert data_parallel_backends(",".join(registry.NAMES)) == ["numpy", "torch", "jax", "tf"]
    if "mlx" not in registry.NAMES:
        pytest.skip("the quartet-mlx plugin is not installed")
    for argv in (
        ["check", "--workers", "2", "--backends", "numpy,mlx"],
        ["bench", "--workers", "1,2", "--backends", "mlx"],
    ):
        assert cli.main(argv) == 2
        assert "mlx does not support data_parallel" in capsys.readouterr().err


@pytest.mark.parametrize("command", [c.__name__.rsplit(".", 1)[1].replace("_", "-") for c in cli.COMMANDS])
def test_every_subcommand_answers_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: quartet {command}") and "--help" in out
    assert "(default: )" not in " ".join(out.split()), out  # an empty default says nothing: name what it is


def test_a_plugin_that_does_not_load_is_named_with_its_reason(monkeypatch):
    """Installed but broken: `--backends myport` said "unknown backend" and only `quartet doctor` said why."""
    from conformance.cli import common

    reason = "quartet_myport.backend:BACKEND does not load: ModuleNotFoundError: No module named 'mlx'"
    monkeypatch.setitem(common.BROKEN, "myport", reason)
    with pytest.raises(common.UsageError, match=r"myport .*No module named 'mlx'.*installed but not loaded"):
        common.choices("numpy,myport", common.NAMES, "backend(s)")


def test_bench_exits_as_the_check_does():
    """Every row of a backend raised: 3 (it exited 0); a row that computes something else: 1; a peer's error or an
    unavailable framework is no failure of ours."""
    from conformance.cli.bench import exit_status

    def frame(*statuses):
        return pd.DataFrame(
            [{"workload": "w", "backend": b, "mode": "eager", "dtype": "float32", "status": s} for b, s in statuses]
        )

    assert exit_status(frame(("torch", "ok"), ("keras", "error: ValueError: x"), ("tf", "unavailable: no"))) == 0
    assert exit_status(frame(("torch", "ok"), ("jax", "check failed"))) == 1
    assert exit_status(frame(("torch", "error: NotImplementedError: linear_forward"), ("jax", "check failed"))) == 3


def test_a_run_in_processes_says_its_children_used_the_frameworks_it_did_not_import():
    """The parent of --jobs plans from its children's plan and imports no framework: its metadata says which ones
    the children used (and on what device) instead of "not used by this run"."""
    import subprocess
    import sys

    code = (
        "from conformance.core import environment; "
        "fw = {f.name: f for f in environment.frameworks(True, {'tensorflow': 'cpu'})}; "
        "print(fw['tensorflow'].note, fw['tensorflow'].devices, fw['keras'].note)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "used by this run's child processes ['cpu'] not used by this run", out
