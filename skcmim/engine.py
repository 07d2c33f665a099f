"""Training engine: a skorch ``NeuralNet`` for unsupervised encoder-decoders.

skorch runs the loop (epochs, callbacks, history, early stopping, progress
bar); this module only changes what skorch needs to change for an
unsupervised model whose data already lives on the training device:

* batches are slices of one device tensor, so there is no per-batch
  host-to-device copy and no ``DataLoader`` worker overhead;
* the loss sees the module's whole output (codes, log-likelihood) and no
  target;
* an optional mixed-precision ``autocast`` wraps the forward pass.
"""

import contextlib
import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback

__all__ = ["flush_denormals", "DeviceTensorDataset", "HoldoutSplit", "MIMNet", "NonFiniteLossError", "StopOnNonFiniteLoss", "TensorBatches"]


def _denormals_flushed():
    # torch has no getter: with flushing on, a float32 denormal computes to zero
    return (torch.full((1,), 1e-39, dtype=torch.float32) * 1.0).item() == 0.0


@contextlib.contextmanager
def flush_denormals():
    """Flush denormal floats to zero while training on the CPU.

    Adam's second-moment estimates of tiny gradients reach denormal range,
    where CPU arithmetic is many times slower (a fit measured 8x slower on
    MNIST).  The caller's flushing mode is restored afterwards.
    """
    previous = _denormals_flushed()
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported:
            torch.set_flush_denormal(previous)


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


class DeviceTensorDataset:
    """A data tensor already placed on the training device.

    Parameters
    ----------
    X : Tensor of shape (n_samples, ...)
    """

    def __init__(self, X):
        self.X = X

    def __len__(self):
        return len(self.X)


class HoldoutSplit:
    """Random hold-out of a fraction of a :class:`DeviceTensorDataset`.

    Used as skorch's ``train_split`` for validation and early stopping.

    Parameters
    ----------
    fraction : float
        Share of samples held out, in (0, 1).
    seed : int
        Seed of the split.
    """

    def __init__(self, fraction, seed):
        self.fraction = fraction
        self.seed = seed

    def __call__(self, dataset, y=None, **fit_params):
        n_samples = len(dataset)
        n_valid = math.ceil(self.fraction * n_samples)
        if n_samples < 2 or n_valid >= n_samples:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves no training samples out of "
                f"{n_samples}; pass more samples or set early_stopping=False."
            )
        order = np.random.default_rng(self.seed).permutation(n_samples)
        index = torch.as_tensor(order, device=dataset.X.device)
        return (
            DeviceTensorDataset(dataset.X[index[n_valid:]]),
            DeviceTensorDataset(dataset.X[index[:n_valid]]),
        )


class TensorBatches:
    """Mini-batches of a :class:`DeviceTensorDataset`, shuffled each pass.

    Parameters
    ----------
    dataset : DeviceTensorDataset
    batch_size : int
    shuffle : bool, default=False
        Draw a new permutation for every pass (every epoch).
    seed : int, default=0
        Seed of the local generator used for shuffling; the global torch RNG
        is not used.
    """

    def __init__(self, dataset, batch_size, shuffle=False, seed=0):
        self.X = dataset.X
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self):
        return math.ceil(len(self.X) / self.batch_size)

    def __iter__(self):
        X = self.X
        if self.shuffle:
            X = X[torch.randperm(len(X), generator=self.generator).to(X.device)]
        for start in range(0, len(X), self.batch_size):
            yield X[start : start + self.batch_size], None


class StopOnNonFiniteLoss(Callback):
    """Stop training with a clear error as soon as a batch loss is NaN or inf."""

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        value = net.history[-1, "batches", -1, "train_loss" if training else "valid_loss"]
        if not math.isfinite(value):
            epoch = len(net.history)
            raise NonFiniteLossError(
                f"The {'training' if training else 'validation'} loss became {value} in epoch "
                f"{epoch}. Training diverged: lower learning_rate, scale the features (for "
                f"example with StandardScaler), or use a larger batch_size."
            )


class MIMNet(NeuralNet):
    """skorch ``NeuralNet`` for encoder-decoders trained without targets.

    The estimators build it inside ``fit``; users reach it as ``net_`` on a
    fitted estimator (its ``history`` holds the per-epoch losses).

    Parameters
    ----------
    *args, **kwargs
        Passed to :class:`skorch.NeuralNet`.
    mixed_precision : bool, default=False
        Run the forward pass under ``torch.autocast`` with bfloat16.
    """

    def __init__(self, *args, mixed_precision=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.mixed_precision = mixed_precision

    def get_dataset(self, X, y=None):
        return X if isinstance(X, DeviceTensorDataset) else DeviceTensorDataset(X)

    def _autocast(self):
        if not self.mixed_precision:
            return contextlib.nullcontext()
        return torch.autocast(device_type=torch.device(self.device).type, dtype=torch.bfloat16)

    def infer(self, x, **fit_params):
        with self._autocast():
            return self.module_(x, **fit_params)

    def get_loss(self, y_pred, y_true=None, X=None, training=False):
        return self.criterion_(y_pred).float()
