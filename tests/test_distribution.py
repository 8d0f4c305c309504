"""The distribution's name is quartet's own (quartet-nndl: "quartet" on the package index is an unrelated
library), a generated port depends on exactly that name and installs without --no-deps from a local wheel,
and the Python API is `import quartet`."""

import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import quartet
from conformance.cli import new_backend
from conformance.core.registry import DISTRIBUTION

from conftest import once_per_run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The checkout built as a wheel, once for the run's workers."""
    return once_per_run(tmp_path_factory, "wheel", build_wheel)


def build_wheel(out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        cwd=out,
    )
    (found,) = out.glob("quartet_nndl-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_is_quartet_nndl_and_holds_the_api(wheel):
    with zipfile.ZipFile(wheel) as z:
        metadata = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        name = next(line for line in z.read(metadata).decode().splitlines() if line.startswith("Name: "))
        files = z.namelist()
    assert name == f"Name: {DISTRIBUTION}" == "Name: quartet-nndl"
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"] == DISTRIBUTION
    assert "quartet/__init__.py" in files and "conformance/kit/template_pyproject.toml.txt" in files


@pytest.mark.slow
def test_a_generated_port_depends_on_quartets_own_name_and_installs_from_a_local_wheel(wheel, tmp_path):
    new_backend.write(tmp_path / "port", "port", "a port")
    project = tomllib.loads((tmp_path / "port" / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == [DISTRIBUTION]
    for plugin in (ROOT / "plugins").glob("*/pyproject.toml"):  # the worked example too
        assert tomllib.loads(plugin.read_text())["project"]["dependencies"][0] == DISTRIBUTION
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-index",
            "--find-links",
            str(wheel.parent),
            "--report",
            str(report),
            "--no-build-isolation",
            str(tmp_path / "port"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]  # without --no-deps, and nothing from the package index
    names = {i["metadata"]["name"] for i in json.loads(report.read_text())["install"]}
    assert "quartet-port" in names and "quartet" not in names


def test_the_python_api_checks_in_this_process():
    result = quartet.check(["numpy"], modes=["eager"], dtypes=["float32"], quick=True)
    assert result.passed and len(result.frame) > 100 and quartet.suspects(result) == []
    assert set(quartet.__all__) <= set(dir(quartet)) and "numpy" in quartet.registry.NAMES
