"""The speed goals a benchmark run is judged by, each with what the run measured: the median of its
per-round values with a bootstrap 95 % interval, widened by this machine's spread between runs where
there is one (between.py), and a verdict: met, missed or within noise."""

import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .between import Spread, widen
from .peer_rows import PEERS
from .roofline import round_fractions
from .timing import ratio_interval, verdict

OURS = ("numpy", "torch", "jax", "tf")
BOUNDS = ("products alone",)  # a bound, not a way to train: never picked unless asked for by its mode
LOOPS = ("compiled-loop",)  # a whole compiled loop's amortised step: not like a peer's per-call step


@dataclass(frozen=True)
class Rows:
    """Which rows of a run a goal compares: those of `backends` (None: any) in `mode` (None: any but a
    bound), without `not_modes`; the fastest of them by median, or with `per_round` the fastest in each
    round. `own_products` picks the products-alone row of the row the goal's other side picked."""

    backends: tuple[str, ...] | None = None
    mode: str | None = None
    not_modes: tuple[str, ...] = ()
    per_round: bool = False
    own_products: bool = False


@dataclass(frozen=True)
class Goal:
    """A speed goal: on `workload` in `dtype`, a fraction of the roofline (kind "fraction", of `rows`) or a
    ratio (kind "ratio", `rows`' step over `over`'s: how many times faster `over` is), met when its
    interval clears `target` (from below, or with `at_most` from above). `text` names what it picked
    where it says {rows}, {backend} (of rows) and {over}. An `optional` goal is left out of a run without
    its rows (a peer that was not timed)."""

    text: str
    workload: str
    dtype: str
    kind: str
    target: float
    rows: Rows
    over: Rows | None = None
    at_most: bool = False
    optional: bool = False


GOALS = (
    *(Goal(f"wide, float32: {name} compiled, fraction of roofline", "wide", "float32", "fraction", 0.85,
           Rows((name,), "compiled")) for name in ("torch", "jax", "tf")),
    Goal("wide, float32: NumPy reference, fraction of roofline", "wide", "float32", "fraction", 0.70, Rows(("numpy",))),
    Goal("course deep, float32: fastest of ours ({rows}) / its own matrix products alone", "course_deep", "float32",
         "ratio", 1.10, Rows(OURS), Rows(own_products=True), at_most=True),
    # like with like: a peer's per-call step (train_on_batch, partial_fit, optim.SGD) against our fastest
    # per-call step, not against a whole compiled loop
    *(Goal(f"course deep, float32: {peer} step / our fastest step ({{over}})", "course_deep", "float32", "ratio", 1.0,
           Rows((peer,)), Rows(OURS, not_modes=LOOPS), optional=True) for peer in PEERS),
    Goal("course deep, float32: {backend} fit loop step / our fastest compiled loop step ({over})", "course_deep",
         "float32", "ratio", 1.0, Rows(mode="fit loop"), Rows(mode="compiled-loop"), optional=True),
    Goal("course deep, float64: scikit-learn MLPClassifier step / NumPy reference step", "course_deep", "float64",
         "ratio", 2.0, Rows(("sklearn",)), Rows(("numpy",))),
    Goal("planar, float32: NumPy reference step / fastest compiled training loop's amortised step ({over})",
         "planar", "float32", "ratio", 5.0, Rows(("numpy",)), Rows(mode="compiled-loop", per_round=True)),
)  # fmt: skip


def label(row) -> str:
    return f"{row['backend']} {row['mode']}"


def pick(ok: pd.DataFrame, goal: Goal, rows: Rows, other: dict | None = None) -> dict | None:
    """The row `rows` picks from the run's finished rows `ok` for `goal`, or None."""
    sel = ok[(ok["workload"] == goal.workload) & (ok["dtype"] == goal.dtype)]
    if rows.own_products:
        return None if other is None else pick(ok, goal, Rows((other["backend"],), BOUNDS[0]))
    if rows.backends is not None:
        sel = sel[sel["backend"].isin(rows.backends)]
    sel = sel[sel["mode"] == rows.mode] if rows.mode is not None else sel[~sel["mode"].isin(BOUNDS)]
    sel = sel[~sel["mode"].isin(rows.not_modes)]
    if rows.per_round:
        return fastest_per_round(sel.to_dict("records"))
    return None if sel.empty else sel.loc[sel["median_s"].astype(float).idxmin()].to_dict()


def goals(frame: pd.DataFrame, spread: Spread | None = None) -> list[dict]:
    """Each of GOALS with what this run measured: the median of its per-round values (a ratio of two rows
    timed in the same round, or a fraction of that round's roofline) with a bootstrap 95 % interval,
    widened by this machine's spread between runs when there is one (between.py), and a verdict: met
    (the whole interval clears the target), missed (wholly below) or within noise. A Keras row ran in its
    own process: its ratios are unpaired (ratio_interval)."""
    spread = spread or Spread("", [], {}, {})
    ok = frame[(frame["status"] == "ok") & frame["median_s"].notna()]
    out = []
    for goal in GOALS:
        row = pick(ok, goal, goal.rows)
        over = pick(ok, goal, goal.over, row) if goal.over else None
        if goal.optional and row is None:
            continue
        text = goal.text.format(rows="" if row is None else label(row), backend="" if row is None else row["backend"],
                                over="" if over is None else label(over))  # fmt: skip
        found = fraction(row, spread) if goal.kind == "fraction" else ratio(row, over, spread)
        shown = (lambda v: f"{100 * v:.0f}%") if goal.kind == "fraction" else (lambda v: f"{v:.2f}x")
        if found is None:
            measured, met, value = "not measured", "?", None
        else:  # widened by the between-run sigma of its rows or of the goal itself, whichever is larger
            interval, sigma = found
            centre, low, high = widen(interval, max(sigma, spread.by_goal.get(text, 0.0)))
            measured = f"{shown(centre)} [{shown(low)}, {shown(high)}]"
            met, value = verdict(low, high, goal.target, goal.at_most), centre
        out.append({"goal": text, "target": ("at most " if goal.at_most else "") + shown(goal.target),
                    "measured (95% interval)": measured, "verdict": met, "value": value})  # fmt: skip
    return out


def fraction(row: dict | None, spread: Spread) -> tuple | None:
    """(the interval of a row's fraction of the roofline, round by round, its between-run sigma), or None."""
    if row is None:
        return None
    values = (
        round_fractions(row) if rounds_of(row) and rounds_of(row, "round_gemm_gflops") else [row["roofline_fraction"]]
    )
    interval = ratio_interval(values, [1.0] * len(values), processes=processes_of(row, len(values)))
    return interval, spread.of(row["workload"], "fraction of roofline", ((row["backend"], row["mode"]),))


def ratio(slow: dict | None, fast: dict | None, spread: Spread) -> tuple | None:
    """(the interval of slow / fast, round by round where both ran in the same rounds, its between-run
    sigma), or None."""
    if slow is None or fast is None:
        return None
    a, b = rounds_of(slow) or [slow["median_s"]], rounds_of(fast) or [fast["median_s"]]
    paired = not slow["backend"].startswith("keras/") and not fast["backend"].startswith("keras/") and len(a) == len(b)
    interval = ratio_interval(a, b, paired=paired, processes=processes_of(slow, len(a)),
                              processes_b=processes_of(fast, len(b)))  # fmt: skip
    rows = ((slow["backend"], slow["mode"]), (fast["backend"], fast["mode"]))
    return interval, spread.of(slow["workload"], "step / own products", rows)


def fastest_per_round(rows: list[dict]) -> dict | None:
    """The fastest of rows timed in the same rounds, round by round: in each round the quickest of them
    (one that is fast in most rounds and twice as slow in a few is not the fastest in those); the one
    row when there is one, None when there is none."""
    if len(rows) < 2 or len({len(rounds_of(r) or []) for r in rows}) != 1 or not rounds_of(rows[0]):
        return rows[0] if rows else None
    each = np.min([rounds_of(r) for r in rows], axis=0)
    names = sorted({r["backend"] for r in rows})
    return {**rows[0], "backend": ", ".join(names), "mode": f"{rows[0]['mode']}, fastest in each round",
            "round_s": [float(v) for v in each], "median_s": float(np.median(each))}  # fmt: skip


def goal_key(text: str) -> str:
    """A goal without the row it picked ("fastest of ours (jax compiled-loop)"): the same goal in every run."""
    return re.sub(r" \([^)]*\)", "", text)


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
