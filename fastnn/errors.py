"""Exceptions of fastnn besides ValueError (bad input)."""


class DivergenceError(FloatingPointError):
    """Training stopped because the cost or the parameters became NaN or infinite."""
