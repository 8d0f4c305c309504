"""Conversion at the boundary: NumPy in, JAX arrays of one dtype on one device, NumPy out."""

import jax
import numpy as np

DTYPES = ("float32", "float64")
DEVICES = ("cpu", "gpu")


def resolve_device(device: str) -> jax.Device:
    """The first jax.Device of the platform "cpu" or "gpu"."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; choose one of {DEVICES}")
    try:
        return jax.devices(device)[0]
    except RuntimeError:
        # jax says "Unknown backend: 'gpu' requested ...": say what it means, and drop its traceback.
        platforms = sorted({d.platform for d in jax.devices()})
        message = f"no GPU visible to jax (jax {jax.__version__} sees only {platforms}; a GPU needs jax[cuda12])"
        raise RuntimeError(message) from None


def from_numpy(arrays: dict[str, np.ndarray] | np.ndarray, dtype: str, device: str) -> dict[str, jax.Array] | jax.Array:
    """NumPy -> JAX arrays of `dtype` on `device`: a dict gives a dict with the same keys, an array an array."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; choose one of {DTYPES}")
    target = resolve_device(device)
    # np.array copies: on the CPU, device_put may keep the host buffer it is given, which the caller still holds
    if isinstance(arrays, dict):
        return {name: jax.device_put(np.array(array, dtype=dtype), target) for name, array in arrays.items()}
    return jax.device_put(np.array(arrays, dtype=dtype), target)


def to_numpy(x: dict[str, jax.Array] | jax.Array | float) -> dict[str, np.ndarray] | np.ndarray | float:
    """JAX -> NumPy (a dict gives a dict); a 0-d array, such as a cost, gives a Python float."""
    if isinstance(x, dict):
        return {name: to_numpy(value) for name, value in x.items()}
    array = np.asarray(x)  # copies to the host, waiting for the computation to finish
    return float(array) if array.ndim == 0 else array
