"""The HTML report, opened in a real headless Chromium: title, every section, its tables, nothing
fetched from outside the file, and a screenshot that is not blank."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from backend_helper import small_bench

from conformance import cli

from conftest import once_per_run

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A report of a quick check and a quick bench, made once for the run's workers."""
    return once_per_run(tmp_path_factory, "report", make_report)


def make_report(results: Path) -> Path:
    assert cli.main(["check", "--quick", "--backends", "numpy", "--dtypes", "float32", "--out", str(results)]) == 0
    assert cli.main(small_bench(results)) == 0
    assert cli.main(["report", "--from", str(results), "--out", str(results)]) == 0
    return results / "report.html"


def chromium(*args, tmp_path):
    if CHROMIUM is None:
        pytest.skip("chromium not installed (Debian's package chromium; .ci/run installs it)")
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_report_is_self_contained(report):
    page = report.read_text()
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    outside = [link for link in links if not (link.startswith("data:") or link.startswith("#"))]
    assert outside == [], outside
    assert "<script src" not in page and "<link" not in page


def test_chromium_renders_every_section(report, tmp_path):
    dom = chromium("--dump-dom", report.as_uri(), tmp_path=tmp_path).stdout
    assert "<title>quartet report</title>" in dom
    for section in ("environment", "conformance", "benchmarks", "replication", "code", "notebooks"):
        assert f'<section id="{section}">' in dom, section
    assert dom.count("<table>") >= 4
    assert dom.count('class="highlight"') >= 4 * 14  # every concept in every framework
    assert 'class="missing"' not in dom


def test_the_code_panes_fit_a_laptops_width(report, tmp_path):
    """At 1280 px, the course's code stands in columns whose lines wrap: no pane scrolls sideways."""
    dom = chromium(
        "--window-size=1280,900", "--virtual-time-budget=5000", "--dump-dom", report.as_uri(), tmp_path=tmp_path
    ).stdout
    found = re.search(r'data-panes-scrolling="(\d+)"', dom)
    assert found, "the page's load script did not run"
    assert found.group(1) == "0"


def test_the_screenshot_is_not_blank(report, tmp_path):
    from PIL import Image

    png = tmp_path / "report.png"
    result = chromium("--window-size=1400,2000", f"--screenshot={png}", report.as_uri(), tmp_path=tmp_path)
    assert png.is_file(), result.stderr[-2000:]
    pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
    assert pixels.std() > 10 and len(np.unique(pixels)) > 50
