"""The functions to look at first, from the verdicts of functions.py: the lowest failing functions whose
failure does not follow from another's first, then the rest, each naming what it follows from; and each
backend's progress per module of the course's API. The terminal, conformance.md and suspects.json show
them in the same order."""

from .functions import ACTIVATIONS, ARRAYS, BY_KEY, FUNCTIONS, MODULES

FAILED = ("wrong", "raised")


def suspects(verdicts: list[dict]) -> list[dict]:
    """The functions to look at first, over the verdict rows of check_functions (any targets): each
    function that failed on its own account (none of the functions it calls failed on that target)
    first, lowest in the course's order first; then the ones that follow from another's failure, each
    naming it. One entry per function: where it failed (backend, mode, dtype) and its worst failure."""
    by_target: dict[tuple, dict[str, dict]] = {}
    for v in verdicts:
        by_target.setdefault((v["backend"], v["mode"], v["dtype"], v["device"]), {})[v["function"]] = v
    found: dict[str, dict] = {}
    for target, rows in by_target.items():
        failed = {k for k, v in rows.items() if v["status"] in FAILED}
        # several activations' derivatives wrong at once (all but the one a lost activation became, say): they are
        # read through L_model_grads, which is the one to blame when it fails too; one activation's bug is its own
        derivatives = {a for a in ACTIVATIONS if a in failed and rows[a]["detail"].startswith("derivative")}
        blame_grads = len(derivatives) >= 2 and "L_model_grads" in failed
        for key in failed:
            causes = [
                c
                for c in (*BY_KEY[key].calls, *rows[key].get("via", ()), *ARRAYS)
                if c in failed and c != key and not (c in derivatives and key != "L_model_grads")
            ]  # a forward needs only the value
            if blame_grads and key in derivatives:
                causes.append("L_model_grads")
            elif blame_grads and key == "L_model_grads":
                causes = [c for c in causes if c not in derivatives]
            entry = found.setdefault(key, {"function": key, "follows_from": set(), "where": [], "worst": None})
            entry["follows_from"] |= set(causes)
            entry["where"].append(" ".join(target[:3]))
            v = rows[key]
            if entry["worst"] is None or v["status"] == "raised" or _ratio(v) > _ratio(entry["worst"]):
                entry["worst"] = v
    order = {f.key: i for i, f in enumerate(FUNCTIONS)}
    out = []
    for key, entry in found.items():
        v = entry["worst"]
        out.append({"function": key, "status": v["status"], "detail": v["detail"],
                    "follows_from": sorted(entry["follows_from"], key=order.__getitem__), "where": entry["where"],
                    "backend": v["backend"], "mode": v["mode"], "dtype": v["dtype"]})  # fmt: skip
    return sorted(out, key=lambda s: (bool(s["follows_from"]), order[s["function"]]))


def _ratio(v: dict) -> float:
    return v["max_rel_err"] / v["tolerance"] if v["tolerance"] else float("inf")


def progress(verdicts: list[dict]) -> dict[str, dict[str, int]]:
    """Per module of the course's API, over the verdict rows of one backend: how many functions there
    are, how many are stubs, how many could not be checked yet (they need a stub), and how many are green
    on every target that checked them."""
    out: dict[str, dict[str, int]] = {}
    for module in MODULES:
        keys = [f.key for f in FUNCTIONS if f.module == module]
        rows = [v for v in verdicts if v["function"] in keys]
        stubs = {v["function"] for v in rows if v["status"] == "not written yet"}
        waiting = {v["function"] for v in rows if v["status"] == "not checked"} - stubs
        green = {k for k in keys if any(v["function"] == k for v in rows)
                 and all(v["status"] == "green" for v in rows if v["function"] == k)}  # fmt: skip
        out[module] = {"functions": len(keys), "stubs": len(stubs), "waiting": len(waiting), "green": len(green)}
    return out


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
            written = n["functions"] - n["stubs"] - n["waiting"]
            text = f"{module}: " + (f"{n['green']} of {n['functions']} green" if written == n["functions"]
                                    else f"{written} of {n['functions']} written, {n['green']} green")  # fmt: skip
            parts.append(text + (f", {n['waiting']} not checked yet" if n["waiting"] else ""))
        lines.append(f"{backend}: {'; '.join(parts)}")
    return lines
