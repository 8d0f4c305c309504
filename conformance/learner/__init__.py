"""A learner's own notebook checked function by function against the reference: `quartet check FILE.ipynb`
and `quartet.check_notebook()` (learner/README.md)."""

from .check import LearnerResult, check_cells, check_file

__all__ = ["LearnerResult", "check_cells", "check_file"]
