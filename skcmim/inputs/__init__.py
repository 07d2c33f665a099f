"""Input kinds: one object per kind of data an estimator can be fitted on.

``fit`` decides the kind once (:func:`make_input`) and hands every data
question to the resulting object, the estimator's ``input_``.  See
:class:`~skcmim.inputs.base.DataInput` for the operations a kind provides.
"""

from ..molecules import is_molecular_input
from .base import DataInput, InferenceRows
from .numeric import FeatureStats, NumericInput
from .smiles import SmilesInput

__all__ = ["INPUT_KINDS", "DataInput", "FeatureStats", "InferenceRows", "NumericInput", "SmilesInput",
           "input_from_fitted_state", "make_input"]

#: The input kinds by name (the values of the ``input_kind`` parameter
#: besides ``"auto"``).  A new kind registers here.
INPUT_KINDS = {"numeric": NumericInput, "smiles": SmilesInput}


def detect_kind(X):
    """The kind ``input_kind="auto"`` picks for X (or a first chunk of it)."""
    return "smiles" if is_molecular_input(X) else "numeric"


def make_input(input_kind, X):
    """A new, unfitted input object for ``input_kind`` (``"auto"``: decided from X)."""
    kind = detect_kind(X) if input_kind == "auto" else input_kind
    return INPUT_KINDS[kind]()


def input_from_fitted_state(arrays, fitted):
    """The fitted input object stored in a model file."""
    return INPUT_KINDS[fitted.get("input_kind_", "numeric")].from_fitted_state(arrays, fitted)
