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

import pandas as pd

from ..run.files import frame_markdown
from .between import Spread
from .between import load as load_spread
from .goals import goal_key, goals, processes_of, rounds_of
from .roofline import round_fractions
from .timing import ratio_interval


def row_ratios(frame: pd.DataFrame, spread: Spread | None = None) -> dict[tuple, tuple[float, float, float]]:
    """(workload, backend, mode, dtype, what) -> (median, low, high) for each row's fraction of the
    roofline and its step over its own library's products alone, from its per-round values (and, given a
    spread, widened by it)."""
    spread = spread or Spread("", [], {}, {})
    ok = frame[(frame["status"] == "ok") & frame["median_s"].notna()]
    products = {(r["workload"], r["backend"], r["dtype"]): r for r in ok.to_dict("records")
                if r["mode"] == "products alone"}  # fmt: skip
    out = {}
    for r in ok.to_dict("records"):
        rounds = rounds_of(r)
        if not rounds or not rounds_of(r, "round_gemm_gflops"):
            continue
        key = (r["workload"], r["backend"], r["mode"], r["dtype"])
        r = {**r, "round_s": rounds, "round_gemm_gflops": rounds_of(r, "round_gemm_gflops")}
        fractions = round_fractions(r)
        processes = processes_of(r, len(rounds))
        kind = "fraction of roofline"
        out[(*key, kind)] = spread.widen(ratio_interval(fractions, [1.0] * len(fractions), processes=processes),
                                         r["workload"], kind, ((r["backend"], r["mode"]),))  # fmt: skip
        own = products.get((r["workload"], r["backend"], r["dtype"]))
        if own is not None and r["mode"] != "products alone" and rounds_of(own) and len(rounds_of(own)) == len(rounds):
            kind = "step / own products"
            rows = ((r["backend"], r["mode"]), (r["backend"], "products alone"))
            out[(*key, kind)] = spread.widen(ratio_interval(rounds, rounds_of(own), processes=processes),
                                             r["workload"], kind, rows)  # fmt: skip
    return out


def _interval(text: str) -> tuple[float, float, float] | None:
    """'61% [55%, 66%]' or '1.20x [1.10x, 1.31x]' -> (0.61, 0.55, 0.66) or (1.2, 1.1, 1.31)."""
    numbers = [float(v) / (100 if unit == "%" else 1) for v, unit in re.findall(r"([\d.]+)(%|x)", text)]
    return tuple(numbers[:3]) if len(numbers) >= 3 else None


def agree(frame_a: pd.DataFrame, frame_b: pd.DataFrame, spread: Spread | None = None) -> pd.DataFrame:
    """One row per goal and per ratio present in both runs: each run's value [interval], whether the
    intervals overlap, and for goals whether the verdicts are the same."""
    rows = []
    goals_a = {goal_key(g["goal"]): g for g in goals(frame_a, spread)}
    for g_b in goals(frame_b, spread):
        g_a = goals_a.get(goal_key(g_b["goal"]))
        if g_a is None:
            continue
        ia, ib = _interval(g_a["measured (95% interval)"]), _interval(g_b["measured (95% interval)"])
        # a goal that picked other rows in the other run (its fastest of ours) measured another ratio there
        overlap = bool(ia and ib and ia[1] <= ib[2] and ib[1] <= ia[2]) if g_a["goal"] == g_b["goal"] else None
        measured = "measured (95% interval)"
        what = g_b["goal"] if overlap is not None else f"{g_a['goal']}; in run 2: {g_b['goal']}"
        rows.append({"kind": "goal", "what": what, "run 1": f"{g_a[measured]}: {g_a['verdict']}",
                     "run 2": f"{g_b[measured]}: {g_b['verdict']}", "overlap": overlap,
                     "same verdict": g_a["verdict"] == g_b["verdict"]})  # fmt: skip
    ratios_a = row_ratios(frame_a, spread)
    for key, (cb, lb, hb) in row_ratios(frame_b, spread).items():
        if key not in ratios_a:
            continue
        ca, la, ha = ratios_a[key]
        shown = (lambda c, lo, hi: f"{100 * c:.0f}% [{100 * lo:.0f}%, {100 * hi:.0f}%]") if key[-1].startswith(
            "fraction") else (lambda c, lo, hi: f"{c:.2f}x [{lo:.2f}x, {hi:.2f}x]")  # fmt: skip
        rows.append({"kind": key[-1], "what": " ".join(key[:4]), "run 1": shown(ca, la, ha), "run 2": shown(cb, lb, hb),
                     "overlap": la <= hb and lb <= ha, "same verdict": None})  # fmt: skip
    return pd.DataFrame(rows, columns=["kind", "what", "run 1", "run 2", "overlap", "same verdict"])


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
    parser.add_argument("--between-runs", type=Path, metavar="FILE",
                        help="a spread between runs, as between.py writes it: every interval carries it")  # fmt: skip
    args = parser.parse_args(argv)
    for path in [*args.runs, *([args.between_runs] if args.between_runs else [])]:
        if not path.is_file():
            parser.error(f"{path}: no such file")
    spread = load_spread(args.between_runs) if args.between_runs else None
    table = agree(load(args.runs[0]), load(args.runs[1]), spread)
    goals_ = table[table["kind"] == "goal"]
    same, overlap = int(goals_["same verdict"].sum()), int((table["overlap"] == True).sum())  # noqa: E712
    compared = int(table["overlap"].notna().sum())
    other = f" ({len(table) - compared} goals picked other rows in each run)" if compared < len(table) else ""
    print(f"{same} of {len(goals_)} goals with the same verdict; {overlap} of {compared} intervals overlap{other}\n")

    print(frame_markdown(table))
    return 0 if same == len(goals_) and overlap == compared else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
