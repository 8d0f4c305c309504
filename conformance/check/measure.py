"""Where a row of the check is computed: every compared quantity of one backend on one case, as float64
NumPy arrays (judge.py then holds each against the reference)."""

import re
import traceback
from collections.abc import Callable, Iterable

import numpy as np

from .cases import STEPS, Case

# each part of measure(): what it calls in the backend's package, said where a part raises or is not written yet,
# and the course function that computes it (deep net, logistic regression), named where only the matrix failed
PARTS = {
    "forward": ("L_model_forward", "L_model_forward", "L_model_forward"),
    "cost": ("compute_cost_from_logits", "compute_cost_from_logits", "compute_cost_from_logits"),
    "course_cost": ("compute_cost", "compute_cost", "compute_cost"),
    "predictions": ("predict", "predict", "logistic.predict"),
    "grads": ("L_model_grads (logistic regression: propagate)", "L_model_grads", "logistic.propagate"),
    "per_sample": (
        "compute_cost_from_logits and L_model_grads, sample by sample",
        "L_model_grads",
        "logistic.propagate",
    ),
    "train": ("L_layer_model (logistic regression: optimize)", "L_layer_model", "logistic.optimize"),
    "model": ("logistic regression's model", "logistic.model", "logistic.model"),
}
SECTIONS = {part: said for part, (said, _, _) in PARTS.items()}
OWNERS = {part: owners for part, (_, *owners) in PARTS.items()}


def section(quantity: str) -> str:
    """The part of measure() that computes `quantity`."""
    if "@" in quantity:
        return "model" if quantity.startswith(("model@", "accuracy@")) else "train"
    if quantity in ("cost", "course_cost", "predictions"):
        return quantity
    if quantity in ("losses", "sample_grads"):
        return "per_sample"
    return "grads" if quantity.startswith("d") else "forward"


def flatten(params: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(params[k]) for k in sorted(params)])


def exception_line(err: BaseException, package: str = "") -> str:
    """An exception as a backend's failure: its type, the function of `package` it came from (the
    innermost frame there; none when the protocol refused what the backend returned), and its last line."""
    frames = port_frames(err, package)
    where = f" in {frames[-1][1]} ({frames[-1][0].rsplit('/', 1)[-1]}:{frames[-1][2]})" if frames else ""
    first = message_line(err)
    first = first.removeprefix(f"{type(err).__name__}: ")  # a compiler that quotes the error names its type again
    return f"{type(err).__name__}{where}" + (f": {first}" if first else "")


def refusal(call: Callable[[], object], name: str, package: str = "") -> str | None:
    """None when call() refuses a bad value the way the reference does, with a ValueError that names it (the
    type a caller catches; not an assert, which `python -O` drops, nor a KeyError from a lookup); else what it
    did instead: "was accepted", or the exception it raised."""
    try:
        call()
    except ValueError as err:
        if name in str(err):
            return None
        return f"raised a ValueError that does not name it: {exception_line(err, package)}"
    except Exception as err:  # any other type is the finding
        return f"raised {exception_line(err, package)}"
    return "was accepted"


# a frame a framework quotes in its message: tf.function's "in user code:", torch.compile's "from user code:"
QUOTED_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (\w+)', re.MULTILINE)


def port_frames(err: BaseException, package: str) -> list[tuple[str, str, int]]:
    """(file, function, line) of each frame of the traceback in `package`'s own files, outermost first; then
    those a compiler quotes in its message, the code it traced (they ran inside the last frame)."""
    if not package:
        return []
    frames = [(f.filename, f.name, f.lineno or 0) for f in traceback.extract_tb(err.__traceback__)]
    frames += [(path, name, int(line)) for path, line, name in QUOTED_FRAME.findall(str(err))]
    return [frame for frame in frames if f"/{package}/" in frame[0]]


def message_line(err: BaseException, limit: int = 240) -> str:
    """The message's first meaningful line: not a blank, not a link to a framework's documentation, not a
    traceback quoted inside the message nor the code line under each of its frames (JAX ends with a URL,
    tf.function starts with "in user code:", torch.compile appends the user's code)."""
    quoted = False
    for line in str(err).splitlines():
        line = line.strip()
        if quoted:  # the code line a quoted frame shows
            quoted = False
            continue
        if line.startswith('File "'):
            quoted = True
            continue
        skip = ("See http", "http://", "https://", "Traceback", "from user code", "in user code")
        if line and not line.startswith(skip):
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def measure(backend, case: Case, steps: Iterable[int] = STEPS, problems: list[dict] | None = None) -> dict:
    """Every compared quantity, as float64 NumPy arrays: Z[l], A[l], AL, cost, the gradients, and the
    parameters and costs after each number of steps; for logistic regression also the last iteration's
    grads that the course's optimize returns (grads@N) and the course's model() (model@N, accuracy@N);
    for a per-sample case each sample's loss and gradients on its own (losses, sample_grads).

    With `problems`, a part that raises is the backend's failure, not the run's: it is appended there
    ({"section", "status": "not written yet" or "raised", "detail"}), its quantities are left out, and
    the other parts are still measured."""
    out: dict = {}

    def part(name: str, compute: Callable[[], dict]) -> None:
        if problems is None:
            out.update(compute())
            return
        try:
            out.update(compute())
        except NotImplementedError as err:
            problems.append({"section": name, "status": "not written yet", "detail": str(err) or SECTIONS[name]})
        except Exception as err:  # the backend failing: what it raised, or what the protocol refused
            problems.append(
                {
                    "section": name,
                    "status": "raised",
                    "detail": exception_line(err, backend.package),
                    "frames": port_frames(err, backend.package),
                }
            )

    p, X, Y = case.params, case.X, case.Y
    part("forward", lambda: dict(backend.forward(p, X)))
    part("cost", lambda: {"cost": np.array(backend.cost(p, X, Y))})
    part("course_cost", lambda: {"course_cost": np.array(backend.course_cost(p, X, Y))})  # inf once AL is 0 or 1
    part("predictions", lambda: {"predictions": backend.predict(p, X)})
    part("grads", lambda: backend.grads(p, X, Y))
    if case.per_sample:  # each sample alone: a tiny loss or gradient is judged against its own size
        columns = [(X[:, [j]], Y[:, [j]]) for j in range(case.m)]
        part(
            "per_sample",
            lambda: {
                "losses": np.array([[backend.cost(p, Xj, Yj) for Xj, Yj in columns]]),  # (1, m)
                "sample_grads": np.stack([flatten(backend.grads(p, Xj, Yj)) for Xj, Yj in columns]),  # (m, P)
            },
        )
    part("train", lambda: _trajectory(backend, case, steps))
    if case.spec.kind == "logistic":  # the course's model(): from zeros; the test set is X, labels flipped
        n = max(steps)

        def model() -> dict:
            result = backend.model(X, Y, X, 1 - Y, n, case.learning_rate)
            return {
                f"model@{n}": flatten({"w": result["w"], "b": result["b"]}),
                f"accuracy@{n}": np.array([result["train_accuracy"], result["test_accuracy"]]),
            }

        part("model", model)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def _trajectory(backend, case: Case, steps: Iterable[int]) -> dict:
    """params@N and cost@N after each N of `steps` (and logistic regression's grads@N)."""
    out, params, costs, done = {}, case.params, [], 0
    for n in sorted(steps):  # continue from the last stop: N = 1, 10, 100 cost 100 steps, not 111
        if case.spec.kind == "logistic":
            params, last, more = backend.optimize(params, case.X, case.Y, case.learning_rate, n - done, 1)
            if last:  # no grads at all: the row of a missing quantity fails
                out[f"grads@{n}"] = flatten(last)
        else:
            params, more = backend.train(params, case.X, case.Y, case.learning_rate, n - done, record_every=1)
        costs, done = costs + more, n
        out[f"params@{n}"] = flatten(params)
        out[f"cost@{n}"] = np.array(costs)
    return out
