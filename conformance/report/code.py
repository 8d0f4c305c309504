"""`quartet code CONCEPT`: one concept of the course in all four implementations, side by side.

The source is read from the implementation modules' own files (located with importlib, parsed with
ast), so it can never drift from the code that runs, and reading it imports no framework."""

import ast
import difflib
import importlib.util
from dataclasses import dataclass

from ..core.registry import PACKAGES

FRAMEWORKS = PACKAGES  # framework -> its implementation package
TITLES = {"numpy": "NumPy (by hand)", "torch": "PyTorch", "jax": "JAX", "tf": "TensorFlow"}


@dataclass(frozen=True)
class Concept:
    title: str
    formula: str
    parts: dict[str, tuple[str, ...]]  # framework -> "module.name" in that package, in reading order


def _same(*names: str, numpy: tuple[str, ...] | None = None) -> dict[str, tuple[str, ...]]:
    parts = dict.fromkeys(("numpy", "torch", "jax", "tf"), names)
    if numpy is not None:
        parts["numpy"] = numpy
    return parts


def _activation(name: str, formula: str, jax_tf_own: bool = False) -> Concept:
    framework_parts = ("deep.leaky_relu", "deep.ACTIVATIONS") if jax_tf_own else ("deep.ACTIVATIONS",)
    parts = {"numpy": (f"activations.{name}", f"activations.{name}_backward"), "torch": ("deep.ACTIVATIONS",),
             "jax": framework_parts, "tf": framework_parts}  # fmt: skip
    return Concept(f"{name} and its derivative", formula, parts)


CONCEPTS = {
    "sigmoid": _activation("sigmoid", "s(z) = 1 / (1 + e^-z),  s'(z) = s(z) (1 - s(z))"),
    "relu": _activation("relu", "relu(z) = max(0, z),  relu'(z) = 1 if z > 0 else 0 (0 at z = 0)"),
    "tanh": _activation("tanh", "tanh'(z) = 1 - tanh(z)^2"),
    "leaky_relu": _activation("leaky_relu", "g(z) = z if z > 0 else 0.01 z,  g'(0) = 0.01", jax_tf_own=True),
    "initialization": Concept(
        "initialisation: NumPy makes every framework's weights",
        "W[l] = randn(n[l], n[l-1]) * scale, b[l] = 0",
        {
            "numpy": ("initializers.initialize", "initializers.scale"),
            "torch": ("arrays.from_numpy",),
            "jax": ("arrays.from_numpy",),
            "tf": ("arrays.from_numpy",),
        },
    ),
    "linear_forward": Concept(
        "linear forward",
        "Z[l] = W[l] A[l-1] + b[l]; A[l] = g(Z[l])",
        _same("deep.linear_forward", "deep.linear_activation_forward"),
    ),
    "L_model_forward": Concept(
        "L-layer forward", "[LINEAR -> g] x (L-1) -> LINEAR -> SIGMOID", _same("deep.L_model_forward")
    ),
    "cost": Concept(
        "cross-entropy cost",
        "J = -(1/m) sum(y log a + (1 - y) log(1 - a)) = (1/m) sum(max(z, 0) - z y + log(1 + e^-|z|))",
        _same("deep.compute_cost", "deep.compute_cost_from_logits"),
    ),
    "backward": Concept(
        "backward: gradients by hand and by autodiff",
        "dZ[L] = A[L] - Y; dW[l] = dZ[l] A[l-1]^T / m; db[l] = sum(dZ[l]) / m; dA[l-1] = W[l]^T dZ[l]",
        _same(
            "deep.L_model_grads",
            numpy=("deep.linear_backward", "deep.linear_activation_backward", "deep.L_model_backward"),
        ),
    ),
    "update": Concept("parameter update", "W[l] -= alpha dW[l];  b[l] -= alpha db[l]", _same("deep.update_parameters")),
    "train_step": Concept(
        "one training step",
        "forward, cost, backward, update",
        _same("deep.train_step", "deep.make_train_step", numpy=("deep.train_step",)),
    ),
    "training_loop": Concept(
        "the training loop",
        "repeat num_iterations times: train_step; record the cost every 100",
        {
            "numpy": ("deep.L_layer_model",),
            "torch": ("deep.L_layer_model",),
            "jax": ("deep.make_train_loop", "deep.L_layer_model"),
            "tf": ("deep.make_train_loop", "deep.L_layer_model"),
        },
    ),
    "predict": Concept("predict", "y_hat = 1 if A[L] > 0.5 else 0", _same("deep.predict")),
    "propagate": Concept(
        "logistic regression: propagate",
        "A = s(w^T X + b); dw = X (A - Y)^T / m; db = sum(A - Y) / m",
        _same("logistic.propagate"),
    ),
    "data_parallel": Concept(
        "data parallel: each worker's gradient, weighted by its share, summed across workers",
        "split the m columns into N shards; dW[l] = sum_k (m_k / m) dW[l]_k  (the all-reduce is this sum)",
        {
            "numpy": ("parallel.shard", "parallel.data_parallel_grads"),
            "torch": ("parallel.shard", "parallel.all_reduce_grads", "parallel.data_parallel_grads"),
            "jax": ("parallel.make_mesh", "parallel.shard", "parallel.data_parallel_grads"),
            "tf": ("parallel.make_strategy", "parallel.shard", "parallel.data_parallel_grads"),
        },
    ),
    "data_parallel_step": Concept(
        "data parallel: one training step and the loop",
        "every worker applies the same summed gradient, so every copy of the parameters stays the same",
        _same("parallel.data_parallel_train_step", "parallel.data_parallel_L_layer_model"),
    ),
    "data_parallel_processes": Concept(
        "data parallel across processes: how each process meets the others, checks them, and trains",
        "each process: join the group at host:port; all-gather the settings; train on its own columns X_k "
        "(NumPy: the oracle has no processes, only the split)",
        _same("parallel.join", "parallel.all_gather_settings", "parallel.run_process", numpy=("parallel.shard",)),
    ),
}
# every function name shown leads to its concept too: `quartet code L_model_backward`
ALIASES = {name.split(".")[-1]: concept for concept, c in CONCEPTS.items() for names in c.parts.values()
           for name in names if name.split(".")[-1] not in CONCEPTS and not name.endswith("ACTIVATIONS")}  # fmt: skip


class UnknownConcept(ValueError):
    """A concept that is not in CONCEPTS; the message suggests the closest ones."""


def resolve(name: str) -> str:
    if name in CONCEPTS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    close = difflib.get_close_matches(name, [*CONCEPTS, *ALIASES], n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise UnknownConcept(f"unknown concept {name!r}{hint} Concepts: {', '.join(CONCEPTS)}")


def source(framework: str, dotted: str) -> str:
    """The source of `module.name` in a framework's package: a function, or a module-level assignment."""
    module, name = dotted.rsplit(".", 1)
    spec = importlib.util.find_spec(f"{FRAMEWORKS[framework]}.{module}")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"{FRAMEWORKS[framework]}.{module} is not on the path")
    with open(spec.origin) as f:
        text = f.read()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names = [node.name]
        else:  # NAME = ... or NAME: type = ...
            targets = getattr(node, "targets", [getattr(node, "target", None)])
            names = [t.id for t in targets if isinstance(t, ast.Name)]
        if name in names:
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            return "\n".join(text.splitlines()[start - 1 : node.end_lineno])
    raise LookupError(f"{name} not found in {spec.origin}")


def sources(concept: str) -> dict[str, str]:
    """framework -> the concept's source in that framework, its parts one after another. A plugin is laid
    out as impl_jax (docs/plugins.md): it shows JAX's parts where it has them all, and is left out where
    it has not (MLX has no data-parallel module)."""
    c = CONCEPTS[resolve(concept)]
    found = {}
    for fw in FRAMEWORKS:
        try:
            found[fw] = "\n\n\n".join(source(fw, part) for part in c.parts.get(fw, c.parts["jax"]))  # PEP 8 spacing
        except (FileNotFoundError, LookupError):
            if fw in c.parts:  # one of the built-in four: its code must be there
                raise
    return found


def markdown(concept: str) -> str:
    """The concept as markdown: its title and formula, then each framework's source in a code block."""
    name = resolve(concept)
    c = CONCEPTS[name]
    blocks = [f"### {TITLES.get(fw, fw)}\n\n```python\n{text}\n```\n" for fw, text in sources(name).items()]
    return f"## {c.title}\n\n`{c.formula}`\n\n" + "\n".join(blocks)
