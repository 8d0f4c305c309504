"""NumPy in, PyTorch tensors out, and back: the only place where impl_torch meets NumPy.

Every tensor is made with an explicit dtype (torch.float32 or torch.float64); nothing here relies
on torch's default dtype."""

import numpy as np
import torch

DTYPES = ("float32", "float64")
DEVICES = ("cpu", "gpu")
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_device(device: str) -> torch.device:
    """ "cpu" -> torch.device("cpu"); "gpu" -> torch.device("cuda"), if torch can see one."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; choose one of {DEVICES}")
    if device == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise RuntimeError(f"no GPU visible to torch (torch {torch.__version__}, {build}): use device 'cpu'")
    return torch.device("cuda")


def from_numpy(
    arrays: dict[str, np.ndarray] | np.ndarray, dtype: str, device: str
) -> dict[str, torch.Tensor] | torch.Tensor:
    """NumPy array(s) -> tensor(s) of `dtype` on `device`; a dict keeps its keys and shapes."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; choose one of {DTYPES}")
    torch_device = resolve_device(device)
    if isinstance(arrays, dict):
        return {name: from_numpy(array, dtype, device) for name, array in arrays.items()}
    # torch.tensor always copies (torch.from_numpy would share memory with the caller's array)
    return torch.tensor(np.asarray(arrays), dtype=TORCH_DTYPES[dtype], device=torch_device)


def to_numpy(x: dict[str, torch.Tensor] | torch.Tensor | float) -> dict[str, np.ndarray] | np.ndarray | float:
    """Tensor(s) -> NumPy array(s) (a dict keeps its keys); a 0-d tensor or a float -> a Python float."""
    if isinstance(x, dict):
        return {name: to_numpy(tensor) for name, tensor in x.items()}
    if isinstance(x, float | int):
        return float(x)
    if x.ndim == 0:
        return float(x)  # copies to the host, waiting for the GPU if there is one
    return x.detach().cpu().numpy()
