"""A goal's numbers from the rounds: the interval of a row's fraction of the roofline and of a ratio of two rows,
paired round by round where both were timed in the same rounds and processes (a ratio of rows timed apart is
not), and the fastest of several rows taken round by round; each with the spread between runs that applies."""

import json

import numpy as np

from .between import Spread
from .roofline import ROUND_INPUTS, round_fractions
from .timing import ratio_interval


def label(row) -> str:
    return row.get("label") or f"{row['backend']} {row['mode']}"


def fraction(row: dict | None, spread: Spread) -> tuple | None:
    """(the interval of a row's fraction of the roofline, round by round, its between-run sigma), or None."""
    if row is None:
        return None
    by_round = rounds_of(row) and rounds_of(row, "round_gemm_gflops")
    values = round_fractions(*(row[k] for k in ROUND_INPUTS)) if by_round else [row["roofline_fraction"]]
    interval = ratio_interval(values, [1.0] * len(values), processes=processes_of(row, len(values)))
    return interval, spread.of(row["workload"], "fraction of roofline", ((row["backend"], row["mode"]),))


def ratio(slow: dict | None, fast: dict | None, spread: Spread) -> tuple | None:
    """(the interval of slow / fast, round by round where both ran in the same rounds, its between-run
    sigma), or None."""
    if slow is None or fast is None:
        return None
    a, b = rounds_of(slow) or [slow["median_s"]], rounds_of(fast) or [fast["median_s"]]
    # timed in the same rounds: as many, in the same processes (a Keras row of a run from before its worker timed it
    # in our rounds has no process labels: it was timed apart, unpaired)
    labels = processes_of(slow, len(a)), processes_of(fast, len(b))
    keras = slow["backend"].startswith("keras/") or fast["backend"].startswith("keras/")
    paired = len(a) == len(b) and labels[0] == labels[1] and (labels[0] is not None or not keras)
    interval = ratio_interval(
        a, b, paired=paired, processes=processes_of(slow, len(a)), processes_b=processes_of(fast, len(b))
    )
    rows = ((slow["backend"], slow["mode"]), (fast["backend"], fast["mode"]))
    return interval, spread.of(slow["workload"], "step / own products", rows)


def fastest_per_round(rows: list[dict]) -> dict | None:
    """The fastest of rows timed in the same rounds, round by round: in each round the quickest of them
    (one that is fast in most rounds and twice as slow in a few is not the fastest in those), named by the
    rows that were the fastest in some round; the one row when there is one, None when there is none."""
    if len(rows) < 2 or len({len(rounds_of(r) or []) for r in rows}) != 1 or not rounds_of(rows[0]):
        return rows[0] if rows else None
    times = np.array([rounds_of(r) for r in rows])
    each = times.min(axis=0)
    rows = [rows[k] for k in sorted(set(times.argmin(axis=0)))]  # named: those that were the fastest somewhere
    if len({r["mode"] for r in rows}) == 1:  # "jax, tf compiled-loop, fastest in each round"
        names, mode = sorted({r["backend"] for r in rows}), f"{rows[0]['mode']}, fastest in each round"
        named = f"{', '.join(names)} {mode}"
    else:  # "jax compiled, tf function, fastest in each round": each row by its backend and mode
        names, mode = sorted(label(r) for r in rows), "fastest in each round"
        named = f"{', '.join(names)}, {mode}"
    return {
        **rows[0],
        "backend": ", ".join(names),
        "mode": mode,
        "label": named,
        "round_s": [float(v) for v in each],
        "median_s": float(np.median(each)),
    }


def processes_of(row: dict, rounds: int) -> list[int] | None:
    """The process each of a row's `rounds` rounds ran in, or None (one process, or a run from before
    rounds were spread over processes)."""
    labels = rounds_of(row, "round_process")
    return [int(v) for v in labels] if labels and len(labels) == rounds else None


def rounds_of(row: dict, key: str = "round_s") -> list[float] | None:
    """A row's per-round values (a list, or its JSON text after a CSV), or None when it has none."""
    value = row.get(key)
    if isinstance(value, str):
        value = json.loads(value)
    return [float(v) for v in value] if isinstance(value, list | tuple) and len(value) else None
