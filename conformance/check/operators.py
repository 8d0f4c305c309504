"""The mutation operators: what one small change to an implementation file can be, made on its syntax tree (an
arithmetic operator swapped or a term dropped, a constant changed, log for log1p, a kink's > for >=, the other
axis, a clip, a cast, a fused or textbook loss, and the bugs of compiled paths), and where none is made (asserts,
shape checks, docstrings). mutation.py makes the mutants and runs the check on each."""

import ast
import copy
from collections.abc import Iterator

from ..core.registry import DTYPES

SWAPS = {
    "log": "log1p",
    "log1p": "log",
    "exp": "expm1",
    "expm1": "exp",
    "maximum": "minimum",
    "minimum": "maximum",
    "sum": "mean",
    "mean": "sum",
    "reduce_sum": "reduce_mean",
    "reduce_mean": "reduce_sum",
    "log_sigmoid": "sigmoid",
    "logsigmoid": "sigmoid",
    "tanh": "sigmoid",
}
OPERATORS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
COMPARISONS = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt}
CLIP = {
    "reference_numpy": "np.clip({}, -20, 20)",
    "impl_torch": "torch.clamp({}, -20, 20)",
    "impl_jax": "jnp.clip({}, -20, 20)",
    "impl_tf": "tf.clip_by_value({}, -20.0, 20.0)",
    "quartet_mlx": "mx.clip({}, -20, 20)",
}
# a matrix product cast to another precision: float32 inside a float64 run, float64 inside a float32 one
CASTS = {
    "reference_numpy": ("({}).astype(np.float32)", "({}).astype(np.float64)"),
    "impl_torch": ("({}).float()", "({}).double()"),
    "impl_jax": ("({}).astype(jnp.float32)", "({}).astype(jnp.float64)"),
    "impl_tf": ("tf.cast({}, tf.float32)", "tf.cast({}, tf.float64)"),
    "quartet_mlx": ("({}).astype(mx.float32)", "({}).astype(mx.float64)"),
}
# each sample's loss in compute_cost_from_logits from a library's loss or a textbook form instead of the written
# formula: what a port would write (torch's BCE clamps log at -100, Keras clips probabilities at 1e-7)
PROBABILITY_LOSS = "-(Y * {log}({p}) + (1 - Y) * {log}(1 - {p}))"  # the course's formula on AL = sigmoid(z)
FUSED = {
    "reference_numpy": [
        ("softplus(z) - z y", "np.logaddexp(0, ZL) - ZL * Y"),
        ("on probabilities", PROBABILITY_LOSS.format(log="np.log", p="1 / (1 + np.exp(-ZL))")),
    ],
    "impl_torch": [
        ("BCE with logits", "F.binary_cross_entropy_with_logits(ZL, Y, reduction='none')"),
        ("BCE on sigmoid(z)", "F.binary_cross_entropy(torch.sigmoid(ZL), Y, reduction='none')"),
    ],
    "impl_jax": [
        ("softplus(z) - z y", "jax.nn.softplus(ZL) - ZL * Y"),
        ("on probabilities", PROBABILITY_LOSS.format(log="jnp.log", p="jax.nn.sigmoid(ZL)")),
    ],
    "impl_tf": [
        (
            "Keras's binary_crossentropy on sigmoid(z)",
            PROBABILITY_LOSS.format(log="tf.math.log", p="tf.clip_by_value(tf.sigmoid(ZL), 1e-07, 1 - 1e-07)"),
        ),
        ("softplus(z) - z y", "tf.math.softplus(ZL) - ZL * Y"),
    ],
}

# sigmoid as a port might write it by hand: exp(-z) overflows for z below -88.7 in float32 (-709.8 in float64),
# and autodiff's gradient there is inf / inf = NaN. The reference's backward is written by hand (no such
# gradient), so it has no mutant of this kind.
NAIVE_SIGMOID = {"impl_torch": "torch.exp", "impl_jax": "jnp.exp", "impl_tf": "tf.exp", "quartet_mlx": "exp"}
# m kept from the first call: what a step compiled once and reused for every m computes
FIRST_M = "_FIRST_M = {}\n"


def skipped(node: ast.AST, parents: dict) -> bool:
    """Validation (asserts, raises, the check_* calls at a boundary), messages and defaults are not the
    computation: leave them alone."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Assert | ast.Raise | ast.JoinedStr | ast.arguments):  # defaults: not computation
            return True
        if isinstance(node, ast.If) and any(isinstance(statement, ast.Raise) for statement in node.body):
            return True
        if isinstance(node, ast.Call) and name_of(node.func).lstrip("_").startswith("check_"):  # a boundary check
            return True
    return False


def name_of(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def changes(tree: ast.Module, package: str) -> Iterator[tuple[ast.AST, str, ast.AST]]:
    """(node, description, replacement) for every mutation point of the tree."""
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and function.name == "compute_cost_from_logits":
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["losses"]:
                    for description, expression in FUSED.get(package, ()):
                        yield node.value, f"the loss as {description}", ast.parse(expression, mode="eval").body
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            for cast, precision in zip(CASTS.get(package, ()), DTYPES, strict=False):
                yield (
                    node,
                    f"a product cast to {precision}",
                    ast.parse(cast.format(ast.unparse(node)), mode="eval").body,
                )
        yield from compiled_path_changes(node, package)
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            new = copy.copy(node)
            new.op = OPERATORS[type(node.op)]()
            yield node, f"{type(node.op).__name__} -> {type(new.op).__name__}", new
            if isinstance(node.op, ast.Add | ast.Sub):
                yield node, "drop the second term", node.left
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARISONS:
            new = copy.copy(node)
            new.ops = [COMPARISONS[type(node.ops[0])]()]
            yield node, f"{type(node.ops[0]).__name__} -> {type(new.ops[0]).__name__}", new
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value not in (0, 1):
            yield node, f"{node.value!r} -> {node.value * 2!r}", ast.Constant(node.value * 2)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in SWAPS:
                new = copy.deepcopy(node)
                if isinstance(new.func, ast.Attribute):
                    new.func.attr = SWAPS[name]
                else:
                    new.func.id = SWAPS[name]
                yield node, f"{name} -> {SWAPS[name]}", new
            if name in ("tanh", "relu", "sigmoid", "leaky_relu") and node.args and package in CLIP:
                clipped = ast.parse(CLIP[package].format(ast.unparse(node.args[0])), mode="eval").body
                new = copy.deepcopy(node)
                new.args = [clipped, *new.args[1:]]
                yield node, f"{name}'s argument clipped at +-20", new
            for k, keyword in enumerate(node.keywords):
                if keyword.arg == "axis" and isinstance(keyword.value, ast.Constant) and keyword.value.value in (0, 1):
                    new = copy.deepcopy(node)
                    new.keywords[k].value = ast.Constant(1 - keyword.value.value)
                    yield node, f"axis={keyword.value.value} -> axis={1 - keyword.value.value}", new


def compiled_path_changes(node: ast.AST, package: str) -> Iterator[tuple[ast.AST, str, ast.AST]]:
    """The bugs a compiled path makes (the reviewer's four): record_every ignored, the hidden activation
    lost where it is passed on, m kept from the first call, sigmoid as 1 / (1 + exp(-z))."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id == "record_every":
        yield node, "record_every ignored (1)", ast.Constant(1)
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") != "_check_hidden_activation":
        passed = [*node.args, *(keyword.value for keyword in node.keywords)]
        for argument in passed:
            if isinstance(argument, ast.Name) and argument.id == "hidden_activation":
                yield argument, "the hidden activation lost (relu)", ast.Constant("relu")
    if (
        isinstance(node, ast.Assign)
        and [ast.unparse(t) for t in node.targets] == ["m"]
        and ast.unparse(node.value).endswith(".shape[1]")
    ):
        kept = ast.parse(f"_FIRST_M.setdefault('m', {ast.unparse(node.value)})", mode="eval").body
        yield node.value, "m kept from the first call", kept
    if package in NAIVE_SIGMOID:
        naive = "1 / (1 + {exp}(-{z}))"
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "sigmoid":
                    by_hand = f"lambda Z: {naive.format(exp=NAIVE_SIGMOID[package], z='Z')}"
                    yield value, "sigmoid as 1 / (1 + exp(-z))", ast.parse(by_hand, mode="eval").body
        name = getattr(node.func, "attr", "") if isinstance(node, ast.Call) else ""
        if name == "sigmoid" and len(node.args) == 1:
            by_hand = naive.format(exp=NAIVE_SIGMOID[package], z=f"({ast.unparse(node.args[0])})")
            yield node, "sigmoid as 1 / (1 + exp(-z))", ast.parse(by_hand, mode="eval").body
