"""skcmim: Mutual Information Machine representation learning for scikit-learn.

Public API
----------
MIMTransformer
    Encoder-decoder trained with the asymmetric MIM loss.
CMIMTransformer
    MIM with the batch-size-robust contrastive term (cMIM).
load
    Load a model written by ``estimator.save(path)`` (safetensors + JSON,
    no pickle).

Both are scikit-learn transformers: use them in a ``Pipeline``, grid-search
``n_components``, save them with joblib.  ``informative=True`` makes
``transform`` return informative embeddings (code plus decoder states).
"""

from ._version import __version__
from .estimators import CMIMTransformer, MIMTransformer
from .persistence import load

__all__ = ["CMIMTransformer", "MIMTransformer", "__version__", "load"]
