"""The timing loop and its statistics (conformance/bench/timing.py): warm-up and repeats, interleaved rounds and
paired ratios, and the bootstrap over processes, then rounds."""

import numpy as np
import pytest

from conformance.bench.timing import ratio_interval, time_steps


def test_time_steps_warms_up_then_repeats_until_enough():
    calls = []
    timing = time_steps(lambda: calls.append(1), lambda _: None, min_repeats=5, min_time=0.0)
    assert len(calls) == 6 and len(timing.times) == 5  # one warm-up, five timed
    assert timing.median_s >= 0 and timing.iqr_s >= 0


def test_round_by_round_ratios_survive_a_machine_that_drifts():
    """A synthetic machine twice as slow for the second half of the run: row A takes 1 ms and B 2 ms at
    full speed. Timed one after the other (A's rows, then B's), the ratio of the two medians reads 4x;
    timed in interleaved rounds, each round's ratio is 2x whatever the machine's mood, and so is the
    median with its interval."""
    from conformance.bench.timing import interleave, ratio_interval, verdict

    base, calls = {"A": 1e-3, "B": 2e-3}, []

    def machine(name: str) -> float:
        calls.append(name)
        return base[name] * (2.0 if len(calls) > 8 else 1.0)  # slow from the 9th call of 16 on

    sequential = {name: [machine(name) for _ in range(8)] for name in ("A", "B")}
    assert np.median(sequential["B"]) / np.median(sequential["A"]) == pytest.approx(4.0)
    calls.clear()
    rounds = interleave(["A", "B"], machine, rounds=8, seed=3)
    centre, low, high = ratio_interval(rounds["B"], rounds["A"])
    assert centre == pytest.approx(2.0) and low == pytest.approx(2.0) and high == pytest.approx(2.0)
    assert verdict(low, high, 1.5) == "met" and verdict(low, high, 2.5) == "missed"
    assert verdict(0.9, 1.2, 1.0) == "within noise"


def test_an_unpaired_interval_is_wider_than_a_paired_one():
    rng = np.random.default_rng(0)
    mood = rng.uniform(1, 2, 9)  # the machine's speed in each round
    a, b = 2e-3 * mood, 1e-3 * mood
    paired, unpaired = ratio_interval(list(a), list(b)), ratio_interval(list(a), list(b), paired=False)
    assert paired[1] == pytest.approx(2.0) and paired[2] == pytest.approx(2.0)
    assert unpaired[1] < 2.0 < unpaired[2]


def test_rounds_spread_over_processes_hold_what_one_process_cannot_see():
    """A synthetic machine whose every process has its own speed (lognormal, 10 %: its allocator, its
    pages, the hour it ran in) and whose rounds within a process differ by 1 %. Two runs of 9 rounds in
    one process each: the rounds' interval promises the second run far more than it gets. Two runs of
    3 processes x 3 rounds, resampled processes first: their intervals overlap nearly always."""
    rng = np.random.default_rng(7)

    def run(processes: int, rounds: int) -> tuple[float, float, float]:
        state = rng.lognormal(0.0, 0.10, processes)  # the ratio as each process sees it
        ratios = np.repeat(state, rounds) * rng.lognormal(0.0, 0.01, processes * rounds)
        labels = list(np.repeat(np.arange(processes), rounds))
        return ratio_interval(list(ratios), [1.0] * ratios.size, resamples=1000, processes=labels)

    def overlap_rate(processes: int, rounds: int, trials: int = 60) -> float:
        pairs = [(run(processes, rounds), run(processes, rounds)) for _ in range(trials)]
        return float(np.mean([a[1] <= b[2] and b[1] <= a[2] for a, b in pairs]))

    one, three = overlap_rate(1, 9), overlap_rate(3, 3)
    assert one < 0.3, one  # the rounds of one process: narrow, and wrong the next time
    assert three > 0.8, three


def test_the_bootstrap_draws_whole_processes_then_rounds_within_them():
    """Rounds 0, 0, 0, 1, 1, 2, 2 valued by their process: a resample is n values, each drawn process gives
    as many rounds as it holds (the first n kept, repeated when short), and all of one process's value
    comes up as often as three draws of one process in three: 3 x (1/3)^3 = 1/9."""
    from conformance.bench.timing import resample_rounds

    processes = [0, 0, 0, 1, 1, 2, 2]
    samples = resample_rounds(np.array(processes, dtype=float), processes, 20000, np.random.default_rng(0))
    assert samples.shape == (20000, 7) and set(np.unique(samples)) == {0.0, 1.0, 2.0}
    alone = (samples == samples[:, :1]).all(axis=1)
    assert abs(alone.mean() - 1 / 9) < 0.01, alone.mean()
    starts = samples[samples[:, 0] == 0][:, :3]  # a drawn first process 0 gives its 3 rounds first
    assert (starts == 0).all()
