"""The data and estimators shared by tests/test_distributed.py and its torchrun worker."""

from sklearn.datasets import load_digits

from skcmim import CMIMTransformer, MIMTransformer

# 1,792 = 28 global batches of 64: every batch splits evenly over 2 processes.
N_ROWS = 1792
ESTIMATORS = {"MIM": MIMTransformer, "cMIM": CMIMTransformer}


def ddp_case(name):
    """Digits in [0, 1] and an unfitted estimator, the same in every process."""
    X = load_digits().data[:N_ROWS] / 16.0
    estimator = ESTIMATORS[name](n_components=8, hidden_layer_sizes=(64,), max_epochs=3, batch_size=64, random_state=0)
    return X, estimator
