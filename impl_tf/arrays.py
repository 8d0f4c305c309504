"""NumPy in, TensorFlow tensors out, and back: the only place where impl_tf meets NumPy.

Every tensor is made with an explicit dtype (tf.float32 or tf.float64): TensorFlow never mixes the
two in one op, so a dtype chosen here is the dtype of every number computed from it."""

import numpy as np
import tensorflow as tf

DTYPES = ("float32", "float64")
DEVICES = ("cpu", "gpu")
TF_DTYPES = {"float32": tf.float32, "float64": tf.float64}


def resolve_device(device: str) -> str:
    """ "cpu" -> "/CPU:0"; "gpu" -> "/GPU:0", if TensorFlow can see one. The result is for tf.device()."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; choose one of {DEVICES}")
    if device == "cpu":
        return "/CPU:0"
    if not tf.config.list_physical_devices("GPU"):
        build = "built with CUDA" if tf.test.is_built_with_cuda() else "a CPU-only build"
        raise RuntimeError(f"no GPU visible to TensorFlow (tensorflow {tf.__version__}, {build}): use device 'cpu'")
    return "/GPU:0"


def from_numpy(arrays: dict[str, np.ndarray] | np.ndarray, dtype: str, device: str) -> dict[str, tf.Tensor] | tf.Tensor:
    """NumPy array(s) -> tensor(s) of `dtype` on `device`; a dict keeps its keys and shapes."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; choose one of {DTYPES}")
    tf_device = resolve_device(device)
    if isinstance(arrays, dict):
        return {name: from_numpy(array, dtype, device) for name, array in arrays.items()}
    # Plain tensors, not tf.Variable: the models are pure functions that return new parameters.
    # An eager tf.constant is made on the device of the enclosing tf.device scope.
    with tf.device(tf_device):
        return tf.constant(np.asarray(arrays), dtype=TF_DTYPES[dtype])


def to_numpy(x: dict[str, tf.Tensor] | tf.Tensor | float) -> dict[str, np.ndarray] | np.ndarray | float:
    """Tensor(s) -> NumPy array(s) (a dict keeps its keys); a 0-d tensor or a float -> a Python float."""
    if isinstance(x, dict):
        return {name: to_numpy(tensor) for name, tensor in x.items()}
    if isinstance(x, float | int):
        return float(x)
    array = x.numpy()  # copies to the host, waiting for the computation to finish
    return float(array) if array.ndim == 0 else array
