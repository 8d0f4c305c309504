"""`quartet code CONCEPT`: one concept of the course in all four implementations, side by side.

The source is read from the implementation modules' own files (located with importlib, parsed with
ast), so it can never drift from the code that runs, and reading it imports no framework."""

import ast
import difflib
import importlib.util
from dataclasses import dataclass, field

from ..core.registry import COURSE, PACKAGES
from ..core.registry import TITLES as NAMES

FRAMEWORKS = PACKAGES  # framework -> its implementation package
TITLES = {**NAMES, "numpy": f"{NAMES['numpy']} (by hand)"}  # the panels' titles: the registry's proper names


@dataclass(frozen=True)
class Concept:
    title: str
    formula: str
    parts: dict[str, tuple[str, ...]]  # framework -> "module.name" in that package, in reading order
    notes: dict[str, str] = field(default_factory=dict)  # framework -> a line above its code ("only in the reference")


def _same(*names: str, numpy: tuple[str, ...] | None = None) -> dict[str, tuple[str, ...]]:
    parts = dict.fromkeys(COURSE, names)
    if numpy is not None:
        parts["numpy"] = numpy
    return parts


def _activation(name: str, formula: str, jax_tf_own: bool = False) -> Concept:
    framework_parts = ("deep.leaky_relu", "deep.ACTIVATIONS") if jax_tf_own else ("deep.ACTIVATIONS",)
    parts = {
        "numpy": (f"activations.{name}", f"activations.{name}_backward"),
        "torch": ("deep.ACTIVATIONS",),
        "jax": framework_parts,
        "tf": framework_parts,
    }
    return Concept(f"{name} and its derivative", formula, parts)


ACTIVATIONS = {
    "sigmoid": _activation("sigmoid", "s(z) = 1 / (1 + e^-z),  s'(z) = s(z) (1 - s(z))"),
    "relu": _activation("relu", "relu(z) = max(0, z),  relu'(z) = 1 if z > 0 else 0 (0 at z = 0)"),
    "tanh": _activation("tanh", "tanh'(z) = 1 - tanh(z)^2"),
    "leaky_relu": _activation("leaky_relu", "g(z) = z if z > 0 else 0.01 z,  g'(0) = 0.01", jax_tf_own=True),
}


def _is_table(part: str) -> bool:
    return part.endswith("ACTIVATIONS")


# the four at once, as the report shows them: the frameworks' ACTIVATIONS table once, not once per activation
ALL_ACTIVATIONS = Concept(
    "sigmoid, ReLU, tanh, leaky ReLU and their derivatives",
    ";  ".join(c.formula for c in ACTIVATIONS.values()),
    {  # each framework's own functions first, then its table of them (the order of its file)
        fw: tuple(sorted(dict.fromkeys(p for c in ACTIVATIONS.values() for p in c.parts[fw]), key=_is_table))
        for fw in COURSE
    },
)
CONCEPTS = {
    "activations": ALL_ACTIVATIONS,  # first: each activation's own concept below gives its functions their alias
    **ACTIVATIONS,
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
ALIASES = {
    name.split(".")[-1]: concept
    for concept, c in CONCEPTS.items()
    for names in c.parts.values()
    for name in names
    if name.split(".")[-1] not in CONCEPTS and not name.endswith("ACTIVATIONS")
}


# the modules a function of the course may live in, in any package
MODULES = ("activations", "deep", "logistic", "initializers", "planar", "gradcheck", "arrays", "parallel")
# the course's functions that only the reference writes (or no one: the course's own names), and what the
# frameworks use instead
INSTEAD = {
    "initialize_parameters_deep": ("arrays.from_numpy", "NumPy makes every framework's weights"),
    "initialize_parameters": ("arrays.from_numpy", "NumPy makes every framework's weights"),
    "initialize_with_zeros": ("arrays.from_numpy", "NumPy makes every framework's weights"),
    "nn_model": ("deep.L_layer_model", "the planar notebook's nn_model is L_layer_model on [n_x, n_h, 1], tanh"),
    "two_layer_model": ("deep.L_layer_model", "the application's two_layer_model is L_layer_model on [n_x, n_h, 1]"),
    "forward_propagation": ("deep.L_model_forward", "the planar notebook's is L_model_forward on [n_x, n_h, 1]"),
    "backward_propagation": ("deep.L_model_grads", "autodiff writes the backward"),
    "linear_backward": ("deep.L_model_grads", "autodiff writes the backward"),
    "linear_activation_backward": ("deep.L_model_grads", "autodiff writes the backward"),
    "L_model_backward": ("deep.L_model_grads", "autodiff writes the backward"),
    "gradient_check": ("deep.L_model_grads", "autodiff's gradients are checked against the reference instead"),
}


class UnknownConcept(ValueError):
    """A concept that is not in CONCEPTS; the message suggests the closest ones."""


def _defines(framework: str, module: str, name: str) -> bool:
    try:
        source(framework, f"{module}.{name}")
    except (FileNotFoundError, LookupError, ModuleNotFoundError):
        return False
    return True


def functions() -> list[str]:
    """Every public top-level function of the four packages' modules, and the course's names in INSTEAD."""
    found = set(INSTEAD)
    for framework in COURSE:
        for module in MODULES:
            spec = importlib.util.find_spec(f"{FRAMEWORKS[framework]}.{module}")
            if spec is not None and spec.origin is not None:
                with open(spec.origin) as f:
                    tree = ast.parse(f.read())
                found |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    return sorted(found)


def find(name: str) -> Concept:
    """The concept of that name, the one a function shown belongs to, or one function on its own: where a
    framework does not define it, the function it uses instead, with a note saying so."""
    if name in CONCEPTS or name in ALIASES:
        return CONCEPTS[resolve(name)]
    defined = {fw: module for fw in COURSE for module in MODULES if _defines(fw, module, name)}
    if not defined and name not in INSTEAD:
        resolve(name)  # raises, with the nearest names
    parts, notes = {}, {}
    for fw in COURSE:
        if fw in defined:
            parts[fw] = (f"{defined[fw]}.{name}",)
        elif name in INSTEAD:
            instead, why = INSTEAD[name]
            where = "only in the reference" if "numpy" in defined else "the course's name, not defined here"
            parts[fw] = (instead,)
            notes[fw] = f"{name}: {where}; {instead.split('.')[-1]} instead ({why})"
    only = "" if len(defined) != 1 or name in INSTEAD else f" (only in {TITLES[next(iter(defined))]})"
    return Concept(f"{name}{only}", "", parts, notes)


def resolve(name: str) -> str:
    if name in CONCEPTS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    if name in functions():
        return name
    close = difflib.get_close_matches(name, [*CONCEPTS, *ALIASES, *functions()], n=3, cutoff=0.5)
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
    c = find(concept)
    found = {}
    for fw in FRAMEWORKS:
        if fw not in c.parts and (fw in COURSE or "jax" not in c.parts):
            continue  # a function one of the four does not write
        try:
            own = fw if fw in c.parts else "jax"  # a plugin is laid out as impl_jax
            text = "\n\n\n".join(source(fw, part) for part in c.parts[own])  # PEP 8 spacing
        except (FileNotFoundError, LookupError):
            if fw in c.parts:  # one of the built-in four: its code must be there
                raise
            continue
        found[fw] = f"# {c.notes[own]}\n{text}" if own in c.notes else text
    return found


def heading(concept: str) -> str:
    """The concept's name and title, the name once: "backward: gradients by hand and by autodiff", not
    "backward: backward: ...", and a function shown on its own by its title alone."""
    name, title = resolve(concept), find(concept).title
    return (
        title if title == name or title.startswith(f"{name}:") or title.startswith(f"{name} ") else f"{name}: {title}"
    )


# what the report shows, in order: the activations once (their four concepts repeat the frameworks' table)
REPORT = tuple(name for name in CONCEPTS if name not in ACTIVATIONS)


def markdown(concept: str, shown: dict[str, str] | None = None) -> str:
    """The concept as markdown: its title and formula, then each framework's source (or those `shown`) in a
    code block."""
    c = find(concept)
    shown = sources(concept) if shown is None else shown
    blocks = [f"### {TITLES.get(fw, fw)}\n\n```python\n{text}\n```\n" for fw, text in shown.items()]
    formula = f"`{c.formula}`\n\n" if c.formula else ""
    return f"## {c.title}\n\n{formula}" + "\n".join(blocks)
