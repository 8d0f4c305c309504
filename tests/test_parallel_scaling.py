"""The data-parallel scaling model (conformance/parallel/scaling.py): its fits recover what they were
made from, its predictions behave as a ring all-reduce must, and each engine's all-reduce is timed."""

import itertools

import pytest

from conformance.core.backends import framework_status
from conformance.core.registry import AUTODIFF
from conformance.parallel import scaling


def test_the_ring_fit_recovers_alpha_and_beta():
    alpha, beta = 40e-6, 2e-10
    points = [(n, b, 2 * (n - 1) * alpha + 2 * (n - 1) / n * b * beta) for n in (2, 3) for b in (4e3, 4e5, 4e6)]
    fit = scaling.fit_all_reduce(points)
    assert fit.alpha_s == pytest.approx(alpha, rel=1e-6) and fit.beta_s == pytest.approx(beta, rel=1e-6)
    assert fit.seconds(1, 4e6) == 0.0  # one worker sends nothing


def test_a_link_is_never_faster_than_its_bandwidth():
    loopback = scaling.AllReduce(alpha_s=10e-6, beta_s=1e-11)  # faster than any network
    nbytes = 1e6
    on_10 = loopback.seconds(2, nbytes, link_gbps=10)
    assert on_10 >= 2 * 1 / 2 * nbytes * 8 / 10e9  # 2 (N - 1) / N bytes at 10 Gbit/s
    assert loopback.seconds(2, nbytes, link_gbps=100) < on_10


def test_efficiency_falls_with_workers_and_the_course_net_counts_its_parameters():
    assert scaling.parameters(scaling.NETS["course"]) == 12288 * 20 + 20 + 20 * 7 + 7 + 7 * 5 + 5 + 5 + 1
    compute, reduce = scaling.Compute(1e-4, 2e-6), scaling.AllReduce(50e-6, 1e-9)
    curves = scaling.scaling_curves(compute, reduce, "course", 1.0, 10)
    strong = curves[f"course, 10 Gbit/s, global {scaling.GLOBAL}"]["efficiency"]
    weak = curves[f"course, 10 Gbit/s, per worker {scaling.PER_WORKER}"]["efficiency"]
    assert strong[0] == pytest.approx(1.0) and weak[0] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(strong))  # more workers, less efficient
    assert strong[-1] < weak[-1]  # at 1024 workers 64 columns each: communication dominates


@pytest.mark.parametrize("name", AUTODIFF)
def test_each_engine_times_its_all_reduce_in_two_processes(name):
    ok, reason = framework_status(name)
    if not ok:
        pytest.skip(reason)
    points = scaling.measure_all_reduce([name], workers=(2,), sizes=[16, 65536], repeats=3)[name]
    assert [(n, b) for n, b, _ in points] == [(2, 64), (2, 262144)]
    assert all(0 < t < 5 for _, _, t in points)
