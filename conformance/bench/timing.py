"""How one step is timed: a warm-up call timed on its own (for compiled modes it includes compilation),
then repeats, each synchronised before the clock is read, until at least `min_repeats` calls and
`min_time` seconds; the median and the interquartile range."""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class Timing:
    first_call_s: float
    times: list[float]

    @property
    def median_s(self) -> float:
        return float(np.median(self.times))

    @property
    def iqr_s(self) -> float:
        q1, q3 = np.percentile(self.times, [25, 75])
        return float(q3 - q1)


def time_steps(
    step: Callable[[], object],
    sync: Callable[[object], None],
    min_repeats: int = 7,
    min_time: float = 1.0,
    max_repeats: int = 2000,
    warm_up: bool = True,
) -> Timing:
    """Call step() once (warm-up, timed on its own; not when warm_up is False: a row already warm), then
    repeatedly until min_time has passed and at least min_repeats calls were made; each call is
    synchronised before the clock is read."""
    first = float("nan")
    if warm_up:
        start = time.perf_counter()
        sync(step())
        first = time.perf_counter() - start
    times: list[float] = []
    spent = 0.0
    while len(times) < max_repeats and (len(times) < min_repeats or spent < min_time):
        start = time.perf_counter()
        sync(step())
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return Timing(first, times)


# --- rounds: every compared row, and the machine probe, timed once per round in a shuffled order --------


def interleave(
    names: list[str], time_one: Callable[[str], float], rounds: int, seed: int = 0
) -> dict[str, list[float]]:
    """{name: [its time in round 0, round 1, ...]}: each round times every name once, in its own shuffled
    order, so every row meets the machine's slow and fast spells alike, and two rows' times of one round
    were taken minutes, not hours, apart. A ratio is then taken round by round (ratio_interval)."""
    rng = np.random.default_rng(seed)
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for index in rng.permutation(len(names)):
            times[names[index]].append(time_one(names[index]))
    return times


def ratio_interval(
    a: list[float],
    b: list[float],
    paired: bool = True,
    resamples: int = 4000,
    seed: int = 0,
    processes: list[int] | None = None,
    processes_b: list[int] | None = None,
) -> tuple[float, float, float]:
    """(median, low, high): the ratio a / b as the median of the per-round ratios a_r / b_r (paired: a and b
    of one round saw the same machine), with a bootstrap 95 % interval. With `processes` (the process each
    round ran in), the bootstrap is two-level: processes resampled, then rounds within each: a process's
    own state (its allocator, its pages, the machine's spell while it ran) is shared by its rounds, so the
    rounds alone would promise the next run more than they know. Unpaired (b timed apart from a, in
    another process), the ratio of the medians, rounds resampled on each side alone (a's by `processes`,
    b's by `processes_b`, when given)."""
    a_, b_ = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    rng = np.random.default_rng(seed)
    if paired:
        if a_.shape != b_.shape:
            raise ValueError(f"paired rounds need as many of each: {a_.size} and {b_.size}")
        ratios = a_ / b_
        estimates = np.median(resample_rounds(ratios, processes, resamples, rng), axis=1)
        centre = float(np.median(ratios))
    else:
        estimates = np.median(resample_rounds(a_, processes, resamples, rng), axis=1) / np.median(
            resample_rounds(b_, processes_b, resamples, rng), axis=1
        )
        centre = float(np.median(a_) / np.median(b_))
    low, high = np.percentile(estimates, [2.5, 97.5])
    return centre, float(low), float(high)


def resample_rounds(
    values: np.ndarray, processes: list[int] | None, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """(resamples, n) bootstrap samples of the per-round values: rounds drawn with replacement, or, given
    each round's process, processes drawn with replacement and then rounds within each drawn process."""
    n = values.size
    if processes is None or len(set(processes)) < 2:
        return values[rng.integers(0, n, size=(resamples, n))]
    if len(processes) != n:
        raise ValueError(f"{n} rounds but {len(processes)} process labels")
    labels = np.asarray(processes)
    groups = [np.flatnonzero(labels == p) for p in dict.fromkeys(processes)]
    sizes = np.array([g.size for g in groups])
    width = int(sizes.max())
    table = np.zeros((len(groups), width), dtype=int)  # each process's rounds (their indices), left-aligned
    for i, g in enumerate(groups):
        table[i, : g.size] = g
    drawn = rng.integers(0, len(groups), size=(resamples, len(groups)))  # processes, with replacement
    size = sizes[drawn][..., None]  # (resamples, processes, 1): each drawn process's rounds
    within = (rng.random((resamples, len(groups), width)) * size).astype(int)  # rounds of each, with replacement
    picked = table[drawn[..., None], within].reshape(resamples, -1)
    valid = (np.arange(width) < size).reshape(resamples, -1)  # a drawn process gives only as many as it holds
    picked = np.take_along_axis(picked, np.argsort(~valid, axis=1, kind="stable"), axis=1)
    # drawn processes may hold more or fewer rounds than n: n values either way (the first n, repeated if short)
    at = np.arange(n)[None, :] % valid.sum(axis=1)[:, None]
    return values[np.take_along_axis(picked, at, axis=1)]


def verdict(low: float, high: float, target: float, at_most: bool = False) -> str:
    """Met when the whole interval clears the target (is at least it; with at_most, at most it), missed
    when the whole interval is on the wrong side, else within noise."""
    if at_most:
        low, high, target = -high, -low, -target
    if low >= target:
        return "met"
    if high < target:
        return "missed"
    return "within noise"
