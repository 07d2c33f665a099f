"""Hostile molecules: huge and deeply nested SMILES, ring-dense shapes, odd RDKit Mols.

Every input must give a correct result or a ValueError naming its row, in
bounded time: a SMILES or molecule over ``MAX_SMILES_LENGTH``, ``MAX_ATOMS``
or ``MAX_RINGS`` is an invalid row like any other (and used to crash the
interpreter inside RDKit or take seconds).  A Mol is normalised like a
string: explicit hydrogens change nothing, an unsanitisable or query Mol is
refused, and the caller's Mol is never changed.  The expected outcome of a
generated shape comes from how it was built (its atoms, rings and length),
not from RDKit.
"""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAST, SHARED_DATA

pytest.importorskip("rdkit")
from rdkit import Chem, RDLogger  # noqa: E402
from rdkit.Chem import rdqueries  # noqa: E402

from skcmim import CMIMTransformer  # noqa: E402
from skcmim.molecules import MAX_ATOMS, MAX_RINGS, MAX_SMILES_LENGTH, randomized_smiles, to_smiles  # noqa: E402

RDLogger.DisableLog("rdApp.*")
REPO = Path(__file__).resolve().parent.parent

# Drug-like molecules with stereo, charges, isotopes, salts and aromatic NH:
# the explicit-hydrogen and mixture tests draw from them (and from ESOL).
MOLECULES = [
    "CCO",
    "c1ccccc1O",
    "CC(=O)Nc1ccc(O)cc1",
    "C[C@@H](N)C(=O)O",
    "N[C@@H](CC(C)C)C(=O)N[C@@H](C)C(=O)O",
    "F/C=C/F",
    "F/C=C\\F",
    "C/C=C/C=C\\C",
    "C[C@H]1CC[C@@H](C)CC1",
    "CC(=O)[O-].[Na+]",
    "[NH4+].[Cl-]",
    "[2H]C([2H])([2H])O",
    "[13CH3]O",
    "c1cc[nH]c1",
    "C[S@@](=O)CC",
    "O=C1N=CN=C2NC=NC12",
    "[H][H]",
    "CN1CCC[C@H]1c1cccnc1",
    "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O",
    "C1CCCCCCCCC%10CCCCC1%10",
]


def _esol():
    """ESOL's SMILES when the shared data is there (real molecules with more variety)."""
    path = SHARED_DATA / "esol_delaney.csv"
    if not path.is_file():
        return []
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return [row["smiles"].strip() for row in csv.DictReader(handle)]


REAL = MOLECULES + _esol()
QUICK = dict(FAST, max_epochs=1)  # the test is about the input, not the training
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _canonical(smiles):
    return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


# --------------------------------------------------------------- shapes
# Each builder returns (SMILES, heavy atoms, rings), counted by construction.


def _ring_label(number):
    return str(number) if number < 10 else f"%{number}" if number < 100 else f"%({number})"


def chain(n):
    return "C" * n, n, 0


def nested_branches(depth):
    return "C(" * depth + "C" + ")" * depth, depth + 1, 0


def macrocycle(n):
    return "C1" + "C" * (n - 2) + "C1", n, 1


def ring_closures(n_rings, step=10):
    """Atom i bonds to atom i + step: n_rings rings over n_rings + step atoms, a ring-dense cage."""
    n_atoms = n_rings + step
    labels, free, parts = {}, list(range(1, 100)), []
    for i in range(n_atoms):
        tag = ""
        if i - step in labels:
            free.append(labels.pop(i - step))
            tag += _ring_label(free[-1])
            free.sort()
        if i + step < n_atoms:
            labels[i] = free.pop(0)
            tag += _ring_label(labels[i])
        parts.append("C" + tag)
    return "".join(parts), n_atoms, n_rings


def _within_limits(smiles, n_atoms, n_rings):
    return len(smiles) <= MAX_SMILES_LENGTH and n_atoms <= MAX_ATOMS and n_rings <= MAX_RINGS


def _limit_named(smiles, n_atoms, n_rings):
    """The limit the error message must name (the first checked that is exceeded)."""
    if len(smiles) > MAX_SMILES_LENGTH:
        return "MAX_SMILES_LENGTH"
    return "MAX_ATOMS" if n_atoms > MAX_ATOMS else "MAX_RINGS"


def _around(limit, spread):
    return st.integers(max(1, limit - spread), limit + spread)


# Sizes near each limit and far beyond it (beyond the length limit, RDKit is
# never reached, so those are cheap).
shapes = st.one_of(
    st.one_of(_around(MAX_ATOMS, 3), st.integers(MAX_ATOMS, 3 * MAX_SMILES_LENGTH)).map(chain),
    st.one_of(_around(MAX_ATOMS - 1, 3), st.integers(MAX_ATOMS, 2 * MAX_SMILES_LENGTH)).map(nested_branches),
    st.one_of(_around(MAX_ATOMS, 3), st.integers(MAX_ATOMS, 2 * MAX_SMILES_LENGTH)).map(macrocycle),
    st.one_of(_around(MAX_RINGS, 2), st.integers(MAX_RINGS, MAX_SMILES_LENGTH // 3)).map(ring_closures),
)


@FUZZ
@given(shape=shapes, on_invalid=st.sampled_from(["raise", "nan"]))
def test_huge_shapes_are_bounded_and_named(shape, on_invalid):
    smiles, n_atoms, n_rings = shape
    X = ["CCO", smiles]
    if _within_limits(smiles, n_atoms, n_rings):
        out, valid = to_smiles(X, on_invalid=on_invalid)
        assert valid.all() and out[1] == _canonical(smiles) and len(out[1]) <= MAX_SMILES_LENGTH
        return
    limit = _limit_named(smiles, n_atoms, n_rings)
    if on_invalid == "raise":
        with pytest.raises(ValueError, match=rf"^Row 1 holds .*over skcmim's limit of {limit}="):
            to_smiles(X)
    else:
        out, valid = to_smiles(X, on_invalid="nan")
        assert out == ["CCO", None] and valid.tolist() == [True, False]


def test_a_refused_molecule_names_its_size():
    with pytest.raises(ValueError, match=rf"Row 2 holds a SMILES of {MAX_SMILES_LENGTH + 1:,} characters"):
        to_smiles(["CCO", "CC", "C" * (MAX_SMILES_LENGTH + 1)])
    with pytest.raises(ValueError, match=rf"Row 0 holds a molecule of {MAX_ATOMS + 1:,} atoms"):
        to_smiles(["C" * (MAX_ATOMS + 1) + " name"])
    with pytest.raises(ValueError, match=rf"Row 0 holds a molecule with {MAX_RINGS + 1} rings"):
        to_smiles([ring_closures(MAX_RINGS + 1)[0]])


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.one_of(
            st.sampled_from(MOLECULES).map(lambda s: (s, True)),
            st.integers(MAX_SMILES_LENGTH + 1, 2 * MAX_SMILES_LENGTH).map(lambda n: ("C" * n, False)),
            st.integers(MAX_ATOMS + 1, MAX_SMILES_LENGTH).map(lambda n: (nested_branches(n)[0], False)),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_mixtures_keep_every_row_in_place(rows):
    X = [smiles for smiles, _ in rows]
    expected_valid = [ok for _, ok in rows]
    out, valid = to_smiles(X, on_invalid="nan")
    assert valid.tolist() == expected_valid
    assert out == [_canonical(s) if ok else None for s, ok in rows]
    if not all(expected_valid):
        with pytest.raises(ValueError, match=rf"^Row {expected_valid.index(False)} holds "):
            to_smiles(X)


def test_inputs_that_crashed_rdkit_are_refused_in_a_fresh_interpreter():
    # Canonicalising these crashed Python with SIGSEGV; run them where a crash
    # fails this test instead of ending the test run.
    code = (
        "import json\n"
        "from skcmim import molecules\n"
        "huge = ['C' * 20000, 'C(' * 20000 + 'C' + ')' * 20000, 'CCO']\n"
        "out, valid = molecules.to_smiles(huge, on_invalid='nan')\n"
        "print(json.dumps([out, valid.tolist()]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == [[None, None, "CCO"], [False, False, True]]


# --------------------------------------------------------------- RDKit Mols


def _with_hydrogens(data, smiles):
    mol = Chem.MolFromSmiles(smiles)
    heavy = [atom.GetIdx() for atom in mol.GetAtoms()]
    some = data.draw(st.lists(st.sampled_from(heavy), unique=True, max_size=len(heavy)))
    everywhere = data.draw(st.booleans())
    return Chem.AddHs(mol, onlyOnAtoms=None if everywhere else some or None, addCoords=data.draw(st.booleans()))


def _fingerprint(mol):
    """What must not change in the caller's Mol: atoms, bonds and its SMILES as is."""
    return mol.GetNumAtoms(), mol.GetNumBonds(), Chem.MolToSmiles(mol, canonical=False)


@settings(FUZZ, max_examples=60)
@given(smiles=st.sampled_from(REAL), canonical=st.booleans(), data=st.data())
def test_explicit_hydrogens_give_the_plain_molecule(smiles, canonical, data):
    plain = Chem.MolFromSmiles(smiles)
    hydrogens = _with_hydrogens(data, smiles)
    # never sanitised, in Kekule form: sanitising it in place would change it
    raw = Chem.MolFromSmiles(Chem.MolToSmiles(plain, kekuleSmiles=True), sanitize=False)
    before = _fingerprint(hydrogens), _fingerprint(raw)
    out, valid = to_smiles([plain, hydrogens, smiles, raw], canonical=canonical)
    assert valid.all()
    assert (_fingerprint(hydrogens), _fingerprint(raw)) == before, "the caller's Mol was changed"
    if canonical:
        assert out[0] == out[1] == out[2] == out[3] == _canonical(smiles)
    else:  # written from the normalised molecule: no explicit hydrogens left
        assert _canonical(out[1]) == _canonical(smiles)
        assert Chem.MolFromSmiles(out[1]).GetNumAtoms() == plain.GetNumAtoms()
    assert _canonical(randomized_smiles(hydrogens, random_state=0)) == _canonical(smiles)


def _overvalent(smiles, data):
    """A copy of a molecule with an H, C, N, O or F atom bonded to five extra carbons: over its valence.

    (RDKit lets metals such as Na+ take any number of bonds.)
    """
    mol = Chem.RWMol(Chem.MolFromSmiles(smiles))
    atom = data.draw(st.sampled_from([a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() in (1, 6, 7, 8, 9)]))
    for _ in range(5):
        mol.AddBond(atom, mol.AddAtom(Chem.Atom(6)), Chem.BondType.SINGLE)
    return mol


def _query_mol(smiles, data):
    """A SMARTS Mol, or a real molecule with one atom swapped for a query atom."""
    if data.draw(st.booleans()):
        return Chem.MolFromSmarts(data.draw(st.sampled_from(["C", "[#6]~[#7]", "c1ccccc1", "[C;H3]O", "[!#1]", "*"])))
    mol = Chem.RWMol(Chem.MolFromSmiles(smiles))
    mol.ReplaceAtom(data.draw(st.integers(0, mol.GetNumAtoms() - 1)), rdqueries.AtomNumEqualsQueryAtom(6))
    return mol


BAD_MOLS = {
    "unsanitisable": (_overvalent, "cannot sanitise"),
    "query": (_query_mol, "query Mol"),
}


@settings(FUZZ, max_examples=60)
@given(
    smiles=st.sampled_from(MOLECULES),
    kind=st.sampled_from(sorted(BAD_MOLS)),
    others=st.lists(st.sampled_from(MOLECULES), max_size=5),
    data=st.data(),
)
def test_unsanitisable_and_query_mols_are_refused_by_row(smiles, kind, others, data):
    build, reason = BAD_MOLS[kind]
    bad = build(smiles, data)
    row = data.draw(st.integers(0, len(others)))
    X = others[:row] + [bad] + others[row:]
    before = _fingerprint(bad) if kind == "unsanitisable" else None
    with pytest.raises(ValueError, match=rf"^Row {row} holds an RDKit .*{reason}"):
        to_smiles(X)
    out, valid = to_smiles(X, on_invalid="nan")
    assert valid.tolist() == [i != row for i in range(len(X))]
    assert out == [_canonical(s) for s in others[:row]] + [None] + [_canonical(s) for s in others[row:]]
    if before is not None:
        assert _fingerprint(bad) == before, "the caller's Mol was changed"
    with pytest.raises(ValueError, match=f"^The input holds an RDKit .*{reason}.*cannot randomise"):
        randomized_smiles(bad, random_state=0)


def test_an_unsanitisable_mol_built_without_sanitising_is_refused():
    pentavalent = Chem.MolFromSmiles("CC(C)(C)(C)C", sanitize=False)
    with pytest.raises(ValueError, match=r"Row 1 holds an RDKit Mol that RDKit cannot sanitise \(Explicit valence"):
        to_smiles(["CCO", pentavalent])


def test_mols_over_the_limits_are_refused():
    big = Chem.MolFromSmiles("C" * (MAX_ATOMS + 1))
    ring_dense = Chem.MolFromSmiles(ring_closures(MAX_RINGS + 1)[0])
    hydrogen_gas = Chem.MolFromSmiles(".".join(["[H][H]"] * (5 * MAX_ATOMS // 2 + 1)))  # no heavy atom
    out, valid = to_smiles([big, "CCO", ring_dense, hydrogen_gas], on_invalid="nan")
    assert out == [None, "CCO", None, None] and valid.tolist() == [False, True, False, False]
    with pytest.raises(ValueError, match=r"Row 0 holds a molecule of .* over skcmim's limit of MAX_ATOMS"):
        to_smiles([big])
    with pytest.raises(ValueError, match=r"Row 0 holds a molecule with .* rings .*MAX_RINGS"):
        to_smiles([ring_dense])
    with pytest.raises(ValueError, match=r"Row 0 holds an RDKit Mol of 5,002 atoms, hydrogens included"):
        to_smiles([hydrogen_gas])
    with pytest.raises(ValueError, match=r"Row 1 holds a molecule of .*MAX_ATOMS.*cannot randomise"):
        randomized_smiles(["CCO", big], random_state=0)


# --------------------------------------------------------------- estimator


def test_an_estimator_names_a_huge_row_or_gives_it_nan():
    huge = "C" * (MAX_SMILES_LENGTH + 1)
    with pytest.raises(ValueError, match=r"Row 2 holds a SMILES of .*MAX_SMILES_LENGTH"):
        CMIMTransformer(**QUICK).fit(MOLECULES[:2] + [huge] + MOLECULES[2:])
    model = CMIMTransformer(**QUICK).fit(MOLECULES)
    with pytest.raises(ValueError, match=r"Row 1 holds a SMILES of .*MAX_SMILES_LENGTH"):
        model.transform(["CCO", huge])
    model.set_params(on_invalid="nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unknown tokens are counted in a warning
        Z = model.transform(["CCO", huge, "c1ccccc1O"])
    assert np.isnan(Z[1]).all() and np.isfinite(Z[[0, 2]]).all()
