"""Splitters for molecules: by Bemis-Murcko scaffold, as MoleculeNet does.

``scaffold_split`` gives one split as DeepChem's ``ScaffoldSplitter`` does;
``scaffold_groups`` gives group labels for scikit-learn's group splitters
(``GroupKFold``, ``GroupShuffleSplit``), so that no scaffold is both in the
training and in the test rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .molecules import to_smiles

__all__ = ["scaffold_groups", "scaffold_split"]


def scaffold_groups(smiles: Sequence[Any]) -> NDArray[np.int64]:
    """Group labels by Bemis-Murcko scaffold, for scikit-learn's group splitters.

    Rows whose molecules share a scaffold (ring systems and the linkers
    between them, without side chains or stereo; every acyclic molecule has
    the empty scaffold) get the same label.  Pass the labels as ``groups``
    to ``GroupKFold``, ``GroupShuffleSplit`` or ``cross_validate`` so that
    no scaffold is in both the training and the test rows.

    Parameters
    ----------
    smiles : list, tuple, 1-D array, pandas Series or one-column DataFrame
        SMILES strings and/or RDKit ``Mol`` objects.

    Returns
    -------
    groups : ndarray of shape (n_samples,), int
        Equal for rows with the same scaffold.

    Raises
    ------
    ValueError
        If a row is not a valid molecule (the error names it).
    ImportError
        If RDKit is not installed.

    Examples
    --------
    >>> from sklearn.model_selection import GroupKFold
    >>> from skcmim.datasets import scaffold_groups
    >>> smiles = ["c1ccccc1O", "c1ccccc1CC", "C1CCNCC1C", "C1CCNCC1O", "CCO", "CCCN"]
    >>> groups = scaffold_groups(smiles)
    >>> groups.tolist()  # benzene, benzene, piperidine, piperidine, acyclic, acyclic
    [2, 2, 1, 1, 0, 0]
    >>> for train, test in GroupKFold(n_splits=3).split(smiles, groups=groups):
    ...     assert not set(groups[train]) & set(groups[test])
    """
    _, groups = np.unique(_scaffolds(smiles), return_inverse=True)
    return groups.astype(np.intp)


def scaffold_split(
    smiles: Sequence[Any], test_size: float = 0.2, valid_size: float = 0.0
) -> tuple[NDArray[np.int64], ...]:
    """Split molecules by Bemis-Murcko scaffold, as MoleculeNet does.

    The rows are grouped by scaffold (RDKit's
    ``MurckoScaffoldSmiles(includeChirality=False)``) and the groups,
    largest first, fill the training set while they fit in its share, then
    the validation set, and the rest go to the test set: DeepChem's
    ``ScaffoldSplitter``, with the same order of equal-sized groups, so the
    sets are the same as DeepChem's.  No scaffold is in two sets, and the
    test molecules have the rarest scaffolds, which makes the test harder
    than a random split.  The split is deterministic.

    For cross-validation by scaffold use :func:`scaffold_groups` with
    ``GroupKFold``; to use this split in ``GridSearchCV`` or
    ``cross_validate``, pass ``cv=[scaffold_split(smiles)]``.

    Parameters
    ----------
    smiles : list, tuple, 1-D array, pandas Series or one-column DataFrame
        SMILES strings and/or RDKit ``Mol`` objects.
    test_size : float, default=0.2
        Share of the rows for the test set, in (0, 1).
    valid_size : float, default=0.0
        Share of the rows for a validation set, in [0, 1); with 0 no
        validation set is made.

    Returns
    -------
    train, test : ndarray of int
        Sorted row indices, when ``valid_size`` is 0.
    train, valid, test : ndarray of int
        When ``valid_size`` is positive.  The training set holds at most
        ``1 - test_size - valid_size`` of the rows; a group joins the
        validation set if training plus validation then hold at most
        ``1 - test_size``, else the test set.  With large groups the shares
        can therefore differ from those asked (a small group may still join
        the training set after the validation set has been filled).

    Raises
    ------
    ValueError
        If a row is not a valid molecule, if the sizes are out of range, or
        if a set would be empty (too few scaffolds for the sizes asked).
    ImportError
        If RDKit is not installed.

    Examples
    --------
    >>> from skcmim.datasets import scaffold_split
    >>> smiles = ["c1ccccc1O", "c1ccccc1CC", "c1ccccc1N", "C1CCNCC1C", "C1CCNCC1O", "CCO", "CCCN", "c1ccncc1"]
    >>> train, test = scaffold_split(smiles, test_size=0.25)
    >>> train.tolist(), test.tolist()  # the piperidines (rows 3, 4) do not fit in the 6 training rows
    ([0, 1, 2, 5, 6, 7], [3, 4])

    Scored on that split, as MoleculeNet reports (``y`` being the targets):

    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from skcmim import MIMTransformer
    >>> model = make_pipeline(MIMTransformer(max_epochs=5), Ridge())
    >>> cross_val_score(model, smiles, y, cv=[(train, test)])  # doctest: +SKIP
    """
    test_size = _check_share("test_size", test_size, low_open=True)
    valid_size = _check_share("valid_size", valid_size, low_open=False)
    if test_size + valid_size >= 1:
        raise ValueError(
            f"test_size + valid_size must be below 1 to leave rows for training; got {test_size} + {valid_size}."
        )
    scaffolds = _scaffolds(smiles)
    rows_of: dict[str, list[int]] = {}
    for row, scaffold in enumerate(scaffolds):
        rows_of.setdefault(scaffold, []).append(row)
    # DeepChem's order: by (size, first row), descending, so equal-sized groups go latest-first
    ordered = sorted(rows_of.values(), key=lambda rows: (len(rows), rows[0]), reverse=True)
    train_cutoff = (1 - test_size - valid_size) * len(scaffolds)
    valid_cutoff = (1 - test_size) * len(scaffolds)
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for rows in ordered:
        if len(train) + len(rows) <= train_cutoff:
            train += rows
        elif len(train) + len(valid) + len(rows) <= valid_cutoff:
            valid += rows
        else:
            test += rows
    sets = {"train": train, "valid": valid, "test": test} if valid_size else {"train": train, "test": test}
    empty = [name for name, rows in sets.items() if not rows]
    if empty:
        raise ValueError(
            f"The scaffold split of {len(scaffolds)} rows into {len(rows_of)} scaffold groups (the largest has "
            f"{len(ordered[0]) if ordered else 0} rows) leaves the {' and '.join(empty)} set empty with "
            f"test_size={test_size}, valid_size={valid_size}. Use more molecules or other sizes."
        )
    return tuple(np.sort(np.asarray(rows, dtype=np.intp)) for rows in sets.values())


def _check_share(name, value, low_open):
    """``value`` as a float share of the rows; a clear error when it is not one."""
    is_number = isinstance(value, Real) and not isinstance(value, bool)
    if not is_number or not (0 < value < 1 if low_open else 0 <= value < 1):
        bounds = "(0, 1)" if low_open else "[0, 1)"
        raise ValueError(f"{name} must be a share of the rows in {bounds}, got {value!r}.")
    return float(value)


def _scaffolds(smiles):
    """Bemis-Murcko scaffold SMILES of every row, without stereo, in row order."""
    texts, _ = to_smiles(smiles, canonical=False)  # validates every row, naming a bad one
    from rdkit import rdBase
    from rdkit.Chem.Scaffolds.MurckoScaffold import MurckoScaffoldSmiles

    with rdBase.BlockLogs():
        return [MurckoScaffoldSmiles(smiles=text, includeChirality=False) for text in texts]
