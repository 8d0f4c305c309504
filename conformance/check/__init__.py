"""The conformance check: do the backends compute what the float64 NumPy reference computes? See README.md
beside this file for where each part lives.

    settings = check.CheckSettings(backends=["numpy", "jax"], modes=["eager"], dtypes=["float32"], quick=True)
    plan = check.plan(settings)      # plan.units for the runner
    frame = check.result(rows, plan.skipped).frame
"""

from ..core.registry import MODE_NAMES as MODE_CHOICES  # the name a generated port's test uses
from .planner import CheckSettings, Plan, plan, result

__all__ = ["MODE_CHOICES", "CheckSettings", "Plan", "plan", "result"]
