"""Data parallel against the full batch: how a framework's data-parallel training is run (engine.py),
checked against the single-process float64 reference (check.py) and timed (bench.py)."""
