"""The functions to look at first, from the verdicts of functions.py: the lowest failing functions whose
failure does not follow from another's first, then the rest, each naming what it follows from; and each
backend's progress per module of the course's API. The terminal, conformance.md and suspects.json show
them in the same order."""

from .alone import ALONE
from .functions import ACTIVATIONS, ARRAYS, BY_KEY, FUNCTIONS, MODULES, course_function
from .measure import OWNERS, section

FAILED = ("wrong", "raised")


def suspects(verdicts: list[dict]) -> list[dict]:
    """The functions to look at first, over the verdict rows of check_functions (any targets): each
    function that failed on its own account (none of the functions it calls failed on that target)
    first, lowest in the course's order first; then the ones that follow from another's failure, each
    naming it. One entry per function: where it failed (backend, mode, dtype) and its worst failure."""
    by_target: dict[tuple, dict[str, dict]] = {}
    for v in verdicts:  # a replay of a failing case (functions.Checker.replay) is a target of its own
        target = (v["backend"], v["mode"], v["dtype"], v["device"], v.get("case") or "")
        by_target.setdefault(target, {})[v["function"]] = v
    eager = {(t[0], t[2], t[3]): rows for t, rows in by_target.items() if t[1] == "eager" and not t[4]}
    found: dict[str, dict] = {}
    for target, rows in by_target.items():
        _own_raises(rows, target, eager.get((target[0], target[2], target[3]), {}))
        failed = {k for k, v in rows.items() if v["status"] in FAILED}
        # several activations' derivatives wrong at once (all but the one a lost activation became, say): they are
        # read through L_model_grads, which is the one to blame when it fails too; one activation's bug is its own
        derivatives = {a for a in ACTIVATIONS if a in failed and rows[a]["detail"].startswith("derivative")}
        blame_grads = len(derivatives) >= 2 and "L_model_grads" in failed
        for key in failed:
            below = callees(key)  # however deep: a callee can fail on inputs the functions between never saw
            causes = [
                c
                for c in (*below, *rows[key].get("via", ()), *ARRAYS)
                if c in failed
                and c != key
                and not (c in derivatives and "L_model_grads" not in {key, *below})
                and key not in rows[c].get("via", ())  # c's failure was seen through key: not key's cause
            ]  # a forward needs only the value
            if blame_grads and key in derivatives:
                causes.append("L_model_grads")
            elif blame_grads and key == "L_model_grads":
                causes = [c for c in causes if c not in derivatives]
            entry = found.setdefault(key, {"function": key, "follows_from": set(), "where": [], "worst": None})
            entry["follows_from"] |= set(causes)
            entry["where"].append(" ".join(target[:3]) + (f" on {target[4]}" if target[4] else ""))
            v = rows[key]
            if entry["worst"] is None or v["status"] == "raised" or _ratio(v) > _ratio(entry["worst"]):
                entry["worst"] = v
    order = {f.key: i for i, f in enumerate(FUNCTIONS)}
    out = []
    for key, entry in found.items():
        v = entry["worst"]
        out.append(
            {
                "function": key,
                "status": v["status"],
                "detail": v["detail"],
                "follows_from": sorted(set(entry["follows_from"]), key=order.__getitem__),
                "where": entry["where"],
                "backend": v["backend"],
                "mode": v["mode"],
                "dtype": v["dtype"],
            }
        )
    return sorted(out, key=lambda s: (bool(s["follows_from"]), order[s["function"]]))


def _own_raises(rows: dict[str, dict], target: tuple, own: dict[str, dict]) -> None:
    """A function that raised inside another course function (its verdict's via): whose raise is it? Where that
    one passes on its own, the caller's (what it passes it); where that one is not checked in this mode (compiled)
    and the caller raises only here, the inner one's. `own`: the eager verdicts of the same backend and dtype."""
    for key, v in list(rows.items()):
        inner = next(iter(v.get("via") or ()), None) if v["status"] == "raised" else None
        if not inner or inner not in BY_KEY or rows.get(inner, {}).get("status") in FAILED:
            continue
        if rows.get(inner, {}).get("detail") == ALONE:  # compiled by itself it runs: how the caller compiles it
            rows[key] = {**v, "detail": f"{v['detail']} (inside {inner}, which {ALONE}: look at how {key} compiles it)"}
        elif inner in rows or own.get(key, {}).get("status") == "raised":  # it passes on its own (here, or
            # unchecked in this mode while the caller raises eagerly too): what the caller passes it is to blame
            rows[key] = {
                **v,
                "detail": f"{v['detail']} (inside {inner}, which passes on its own: look at what {key} passes it)",
            }
        else:  # only in this mode (compiled), and not checked in it on its own: the function that raised
            rows[inner] = {
                **v,
                "function": inner,
                "via": (),
                "detail": f"{v['detail']} (in {target[1]} mode, called from {key})",
            }


def callees(key: str) -> tuple[str, ...]:
    """Every course function `key` calls, directly or through another, in the course's order."""
    found, todo = set(), list(BY_KEY[key].calls)
    while todo:
        c = todo.pop()
        if c not in found:
            found.add(c)
            todo += BY_KEY[c].calls
    return tuple(f.key for f in FUNCTIONS if f.key in found)


def of_run(functions: list[dict], frame=None, raised: list[dict] = (), judge: list[dict] = ()) -> list[dict]:
    """A run's suspects, never none when it failed: the function checks' and replays' (suspects()); when none
    of them failed, each part of the matrix that failed or raised, as the course function that computes it (a
    raise: the innermost course function in the port's traceback; a row of --workers: the data-parallel
    function); else the functions not written yet. Where the reference disagreed with the course's own numbers
    (reference.py), its function comes first and every other suspect follows from it: the judge was wrong."""
    wrong = list({j["function"]: j for j in reversed(judge) if j["status"] == "wrong"}.values())[::-1]  # one each
    if wrong:
        first = [
            {
                "function": j["function"],
                "status": "wrong",
                "detail": f"{j['detail']} (the reference is the judge: every framework is compared with it)",
                "follows_from": [],
                "where": ["the reference"],
                "backend": "numpy",
                "mode": "eager",
                "dtype": "float64",
            }
            for j in wrong
        ]
        rest = of_run(functions, frame, raised)
        return first + [{**s, "follows_from": [*s["follows_from"], wrong[0]["function"]]} for s in rest]
    found = suspects(functions)
    if not found:  # a stub the matrix ran into is said better by the function checks' stubs, in the course's order
        found = from_matrix(frame, [r for r in raised if r["status"] != "not written yet"])
    if not found:
        order = {f.key: i for i, f in enumerate(FUNCTIONS)}
        stubs = sorted(
            {v["function"]: v for v in functions if v["status"] == "not written yet"}.items(),
            key=lambda kv: order[kv[0]],
        )
        found = [
            {
                "function": k,
                "status": v["status"],
                "follows_from": [],
                "detail": "write it first" + (f"; {len(stubs) - 1} more after it" if len(stubs) > 1 else ""),
                "where": [" ".join((v["backend"], v["mode"], v["dtype"]))],
                "backend": v["backend"],
                "mode": v["mode"],
                "dtype": v["dtype"],
            }
            for k, v in stubs[:1]
        ]
    return found or from_matrix(frame, raised)


def from_matrix(frame, raised: list[dict] = ()) -> list[dict]:
    """The course functions that computed what failed in the matrix, lowest in the course's order first."""
    found: dict[str, dict] = {}

    def add(key: str, r: dict, status: str, detail: str) -> None:
        entry = found.setdefault(
            key,
            {
                "function": key,
                "status": status,
                "detail": detail,
                "follows_from": [],
                "where": [],
                "backend": r["backend"],
                "mode": r["mode"],
                "dtype": r["dtype"],
            },
        )
        where = f"{r['backend']} {r['mode']} {r['dtype']} on {r['model']}"
        if where not in entry["where"]:
            entry["where"].append(where)

    def owner(part: str, model: str) -> str:
        return OWNERS[part][model.startswith("logistic")]

    for r in raised:
        inner = [
            k for f in reversed(r.get("frames") or []) if not f[0].endswith("arrays.py") and (k := course_function(*f))
        ]
        add(
            inner[0] if inner else owner(r["section"], r["model"]),
            r,
            r["status"],
            f"{r['detail']} (the matrix's {r['section']} on {r['model']})",
        )
    if frame is not None and len(frame):
        for r in frame[~frame["passed"]].to_dict("records"):
            key, detail = _failed_row(r)
            add(key or owner(section(r["quantity"]), r["model"]), r, "wrong", detail)
    order = {f.key: i for i, f in enumerate(FUNCTIONS)} | {k: len(FUNCTIONS) + i for i, k in enumerate(PARALLEL)}
    return sorted(found.values(), key=lambda s: order[s["function"]])


def _failed_row(r: dict) -> tuple[str | None, str]:
    """(the function a failed row of the matrix is blamed on, None for the course function that computes it; what
    failed). A row of `quartet check --workers N` (its mode "N workers, ...") is the data-parallel code's: such a
    run checks none of the single-process functions, and they pass the quick check."""
    if r["quantity"] == "predictions":
        what = f"{int(r['max_abs_err'])} labels differ"
    elif not r["in_dtype"]:
        what = f"not {r['dtype']} numbers"
    else:
        what = f"{r['max_rel_err']:.2e} > {r['tolerance']:.2e}"
    if " worker" in str(r["mode"]):
        return PARALLEL[1] if "@" in r["quantity"] else PARALLEL[0], (
            f"the data-parallel {r['quantity']} on {r['model']} ({r['mode']}): {what}; look first at the port's "
            "parallel.py (how it splits the columns, weighs each share, sums the gradients and cost)"
        )
    against = "" if r["against"] == "numpy/float64" else f" against {r['against']}"
    return None, f"the matrix's {r['quantity']} on {r['model']}{against}: {what}"


# the data-parallel API of the reference (reference_numpy/parallel.py) a --workers failure is blamed on: the
# gradients of the shards summed, and the training built on them
PARALLEL = ("data_parallel_grads", "data_parallel_L_layer_model")


def _ratio(v: dict) -> float:
    return v["max_rel_err"] / v["tolerance"] if v["tolerance"] else float("inf")


def progress(verdicts: list[dict]) -> dict[str, dict[str, int]]:
    """Per module of the course's API, over the verdict rows of one backend: how many functions it has (those
    the check has rows of: the built-in three have no sync), how many are stubs, how many could not be checked
    yet (they need a stub), and how many are green on every target that checked them."""
    out: dict[str, dict[str, int]] = {}
    for module in MODULES:
        rows = [v for v in verdicts if BY_KEY[v["function"]].module == module]
        keys = [f.key for f in FUNCTIONS if f.module == module and any(v["function"] == f.key for v in rows)]
        stubs = {v["function"] for v in rows if v["status"] == "not written yet"}
        waiting = {v["function"] for v in rows if v["status"] == "not checked"} - stubs
        green = {
            k
            for k in keys
            if any(v["function"] == k for v in rows) and all(v["status"] == "green" for v in rows if v["function"] == k)
        }
        out[module] = {"functions": len(keys), "stubs": len(stubs), "waiting": len(waiting), "green": len(green)}
    return out


def judge_lines(judge: list[dict]) -> list[str]:
    """The judge's own line, then each of its rows that is not green."""
    if not judge:
        return []
    green = sum(j["status"] == "green" for j in judge)
    lines = [f"the reference (the judge) against the course's printed numbers: {green} of {len(judge)} agree"]
    return lines + [f"reference {j['function']}: {j['status']}: {j['detail']}" for j in judge if j["status"] != "green"]


def suspect_lines(found: list[dict]) -> list[str]:
    """The suspects as numbered lines, the same in the terminal and in conformance.md."""
    lines = []
    for i, s in enumerate(found, start=1):
        where = ", ".join(s["where"][:3]) + (f" and {len(s['where']) - 3} more" if len(s["where"]) > 3 else "")
        if s["follows_from"]:
            lines.append(f"{i}. {s['function']} ({where}): follows from {' and '.join(s['follows_from'])}")
        else:
            lines.append(f"{i}. {s['function']} ({where}): {s['status']}: {s['detail']}")
    return lines


def progress_lines(verdicts: list[dict]) -> list[str]:
    """Per backend, how far its port is: "logistic: 5 of 5 green; deep: 9 of 14 written, 8 green"."""
    lines = []
    for backend in dict.fromkeys(v["backend"] for v in verdicts):
        parts = []
        for module, n in progress([v for v in verdicts if v["backend"] == backend]).items():
            if not n["functions"]:
                continue  # none of this module was checked (--function, or a backend without a boundary)
            written = n["functions"] - n["stubs"]  # written, checked or not (one waits for a stub it calls)
            text = f"{module}: " + (
                f"{n['green']} of {n['functions']} green"
                if written == n["functions"]
                else f"{written} of {n['functions']} written, {n['green']} green"
            )
            parts.append(text + (f", {n['waiting']} not checked yet" if n["waiting"] else ""))
        lines.append(f"{backend}: {'; '.join(parts)}")
    return lines
