"""MOSES-style metrics of generated molecules, and greedy reconstruction.

Molecules are compared by RDKit canonical SMILES (:func:`skcmim.molecules.to_smiles`),
so two spellings of one molecule count as the same molecule.  The definitions
follow MOSES (Polykovskiy et al., 2020):

* validity: the share of generated strings that are molecules;
* uniqueness: the share of distinct molecules among the valid ones;
* novelty: the share of the distinct valid molecules that are not in the
  training set.

Needs RDKit.

Examples
--------
>>> from skcmim.generation_metrics import generation_metrics
>>> generation_metrics(["CCO", "OCC", "C1CC", "c1ccccc1"], training=["CCO"])  # doctest: +SKIP
{'n_generated': 4, 'validity': 0.75, 'uniqueness': 0.6666666666666666, 'novelty': 0.5}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .molecules import to_smiles

__all__ = ["canonical_smiles", "generation_metrics", "reconstruction_accuracy"]


def canonical_smiles(smiles: Iterable[Any]) -> list[str | None]:
    """RDKit canonical SMILES of each entry; None where it is not a molecule.

    Parameters
    ----------
    smiles : iterable of str or None
        Generated or decoded strings (None counts as not a molecule).

    Returns
    -------
    list of str or None
        One entry per input, in order.
    """
    entries = list(smiles)
    if not entries:
        return []
    canonical, _ = to_smiles(entries, canonical=True, on_invalid="nan")
    return canonical


def generation_metrics(generated: Iterable[Any], training: Iterable[str] | None = None) -> dict[str, Any]:
    """Validity, uniqueness and novelty of generated molecules (MOSES definitions).

    Parameters
    ----------
    generated : iterable of str or None
        Generated SMILES, such as the output of ``estimator.sample``.
    training : iterable of str or None, default=None
        The training molecules; novelty is None without them.

    Returns
    -------
    dict
        ``n_generated``; ``validity`` (valid / generated); ``uniqueness``
        (distinct valid / valid); ``novelty`` (distinct valid not in
        ``training`` / distinct valid).  A share without a denominator (no
        input, no valid molecule) is NaN.
    """
    canonical = canonical_smiles(generated)
    valid = [text for text in canonical if text is not None]
    distinct = set(valid)
    novelty = None
    if training is not None:
        known = {text for text in canonical_smiles(training) if text is not None}
        novelty = _share(len(distinct - known), len(distinct))
    return {"n_generated": len(canonical), "validity": _share(len(valid), len(canonical)),
            "uniqueness": _share(len(distinct), len(valid)), "novelty": novelty}


def reconstruction_accuracy(model: Any, smiles: Iterable[str]) -> float:
    """The share of molecules that greedy decoding of their codes gives back.

    A molecule counts when ``model.inverse_transform(model.transform(x))``
    is the same molecule (equal canonical SMILES), however it is spelled.

    Parameters
    ----------
    model : fitted SMILES encoder-decoder
        Such as a :class:`~skcmim.CMIMTransformer` fitted on SMILES.
    smiles : iterable of str
        Valid molecules, for example held-out SMILES.

    Returns
    -------
    float
        In [0, 1]; NaN for no molecules.
    """
    smiles = list(smiles)
    if not smiles:
        return float("nan")
    decoded = canonical_smiles(model.inverse_transform(model.transform(smiles)))
    expected = canonical_smiles(smiles)
    return float(np.mean([got is not None and got == wanted for got, wanted in zip(decoded, expected)]))


def _share(part, whole):
    return part / whole if whole else float("nan")
