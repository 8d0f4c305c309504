"""The speed goals (conformance/bench/goals.py): what is compared with what, and the verdict from the interval."""

import numpy as np
import pandas as pd


def test_peer_goals_compare_steps_with_steps():
    """A peer's per-call step is judged against our fastest per-call step, not our whole compiled loop, and
    the verdict follows the interval."""
    from conformance.bench import goals

    def row(backend, mode, seconds):
        return {
            "workload": "course_deep",
            "family": "",
            "backend": backend,
            "mode": mode,
            "dtype": "float32",
            "m": 209,
            "status": "ok",
            "median_s": float(np.median(seconds)),
            "round_s": seconds,
        }

    frame = pd.DataFrame(
        [
            row("numpy", "eager", [2e-3, 2.1e-3, 1.9e-3]),
            row("jax", "compiled-loop", [1e-4] * 3),
            row("torch.nn", "optim.SGD", [4e-3, 4.2e-3, 3.8e-3]),
        ]
    )
    (goal,) = [g for g in goals.goals(frame) if "torch.nn" in g["goal"] and g["status"] == "goal"]
    assert "numpy eager" in goal["goal"] and goal["measured (95% interval)"].startswith("2.00x")
    assert goal["verdict"] == "met"


def row(workload, backend, mode, seconds, dtype="float32"):
    return {
        "workload": workload,
        "family": "",
        "backend": backend,
        "mode": mode,
        "dtype": dtype,
        "m": 400,
        "status": "ok",
        "median_s": float(np.median(seconds)),
        "round_s": seconds,
    }


def test_each_compiled_row_is_judged_against_its_own_products_run_the_same_way():
    """A compiled loop's bound is its products inside a compiled loop, a compiled step's its products one
    call per step; an eager row has no such goal; the misses come first, the farthest first."""
    from conformance.bench import goals

    frame = pd.DataFrame(
        [
            row("planar", "jax", "compiled-loop", [10e-6] * 3),
            row("planar", "jax", "products loop", [4e-6] * 3),
            row("planar", "jax", "compiled", [60e-6] * 3),
            row("planar", "jax", "products alone", [50e-6] * 3),
            row("planar", "tf", "compiled", [300e-6] * 3),
            row("planar", "tf", "products alone", [100e-6] * 3),
            row("planar", "numpy", "eager", [40e-6] * 3),
            row("planar", "numpy", "products alone", [5e-6] * 3),
        ]
    )
    found = [g for g in goals.goals(frame) if g["status"] == "goal" and "its own products" in g["goal"]]
    by_row = {g["goal"].split(": ")[1].rsplit(" step", 1)[0]: g for g in found}
    assert set(by_row) == {"jax compiled-loop", "jax compiled", "tf compiled"}  # numpy's eager step: no goal
    assert by_row["jax compiled-loop"]["measured (95% interval)"].startswith("2.50x")  # over the products loop
    assert by_row["jax compiled"]["measured (95% interval)"].startswith("1.20x")  # over the products alone
    assert by_row["jax compiled-loop"]["verdict"] == by_row["tf compiled"]["verdict"] == "missed"
    (title, why, table), *_ = goals.sections(goals.goals(frame))
    assert "0 of 3 met" in title and "3 missed" in title and "per call" in why
    first = [g.split(": ")[1].split(" step")[0] for g in table["goal"]]
    assert first == ["tf compiled", "jax compiled-loop", "jax compiled"]  # 3.00x, 2.50x, 1.20x


def test_every_goal_carries_its_date_and_every_change_its_reason():
    """goals.toml: each goal was set on a date; an earlier definition says when it changed and why, and a
    retired goal why it no longer judges; earlier and retired goals are still computed (status)."""
    from conformance.bench import goals

    assert goals.GOALS and all(g.set[:4] == "2026" and g.why for g in goals.GOALS)
    assert all(changed > g.set and len(why) > 40 for g in goals.GOALS for _, changed, why in g.earlier)
    assert all(g.retired > g.set and len(g.retired_why) > 40 for g in goals.GOALS if g.retired)
    frame = pd.DataFrame(
        [row("planar", "numpy", "eager", [40e-6] * 3), row("planar", "jax", "compiled-loop", [4e-6] * 3)]
    )
    statuses = {g["status"] for g in goals.goals(frame) if g["goal"].startswith("planar, float32: NumPy")}
    assert statuses == {"goal", "earlier definition"}


def test_a_peer_timed_in_our_rounds_is_paired_and_one_timed_apart_is_not():
    """A Keras row from its worker carries the rounds and processes of ours: the ratio is taken round by round.
    One from a run before the workers (no process labels) was timed apart: the ratio of the medians."""
    from conformance.bench.between import Spread
    from conformance.bench.goals import ratio

    ours = {
        "backend": "numpy",
        "mode": "eager",
        "workload": "planar",
        "median_s": 1.0,
        "round_s": [1.0, 2.0, 4.0],
        "round_process": [0, 0, 1],
    }
    keras = {
        "backend": "keras/jax",
        "mode": "train_on_batch",
        "workload": "planar",
        "median_s": 2.0,
        "round_s": [2.0, 4.0, 8.0],
        "round_process": [0, 0, 1],
    }
    spread = Spread("", [], {}, {})
    (centre, low, high), _ = ratio(keras, ours, spread)
    assert centre == low == high == 2.0  # every round's ratio is 2: paired, no doubt left
    apart = {k: v for k, v in keras.items() if k != "round_process"}
    (centre, low, high), _ = ratio(apart, ours, spread)
    assert centre == 2.0 and low < 2.0 < high  # the medians' ratio, each side resampled alone
