"""The harness, in folders by job. Here: the model spec, the backend protocol (backends.py and what it
gathers), the tolerance (tolerances.py, scales.py), the one comparison engine, the check's plan and
its regimes, the peers' cross-check, datasets, the course's runs, the environment, results folders,
the resumable runner and mutation testing. bench/: timing. parallel/: data parallel against the full
batch. report/: what the check and the course runs write, the code side by side and the HTML report.
cli/: the `quartet` command, one module per subcommand."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the checkout: children get it on PYTHONPATH
