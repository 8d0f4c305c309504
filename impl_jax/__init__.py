"""The course's models in JAX: pure functions over a params dict, backward by jax.value_and_grad."""

import jax

# Every array here is made with an explicit dtype (float32 stays float32); x64 only makes float64
# possible, since JAX otherwise silently turns every float64 request into float32.
jax.config.update("jax_enable_x64", True)
