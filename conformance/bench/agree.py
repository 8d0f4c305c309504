"""Do two benchmark runs agree? Every goal's verdict, and every ratio a table reports (each row's
fraction of the roofline, its step over its own library's products alone, each goal's measured value),
with its bootstrap 95 % interval in each run: the verdicts must be the same and the intervals must
overlap. With --between-runs FILE, every interval of both runs also carries the spread between runs
that FILE measured (between.py).

    python -m conformance.bench.agree RUN_A/bench.json RUN_B/bench.json [--between-runs FILE]
"""

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ..run.files import frame_markdown
from .between import Spread
from .between import load as load_spread
from .goals import goal_key, goals, processes_of, rounds_of
from .merge import BOUNDS, bound_mode
from .roofline import ROUND_INPUTS, round_fractions
from .timing import ratio_interval


def row_ratios(frame: pd.DataFrame, spread: Spread | None = None) -> dict[tuple, tuple[float, float, float]]:
    """(workload, backend, mode, dtype, what) -> (median, low, high) for each row's fraction of the
    roofline and its step over its bound (its own library's products run the way it runs), from its
    per-round values (and, given a spread, widened by it)."""
    spread = spread or Spread("", [], {}, {})
    ok = frame[(frame["status"] == "ok") & frame["median_s"].notna()]
    bounds = {
        (r["workload"], r["backend"], r["mode"], r["dtype"]): r for r in ok.to_dict("records") if r["mode"] in BOUNDS
    }
    out = {}
    for r in ok.to_dict("records"):
        rounds = rounds_of(r)
        if not rounds or not rounds_of(r, "round_gemm_gflops"):
            continue
        key = (r["workload"], r["backend"], r["mode"], r["dtype"])
        r = {**r, "round_s": rounds, "round_gemm_gflops": rounds_of(r, "round_gemm_gflops")}
        fractions = round_fractions(*(r[k] for k in ROUND_INPUTS))
        processes = processes_of(r, len(rounds))
        kind = "fraction of roofline"
        out[(*key, kind)] = spread.widen(
            ratio_interval(fractions, [1.0] * len(fractions), processes=processes),
            r["workload"],
            kind,
            ((r["backend"], r["mode"]),),
        )
        own = bounds.get((r["workload"], r["backend"], bound_mode(r["mode"]), r["dtype"]))
        if own is not None and r["mode"] not in BOUNDS and rounds_of(own) and len(rounds_of(own)) == len(rounds):
            kind = "step / own products"
            rows = ((r["backend"], r["mode"]), (r["backend"], own["mode"]))
            out[(*key, kind)] = spread.widen(
                ratio_interval(rounds, rounds_of(own), processes=processes), r["workload"], kind, rows
            )
    return out


def _interval(text: str) -> tuple[float, float, float] | None:
    """'61% [55%, 66%]' or '1.20x [1.10x, 1.31x]' -> (0.61, 0.55, 0.66) or (1.2, 1.1, 1.31)."""
    numbers = [float(v) / (100 if unit == "%" else 1) for v, unit in re.findall(r"([\d.]+)(%|x)", text)]
    return tuple(numbers[:3]) if len(numbers) >= 3 else None


def agree(frame_a: pd.DataFrame, frame_b: pd.DataFrame, spread: Spread | None = None) -> pd.DataFrame:
    """One row per goal and per ratio present in both runs: each run's value [interval], whether the
    intervals overlap, and for goals whether the verdicts are the same."""
    rows = []
    goals_a = {(g["status"], goal_key(g["goal"])): g for g in goals(frame_a, spread)}
    for g_b in goals(frame_b, spread):
        g_a = goals_a.get((g_b["status"], goal_key(g_b["goal"])))
        if g_a is None:
            continue
        ia, ib = _interval(g_a["measured (95% interval)"]), _interval(g_b["measured (95% interval)"])
        # a goal that picked other rows in the other run (its fastest of ours) measured another ratio there
        same_rows = g_a["goal"] == g_b["goal"] and ia is not None and ib is not None  # else: nothing to compare
        overlap = bool(ia[1] <= ib[2] and ib[1] <= ia[2]) if same_rows else None
        measured = "measured (95% interval)"
        what = g_b["goal"] if overlap is not None else f"{g_a['goal']}; in run 2: {g_b['goal']}"
        rows.append(
            {
                "kind": "goal" if g_b["status"] == "goal" else g_b["status"],
                "what": what,
                "run 1": f"{g_a[measured]}: {g_a['verdict']}",
                "run 2": f"{g_b[measured]}: {g_b['verdict']}",
                "overlap": overlap,
                "same verdict": g_a["verdict"] == g_b["verdict"],
                "shift": ib[0] / ia[0] if same_rows else None,
            }
        )
    ratios_a = row_ratios(frame_a, spread)
    for key, (cb, lb, hb) in row_ratios(frame_b, spread).items():
        if key not in ratios_a:
            continue
        ca, la, ha = ratios_a[key]
        shown = (
            (lambda c, lo, hi: f"{100 * c:.0f}% [{100 * lo:.0f}%, {100 * hi:.0f}%]")
            if key[-1].startswith("fraction")
            else (lambda c, lo, hi: f"{c:.2f}x [{lo:.2f}x, {hi:.2f}x]")
        )
        rows.append(
            {
                "kind": key[-1],
                "what": " ".join(key[:4]),
                "run 1": shown(ca, la, ha),
                "run 2": shown(cb, lb, hb),
                "overlap": la <= hb and lb <= ha,
                "same verdict": None,
                "shift": cb / ca,
            }
        )
    return pd.DataFrame(rows, columns=["kind", "what", "run 1", "run 2", "overlap", "same verdict", "shift"])


def summary(table: pd.DataFrame) -> str:
    """How far two runs agree: the goals with the same verdict, split into a real agreement (met or missed
    in both) and "within noise" in both (neither run could decide: no agreement about the goal); the
    intervals that overlap; and the median shift from run 1 to run 2 over every ratio both measured (a
    machine that moved between the runs moves them all)."""
    goals_ = table[table["kind"] == "goal"]
    both = goals_[goals_["same verdict"] == True]["run 2"].str.rsplit(": ", n=1).str[-1]  # noqa: E712
    decided = int(both.isin(["met", "missed"]).sum())
    undecided = int((both == "within noise").sum())
    unmeasured = len(both) - decided - undecided
    compared = table[table["overlap"].notna()]
    overlap = int((compared["overlap"] == True).sum())  # noqa: E712
    shifts = table["shift"].dropna().astype(float)
    shift = f"; median shift from run 1 to run 2 {100 * (float(np.median(shifts)) - 1):+.1f} %" if len(shifts) else ""
    other = len(table) - len(compared) - unmeasured
    return (
        f"{len(both)} of {len(goals_)} goals with the same verdict: {decided} decided alike (met or missed in "
        f"both), {undecided} within noise in both (neither run decided them)"
        + (f", {unmeasured} measured in neither" if unmeasured else "")
        + f"; {overlap} of {len(compared)} intervals overlap"
        + (f" ({other} goals picked other rows in each run)" if other else "")
        + shift
    )


def load(path: Path) -> pd.DataFrame:
    """A run's rows from its bench.json or bench.csv."""
    path = Path(path)
    if path.suffix == ".csv":
        frame = pd.read_csv(path)
        for column in [c for c in ("round_s", "round_gemm_gflops", "round_process") if c in frame]:  # JSON in CSV
            frame[column] = [json.loads(v) if isinstance(v, str) else v for v in frame[column]]
        return frame
    return pd.DataFrame(json.loads(path.read_text())["rows"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.bench.agree", description="Do two runs agree?")
    parser.add_argument("runs", nargs=2, type=Path, metavar="RUN", help="a run's bench.json or bench.csv")
    parser.add_argument(
        "--between-runs",
        type=Path,
        metavar="FILE",
        help="a spread between runs, as between.py writes it: every interval carries it",
    )
    args = parser.parse_args(argv)
    for path in [*args.runs, *([args.between_runs] if args.between_runs else [])]:
        if not path.is_file():
            parser.error(f"{path}: no such file")
    spread = load_spread(args.between_runs) if args.between_runs else None
    table = agree(load(args.runs[0]), load(args.runs[1]), spread)
    goals_ = table[table["kind"] == "goal"]
    same, overlap = int(goals_["same verdict"].sum()), int((table["overlap"] == True).sum())  # noqa: E712
    compared = int(table["overlap"].notna().sum())
    print(summary(table) + "\n")

    print(frame_markdown(table))
    return 0 if same == len(goals_) and overlap == compared else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
