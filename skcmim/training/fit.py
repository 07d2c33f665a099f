"""The estimators' training plumbing: the net their parameters describe, and a training run.

The estimators call these with themselves; nothing here imports them.  A
training run works on a new net, or on a copy of the fitted one, and never
touches the estimator: the estimator swaps in the trained net only when
training succeeded.
"""

from __future__ import annotations

import contextlib
import copy
import os

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch.callbacks import Callback, EarlyStopping

from ..device import fork_rng_devices, resolve_device
from ..exceptions import NonFiniteLossError
from .callbacks import FitProgressBar, StopOnNonFiniteLoss, loss_term_callbacks
from .data import HoldoutSplit, TensorBatches, to_device
from .net import MIMNet, flush_denormals, set_iterator_params, training_error_hints

__all__ = ["build_net", "draw_seed", "restore_net", "train_net"]

# Bytes a float32 parameter costs in training: the weight, its gradient and Adam's two moments.
_TRAINING_BYTES_PER_PARAMETER = 16


def draw_seed(random_state):
    """One int seed from a scikit-learn ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _user_callbacks(estimator):
    """Copies of the ``callbacks`` parameter, each checked to be a skorch callback."""
    callbacks = copy.deepcopy(list(estimator.callbacks or []))
    for index, entry in enumerate(callbacks):
        callback = entry[1] if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str) else entry
        if not isinstance(callback, Callback) and not (isinstance(callback, type) and issubclass(callback, Callback)):
            raise TypeError(
                f"callbacks[{index}] is {entry!r}; each entry must be a skorch callback (e.g. "
                f"skorch.callbacks.LRScheduler(...)) or a (name, callback) tuple."
            )
    return callbacks


def _monitors_validation(callback):
    """Whether a skorch callback reads a validation score (``EarlyStopping()`` monitors ``valid_loss``)."""
    callback = callback[1] if isinstance(callback, tuple) else callback
    monitored = [getattr(callback, name, None) for name in ("monitor", "event_name")]
    return any(isinstance(value, str) and value.startswith("valid_") for value in monitored)


def needs_validation(estimator):
    """Whether a fit holds out a validation split: early stopping, or a user callback that monitors one."""
    return bool(estimator.early_stopping) or any(_monitors_validation(c) for c in estimator.callbacks or [])


def _module_spec(estimator, input_):
    """``(module class, keyword arguments)`` of the network ``estimator``'s parameters describe."""
    sizes = input_.hidden_sizes(estimator.hidden_layer_sizes)
    return input_.module_spec(estimator._network_role, estimator.n_components, sizes, **estimator._module_options())


def _available_bytes(device):
    """Memory a network can use on ``device``, or None when unknown."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        return None


def _check_network_size(estimator, module, params, device):
    """Refuse a network that cannot fit in memory before any of it is allocated.

    The network is built on torch's meta device (shapes, no memory) to
    count its parameters.
    """
    with _meta_build():
        n_parameters = sum(p.numel() for p in module(**params).parameters())
    needed, available = n_parameters * _TRAINING_BYTES_PER_PARAMETER, _available_bytes(device)
    if available is not None and needed > available:
        raise ValueError(
            f"{type(estimator).__name__}(n_components={estimator.n_components!r}, hidden_layer_sizes="
            f"{estimator.hidden_layer_sizes!r}) describes a network of {n_parameters:,} parameters, which needs "
            f"about {needed / 2**30:,.1f} GiB to train, more than the {available / 2**30:,.1f} GiB of "
            f"{device.type.upper()} memory this machine has. Choose smaller sizes."
        )


def build_net(estimator, input_, device, seed, *, check_size=True):
    """The unfitted skorch net that trains ``estimator``'s network on ``input_``'s data.

    Parameters
    ----------
    estimator : skcmim estimator
        Its parameters (sizes, optimiser, callbacks, early stopping...) and
        its loss (``_criterion_spec``) describe the net.
    input_ : skcmim.inputs.DataInput
        The fitted input, which says which module to build.
    device : torch.device
    seed : int
        Seed of the shuffling and of the validation split.
    check_size : bool, default=True
        Refuse a network too large for the device's memory.

    Returns
    -------
    net : MIMNet
        Call ``initialize()`` on it (under a seeded RNG) to build the module.
    """
    callbacks = [("stop_on_non_finite", StopOnNonFiniteLoss())]
    if estimator.early_stopping:
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    patience=estimator.n_iter_no_change, threshold=estimator.tol, threshold_mode="abs", load_best=True
                ),
            )
        )
    if estimator.verbose:  # 1: one progress bar per fit; 2: also skorch's table of per-epoch losses
        callbacks.append(("progress_bar", FitProgressBar(estimator.max_epochs, type(estimator).__name__)))
    criterion, criterion_params = estimator._criterion_spec()
    term_scorers, recorders = loss_term_callbacks(criterion, criterion_params)
    callbacks.extend(term_scorers)
    callbacks.extend(estimator._objective_callbacks())
    callbacks.extend(_user_callbacks(estimator))
    callbacks.extend(recorders)
    module, module_params = _module_spec(estimator, input_)
    if check_size:
        _check_network_size(estimator, module, module_params, device)
    return MIMNet(
        module=module,
        **{f"module__{key}": value for key, value in module_params.items()},
        criterion=criterion,
        **{f"criterion__{key}": value for key, value in criterion_params.items()},
        optimizer=torch.optim.Adam,
        lr=estimator.learning_rate,
        max_epochs=estimator.max_epochs,
        batch_size=estimator.batch_size,
        iterator_train=TensorBatches,
        iterator_train__shuffle=True,
        iterator_train__seed=seed,
        iterator_valid=TensorBatches,
        train_split=HoldoutSplit(estimator.validation_fraction, seed) if needs_validation(estimator) else None,
        callbacks=callbacks,
        device=str(device),
        mixed_precision=estimator.mixed_precision,
        verbose=int(estimator.verbose >= 2),
    )


def train_net(estimator, data, input_, *, epochs, seed, resume, streamed=False):
    """A skorch net trained on ``data`` for ``estimator``: a new one, or a copy of its ``net_`` trained on.

    The estimator's own state is not touched: it swaps in the returned net
    only when training succeeded.

    Parameters
    ----------
    estimator : skcmim estimator
    data : ndarray, RowStore or StreamDataset
        The network input (from ``input_``).
    input_ : skcmim.inputs.DataInput
    epochs : int
    seed : int
        The fit's seed; a continued fit shifts it by the epochs already run.
    resume : bool
        Train a copy of ``estimator.net_`` instead of a new net.
    streamed : bool, default=False
        Whether ``data`` is streamed (no random validation split is possible).

    Returns
    -------
    net : MIMNet
        Trained, its module in eval mode, its weights finite.
    """
    if streamed and needs_validation(estimator):
        raise ValueError(
            "A validation split (early_stopping=True, or a callback that monitors a validation score) holds out "
            "a random subset, which streamed data does not allow; fit on an in-memory array, or drop them."
        )
    parallel = estimator._data_parallel
    if resume:
        net = _continued_net(estimator, input_)
        device = next(net.module_.parameters()).device
        seed += estimator.n_iter_  # resumed epochs do not replay old shuffles
    else:
        device = parallel.device if parallel else resolve_device(estimator.device)
    with torch.random.fork_rng(devices=fork_rng_devices(device)):
        torch.manual_seed(seed)
        if not resume:
            net = build_net(estimator, input_, device, seed).initialize()
        set_iterator_params(net, seed=seed)
        tensor = to_device(data, device)
        with _data_parallel_callback(net, parallel), training_error_hints(estimator.batch_size), flush_denormals():
            net.partial_fit(tensor, epochs=epochs)
    net.module_.eval()
    _check_finite_weights(net.module_)
    return net


def _continued_net(estimator, input_):
    """A copy of ``net_`` to train on, with the current ``learning_rate`` and ``batch_size``.

    The network itself cannot change: a parameter that would build
    another network is an error rather than silently ignored.  The
    trained callbacks are kept.
    """
    _, spec = _module_spec(estimator, input_)
    built = estimator.net_.get_params()
    changed = {
        key: (built.get(f"module__{key}"), value) for key, value in spec.items() if built.get(f"module__{key}") != value
    }
    if changed:
        details = ", ".join(f"{key} {old!r} -> {new!r}" for key, (old, new) in changed.items())
        raise ValueError(
            f"warm_start=True continues training the fitted network, but the parameters now describe "
            f"another network ({details}). Set warm_start=False to train a new model, or restore the "
            f"parameters."
        )
    return copy.deepcopy(estimator.net_).set_params(lr=estimator.learning_rate, batch_size=estimator.batch_size)


def _check_finite_weights(module):
    """A step can turn weights non-finite after the last loss was checked."""
    for name, parameter in module.named_parameters():
        if not torch.isfinite(parameter).all():
            raise NonFiniteLossError(
                f"Training diverged: the weights {name!r} became NaN or infinite. Lower learning_rate, scale "
                f"the features (for example with StandardScaler), or use a larger batch_size."
            )


@contextlib.contextmanager
def _data_parallel_callback(net, parallel):
    """Add the data-parallel callback (:mod:`skcmim.distributed`) to ``net`` while it trains."""
    if parallel is None:
        yield
        return
    # skorch's set_params(callbacks=...) initialises the callbacks of the
    # previous list, so they are initialised again after each change
    own = list(net.callbacks)
    net.set_params(callbacks=[*own, ("data_parallel", parallel)]).initialize_callbacks()
    try:
        yield
    finally:
        net.set_params(callbacks=own).initialize_callbacks()


class _SkipParameterInit(torch.overrides.TorchFunctionMode):
    """Within it, this thread's ``torch.nn.init`` initialisers leave their tensor as it is.

    The initialisers hand themselves to the active torch-function modes,
    and modes are per thread, so other threads build and initialise
    modules as usual meanwhile.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__module__", None) == "torch.nn.init":
            return args[0] if args else kwargs["tensor"]
        return func(*args, **kwargs)


@contextlib.contextmanager
def _meta_build():
    """Build modules on torch's meta device, without initialising their parameters.

    A meta tensor has no values to initialise, and torch runs meta
    initialisers through its Python reference kernels, whose first use
    imports torch._dynamo: seconds of every model load, for nothing.
    """
    with torch.device("meta"), _SkipParameterInit():
        yield


def restore_net(estimator, input_, weights, history, *, seed, device):
    """The net of a saved model: built for ``estimator`` and ``input_``, with ``weights`` and ``history``.

    ``device="meta"`` builds the network without memory, to check that
    ``weights`` have its names and shapes.
    """
    from skorch.history import History

    meta = device.type == "meta"
    with torch.random.fork_rng(devices=[]), _meta_build() if meta else contextlib.nullcontext():
        net = build_net(
            estimator, input_, device if meta else torch.device("cpu"), seed, check_size=not meta
        ).initialize_for_inference()
    net.module_.load_state_dict(weights, strict=True)
    net.history = History(history)
    net.module_.to(device).eval()
    net.set_params(device=str(device))
    return net
