"""The skorch ``NeuralNet`` that trains skcmim's encoder-decoders, and its numerics.

skorch runs the loop (epochs, callbacks, history, early stopping); this
net changes only what an unsupervised model whose data already lives on the
training device needs: the loss sees the module's whole output and no
target, the data is the engine's own dataset (:mod:`skcmim.training.data`),
an optional bfloat16 ``autocast`` wraps the forward pass, and a loaded model
builds no optimiser until it trains again.
"""

import contextlib

import torch
from skorch import NeuralNet

from ..exceptions import NonFiniteLossError
from .data import DeviceTensorDataset, StreamDataset

__all__ = ["MIMNet", "flush_denormals", "set_iterator_params", "training_error_hints"]


@contextlib.contextmanager
def training_error_hints(batch_size):
    """Turn torch's out-of-memory and overflow errors into advice the user can act on."""
    try:
        yield
    except torch.cuda.OutOfMemoryError as exc:
        raise MemoryError(
            f"The training device ran out of memory with batch_size={batch_size}. Use a smaller batch_size "
            f"(e.g. {max(1, batch_size // 2)}), smaller hidden_layer_sizes, mixed_precision=True, or device='cpu'."
        ) from exc
    except RuntimeError as exc:
        if "overflow" not in str(exc):
            raise
        raise NonFiniteLossError(
            f"Training overflowed ({exc}). Training diverged: lower learning_rate, or scale the features "
            f"(for example with StandardScaler)."
        ) from exc


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


def set_iterator_params(net, **params):
    """Set ``iterator_train__*`` parameters of an initialised net.

    skorch's ``set_params`` accepts them only before ``initialize`` (on an
    initialised net it looks for a component to re-initialise and raises),
    yet the iterator is built anew from these attributes at every pass, so
    setting them is all a change needs.
    """
    for key, value in params.items():
        setattr(net, f"iterator_train__{key}", value)


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

    def initialize_for_inference(self):
        """Initialise all but the optimiser, which the first training call builds.

        For a loaded model, which mostly only transforms: building the
        first torch optimiser of a process imports ``torch._dynamo``, about
        2 s of a model's load time.
        """
        self.check_training_readiness()
        self._initialize_virtual_params()
        self._initialize_callbacks()
        self._initialize_module()
        self._initialize_criterion()
        self._initialize_history()
        self._validate_params()
        self.initialized_ = True
        return self

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        if self.initialized_ and not hasattr(self, "optimizer_"):
            self._initialize_optimizer()
        return super().partial_fit(X, y, classes=classes, **fit_params)

    def get_dataset(self, X, y=None):
        return X if isinstance(X, (DeviceTensorDataset, StreamDataset)) else DeviceTensorDataset(X)

    def _autocast(self):
        if not self.mixed_precision:
            return contextlib.nullcontext()
        return torch.autocast(device_type=torch.device(self.device).type, dtype=torch.bfloat16)

    def infer(self, x, **fit_params):
        with self._autocast():
            return self.module_(x, **fit_params)

    def get_loss(self, y_pred, y_true=None, X=None, training=False):
        return self.criterion_(y_pred).float()
