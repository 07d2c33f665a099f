"""Scaffold splits (skcmim.model_selection): molecules grouped by their Bemis-Murcko scaffold."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GroupKFold

from skcmim.datasets import fetch_esol
from skcmim.model_selection import scaffold_groups, scaffold_split

from conftest import needs_rdkit

# --------------------------------------------------------------------------
# Scaffold splits
# --------------------------------------------------------------------------

# Ring systems of several sizes, acyclic molecules, stereo and the same
# molecule written twice ("OCC" / "CCO"): a pool for random datasets.
POOL = [
    "CCO",
    "OCC",
    "CCCN",
    "CC(=O)O",
    "C[C@@H](N)C(=O)O",
    "C[C@H](N)C(=O)O",
    "c1ccccc1O",
    "c1ccccc1CC",
    "Oc1ccc(Cl)cc1",
    "c1ccccc1N",
    "C1CCNCC1C",
    "C1CCNCC1O",
    "c1ccncc1",
    "Cc1ccncc1",
    "c1ccc2ccccc2c1",
    "Oc1ccc2ccccc2c1",
    "C1CC1",
    "C1CC1CC(=O)O",
    "c1ccc(cc1)-c1ccccc1",
    "O=C(Nc1ccccc1)c1ccncc1",
    "c1cc[nH]c1",
    "C1CCOC1",
]


def _assert_a_scaffold_partition(smiles, parts):
    n = len(smiles)
    every = np.concatenate(parts)
    assert sorted(every.tolist()) == list(range(n))  # disjoint and covering
    groups = scaffold_groups(smiles)
    for i, first in enumerate(parts):
        assert np.array_equal(first, np.sort(first))
        for second in parts[i + 1 :]:
            assert not set(groups[first]) & set(groups[second])


@needs_rdkit
class TestScaffolds:
    @settings(max_examples=60, deadline=None)
    @given(
        smiles=st.lists(st.sampled_from(POOL), min_size=1, max_size=40),
        test_size=st.floats(0.05, 0.5),
        valid_size=st.one_of(st.just(0.0), st.floats(0.05, 0.4)),
    )
    def test_split_invariants(self, smiles, test_size, valid_size):
        if test_size + valid_size >= 1:
            return
        try:
            parts = scaffold_split(smiles, test_size=test_size, valid_size=valid_size)
        except ValueError as error:
            assert "empty" in str(error)  # too few scaffolds for the sizes: the only refusal of valid input
            return
        assert len(parts) == (3 if valid_size else 2)
        _assert_a_scaffold_partition(smiles, parts)
        n = len(smiles)
        assert len(parts[0]) <= (1 - test_size - valid_size) * n
        again = scaffold_split(list(smiles), test_size=test_size, valid_size=valid_size)
        assert all(np.array_equal(a, b) for a, b in zip(parts, again))  # deterministic

    @settings(max_examples=30, deadline=None)
    @given(smiles=st.lists(st.sampled_from(POOL), min_size=1, max_size=30))
    def test_groups_are_equal_exactly_when_the_scaffolds_are(self, smiles):
        from rdkit.Chem.Scaffolds.MurckoScaffold import MurckoScaffoldSmiles

        groups = scaffold_groups(smiles)
        assert groups.shape == (len(smiles),) and groups.dtype.kind == "i"
        scaffolds = [MurckoScaffoldSmiles(smiles=text, includeChirality=False) for text in smiles]
        for i in range(len(smiles)):
            for j in range(i):
                assert (groups[i] == groups[j]) == (scaffolds[i] == scaffolds[j])

    def test_same_molecule_and_stereo_variants_share_a_group(self):
        groups = scaffold_groups(["CCO", "OCC", "C[C@@H]1CCCO1", "C[C@H]1CCCO1", "c1ccccc1"])
        assert groups[0] == groups[1] and groups[2] == groups[3] and len(set(groups.tolist())) == 3

    def test_largest_groups_first_and_ties_latest_first(self):
        # benzenes (rows 0-2), piperidines (3-4), acyclic (5-6), pyridine (7); 6 training rows:
        # benzenes (3), then the acyclic pair (same size as the piperidines, later first row) -> 5,
        # the piperidines would make 7 -> test, the pyridine fits -> 6.
        smiles = ["c1ccccc1O", "c1ccccc1CC", "c1ccccc1N", "C1CCNCC1C", "C1CCNCC1O", "CCO", "CCCN", "c1ccncc1"]
        train, test = scaffold_split(smiles, test_size=0.25)
        assert train.tolist() == [0, 1, 2, 5, 6, 7] and test.tolist() == [3, 4]

    def test_group_k_fold_with_scaffold_groups(self):
        smiles = POOL * 2
        groups = scaffold_groups(smiles)
        for train, test in GroupKFold(n_splits=4).split(smiles, groups=groups):
            assert not set(groups[train]) & set(groups[test])

    def test_bad_input(self):
        with pytest.raises(ValueError, match=r"Row 2 holds an invalid SMILES string 'C1CC\('"):
            scaffold_split(["CCO", "c1ccccc1", "C1CC(", "CCN"])
        for bad in (0.0, 1.0, -0.1, True, "0.2", None):
            with pytest.raises(ValueError, match="test_size must be a share of the rows"):
                scaffold_split(POOL, test_size=bad)
        with pytest.raises(ValueError, match="valid_size must be a share"):
            scaffold_split(POOL, valid_size=1.0)
        with pytest.raises(ValueError, match="must be below 1"):
            scaffold_split(POOL, test_size=0.5, valid_size=0.5)
        with pytest.raises(ValueError, match=r"leaves the train set empty"):
            scaffold_split(["CCO", "CCN", "CCC", "CCCl"])  # one (acyclic) scaffold: no split possible

    def test_moleculenet_split_of_esol(self, shared_data):
        smiles = fetch_esol(path=shared_data / "esol_delaney.csv").data
        parts = scaffold_split(smiles, test_size=0.1, valid_size=0.1)
        _assert_a_scaffold_partition(smiles, parts)
        shares = [len(part) / len(smiles) for part in parts]
        assert shares == pytest.approx([0.8, 0.1, 0.1], abs=0.01)
        assert all(np.array_equal(a, b) for a, b in zip(parts, scaffold_split(smiles, 0.1, 0.1)))
