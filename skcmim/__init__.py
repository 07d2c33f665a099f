"""skcmim: Mutual Information Machine representation learning for scikit-learn.

Public API
----------
MIMTransformer
    Encoder-decoder trained with the asymmetric MIM loss.
CMIMTransformer
    MIM with the batch-size-robust contrastive term (cMIM).
NumericInput, SmilesInput
    The kinds of data the estimators read (their ``input`` parameter):
    numeric matrices, and molecules as SMILES strings or RDKit Mols.
load
    Load a model written by ``estimator.save(path)`` (safetensors + JSON,
    no pickle).

Both are scikit-learn transformers: use them in a ``Pipeline``, grid-search
``n_components``, save them with joblib.  ``informative=True`` makes
``transform`` return informative embeddings (code plus decoder states).
"""

import importlib.util
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .estimators import CMIMTransformer, MIMTransformer
    from .inputs import NumericInput, SmilesInput
    from .persistence import load

__all__ = ["CMIMTransformer", "MIMTransformer", "NumericInput", "SmilesInput", "__version__", "load"]

# The estimators bring in torch, skorch and scikit-learn (seconds to import);
# they load on first use, so that a process that needs one light module (a
# worker that reads molecules, the command line's `skcmim models`) does not
# pay for them.
_PUBLIC_OBJECTS = {
    "CMIMTransformer": "estimators",
    "MIMTransformer": "estimators",
    "NumericInput": "inputs",
    "SmilesInput": "inputs",
    "load": "persistence",
}


def __getattr__(name: str) -> Any:
    if name in _PUBLIC_OBJECTS:
        value = getattr(importlib.import_module(f".{_PUBLIC_OBJECTS[name]}", __name__), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)  # `import skcmim; skcmim.datasets`
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
