"""What every input kind provides: the contract between an estimator and its data.

An input kind is a small parameter object, like a scikit-learn estimator:
``SmilesInput(alphabet="selfies")`` says what the data is and how it is
read, and an estimator takes it as its ``input`` parameter (searchable as
``input__alphabet``).  ``fit`` clones it into the fitted ``input_``, which
learns from the training data (statistics, a vocabulary) and from then on
answers every data question: validation, the network input of training and
inference batches, the network to build, decoding codes back to data, the
fitted state written to model files and the fingerprint that compares data
across processes.  Neither the estimators nor the training engine, the model
files or data parallelism ask which kind of data they hold.

To add a kind (graphs, protein sequences...), subclass :class:`DataInput`
and decorate it with :func:`register_input_kind`; see "Extending skcmim" in
the documentation.  Its parameters are declared with
:func:`skcmim._parameters.param` and the class with
:func:`skcmim._parameters.parameters`, as the estimators' are.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["INPUT_KINDS", "DataInput", "InferenceRows", "Reading", "register_input_kind"]

#: The registered input kinds by name: what ``input="auto"`` chooses from and
#: what a model file's ``input_kind_`` may name.
INPUT_KINDS: dict[str, type[DataInput]] = {}


def register_input_kind(cls: type[DataInput]) -> type[DataInput]:
    """Class decorator: make an input kind known to ``input="auto"`` and to model files.

    Parameters
    ----------
    cls : subclass of DataInput
        With a unique ``kind`` name.

    Returns
    -------
    cls
    """
    if not cls.kind or INPUT_KINDS.get(cls.kind, cls) is not cls:
        raise ValueError(f"Input kind {cls.__name__} needs a kind name of its own; got {cls.kind!r}.")
    INPUT_KINDS[cls.kind] = cls
    return cls


class Reading(NamedTuple):
    """How an estimator reads its rows: what its network needs and its row options.

    Attributes
    ----------
    decoder : bool
        Whether the network reconstructs the data (it then needs a
        likelihood).
    n_views : int or None
        Augmented views per row that a kind drawing its views in the data
        (molecules: random SMILES) must draw; None: the rows themselves.
        Kinds whose views the network draws ignore it.
    on_invalid : {"raise", "nan"}
        What an invalid row does (the estimator's ``on_invalid``).
    n_jobs : int or None
        Worker processes that may read rows (the estimator's ``n_jobs``).
    """

    decoder: bool = True
    n_views: int | None = None
    on_invalid: str = "raise"
    n_jobs: int | None = None


class InferenceRows:
    """Network-input batches of the rows of X, and how to put outputs back.

    Parameters
    ----------
    batches : iterable of ndarray
        Network input, one array per forward pass.
    dtype : numpy dtype
        Dtype of the outputs.
    n_rows : int
        Rows of X.
    valid : ndarray of bool of shape (n_rows,) or None
        Rows that have an output; the others get NaN.  None: every row.
    order : ndarray of int or None
        Position, among the valid rows, of each row of the concatenated
        batches (they may be sorted, e.g. by length).  None: in order.
    compute_dtype : numpy dtype or None
        Dtype the module computes in when it differs from ``dtype``; None:
        as ``dtype`` says.
    """

    def __init__(self, batches, dtype, n_rows, valid=None, order=None, compute_dtype=None):
        self.batches = batches
        self.dtype = np.dtype(dtype)
        self.compute_dtype = None if compute_dtype is None else np.dtype(compute_dtype)
        self.n_rows = n_rows
        self.valid = valid
        self.order = order

    def row_of(self, position):
        """The row of X whose output is ``outputs[position]`` (the batches' concatenation)."""
        if self.order is not None:
            position = int(self.order[position])
        return int(np.flatnonzero(self.valid)[position]) if self.valid is not None else position

    def assemble(self, outputs, width):
        """One output row per row of X, from the batches' concatenated ``outputs``.

        ``width`` is the number of output columns (None: one value per row),
        needed when no row is valid.
        """
        if self.valid is None and self.order is None:
            return outputs
        shape = (self.n_rows,) if width is None else (self.n_rows, width)
        out = np.full(shape, np.nan, dtype=self.dtype)
        if len(outputs):
            in_order = np.empty_like(outputs)
            in_order[self.order if self.order is not None else slice(None)] = outputs
            out[self.valid if self.valid is not None else slice(None)] = in_order
        return out


class DataInput(BaseEstimator):
    """Base class of the input kinds (numeric matrices, SMILES, ...).

    Subclasses implement the methods below; the estimator calls nothing
    else.  The methods that read rows take ``owner``, the estimator whose
    data it is (scikit-learn's :func:`~sklearn.utils.validation.validate_data`
    records ``n_features_in_`` and ``feature_names_in_`` on it and names it
    in errors), and a :class:`Reading`: what the network needs and the
    estimator's row options.

    Attributes
    ----------
    kind : str
        Name of the kind, stored as the estimator's ``input_kind_``.
    default_hidden : tuple of int
        ``hidden_layer_sizes="auto"`` for this kind.
    missing_codes : bool
        Whether ``transform`` can give NaN rows (invalid inputs), so that
        ``inverse_transform`` must accept NaN codes.
    fitted_attributes : tuple of str
        Public fitted attributes (``mean_``, ``tokenizer_``...) that the
        estimator shows as its own.
    format_1_options : dict
        Options added since model files of format 1 (skcmim 0.1), with the
        value that reproduces how those models read their data.
    """

    kind: ClassVar[str] = ""
    default_hidden: ClassVar[tuple[int, ...]] = ()
    missing_codes: ClassVar[bool] = False
    fitted_attributes: ClassVar[tuple[str, ...]] = ()
    format_1_options: ClassVar[dict[str, Any]] = {}

    @classmethod
    def accepts(cls, X: Any) -> bool:
        """Whether ``input="auto"`` should read X (or a first chunk of it) as this kind."""
        return False

    # -- training data -------------------------------------------------------
    def setup(self, X: Any, owner: Any, seed: int, reading: Reading) -> Any:
        """Learn from the training data (a new fit) and return its network input."""
        raise NotImplementedError

    def setup_stream(self, source: Any, owner: Any, seed: int, reading: Reading) -> int:
        """Learn from one pass over a chunk source (a new streamed fit); return its number of rows."""
        raise NotImplementedError

    def training_input(self, X: Any, owner: Any, reading: Reading) -> Any:
        """Network input of more training data for a fitted input (continued fits, streamed chunks)."""
        raise NotImplementedError

    # -- inference -----------------------------------------------------------
    def inference_rows(self, X: Any, owner: Any, reading: Reading, *, scoring: bool = False) -> InferenceRows:
        """The rows of X as :class:`InferenceRows` for ``transform``, or with ``scoring`` for ``score``."""
        raise NotImplementedError

    def log_density_offset(self) -> float:
        """Added to the network's log-density to express it in the data's units."""
        return 0.0

    def fingerprint(self, X: Any) -> str:
        """A digest of X that two processes compare to check they hold the same data."""
        digest = hashlib.sha256()
        array = np.ascontiguousarray(np.asarray(X))
        digest.update(repr((array.shape, str(array.dtype))).encode())
        digest.update(array.tobytes() if array.dtype != object else repr(array.tolist()).encode())
        return digest.hexdigest()

    # -- network -------------------------------------------------------------
    def hidden_sizes(self, hidden_layer_sizes: Any) -> tuple[int, ...]:
        """The hidden widths the network gets for the ``hidden_layer_sizes`` parameter."""
        sizes = self.default_hidden if isinstance(hidden_layer_sizes, str) else hidden_layer_sizes
        return check_hidden_layer_sizes(sizes)

    def module_spec(
        self, role: str, n_components: int, hidden_layer_sizes: tuple[int, ...], **options: Any
    ) -> tuple[type, dict[str, Any]]:
        """``(module class, keyword arguments)`` of the network.

        ``role`` is ``"encoder_decoder"`` (MIM, cMIM, VAE, cVAE),
        ``"view_encoder"`` (InfoNCE: an encoder of augmented views; the
        augmentation ``options`` are the estimator's) or
        ``"view_encoder_decoder"`` (InfoNCE with a decoder).
        """
        raise NotImplementedError

    # -- decoding ------------------------------------------------------------
    def decode(self, Z: Any, run_batches: Any, *, sampling_temperature: float, random_state: Any) -> Any:
        """Data for codes ``Z``, with ``run_batches(batches, fn, dtype)`` running the decoder."""
        raise NotImplementedError

    # -- fitted state --------------------------------------------------------
    def fitted_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(arrays, values)`` for a model file: named float arrays and JSON-able values."""
        raise NotImplementedError

    def restore_fitted_state(
        self, arrays: dict[str, Any], values: dict[str, Any], *, n_features_in: int, seed: int
    ) -> DataInput:
        """Take the fitted state of a model file (the inverse of :meth:`fitted_state`).

        Called on an unfitted input with the file's parameters; checks every
        value before using it and raises a ``ValueError`` that names the
        value when one is out of place.  ``seed`` seeds whatever the input
        draws at random should the model train again.  Returns ``self``.
        """
        raise NotImplementedError


def check_hidden_layer_sizes(sizes):
    """``sizes`` as a tuple of positive ints, or a clear ValueError."""
    from numbers import Integral

    sizes = tuple(sizes)
    if not sizes or not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be one or more positive integers, got {sizes!r}.")
    return tuple(int(s) for s in sizes)
