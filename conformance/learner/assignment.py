"""What the check knows of one of the course's assignments: its functions in the notebook's order, each with
what it returns, the reference's version under the notebook's conventions and the inputs it is checked on
(Function, Assignment), and the helpers that build those inputs: the notebook's own test case, seeded
arrays and labels. The assignments themselves: week2_logistic.py, week3_planar.py, week4_deep.py."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..kit import course_cases

Args = Callable[[], tuple]  # a fresh tuple of positional arguments for each call


@dataclass(frozen=True)
class Function:
    name: str
    returns: tuple[str, ...]  # the names of what it returns, in order ("" for one value)
    cases: tuple[tuple[str, Args], ...]  # (what the case is, its arguments)
    reference: Callable
    kind: str = "value"  # "value" | "initialiser" (shapes and scale) | "training" (its own initialiser fixed)
    labels: bool = False  # predictions: compared as 0/1 labels
    scores: Callable | None = None  # for labels: the reference's probabilities on the same inputs (a threshold)


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    functions: tuple[Function, ...]
    distinctive: frozenset[str]  # names only this assignment asks for: how a file is recognised
    provided: dict[str, Callable]  # what the notebook imports from the course's helper modules
    initialisers: dict[str, Callable]  # the fixed initialiser a training function is checked with

    def function(self, name: str) -> Function:
        return next(f for f in self.functions if f.name == name)


def notebook(name: str, scalar_b: bool = False) -> Args:
    """The inputs of the notebook's own test case `name`, positional (conformance/kit/course_cases.py: one source
    with the ports' course tests); b a Python float where the notebook passes one (week 2)."""
    case = next(c for c in course_cases.CASES if c.name == name)

    def args() -> tuple:
        values, options = case.inputs()
        values = [float(np.squeeze(v)) if scalar_b and i == 1 else v for i, v in enumerate(values)]
        return (*values, *options.values())

    return args


def rng(seed: int) -> np.random.RandomState:
    return np.random.RandomState(seed)


def randn(seed: int, *shapes) -> list[np.ndarray]:
    r = rng(seed)
    return [r.randn(*s) for s in shapes]


def labels(seed: int, m: int) -> np.ndarray:
    return (rng(seed).rand(1, m) > 0.5).astype(np.float64)  # (1, m)
