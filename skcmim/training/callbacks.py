"""skorch callbacks of the training loop: loss checks, loss terms, schedules, progress.

The estimators put these on their net (:func:`skcmim.training.build_net`);
users add their own skorch callbacks through the ``callbacks`` parameter.
"""

import math
import sys

import torch
from skorch.callbacks import Callback, PassthroughScoring

from ..exceptions import NonFiniteLossError

__all__ = ["FitProgressBar", "KLWarmup", "LossTermRecorder", "StopOnNonFiniteLoss", "loss_term_callbacks"]


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


class LossTermRecorder(Callback):
    """Record the criterion's per-term batch means (``last_terms``) in the history.

    Each batch gets ``train_<term>`` or ``valid_<term>`` beside skorch's
    ``train_loss``; :class:`skorch.callbacks.PassthroughScoring` callbacks
    (see :func:`loss_term_callbacks`) turn them into epoch means weighted by
    the batch sizes.  Under data parallelism each process records the terms
    of its own share of the batch.  At the end of the epoch, once the epoch
    means exist, the per-batch term records are dropped, so that model files
    keep the per-epoch terms without multiplying the size of their history.

    Parameters
    ----------
    names : list of str
        The terms the criterion reports (``MIMLoss.term_names``).
    """

    def __init__(self, names):
        self.names = names

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        prefix = "train" if training else "valid"
        terms = net.criterion_.last_terms
        values = torch.stack([terms[name] for name in self.names]).tolist()  # one device sync for all terms
        for name, value in zip(self.names, values):
            net.history.record_batch(f"{prefix}_{name}", value)

    def on_epoch_end(self, net, **kwargs):
        keys = {f"{prefix}_{name}" for prefix in ("train", "valid") for name in self.names}
        for record in net.history[-1]["batches"]:
            for key in keys & record.keys():
                del record[key]


def loss_term_callbacks(criterion, criterion_params):
    """The callbacks that put each loss term's per-epoch mean in the history.

    Returns
    -------
    scorers : list of (str, PassthroughScoring)
    recorders : list of (str, LossTermRecorder)
        Empty when the criterion reports no terms.  Put it after every
        other callback: its ``on_epoch_end`` drops the per-batch records the
        scorers average.
    """
    names = criterion.term_names(**criterion_params) if hasattr(criterion, "term_names") else []
    if not names:
        return [], []
    # lower_is_better=None: no "<term>_best" flags, as a term is not a criterion to select on
    scorers = [
        (
            f"{prefix}_{name}",
            PassthroughScoring(name=f"{prefix}_{name}", lower_is_better=None, on_train=prefix == "train"),
        )
        for prefix in ("train", "valid")
        for name in names
    ]
    return scorers, [("loss_terms", LossTermRecorder(names))]


class KLWarmup(Callback):
    """Ramp the weight of the VAE's KL term linearly from 0 to 1 over the first epochs.

    Epoch ``k`` (counted from 1 over all fits of the model, so a continued
    fit continues the ramp) trains with weight ``min(1, (k - 1) / epochs)``,
    recorded in the history as ``kl_weight``.  Validation losses use weight
    1, so early stopping judges the real objective.

    Parameters
    ----------
    epochs : int
        Length of the ramp, >= 1.
    """

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_begin(self, net, **kwargs):
        weight = min(1.0, (len(net.history) - 1) / self.epochs)
        net.criterion_.kl_weight = weight
        net.history.record("kl_weight", weight)


class FitProgressBar(Callback):
    """One progress bar for a whole fit, on stderr: every training batch of every epoch.

    The bar stays on screen when the fit ends; beside it stand the epoch
    and its training loss.  Its length is known once the first epoch has
    counted its batches (streamed data is counted as it is read).

    Parameters
    ----------
    epochs : int
        Epochs this fit runs (at most: early stopping may end it sooner).
    desc : str, default="fit"
        The bar's label (the estimator's name).
    """

    def __init__(self, epochs, desc="fit"):
        self.epochs = epochs
        self.desc = desc

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=None, unit="batch", leave=True, file=sys.stderr, desc=self.desc)
        self.batches_ = 0

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.bar_.update(1)
            self.batches_ += 1

    def on_epoch_end(self, net, **kwargs):
        if self.bar_.total is None:  # the first epoch counted the batches of every epoch
            self.bar_.total = self.batches_ * self.epochs
        loss = net.history[-1].get("train_loss", math.nan)
        self.bar_.set_postfix(epoch=len(net.history), train_loss=f"{loss:.4g}")

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        del self.bar_, self.batches_

    def __getstate__(self):
        # a fit that failed leaves its bar behind; a fitted net must pickle without it
        return {key: value for key, value in vars(self).items() if key not in ("bar_", "batches_")}
