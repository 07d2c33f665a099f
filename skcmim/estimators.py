"""scikit-learn transformers: MIM and cMIM on numeric matrices.

All behaviour lives in :class:`BaseEncoderDecoder`; a concrete estimator only
says which loss it trains (``_loss_params``) and lists its parameters in
``__init__`` (scikit-learn reads them from the signature).
"""

import contextlib
import copy
import itertools
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state, metadata_routing
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, ProgressBar

from .engine import HoldoutSplit, MIMNet, StopOnNonFiniteLoss, StreamDataset, TensorBatches, flush_denormals
from .losses import MIMLoss
from .molecules import SmilesTokenizer, is_molecular_input, to_smiles
from .networks import EncoderDecoder, SmilesEncoderDecoder
from .streaming import as_chunk_source, chunk_errors

__all__ = ["BaseEncoderDecoder", "BaseRepresentation", "CMIMTransformer", "MIMTransformer", "MolecularInput"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Rows encoded per forward pass in transform/score; memory-bound, not accuracy-bound.
_INFERENCE_BATCH = 4096
# Tokens (rows x padded length) per forward pass for SMILES: bounds the memory
# of the decoder states that informative embeddings read out.
_INFERENCE_TOKENS = 1 << 17
# hidden_layer_sizes="auto": an MLP for numeric data, one GRU layer for SMILES
_NUMERIC_HIDDEN = (512, 512)
_MOLECULAR_HIDDEN = (256,)
# Fitted attributes of one input kind, removed when a refit switches kinds
_NUMERIC_STATE = ("mean_", "scale_", "feature_names_in_")
_MOLECULAR_STATE = ("tokenizer_", "max_length_")


def _resolve_device(device):
    """Turn the ``device`` parameter into a concrete ``torch.device``."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'.") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available; use device='auto' or 'cpu'.")
    return resolved


@contextlib.contextmanager
def _out_of_memory_hint(batch_size):
    """Turn a CUDA out-of-memory error into advice the user can act on."""
    try:
        yield
    except torch.cuda.OutOfMemoryError as exc:
        raise MemoryError(
            f"The training device ran out of memory with batch_size={batch_size}. Use a smaller batch_size "
            f"(e.g. {max(1, batch_size // 2)}), smaller hidden_layer_sizes, mixed_precision=True, or device='cpu'."
        ) from exc


def _fork_rng_devices(device):
    return [device.index or 0] if device.type == "cuda" else []


def _check_hidden_layer_sizes(sizes):
    sizes = tuple(sizes)
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes!r}.")
    return tuple(int(s) for s in sizes)


def _forget(estimator, names):
    for name in names:
        if hasattr(estimator, name):
            delattr(estimator, name)


def _locate_non_numeric(X):
    """Return ``(row, column, value)`` of the first cell that is not a number."""
    array = np.asarray(X, dtype=object)
    if array.ndim != 2:
        return None
    for (row, column), value in np.ndenumerate(array):
        try:
            float(value)
        except (TypeError, ValueError):
            return row, column, value
    return None


class FeatureStats:
    """Per-feature count, mean, standard deviation and range of training data.

    Computed in float64 (float32 sums of values near the float32 limit
    overflow) from one array, or merged chunk by chunk for streamed data
    (Chan et al.'s pairwise update, exact up to rounding).
    """

    def __init__(self, n, mean, m2, low, high, dtype):
        self.n, self.mean, self.m2, self.low, self.high, self.dtype = n, mean, m2, low, high, dtype

    @classmethod
    def of(cls, X):
        """Statistics of one array of rows."""
        mean = X.mean(axis=0, dtype=np.float64)
        variance = X.var(axis=0, dtype=np.float64)
        return cls(len(X), mean, variance * len(X), X.min(axis=0), X.max(axis=0), X.dtype)

    def merge(self, other):
        """Statistics of the rows of both."""
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        m2 = self.m2 + other.m2 + delta**2 * (self.n * other.n / n)
        dtype = np.promote_types(self.dtype, other.dtype)
        return FeatureStats(n, mean, m2, np.minimum(self.low, other.low), np.maximum(self.high, other.high), dtype)

    @property
    def std(self):
        return np.sqrt(self.m2 / self.n)

    def in_unit_interval(self):
        return _in_unit_interval(self.low, self.high)


def _in_unit_interval(low, high):
    return bool(np.min(low, initial=0.0) >= 0.0 and np.max(high, initial=0.0) <= 1.0)


class BaseRepresentation(TransformerMixin, BaseEstimator):
    """Training engine, input validation and persistence of every skcmim model.

    Not for direct use.  Subclasses say which network and loss they train
    (``_module_spec``, ``_criterion_spec``) and what ``transform`` emits
    (``_embedding``).
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "device": [str, torch.device],
        "mixed_precision": ["boolean"],
        "callbacks": [list, tuple, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=16,
        *,
        hidden_layer_sizes=(512, 512),
        max_epochs=50,
        batch_size=128,
        learning_rate=1e-3,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        device="auto",
        mixed_precision=False,
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.mixed_precision = mixed_precision
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    # Set by skcmim.distributed while it runs fit; never a parameter.
    _data_parallel = None

    # ------------------------------------------------------------------ hooks
    def _module_spec(self, n_features):
        """``(module class, keyword arguments)`` of the network to train."""
        raise NotImplementedError

    def _criterion_spec(self):
        """``(loss class, keyword arguments)`` of the training loss."""
        raise NotImplementedError

    def _embedding(self, module, batch):
        """What ``transform`` returns for one batch on the device."""
        return module.encode(batch)

    def _setup(self, stats):
        """First-fit preparation from the training data's statistics
        (:class:`FeatureStats`); standardises the features."""
        self.mean_ = stats.mean
        scale = stats.std.copy()
        magnitude = np.maximum(1.0, np.abs(self.mean_))
        # A constant feature's mean carries a rounding error relative to its
        # size (2048 at 1.8e19); dividing by that size keeps the centred
        # value near 0 instead of feeding the error to the network.
        constant = scale < 10 * np.finfo(stats.dtype).eps * magnitude
        scale[constant] = magnitude[constant]
        self.scale_ = scale

    def _check_continuation(self, X):
        """Checks on data passed to a resumed fit or later partial_fit."""

    # ------------------------------------------------------------- validation
    _molecule_hint = "Only the encoder-decoders (MIM, cMIM, VAE, cVAE) take molecules."

    def _validate_X(self, X, *, reset):
        if is_molecular_input(X):
            raise ValueError(
                f"{type(self).__name__} expects a numeric matrix here, but X holds molecules (SMILES "
                f"strings or RDKit Mols). {self._molecule_hint}"
            )
        try:
            X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32], accept_sparse=False)
        except ValueError as exc:
            cell = _locate_non_numeric(X) if "convert" in str(exc) else None
            if cell is None:
                raise
            row, column, value = cell
            raise ValueError(
                f"{type(self).__name__} expects a numeric matrix, but row {row}, column {column} "
                f"holds {value!r}."
            ) from exc
        if X.dtype == np.float64 and np.abs(X).max(initial=0.0) > _FLOAT32_MAX:
            row = int(np.argmax(np.abs(X).max(axis=1) > _FLOAT32_MAX))
            raise ValueError(
                f"Row {row} of X holds values beyond the float32 range (|x| > {_FLOAT32_MAX:.3g}), "
                f"which the float32 network cannot represent; rescale the features."
            )
        return X

    # -------------------------------------------------------------- data prep
    def _to_network(self, X, dtype=None):
        """Standardised network input, in ``dtype`` (default: X's own)."""
        return ((X - self.mean_) / self.scale_).astype(dtype or X.dtype, copy=False)

    def _from_network(self, X, dtype):
        """Undo the standardisation; values beyond ``dtype``'s range are clipped to it."""
        limit = np.finfo(dtype).max
        return np.clip(X.astype(np.float64) * self.scale_ + self.mean_, -limit, limit).astype(dtype)

    # ---------------------------------------------------------------- training
    def _build_net(self, n_features, device, seed):
        callbacks = [("stop_on_non_finite", StopOnNonFiniteLoss())]
        if self.early_stopping:
            callbacks.append(
                ("early_stopping", EarlyStopping(patience=self.n_iter_no_change, threshold=self.tol,
                                                 threshold_mode="abs", load_best=True))
            )
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        callbacks.extend(copy.deepcopy(list(self.callbacks or [])))
        module, module_params = self._module_spec(n_features)
        criterion, criterion_params = self._criterion_spec()
        return MIMNet(
            module=module,
            **{f"module__{key}": value for key, value in module_params.items()},
            criterion=criterion,
            **{f"criterion__{key}": value for key, value in criterion_params.items()},
            optimizer=torch.optim.Adam,
            lr=self.learning_rate,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=TensorBatches,
            iterator_train__shuffle=True,
            iterator_train__seed=seed,
            iterator_valid=TensorBatches,
            train_split=HoldoutSplit(self.validation_fraction, seed) if self.early_stopping else None,
            callbacks=callbacks,
            device=str(device),
            mixed_precision=self.mixed_precision,
            verbose=int(self.verbose),
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the encoder-decoder on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or ChunkSource
            Training data.  Bernoulli models need values in [0, 1]; Gaussian
            models standardise the features internally.  Data that does not
            fit in memory can be streamed: pass a chunk source from
            :mod:`skcmim.streaming` (a numpy memmap larger than one chunk is
            streamed automatically).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        resume = self.warm_start and hasattr(self, "net_")
        X = self._training_data(X, first_call=not resume)
        self._train(X, epochs=self.max_epochs, initialize=not resume)
        return self

    def partial_fit(self, X, y=None):
        """Train for one epoch on X, continuing from the current weights.

        The first call sets up the model (likelihood, feature scaling) from
        its X; later calls must pass the same features.  Use it to train on
        data that arrives in chunks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        first_call = not hasattr(self, "net_")
        if first_call:
            self._validate_params()
        X = self._training_data(X, first_call=first_call)
        self._train(X, epochs=1, initialize=first_call)
        return self

    def _training_data(self, X, *, first_call):
        """The network input of X: an array, or a :class:`StreamDataset` for a chunk source."""
        if first_call:
            self._draw_seed()
        source = as_chunk_source(X)
        if source is None:
            return self._prepare_training_data(X, first_call=first_call)
        if self.early_stopping:
            raise ValueError(
                "early_stopping=True holds out a random validation subset, which streamed data does not "
                "allow; set early_stopping=False, or fit on an in-memory array."
            )
        if first_call:
            self._setup_stream(source)
        return StreamDataset(source, partial(self._prepare_training_data, first_call=False))

    def _prepare_training_data(self, X, *, first_call):
        """Validate X, set the model up on a first call, return the network input."""
        X = self._validate_X(X, reset=first_call)
        if first_call:
            self._setup(FeatureStats.of(X))
        else:
            self._check_continuation(X)
        return self._to_network(X, np.float32)

    def _setup_stream(self, source):
        """First-fit preparation from a pass over the chunks of ``source``."""
        stats = None
        for index, chunk in enumerate(source):
            with chunk_errors(index, source):
                chunk_stats = FeatureStats.of(self._validate_X(chunk, reset=index == 0))
            stats = chunk_stats if stats is None else stats.merge(chunk_stats)
        if stats is None:
            raise ValueError(f"{source!r} yielded no data to fit.")
        self._setup(stats)

    def _draw_seed(self):
        self._seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _train(self, X, *, epochs, initialize):
        parallel = self._data_parallel
        if not initialize:
            device = self._device_of_module()
        else:
            device = parallel.device if parallel else _resolve_device(self.device)
        # a fresh seed per continuation, so resumed epochs do not replay old shuffles
        seed = self._seed + (0 if initialize else self.n_iter_)
        with torch.random.fork_rng(devices=_fork_rng_devices(device)):
            torch.manual_seed(seed)
            if initialize:
                self.net_ = self._build_net(self.n_features_in_, device, seed).initialize()
            self.net_.iterator_train__seed = seed
            data = X.to(device) if isinstance(X, StreamDataset) else torch.as_tensor(X, device=device)
            with (parallel.training(self.net_) if parallel else contextlib.nullcontext()), \
                    _out_of_memory_hint(self.batch_size), flush_denormals():
                self.net_.partial_fit(data, epochs=epochs)
        self.net_.module_.eval()
        self.n_iter_ = len(self.net_.history)

    # ------------------------------------------------------------- persistence
    def save(self, path):
        """Save the fitted model without pickle (safetensors + JSON).

        Load it with :func:`skcmim.load`.  Unlike joblib/pickle files, such
        a file cannot run code when loaded.

        Parameters
        ----------
        path : str or os.PathLike
            Target file, conventionally ``*.safetensors``.

        Returns
        -------
        path : str
        """
        from .persistence import save

        return save(self, path)

    def _fitted_state(self):
        """Arrays and JSON-able values that, with the weights, make the model."""
        arrays = {name: getattr(self, name) for name in ("mean_", "scale_") if hasattr(self, name)}
        names = getattr(self, "feature_names_in_", None)
        fitted = {
            "n_features_in_": self.n_features_in_,
            "feature_names_in_": None if names is None else [str(n) for n in names],
            "n_iter_": self.n_iter_,
            "seed": self._seed,
        }
        return arrays, fitted

    def _restore_fitted_state(self, arrays, fitted, weights, history, device):
        from skorch.history import History

        if "mean_" in arrays:
            self.mean_, self.scale_ = arrays["mean_"], arrays["scale_"]
        self.n_features_in_ = fitted["n_features_in_"]
        if fitted["feature_names_in_"] is not None:
            self.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
        self.n_iter_ = fitted["n_iter_"]
        self._seed = fitted["seed"]
        net = self._build_net(self.n_features_in_, torch.device("cpu"), self._seed).initialize()
        net.module_.load_state_dict(weights, strict=True)
        net.history = History(history)
        net.module_.to(device).eval()
        net.device = str(device)
        self.net_ = net

    # --------------------------------------------------------------- inference
    @property
    def history_(self):
        """Training history of the fit (a skorch ``History``).

        One record per epoch with ``train_loss`` (and ``valid_loss`` when a
        validation split is used), each with its per-batch records.
        """
        check_is_fitted(self)
        return self.net_.history

    @property
    def module_(self):
        """The trained :class:`~skcmim.networks.EncoderDecoder`."""
        check_is_fitted(self)
        return self.net_.module_

    def _device_of_module(self):
        return next(self.module_.parameters()).device

    def _inference_module(self, dtype):
        """The trained module, in float64 for float64 input on the CPU.

        float32 matrix products differ in the last bits with the batch's
        composition; in float64 those differences are far below float32
        resolution, so a row's output does not depend on the other rows
        (scikit-learn's subset and order invariance).
        """
        if dtype == np.float64 and self._device_of_module().type == "cpu":
            return copy.deepcopy(self.module_).double()
        return self.module_

    def _map_batches(self, batches, fn, dtype):
        """``fn(module, batch)`` over ``batches`` (arrays) on the model's device.

        The module computes in float64 when ``dtype`` is float64 (on the
        CPU); the concatenated result has ``dtype``.
        """
        module = self._inference_module(np.dtype(dtype))
        device = next(module.parameters()).device
        outputs = []
        with torch.inference_mode():
            for batch in batches:
                outputs.append(fn(module, torch.as_tensor(batch, device=device)).cpu().numpy().astype(dtype))
        return np.concatenate(outputs) if outputs else np.empty((0, 0), dtype=dtype)

    @staticmethod
    def _row_slices(array):
        return (array[start : start + _INFERENCE_BATCH] for start in range(0, len(array), _INFERENCE_BATCH))

    def _apply(self, X, fn, width=None):
        """``fn(module, batch)`` over the validated rows of X, in X's dtype.

        ``width`` is the number of columns ``fn`` returns (None: one value
        per row); subclasses need it for inputs without valid rows.
        """
        X = self._validate_X(X, reset=False)
        network_input = self._to_network(X)
        return self._map_batches(self._row_slices(network_input), fn, X.dtype)

    def transform(self, X):
        """Encode X: the posterior mean ``mu(x)``, or informative embeddings.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            ``n_components`` columns, or with ``informative=True`` the code
            followed by the decoder hidden states at the code.  The dtype
            follows X (float32 or float64).
        """
        check_is_fitted(self)
        return self._apply(X, self._embedding, width=self._n_features_out)

    # ------------------------------------------------------------ feature names
    def _output_widths(self):
        """``[(name suffix, width), ...]`` of the blocks ``transform`` emits."""
        return [("", self.n_components)]

    @property
    def _n_features_out(self):
        return sum(width for _, width in self._output_widths())

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Codes are ``<name>0 ... <name>{n_components-1}``; with
        ``informative=True`` the decoder states follow as
        ``<name>_hidden<layer>_<unit>``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the names seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        prefix = type(self).__name__.lower()
        names = [f"{prefix}{suffix}{unit}" for suffix, width in self._output_widths() for unit in range(width)]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = False
        return tags




class MolecularInput:
    """Mixin: SMILES strings and RDKit Mols as X, next to numeric matrices.

    Placed before :class:`BaseRepresentation` in a model's bases.  It
    detects the input kind in ``fit``, canonicalises and tokenises
    molecules, and runs ``transform`` over length-sorted token batches with
    NaN rows for invalid molecules.  The model's network must take token ids
    when ``input_kind_ == "smiles"``.
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [StrOptions({"auto"}), "array-like"],
        "input_kind": [StrOptions({"auto", "numeric", "smiles"})],
        "max_length": [Interval(Integral, 3, None, closed="left"), None],
        "canonical": ["boolean"],
        "on_invalid": [StrOptions({"raise", "nan"})],
    }
    _molecule_hint = "To train on molecules, fit with input_kind='auto' or 'smiles'."

    @property
    def _molecular(self):
        return getattr(self, "input_kind_", "numeric") == "smiles"

    def _hidden_sizes(self):
        if isinstance(self.hidden_layer_sizes, str):  # "auto"
            return _MOLECULAR_HIDDEN if self._molecular else _NUMERIC_HIDDEN
        sizes = _check_hidden_layer_sizes(self.hidden_layer_sizes)
        if self._molecular and len(set(sizes)) != 1:
            raise ValueError(
                f"For SMILES the hidden layers are stacked GRU layers of one width; got "
                f"hidden_layer_sizes={sizes!r}. Use e.g. (256,) or (512, 512)."
            )
        return sizes

    def _prepare_training_data(self, X, *, first_call):
        if first_call:
            self._set_input_kind(X)
        if not self._molecular:
            return super()._prepare_training_data(X, first_call=first_call)
        smiles = self._training_smiles(X)
        if first_call:
            self._setup_molecules(self._vocabulary_smiles(smiles))
        return self._training_tokens(smiles)

    def _vocabulary_smiles(self, smiles):
        """The SMILES the tokenizer learns its vocabulary from."""
        return smiles

    def _training_tokens(self, smiles):
        """The network's training input for valid SMILES: their token ids."""
        return self.tokenizer_.encode(smiles, max_length=self.max_length_)

    def _setup_stream(self, source):
        first = next(iter(source), None)
        if first is None:
            raise ValueError(f"{source!r} yielded no data to fit.")
        self._set_input_kind(first)
        if not self._molecular:
            return super()._setup_stream(source)
        self._setup_molecules(itertools.chain.from_iterable(self._chunk_smiles(source)))

    def _chunk_smiles(self, source):
        for index, chunk in enumerate(source):
            with chunk_errors(index, source):
                smiles = self._vocabulary_smiles(self._training_smiles(chunk))
            yield smiles

    def _set_input_kind(self, X):
        """Fix ``input_kind_`` from (a first chunk of) the training data; a
        refit on the other kind drops the previous kind's fitted state."""
        if self.input_kind == "auto":
            self.input_kind_ = "smiles" if is_molecular_input(X) else "numeric"
        else:
            self.input_kind_ = self.input_kind
        _forget(self, _MOLECULAR_STATE if self.input_kind_ == "numeric" else _NUMERIC_STATE)

    def _training_smiles(self, X):
        """Valid SMILES of X; with ``on_invalid="nan"`` invalid rows are left out, with a warning."""
        smiles, valid = to_smiles(X, canonical=self.canonical, on_invalid=self.on_invalid)
        if not valid.all():
            row = int(np.argmin(valid))
            warnings.warn(
                f"{int((~valid).sum())} of {len(valid)} rows are not valid molecules (the first is row {row}); "
                f"fit leaves them out (on_invalid='nan') and transform gives them NaN rows.",
                UserWarning,
                stacklevel=4,
            )
            smiles = [text for text in smiles if text is not None]
        if not smiles:
            raise ValueError(f"{type(self).__name__} needs at least one valid molecule to fit; got none.")
        return smiles

    def _setup_molecules(self, smiles):
        self.tokenizer_ = SmilesTokenizer().fit(smiles)
        self.max_length_ = self.max_length or self.tokenizer_.max_length_
        self.n_features_in_ = 1

    def _molecule_batches(self, smiles):
        """Token ids of ``smiles`` in batches of similar length, and their order.

        Sorting by length keeps padding (and so memory) small when a few
        SMILES are much longer than the rest; the caller undoes the order.
        """
        ids = self.tokenizer_.encode(smiles)  # never truncates; warns once about unknown tokens
        lengths = (ids != self.tokenizer_.pad_index).sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        batches, start = [], 0
        while start < len(order):
            stop = start + 1
            while (stop < len(order) and stop - start < _INFERENCE_BATCH
                   and (stop - start + 1) * lengths[order[stop]] <= _INFERENCE_TOKENS):
                stop += 1
            chosen = order[start:stop]
            batches.append(ids[chosen, : int(lengths[chosen[-1]])])
            start = stop
        return batches, order

    def _apply(self, X, fn, width=None):
        if not self._molecular:
            return super()._apply(X, fn, width)
        smiles, valid = to_smiles(X, canonical=self.canonical, on_invalid=self.on_invalid)
        shape = (len(smiles),) if width is None else (len(smiles), width)
        out = np.full(shape, np.nan)
        if valid.any():
            batches, order = self._molecule_batches([text for text in smiles if text is not None])
            sorted_out = self._map_batches(batches, fn, np.float64)
            valid_out = np.empty_like(sorted_out)
            valid_out[order] = sorted_out
            out[valid] = valid_out
        return out

    def _fitted_state(self):
        arrays, fitted = super()._fitted_state()
        fitted = {**fitted, "input_kind_": getattr(self, "input_kind_", "numeric")}
        if self._molecular:
            fitted.update(tokenizer_=self.tokenizer_.to_dict(), max_length_=self.max_length_)
        return arrays, fitted

    def _restore_fitted_state(self, arrays, fitted, weights, history, device):
        self.input_kind_ = fitted.get("input_kind_", "numeric")
        if self._molecular:
            self.tokenizer_ = SmilesTokenizer.from_dict(fitted["tokenizer_"])
            self.max_length_ = fitted["max_length_"]
        super()._restore_fitted_state(arrays, fitted, weights, history, device)


class BaseEncoderDecoder(MolecularInput, BaseRepresentation):
    """An encoder-decoder with a Gaussian code: MIM, cMIM, VAE and cVAE.

    Not for direct use.  Adds the decoder likelihood, informative embeddings,
    decoding (``inverse_transform``, ``sample``), ``score``, and molecular
    input (SMILES strings or RDKit Mols, through a GRU sequence model).
    Subclasses set ``_objective`` (``"amim"`` or ``"vae"``).
    """

    _objective = "amim"
    # decoding options, not metadata to route (no set_inverse_transform_request)
    __metadata_request__inverse_transform = {
        "sampling_temperature": metadata_routing.UNUSED,
        "random_state": metadata_routing.UNUSED,
    }
    _parameter_constraints = {
        **BaseRepresentation._parameter_constraints,
        **MolecularInput._parameter_constraints,
        "likelihood": [StrOptions({"auto", "bernoulli", "gaussian", "categorical"})],
        "informative": ["boolean"],
        "informative_layers": [StrOptions({"all"}), "array-like"],
    }

    def __init__(
        self,
        n_components=16,
        *,
        hidden_layer_sizes="auto",
        likelihood="auto",
        max_epochs=50,
        batch_size=128,
        learning_rate=1e-3,
        informative=False,
        informative_layers="all",
        input_kind="auto",
        max_length=None,
        canonical=True,
        on_invalid="raise",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        device="auto",
        mixed_precision=False,
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            max_epochs=max_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            warm_start=warm_start,
            device=device,
            mixed_precision=mixed_precision,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
        )
        self.likelihood = likelihood
        self.informative = informative
        self.informative_layers = informative_layers
        self.input_kind = input_kind
        self.max_length = max_length
        self.canonical = canonical
        self.on_invalid = on_invalid

    # ----------------------------------------------------------------- network
    def _module_spec(self, n_features):
        sizes = self._hidden_sizes()
        if self._molecular:
            return SmilesEncoderDecoder, {
                "vocab_size": len(self.tokenizer_.vocabulary_),
                "n_components": self.n_components,
                "max_length": self.max_length_,
                "hidden_size": sizes[0],
                "num_layers": len(sizes),
            }
        return EncoderDecoder, {
            "n_features": n_features,
            "n_components": self.n_components,
            "hidden_layer_sizes": sizes,
            "likelihood": self.likelihood_,
        }

    def _criterion_spec(self):
        return MIMLoss, {"objective": self._objective}

    # ------------------------------------------------------------ numeric data
    def _check_unit_interval(self, low, high):
        if not _in_unit_interval(low, high):
            raise ValueError(
                "likelihood='bernoulli' needs data in [0, 1]; scale X (for example with "
                "MinMaxScaler) or use likelihood='gaussian'."
            )

    def _resolve_likelihood(self, stats):
        if self.likelihood == "categorical":
            raise ValueError("likelihood='categorical' is for SMILES input; X is a numeric matrix.")
        if self.likelihood == "auto":
            return "bernoulli" if stats.in_unit_interval() else "gaussian"
        if self.likelihood == "bernoulli":
            self._check_unit_interval(stats.low, stats.high)
        return self.likelihood

    def _setup(self, stats):
        """Gaussian models see standardised data; Bernoulli models raw [0, 1]."""
        self.likelihood_ = self._resolve_likelihood(stats)
        if self.likelihood_ == "gaussian":
            super()._setup(stats)
        else:
            self.mean_ = np.zeros(len(stats.mean))
            self.scale_ = np.ones(len(stats.mean))

    def _check_continuation(self, X):
        if self.likelihood_ == "bernoulli":
            self._check_unit_interval(X, X)

    def _setup_molecules(self, smiles):
        if self.likelihood not in ("auto", "categorical"):
            raise ValueError(
                f"likelihood={self.likelihood!r} is for numeric matrices; SMILES models use a categorical "
                f"likelihood over tokens (likelihood='auto' or 'categorical')."
            )
        self.likelihood_ = "categorical"
        super()._setup_molecules(smiles)

    # --------------------------------------------------------------- fitted state
    def _fitted_state(self):
        arrays, fitted = super()._fitted_state()
        return arrays, {**fitted, "likelihood_": self.likelihood_}

    def _restore_fitted_state(self, arrays, fitted, weights, history, device):
        self.likelihood_ = fitted["likelihood_"]
        super()._restore_fitted_state(arrays, fitted, weights, history, device)

    # ------------------------------------------------------------------ read-out
    def _informative_layers(self):
        if isinstance(self.informative_layers, str):
            return None
        layers = [int(i) for i in self.informative_layers]
        n_layers = len(self.module_.informative_widths())
        if any(i < -n_layers or i >= n_layers for i in layers):
            raise ValueError(
                f"informative_layers={self.informative_layers!r} is out of range for a decoder "
                f"with {n_layers} hidden layers."
            )
        return layers

    def _embedding(self, module, batch):
        if self.informative:
            return module.informative(batch, self._informative_layers())
        return module.encode(batch)

    def _output_widths(self):
        blocks = super()._output_widths()
        if self.informative:
            widths = self.module_.informative_widths()
            layers = self._informative_layers()
            for layer in range(len(widths)) if layers is None else layers:
                blocks.append((f"_hidden{layer}_", widths[layer]))
        return blocks

    # ------------------------------------------------------------------ decoding
    def _check_codes(self, X):
        from sklearn.utils import check_array

        # a NaN code (an invalid molecule's row) decodes to None
        Z = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan" if self._molecular else True)
        widths = {self.n_components, self._n_features_out}
        if Z.shape[1] not in widths:
            raise ValueError(
                f"inverse_transform expects codes with {self.n_components} columns "
                f"(or {self._n_features_out} from an informative transform), got {Z.shape[1]}."
            )
        return np.ascontiguousarray(Z[:, : self.n_components])

    def inverse_transform(self, X, *, sampling_temperature=0.0, random_state=None):
        """Decode codes back to the input space.

        Numeric models return ``E[x | z]``.  SMILES models return one SMILES
        string per code, decoded token by token (greedily by default); a
        decoded string may be an invalid molecule (check it with RDKit), and
        a code with NaNs (an invalid input row) gives None.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components) or (n_samples, n_features_out)
            Codes, as returned by ``transform``; with informative embeddings
            only the first ``n_components`` columns (the code) are used.
        sampling_temperature : float, default=0.0
            SMILES models only: 0 decodes greedily (the most likely token at
            each step); a positive value samples each token from the softmax
            of the logits divided by it (1.0: the model's distribution).
        random_state : int, RandomState instance or None, default=None
            Seeds the token sampling when ``sampling_temperature > 0``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features), or of shape (n_samples,) and dtype object for SMILES models
        """
        check_is_fitted(self)
        Z = self._check_codes(X)
        if not isinstance(sampling_temperature, Real) or not sampling_temperature >= 0:
            raise ValueError(f"sampling_temperature must be a number >= 0, got {sampling_temperature!r}.")
        if self._molecular:
            return self._decode_smiles(Z, float(sampling_temperature), random_state)
        if sampling_temperature:
            raise ValueError("sampling_temperature applies to SMILES models only; numeric models decode E[x | z].")
        decoded = self._map_batches(self._row_slices(Z), lambda module, codes: module.decode(codes), Z.dtype)
        return self._from_network(decoded, Z.dtype)

    def _decode_smiles(self, Z, temperature, random_state):
        finite = np.isfinite(Z).all(axis=1)
        generator = None
        if temperature > 0:
            generator = torch.Generator(device=self._device_of_module())
            generator.manual_seed(int(check_random_state(random_state).randint(np.iinfo(np.int32).max)))

        def decode(module, codes):
            return module.decode(codes, temperature=temperature, generator=generator)

        out = np.full(len(Z), None, dtype=object)
        if finite.any():
            ids = self._map_batches(self._row_slices(Z[finite].astype(np.float32)), decode, np.int64)
            out[finite] = self.tokenizer_.decode(ids)
        return out

    def sample(self, n_samples=1, random_state=None, *, sampling_temperature=0.0):
        """Generate data by decoding codes drawn from the N(0, I) prior.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.
        random_state : int, RandomState instance or None, default=None
            Seed of the prior draw (and of the token sampling).
        sampling_temperature : float, default=0.0
            SMILES models only; see :meth:`inverse_transform`.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), or of shape (n_samples,) and dtype object for SMILES models
            Expected data ``E[x | z]`` for each drawn code, or a SMILES
            string (not necessarily a valid molecule) for SMILES models.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        rng = check_random_state(random_state)
        codes = rng.standard_normal((n_samples, self.n_components))
        return self.inverse_transform(codes, sampling_temperature=sampling_temperature, random_state=rng)

    # ------------------------------------------------------------------ scoring
    def score_samples(self, X):
        """Negative per-sample training objective with ``z = mu(x)``.

        Deterministic (no sampling, no contrastive term, which depends on the
        batch): ``log p(x | mu) + (log q(mu | x) + log P(mu)) / 2`` for MIM
        models.  For Gaussian models ``log p`` is expressed in the units of
        the original features.  Higher is better.  An invalid molecule's
        row (``on_invalid="nan"``) scores NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        criterion = self.net_.criterion_

        def negative_loss(module, batch):
            return -criterion.per_sample(module(batch, sample=False), contrastive=False)

        scores = self._apply(X, negative_loss).astype(np.float64)
        if self._molecular:
            return scores
        return scores - np.log(self.scale_).sum()

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`; higher is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))


class BaseContrastiveEncoderDecoder(BaseEncoderDecoder):
    """An encoder-decoder whose loss adds the cMIM contrastive term (cMIM, cVAE).

    Not for direct use.
    """

    _parameter_constraints = {
        **BaseEncoderDecoder._parameter_constraints,
        "contrastive_weight": [Interval(Real, 0, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        n_components=16,
        *,
        hidden_layer_sizes="auto",
        likelihood="auto",
        max_epochs=50,
        batch_size=128,
        learning_rate=1e-3,
        informative=False,
        informative_layers="all",
        input_kind="auto",
        max_length=None,
        canonical=True,
        on_invalid="raise",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        device="auto",
        mixed_precision=False,
        callbacks=None,
        random_state=None,
        verbose=0,
        contrastive_weight=10.0,
        temperature=0.1,
    ):
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            likelihood=likelihood,
            max_epochs=max_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            informative=informative,
            informative_layers=informative_layers,
            input_kind=input_kind,
            max_length=max_length,
            canonical=canonical,
            on_invalid=on_invalid,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            warm_start=warm_start,
            device=device,
            mixed_precision=mixed_precision,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
        )
        self.contrastive_weight = contrastive_weight
        self.temperature = temperature

    def _criterion_spec(self):
        loss, params = super()._criterion_spec()
        return loss, {**params, "contrastive_weight": self.contrastive_weight, "temperature": self.temperature}


# ----------------------------------------------------------------- docstrings
# One description per parameter; each class's docstring lists its own
# parameters in signature order, so the docs cannot drift from the code.
PARAMETER_DOCS = {
    "n_components": ("int, default=16", "Width of the code (the latent space)."),
    "hidden_layer_sizes": ('"auto" or tuple of int, default="auto"',
                           "Hidden widths.  Numeric data: the MLP encoder's layers (the decoder mirrors them); "
                           '``"auto"`` is (512, 512).  SMILES: stacked GRU layers of one width in the encoder '
                           'and the decoder; ``"auto"`` is (256,).'),
    "likelihood": ('{"auto", "bernoulli", "gaussian", "categorical"}, default="auto"',
                   'Decoder likelihood.  ``"auto"`` picks Bernoulli when all of X lies in [0, 1] (images '
                   "scaled to [0, 1]), Gaussian for other numeric data and categorical (over tokens) for "
                   "SMILES.  Gaussian models standardise the features internally (``mean_``, ``scale_``) "
                   "and learn one noise scale per feature."),
    "input_kind": ('{"auto", "numeric", "smiles"}, default="auto"',
                   'What X holds.  ``"auto"`` treats a list, 1-D array, pandas Series or one-column '
                   "DataFrame of strings or RDKit ``Mol`` objects as molecules, anything else as a numeric "
                   "matrix."),
    "max_length": ("int or None, default=None",
                   "SMILES only: the longest token sequence (``<bos>`` and ``<eos>`` included) to train on "
                   "and to generate.  None: the longest training SMILES.  Longer training SMILES are an "
                   "error; ``transform`` encodes SMILES of any length (nothing is ever truncated)."),
    "canonical": ("bool, default=True",
                  "SMILES only: canonicalise every molecule with RDKit first, so that different SMILES of "
                  "one molecule get one code."),
    "on_invalid": ('{"raise", "nan"}, default="raise"',
                   "SMILES only: what an invalid SMILES, an empty string or a missing value does.  "
                   '``"raise"``: a ``ValueError`` naming the row and the string.  ``"nan"``: ``fit`` '
                   "leaves the row out (with a warning) and ``transform``/``score_samples`` give it a "
                   "NaN row, so rows stay aligned with y."),
    "max_epochs": ("int, default=50", "Passes over the training data."),
    "batch_size": ("int, default=128", "Samples per optimiser step."),
    "learning_rate": ("float, default=1e-3", "Adam learning rate."),
    "informative": ("bool, default=False",
                    "If True, ``transform`` returns informative embeddings: the code ``mu(x)`` followed by "
                    "the decoder's hidden activations at ``mu(x)``.  It can be switched with ``set_params`` "
                    "after fitting; no retraining."),
    "informative_layers": ('"all" or tuple of int, default="all"',
                           "Which decoder hidden layers (0 = nearest the code) the informative embeddings "
                           "include."),
    "early_stopping": ("bool, default=False",
                       "Hold out ``validation_fraction`` of the training data and stop when its loss has not "
                       "improved by ``tol`` for ``n_iter_no_change`` epochs; the best weights are restored."),
    "validation_fraction": ("float, default=0.1", "Share of the training data held out for early stopping."),
    "n_iter_no_change": ("int, default=10", "Patience of early stopping, in epochs."),
    "tol": ("float, default=1e-4", "Minimum improvement of the validation loss that resets the patience."),
    "warm_start": ("bool, default=False",
                   "If True, ``fit`` on a fitted model continues training from its weights (``max_epochs`` "
                   "more epochs) instead of starting anew."),
    "device": ('str or torch.device, default="auto"',
               'Where to train and encode.  ``"auto"`` uses CUDA when available and the CPU otherwise.'),
    "mixed_precision": ("bool, default=False",
                        "Run the training forward pass under bfloat16 autocast (useful on recent GPUs)."),
    "callbacks": ("list of skorch callbacks or (name, callback) tuples, default=None",
                  "Extra :mod:`skorch.callbacks` for the training loop, e.g. ``LRScheduler`` or "
                  "``Checkpoint``.  They are copied at ``fit``; the trained ones are in "
                  "``net_.callbacks_``."),
    "random_state": ("int, RandomState instance or None, default=None",
                     "Seeds weight initialisation, shuffling and sampling.  The same value gives the same "
                     "embeddings on CPU; the global torch RNG is left as it was."),
    "verbose": ("int, default=0", "If > 0, show a progress bar and the per-epoch losses."),
    "contrastive_weight": ("float, default=10.0",
                           "Weight ``w_c`` of the contrastive term.  The default was chosen on a validation "
                           "split of MNIST digits (``benchmarks/tune.py``)."),
    "temperature": ("float, default=0.1", "Temperature ``tau`` of the cosine-similarity softmax."),
}

_ATTRIBUTE_DOCS = {
    "likelihood_": ("str", 'Resolved likelihood: ``"bernoulli"``, ``"gaussian"`` or (SMILES) ``"categorical"``.'),
    "mean_": ("ndarray of shape (n_features,)", "Feature means removed before the network."),
    "scale_": ("ndarray of shape (n_features,)", "Feature scales divided out before the network."),
    "input_kind_": ("str", '``"numeric"`` or ``"smiles"``: the kind of data the model was fitted on.'),
    "tokenizer_": ("SmilesTokenizer", "SMILES models: the tokenizer and its vocabulary learnt in ``fit``."),
    "max_length_": ("int", "SMILES models: the longest sequence generated by ``inverse_transform``/``sample``."),
    "net_": ("skorch.NeuralNet", "The training engine, with the trained module (``net_.module_``)."),
    "history_": ("skorch.History", 'Per-epoch losses (``history_[:, "train_loss"]``).'),
    "n_iter_": ("int", "Number of epochs run."),
    "n_features_in_": ("int", "Number of features seen during fit."),
    "feature_names_in_": ("ndarray of shape (n_features,)",
                          "Names of features seen during fit, when X has string column names."),
}


def _section(title, entries):
    import textwrap

    lines = [f"    {title}", "    " + "-" * len(title)]
    for name, (kind, text) in entries:
        lines.append(f"    {name} : {kind}")
        lines.extend(textwrap.wrap(text, 76, initial_indent=" " * 8, subsequent_indent=" " * 8))
    return "\n".join(lines) + "\n"


def compose_docstring(cls, intro, tail, param_docs=None, attributes=None):
    """Build ``cls.__doc__`` from the parameter descriptions, in signature order."""
    import inspect

    param_docs = {**PARAMETER_DOCS, **(param_docs or {})}
    names = [n for n in inspect.signature(cls.__init__).parameters if n != "self"]
    attributes = attributes if attributes is not None else list(_ATTRIBUTE_DOCS)
    cls.__doc__ = (
        intro.rstrip() + "\n\n"
        + _section("Parameters", [(n, param_docs[n]) for n in names]) + "\n"
        + _section("Attributes", [(a, _ATTRIBUTE_DOCS[a]) for a in attributes])
        + tail
    )
    return cls


class MIMTransformer(BaseEncoderDecoder):
    _objective = "amim"


class CMIMTransformer(BaseContrastiveEncoderDecoder):
    _objective = "amim"


compose_docstring(
    MIMTransformer,
    """Mutual Information Machine (A-MIM) as a scikit-learn transformer.

    An MLP encoder-decoder with a Gaussian code, trained with the asymmetric
    MIM loss ``-[log p(x|z) + (log q(z|x) + log P(z)) / 2]``.  Unlike a VAE,
    MIM rewards a confident encoder, which gives clustered, informative codes
    without posterior collapse.  ``transform`` returns the posterior mean.
    """,
    """
    See Also
    --------
    CMIMTransformer : MIM with a contrastive term.

    Examples
    --------
    >>> from skcmim import MIMTransformer
    >>> from skcmim.datasets import load_digits_unit
    >>> X, y = load_digits_unit()
    >>> mim = MIMTransformer(n_components=8, max_epochs=2, random_state=0).fit(X)
    >>> mim.transform(X).shape
    (1797, 8)
    """,
)

compose_docstring(
    CMIMTransformer,
    """Contrastive Mutual Information Machine (cMIM) as a transformer.

    MIM plus a contrastive term that needs no augmented pairs: each code's
    positive is itself, its negatives are the other codes of the batch, and
    their weights are averaged (not summed), so the term does not grow with
    the batch size::

        L_i = L_i(A-MIM) - contrastive_weight * log p(k=1 | z_i, x_i)
    """,
    """
    See Also
    --------
    MIMTransformer : the same model without the contrastive term.

    Examples
    --------
    >>> from skcmim import CMIMTransformer
    >>> from skcmim.datasets import load_digits_unit
    >>> X, y = load_digits_unit()
    >>> cmim = CMIMTransformer(n_components=8, max_epochs=2, random_state=0).fit(X)
    >>> cmim.transform(X).shape
    (1797, 8)
    >>> cmim.set_params(informative=True).transform(X).shape
    (1797, 1032)
    """,
)
