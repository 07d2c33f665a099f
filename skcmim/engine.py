"""Training engine: a skorch ``NeuralNet`` for unsupervised encoder-decoders.

skorch runs the loop (epochs, callbacks, history, early stopping, progress
bar); this module only changes what skorch needs to change for an
unsupervised model whose data already lives on the training device:

* batches are slices of one device tensor, so there is no per-batch
  host-to-device copy and no ``DataLoader`` worker overhead; compact row
  stores (:class:`RowStore`: SMILES tokens without padding, sparse
  matrices) become a tensor one batch at a time; data streamed from a chunk
  source (:mod:`skcmim.streaming`) moves to the device one chunk at a time;
* under data parallelism each process trains on its share of every global
  batch (:mod:`skcmim.distributed`);
* the loss sees the module's whole output (codes, log-likelihood) and no
  target;
* an optional mixed-precision ``autocast`` wraps the forward pass.

:func:`build_net` and :func:`train_net` are the estimators' training
plumbing: the net an estimator's parameters describe, and a training run
on a new net or on a copy of the fitted one (the estimator commits it only
when training succeeded).  The device, seed and error-hint helpers live
here too.
"""

import contextlib
import copy
import math

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PassthroughScoring, ProgressBar

from .streaming import chunk_errors

__all__ = [
    "build_net",
    "draw_seed",
    "flush_denormals",
    "fork_rng_devices",
    "resolve_device",
    "set_iterator_params",
    "take_rows",
    "to_device",
    "train_net",
    "training_error_hints",
    "DeviceTensorDataset",
    "HoldoutSplit",
    "KLWarmup",
    "LossTermRecorder",
    "MIMNet",
    "NonFiniteLossError",
    "RaggedRows",
    "RowStore",
    "StopOnNonFiniteLoss",
    "StreamDataset",
    "TensorBatches",
]


def resolve_device(device):
    """Turn an estimator's ``device`` parameter into a concrete ``torch.device``."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'.") from exc
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": _mps_available()}
    if resolved.type not in available:
        raise ValueError(f"device={device!r} cannot train or run a model; use 'auto', 'cpu', 'cuda' or 'mps'.")
    if not available[resolved.type]:
        raise ValueError(f"device={device!r} was requested but {resolved.type.upper()} is not available on this "
                         f"machine; use device='auto' or 'cpu'.")
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise ValueError(f"device={device!r}: this machine has {torch.cuda.device_count()} CUDA device(s).")
    return resolved


def _mps_available():
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


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


def fork_rng_devices(device):
    """The CUDA devices whose RNG ``torch.random.fork_rng`` must save for ``device``."""
    return [device.index or 0] if device.type == "cuda" else []


def draw_seed(random_state):
    """One int seed from a scikit-learn ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


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


class NonFiniteLossError(FloatingPointError, ValueError):
    """The training loss or the weights became NaN or infinite.

    A ``ValueError`` too: the usual cause is a value the user chose (a
    learning rate, unscaled features).
    """


class RowStore:
    """Training rows kept in a compact form and made into a tensor one batch at a time.

    The engine treats a row store like a tensor of rows: it shuffles,
    splits and batches it through these methods only.
    """

    def __len__(self):
        raise NotImplementedError

    @property
    def device(self):
        """Where :meth:`take` puts its batches."""
        raise NotImplementedError

    def to(self, device):
        """The same rows, with batches on ``device``."""
        raise NotImplementedError

    def take(self, index):
        """Rows ``index`` as one tensor, ready for the network."""
        raise NotImplementedError

    def subset(self, index):
        """Rows ``index`` as a row store of the same kind."""
        raise NotImplementedError

    @classmethod
    def cat(cls, parts):
        """The rows of several row stores of this kind, in order."""
        raise NotImplementedError


class RaggedRows(RowStore):
    """Rows of token ids of different lengths, stored without padding.

    Padding happens per batch (:meth:`take`), so one very long SMILES pads
    only its own batch, not every training row.  Rows may hold several
    sequences each (InfoNCE's views): ``lengths`` then has shape
    ``(n_rows, n_views)``.

    Parameters
    ----------
    flat : Tensor of shape (n_tokens,)
        Every sequence's ids, concatenated in row-major order of ``lengths``.
    lengths : Tensor of shape (n_rows,) or (n_rows, n_views)
    pad_index : int
    """

    def __init__(self, flat, lengths, pad_index):
        self.flat = torch.as_tensor(flat)
        self.lengths = torch.as_tensor(lengths)
        self.pad_index = pad_index
        ends = torch.cumsum(self.lengths.reshape(-1), 0)
        self.starts = (ends - self.lengths.reshape(-1)).reshape(self.lengths.shape)

    def __len__(self):
        return len(self.lengths)

    @property
    def device(self):
        return self.flat.device

    def to(self, device):
        return RaggedRows(self.flat.to(device), self.lengths.to(device), self.pad_index)

    def take(self, index):
        """Rows ``index`` as one tensor, padded to their longest sequence."""
        lengths, starts = self.lengths[index], self.starts[index]
        width = int(lengths.max()) if len(lengths) else 0
        steps = torch.arange(width, device=self.flat.device)
        inside = steps < lengths.unsqueeze(-1)
        positions = torch.where(inside, starts.unsqueeze(-1) + steps, 0)
        return torch.where(inside, self.flat[positions], self.pad_index)

    @staticmethod
    def cat(parts):
        """The rows of several :class:`RaggedRows`, in order."""
        return RaggedRows(torch.cat([part.flat for part in parts]), torch.cat([part.lengths for part in parts]),
                          parts[0].pad_index)


    def subset(self, index):
        lengths = self.lengths[index]
        pieces = [self.flat[start : start + n] for start, n in zip(self.starts[index].reshape(-1).tolist(),
                                                                     lengths.reshape(-1).tolist())]
        return RaggedRows(torch.cat(pieces) if pieces else self.flat[:0], lengths, self.pad_index)


def to_device(data, device):
    """Training data on ``device``: a tensor or array, a :class:`RowStore` or a stream of them."""
    if isinstance(data, (RowStore, StreamDataset)):
        return data.to(device)
    return torch.as_tensor(data, device=device)


def take_rows(data, index):
    """Rows ``index`` of a tensor or :class:`RowStore`, as a tensor."""
    return data.take(index) if isinstance(data, RowStore) else data[index]


def _subset(data, index):
    """Rows ``index`` of a tensor or :class:`RowStore`, of the same type."""
    return data.subset(index) if isinstance(data, RowStore) else data[index]


def _cat_rows(parts):
    return type(parts[0]).cat(parts) if isinstance(parts[0], RowStore) else torch.cat(parts)


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

    def chunks(self):
        """The data as one chunk."""
        yield self.X


class StreamDataset:
    """Training data read chunk by chunk from a :class:`~skcmim.streaming.ChunkSource`.

    Parameters
    ----------
    source : ChunkSource
        Iterated once per epoch.
    prepare : callable
        Turns one raw chunk into the network's input array (validation,
        scaling or tokenisation happen here, one chunk at a time).
    device : torch.device or str, default="cpu"
        Where each prepared chunk is placed.
    n_rows : int or None, default=None
        Training rows per pass, when known (a progress bar shows it).
    """

    def __init__(self, source, prepare, device="cpu", n_rows=None):
        self.source = source
        self.prepare = prepare
        self.device = device
        self.n_rows = n_rows

    def to(self, device):
        """The same stream, placing its chunks on ``device``."""
        return type(self)(self.source, self.prepare, device, self.n_rows)

    def __len__(self):
        """Training rows per pass: counted by the set-up pass, or here by one more pass."""
        if self.n_rows is None:
            self.n_rows = sum(len(self.prepare(chunk)) for chunk in self.source)
        return self.n_rows

    def chunks(self):
        """Prepared chunks on the device, one at a time."""
        for index, chunk in enumerate(self.source):
            with chunk_errors(index, self.source):
                prepared = self.prepare(chunk)
            yield to_device(prepared, self.device)


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
            DeviceTensorDataset(_subset(dataset.X, index[n_valid:])),
            DeviceTensorDataset(_subset(dataset.X, index[:n_valid])),
        )


class TensorBatches:
    """Mini-batches of a :class:`DeviceTensorDataset` or :class:`StreamDataset`.

    Rows are shuffled within each chunk (the whole data, for a
    ``DeviceTensorDataset``); the rows left over at the end of a chunk start
    the next chunk's first batch, so all batches but the last have
    ``batch_size`` rows.

    Shuffled :class:`RaggedRows` (token sequences) are also bucketed by
    length: the shuffled rows are cut into pools of ``length_buckets``
    batches, each pool is sorted by length and cut into batches, and the
    batches of the chunk are trained on in a random order.  A batch is then
    padded to about its own rows' length rather than to the longest of
    ``batch_size`` random rows, while every row is still seen once per
    epoch, in batches that change from epoch to epoch.  Dense rows are
    never bucketed.

    Parameters
    ----------
    dataset : DeviceTensorDataset or StreamDataset
    batch_size : int
        Rows per batch, over all processes under data parallelism.
    shuffle : bool, default=False
        Draw a new permutation for every pass (every epoch).
    seed : int, default=0
        Seed of the local generator used for shuffling; the global torch RNG
        is not used.
    rank, world_size : int, default=0 and 1
        Under data parallelism, this process trains on part ``rank`` of
        ``world_size`` equal parts of every batch.  Every process draws the
        same permutation, so together they see exactly the batches of a
        single process.  A batch with a number of rows that does not divide
        evenly is trimmed to a multiple of ``world_size`` (so the last batch
        of an epoch may lose up to ``world_size - 1`` rows).
    length_buckets : int or None, default=50
        Batches per pool when bucketing shuffled ``RaggedRows`` by length;
        None or 0: no bucketing.  Larger pools pad less and make batches of
        more alike lengths.
    """

    def __init__(self, dataset, batch_size, shuffle=False, seed=0, rank=0, world_size=1, length_buckets=50):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)
        self.rank = rank
        self.world_size = world_size
        self.length_buckets = length_buckets

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        pending = None
        for chunk in self.dataset.chunks():
            if pending is not None:
                chunk = _cat_rows([pending, chunk])
            order = torch.arange(len(chunk), device=chunk.device)
            if self.shuffle:  # the carried-over rows come first, as before their chunk was joined
                fresh = len(chunk) - (len(pending) if pending is not None else 0)
                permutation = torch.randperm(fresh, generator=self.generator).to(chunk.device)
                order = torch.cat([order[: len(chunk) - fresh], permutation + (len(chunk) - fresh)])
            complete = len(chunk) - len(chunk) % self.batch_size
            for rows in self._full_batches(chunk, order[:complete]):
                yield self._share(take_rows(chunk, rows)), None
            pending = _subset(chunk, order[complete:]) if complete < len(chunk) else None
        if pending is not None and len(pending) >= self.world_size:
            yield self._share(take_rows(pending, torch.arange(len(pending), device=pending.device))), None

    def _full_batches(self, chunk, order):
        """Rows of each batch of ``batch_size`` rows cut from ``order``, in training order."""
        batches = order.reshape(-1, self.batch_size)
        if not (self.shuffle and self.length_buckets and isinstance(chunk, RaggedRows)):
            return batches
        lengths = chunk.lengths if chunk.lengths.dim() == 1 else chunk.lengths.max(dim=1).values
        pool = self.length_buckets * self.batch_size
        pools = [rows[torch.argsort(lengths[rows], stable=True)] for rows in order.split(pool)]
        batches = torch.cat(pools).reshape(-1, self.batch_size) if pools else batches
        return batches[torch.randperm(len(batches), generator=self.generator).to(batches.device)]

    def _share(self, batch):
        if self.world_size == 1:
            return batch
        part = len(batch) // self.world_size
        return batch[self.rank * part : (self.rank + 1) * part]


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
    scorers = [(f"{prefix}_{name}",
                PassthroughScoring(name=f"{prefix}_{name}", lower_is_better=None, on_train=prefix == "train"))
               for prefix in ("train", "valid") for name in names]
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


# ----------------------------------------------------------------- training an estimator's network
# The estimators' training plumbing: they call these with themselves; nothing here imports them.


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


def _module_spec(estimator, input_):
    """``(module class, keyword arguments)`` of the network ``estimator``'s parameters describe."""
    sizes = input_.hidden_sizes(estimator.hidden_layer_sizes)
    return input_.module_spec(estimator._network_role, estimator.n_components, sizes, **estimator._module_options())


def build_net(estimator, input_, device, seed):
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
        Seed of the shuffling and of the early-stopping split.

    Returns
    -------
    net : MIMNet
        Call ``initialize()`` on it (under a seeded RNG) to build the module.
    """
    callbacks = [("stop_on_non_finite", StopOnNonFiniteLoss())]
    if estimator.early_stopping:
        callbacks.append(
            ("early_stopping", EarlyStopping(patience=estimator.n_iter_no_change, threshold=estimator.tol,
                                             threshold_mode="abs", load_best=True))
        )
    if estimator.verbose:  # 1: a progress bar; 2: also skorch's table of per-epoch losses
        callbacks.append(("progress_bar", ProgressBar()))
    criterion, criterion_params = estimator._criterion_spec()
    term_scorers, recorders = loss_term_callbacks(criterion, criterion_params)
    callbacks.extend(term_scorers)
    callbacks.extend(estimator._objective_callbacks())
    callbacks.extend(_user_callbacks(estimator))
    callbacks.extend(recorders)
    module, module_params = _module_spec(estimator, input_)
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
        train_split=HoldoutSplit(estimator.validation_fraction, seed) if estimator.early_stopping else None,
        callbacks=callbacks,
        device=str(device),
        mixed_precision=estimator.mixed_precision,
        verbose=int(estimator.verbose >= 2),
    )


def train_net(estimator, data, input_, *, epochs, seed, resume):
    """A skorch net trained on ``data`` for ``estimator``: a new one, or a copy of its ``net_`` trained on.

    The estimator's own state is not touched: it commits the returned net
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

    Returns
    -------
    net : MIMNet
        Trained, its module in eval mode, its weights finite.
    """
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
    changed = {key: (built.get(f"module__{key}"), value) for key, value in spec.items()
               if built.get(f"module__{key}") != value}
    likelihood = getattr(estimator, "likelihood", "auto")
    if likelihood != "auto" and likelihood != getattr(input_, "likelihood_", likelihood):
        changed["likelihood"] = (input_.likelihood_, likelihood)
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
