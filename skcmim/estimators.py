"""The scikit-learn face of skcmim: MIM and cMIM as transformers.

The estimators hold parameters and the scikit-learn methods.  Everything
about the data lives in the fitted input object ``input_``
(:mod:`skcmim.inputs`), the networks in :mod:`skcmim.networks`, the losses
in :mod:`skcmim.losses` and the training loop in :mod:`skcmim.training`.
Each parameter is declared once, in the class that introduces it
(:mod:`skcmim._parameters`); a concrete estimator says which loss it trains
(``_criterion_spec``).

A fit builds the whole fitted model aside and swaps it in as one attribute,
``fitted_``; every method that uses a fitted model reads that attribute
once (:meth:`BaseRepresentation._pinned`), so a ``transform`` running while
another thread refits sees the old model or the new one, never a mix.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Sequence
from functools import partial
from numbers import Integral, Real
from typing import Any, NamedTuple, TypeVar

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array, check_random_state, metadata_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._parallel import check_n_jobs
from ._parameters import DEPRECATED, Interval, StrOptions, param, parameters, validate_parameters
from ._warnings import find_stack_level
from .inputs import DataInput, Reading, input_of_flat_parameters, make_input, recognised_kind
from .losses import CONTRASTIVE_CODES, LATENT_SCALES, RECONSTRUCTIONS, MIMLoss
from .streaming import ChunkSource, as_chunk_source
from .training import StreamDataset, draw_seed, train_net

__all__ = [
    "BaseContrastiveEncoderDecoder",
    "BaseEncoderDecoder",
    "BaseLatentEncoderDecoder",
    "BaseRepresentation",
    "CMIMTransformer",
    "Fitted",
    "MIMTransformer",
]

#: What a ``random_state`` parameter accepts.
RandomStateLike = int | np.random.RandomState | None
_Estimator = TypeVar("_Estimator", bound="BaseRepresentation")

#: Most samples one call of ``sample`` generates (call it again for more).
MAX_SAMPLES = 1_000_000
#: Prior codes decoded per batch in ``sample``.
SAMPLE_BATCH = 4096

# The input options that 0.1 took as estimator parameters (deprecated in 0.2, removed in 0.3).
_FLAT_INPUT_PARAMETERS = ("input_kind", "likelihood", "alphabet", "canonical", "isomeric", "max_length")


class Fitted(NamedTuple):
    """Everything ``fit`` learns, swapped into an estimator as one attribute (``fitted_``).

    Attributes
    ----------
    input : DataInput
        The fitted input (statistics or vocabulary of the training data).
    net : skcmim.training.MIMNet
        The skorch net with the trained module and its history.
    seed : int
        The fit's seed (continued fits shift it by the epochs run).
    n_iter : int
        Epochs run.
    params : dict
        The estimator's parameters the model was fitted with.
    n_features_in : int
    feature_names_in : ndarray of str or None
    """

    input: DataInput
    net: Any
    seed: int
    n_iter: int
    params: dict[str, Any]
    n_features_in: int
    feature_names_in: NDArray[np.object_] | None


def _deprecated(name, replacement):
    """A parameter of 0.1 kept for one release: unset by default, used with a FutureWarning when set."""
    return param(DEPRECATED, "no_validation", "str", f"Deprecated since 0.2 (removed in 0.3): use {replacement}.")


@parameters
class BaseRepresentation(TransformerMixin, BaseEstimator):
    """Training, input validation and persistence of every skcmim model.

    Not for direct use.  Subclasses say which network and loss they train
    (``_network_role``, ``_criterion_spec``) and what ``transform`` emits
    (``_embedding``).
    """

    n_components: int = param(
        16,
        [Interval(Integral, 1, None, closed="left")],
        "int",
        "Width of the code (the latent space).",
        positional=True,
    )
    hidden_layer_sizes: str | Sequence[int] = param(
        "auto",
        [StrOptions({"auto"}), "array-like"],
        '"auto" or tuple of int',
        'Hidden widths.  Numeric data: the MLP encoder\'s layers (the decoder mirrors them); ``"auto"`` is '
        '(512, 512).  Molecules: stacked GRU layers of one width in the encoder and the decoder; ``"auto"`` '
        "is (256,).",
    )
    input: str | DataInput = param(
        "auto",
        [StrOptions({"auto"}), DataInput],
        '"auto" or input object',
        "The kind of data and how it is read: an input object (:class:`~skcmim.inputs.NumericInput`, "
        ":class:`~skcmim.inputs.SmilesInput` or a kind of your own) whose parameters are searchable as "
        '``input__<name>``, or ``"auto"``: molecules (a list, 1-D array, pandas Series or one-column DataFrame '
        "of SMILES strings or RDKit ``Mol`` objects) get ``SmilesInput()``, anything else ``NumericInput()``.  "
        "A fitted model keeps the input it was fitted with (``input_``).",
    )
    max_epochs: int = param(50, [Interval(Integral, 1, None, closed="left")], "int", "Passes over the training data.")
    batch_size: int = param(128, [Interval(Integral, 1, None, closed="left")], "int", "Samples per optimiser step.")
    learning_rate: float = param(1e-3, [Interval(Real, 0, None, closed="neither")], "float", "Adam learning rate.")
    on_invalid: str = param(
        "raise",
        [StrOptions({"raise", "nan"})],
        '{"raise", "nan"}',
        "What an invalid row (a molecule RDKit cannot read, an empty string, a missing value) does.  "
        '``"raise"``: a ``ValueError`` naming the row.  ``"nan"``: ``fit`` leaves the row out (with a warning) '
        "and ``transform``/``score_samples`` give it a NaN row, so rows stay aligned with y.  Numeric rows "
        "with NaN or infinity always raise.  Takes effect without refitting.",
        refit=False,
    )
    n_jobs: int | None = param(
        None,
        [Integral, None],
        "int or None",
        "Processes that read molecules with RDKit in ``fit``, ``transform`` and ``score`` (joblib's convention: "
        "None is 1, -1 all cores; at most the machine's cores are used).  The output is the same for any value; "
        "inputs under 2,048 molecules stay in this process.  Takes effect without refitting.",
        refit=False,
    )
    early_stopping: bool = param(
        False,
        ["boolean"],
        "bool",
        "Hold out ``validation_fraction`` of the training data and stop when its loss has not improved by "
        "``tol`` for ``n_iter_no_change`` epochs; the best weights are restored.",
    )
    validation_fraction: float = param(
        0.1,
        [Interval(Real, 0, 1, closed="neither")],
        "float",
        "Share of the training data held out for validation, with ``early_stopping`` or a callback that "
        "monitors a validation score.",
    )
    n_iter_no_change: int = param(
        10, [Interval(Integral, 1, None, closed="left")], "int", "Patience of early stopping, in epochs."
    )
    tol: float = param(
        1e-4,
        [Interval(Real, 0, None, closed="left")],
        "float",
        "Minimum improvement of the validation loss that resets the patience.",
    )
    warm_start: bool = param(
        False,
        ["boolean"],
        "bool",
        "If True, ``fit`` on a fitted model continues training from its weights (``max_epochs`` more epochs) "
        "instead of starting anew.",
    )
    device: str | torch.device = param(
        "auto",
        [str, torch.device],
        "str or torch.device",
        'Where to train and encode: ``"auto"`` (CUDA when available, else the CPU), ``"cpu"``, ``"cuda"``, '
        '``"cuda:<index>"`` or ``"mps"``.',
    )
    mixed_precision: bool = param(
        False, ["boolean"], "bool", "Run the training forward pass under bfloat16 autocast (useful on recent GPUs)."
    )
    callbacks: Sequence[Any] | None = param(
        None,
        [list, tuple, None],
        "list of skorch callbacks or (name, callback) tuples",
        "Extra :mod:`skorch.callbacks` for the training loop (``LRScheduler``, ``Checkpoint``, "
        "``EarlyStopping``...).  A named callback's parameters are set as in skorch, "
        "``set_params(callbacks__<name>__<param>=value)``.  A callback that monitors a validation score "
        "(``valid_loss``...) gets a validation split of ``validation_fraction``.  They are copied at ``fit``; "
        "the trained ones are in ``net_.callbacks_``.",
    )
    random_state: RandomStateLike = param(
        None,
        ["random_state"],
        "int, RandomState instance or None",
        "Seeds weight initialisation, shuffling and sampling.  The same value gives the same embeddings on the "
        "same machine; the global torch RNG is left as it was.",
    )
    verbose: int = param(
        0,
        [Interval(Integral, 0, None, closed="left")],
        "int",
        "0: silent.  1: one progress bar for the whole fit, on stderr.  2 and more: also skorch's table of "
        "per-epoch losses and times.",
        refit=False,
    )
    input_kind: str = _deprecated("input_kind", "``input=NumericInput()`` or ``input=SmilesInput()``")
    alphabet: str = _deprecated("alphabet", "``input=SmilesInput(alphabet=...)``")
    canonical: str = _deprecated("canonical", "``input=SmilesInput(canonical=...)``")
    isomeric: str = _deprecated("isomeric", "``input=SmilesInput(isomeric=...)``")
    max_length: str = _deprecated("max_length", "``input=SmilesInput(max_length=...)``")

    _attributes_doc = """
        Attributes
        ----------
        input_ : DataInput
            The fitted input: a clone of ``input`` (or of the kind ``"auto"``
            chose) with what it learnt from the training data.  Its fitted
            attributes are the estimator's too: ``likelihood_``, ``mean_`` and
            ``scale_`` for :class:`~skcmim.inputs.NumericInput`;
            ``tokenizer_``, ``max_length_`` and ``likelihood_`` for
            :class:`~skcmim.inputs.SmilesInput`.
        input_kind_ : str
            The name of the input's kind (``"numeric"``, ``"smiles"``...).
        net_ : skorch.NeuralNet
            The training engine, with the trained module (``net_.module_``).
        history_ : skorch.History
            Per-epoch losses (``history_[:, "train_loss"]``) and, for
            encoder-decoders, the mean per sample of each term of the
            objective, unweighted: ``train_reconstruction`` (``-log p(x|z)``,
            as trained), ``train_latent`` (MIM: ``-(log q(z|x) + log P(z)) /
            2``) or ``train_kl`` (VAE: ``log q(z|x) - log P(z)``),
            ``train_contrastive`` (``-log p(k=1|z,x)``, contrastive models),
            and the same ``valid_*`` with a validation split.
            :func:`skcmim.plotting.plot_history` plots them.
        n_iter_ : int
            Number of epochs run.
        n_features_in_ : int
            Number of features seen during fit (1 for molecules).
        feature_names_in_ : ndarray of shape (n_features,)
            Names of features seen during fit, when X has string column names.
        fitted_ : Fitted
            All of the above, swapped in at once by ``fit``.
        """

    #: What the network is: "encoder_decoder", "view_encoder" (InfoNCE) or "view_encoder_decoder".
    _network_role = "encoder_decoder"
    #: Whether the network reconstructs its input (it then needs a likelihood).
    _has_decoder = True
    # Set by skcmim.distributed while it runs fit (a skorch callback); never a parameter.
    _data_parallel = None

    # ------------------------------------------------------------------ hooks
    def _criterion_spec(self):
        """``(loss class, keyword arguments)`` of the training loss."""
        raise NotImplementedError

    def _module_options(self):
        """Estimator parameters the network of ``_network_role`` needs besides the sizes."""
        return {}

    def _objective_callbacks(self):
        """``[(name, skorch callback), ...]`` the training loss needs (a KL warm-up, say)."""
        return []

    def _n_views(self):
        """Augmented views per row that an input kind drawing views in the data must draw (None: no views)."""
        return None

    def _embedding(self, module, batch):
        """What ``transform`` returns for one batch on the device."""
        return module.encode(batch)

    # ------------------------------------------------------------ fitted state
    def __sklearn_is_fitted__(self):
        return "fitted_" in vars(self)

    def _pinned(self):
        """A shallow copy of the estimator tied to the fitted model as it is now.

        Methods that use the fitted model run on it, so each call sees one
        model from start to end (and the parameters as they were when it
        started) even while another thread refits or sets parameters.
        """
        check_is_fitted(self)
        fitted = vars(self)["fitted_"]
        view = copy.copy(self)
        vars(view).update(fitted_=fitted, n_features_in_=fitted.n_features_in)
        if fitted.feature_names_in is None:
            vars(view).pop("feature_names_in_", None)
        else:
            vars(view)["feature_names_in_"] = fitted.feature_names_in
        return view

    def _fitted_param(self, name):
        """The value parameter ``name`` had when the model was fitted."""
        return self.fitted_.params[name]

    @property
    def input_(self) -> DataInput:
        """The fitted input (see the class docstring)."""
        check_is_fitted(self)
        return self.fitted_.input

    @property
    def input_kind_(self) -> str:
        """The name of the fitted input's kind."""
        return self.input_.kind

    @property
    def net_(self) -> Any:
        """The skorch net that trained the module (see the class docstring)."""
        check_is_fitted(self)
        return self.fitted_.net

    @property
    def n_iter_(self) -> int:
        """Number of epochs run."""
        check_is_fitted(self)
        return self.fitted_.n_iter

    @property
    def history_(self) -> Any:
        """Training history of the fit (a skorch ``History``; see the class docstring)."""
        return self.net_.history

    @property
    def module_(self) -> torch.nn.Module:
        """The trained network (:mod:`skcmim.networks`)."""
        return self.net_.module_

    def __getattr__(self, name):
        # the fitted input's own attributes (mean_, tokenizer_...) are the estimator's too
        fitted = self.__dict__.get("fitted_")
        if fitted is not None and name in type(fitted.input).fitted_attributes:
            return getattr(fitted.input, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setstate__(self, state):
        if "net_" in state and "fitted_" not in state:  # a pickle of skcmim 0.1
            state = _fitted_state_of_0_1(state)
        super().__setstate__(state)

    # ---------------------------------------------------------------- training
    def fit(self: _Estimator, X: ArrayLike | ChunkSource, y: None = None) -> _Estimator:
        """Train the encoder-decoder on X.

        A fit that fails (bad data, a diverging loss, an interrupted
        stream) leaves the estimator as it was before the call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), molecules, or ChunkSource
            Training data of the kind ``input`` says: a numeric matrix
            (Bernoulli models need values in [0, 1]; Gaussian models
            standardise the features internally), or SMILES strings / RDKit
            Mols.  Data that does not fit in memory can be streamed: pass a
            chunk source from :mod:`skcmim.streaming` (a numpy memmap larger
            than one chunk is streamed automatically).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        validate_parameters(self)
        self._fit(X, epochs=self.max_epochs, resume=self.warm_start and self.__sklearn_is_fitted__())
        return self

    def partial_fit(self: _Estimator, X: ArrayLike, y: None = None) -> _Estimator:
        """Train for one epoch on X, continuing from the current weights.

        The first call sets up the model (likelihood, feature scaling or
        vocabulary) from its X; later calls must pass the same kind of data.
        Use it to train on data that arrives in chunks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or molecules
            One chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        validate_parameters(self)
        self._fit(X, epochs=1, resume=self.__sklearn_is_fitted__())
        return self

    def _fit(self, X, *, epochs, resume):
        """Train on a copy of the model and swap it in only when training succeeded.

        Nothing on ``self`` changes before the swap, so a failed fit leaves
        the estimator as it was.  ``owner`` receives what validation learns
        about the data (``n_features_in_``, ``feature_names_in_``): the
        pinned estimator when resuming, an unfitted copy for a new fit.
        """
        check_n_jobs(self.n_jobs)
        source = as_chunk_source(X)
        sample = X if source is None else _first_chunk(source)
        if resume:
            owner = self._pinned()
            fitted = owner.fitted_
            _check_same_input(fitted.input, self._input_parameter(sample))
            input_, seed = copy.deepcopy(fitted.input), fitted.seed
        else:
            owner, seed = _unfitted_copy(self), draw_seed(self.random_state)
            input_ = make_input(self._input_parameter(sample), sample)
            validate_parameters(input_)
            _check_kind(input_, sample, f"{type(self).__name__} reads {input_.kind} data (input={input_!r})")
        data = self._training_data(X, source, input_, owner, seed, setup=not resume)
        net = train_net(owner, data, input_, epochs=epochs, seed=seed, resume=resume, streamed=source is not None)
        n_iter = len(net.history)
        self._commit(Fitted(input_, net, seed, n_iter, _fitted_params(self), *_learnt_features(owner)))

    def _input_parameter(self, X):
        """``input``, or the input the deprecated flat parameters describe (with a FutureWarning)."""
        values = {name: getattr(self, name, DEPRECATED) for name in _FLAT_INPUT_PARAMETERS}
        flat = {name: value for name, value in values.items() if not (isinstance(value, str) and value == DEPRECATED)}
        if not flat:
            return self.input
        if not isinstance(self.input, str):
            raise ValueError(
                f"{type(self).__name__} got input={self.input!r} and the deprecated parameters "
                f"{sorted(flat)}; set the input's options on the input object only."
            )
        warnings.warn(
            f"The parameters {sorted(flat)} of {type(self).__name__} moved to the input object in skcmim 0.2 and "
            f"will be removed in 0.3: pass input=SmilesInput(...) or input=NumericInput(...) instead.",
            FutureWarning,
            stacklevel=find_stack_level(),
        )
        return input_of_flat_parameters(flat, X)

    def _reading(self):
        """How this estimator reads rows (:class:`~skcmim.inputs.Reading`)."""
        return Reading(self._has_decoder, self._n_views(), self.on_invalid, self.n_jobs)

    def _training_data(self, X, source, input_, owner, seed, *, setup):
        """The network input of X: an array or row store, or a :class:`StreamDataset` for a chunk source."""
        reading = self._reading()
        if source is None:
            return input_.setup(X, owner, seed, reading) if setup else input_.training_input(X, owner, reading)
        n_rows = input_.setup_stream(source, owner, seed, reading) if setup else None
        return StreamDataset(source, partial(input_.training_input, owner=owner, reading=reading), n_rows=n_rows)

    def _restore_fitted(self, input_, net, *, seed, n_iter, n_features_in, feature_names_in):
        """Make this estimator the fitted model of a model file (:func:`skcmim.load`)."""
        names = None if feature_names_in is None else np.asarray(feature_names_in, dtype=object)
        self._commit(Fitted(input_, net, seed, n_iter, _fitted_params(self), n_features_in, names))

    def _commit(self, fitted):
        """Swap in the fitted model of a successful fit, in one assignment."""
        stale = {name for name in vars(self) if name.endswith("_") and not name.startswith("__")}
        for name in stale - {"fitted_", "n_features_in_", "feature_names_in_"}:
            delattr(self, name)
        vars(self)["fitted_"] = fitted
        vars(self)["n_features_in_"] = fitted.n_features_in
        if fitted.feature_names_in is None:
            vars(self).pop("feature_names_in_", None)
        else:
            vars(self)["feature_names_in_"] = fitted.feature_names_in

    # ------------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike[str]) -> str:
        """Save the fitted model without pickle (safetensors + JSON).

        Load it with :func:`skcmim.load`.  Unlike joblib/pickle files, such
        a file cannot run code when loaded.  The file holds the parameters
        the model was fitted with (and the current value of those that take
        effect without refitting, such as ``informative``).

        Parameters
        ----------
        path : str or os.PathLike
            Target file, conventionally ``*.safetensors``.

        Returns
        -------
        path : str
        """
        from .persistence import save

        return save(self._pinned(), path)

    def _file_parameters(self):
        """The parameters a model file holds: as fitted, and the current value of those that need no refit."""
        current = self.get_params(deep=False)
        return {**self.fitted_.params, **{name: current[name] for name in self._runtime_parameters}}

    # --------------------------------------------------------------- inference
    def _inference_module(self, dtype):
        """The trained module, in float64 for float64 input on the CPU.

        float32 matrix products differ in the last bits with the batch's
        composition; in float64 those differences are far below float32
        resolution, so a row's output does not depend on the other rows
        (scikit-learn's subset and order invariance).
        """
        module = self.module_
        if dtype == np.float64 and next(module.parameters()).device.type == "cpu":
            return copy.deepcopy(module).double()
        return module

    def _map_batches(self, batches, fn, dtype, compute_dtype=None):
        """``fn(module, batch)`` over ``batches`` (arrays) on the model's device.

        The module computes in float64 when ``compute_dtype`` (by default
        ``dtype``) is float64 (on the CPU); the concatenated result has
        ``dtype``.
        """
        module = self._inference_module(np.dtype(dtype if compute_dtype is None else compute_dtype))
        device = next(module.parameters()).device
        outputs = []
        with torch.inference_mode():
            for batch in batches:
                if isinstance(batch, np.ndarray) and not batch.flags.writeable:
                    batch = batch.copy()  # read-only views (of pandas output, say) make torch warn
                outputs.append(fn(module, torch.as_tensor(batch, device=device)).cpu().numpy().astype(dtype))
        return np.concatenate(outputs) if outputs else np.empty((0, 0), dtype=dtype)

    def _apply(self, X, fn, width=None, *, scoring=False):
        """``fn(module, batch)`` over the rows of X, one output row per row.

        ``width`` is the number of columns ``fn`` returns (None: one value
        per row); rows without an output (invalid molecules) are NaN.
        """
        check_n_jobs(self.n_jobs)
        _check_kind(self.input_, X, f"{type(self).__name__} was fitted on {self.input_.kind} data")
        rows = self.input_.inference_rows(X, self, self._reading(), scoring=scoring)
        outputs = self._map_batches(rows.batches, fn, rows.dtype, rows.compute_dtype)
        finite = np.isfinite(outputs).all(axis=tuple(range(1, outputs.ndim)))  # per row; none for no rows
        if not finite.all():
            row = rows.row_of(int(np.argmin(finite)))
            raise ValueError(
                f"Row {row} of X overflowed the float32 range inside the network: its values lie too far "
                f"beyond the range of the training data. Pass X as float64 (computed in float64 on the CPU) "
                f"or check that row."
            )
        return rows.assemble(outputs, width)

    def transform(self, X: ArrayLike) -> NDArray[np.floating[Any]]:
        """Encode X: the posterior mean ``mu(x)``, or informative embeddings.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or molecules
            Data to encode, of the kind the model was fitted on.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            ``n_components`` columns, or with ``informative=True`` the code
            followed by the decoder hidden states at the code.  The dtype
            follows X (float32 or float64; float64 for molecules, computed in
            float32, with NaN rows for invalid molecules under
            ``on_invalid="nan"``).
        """
        view = self._pinned()
        return view._apply(X, view._embedding, width=view._n_features_out)

    # ------------------------------------------------------------ feature names
    def _output_widths(self):
        """``[(name suffix, width), ...]`` of the blocks ``transform`` emits."""
        return [("", self._fitted_param("n_components"))]

    @property
    def _n_features_out(self):
        return sum(width for _, width in self._output_widths())

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> NDArray[np.object_]:
        """Names of the output columns.

        Codes are ``<name>0 ... <name>{n_components-1}``; with
        ``informative=True`` the decoder states follow as
        ``<name>_hidden<layer>_<unit>``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the names (or the number of features) seen
            in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        view = self._pinned()
        _check_input_features(view, input_features)
        prefix = type(self).__name__.lower()
        names = [f"{prefix}{suffix}{unit}" for suffix, width in view._output_widths() for unit in range(width)]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True  # scipy sparse matrices, densified one batch at a time
        return tags

    # ---------------------------------------------------------------- callbacks
    def set_params(self, **params: Any) -> BaseRepresentation:
        """Set the parameters of this estimator, as in scikit-learn.

        ``callbacks__<name>__<param>=value`` sets a parameter of the
        callback named ``<name>`` in ``callbacks`` (a ``(name, callback)``
        entry, or an unnamed callback by its class name), as skorch does.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        nested = {key: params.pop(key) for key in list(params) if key.startswith("callbacks__")}
        super().set_params(**params)
        for key, value in nested.items():
            name, _, attribute = key.removeprefix("callbacks__").partition("__")
            _named_callback(self.callbacks, name).set_params(**{attribute: value})
        return self

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator, with ``callbacks__<name>__<param>`` when ``deep``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of the input object and of the
            callbacks.

        Returns
        -------
        params : dict
        """
        params = super().get_params(deep=deep)
        if deep:
            for name, callback in _named_callbacks(self.callbacks):
                for key, value in callback.get_params().items():
                    params[f"callbacks__{name}__{key}"] = value
        return params


def _fitted_params(estimator):
    """The parameters to record with a fitted model: the input as a clone, nothing shared with the estimator."""
    params = estimator.get_params(deep=False)
    if isinstance(params["input"], DataInput):
        params["input"] = copy.deepcopy(params["input"])
    return params


def _learnt_features(owner):
    """``(n_features_in, feature_names_in)`` that validation recorded on ``owner``."""
    return vars(owner)["n_features_in_"], vars(owner).get("feature_names_in_")


def _check_input_features(view, input_features):
    """scikit-learn's rule: ``input_features`` must be the names, or the number, of features seen in fit."""
    if input_features is None:
        return
    input_features = np.asarray(input_features, dtype=object)
    names = getattr(view, "feature_names_in_", None)
    if names is not None and not np.array_equal(input_features, names):
        raise ValueError("input_features is not equal to feature_names_in_")
    if len(input_features) != view.n_features_in_:
        raise ValueError(
            f"input_features should have length equal to number of features ({view.n_features_in_}), "
            f"got {len(input_features)}"
        )


def _named_callbacks(callbacks):
    """``(name, callback)`` of each callback: its given name, or its class name (skorch's default)."""
    if not isinstance(callbacks, (list, tuple)):
        return  # None, or a value fit's validation refuses
    for entry in callbacks:
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str):
            yield entry
        elif hasattr(entry, "get_params") and not isinstance(entry, type):
            yield type(entry).__name__, entry


def _named_callback(callbacks, name):
    found = dict(_named_callbacks(callbacks))
    if name not in found:
        raise ValueError(
            f"There is no callback named {name!r} in callbacks; the names are {sorted(found)}. Give a "
            f"callback a name with a (name, callback) tuple."
        )
    return found[name]


def _check_same_input(fitted, requested):
    """A continued fit keeps its input: another input (or other options of it) is an error."""
    if isinstance(requested, str):
        return
    if type(requested) is not type(fitted) or requested.get_params() != fitted.get_params():
        raise ValueError(
            f"warm_start=True continues training the fitted model, which reads its data as {fitted!r}, but input "
            f"is now {requested!r}. Set warm_start=False to train a new model, or restore the input."
        )


def _check_kind(input_, X, what):
    """Data that another kind recognises as its own is refused with both kinds named.

    Only kinds that ``input="auto"`` detects recognise data; X that none of
    them recognises is left to the input's own validation.
    """
    recognised = recognised_kind(X)
    if recognised is not None and recognised is not type(input_):
        raise ValueError(
            f"{what}, but X looks like {recognised.kind} data; pass X of the kind the model reads, or "
            f"choose its input accordingly."
        )


def _unfitted_copy(estimator):
    """A shallow copy of ``estimator`` without its fitted attributes: what
    validation learns during a new fit goes there until the fit succeeds."""
    scratch = copy.copy(estimator)
    for name in [name for name in vars(scratch) if name.endswith("_") and not name.startswith("__")]:
        delattr(scratch, name)
    return scratch


def _first_chunk(source):
    first = next(iter(source), None)
    if first is None:
        raise ValueError(f"{source!r} yielded no data to fit.")
    return first


def _fitted_state_of_0_1(state):
    """The state of a pickle of skcmim 0.1 (fitted attributes side by side) as one ``Fitted``."""
    state = dict(state)
    net, input_ = state.pop("net_"), state.pop("input_")
    params = {name: value for name, value in state.items() if not name.endswith("_") and not name.startswith("_")}
    params.setdefault("input", "auto")
    fitted = Fitted(
        input_,
        net,
        state.pop("_seed", 0),
        state.pop("n_iter_", len(net.history)),
        params,
        state.get("n_features_in_"),
        state.get("feature_names_in_"),
    )
    return {**state, "fitted_": fitted}


@parameters
class BaseEncoderDecoder(BaseRepresentation):
    """An encoder with a decoder: informative embeddings, decoding and scoring.

    Not for direct use.  Adds informative embeddings, decoding
    (``inverse_transform``, and ``sample`` for models with a prior) and
    ``score``.
    """

    #: Whether codes drawn from the N(0, I) prior mean something to the decoder (``sample``).
    _has_prior = True
    # decoding options, not metadata to route (no set_inverse_transform_request)
    __metadata_request__inverse_transform = {
        "sampling_temperature": metadata_routing.UNUSED,
        "random_state": metadata_routing.UNUSED,
    }

    informative: bool = param(
        False,
        ["boolean"],
        "bool",
        "If True, ``transform`` returns informative embeddings: the code ``mu(x)`` followed by the decoder's "
        "hidden activations at ``mu(x)``.  Takes effect without refitting.",
        refit=False,
    )
    informative_layers: str | Sequence[int] = param(
        "all",
        [StrOptions({"all"}), "array-like"],
        '"all" or tuple of int',
        "Which decoder hidden layers (0 = nearest the code) the informative embeddings include.  Takes effect "
        "without refitting.",
        refit=False,
    )
    likelihood: str = _deprecated("likelihood", "``input=NumericInput(likelihood=...)``")

    # ------------------------------------------------------------------ read-out
    def _informative_layers(self):
        layers = self.informative_layers
        if isinstance(layers, str):
            return None
        n_layers = len(self.module_.informative_widths())
        if not all(isinstance(i, Integral) and not isinstance(i, bool) for i in layers):
            raise ValueError(
                f"informative_layers must be 'all' or a tuple of layer indices (integers), got {layers!r}."
            )
        if any(i < -n_layers or i >= n_layers for i in layers):
            raise ValueError(
                f"informative_layers={layers!r} is out of range for a decoder with {n_layers} hidden layers."
            )
        return [int(i) for i in layers]

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
        # a NaN code (an invalid molecule's row) decodes to None
        Z = check_array(
            X, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan" if self.input_.missing_codes else True
        )
        n_components = self._fitted_param("n_components")
        widths = {n_components, self._n_features_out}
        if Z.shape[1] not in widths:
            raise ValueError(
                f"inverse_transform expects codes with {n_components} columns "
                f"(or {self._n_features_out} from an informative transform), got {Z.shape[1]}."
            )
        return np.ascontiguousarray(Z[:, :n_components])

    def inverse_transform(
        self, X: ArrayLike, *, sampling_temperature: float = 0.0, random_state: RandomStateLike = None
    ) -> NDArray[Any]:
        """Decode codes back to the input space.

        Numeric models return ``E[x | z]``.  Molecule models return one
        SMILES string per code, decoded token by token (greedily by
        default); with the SMILES alphabet a decoded string may be an
        invalid molecule (check it with RDKit), with the SELFIES alphabet it
        is the canonical SMILES of a valid molecule, or None for tokens
        without an atom.  A code with NaNs (an invalid input row) gives None.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components) or (n_samples, n_features_out)
            Codes, as returned by ``transform``; with informative embeddings
            only the first ``n_components`` columns (the code) are used.
        sampling_temperature : float, default=0.0
            Molecule models only: 0 decodes greedily (the most likely token
            at each step); a positive value samples each token from the
            softmax of the logits divided by it (1.0: the model's
            distribution), at most 1e6.
        random_state : int, RandomState instance or None, default=None
            Seeds the token sampling when ``sampling_temperature > 0``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features), or of shape (n_samples,) and dtype object for molecules
        """
        view = self._pinned()
        Z = view._check_codes(X)
        temperature = _check_sampling_temperature(sampling_temperature)
        return view.input_.decode(Z, view._map_batches, sampling_temperature=temperature, random_state=random_state)

    @available_if(lambda self: self._has_prior)
    def sample(
        self,
        n_samples: int = 1,
        random_state: RandomStateLike = None,
        *,
        sampling_temperature: float = 0.0,
        like: ArrayLike | None = None,
    ) -> NDArray[Any]:
        """Generate data by decoding codes drawn from the N(0, I) prior, or from the codes of data ``like``.

        The prior is the model's own: its samples are new (for molecules:
        valid and diverse), but a code space trained with an encoder as
        confident as MIM's fills only part of the prior, so they need not
        resemble the training data.  ``like=X`` draws from the aggregate
        posterior of X instead, ``q(z) = mean_x q(z | x)``: a row of X at
        random, then ``z ~ N(mu(x), sigma(x)^2)``.  Such samples resemble X
        closely, and with the narrow posteriors MIM learns many of them are
        the molecules (or rows) of X themselves; the documentation's
        Pretrained models page measures both samplers.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate, at most 1,000,000 per call.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws (and of the token sampling).
        sampling_temperature : float, default=0.0
            Molecule models only; see :meth:`inverse_transform`.
        like : array-like or molecules, or None, default=None
            Data of the kind the model reads whose aggregate posterior to
            draw from (invalid rows under ``on_invalid="nan"`` are left
            out); None: the N(0, I) prior.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), or of shape (n_samples,) and dtype object for molecules
            Expected data ``E[x | z]`` for each drawn code, or for molecule
            models a SMILES string (see :meth:`inverse_transform`).
        """
        view = self._pinned()
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or not 1 <= n_samples <= MAX_SAMPLES:
            raise ValueError(
                f"n_samples must be an integer from 1 to {MAX_SAMPLES:,} (skcmim's limit per call, which keeps the "
                f"output in memory); got {n_samples!r}. Call sample repeatedly, with different random_state, for more."
            )
        rng = check_random_state(random_state)
        n_components = view._fitted_param("n_components")
        posterior = None if like is None else view._posterior(like)
        # the codes of one batch at a time: memory for the output, not for all codes and decoder states at once
        sizes = [min(SAMPLE_BATCH, n_samples - start) for start in range(0, n_samples, SAMPLE_BATCH)]
        return np.concatenate(
            [
                view.inverse_transform(
                    _draw_codes(rng, size, n_components, posterior),
                    sampling_temperature=sampling_temperature,
                    random_state=rng,
                )
                for size in sizes
            ]
        )

    def _posterior(self, X):
        """``(mu, sigma)`` of the posterior q(z | x) of each valid row of X (float64)."""
        n_components = self._fitted_param("n_components")

        def posterior(module, batch):
            out = module(batch, sample=False)
            return torch.cat([out.mu, out.log_sigma.exp()], dim=1)

        moments = self._apply(X, posterior, width=2 * n_components).astype(np.float64)
        moments = moments[np.isfinite(moments).all(axis=1)]
        if not len(moments):
            raise ValueError("like= holds no valid row to draw codes around.")
        return moments[:, :n_components], moments[:, n_components:]

    # ------------------------------------------------------------------ scoring
    def score_samples(self, X: ArrayLike) -> NDArray[np.float64]:
        """Negative per-sample training objective with ``z = mu(x)``.

        Deterministic (no sampling, no contrastive term, which depends on the
        batch): ``log p(x | mu) + (log q(mu | x) + log P(mu)) / 2`` for MIM
        models, the ELBO for the VAE.  It is the plain objective whatever
        the training options (``reconstruction``, ``latent_scale``, KL
        warm-up, free bits), so scores compare across them.  For Gaussian
        models ``log p`` is expressed in the units of the original features.
        Higher is better.  An invalid molecule's row (``on_invalid="nan"``)
        scores NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or molecules

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        view = self._pinned()
        criterion = view.net_.criterion_

        def negative_loss(module, batch):
            return -criterion.score_per_sample(module(batch, sample=False))

        return view._apply(X, negative_loss, scoring=True).astype(np.float64) + view.input_.log_density_offset()

    def score(self, X: ArrayLike, y: None = None) -> float:
        """Mean of :meth:`score_samples`; higher is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or molecules
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))


@parameters
class BaseLatentEncoderDecoder(BaseEncoderDecoder):
    """An encoder-decoder with a Gaussian code and a prior, trained with MIM's or the VAE's loss.

    Not for direct use: MIM, cMIM, VAE and cVAE.  Subclasses set
    ``_objective`` (``"amim"`` or ``"vae"``).
    """

    _objective = "amim"

    latent_scale: str = param(
        "none",
        [StrOptions(set(LATENT_SCALES))],
        '{"none", "per_dimension"}',
        '``"per_dimension"`` divides the gradient of the latent terms (``log q(z|x)`` and ``log P(z)``: the A-MIM '
        "term ``(log q + log P) / 2``, the VAE's KL) by ``n_components`` and leaves the loss value unchanged, as "
        "the option ``normalize_gradient=True`` of ``compute_cmim_loss`` in NVIDIA's published cMIM code (KERMT, "
        "github.com/NVIDIA-Digital-Bio/KERMT) does.  It weakens the pull of the latent terms against a "
        "reconstruction summed over many features.",
    )
    reconstruction: str = param(
        "sum",
        [StrOptions(set(RECONSTRUCTIONS))],
        '{"sum", "mean"}',
        '``"mean"`` averages ``log p(x|z)`` over the features (numeric data) or over the non-pad tokens '
        "(molecules) instead of summing it, so the reconstruction no longer outweighs the latent and "
        "contrastive terms by the number of features.  ``score`` always reports the summed objective.",
    )

    def _criterion_spec(self):
        return MIMLoss, {
            "objective": self._objective,
            "latent_scale": self.latent_scale,
            "reconstruction": self.reconstruction,
        }


def _draw_codes(rng, size, n_components, posterior):
    """``size`` codes from the N(0, I) prior, or from the mixture of the posteriors ``(mu, sigma)``."""
    if posterior is None:
        return rng.standard_normal((size, n_components))
    mu, sigma = posterior
    rows = rng.randint(len(mu), size=size)
    return mu[rows] + sigma[rows] * rng.standard_normal((size, n_components))


#: Largest ``sampling_temperature``: logits divided by more are all but equal (uniform sampling).
MAX_SAMPLING_TEMPERATURE = 1e6


def _check_sampling_temperature(value):
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= MAX_SAMPLING_TEMPERATURE:
        raise ValueError(
            f"sampling_temperature must be a number from 0 (greedy) to {MAX_SAMPLING_TEMPERATURE:g} "
            f"(beyond it, sampling is uniform to float precision); got {value!r}."
        )
    return float(value)


def _contrastive_temperature(estimator):
    """``contrastive_temperature``, or the value of its deprecated name ``temperature``."""
    if isinstance(estimator.temperature, str):  # "deprecated": not set
        return estimator.contrastive_temperature
    warnings.warn(
        "The parameter 'temperature' was renamed 'contrastive_temperature' in skcmim 0.2 (it is easily confused "
        "with sampling_temperature); 'temperature' will be removed in 0.3.",
        FutureWarning,
        stacklevel=find_stack_level(),
    )
    return estimator.temperature


def _contrastive_temperature_param():
    return param(
        0.1,
        [Interval(Real, 0, None, closed="neither")],
        "float",
        "Temperature ``tau`` of the contrastive term's cosine-similarity softmax.",
    )


def _temperature_param():
    return param(
        DEPRECATED,
        [Interval(Real, 0, None, closed="neither"), StrOptions({DEPRECATED})],
        'float or "deprecated"',
        "Deprecated name of ``contrastive_temperature`` (renamed in 0.2, removed in 0.3); when set, it is "
        "used, with a ``FutureWarning``.",
    )


@parameters
class BaseContrastiveEncoderDecoder(BaseLatentEncoderDecoder):
    """An encoder-decoder whose loss adds the cMIM contrastive term (cMIM, cVAE).

    Not for direct use.
    """

    contrastive_weight: float = param(
        10.0,
        [Interval(Real, 0, None, closed="left")],
        "float",
        "Weight ``w_c`` of the contrastive term.  The default was chosen on a validation split of the MNIST-5k "
        "training half (``benchmarks/claims/tuning.py``).",
    )
    contrastive_temperature: float = _contrastive_temperature_param()
    contrastive_on: str = param(
        "z",
        [StrOptions(set(CONTRASTIVE_CODES))],
        '{"z", "mu"}',
        "The codes whose cosine similarities make the contrastive term: the sampled code ``z`` or the posterior "
        "mean ``mu`` (which ``transform`` returns).",
    )
    temperature: float | str = _temperature_param()

    def _criterion_spec(self):
        loss, params = super()._criterion_spec()
        return loss, {
            **params,
            "contrastive_weight": self.contrastive_weight,
            "temperature": _contrastive_temperature(self),
            "contrastive_on": self.contrastive_on,
        }


@parameters
class MIMTransformer(BaseLatentEncoderDecoder):
    """Mutual Information Machine (A-MIM) as a scikit-learn transformer.

    An encoder-decoder with a Gaussian code, trained with the asymmetric
    MIM loss ``-[log p(x|z) + (log q(z|x) + log P(z)) / 2]``.  Unlike a VAE,
    MIM rewards a confident encoder, which gives clustered, informative codes
    without posterior collapse.  ``transform`` returns the posterior mean.

    See Also
    --------
    CMIMTransformer : the same model with a contrastive term.

    Examples
    --------
    >>> from skcmim import MIMTransformer
    >>> from skcmim.datasets import load_digits_unit
    >>> X, y = load_digits_unit()
    >>> mim = MIMTransformer(n_components=8, max_epochs=2, random_state=0).fit(X)
    >>> mim.transform(X).shape
    (1797, 8)
    """

    _objective = "amim"


_CHOSEN = (
    "Chosen for cMIM on a validation split of the MNIST-5k training half (``benchmarks/claims/tuning.py``, record in "
    "``benchmarks/results/tuning/tuning.md``)."
)


@parameters
class CMIMTransformer(BaseContrastiveEncoderDecoder):
    """Contrastive Mutual Information Machine (cMIM) as a transformer.

    MIM plus a contrastive term that needs no augmented pairs: each code's
    positive is itself, its negatives are the other codes of the batch, and
    their weights are averaged (not summed), so the term does not grow with
    the batch size::

        L_i = L_i(A-MIM) - contrastive_weight * log p(k=1 | z_i, x_i)

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
    """

    latent_scale: str = param(
        "per_dimension",
        [StrOptions(set(LATENT_SCALES))],
        '{"none", "per_dimension"}',
        '``"per_dimension"`` divides the gradient of the latent terms (``log q(z|x)`` and ``log P(z)``) by '
        "``n_components`` and leaves the loss value unchanged (the option ``normalize_gradient=True`` of "
        "NVIDIA's published cMIM code, KERMT).  " + _CHOSEN,
    )
    contrastive_on: str = param(
        "mu",
        [StrOptions(set(CONTRASTIVE_CODES))],
        '{"z", "mu"}',
        "The codes whose cosine similarities make the contrastive term: the sampled code ``z`` or the posterior "
        "mean ``mu``, which ``transform`` returns.  " + _CHOSEN,
    )

    _objective = "amim"
