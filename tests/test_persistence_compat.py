"""Model files written by skcmim 0.1.0 load and give the same output.

Bit-identity across machines is not a promise: BLAS libraries pick kernels by
CPU and sum in different orders.  The tolerances are those of the arithmetic:

* numeric models transform float64 input in float64 (three dense layers of
  at most 512 inputs each): a dot product of n terms in another summation
  order differs by at most about n * eps64 relative to the sum of its
  magnitudes, 512 * 2.2e-16 = 1.1e-13 per layer; rtol 1e-10 and atol 1e-12
  leave room for three layers and their conditioning;
* SMILES models compute in float32 where 0.1.0 computed in float64, so they
  agree to float32 precision: 1e-6 + 1e-5 |0.1.0 value|.
"""

from pathlib import Path

import numpy as np
import pytest

import skcmim
from skcmim.datasets import load_digits_unit

FIXTURES = Path(__file__).parent / "fixtures"
SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC", "OC(=O)c1ccccc1", "C1CCCCC1", "CC(C)Cl", "N#Cc1ccccc1"]


def test_numeric_model_file_of_0_1_transforms_within_float64_rounding():
    model = skcmim.load(FIXTURES / "numeric_v0_1.safetensors")
    X = load_digits_unit()[0][:20]
    expected = np.load(FIXTURES / "numeric_v0_1_transform.npy")
    np.testing.assert_allclose(model.set_params(informative=True).transform(X), expected, rtol=1e-10, atol=1e-12)
    assert model.likelihood_ == "bernoulli" and model.n_features_in_ == 64


def test_smiles_model_file_of_0_1_transforms_within_float32_precision():
    pytest.importorskip("rdkit")
    model = skcmim.load(FIXTURES / "smiles_v0_1.safetensors")
    expected = np.load(FIXTURES / "smiles_v0_1_transform.npy")
    np.testing.assert_allclose(model.set_params(informative=True).transform(SMILES), expected, rtol=1e-5, atol=1e-6)
    assert model.input_kind_ == "smiles" and model.likelihood_ == "categorical"
    assert model.tokenizer_.vocab_size > 4
