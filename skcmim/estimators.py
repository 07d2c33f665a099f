"""The scikit-learn face of skcmim: MIM and cMIM as transformers.

The estimators hold parameters and the scikit-learn methods.  Everything
about the data lives in the fitted input object ``input_`` (numeric
matrices or SMILES, :mod:`skcmim.inputs`), the networks in
:mod:`skcmim.networks`, the losses in :mod:`skcmim.losses` and the training
loop in :mod:`skcmim.engine`.  A concrete estimator says which loss it trains
(``_criterion_spec``) and lists its parameters in ``__init__`` (scikit-learn
reads them from the signature).
"""

from __future__ import annotations

import contextlib
import copy
import os
import warnings
from collections.abc import Sequence
from functools import partial
from numbers import Integral, Real
from typing import Any, Literal, TypeVar

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_array, check_random_state, metadata_routing
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ._warnings import find_stack_level
from .engine import StreamDataset, build_net, draw_seed, train_net
from .inputs import INPUT_KINDS, input_from_fitted_state, make_input
from .losses import CONTRASTIVE_CODES, LATENT_SCALES, RECONSTRUCTIONS, MIMLoss
from .molecules import MAX_SMILES_LENGTH, MIN_SEQUENCE_LENGTH
from .streaming import ChunkSource, as_chunk_source

__all__ = ["BaseEncoderDecoder", "BaseRepresentation", "CMIMTransformer", "MIMTransformer"]

#: What a ``random_state`` parameter accepts.
RandomStateLike = int | np.random.RandomState | None
_Estimator = TypeVar("_Estimator", bound="BaseRepresentation")

#: Most samples one call of ``sample`` generates (call it again for more).
MAX_SAMPLES = 1_000_000
#: Prior codes decoded per batch in ``sample``.
SAMPLE_BATCH = 4096

# Fitted attributes that the input object shows through the estimator.
_INPUT_ATTRIBUTES: tuple[str, ...] = tuple(
    dict.fromkeys(name for kind in INPUT_KINDS.values() for name in kind.fitted_attributes)
)


def _store_params(estimator, arguments):
    """Store ``__init__``'s arguments as attributes of the same names, and nothing else.

    Each estimator lists its parameters in its own ``__init__`` signature
    (scikit-learn reads them from there); this one line replaces the chain
    of ``super().__init__`` calls that would repeat them all.
    """
    for name, value in arguments.items():
        if name != "self":
            setattr(estimator, name, value)


def _input_attribute(name: str) -> property:
    def get(self: BaseRepresentation) -> Any:
        try:
            return getattr(self.__dict__["input_"], name)
        except KeyError:
            raise AttributeError(name) from None

    return property(get, doc=f"``{name}`` of the fitted input (see the class docstring).")


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
    imports torch._dynamo: about 2 s of every model load, for nothing.
    """
    with torch.device("meta"), _SkipParameterInit():
        yield


class BaseRepresentation(TransformerMixin, BaseEstimator):
    """Training, input validation and persistence of every skcmim model.

    Not for direct use.  Subclasses say which network and loss they train
    (``_network_role``, ``_criterion_spec``) and what ``transform`` emits
    (``_embedding``).
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [StrOptions({"auto"}), "array-like"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "input_kind": [StrOptions({"auto", *INPUT_KINDS})],
        # a SMILES has at most MAX_SMILES_LENGTH tokens (one per character at most), plus <bos> and <eos>
        "max_length": [Interval(Integral, MIN_SEQUENCE_LENGTH, MAX_SMILES_LENGTH + 2, closed="both"), None],
        "canonical": ["boolean"],
        "isomeric": ["boolean"],
        "on_invalid": [StrOptions({"raise", "nan"})],
        "n_jobs": [Integral, None],
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
    #: What the network is: "encoder_decoder", or "view_encoder" (InfoNCE).
    _network_role = "encoder_decoder"

    def __init__(
        self,
        n_components: int = 16,
        *,
        hidden_layer_sizes: Literal["auto"] | Sequence[int] = "auto",
        max_epochs: int = 50,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        input_kind: Literal["auto", "numeric", "smiles"] = "auto",
        max_length: int | None = None,
        canonical: bool = True,
        isomeric: bool = True,
        on_invalid: Literal["raise", "nan"] = "raise",
        n_jobs: int | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        warm_start: bool = False,
        device: str | torch.device = "auto",
        mixed_precision: bool = False,
        callbacks: Sequence[Any] | None = None,
        random_state: RandomStateLike = None,
        verbose: int = 0,
    ) -> None:
        _store_params(self, locals())

    # Set by skcmim.distributed while it runs fit (a skorch callback); never a parameter.
    _data_parallel = None

    @property
    def input_kind_(self) -> str:
        """The kind of data the model was fitted on (``"numeric"`` or ``"smiles"``)."""
        try:
            return self.__dict__["input_"].kind
        except KeyError:
            raise AttributeError("input_kind_") from None

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

    def _embedding(self, module, batch):
        """What ``transform`` returns for one batch on the device."""
        return module.encode(batch)

    # ---------------------------------------------------------------- training
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self: _Estimator, X: ArrayLike | ChunkSource, y: None = None) -> _Estimator:
        """Train the encoder-decoder on X.

        A fit that fails (bad data, a diverging loss, an interrupted
        stream) leaves the estimator as it was before the call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), SMILES, or ChunkSource
            Training data: a numeric matrix (Bernoulli models need values in
            [0, 1]; Gaussian models standardise the features internally), or
            SMILES strings / RDKit Mols (a list, 1-D array, Series or
            one-column DataFrame).  Data that does not fit in memory can be
            streamed: pass a chunk source from :mod:`skcmim.streaming` (a
            numpy memmap larger than one chunk is streamed automatically).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit(X, epochs=self.max_epochs, resume=self.warm_start and hasattr(self, "net_"))
        return self

    def partial_fit(self: _Estimator, X: ArrayLike, y: None = None) -> _Estimator:
        """Train for one epoch on X, continuing from the current weights.

        The first call sets up the model (likelihood, feature scaling or
        vocabulary) from its X; later calls must pass the same kind of data.
        Use it to train on data that arrives in chunks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or SMILES
            One chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        resume = hasattr(self, "net_")
        if not resume:
            self._validate_params()
        self._fit(X, epochs=1, resume=resume)
        return self

    def _fit(self, X, *, epochs, resume):
        """Train on a copy of the model and commit it only when training succeeded.

        Nothing on ``self`` changes before the commit, so a failed fit leaves
        the estimator as it was, and a ``transform`` running meanwhile sees
        the previous model.  ``owner`` receives what validation learns about
        the data (``n_features_in_``, ``feature_names_in_``): the estimator
        itself when resuming, an unfitted copy for a new fit.
        """
        source = as_chunk_source(X)
        if source is not None and self.early_stopping:
            raise ValueError(
                "early_stopping=True holds out a random validation subset, which streamed data does not "
                "allow; set early_stopping=False, or fit on an in-memory array."
            )
        if resume:
            owner, input_, seed = self, copy.deepcopy(self.input_), self._seed
        else:
            owner, seed = _unfitted_copy(self), draw_seed(self.random_state)
            input_ = make_input(self.input_kind, X if source is None else _first_chunk(source))
        data = self._training_data(X, source, input_, owner, seed, setup=not resume)
        net = train_net(self, data, input_, epochs=epochs, seed=seed, resume=resume)
        self._commit(owner, input_=input_, net_=net, n_iter_=len(net.history), _seed=seed)

    def _training_data(self, X, source, input_, owner, seed, *, setup):
        """The network input of X: an array, or a :class:`StreamDataset` for a chunk source."""
        if source is None:
            return input_.setup(X, owner, seed) if setup else input_.training_input(X, owner)
        n_rows = input_.setup_stream(source, owner, seed) if setup else None
        return StreamDataset(source, partial(input_.training_input, estimator=owner), n_rows=n_rows)

    def _commit(self, owner, **fitted):
        """Swap in the fitted state of a successful fit."""
        if owner is not self:
            stale = [name for name in vars(self) if name.endswith("_") and not name.startswith("__")]
            learnt = {name: vars(owner)[name] for name in ("n_features_in_", "feature_names_in_") if name in vars(owner)}
            fitted = {**learnt, **fitted}
            for name in set(stale) - set(fitted):
                delattr(self, name)
        vars(self).update(fitted)

    # ------------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike[str]) -> str:
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
        arrays, values = self.input_.fitted_state()
        names = getattr(self, "feature_names_in_", None)
        fitted = {
            "n_features_in_": self.n_features_in_,
            "feature_names_in_": None if names is None else [str(n) for n in names],
            "n_iter_": self.n_iter_,
            "seed": self._seed,
            "input_kind_": self.input_kind_,
            **values,
        }
        return arrays, fitted

    def _restore_fitted_state(self, arrays, fitted, weights, history, device):
        """Rebuild the fitted model from a model file's contents.

        ``device="meta"`` builds the network without memory and only checks
        that ``weights`` have its names and shapes.
        """
        from skorch.history import History

        input_ = input_from_fitted_state(arrays, fitted)
        build_on = device if device.type == "meta" else torch.device("cpu")
        with torch.random.fork_rng(devices=[]), (_meta_build() if build_on.type == "meta"
                                                 else contextlib.nullcontext()):
            net = build_net(self, input_, build_on, fitted["seed"]).initialize_for_inference()
        net.module_.load_state_dict(weights, strict=True)
        net.history = History(history)
        net.module_.to(device).eval()
        net.set_params(device=str(device))
        learnt = {"n_features_in_": fitted["n_features_in_"]}
        if fitted.get("feature_names_in_") is not None:
            learnt["feature_names_in_"] = np.asarray(fitted["feature_names_in_"], dtype=object)
        vars(self).update(learnt, input_=input_, net_=net, n_iter_=fitted["n_iter_"], _seed=fitted["seed"])

    # --------------------------------------------------------------- inference
    @property
    def history_(self) -> Any:
        """Training history of the fit (a skorch ``History``).

        One record per epoch with ``train_loss`` (and ``valid_loss`` when a
        validation split is used), each with its per-batch records, and for
        encoder-decoders the per-epoch mean of each term of the objective
        (``train_reconstruction``, ``train_latent`` or ``train_kl``,
        ``train_contrastive``, and ``valid_*``).
        """
        check_is_fitted(self)
        return self.net_.history

    @property
    def module_(self) -> torch.nn.Module:
        """The trained network (:mod:`skcmim.networks`)."""
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
        rows = self.input_.inference_rows(X, self, scoring=scoring)
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
        X : array-like of shape (n_samples, n_features) or SMILES
            Data to encode, of the kind the model was fitted on.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            ``n_components`` columns, or with ``informative=True`` the code
            followed by the decoder hidden states at the code.  The dtype
            follows X (float32 or float64; float64 for SMILES, computed in
            float32, with NaN rows for invalid molecules under
            ``on_invalid="nan"``).
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

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> NDArray[np.object_]:
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
        tags.input_tags.sparse = True  # scipy sparse matrices, densified one batch at a time
        return tags


for _attribute in _INPUT_ATTRIBUTES:
    setattr(BaseRepresentation, _attribute, _input_attribute(_attribute))


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


class BaseEncoderDecoder(BaseRepresentation):
    """An encoder-decoder with a Gaussian code: MIM, cMIM, VAE and cVAE.

    Not for direct use.  Adds the decoder likelihood, informative embeddings,
    decoding (``inverse_transform``, ``sample``) and ``score``.  Subclasses
    set ``_objective`` (``"amim"`` or ``"vae"``).
    """

    _objective = "amim"
    # decoding options, not metadata to route (no set_inverse_transform_request)
    __metadata_request__inverse_transform = {
        "sampling_temperature": metadata_routing.UNUSED,
        "random_state": metadata_routing.UNUSED,
    }
    _parameter_constraints = {
        **BaseRepresentation._parameter_constraints,
        "likelihood": [StrOptions({"auto", "bernoulli", "gaussian", "categorical"})],
        "alphabet": [StrOptions({"smiles", "selfies"})],
        "informative": ["boolean"],
        "informative_layers": [StrOptions({"all"}), "array-like"],
        "latent_scale": [StrOptions(set(LATENT_SCALES))],
        "reconstruction": [StrOptions(set(RECONSTRUCTIONS))],
    }

    def __init__(
        self,
        n_components: int = 16,
        *,
        hidden_layer_sizes: Literal["auto"] | Sequence[int] = "auto",
        likelihood: Literal["auto", "bernoulli", "gaussian", "categorical"] = "auto",
        max_epochs: int = 50,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        informative: bool = False,
        informative_layers: Literal["all"] | Sequence[int] = "all",
        input_kind: Literal["auto", "numeric", "smiles"] = "auto",
        max_length: int | None = None,
        canonical: bool = True,
        isomeric: bool = True,
        on_invalid: Literal["raise", "nan"] = "raise",
        alphabet: Literal["smiles", "selfies"] = "smiles",
        n_jobs: int | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        warm_start: bool = False,
        device: str | torch.device = "auto",
        mixed_precision: bool = False,
        callbacks: Sequence[Any] | None = None,
        random_state: RandomStateLike = None,
        verbose: int = 0,
        latent_scale: Literal["none", "per_dimension"] = "none",
        reconstruction: Literal["sum", "mean"] = "sum",
    ) -> None:
        _store_params(self, locals())

    def _criterion_spec(self):
        return MIMLoss, {"objective": self._objective, "latent_scale": self.latent_scale,
                         "reconstruction": self.reconstruction}

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
        # a NaN code (an invalid molecule's row) decodes to None
        Z = check_array(X, dtype=[np.float64, np.float32],
                        ensure_all_finite="allow-nan" if self.input_.missing_codes else True)
        widths = {self.n_components, self._n_features_out}
        if Z.shape[1] not in widths:
            raise ValueError(
                f"inverse_transform expects codes with {self.n_components} columns "
                f"(or {self._n_features_out} from an informative transform), got {Z.shape[1]}."
            )
        return np.ascontiguousarray(Z[:, : self.n_components])

    def inverse_transform(
        self, X: ArrayLike, *, sampling_temperature: float = 0.0, random_state: RandomStateLike = None
    ) -> NDArray[Any]:
        """Decode codes back to the input space.

        Numeric models return ``E[x | z]``.  SMILES models return one SMILES
        string per code, decoded token by token (greedily by default); with
        ``alphabet="smiles"`` a decoded string may be an invalid molecule
        (check it with RDKit), with ``alphabet="selfies"`` it is the
        canonical SMILES of a valid molecule, or None for tokens without an
        atom.  A code with NaNs (an invalid input row) gives None.

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
        if not isinstance(sampling_temperature, Real) or not 0 <= sampling_temperature < np.inf:
            raise ValueError(f"sampling_temperature must be a finite number >= 0, got {sampling_temperature!r}.")
        return self.input_.decode(Z, self._map_batches, sampling_temperature=float(sampling_temperature),
                                  random_state=random_state)

    def sample(
        self, n_samples: int = 1, random_state: RandomStateLike = None, *, sampling_temperature: float = 0.0
    ) -> NDArray[Any]:
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
            Expected data ``E[x | z]`` for each drawn code, or for SMILES
            models a SMILES string (not necessarily a valid molecule with
            ``alphabet="smiles"``; a valid one or None with
            ``alphabet="selfies"``, see :meth:`inverse_transform`).
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or not 1 <= n_samples <= MAX_SAMPLES:
            raise ValueError(
                f"n_samples must be an integer from 1 to {MAX_SAMPLES:,} (skcmim's limit per call, which keeps the "
                f"output in memory); got {n_samples!r}. Call sample repeatedly, with different random_state, for more."
            )
        rng = check_random_state(random_state)
        # the codes of one batch at a time: memory for the output, not for all codes and decoder states at once
        sizes = [min(SAMPLE_BATCH, n_samples - start) for start in range(0, n_samples, SAMPLE_BATCH)]
        return np.concatenate([
            self.inverse_transform(rng.standard_normal((size, self.n_components)),
                                   sampling_temperature=sampling_temperature, random_state=rng)
            for size in sizes
        ])

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
        X : array-like of shape (n_samples, n_features) or SMILES

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        criterion = self.net_.criterion_

        def negative_loss(module, batch):
            return -criterion.score_per_sample(module(batch, sample=False))

        return self._apply(X, negative_loss, scoring=True).astype(np.float64) + self.input_.log_density_offset()

    def score(self, X: ArrayLike, y: None = None) -> float:
        """Mean of :meth:`score_samples`; higher is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or SMILES
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
        "contrastive_temperature": [Interval(Real, 0, None, closed="neither")],
        "temperature": [Interval(Real, 0, None, closed="neither"), StrOptions({"deprecated"})],
        "contrastive_on": [StrOptions(set(CONTRASTIVE_CODES))],
    }

    def __init__(
        self,
        n_components: int = 16,
        *,
        hidden_layer_sizes: Literal["auto"] | Sequence[int] = "auto",
        likelihood: Literal["auto", "bernoulli", "gaussian", "categorical"] = "auto",
        max_epochs: int = 50,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        informative: bool = False,
        informative_layers: Literal["all"] | Sequence[int] = "all",
        input_kind: Literal["auto", "numeric", "smiles"] = "auto",
        max_length: int | None = None,
        canonical: bool = True,
        isomeric: bool = True,
        on_invalid: Literal["raise", "nan"] = "raise",
        alphabet: Literal["smiles", "selfies"] = "smiles",
        n_jobs: int | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        warm_start: bool = False,
        device: str | torch.device = "auto",
        mixed_precision: bool = False,
        callbacks: Sequence[Any] | None = None,
        random_state: RandomStateLike = None,
        verbose: int = 0,
        latent_scale: Literal["none", "per_dimension"] = "per_dimension",
        reconstruction: Literal["sum", "mean"] = "sum",
        contrastive_weight: float = 10.0,
        contrastive_temperature: float = 0.1,
        contrastive_on: Literal["z", "mu"] = "mu",
        temperature: float | Literal["deprecated"] = "deprecated",
    ) -> None:
        _store_params(self, locals())

    def _criterion_spec(self):
        loss, params = super()._criterion_spec()
        return loss, {**params, "contrastive_weight": self.contrastive_weight,
                      "temperature": _contrastive_temperature(self), "contrastive_on": self.contrastive_on}


class MIMTransformer(BaseEncoderDecoder):
    """Mutual Information Machine (A-MIM) as a scikit-learn transformer.

    An MLP encoder-decoder with a Gaussian code, trained with the asymmetric
    MIM loss ``-[log p(x|z) + (log q(z|x) + log P(z)) / 2]``.  Unlike a VAE,
    MIM rewards a confident encoder, which gives clustered, informative codes
    without posterior collapse.  ``transform`` returns the posterior mean.

    Parameters
    ----------
    n_components : int, default=16
        Width of the code (the latent space).
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden widths.  Numeric data: the MLP encoder's layers (the decoder
        mirrors them); ``"auto"`` is (512, 512).  SMILES: stacked GRU layers
        of one width in the encoder and the decoder; ``"auto"`` is (256,).
    likelihood : {"auto", "bernoulli", "gaussian", "categorical"}, default="auto"
        Decoder likelihood.  ``"auto"`` picks Bernoulli when all of X lies
        in [0, 1] (images scaled to [0, 1]), Gaussian for other numeric data
        and categorical (over tokens) for SMILES.  Gaussian models
        standardise the features internally (``mean_``, ``scale_``) and
        learn one noise scale per feature.
    max_epochs : int, default=50
        Passes over the training data.
    batch_size : int, default=128
        Samples per optimiser step.
    learning_rate : float, default=1e-3
        Adam learning rate.
    informative : bool, default=False
        If True, ``transform`` returns informative embeddings: the code
        ``mu(x)`` followed by the decoder's hidden activations at ``mu(x)``.
        It can be switched with ``set_params`` after fitting; no retraining.
    informative_layers : "all" or tuple of int, default="all"
        Which decoder hidden layers (0 = nearest the code) the informative
        embeddings include.
    input_kind : {"auto", "numeric", "smiles"}, default="auto"
        What X holds.  ``"auto"`` treats a list, 1-D array, pandas Series or
        one-column DataFrame of strings or RDKit ``Mol`` objects as
        molecules, anything else as a numeric matrix.
    max_length : int or None, default=None
        SMILES only: the longest token sequence (``<bos>`` and ``<eos>``
        included) to train on and to generate, at most
        ``skcmim.molecules.MAX_SMILES_LENGTH + 2`` (5,002).  None: the
        longest training SMILES.  Longer training SMILES are an error;
        ``transform`` encodes SMILES of any length (nothing is ever
        truncated).
    canonical : bool, default=True
        SMILES only: canonicalise every molecule with RDKit first, so that
        different SMILES of one molecule get one code.
    isomeric : bool, default=True
        SMILES only: keep stereochemistry and isotopes (RDKit's
        ``isomericSmiles``).  False writes every molecule without them, in
        ``fit`` and in ``transform``: a model trained on molecules without
        stereochemistry (such as MOSES ZINC, and the pretrained models,
        which set it False) has no tokens for it, and would read a
        stereocentre such as ``[C@@H]`` as an unknown token instead of a
        carbon.
    on_invalid : {"raise", "nan"}, default="raise"
        SMILES only: what an invalid SMILES, an empty string or a missing
        value does.  ``"raise"``: a ``ValueError`` naming the row and the
        string.  ``"nan"``: ``fit`` leaves the row out (with a warning) and
        ``transform``/``score_samples`` give it a NaN row, so rows stay
        aligned with y.
    alphabet : {"smiles", "selfies"}, default="smiles"
        SMILES only: the token alphabet the network reads and writes.
        ``"selfies"`` writes each (canonical) molecule as SELFIES and learns
        a vocabulary of SELFIES symbols, so that every generated sequence is
        a valid molecule; ``inverse_transform`` and ``sample`` still return
        canonical SMILES (None for a sequence without atoms), and a molecule
        SELFIES cannot write is an invalid row (see ``on_invalid``).
        ``max_length`` counts tokens of this alphabet.
    n_jobs : int or None, default=None
        SMILES only: processes that parse and canonicalise molecules with
        RDKit (and write their SELFIES) in ``fit``, ``transform`` and
        ``score`` (joblib's convention: None is 1, -1 all cores).  The
        output is the same for any value.  Inputs under 2,048 molecules stay
        in this process; larger ones gain, as a worker starts in about half
        a second.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the best weights are restored.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Minimum improvement of the validation loss that resets the patience.
    warm_start : bool, default=False
        If True, ``fit`` on a fitted model continues training from its
        weights (``max_epochs`` more epochs) instead of starting anew.
    device : str or torch.device, default="auto"
        Where to train and encode.  ``"auto"`` uses CUDA when available and
        the CPU otherwise.
    mixed_precision : bool, default=False
        Run the training forward pass under bfloat16 autocast (useful on
        recent GPUs).
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra :mod:`skorch.callbacks` for the training loop, e.g.
        ``LRScheduler`` or ``Checkpoint``.  They are copied at ``fit``; the
        trained ones are in ``net_.callbacks_``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and sampling.  The same value
        gives the same embeddings on CPU; the global torch RNG is left as it
        was.
    verbose : int, default=0
        0: silent.  1: a progress bar of the batches of each epoch (streamed
        fits too).  2 and more: also skorch's table of per-epoch losses and
        times.
    latent_scale : {"none", "per_dimension"}, default="none"
        ``"per_dimension"`` divides the gradient of the latent terms (``log
        q(z|x)`` and ``log P(z)``: the A-MIM term ``(log q + log P) / 2``,
        the VAE's KL) by ``n_components`` and leaves the loss value
        unchanged, as NVIDIA's published cMIM code does
        (``normalize_gradient=True`` in ``compute_cmim_loss`` of KERMT,
        github.com/NVIDIA-Digital-Bio/KERMT).  It weakens the pull of the
        latent terms against a reconstruction summed over many features.
    reconstruction : {"sum", "mean"}, default="sum"
        ``"mean"`` averages ``log p(x|z)`` over the features (numeric data)
        or over the non-pad tokens (SMILES) instead of summing it, so the
        reconstruction no longer outweighs the latent and contrastive terms
        by the number of features.  ``score`` always reports the summed
        objective.

    Attributes
    ----------
    likelihood_ : str
        Resolved likelihood: ``"bernoulli"``, ``"gaussian"`` or (SMILES)
        ``"categorical"``.
    mean_ : ndarray of shape (n_features,)
        Feature means removed before the network.
    scale_ : ndarray of shape (n_features,)
        Feature scales divided out before the network.
    input_kind_ : str
        ``"numeric"`` or ``"smiles"``: the kind of data the model was fitted
        on.
    tokenizer_ : SmilesTokenizer
        SMILES models: the tokenizer and its vocabulary learnt in ``fit``.
    max_length_ : int
        SMILES models: the longest sequence generated by
        ``inverse_transform``/``sample``.
    net_ : skorch.NeuralNet
        The training engine, with the trained module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses (``history_[:, "train_loss"]``) and the mean per
        sample of each term of the objective, unweighted:
        ``train_reconstruction`` (``-log p(x|z)``, as trained),
        ``train_latent`` (MIM: ``-(log q(z|x) + log P(z)) / 2``) or
        ``train_kl`` (VAE: ``log q(z|x) - log P(z)``), ``train_contrastive``
        (``-log p(k=1|z,x)``, contrastive models), and the same ``valid_*``
        with early stopping.  :func:`skcmim.plotting.plot_history` plots
        them.
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

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
    """

    _objective = "amim"


class CMIMTransformer(BaseContrastiveEncoderDecoder):
    """Contrastive Mutual Information Machine (cMIM) as a transformer.

    MIM plus a contrastive term that needs no augmented pairs: each code's
    positive is itself, its negatives are the other codes of the batch, and
    their weights are averaged (not summed), so the term does not grow with
    the batch size::

        L_i = L_i(A-MIM) - contrastive_weight * log p(k=1 | z_i, x_i)

    Parameters
    ----------
    n_components : int, default=16
        Width of the code (the latent space).
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden widths.  Numeric data: the MLP encoder's layers (the decoder
        mirrors them); ``"auto"`` is (512, 512).  SMILES: stacked GRU layers
        of one width in the encoder and the decoder; ``"auto"`` is (256,).
    likelihood : {"auto", "bernoulli", "gaussian", "categorical"}, default="auto"
        Decoder likelihood.  ``"auto"`` picks Bernoulli when all of X lies
        in [0, 1] (images scaled to [0, 1]), Gaussian for other numeric data
        and categorical (over tokens) for SMILES.  Gaussian models
        standardise the features internally (``mean_``, ``scale_``) and
        learn one noise scale per feature.
    max_epochs : int, default=50
        Passes over the training data.
    batch_size : int, default=128
        Samples per optimiser step.
    learning_rate : float, default=1e-3
        Adam learning rate.
    informative : bool, default=False
        If True, ``transform`` returns informative embeddings: the code
        ``mu(x)`` followed by the decoder's hidden activations at ``mu(x)``.
        It can be switched with ``set_params`` after fitting; no retraining.
    informative_layers : "all" or tuple of int, default="all"
        Which decoder hidden layers (0 = nearest the code) the informative
        embeddings include.
    input_kind : {"auto", "numeric", "smiles"}, default="auto"
        What X holds.  ``"auto"`` treats a list, 1-D array, pandas Series or
        one-column DataFrame of strings or RDKit ``Mol`` objects as
        molecules, anything else as a numeric matrix.
    max_length : int or None, default=None
        SMILES only: the longest token sequence (``<bos>`` and ``<eos>``
        included) to train on and to generate, at most
        ``skcmim.molecules.MAX_SMILES_LENGTH + 2`` (5,002).  None: the
        longest training SMILES.  Longer training SMILES are an error;
        ``transform`` encodes SMILES of any length (nothing is ever
        truncated).
    canonical : bool, default=True
        SMILES only: canonicalise every molecule with RDKit first, so that
        different SMILES of one molecule get one code.
    isomeric : bool, default=True
        SMILES only: keep stereochemistry and isotopes (RDKit's
        ``isomericSmiles``).  False writes every molecule without them, in
        ``fit`` and in ``transform``: a model trained on molecules without
        stereochemistry (such as MOSES ZINC, and the pretrained models,
        which set it False) has no tokens for it, and would read a
        stereocentre such as ``[C@@H]`` as an unknown token instead of a
        carbon.
    on_invalid : {"raise", "nan"}, default="raise"
        SMILES only: what an invalid SMILES, an empty string or a missing
        value does.  ``"raise"``: a ``ValueError`` naming the row and the
        string.  ``"nan"``: ``fit`` leaves the row out (with a warning) and
        ``transform``/``score_samples`` give it a NaN row, so rows stay
        aligned with y.
    alphabet : {"smiles", "selfies"}, default="smiles"
        SMILES only: the token alphabet the network reads and writes.
        ``"selfies"`` writes each (canonical) molecule as SELFIES and learns
        a vocabulary of SELFIES symbols, so that every generated sequence is
        a valid molecule; ``inverse_transform`` and ``sample`` still return
        canonical SMILES (None for a sequence without atoms), and a molecule
        SELFIES cannot write is an invalid row (see ``on_invalid``).
        ``max_length`` counts tokens of this alphabet.
    n_jobs : int or None, default=None
        SMILES only: processes that parse and canonicalise molecules with
        RDKit (and write their SELFIES) in ``fit``, ``transform`` and
        ``score`` (joblib's convention: None is 1, -1 all cores).  The
        output is the same for any value.  Inputs under 2,048 molecules stay
        in this process; larger ones gain, as a worker starts in about half
        a second.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the best weights are restored.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Minimum improvement of the validation loss that resets the patience.
    warm_start : bool, default=False
        If True, ``fit`` on a fitted model continues training from its
        weights (``max_epochs`` more epochs) instead of starting anew.
    device : str or torch.device, default="auto"
        Where to train and encode.  ``"auto"`` uses CUDA when available and
        the CPU otherwise.
    mixed_precision : bool, default=False
        Run the training forward pass under bfloat16 autocast (useful on
        recent GPUs).
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra :mod:`skorch.callbacks` for the training loop, e.g.
        ``LRScheduler`` or ``Checkpoint``.  They are copied at ``fit``; the
        trained ones are in ``net_.callbacks_``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and sampling.  The same value
        gives the same embeddings on CPU; the global torch RNG is left as it
        was.
    verbose : int, default=0
        0: silent.  1: a progress bar of the batches of each epoch (streamed
        fits too).  2 and more: also skorch's table of per-epoch losses and
        times.
    latent_scale : {"none", "per_dimension"}, default="per_dimension"
        ``"per_dimension"`` divides the gradient of the latent terms (``log
        q(z|x)`` and ``log P(z)``: the A-MIM term ``(log q + log P) / 2``,
        the VAE's KL) by ``n_components`` and leaves the loss value
        unchanged, as NVIDIA's published cMIM code does
        (``normalize_gradient=True`` in ``compute_cmim_loss`` of KERMT,
        github.com/NVIDIA-Digital-Bio/KERMT).  It weakens the pull of the
        latent terms against a reconstruction summed over many features.
        Chosen for cMIM on a validation split of the MNIST-5k training half
        (``benchmarks/tuning.py``, record in
        ``benchmarks/results/tuning.md``).
    reconstruction : {"sum", "mean"}, default="sum"
        ``"mean"`` averages ``log p(x|z)`` over the features (numeric data)
        or over the non-pad tokens (SMILES) instead of summing it, so the
        reconstruction no longer outweighs the latent and contrastive terms
        by the number of features.  ``score`` always reports the summed
        objective.
    contrastive_weight : float, default=10.0
        Weight ``w_c`` of the contrastive term.  The default was chosen on a
        validation split of the MNIST-5k training half
        (``benchmarks/tuning.py``).
    contrastive_temperature : float, default=0.1
        Temperature ``tau`` of the contrastive term's cosine-similarity
        softmax.
    contrastive_on : {"z", "mu"}, default="mu"
        The codes whose cosine similarities make the contrastive term: the
        sampled code ``z`` or the posterior mean ``mu``.  Chosen for cMIM on
        a validation split of the MNIST-5k training half
        (``benchmarks/tuning.py``, record in
        ``benchmarks/results/tuning.md``).  On ``mu`` the term shapes the
        posterior means, which ``transform`` returns.
    temperature : float or "deprecated", default="deprecated"
        Deprecated name of ``contrastive_temperature`` (renamed in 0.2,
        removed in 0.3); when set, it is used, with a ``FutureWarning``.

    Attributes
    ----------
    likelihood_ : str
        Resolved likelihood: ``"bernoulli"``, ``"gaussian"`` or (SMILES)
        ``"categorical"``.
    mean_ : ndarray of shape (n_features,)
        Feature means removed before the network.
    scale_ : ndarray of shape (n_features,)
        Feature scales divided out before the network.
    input_kind_ : str
        ``"numeric"`` or ``"smiles"``: the kind of data the model was fitted
        on.
    tokenizer_ : SmilesTokenizer
        SMILES models: the tokenizer and its vocabulary learnt in ``fit``.
    max_length_ : int
        SMILES models: the longest sequence generated by
        ``inverse_transform``/``sample``.
    net_ : skorch.NeuralNet
        The training engine, with the trained module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses (``history_[:, "train_loss"]``) and the mean per
        sample of each term of the objective, unweighted:
        ``train_reconstruction`` (``-log p(x|z)``, as trained),
        ``train_latent`` (MIM: ``-(log q(z|x) + log P(z)) / 2``) or
        ``train_kl`` (VAE: ``log q(z|x) - log P(z)``), ``train_contrastive``
        (``-log p(k=1|z,x)``, contrastive models), and the same ``valid_*``
        with early stopping.  :func:`skcmim.plotting.plot_history` plots
        them.
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

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

    _objective = "amim"



