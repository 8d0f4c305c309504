"""A course function compiled on its own. In a compiled mode only the functions that take a mode (L_layer_model,
optimize, model) are checked; the ones they call are checked eagerly. When one of the former raises inside one of
the latter (its traceback's innermost course function), the inner one is checked again here, compiled by itself with
the framework's compiler of the mode (as the protocol compiles the forward, the cost and the gradients), on the
first of its own check's cases (whether it compiles and runs; its numbers are its eager check's): if it passes, the
raise is the caller's, how it compiles or calls the inner one (a step compiled with fullgraph=True around a
backward() that torch.compile can only run with a graph break); if it raises too, its own.

The Checker of functions.py has it (CompiledAlone)."""

from collections.abc import Callable

from .catalogue import BY_KEY, Verdict

ALONE = "passes compiled on its own"  # the detail of a green verdict from here: suspects.py reads it


def compiled_alone(fn: Callable, compile: Callable[[Callable], Callable]) -> Callable:
    """fn compiled, its arguments that are no arrays (a hidden activation's name, a number of iterations, a flag,
    None) bound before compiling, as the protocol binds them (jax.jit traces every argument it is given); one
    program per such binding."""
    programs: dict[tuple, Callable] = {}

    def call(*args):
        fixed = {i: a for i, a in enumerate(args) if a is None or isinstance(a, (str, int, bool))}
        key = tuple(sorted(fixed.items()))
        if key not in programs:

            def bound(*arrays):
                given = iter(arrays)
                return fn(*(fixed[i] if i in fixed else next(given) for i in range(len(args))))

            programs[key] = compile(bound)
        return programs[key](*(a for i, a in enumerate(args) if i not in fixed))

    call.calls = programs  # a check that never called it leaves this empty
    return call


class _WithOne:
    """A port's module with one function replaced."""

    def __init__(self, module, name: str, function: Callable) -> None:
        self._module, self._name, self._function = module, name, function

    def __getattr__(self, attribute: str):
        return self._function if attribute == self._name else getattr(self._module, attribute)


class CompiledAlone:
    """Checker's part: the inner function of a compiled-mode raise, compiled on its own."""

    def check_inner_compiled(self, checks: Callable) -> None:
        """For each verdict that raised in this (compiled) mode inside a course function this target did not
        check, that function's verdict compiled on its own, from `checks(function)` -> (check, cases)."""
        if self.mode == "eager":
            return
        for verdict in list(self.verdicts.values()):
            inner = next(iter(verdict.via), None) if verdict.status == "raised" else None
            function = BY_KEY.get(inner)
            if function is None or function.module == "arrays" or inner in self.verdicts:
                continue
            found = self.compiled_verdict(function, *checks(function))
            if found is not None and found.status != "green":
                found.detail += f" (in {self.mode} mode, compiled on its own too; called from {verdict.function})"
            if found is not None:
                self.verdicts[inner] = found

    def compiled_verdict(self, function, check: Callable, cases: list) -> Verdict | None:
        """The verdict of `check` on the first of `cases` with the port's function compiled (whether it compiles
        and runs: its numbers are its eager check's); None where the check does not call it through the backend's
        module (then nothing was compiled, and nothing is said)."""
        attribute = "deep" if function.module == "deep" else "logistic"
        module = getattr(self.backend, attribute)
        compiled = compiled_alone(getattr(module, function.name), self.backend._compile)
        setattr(self.backend, attribute, _WithOne(module, function.name, compiled))
        try:
            verdict = Verdict(function.key, "green", ALONE).worse(self.attempt(function, check, cases[0]))
        finally:
            setattr(self.backend, attribute, module)
        return verdict if compiled.calls else None
