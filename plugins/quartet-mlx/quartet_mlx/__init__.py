"""The course's models in MLX: pure functions over a params dict, backward by mx.value_and_grad.

MLX is lazy: an operation records what to compute, and mx.eval (or reading a value) computes it. The
training loops evaluate the parameters after every step, as an eager framework would, so that a loop
never holds a graph of more than one step."""
