"""The speed goals a benchmark run is judged by (goals.toml: each with the date it was set and why), each
with what the run measured: the median of its per-round values with a bootstrap 95 % interval, widened by
this machine's spread between runs where there is one (between.py), and a verdict: met, missed or within
noise. A goal's earlier definitions and the retired goals are computed beside them and judge nothing."""

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.registry import COURSE, PEER_NAMES
from .between import Spread, widen
from .merge import BOUNDS, bound_mode
from .paired import fastest_per_round, fraction, label, processes_of, ratio, rounds_of
from .timing import verdict

OURS = COURSE
FILE = Path(__file__).with_name("goals.toml")
__all__ = ["fastest_per_round", "fraction", "label", "processes_of", "ratio", "rounds_of"]
BESIDE = "Earlier definitions and retired goals, computed beside the goals (they judge nothing)"


@dataclass(frozen=True)
class Rows:
    """Which rows of a run a goal compares: those of `backends` (None: any) in `modes` (None: any but a
    bound), without `not_modes`; the fastest of them by median, or with `per_round` the fastest in each
    round. `own_bound` picks the bound of the row the goal's other side picked (bound_mode; with
    `per_call`, its products one call per step whatever its mode)."""

    backends: tuple[str, ...] | None = None
    modes: tuple[str, ...] | None = None
    not_modes: tuple[str, ...] = ()
    per_round: bool = False
    own_bound: bool = False
    per_call: bool = False


@dataclass(frozen=True)
class Goal:
    """A speed goal: on `workload` in `dtype` ("*": each the run has), a fraction of the roofline (kind
    "fraction", of `rows`) or a ratio (kind "ratio", `rows`' step over `over`'s: how many times faster
    `over` is), met when its interval clears `target` (from below, or with `at_most` from above); with
    `each`, one goal per row `rows` picks. `text` names what it picked where it says {workload}, {dtype},
    {rows}, {backend}, {mode} (of rows) and {over}. An `optional` goal is left out of a run without its
    rows. `set`: the date it was set; `earlier`: (the goal as it was, the date it changed, why);
    `retired`: the date it stopped judging, with `retired_why`."""

    text: str
    workload: str
    dtype: str
    kind: str
    target: float
    rows: Rows
    over: Rows | None = None
    at_most: bool = False
    optional: bool = False
    each: bool = False
    name: str = ""  # a goal with `each`: what its goals together say
    set: str = ""
    why: str = ""
    retired: str = ""
    retired_why: str = ""
    earlier: tuple = ()


NAMED = {"ours": OURS, "peers": PEER_NAMES}  # backends = ["ours"] in goals.toml: every one of ours


def _rows(data: dict | None) -> Rows | None:
    if data is None:
        return None
    found = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    if "backends" in found:
        found["backends"] = tuple(n for name in found["backends"] for n in NAMED.get(name, (name,)))
    return Rows(**found)


def load(path: Path = FILE) -> tuple[Goal, ...]:
    """The goals of goals.toml, each with its earlier definitions."""
    found = []
    for entry in tomllib.loads(path.read_text())["goal"]:
        entry = dict(entry)
        earlier = entry.pop("earlier", [])
        goal = Goal(**{**entry, "rows": _rows(entry["rows"]), "over": _rows(entry.get("over"))})
        before = []
        for change in earlier:
            change = dict(change)
            changed, why = change.pop("changed"), change.pop("why")
            fields = {k: _rows(v) if k in ("rows", "over") else v for k, v in change.items()}
            before.append((dataclasses.replace(goal, **fields, earlier=()), changed, why))
        found.append(dataclasses.replace(goal, earlier=tuple(before)))
    return tuple(found)


GOALS = load()


class Finished:
    """A run's finished rows, grouped once by workload and dtype: every goal picks its rows from one group
    (filtering the whole table again for each of a page's thousands of picks took most of its seconds)."""

    def __init__(self, ok: pd.DataFrame):
        self.places = {key: rows for key, rows in ok.groupby(["workload", "dtype"], sort=False)}
        self.none = ok.iloc[:0]
        self.selected: dict[tuple, pd.DataFrame] = {}  # select()'s, by workload, dtype and rows

    def at(self, workload: str, dtype: str) -> pd.DataFrame:
        return self.places.get((workload, dtype), self.none)


def select(ok: Finished, workload: str, dtype: str, rows: Rows) -> pd.DataFrame:
    """The finished rows of `workload` in `dtype` that `rows` names (before picking the fastest)."""
    key = (workload, dtype, rows)
    if key not in ok.selected:  # many goals name the same rows
        sel = ok.at(workload, dtype)
        keep = sel["mode"].isin(rows.modes) if rows.modes is not None else ~sel["mode"].isin(BOUNDS)
        if rows.backends is not None:
            keep &= sel["backend"].isin(rows.backends)
        ok.selected[key] = sel[keep & ~sel["mode"].isin(rows.not_modes)]
    return ok.selected[key]


def pick(ok: Finished, goal: Goal, rows: Rows, other: dict | None = None) -> dict | None:
    """The row `rows` picks from the run's finished rows `ok` for `goal`, or None."""
    if rows.own_bound:
        if other is None or other["backend"] not in OURS:
            return None
        mode = BOUNDS[0] if rows.per_call else bound_mode(other["mode"])
        return pick(ok, goal, Rows((other["backend"],), (mode,)))
    sel = select(ok, goal.workload, goal.dtype, rows)
    if rows.per_round:
        return fastest_per_round(sel.to_dict("records"))
    return None if sel.empty else sel.loc[sel["median_s"].astype(float).idxmin()].to_dict()


def instances(goal: Goal, ok: Finished) -> list[Goal]:
    """The goal on each workload and dtype it names ("*": each the run has rows of), and with `each` once
    per row its `rows` pick there (a goal of exactly that row)."""
    places = [(w, d) for w, d in ok.places if goal.workload in ("*", w) and goal.dtype in ("*", d)]
    if goal.workload != "*" and goal.dtype != "*" and not places:
        places = [(goal.workload, goal.dtype)]  # a named goal the run has no rows for: "not measured"
    found = []
    for workload, dtype in places:
        here = dataclasses.replace(goal, workload=workload, dtype=dtype)
        if not goal.each:
            found.append(here)
            continue
        for backend, mode in select(ok, workload, dtype, goal.rows)[["backend", "mode"]].drop_duplicates().values:
            found.append(
                dataclasses.replace(here, rows=dataclasses.replace(goal.rows, backends=(backend,), modes=(mode,)))
            )
    return found


def goals(frame: pd.DataFrame, spread: Spread | None = None) -> list[dict]:
    """Each goal of goals.toml with what this run measured: the median of its per-round values (a ratio of
    two rows timed in the same round, or a fraction of that round's roofline) with a bootstrap 95 %
    interval, widened by this machine's spread between runs when there is one (between.py), and a verdict:
    met (the whole interval clears the target), missed (wholly below) or within noise. Each also as it was
    before each change (status "earlier definition") and the retired ones (status "retired"). A Keras row is
    timed by its worker in the same rounds as ours: its ratios are paired too (ratio_interval)."""
    spread = spread or Spread("", [], {}, {})
    ok = Finished(frame[(frame["status"] == "ok") & frame["median_s"].notna()])
    out = []
    for goal in GOALS:
        status = "retired" if goal.retired else "goal"
        for each in instances(goal, ok):
            out += _measured(each, ok, spread, status, goal.retired or goal.set)
        for before, changed, _ in goal.earlier:
            for each in instances(before, ok):
                out += _measured(each, ok, spread, "earlier definition", changed)
    return out


def _measured(goal: Goal, ok: Finished, spread: Spread, status: str, date: str) -> list[dict]:
    """The goal as this run measured it: a row of the goals' table, or none (an optional goal, or a goal on
    every workload, whose rows this run does not have)."""
    row = pick(ok, goal, goal.rows)
    over = pick(ok, goal, goal.over, row) if goal.over else None
    if row is None and (goal.optional or goal.each):
        return []
    named = (
        {"rows": label(row), "backend": row["backend"], "mode": row["mode"]}
        if row is not None
        else dict.fromkeys(("rows", "backend", "mode"), "")
    )
    text = goal.text.format(
        workload=goal.workload.replace("_", " "), dtype=goal.dtype, over="" if over is None else label(over), **named
    )
    found = fraction(row, spread) if goal.kind == "fraction" else ratio(row, over, spread)
    shown = (lambda v: f"{100 * v:.0f}%") if goal.kind == "fraction" else (lambda v: f"{v:.2f}x")
    if found is None:
        measured, met, value = "not measured", "?", None
    else:  # widened by the between-run sigma of its rows or of the goal itself, whichever is larger
        interval, sigma = found
        centre, low, high = widen(interval, max(sigma, spread.by_goal.get(text, 0.0)))
        measured = f"{shown(centre)} [{shown(low)}, {shown(high)}]"
        met, value = verdict(low, high, goal.target, goal.at_most), centre
    return [
        {
            "goal": text,
            "target": ("at most " if goal.at_most else "") + shown(goal.target),
            "measured (95% interval)": measured,
            "verdict": met,
            "value": value,
            "status": status,
            "since": date,
            "family": goal.name or goal.text,
        }
    ]


def sections(found: list[dict]) -> list[tuple[str, str, pd.DataFrame]]:
    """The goals a run measured (goals()) as a page shows them: (title, why, table) for each goal of
    goals.toml with `each`, its title counting its verdicts and its table holding the goals not met (the
    farthest from the target first); one table of the single goals; one of the earlier definitions and
    the retired goals, beside them, judging nothing."""
    columns = ["goal", "target", "measured (95% interval)", "verdict"]
    frame = pd.DataFrame(found, columns=[*columns, "value", "status", "since", "family"])
    current = frame[frame["status"] == "goal"]
    out, singles = [], []
    for goal in GOALS:
        rows = current[current["family"] == (goal.name or goal.text)]
        if goal.retired or rows.empty:
            continue
        if not goal.each:
            singles.append(rows)
            continue
        counts = rows["verdict"].value_counts()
        title = (
            f"{goal.name} (set {goal.set}): {counts.get('met', 0)} of {len(rows)} met, "
            f"{counts.get('within noise', 0)} within noise, {counts.get('missed', 0)} missed"
        )
        left = rows[rows["verdict"] != "met"]
        left = left.assign(far=left["value"].astype(float) * (1 if goal.at_most else -1)).sort_values(
            "far", ascending=False
        )
        out.append((title, " ".join(goal.why.split()), left[columns]))
    if singles:
        rows = pd.concat(singles)
        out.append(("Single goals", "", rows.assign(since=rows["since"])[[*columns, "since"]]))
    beside = frame[frame["status"] != "goal"]
    if len(beside):
        why = {(g.name or g.text, g.retired): g.retired_why for g in GOALS if g.retired}
        why |= {(g.name or g.text, changed): w for g in GOALS for _, changed, w in g.earlier}
        beside = beside.assign(
            why=[" ".join(why.get(k, "").split()) for k in zip(beside["family"], beside["since"], strict=True)]
        )
        out.append((BESIDE, "", beside[["status", "since", *columns, "why"]]))
    return out


def goal_key(text: str) -> str:
    """A goal without the row it picked ("fastest of ours (jax compiled-loop)"): the same goal in every run."""
    return re.sub(r" \([^)]*\)", "", text)


def decided(found: list[dict]) -> str:
    """ "decided N of M (K %)": the goals of goals.toml this run measured that got a verdict (met or missed),
    not within noise; with the extra rounds that bought them (rows' extra_rounds) said by the caller."""
    current = [g for g in found if g["status"] == "goal" and g["verdict"] in ("met", "missed", "within noise")]
    done = sum(g["verdict"] != "within noise" for g in current)
    share = f" ({100 * done / len(current):.0f} %)" if current else ""
    return f"decided {done} of {len(current)}{share}"
