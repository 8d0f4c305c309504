"""docs/check-speed.md's writer: the machine known by what it measures (a GEMM probe beside the label), the goals
judged from the runs, and the suite's time read from a `.ci/run` log."""

import platform

import pytest

from conformance.core.environment import blas_info, usable_cores
from conformance.report import check_speed

ENV = {  # what environment.environment() gives the page, without importing every framework
    "cpu": platform.processor() or "this CPU",
    "cores_usable": usable_cores(),
    "python": platform.python_version(),
    "frameworks": [{"name": "numpy", "import_s": 0.1}, {"name": "tensorflow", "import_s": None}],
}


def runs(quick_warm: float) -> list[check_speed.Run]:
    names = ["quick, cold", "quick, warm", "quick, no cache", "port, quick", "port, one function", "full"]
    seconds = dict(zip(names, [80, quick_warm, 200, 12, 3, 300], strict=True))
    units = {"functions/jax/eager/float32/cpu": 2.0, "jax/eager/float32/cpu/deep": 1.0, "float64 pairwise/x": 0.5}
    return [check_speed.Run(n, seconds[n], 0, check_speed.QUICK_COMPARISONS, 3, units) for n in names]


def test_the_page_names_the_machine_by_its_gemm_rate_and_judges_each_goal():
    """The probe's own numbers come from bench/machine.gemm_rates (tests/test_bench_machine.py); here, that the
    page says them, beside the label, and the goals' verdicts."""
    rates = {"one thread": {"float64": 21.4, "float32": 43.0}, "all threads": {"float64": 40.2, "float32": 80.9}}
    machine = {"gemm_gflops": rates, "blas": blas_info(), "when": "before the runs"}
    text = check_speed.page(runs(quick_warm=75), None, ENV, machine)
    assert "one thread: 21 float64, 43 float32; all threads: 40 float64, 81 float32" in text
    assert "(2048 x 2048, GFLOP/s, before the runs)" in text and machine["blas"]["library"] in text
    assert "| numpy | 0.1 |" in text and "| tensorflow |" not in text  # a framework imported earlier: no time
    assert "| quick, warm | `quartet check --quick` | 75 | <= 60 s: missed |" in text
    assert "| quick, cold | `quartet check --quick` | 80 | <= 90 s: met |" in text
    assert "| jax | eager | functions | 2.0 | 2.0 |" in text  # a unit's seconds, by backend, mode and part
    assert "GFLOP/s" not in check_speed.page(runs(quick_warm=50), None, ENV)  # runs measured without a probe


def test_the_suite_time_is_pytests_last_line_and_the_whole_run_times(tmp_path):
    log = tmp_path / "LOG"
    log.write_text(
        "==== 3 passed in 1.00s ====\n...\n==== 1091 passed, 15 skipped in 970.44s (0:16:10) ====\n\nreal\t18m19.4s\n"
    )
    assert check_speed.suite_seconds(log) == (970.44, "1091 passed, 15 skipped", 18 * 60 + 19.4)
    log.write_text("no summary here\n")
    with pytest.raises(ValueError, match="no pytest summary line"):
        check_speed.suite_seconds(log)


def test_the_suite_is_judged_warm_and_cold_each_saying_what_its_caches_held():
    """The same suite takes minutes longer on a machine that never compiled its programs (CI's): both runs are
    on the page, each judged against the goal, each saying how the caches were."""
    suites = {"warm": (496.2, "1094 passed, 15 skipped", 700.0), "cold": (735.5, "1094 passed, 15 skipped", None)}
    text = check_speed.page(runs(quick_warm=50), suites, ENV)
    assert "| suite (pytest), warm | `make test` in a fresh clone (`.ci/run`) | 496 | <= 600 s: met |" in text
    assert "| suite (pytest), cold | `make test` in a fresh clone (`.ci/run`) | 736 | <= 600 s: missed |" in text
    assert (
        f"warm, 496 s of pytest and 700 s for the whole `.ci/run`, install included, with {check_speed.SUITE['warm']}"
        in text
    )
    assert f"cold, 736 s of pytest, with {check_speed.SUITE['cold']}" in text
    assert "suite (pytest)" not in check_speed.page(runs(quick_warm=50), {}, ENV)
