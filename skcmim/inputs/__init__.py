"""Input kinds: one object per kind of data an estimator can be fitted on.

An estimator's ``input`` parameter is ``"auto"`` or an input object
(:class:`NumericInput`, :class:`SmilesInput`, or a kind of your own); ``fit``
clones it into the fitted ``input_`` and hands every data question to it.
See :class:`~skcmim.inputs.base.DataInput` for the operations a kind
provides; a kind of your own declares its options with :func:`param` and
:func:`parameters`, as the estimators do.
"""

from sklearn.base import clone

from .._parameters import param, parameters
from .base import INPUT_KINDS, DataInput, InferenceRows, Reading, register_input_kind
from .numeric import FeatureStats, NumericInput
from .smiles import SmilesInput

__all__ = [
    "INPUT_KINDS",
    "DataInput",
    "FeatureStats",
    "InferenceRows",
    "NumericInput",
    "Reading",
    "SmilesInput",
    "detect_kind",
    "input_from_file",
    "input_of_flat_parameters",
    "make_input",
    "param",
    "parameters",
    "recognised_kind",
    "register_input_kind",
]

# What input="auto" falls back to when no other kind accepts the data.
_FALLBACK = NumericInput


def recognised_kind(X):
    """The input kind that recognises X (or a first chunk of it) as its own, or None."""
    return next((cls for cls in INPUT_KINDS.values() if cls.accepts(X)), None)


def detect_kind(X):
    """The input kind ``input="auto"`` picks for X: the one that recognises it, else numeric."""
    return recognised_kind(X) or _FALLBACK


def make_input(input, X):
    """A new, unfitted input object: a clone of ``input``, or for ``"auto"`` the kind X holds."""
    return detect_kind(X)() if isinstance(input, str) else clone(input)


def input_from_file(kind, params):
    """The unfitted input of a model file: its kind by name and the input's parameters.

    Raises
    ------
    ValueError
        If ``kind`` is not a registered input kind or ``params`` are not
        its parameters.
    """
    if kind not in INPUT_KINDS:
        raise ValueError(f"input kind {kind!r} is not one skcmim knows ({', '.join(map(repr, INPUT_KINDS))}).")
    cls = INPUT_KINDS[kind]
    unknown = set(params) - set(cls().get_params(deep=False))
    if unknown:
        raise ValueError(f"input parameters {sorted(unknown)} are not parameters of {cls.__name__}.")
    from .._parameters import validate_parameters

    made = cls(**params)
    validate_parameters(made)
    return made


def input_of_flat_parameters(flat, X, *, format_1=False):
    """The input object that 0.1's flat parameters (``input_kind``, ``alphabet``...) describe for X.

    With ``format_1``, the parameters of a model file of skcmim 0.1: options
    added since then take the value that reproduces that model.
    """
    kind = flat.get("input_kind", "auto")
    cls = detect_kind(X) if kind == "auto" else INPUT_KINDS.get(kind)
    if cls is None:
        raise ValueError(f"input_kind={kind!r} is not a kind of input; use one of {sorted(INPUT_KINDS)}.")
    accepted = cls().get_params(deep=False)
    options = {
        **(cls.format_1_options if format_1 else {}),
        **{name: value for name, value in flat.items() if name in accepted},
    }
    if options.get("likelihood") == "categorical":  # 0.1's name for the likelihood of molecules
        raise ValueError("likelihood='categorical' is for molecules; X is a numeric matrix.")
    return cls(**options)
