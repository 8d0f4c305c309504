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


def time_steps(step: Callable[[], object], sync: Callable[[object], None], min_repeats: int = 7,
               min_time: float = 1.0, max_repeats: int = 2000) -> Timing:  # fmt: skip
    """Call step() once (warm-up, timed on its own), then repeatedly until min_time has passed and at
    least min_repeats calls were made; each call is synchronised before the clock is read."""
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
