"""MOSES-style metrics of generated molecules, and greedy reconstruction.

Molecules are compared by RDKit canonical SMILES (:func:`skcmim.molecules.to_smiles`),
so two spellings of one molecule count as the same molecule.  The definitions
follow MOSES (Polykovskiy et al., 2020):

* validity: the share of generated strings that are molecules;
* uniqueness: the share of distinct molecules among the valid ones;
* novelty: the share of the distinct valid molecules that are not in the
  training set.

:func:`distribution_metrics` compares the valid generated molecules with a
reference set (held-out test molecules), as MOSES does: nearest-neighbour
similarity (SNN), fragment and scaffold similarity (Frag, Scaf), internal
diversity (IntDiv1), the share free of PAINS alerts, and the Wasserstein
distances of logP, QED and molecular weight.  Validity says whether the
samples are molecules; these say whether they look like the data.

Needs RDKit.

Examples
--------
>>> from skcmim.generation_metrics import generation_metrics
>>> generation_metrics(["CCO", "OCC", "C1CC", "c1ccccc1"], training=["CCO"])  # doctest: +SKIP
{'n_generated': 4, 'validity': 0.75, 'uniqueness': 0.6666666666666666, 'novelty': 0.5}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from .molecules import to_smiles

__all__ = ["canonical_smiles", "distribution_metrics", "generation_metrics", "reconstruction_accuracy"]


def canonical_smiles(smiles: Iterable[Any], *, isomeric: bool = True) -> list[str | None]:
    """RDKit canonical SMILES of each entry; None where it is not a molecule.

    Parameters
    ----------
    smiles : iterable of str or None
        Generated or decoded strings (None counts as not a molecule).
    isomeric : bool, default=True
        Keep stereochemistry and isotopes (see :func:`skcmim.molecules.to_smiles`).

    Returns
    -------
    list of str or None
        One entry per input, in order.
    """
    entries = list(smiles)
    if not entries:
        return []
    canonical, _ = to_smiles(entries, canonical=True, isomeric=isomeric, on_invalid="nan")
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
    return {
        "n_generated": len(canonical),
        "validity": _share(len(valid), len(canonical)),
        "uniqueness": _share(len(distinct), len(valid)),
        "novelty": novelty,
    }


def reconstruction_accuracy(model: Any, smiles: Iterable[str]) -> float:
    """The share of molecules that greedy decoding of their codes gives back.

    A molecule counts when ``model.inverse_transform(model.transform(x))``
    is the same molecule (equal canonical SMILES), however it is spelled,
    and as the model reads molecules (its fitted ``input_``): without
    stereochemistry for ``isomeric=False``, standardised for
    ``standardize=True``.

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
    reading = model.input_
    decoded = canonical_smiles(model.inverse_transform(model.transform(smiles)))
    expected, _ = to_smiles(smiles, isomeric=reading.isomeric, standardize=reading.standardize, on_invalid="nan")
    return float(np.mean([got is not None and got == wanted for got, wanted in zip(decoded, expected)]))


def distribution_metrics(generated: Iterable[Any], reference: Iterable[str]) -> dict[str, Any]:
    """How much the valid generated molecules look like a reference set (MOSES metrics).

    Follows the MOSES benchmark's definitions (Polykovskiy et al., 2020,
    ``moses/metrics``), computed on the valid generated molecules:

    * ``snn``: the mean, over generated molecules, of the Tanimoto similarity
      to the nearest reference molecule (Morgan fingerprints, radius 2,
      1,024 bits); 1 when every sample has a twin in the reference;
    * ``frag``: the cosine similarity of the two sets' counts of BRICS
      fragments;
    * ``scaf``: the cosine similarity of their counts of Bemis-Murcko
      scaffolds with at least two rings;
    * ``int_div``: internal diversity, 1 minus the mean Tanimoto similarity
      over all pairs of generated molecules (each with itself included, as
      MOSES computes IntDiv1);
    * ``pains_free``: the share of generated molecules without a PAINS alert
      (RDKit's PAINS catalogue; MOSES' filters add its own MCF list), beside
      ``pains_free_reference``, the same share in the reference;
    * ``logp``, ``qed``, ``weight``: the Wasserstein distance between the
      generated and reference distributions of Crippen logP, QED and
      molecular weight (0 for equal distributions).

    Parameters
    ----------
    generated : iterable of str or None
        Generated SMILES, such as the output of ``estimator.sample``; entries
        that are not molecules are left out.
    reference : iterable of str
        Reference molecules, such as held-out test SMILES.

    Returns
    -------
    dict
        ``n_valid`` and the metrics above; NaN where a set is empty (no valid
        generated molecule, or no scaffold with two rings).
    """
    from rdkit import Chem

    generated_mols = [Chem.MolFromSmiles(text) for text in canonical_smiles(generated) if text is not None]
    reference_mols = [Chem.MolFromSmiles(text) for text in canonical_smiles(reference) if text is not None]
    result: dict[str, Any] = {"n_valid": len(generated_mols)}
    if not generated_mols or not reference_mols:
        nan = float("nan")
        return {
            **result,
            **dict.fromkeys(
                ("snn", "frag", "scaf", "int_div", "pains_free", "pains_free_reference", "logp", "qed", "weight"), nan
            ),
        }
    from rdkit import DataStructs
    from scipy.stats import wasserstein_distance

    generated_fps, reference_fps = _morgan(generated_mols), _morgan(reference_mols)
    nearest = [max(DataStructs.BulkTanimotoSimilarity(fp, reference_fps)) for fp in generated_fps]
    pairwise = [np.mean(DataStructs.BulkTanimotoSimilarity(fp, generated_fps)) for fp in generated_fps]
    result.update(
        snn=float(np.mean(nearest)),
        frag=_cosine(_fragments(generated_mols), _fragments(reference_mols)),
        scaf=_cosine(_scaffolds(generated_mols), _scaffolds(reference_mols)),
        int_div=float(1 - np.mean(pairwise)),
        pains_free=_pains_free(generated_mols),
        pains_free_reference=_pains_free(reference_mols),
    )
    for name, prop in _PROPERTIES.items():
        result[name] = float(
            wasserstein_distance([prop(mol) for mol in generated_mols], [prop(mol) for mol in reference_mols])
        )
    return result


def _morgan(mols):
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    return [generator.GetFingerprint(mol) for mol in mols]


def _fragments(mols):
    """Counts of BRICS fragments over ``mols`` (MOSES' ``compute_fragments``)."""
    from rdkit import Chem
    from rdkit.Chem import BRICS

    counts: Counter[str] = Counter()
    for mol in mols:
        counts.update(Chem.MolToSmiles(BRICS.BreakBRICSBonds(mol)).split("."))
    return counts


def _scaffolds(mols, min_rings=2):
    """Counts of Bemis-Murcko scaffolds of at least ``min_rings`` rings (MOSES' ``compute_scaffolds``)."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    counts: Counter[str] = Counter()
    for mol in mols:
        scaffold = MurckoScaffold.GetScaffoldForMol(mol)
        if scaffold.GetRingInfo().NumRings() >= min_rings:
            counts[Chem.MolToSmiles(scaffold)] += 1
    return counts


def _cosine(a, b):
    if not a or not b:
        return float("nan")
    keys = sorted(a.keys() | b.keys())
    x, y = (np.array([counts.get(key, 0) for key in keys], dtype=float) for counts in (a, b))
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def _pains_free(mols):
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    catalog = FilterCatalog(params)
    return float(np.mean([not catalog.HasMatch(mol) for mol in mols]))


def _logp(mol):
    from rdkit.Chem import Crippen

    return Crippen.MolLogP(mol)


def _qed(mol):
    from rdkit.Chem import QED

    return QED.qed(mol)


def _weight(mol):
    from rdkit.Chem import Descriptors

    return Descriptors.MolWt(mol)


_PROPERTIES = {"logp": _logp, "qed": _qed, "weight": _weight}


def _share(part, whole):
    return part / whole if whole else float("nan")
