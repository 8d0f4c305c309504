"""The checks of a port's array boundary: from_numpy, to_numpy, resolve_device, sync. The Checker of functions.py has
them."""

import copy
import functools

import numpy as np

from .cases import Case
from .catalogue import (
    Function,
    Verdict,
)
from .measure import refusal


class ArrayChecks:
    """The checks of a port's array boundary: from_numpy, to_numpy, resolve_device, sync."""

    def arrays_cases(self, case: Case) -> list[tuple[str, object]]:
        """What the boundary is given: a matrix, m = 1, a (1, 1) and a (1, m) array, and a dict of them."""
        X = case.X
        shapes = {"an array": X[:, :5], "m = 1": X[:, :1], "a (1, 1) array": X[:1, :1], "a (1, m) array": X[:1, :]}
        return [*shapes.items(), ("a dict", {"W1": X[:, :3].T.copy(), "b1": X[:3, :1].copy()})]

    def check_arrays_from_numpy(self, function: Function, case: Case) -> Verdict:
        """Each input as the framework's arrays of exactly the run's dtype, the same shape and the same values
        (read with np.asarray, not through to_numpy, which has its own check)."""
        other = "float64" if self.dtype == "float32" else "float32"
        for what, given in self.arrays_cases(case):
            made = self.backend.arrays.from_numpy(copy.deepcopy(given), self.dtype, self.device)
            pairs = (
                [(None, given, made)]
                if not isinstance(given, dict)
                else [(k, v, made.get(k) if isinstance(made, dict) else None) for k, v in given.items()]
            )
            for key, want, got in pairs:
                name = f"{what} ({key})" if key else what
                if got is None:
                    return Verdict(function.key, "wrong", f"from_numpy of {what} gives no {key!r}", float("inf"))
                text = str(getattr(got, "dtype", ""))
                if other in text or (self.dtype not in text and text):
                    return Verdict(
                        function.key, "wrong", f"from_numpy of {name} in {self.dtype} makes {text} arrays", float("inf")
                    )
                shape = tuple(int(n) for n in getattr(got, "shape", np.shape(want)))
                if shape != want.shape:
                    return Verdict(
                        function.key, "wrong", f"from_numpy of {name} {want.shape} makes shape {shape}", float("inf")
                    )
                try:
                    values = np.asarray(got, dtype=np.float64)
                except Exception:  # a framework whose arrays NumPy cannot read: its dtype and shape are checked
                    continue
                if not np.array_equal(values, want.astype(self.dtype).astype(np.float64)):
                    return Verdict(function.key, "wrong", f"from_numpy of {name} changes its values", float("inf"))
        x = np.array(self.arrays_cases(case)[0][1], dtype=self.dtype)  # a copy of the caller's, not a view of it
        made = self.backend.arrays.from_numpy(x, self.dtype, self.device)
        x[...] = np.nan
        try:
            shared = bool(np.isnan(np.asarray(made, dtype=np.float64)).any())  # read by NumPy, not by to_numpy
        except Exception:  # a framework whose arrays NumPy cannot read
            shared = False
        if shared:
            return Verdict(
                function.key,
                "wrong",
                "from_numpy shares memory with the caller's NumPy array: changing "
                "the array afterwards changes the framework's (it must copy)",
                float("inf"),
            )
        return self._refuses_other_dtypes(function, case) or Verdict(function.key, "green")

    def _refuses_other_dtypes(self, function: Function, case: Case) -> Verdict | None:
        """None when from_numpy refuses a dtype the course does not run (float16, int32) with a ValueError that
        names it, as the four built-in ports do; else the wrong verdict (accepting it gives numbers of another
        precision without a word; an AttributeError or a KeyError is a traceback from inside the port)."""
        for dtype in ("float16", "int32"):
            convert = functools.partial(self.backend.arrays.from_numpy, case.X[:, :2].copy(), dtype, self.device)
            said = refusal(convert, dtype, self.package)
            if said is not None:
                detail = f"from_numpy accepts {dtype}" if said == "was accepted" else f"from_numpy given {dtype} {said}"
                detail += ": only float32 and float64 are run; the others are refused with a ValueError naming them"
                return Verdict(function.key, "wrong", detail[:300], float("inf"))
        return None

    def check_arrays_to_numpy(self, function: Function, case: Case) -> Verdict:
        """to_numpy(from_numpy(x)) is x: a NumPy array of the run's dtype, its shape and values (a dict a dict)."""
        arrays = self.backend.arrays
        for what, given in self.arrays_cases(case):
            back = arrays.to_numpy(arrays.from_numpy(copy.deepcopy(given), self.dtype, self.device))
            pairs = (
                [(None, given, back)]
                if not isinstance(given, dict)
                else [(k, v, back.get(k) if isinstance(back, dict) else None) for k, v in given.items()]
            )
            for key, want, got in pairs:
                name = f"{what} ({key})" if key else what
                if not isinstance(got, np.ndarray):
                    return Verdict(
                        function.key,
                        "wrong",
                        f"to_numpy of {name} gives {type(got).__name__}, not a NumPy array",
                        float("inf"),
                    )
                if got.dtype != self.dtype:
                    return Verdict(
                        function.key, "wrong", f"to_numpy of {name} in {self.dtype} gives {got.dtype}", float("inf")
                    )
                if got.shape != want.shape or not np.array_equal(got, want.astype(self.dtype)):
                    return Verdict(
                        function.key,
                        "wrong",
                        f"to_numpy(from_numpy(x)) is not x for {name} of {want.shape} in {self.dtype}",
                        float("inf"),
                    )
        return Verdict(function.key, "green")

    def check_arrays_resolve_device(self, function: Function, case: Case) -> Verdict:
        """A device for "cpu"; for "gpu" a device other than the CPU's, or RuntimeError with the reason (never
        another exception): a GPU request served by the CPU runs a "gpu" row, and reports it, on the CPU."""
        cpu = self.backend.arrays.resolve_device("cpu")
        try:
            gpu = self.backend.arrays.resolve_device("gpu")
        except RuntimeError:
            return Verdict(function.key, "green")
        if gpu == cpu or str(gpu) == str(cpu):
            return Verdict(
                function.key,
                "wrong",
                f'resolve_device("gpu") gives the CPU\'s device ({gpu!r}), where a framework without a GPU raises '
                "RuntimeError with the reason",
                float("inf"),
            )
        return Verdict(function.key, "green")

    def check_arrays_sync(self, function: Function, case: Case) -> Verdict:
        """Returns (having waited) for an array and for a dict of them."""
        for _, given in self.arrays_cases(case)[::4]:
            self.backend.arrays.sync(self.backend.arrays.from_numpy(copy.deepcopy(given), self.dtype, self.device))
        return Verdict(function.key, "green")
