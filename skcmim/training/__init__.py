"""Training engine: skorch runs the loop; this package adapts it to unsupervised encoder-decoders.

* :mod:`~skcmim.training.data`: rows on the training device, row stores
  made into tensors one batch at a time, streamed chunks, mini-batches
  (bucketed by length for sequences);
* :mod:`~skcmim.training.callbacks`: loss checks, loss terms in the
  history, the KL warm-up, the progress bar;
* :mod:`~skcmim.training.net`: the skorch ``NeuralNet`` subclass and the
  numerics of a training step;
* :mod:`~skcmim.training.fit`: the net an estimator's parameters describe,
  and a training run.
"""

from .callbacks import FitProgressBar, KLWarmup, LossTermRecorder, StopOnNonFiniteLoss
from .data import DeviceTensorDataset, HoldoutSplit, RaggedRows, RowStore, StreamDataset, TensorBatches
from .fit import build_net, draw_seed, restore_net, train_net
from .net import MIMNet, flush_denormals

__all__ = [
    "DeviceTensorDataset",
    "FitProgressBar",
    "HoldoutSplit",
    "KLWarmup",
    "LossTermRecorder",
    "MIMNet",
    "RaggedRows",
    "RowStore",
    "StopOnNonFiniteLoss",
    "StreamDataset",
    "TensorBatches",
    "build_net",
    "draw_seed",
    "flush_denormals",
    "restore_net",
    "train_net",
]
