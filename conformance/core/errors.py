"""What the protocol raises: the errors every backend gives its caller, the same way for every framework."""

from reference_numpy.inputs import InputError  # the reference raises it too: one class for both

__all__ = ["BackendUnavailable", "InputError", "NonFiniteError", "TrainingDiverged"]


class BackendUnavailable(RuntimeError):
    """The framework is not installed, or the device is not there; the message says which."""


class NonFiniteError(InputError):
    """A result left the dtype's range (Inf or NaN): the message names the quantity, its dtype and the cure."""


class TrainingDiverged(NonFiniteError):
    """Gradient descent blew up: the cost became NaN or Inf, or grew tenfold. Names the iteration."""

    def __init__(self, message: str, iteration: int, cost: float) -> None:
        super().__init__(message)
        self.iteration, self.cost = iteration, cost
