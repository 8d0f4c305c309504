"""The speed goals a benchmark run is judged by, each with what the run measured: the median of its
per-round values with a bootstrap 95 % interval, widened by this machine's spread between runs where
there is one (between.py), and a verdict: met, missed or within noise."""

import json
import re

import numpy as np
import pandas as pd

from .between import Spread, widen
from .roofline import round_fractions
from .timing import ratio_interval, verdict


def label(row) -> str:
    return f"{row['backend']} {row['mode']}"


def goals(frame: pd.DataFrame, spread: Spread | None = None) -> list[dict]:
    """The speed goals, each with what this run measured: the median of its per-round values (a ratio of
    two rows timed in the same round, or a fraction of that round's roofline) with a bootstrap 95 %
    interval, widened by this machine's spread between runs when there is one (between.py), and a
    verdict: met (the whole interval clears the target), missed (wholly below) or within noise. A Keras
    row ran in its own process: its ratios are unpaired (ratio_interval)."""
    spread = spread or Spread("", [], {}, {})
    ok = frame[(frame["status"] == "ok") & frame["median_s"].notna()]

    def best(workload: str, dtype: str, backends: tuple[str, ...] | None = None, mode: str | None = None):
        """The fastest matching row (by its median), or None."""
        sel = ok[(ok["workload"] == workload) & (ok["dtype"] == dtype)]
        if backends is not None:
            sel = sel[sel["backend"].isin(backends)]
        sel = sel[sel["mode"] == mode] if mode is not None else sel[sel["mode"] != "products alone"]  # a bound
        return None if sel.empty else sel.loc[sel["median_s"].astype(float).idxmin()].to_dict()

    out = []

    def goal(text: str, target: float, unit: str, found: tuple | None, at_most: bool = False) -> None:
        """found: (this run's interval, the between-run sigma of its workload and rows), or None; the
        interval is widened by that sigma or the goal's own between runs, whichever is larger."""
        shown = (lambda v: f"{100 * v:.0f}%") if unit == "%" else (lambda v: f"{v:.2f}x")
        if found is None:
            measured, met, value = "not measured", "?", None
        else:
            interval, sigma = found
            centre, low, high = widen(interval, max(sigma, spread.by_goal.get(text, 0.0)))
            measured, met = f"{shown(centre)} [{shown(low)}, {shown(high)}]", verdict(low, high, target, at_most)
            value = centre
        out.append({"goal": text, "target": ("at most " if at_most else "") + shown(target),
                    "measured (95% interval)": measured, "verdict": met, "value": value})  # fmt: skip

    def fraction(row) -> tuple | None:
        if row is None:
            return None
        values = (
            round_fractions(row)
            if rounds_of(row) and rounds_of(row, "round_gemm_gflops")
            else [row["roofline_fraction"]]
        )
        interval = ratio_interval(values, [1.0] * len(values), processes=processes_of(row, len(values)))
        return interval, spread.of(row["workload"], "fraction of roofline", ((row["backend"], row["mode"]),))

    def ratio(slow, fast) -> tuple | None:
        """slow / fast: how many times faster `fast` is, round by round where both ran in the same rounds."""
        if slow is None or fast is None:
            return None
        a, b = rounds_of(slow) or [slow["median_s"]], rounds_of(fast) or [fast["median_s"]]
        paired = (
            not slow["backend"].startswith("keras/") and not fast["backend"].startswith("keras/") and len(a) == len(b)
        )
        interval = ratio_interval(a, b, paired=paired, processes=processes_of(slow, len(a)),
                                  processes_b=processes_of(fast, len(b)))  # fmt: skip
        rows = ((slow["backend"], slow["mode"]), (fast["backend"], fast["mode"]))
        return interval, spread.of(slow["workload"], "step / own products", rows)

    ours = ("numpy", "torch", "jax", "tf")
    for name in ("torch", "jax", "tf"):
        goal(f"wide, float32: {name} compiled, fraction of roofline", 0.85, "%",
             fraction(best("wide", "float32", (name,), "compiled")))  # fmt: skip
    goal(
        "wide, float32: NumPy reference, fraction of roofline", 0.70, "%", fraction(best("wide", "float32", ("numpy",)))
    )
    fastest = best("course_deep", "float32", ours)
    own = None if fastest is None else best("course_deep", "float32", (fastest["backend"],), "products alone")
    goal(f"course deep, float32: fastest of ours ({'' if fastest is None else label(fastest)}) / its own matrix "
         "products alone", 1.10, "x", ratio(fastest, own), at_most=True)  # fmt: skip
    # like with like: a peer's per-call step (train_on_batch, partial_fit, optim.SGD) against our fastest
    # per-call step, not against a whole compiled loop
    per_step = ok[(ok["workload"] == "course_deep") & (ok["dtype"] == "float32") & ok["backend"].isin(ours)
                  & ~ok["mode"].isin(["compiled-loop", "products alone"])]  # fmt: skip
    step = None if per_step.empty else per_step.loc[per_step["median_s"].astype(float).idxmin()].to_dict()
    for peer in ("keras/tensorflow", "keras/jax", "keras/torch", "torch.nn", "sklearn"):
        row = best("course_deep", "float32", (peer,))
        if row is not None:
            goal(f"course deep, float32: {peer} step / our fastest step ({label(step) if step else ''})", 1.0, "x",
                 ratio(row, step))  # fmt: skip
    loops = ok[(ok["workload"] == "course_deep") & (ok["dtype"] == "float32")]
    keras_loop, our_loop = loops[loops["mode"] == "fit loop"], loops[loops["mode"] == "compiled-loop"]
    if len(keras_loop) and len(our_loop):  # whole loops against whole loops
        fastest_fit = keras_loop.loc[keras_loop["median_s"].astype(float).idxmin()].to_dict()
        fastest_loop = our_loop.loc[our_loop["median_s"].astype(float).idxmin()].to_dict()
        goal(f"course deep, float32: {fastest_fit['backend']} fit loop step / our fastest compiled loop step "
             f"({label(fastest_loop)})", 1.0, "x", ratio(fastest_fit, fastest_loop))  # fmt: skip
    goal("course deep, float64: scikit-learn MLPClassifier step / NumPy reference step", 2.0, "x",
         ratio(best("course_deep", "float64", ("sklearn",)), best("course_deep", "float64", ("numpy",))))  # fmt: skip
    loops = ok[(ok["workload"] == "planar") & (ok["dtype"] == "float32") & (ok["mode"] == "compiled-loop")]
    fastest = fastest_per_round(loops.to_dict("records"))
    goal(f"planar, float32: NumPy reference step / fastest compiled training loop's amortised step "
         f"({'' if fastest is None else label(fastest)})", 5.0, "x",
         ratio(best("planar", "float32", ("numpy",)), fastest))  # fmt: skip
    return out


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
