"""Conversion at the boundary: NumPy in, MLX arrays of one dtype on one device, NumPy out."""

import mlx.core as mx
import numpy as np

DTYPES = ("float32", "float64")
DEVICES = ("cpu", "gpu")


def resolve_device(device: str) -> mx.Device:
    """mx.cpu for "cpu"; "gpu" (an NVIDIA device, as quartet means it) is not MLX's: it says so."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; choose one of {DEVICES}")
    if device == "gpu":
        raise RuntimeError("no GPU for mlx: its GPU backend is Apple's Metal, and quartet's gpu is CUDA")
    return mx.cpu


def from_numpy(arrays: dict[str, np.ndarray] | np.ndarray, dtype: str, device: str) -> dict[str, mx.array] | mx.array:
    """NumPy -> MLX arrays of `dtype` on `device`: a dict gives a dict with the same keys, an array an array."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; choose one of {DTYPES}")
    mx.set_default_device(resolve_device(device))  # float64 exists on the CPU only
    if isinstance(arrays, dict):
        return {
            name: mx.array(np.asarray(array, dtype=dtype), dtype=getattr(mx, dtype)) for name, array in arrays.items()
        }
    return mx.array(np.asarray(arrays, dtype=dtype), dtype=getattr(mx, dtype))  # else MLX makes float64 float32


def to_numpy(x: dict[str, mx.array] | mx.array | float) -> dict[str, np.ndarray] | np.ndarray | float:
    """MLX -> NumPy (a dict gives a dict); a 0-d array, such as a cost, gives a Python float."""
    if isinstance(x, dict):
        return {name: to_numpy(value) for name, value in x.items()}
    array = np.array(x, copy=True)  # computes what was recorded, then copies to NumPy
    return float(array) if array.ndim == 0 else array


def sync(state) -> None:
    """Returns when every array of `state` (a dict, list or array) is computed: MLX records, mx.eval runs."""
    mx.eval(state)
