"""Which backends there are: the frameworks, their modes, dtypes and devices, the package that implements
each, and whether each can run here (imported once, quietly; the reason when it cannot)."""

import functools
import importlib

NAMES = ("numpy", "torch", "jax", "tf")
MODES = {
    "numpy": ("eager",),
    "torch": ("eager", "compiled"),
    "jax": ("eager", "compiled"),
    "tf": ("eager", "compiled", "function"),  # "compiled" is tf.function(jit_compile=True); "function" without XLA
}
DTYPES = ("float32", "float64")
DEVICES = ("cpu", "gpu")
PACKAGES = {"numpy": "reference_numpy", "torch": "impl_torch", "jax": "impl_jax", "tf": "impl_tf"}
FRAMEWORKS = {"numpy": "numpy", "torch": "torch", "jax": "jax", "tf": "tensorflow"}


@functools.cache
def framework_status(name: str) -> tuple[bool, str]:
    """(True, version) or (False, why it cannot be imported)."""
    from .environment import captured_stderr

    try:
        with captured_stderr():  # TensorFlow's start-up notices, which no log level silences
            module = importlib.import_module(FRAMEWORKS[name])
            importlib.import_module(PACKAGES[name])
    except ImportError as err:
        return False, f"{FRAMEWORKS[name]} not installed ({err})"
    return True, str(getattr(module, "__version__", ""))


@functools.cache
def device_status(name: str, device: str) -> tuple[bool, str]:
    ok, reason = framework_status(name)
    if not ok:
        return False, reason
    if device == "cpu":
        return True, ""
    if name == "numpy":
        return False, "NumPy runs on the CPU only"
    try:
        importlib.import_module(f"{PACKAGES[name]}.arrays").resolve_device("gpu")
    except RuntimeError as err:
        return False, str(err)
    return True, ""


def available_backends() -> list[dict]:
    """One row per (name, mode, dtype, device): available, and the reason where it is not."""
    rows = []
    for name in NAMES:
        for mode in MODES[name]:
            for dtype in DTYPES:
                for device in DEVICES:
                    ok, reason = device_status(name, device)
                    rows.append(
                        dict(
                            name=name, mode=mode, dtype=dtype, device=device, available=ok, reason="" if ok else reason
                        )
                    )
    return rows
