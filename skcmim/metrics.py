"""Diagnostics of a fitted encoder-decoder's code space."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.validation import check_is_fitted

__all__ = ["active_dimensions", "code_activity"]


def code_activity(estimator: Any, X: ArrayLike) -> NDArray[np.float64]:
    """Variance over X of each code dimension's posterior mean, ``Cov_x(E[z|x])``.

    Parameters
    ----------
    estimator : fitted skcmim transformer
    X : array-like or SMILES
        Data of the kind the estimator was fitted on; at least two rows
        with a code.

    Returns
    -------
    activity : ndarray of shape (n_components,)
    """
    check_is_fitted(estimator)
    # transform emits the code first, informative embeddings or not
    codes = np.asarray(estimator.transform(X), dtype=np.float64)[:, : estimator.n_components]
    codes = codes[np.isfinite(codes).all(axis=1)]  # invalid molecules' NaN rows have no code
    if len(codes) < 2:
        raise ValueError(f"code_activity needs at least two rows with a code, got {len(codes)}.")
    return codes.var(axis=0, ddof=1)


def active_dimensions(estimator: Any, X: ArrayLike, threshold: float = 0.01) -> int:
    """Number of active code dimensions (Burda et al., 2016).

    A dimension is active when the variance of its posterior mean over the
    data, ``Cov_x(E[z|x])``, exceeds ``threshold``: a collapsed dimension
    encodes every input alike.

    Parameters
    ----------
    estimator : fitted skcmim transformer
    X : array-like or SMILES
        Data of the kind the estimator was fitted on.
    threshold : float, default=0.01
        Burda et al.'s threshold; must be >= 0.

    Returns
    -------
    n_active : int

    References
    ----------
    Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
    Autoencoders", ICLR 2016, section 5.2.

    Examples
    --------
    >>> from skcmim.baselines import VAETransformer
    >>> from skcmim.datasets import load_digits_unit
    >>> from skcmim.metrics import active_dimensions
    >>> X, _ = load_digits_unit()
    >>> vae = VAETransformer(n_components=4, max_epochs=2, random_state=0).fit(X)
    >>> 0 <= active_dimensions(vae, X) <= 4
    True
    """
    if not isinstance(threshold, Real) or isinstance(threshold, bool) or not 0 <= threshold < np.inf:
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}.")
    return int((code_activity(estimator, X) > threshold).sum())
