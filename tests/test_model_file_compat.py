"""Model files written by skcmim 0.1.0 load and give the same output.

Numeric models bit for bit; SMILES models within 1e-6 + 1e-5 |0.1.0 value|
(the largest difference measured is 1.4e-7), since SMILES inference computes
in float32 where 0.1.0 computed in float64 (see CHANGELOG.md).
"""

from pathlib import Path

import numpy as np
import pytest

import skcmim
from skcmim.datasets import load_digits_unit

FIXTURES = Path(__file__).parent / "fixtures"
SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC", "OC(=O)c1ccccc1", "C1CCCCC1", "CC(C)Cl", "N#Cc1ccccc1"]


def test_numeric_model_file_of_0_1_transforms_bit_identically():
    model = skcmim.load(FIXTURES / "numeric_v0_1.safetensors")
    X = load_digits_unit()[0][:20]
    expected = np.load(FIXTURES / "numeric_v0_1_transform.npy")
    np.testing.assert_array_equal(model.set_params(informative=True).transform(X), expected)
    assert model.likelihood_ == "bernoulli" and model.n_features_in_ == 64


def test_smiles_model_file_of_0_1_transforms_within_float32_precision():
    pytest.importorskip("rdkit")
    model = skcmim.load(FIXTURES / "smiles_v0_1.safetensors")
    expected = np.load(FIXTURES / "smiles_v0_1_transform.npy")
    np.testing.assert_allclose(model.set_params(informative=True).transform(SMILES), expected, rtol=1e-5, atol=1e-6)
    assert model.input_kind_ == "smiles" and model.likelihood_ == "categorical"
    assert model.tokenizer_.vocab_size > 4
