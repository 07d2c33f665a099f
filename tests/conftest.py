import numpy as np
import pytest
import torch

from skcmim.datasets import load_digits_unit

# The test models are tiny: one thread is as fast, and it keeps the suite from
# slowing down many times over when other processes hold the cores (torch's
# thread pool spins while waiting for a core).
torch.set_num_threads(1)

# Small, fast settings for tests that check behaviour rather than quality.
FAST = dict(n_components=4, hidden_layer_sizes=(32,), max_epochs=3, batch_size=64, random_state=0)
# The smallest model that trains: for fuzzing, where each input fits one model.
TINY = dict(n_components=2, hidden_layer_sizes=(8,), max_epochs=1, batch_size=8, random_state=0)


@pytest.fixture(scope="session")
def digits():
    """Real data: scikit-learn's digits scaled to [0, 1] (X, y)."""
    return load_digits_unit()


@pytest.fixture(scope="session")
def digits_small(digits):
    X, y = digits
    return X[:300], y[:300]


@pytest.fixture
def rng():
    return np.random.default_rng(0)
