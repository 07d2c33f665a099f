"""One row of molecular input read with RDKit and written as canonical SMILES or SELFIES.

The per-row work of :func:`skcmim.molecules.to_smiles` and
:func:`~skcmim.molecules.to_selfies`: a row is measured against the limits
(:data:`MAX_SMILES_LENGTH`, :data:`MAX_ATOMS`, :data:`MAX_RINGS`; see
:mod:`skcmim.molecules`), parsed and sanitised, and written out, or its
problem is described.  With ``n_jobs`` it runs in worker processes, which
import this module only: it needs numpy, RDKit and selfies and none of
torch, scikit-learn or the rest of skcmim, so a worker starts in a fraction
of a second rather than in several.
"""

from __future__ import annotations

import math

import numpy as np

_MAX_SHOWN = 80  # characters of an offending value quoted in an error message

#: Most characters in one SMILES string (its first whitespace-separated
#: field), checked before RDKit parses it; every SMILES ``to_smiles``
#: returns is at most this long too.  Five characters per atom at
#: :data:`MAX_ATOMS`, room for bracket atoms such as ``[C@@H]``.  A longer
#: string is refused unread; a long one within it is first parsed without
#: sanitising (linear in its length) to count its atoms and rings.
MAX_SMILES_LENGTH = 5_000

#: Most atoms other than hydrogen in one molecule (SMILES or RDKit ``Mol``).
#: RDKit's time grows faster than linearly with it (a macrocycle of 1,000
#: atoms: 0.33 s, of 15,000: over 60 s); at this size the slowest string
#: shapes measured (see :mod:`skcmim.molecules`) take about 0.3 s.
MAX_ATOMS = 1_000

#: Most rings (ring closures: bonds - atoms + fragments) in one molecule.
#: RDKit's ring perception grows faster than quadratically with the ring
#: count: a cage of 200 rings took 0.23 s, of 500 rings 2.4 s, of 700 7.6 s.
MAX_RINGS = 200

# Explicit hydrogens of a Mol are removed before canonicalisation, and
# RDKit's RemoveHs grows faster than linearly with the atom count (methanes
# with their hydrogens: 5,000 atoms 0.59 s, 10,000 atoms 1.9 s), so the
# hydrogens are bounded too: four per heavy atom is the most a molecule of
# atoms with valence <= 4 carries.
_MAX_ATOMS_WITH_HYDROGENS = 5 * MAX_ATOMS

# A SMILES this short cannot exceed MAX_ATOMS (an atom takes at least one
# character) nor MAX_RINGS (a ring closure takes two digits), so it skips the
# extra parse that measures a molecule before sanitising it.
_ALWAYS_WITHIN_LIMITS = min(MAX_ATOMS, 2 * MAX_RINGS)


# --------------------------------------------------------------------------
# RDKit access
# --------------------------------------------------------------------------


def _import_rdkit():
    from ._optional import import_optional

    rdkit = import_optional("rdkit", "Molecular (SMILES) input")
    return import_optional("rdkit.Chem", "Molecular (SMILES) input"), rdkit.rdBase


def _import_selfies():
    from ._optional import import_optional

    return import_optional("selfies", "The SELFIES alphabet")


def _mol_class():
    """RDKit's ``Mol`` class, or None when RDKit is not installed."""
    try:
        from rdkit.Chem import Mol
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return Mol


def _is_mol(value, mol_class):
    return mol_class is not None and isinstance(value, mol_class)


def _is_missing(value):
    """None, a float NaN (numpy or Python), ``pd.NA`` or ``pd.NaT``."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _shown(value):
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _strings_of_chunk(entries, writing, alphabet):
    """``(strings, problems)`` of ``entries``; ``writing`` is ``(canonical, isomeric, standardize)``."""
    Chem, rdBase = _import_rdkit()
    strings, problems = [], []
    with rdBase.BlockLogs():
        for value in entries:
            result, problem = _one_smiles(value, writing, Chem)
            if problem is None and alphabet == "selfies":
                result, problem = _one_selfies(result)
            strings.append(result)
            problems.append(problem)
    return strings, problems


def _one_selfies(smiles):
    """``(selfies, None)`` of a valid SMILES, or ``(None, problem)`` when SELFIES cannot write it."""
    sf = _import_selfies()
    from ._selfies_writer import encode  # selfies' own SELFIES, read faster

    try:
        return encode(smiles), None
    except sf.EncoderError as exc:
        # selfies' message spans lines and repeats the SMILES; keep the reasons
        lines = (line.strip() for line in str(exc).splitlines())
        reason = "; ".join(line for line in lines if line and not line.startswith(("SMILES:", "Errors:")))
        return None, f"holds a molecule that SELFIES cannot encode ({_shown(smiles)}: {reason})"


def _one_smiles(value, writing, Chem):
    """``(smiles, None)`` for a valid row, ``(None, problem)`` otherwise.

    ``writing`` is ``(canonical, isomeric, standardize)``.
    """
    canonical, isomeric, standardize = writing
    mol, problem = _molecule(value, Chem)
    if problem is not None:
        return None, problem
    if standardize:
        mol, problem = _standardized(mol)
        if problem is not None:
            return None, problem
    elif isinstance(value, str) and not canonical and isomeric:
        return value.split()[0], None  # within MAX_SMILES_LENGTH: checked by _molecule
    try:
        smiles = Chem.MolToSmiles(mol, canonical=canonical, isomericSmiles=isomeric)
    except Exception as exc:  # RDKit raises its own error types
        return None, f"holds a molecule that RDKit cannot write as SMILES ({exc})"
    if len(smiles) > MAX_SMILES_LENGTH:
        limit = _over("MAX_SMILES_LENGTH", MAX_SMILES_LENGTH)
        return None, f"holds a molecule whose SMILES has {len(smiles):,} characters, {limit}"
    return smiles, None


class _Standardizers:
    """RDKit's fragment chooser and uncharger, made once per process (they are not cheap to build)."""

    chooser = uncharger = None

    @classmethod
    def get(cls):
        if cls.chooser is None:
            from rdkit.Chem.MolStandardize import rdMolStandardize

            cls.chooser = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
            cls.uncharger = rdMolStandardize.Uncharger(canonicalOrder=True)
        return cls.chooser, cls.uncharger


def _standardized(mol):
    """``(mol, None)``: the largest organic fragment, neutralised where a neutral form exists; or a problem.

    A neutral molecule of one fragment, the usual case, is returned as it
    is without RDKit's (slower) standardisers.
    """
    from rdkit import Chem

    if len(Chem.GetMolFrags(mol)) == 1 and not any(atom.GetFormalCharge() for atom in mol.GetAtoms()):
        return mol, None
    chooser, uncharger = _Standardizers.get()
    try:
        return uncharger.uncharge(chooser.choose(mol)), None
    except Exception as exc:  # RDKit raises its own error types
        return None, f"holds a molecule that RDKit cannot standardise ({exc})"


def _molecule(value, Chem):
    """The sanitised, hydrogen-free molecule of a row within the limits.

    Returns ``(mol, None)``, or ``(None, problem)`` with ``problem`` the rest
    of a sentence that starts with the row (``"holds an invalid SMILES ..."``).
    """
    if isinstance(value, Chem.Mol):
        return _normalised_mol(value, Chem)
    if _is_missing(value):
        return None, f"is missing ({value!r})"
    if not isinstance(value, str):
        return None, f"holds {_shown(value)} of type {type(value).__name__}, not a SMILES string or RDKit Mol"
    fields = value.split()
    if not fields:
        return None, f"holds an empty string {_shown(value)}, not a SMILES"
    text = fields[0]
    problem = _smiles_size_problem(text, Chem)
    if problem is not None:
        return None, problem
    mol = Chem.MolFromSmiles(text)
    if mol is None or mol.GetNumAtoms() == 0:
        return None, f"holds an invalid SMILES string {_shown(value)} (RDKit could not parse it)"
    return mol, None


def _normalised_mol(value, Chem):
    """A sanitised copy of a Mol without explicit hydrogens, as a string row gives.

    The caller's Mol is never changed.
    """
    n_atoms = value.GetNumAtoms()
    if n_atoms == 0:
        return None, "holds an RDKit Mol without atoms"
    if n_atoms > _MAX_ATOMS_WITH_HYDROGENS:
        return None, (
            f"holds an RDKit Mol of {n_atoms:,} atoms, hydrogens included, over skcmim's limit of "
            f"{_MAX_ATOMS_WITH_HYDROGENS:,} (5 * MAX_ATOMS; see skcmim.molecules.MAX_ATOMS)"
        )
    query_atom = next((atom.GetIdx() for atom in value.GetAtoms() if atom.HasQuery()), None)
    if query_atom is not None:
        return None, (
            f"holds an RDKit query Mol (atom {query_atom} is a query atom, as made by Chem.MolFromSmarts), "
            f"not a molecule; build molecules with Chem.MolFromSmiles"
        )
    problem = _size_problem(value, Chem)
    if problem is not None:
        return None, problem
    mol = Chem.Mol(value)
    try:
        Chem.SanitizeMol(mol)
        return Chem.RemoveHs(mol), None
    except Exception as exc:  # RDKit raises its own error types
        return None, f"holds an RDKit Mol that RDKit cannot sanitise ({exc})"


def _smiles_size_problem(text, Chem):
    """Why a SMILES is too large for RDKit to handle quickly, or None."""
    if len(text) > MAX_SMILES_LENGTH:
        limit = _over("MAX_SMILES_LENGTH", MAX_SMILES_LENGTH)
        return f"holds a SMILES of {len(text):,} characters ({_shown(text)}), {limit}"
    if len(text) <= _ALWAYS_WITHIN_LIMITS:
        return None
    # parsing without sanitising is linear and cheap; ring perception and
    # canonicalisation are what grow fast
    raw = Chem.MolFromSmiles(text, sanitize=False)
    return None if raw is None else _size_problem(raw, Chem)


def _size_problem(mol, Chem):
    """Why a (possibly unsanitised) molecule is over MAX_ATOMS or MAX_RINGS, or None."""
    n_heavy = mol.GetNumHeavyAtoms()
    if n_heavy > MAX_ATOMS:
        return f"holds a molecule of {n_heavy:,} atoms (hydrogens not counted), {_over('MAX_ATOMS', MAX_ATOMS)}"
    n_rings = mol.GetNumBonds() - mol.GetNumAtoms() + len(Chem.GetMolFrags(mol))
    if n_rings > MAX_RINGS:
        return f"holds a molecule with {n_rings:,} rings (ring closures), {_over('MAX_RINGS', MAX_RINGS)}"
    return None


def _over(name, limit):
    return f"over skcmim's limit of {name}={limit:,} (see skcmim.molecules.{name})"
