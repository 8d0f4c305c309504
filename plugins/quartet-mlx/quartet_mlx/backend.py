"""MLX's declaration to quartet (the entry point `quartet.backends: mlx`): what it runs, and how a mode
compiles a function. Importing this module does not import MLX: quartet reads it to list the backends."""

from conformance.registry import BackendInfo


def compiler(mode: str):
    """ "compiled" is mx.compile: the function traced once per input shape and dtype, its graph fused."""
    import mlx.core as mx

    return mx.compile


BACKEND = BackendInfo(
    name="mlx",
    title="MLX",
    package="quartet_mlx",
    framework="mlx.core",
    modes=("eager", "compiled"),
    dtypes=("float32", "float64"),  # float64 on the CPU only, as MLX itself
    devices=("cpu",),  # MLX's GPU is Apple's Metal, not CUDA; quartet's "gpu" means an NVIDIA device
    compiler="quartet_mlx.backend:compiler",
    unsupported={"data_parallel": "MLX's distributed layer (MPI or its ring) is not wired to quartet's engine"},
)
