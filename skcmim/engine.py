"""Temporary: the training engine moved to :mod:`skcmim.training` (removed before release)."""

from .device import fork_rng_devices, resolve_device  # noqa: F401
from .exceptions import NonFiniteLossError  # noqa: F401
from .training.callbacks import KLWarmup, LossTermRecorder, StopOnNonFiniteLoss, loss_term_callbacks  # noqa: F401
from .training.data import (  # noqa: F401
    DeviceTensorDataset,
    HoldoutSplit,
    RaggedRows,
    RowStore,
    StreamDataset,
    TensorBatches,
    take_rows,
    to_device,
)
from .training.fit import build_net, draw_seed, train_net  # noqa: F401
from .training.net import (  # noqa: F401
    MIMNet,
    _denormals_flushed,
    flush_denormals,
    set_iterator_params,
    training_error_hints,
)
