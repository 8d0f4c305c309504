"""The speed goals (conformance/bench/goals.py): what is compared with what, and the verdict from the interval."""

import numpy as np
import pandas as pd


def test_peer_goals_compare_steps_with_steps():
    """A peer's per-call step is judged against our fastest per-call step, not our whole compiled loop, and
    the verdict follows the interval."""
    from conformance.bench import goals

    def row(backend, mode, seconds):
        return {"workload": "course_deep", "family": "", "backend": backend, "mode": mode, "dtype": "float32",
                "m": 209, "status": "ok", "median_s": float(np.median(seconds)), "round_s": seconds}  # fmt: skip

    frame = pd.DataFrame([row("numpy", "eager", [2e-3, 2.1e-3, 1.9e-3]), row("jax", "compiled-loop", [1e-4] * 3),
                          row("torch.nn", "optim.SGD", [4e-3, 4.2e-3, 3.8e-3])])  # fmt: skip
    (goal,) = [g for g in goals.goals(frame) if "torch.nn" in g["goal"]]
    assert "numpy eager" in goal["goal"] and goal["measured (95% interval)"].startswith("2.00x")
    assert goal["verdict"] == "met"
