"""Exceptions and warnings that skcmim raises, for users to catch by name."""

__all__ = ["NonFiniteLossError"]


class NonFiniteLossError(FloatingPointError, ValueError):
    """The training loss or the weights became NaN or infinite.

    A ``ValueError`` too: the usual cause is a value the user chose (a
    learning rate, unscaled features).  The estimator is left as it was
    before the failed ``fit``.
    """
