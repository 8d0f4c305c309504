"""What the course prints while it trains, checked: the lines the reference's `optimize(print_cost=True)` and
`L_layer_model(print_cost=True)` print against the lines the course's notebook prints (course.py's CourseRun
says which iterations and in what format) of the costs the function returns. Students compare these lines
with the notebook's, line by line, so an iteration printed every 200 instead of every 100, or a last line
lost, is a bug.

    difference("L_layer_model")   "" where they agree, else the quantity printed@250 and what differs

functions.py judges it in the function checks of L_layer_model and optimize, as the reference's own
record_every: a reference that prints otherwise fails every backend's row of that function, saying so.
"""

import functools
import io
import re
from collections.abc import Callable
from dataclasses import replace
from unittest import mock

from reference_numpy import deep, logistic

from ..core.spec import ModelSpec
from .cases import make_case
from .course import RUNS, published_tolerance

ITERATIONS = 250  # the course prints iterations 0, 100, 200 and, where its notebook does, the last (249)
COURSE_RUN = {"optimize": RUNS["logistic"], "L_layer_model": RUNS["deep"]}  # whose notebook prints it
LINE = re.compile(r"Cost after iteration (\d+): (\S+)")


def printed_by(name: str, function: Callable) -> tuple[list[str], list[float]]:
    """The lines `function` (the reference's `name` or a stand-in) prints over ITERATIONS on a small problem, and
    the costs it returns (every iteration's)."""
    buffer = io.StringIO()
    # caught at the function's own `print`, not at sys.stdout: the progress bar's refresh thread writes there
    with mock.patch.dict(function.__globals__, {"print": functools.partial(print, file=buffer)}):
        if name == "optimize":
            case = make_case(ModelSpec("logistic", (8, 1)), seed=7)
            w, b = case.params["w"], case.params["b"]
            costs = function(w, b, case.X, case.Y, ITERATIONS, case.learning_rate, True, record_every=1)[2]
        else:
            case = make_case(ModelSpec("deep", (8, 7, 6, 1), "relu"), seed=7)
            costs = function(
                case.X,
                case.Y,
                list(case.spec.layer_dims),
                case.learning_rate,
                ITERATIONS,
                True,
                parameters=case.params,
                record_every=1,
            )[1]
    return buffer.getvalue().splitlines(), [float(c) for c in costs]


def difference(name: str) -> str:
    """What the reference's `name` ("optimize" or "L_layer_model") prints that the course's notebook would not
    (which iterations, the format, the values), as the quantity printed@ITERATIONS; "" where they agree."""
    return _difference(name, {"optimize": logistic.optimize, "L_layer_model": deep.L_layer_model}[name])


@functools.cache  # one function prints the same whatever target is checked; a patched one is another key
def _difference(name: str, function: Callable) -> str:
    lines, costs = printed_by(name, function)
    run = replace(COURSE_RUN[name], num_iterations=ITERATIONS)  # the notebook's run, ITERATIONS long
    want = [i for i in range(ITERATIONS) if run.prints(i)]
    found = [LINE.fullmatch(line) for line in lines]
    got = [int(match[1]) for match in found if match]
    what = f"printed@{ITERATIONS}: the reference's {name} prints"
    if got != want or len(found) != len(got):
        every = f"every {run.print_every}th" + (" and the last" if run.prints_last else "")
        extra = [line for line, match in zip(lines, found, strict=True) if not match]
        return (
            f"{what} iterations {_listed(got)}{f' and {extra[0]!r}' if extra else ''}; the course prints "
            f"{_listed(want)} ({every} of {ITERATIONS})"
        )
    for line, i in zip(lines, want, strict=True):
        cost = run.printed(costs[i])
        course = f"Cost after iteration {i}: {cost}"
        if line != course:
            text = LINE.fullmatch(line)[2]
            why = (
                "the cost it returned, in another format"
                if _rounds_to(text, costs[i])
                else f"not the cost it returned, {costs[i]!r}"
            )
            return f"{what} {line!r}: {why}; the course prints {course!r}"
    return ""


def _listed(iterations: list[int]) -> str:
    return ", ".join(map(str, iterations)) if iterations else "none"


def _rounds_to(text: str, cost: float) -> bool:
    """Whether a printed number is `cost` to its own last decimal (half a unit there, as course.py compares)."""
    try:
        return "." in text and abs(float(text) - cost) <= published_tolerance(text)
    except ValueError:
        return False
