"""ZINC: the drug-like SMILES of the MOSES benchmark, read from disk in one streaming pass."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from ..streaming import DEFAULT_CHUNK_SIZE, SmilesFile, check_n_samples
from ._download import dataset_file
from ._registry import REMOTE_FILES

__all__ = ["fetch_zinc", "load_zinc"]


def fetch_zinc(
    split: str = "train",
    n_samples: int | None = None,
    random_state: int | np.random.RandomState | None = None,
    stream: bool = False,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
    path: str | os.PathLike[str] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Any:
    """ZINC drug-like SMILES of the MOSES benchmark, streamed from disk.

    The MOSES files hold one SMILES a line under a ``SMILES`` header:
    1,584,663 in ``train`` (10 MB gzip'd), 176,074 in ``test``.  The file is
    read from, in order: ``path``; the data home (:func:`get_data_home`),
    as ``zinc_moses_{split}.csv.gz``; else it is downloaded from the MOSES
    repository,
    https://media.githubusercontent.com/media/molecularsets/moses/master/moses/dataset/data/train.csv.gz
    (``test.csv.gz``), into the data home.  Every file but ``path`` is
    checked against the registered SHA-256, that of the Git LFS object the
    MOSES repository stores.

    Parameters
    ----------
    split : {"train", "test"}, default="train"
    n_samples : int or None, default=None
        How many SMILES to return; all when None.
    random_state : int, RandomState instance or None, default=None
        None with ``n_samples``: the first ``n_samples`` lines (only those
        are read).  Otherwise a uniform random subset drawn by reservoir
        sampling in one streaming pass; it is returned in file order.
    stream : bool, default=False
        Return a :class:`~skcmim.streaming.SmilesFile` that reads the file
        chunk by chunk each time it is iterated, instead of a list: ``fit``
        then trains with flat memory however large ``n_samples`` is.  Only
        the first ``n_samples`` lines can be streamed (``random_state`` must
        be None); the MOSES files are already in random order.
    data_home : str or path-like or None, default=None
        The data home; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the file when it is nowhere on disk; if False, raise
        ``FileNotFoundError`` instead.
    path : str or path-like or None, default=None
        Your own SMILES file (or a folder holding ``zinc_moses_{split}.csv.gz``),
        read as it is, without a checksum.
    chunk_size : int, default=65536
        SMILES per chunk when ``stream=True``.

    Returns
    -------
    list of str or SmilesFile
        A :class:`~skcmim.streaming.SmilesFile` when ``stream=True``.

    Raises
    ------
    FileNotFoundError
        With ``download_if_missing=False``, if the file is nowhere on disk.
    OSError
        If the download fails, runs past its deadline (10 minutes), or is
        larger than twice the registered file, or if a file's checksum is
        not a registered one.
    TypeError
        If ``n_samples`` is not an integer (a bool, a list, a string).
    ValueError
        If ``n_samples`` is negative, not whole or not finite, or exceeds the
        number of SMILES in the file.

    Examples
    --------
    >>> from skcmim.datasets import fetch_zinc
    >>> smiles = fetch_zinc(n_samples=1000, random_state=0)  # doctest: +SKIP
    >>> zinc = fetch_zinc(stream=True)  # all 1.6 million, read chunk by chunk  # doctest: +SKIP
    """
    return _zinc(split, n_samples, random_state, stream, chunk_size, path, data_home, download_if_missing, verify=True)


def load_zinc(
    n_samples: int | None = None,
    path: str | os.PathLike[str] | None = None,
    split: str = "train",
    random_state: int | np.random.RandomState | None = None,
    stream: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Any:
    """ZINC SMILES of the MOSES benchmark from disk: :func:`fetch_zinc` without download.

    Kept for existing code.  The file is read from ``path`` if given, else
    from the data home (``$SKCMIM_DATA`` or ``~/skcmim_data``), without a
    checksum, so that a folder of your own files works as before.

    Parameters
    ----------
    n_samples : int or None, default=None
        How many SMILES to return; all when None.
    path : str or Path or None, default=None
        A folder holding the file of ``split``, or the file itself.
    split : {"train", "test"}, default="train"
    random_state : int, RandomState instance or None, default=None
        As in :func:`fetch_zinc`.
    stream : bool, default=False
        As in :func:`fetch_zinc`.
    chunk_size : int, default=65536
        SMILES per chunk when ``stream=True``.

    Returns
    -------
    list of str or SmilesFile
        A :class:`~skcmim.streaming.SmilesFile` when ``stream=True``.

    Raises
    ------
    FileNotFoundError
        If the file is neither at ``path`` nor in the data home.
    TypeError
        If ``n_samples`` is not an integer (a bool, a list, a string).
    ValueError
        If ``n_samples`` is negative, not whole or not finite, or exceeds the
        number of SMILES in the file.

    Examples
    --------
    >>> from skcmim.datasets import load_zinc
    >>> smiles = load_zinc(n_samples=100, split="test")  # doctest: +SKIP
    """
    return _zinc(split, n_samples, random_state, stream, chunk_size, path, None, False, verify=False)


def _zinc(split, n_samples, random_state, stream, chunk_size, path, data_home, download_if_missing, verify):
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    n_samples = check_n_samples(n_samples)
    if stream and random_state is not None:
        raise ValueError("stream=True reads the first n_samples lines; random_state must be None.")
    found = dataset_file(REMOTE_FILES[f"zinc_{split}"], path, data_home, download_if_missing, verify)
    if stream:
        return SmilesFile(found, chunk_size=chunk_size, n_samples=n_samples)
    if n_samples is None or random_state is None:
        smiles = list(SmilesFile(found, n_samples=n_samples).lines())
        total = len(smiles)
    else:
        smiles, total = _reservoir(SmilesFile(found).lines(), n_samples, check_random_state(random_state))
    if n_samples is not None and len(smiles) < n_samples:
        raise ValueError(f"n_samples={n_samples} exceeds the {total} SMILES in {found}.")
    return smiles


def _reservoir(items, k, rng):
    """Uniform sample of ``k`` items of a stream in one pass (Li's algorithm L).

    Returns the sample in stream order and the number of items seen.
    """
    reservoir = []  # (position, item)
    iterator = enumerate(items)
    for position, item in iterator:
        reservoir.append((position, item))
        if len(reservoir) == k:
            break
    seen = len(reservoir)
    if k == 0 or seen < k:
        return [item for _, item in reservoir], seen
    weight = np.exp(np.log(1.0 - rng.random_sample()) / k)
    next_position = k - 1 + int(np.floor(np.log(1.0 - rng.random_sample()) / np.log1p(-weight))) + 1
    for position, item in iterator:
        seen = position + 1
        if position == next_position:
            reservoir[rng.randint(k)] = (position, item)
            weight *= np.exp(np.log(1.0 - rng.random_sample()) / k)
            next_position += int(np.floor(np.log(1.0 - rng.random_sample()) / np.log1p(-weight))) + 1
    reservoir.sort(key=_first)
    return [item for _, item in reservoir], seen


def _first(pair):
    return pair[0]
