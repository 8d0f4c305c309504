"""What the protocol raises: the errors every backend gives its caller, the same way for every framework."""


class BackendUnavailable(RuntimeError):
    """The framework is not installed, or the device is not there; the message says which."""


class InputError(ValueError):
    """An argument that cannot be used: the message names it, with the shapes or values involved."""


class NonFiniteError(InputError):
    """A result left the dtype's range (Inf or NaN): the message names the quantity, its dtype and the cure."""


class TrainingDiverged(NonFiniteError):
    """Gradient descent blew up: the cost became NaN or Inf, or grew tenfold. Names the iteration."""

    def __init__(self, message: str, iteration: int, cost: float) -> None:
        super().__init__(message)
        self.iteration, self.cost = iteration, cost
