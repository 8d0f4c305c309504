"""The course's models in NumPy, forward and backward written by hand: the reference."""
