"""Numeric matrices (tabular data, flattened images): validation and scaling.

Gaussian models and the InfoNCE encoder see standardised features
(``mean_``, ``scale_``); Bernoulli models see the raw values in [0, 1].
"""

import hashlib
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.sparsefuncs import mean_variance_axis, min_max_axis
from sklearn.utils.validation import validate_data

from .._parameters import StrOptions, param, parameters
from ..networks import AugmentedEncoder, AugmentedEncoderDecoder, EncoderDecoder, augmentation_names
from ..training.data import RowStore
from .base import DataInput, InferenceRows, Reading, register_input_kind

#: The views of ``augmentation="auto"`` on numeric data: SCARF, chosen on a validation split
#: (``benchmarks/claims/tuning.py``: InfoNCE and InfoNCE with a decoder, against Gaussian noise and shifts).
AUTO_AUGMENTATION = ("scarf",)

__all__ = ["FeatureStats", "NumericInput", "SparseRows"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Rows encoded per forward pass in transform/score; memory-bound, not accuracy-bound.
INFERENCE_BATCH = 4096
# ... and at most this many input values (a wide sparse matrix densifies one batch at a time).
INFERENCE_ELEMENTS = 1 << 22


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
        """Statistics of one array (or scipy sparse matrix) of rows."""
        if sp.issparse(X):
            mean, variance = mean_variance_axis(X.astype(np.float64), axis=0)
            low, high = min_max_axis(X, axis=0)
            return cls(X.shape[0], mean, variance * X.shape[0], low, high, X.dtype)
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


def _unmasked(X):
    """The data of a numpy masked array, which must have no masked value."""
    if not np.ma.isMaskedArray(X):
        return X
    mask = np.ma.getmaskarray(X)
    if mask.any():
        row, *column = np.argwhere(mask)[0]
        where = f"row {row}, column {column[0]}" if column else f"row {row}"
        raise ValueError(
            f"X is a masked array with {int(mask.sum())} masked values (the first at {where}); skcmim does not "
            f"ignore masked values. Impute them (e.g. sklearn.impute.SimpleImputer on X.filled(np.nan)) or "
            f"drop those rows."
        )
    return np.ma.getdata(X)


def _ragged_row(X):
    """Where a list of rows stops being a matrix (``"row 3 has 2 values where row 0 has 4"``), or None."""
    if not isinstance(X, (list, tuple)):
        return None

    def width(row):
        return len(row) if isinstance(row, (list, tuple, np.ndarray)) else None

    def values(n):
        return "a single value" if n is None else f"{n} value{'' if n == 1 else 's'}"

    first = width(X[0]) if len(X) else None
    for index, row in enumerate(X):
        if width(row) != first:
            return f"row {index} holds {values(width(row))} where row 0 holds {values(first)}"
    return None


def _check_column_dtypes(X, name):
    """DataFrame columns of dates, periods, intervals or categories are not numbers: name the column."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    for column, dtype in zip(X.columns, dtypes):
        kind = getattr(dtype, "kind", "O")
        text = str(dtype)
        if kind in "mM" or text.startswith(("period", "interval", "category", "datetime", "timedelta")):
            raise ValueError(
                f"{name} expects numeric columns, but column {column!r} has dtype {text}. Convert it to numbers "
                f"first (for example with a ColumnTransformer), or drop it."
            )


def _check_array_kind(X, name):
    """Arrays that are not numbers (dates, times) or that numpy cannot take (tensors needing gradients)."""
    if isinstance(X, torch.Tensor) and X.requires_grad:
        raise TypeError(
            f"{name} got a torch tensor that requires gradients; pass X.detach() (skcmim trains its own network "
            f"and never backpropagates into X)."
        )
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "mM":
        raise ValueError(
            f"{name} expects a numeric matrix, but X has dtype {dtype} (dates or times). Convert them to numbers "
            f"first (for example seconds since an origin), or drop them."
        )


def _is_missing_value(value):
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is optional
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _locate_bad_cell(X):
    """Return ``(row, column, value)`` of the first cell that is not a finite number, or None."""
    try:
        array = np.asarray(X, dtype=object)
    except Exception:  # noqa: BLE001 - an object numpy cannot even hold: leave the original error
        return None
    if array.ndim != 2 or any(isinstance(value, complex | np.complexfloating) for value in array.flat):
        return None  # scikit-learn's own error says complex data is not supported
    for (row, column), value in np.ndenumerate(array):
        try:
            if np.isfinite(float(value)):
                continue
        except (TypeError, ValueError, OverflowError):
            pass
        return row, column, value
    return None


def row_slices(array, size=INFERENCE_BATCH):
    """``array`` (or a sparse matrix) in consecutive blocks of ``size`` rows."""
    return [array[start : start + size] for start in range(0, array.shape[0], size)]


class SparseRows(RowStore):
    """A scipy sparse matrix of training rows, densified and standardised one batch at a time.

    Parameters
    ----------
    X : scipy.sparse matrix of shape (n_samples, n_features), CSR
    to_network : callable
        Dense rows -> standardised float32 network input.
    device : torch.device or str, default="cpu"
        Where batches are placed.
    """

    def __init__(self, X, to_network, device="cpu"):
        self.X = sp.csr_matrix(X)
        self.to_network = to_network
        self._device = torch.device(device)

    def __len__(self):
        return self.X.shape[0]

    @property
    def device(self):
        return self._device

    def to(self, device):
        return SparseRows(self.X, self.to_network, device)

    def take(self, index):
        rows = self.X[np.asarray(torch.as_tensor(index).cpu())].toarray()
        return torch.as_tensor(self.to_network(rows, np.float32), device=self._device)

    def subset(self, index):
        return SparseRows(self.X[np.asarray(torch.as_tensor(index).cpu())], self.to_network, self._device)

    @classmethod
    def cat(cls, parts):
        return SparseRows(sp.vstack([part.X for part in parts], format="csr"), parts[0].to_network, parts[0].device)


@register_input_kind
@parameters
class NumericInput(DataInput):
    """A numeric matrix of shape (n_samples, n_features): tabular data, flattened images.

    The features are float32 or float64 (the output follows X's dtype);
    scipy sparse matrices are densified one batch at a time.  Models with
    a decoder reconstruct X with a Bernoulli likelihood (data in [0, 1],
    such as images scaled to it: the network sees the raw values) or a
    Gaussian one with a noise scale per feature (the network sees
    standardised features, ``mean_`` and ``scale_``); an encoder without a
    decoder (InfoNCE) always sees standardised features.

    Attributes
    ----------
    likelihood_ : str
        Resolved likelihood, ``"bernoulli"`` or ``"gaussian"`` (models with
        a decoder only).
    mean_ : ndarray of shape (n_features,)
        Feature means removed before the network (zeros for Bernoulli).
    scale_ : ndarray of shape (n_features,)
        Feature scales divided out before the network (ones for Bernoulli).

    Examples
    --------
    >>> from skcmim import CMIMTransformer, NumericInput
    >>> model = CMIMTransformer(input=NumericInput(likelihood="gaussian"))
    """

    likelihood: str = param(
        "auto",
        [StrOptions({"auto", "bernoulli", "gaussian"})],
        '{"auto", "bernoulli", "gaussian"}',
        '``"auto"`` picks Bernoulli when all of the training data lies in [0, 1] and Gaussian otherwise.  '
        "Models without a decoder ignore it.",
    )

    kind = "numeric"
    default_hidden = (512, 512)
    fitted_attributes = ("mean_", "scale_", "likelihood_")

    # -- validation ------------------------------------------------------------
    def validate(self, X: Any, owner: Any, *, reset: bool) -> Any:
        """X as a float32/float64 array, checked (and, with ``reset``, its width learnt on ``owner``)."""
        name = type(owner).__name__
        X = _unmasked(X)
        _check_column_dtypes(X, name)
        _check_array_kind(X, name)
        try:
            X = validate_data(owner, X, reset=reset, dtype=[np.float64, np.float32], accept_sparse="csr")
        except (TypeError, ValueError, OverflowError) as exc:
            ragged = _ragged_row(X) if "inhomogeneous" in str(exc) else None
            if ragged is not None:
                raise ValueError(f"{name} expects a numeric matrix, but X is ragged: {ragged}.") from exc
            # only errors about a cell's value get its place; others (feature names, shapes) stand
            about_a_value = isinstance(exc, (TypeError, OverflowError)) or any(
                word in str(exc) for word in ("convert", "NaN", "infinity")
            )
            cell = _locate_bad_cell(X) if about_a_value else None
            if cell is None:
                raise
            row, column, value = cell
            if _is_missing_value(value) or isinstance(value, (float, np.floating)):
                raise ValueError(
                    f"{name} expects a numeric matrix without NaN or infinity, but row {row}, column {column} "
                    f"holds {value!r}. Impute missing values (e.g. sklearn.impute.SimpleImputer) or drop the row."
                ) from exc
            # the same type as the conversion's error (TypeError for objects, ValueError for strings and numbers
            # beyond the float range)
            raise (TypeError if isinstance(exc, TypeError) else ValueError)(
                f"{name} expects a numeric matrix, but row {row}, column {column} holds {value!r} ({exc})"
            ) from exc
        if X.dtype == np.float64 and _abs_max(X) > _FLOAT32_MAX:
            row = int(np.argmax(_abs_max(X, axis=1) > _FLOAT32_MAX))
            raise ValueError(
                f"Row {row} of X holds values beyond the float32 range (|x| > {_FLOAT32_MAX:.3g}), "
                f"which the float32 network cannot represent; rescale the features."
            )
        return X

    # -- set-up ----------------------------------------------------------------
    def setup(self, X: Any, owner: Any, seed: int, reading: Reading) -> Any:
        X = self.validate(X, owner, reset=True)
        self._learn(FeatureStats.of(X), reading.decoder)
        return self._training_rows(X)

    def _training_rows(self, X):
        """The network input of validated rows: standardised float32, densified per batch if sparse."""
        return SparseRows(X, self.to_network) if sp.issparse(X) else self.to_network(X, np.float32)

    def setup_stream(self, source: Any, owner: Any, seed: int, reading: Reading) -> int:
        from ..streaming import chunk_errors

        stats = None
        for index, chunk in enumerate(source):
            with chunk_errors(index, source):
                chunk_stats = FeatureStats.of(self.validate(chunk, owner, reset=index == 0))
            stats = chunk_stats if stats is None else stats.merge(chunk_stats)
        if stats is None:
            raise ValueError(f"{source!r} yielded no data to fit.")
        self._learn(stats, reading.decoder)
        return stats.n

    def _learn(self, stats, decoder):
        """Likelihood and feature scaling from the training data's statistics."""
        self.n_features_ = len(stats.mean)
        resolved = _resolve_likelihood(self.likelihood, stats) if decoder else None
        if resolved == "bernoulli":  # Bernoulli decoders see the raw values in [0, 1]
            self.mean_, self.scale_ = np.zeros(self.n_features_), np.ones(self.n_features_)
        else:
            self.mean_, self.scale_ = _standardisation(stats)
        if resolved is not None:  # an encoder without a decoder has no likelihood_
            self.likelihood_ = resolved

    def training_input(self, X: Any, owner: Any, reading: Reading) -> Any:
        X = self.validate(X, owner, reset=False)
        self._check_bernoulli_range(X)
        return self._training_rows(X)

    def _check_bernoulli_range(self, X):
        """A Bernoulli model trains on and scores data in [0, 1] only (its density is 0 outside)."""
        if getattr(self, "likelihood_", None) == "bernoulli":
            _check_unit_interval(*_value_range(X))

    # -- scaling ---------------------------------------------------------------
    def to_network(self, X: Any, dtype: Any = None) -> Any:
        """Standardised network input, in ``dtype`` (default: X's own).

        Computed in float64: ``X - mean_`` of float32 values near the float32
        limit overflows in float32.
        """
        out = X.astype(np.float64)  # a copy, standardised in place
        out -= self.mean_
        out /= self.scale_
        with np.errstate(over="ignore"):  # an overflow to float32 is reported by the estimator, with its row
            return out.astype(dtype or X.dtype, copy=False)

    def from_network(self, X: Any, dtype: Any) -> Any:
        """Undo the standardisation; values beyond ``dtype``'s range are clipped to it."""
        limit = np.finfo(dtype).max
        return np.clip(X.astype(np.float64) * self.scale_ + self.mean_, -limit, limit).astype(dtype)

    # -- inference -------------------------------------------------------------
    def inference_rows(self, X: Any, owner: Any, reading: Reading, *, scoring: bool = False) -> InferenceRows:
        X = self.validate(X, owner, reset=False)
        if scoring:
            self._check_bernoulli_range(X)
        # standardised (and densified) one batch at a time, as the forward passes ask for them
        size = int(np.clip(INFERENCE_ELEMENTS // max(1, X.shape[1]), 1, INFERENCE_BATCH))
        batches = (self.to_network(_dense(rows)) for rows in row_slices(X, size))
        return InferenceRows(batches, X.dtype, X.shape[0])

    def fingerprint(self, X: Any) -> str:
        if not sp.issparse(X):
            return super().fingerprint(X.to_numpy() if hasattr(X, "to_numpy") else X)
        X = sp.csr_matrix(X)
        digest = hashlib.sha256(repr((X.shape, str(X.dtype))).encode())
        for part in (X.indptr, X.indices, X.data):
            digest.update(np.ascontiguousarray(part).tobytes())
        return digest.hexdigest()

    def log_density_offset(self) -> float:
        # the network sees x / scale_: densities in the original units divide by it
        return -float(np.log(self.scale_).sum())

    # -- network ---------------------------------------------------------------
    def module_spec(
        self, role: str, n_components: int, hidden_layer_sizes: tuple[int, ...], **options: Any
    ) -> tuple[type, dict[str, Any]]:
        sizes = {"n_features": self.n_features_, "n_components": n_components, "hidden_layer_sizes": hidden_layer_sizes}
        if role == "view_encoder":
            return AugmentedEncoder, {**sizes, **self._view_options(options)}
        if not hasattr(self, "likelihood_"):
            raise ValueError("fitted likelihood_ is missing; a numeric model with a decoder has one.")
        spec = {**sizes, "likelihood": self.likelihood_}
        if role == "view_encoder_decoder":
            return AugmentedEncoderDecoder, {**spec, **self._view_options(options)}
        return EncoderDecoder, spec

    def _view_options(self, options):
        """The estimator's view options, and the standardisation that ``"shift"`` undoes to move pixels."""
        if options.get("augmentation") == "auto":
            options = {**options, "augmentation": AUTO_AUGMENTATION}
        if "shift" not in augmentation_names(options.get("augmentation", "noise")):
            return options
        return {
            **options,
            "feature_mean": tuple(map(float, self.mean_)),
            "feature_scale": tuple(map(float, self.scale_)),
        }

    # -- decoding --------------------------------------------------------------
    def decode(self, Z: Any, run_batches: Any, *, sampling_temperature: float, random_state: Any) -> Any:
        if sampling_temperature:
            raise ValueError("sampling_temperature applies to SMILES models only; numeric models decode E[x | z].")
        decoded = run_batches(row_slices(Z), _decode_mean, Z.dtype)
        return self.from_network(decoded, Z.dtype)

    # -- fitted state ------------------------------------------------------------
    def fitted_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        values = {"likelihood_": self.likelihood_} if hasattr(self, "likelihood_") else {}
        return {"mean_": self.mean_, "scale_": self.scale_}, values

    def restore_fitted_state(
        self, arrays: dict[str, Any], values: dict[str, Any], *, n_features_in: int, seed: int
    ) -> DataInput:
        for name in ("mean_", "scale_"):
            _check_fitted_vector(name, arrays.get(name), n_features_in)
        bad = np.flatnonzero(arrays["scale_"] <= 0)
        if bad.size:
            raise ValueError(f"fitted scale_ holds {arrays['scale_'][bad[0]]} at index {bad[0]}; it must be positive.")
        unexpected = set(arrays) - {"mean_", "scale_"} or set(values) - {"likelihood_"}
        if unexpected:
            raise ValueError(f"unexpected fitted state {sorted(unexpected)} for numeric input.")
        likelihood = values.get("likelihood_")
        if likelihood is not None and likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(
                f"fitted likelihood_ must be 'bernoulli' or 'gaussian' for numeric input, got {likelihood!r}."
            )
        self.mean_, self.scale_ = arrays["mean_"], arrays["scale_"]
        self.n_features_ = int(n_features_in)
        if likelihood is not None:
            self.likelihood_ = likelihood
        return self


def _check_fitted_vector(name, array, n_features):
    """A fitted array of a model file: a finite vector of ``n_features`` values."""
    if array is None or array.shape != (n_features,):
        found = "no such tensor" if array is None else f"shape {array.shape}"
        raise ValueError(f"fitted {name} must be a vector of n_features_in_={n_features} values, got {found}.")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(f"fitted {name} holds {array[bad[0]]} at index {bad[0]}; it must be finite.")


def _dense(rows):
    return rows.toarray() if sp.issparse(rows) else rows


def _abs_max(X, axis=None):
    """Largest absolute value (per row with ``axis=1``) of an array or sparse matrix."""
    if sp.issparse(X):
        found = abs(X).max(axis=axis)
        return found.toarray().ravel() if axis is not None else found
    return np.abs(X).max(axis=axis, initial=0.0)


def _value_range(X):
    """``(low, high)`` arguments of :func:`_check_unit_interval` for all of X."""
    return (X.min(), X.max()) if sp.issparse(X) else (X, X)


def _decode_mean(module, codes):
    return module.decode(codes)


def _standardisation(stats):
    """``(mean, scale)`` that standardise the features.

    A feature is constant when its variance is within the rounding error of
    its computation (scikit-learn's ``StandardScaler`` rule), so features of
    a tiny but real spread are kept.  A constant feature's mean carries a
    rounding error relative to its size (2048 at 1.8e19); dividing by that
    size keeps the centred value near 0 instead of feeding the error to the
    network.
    """
    eps, n = np.finfo(np.float64).eps, stats.n
    variance = stats.m2 / n
    constant = variance <= n * eps * variance + (n * stats.mean * eps) ** 2
    scale = np.sqrt(variance)
    magnitude = np.maximum(1.0, np.abs(stats.mean))
    scale[constant] = magnitude[constant]
    return stats.mean, scale


def _check_unit_interval(low, high):
    if not _in_unit_interval(low, high):
        raise ValueError(
            "NumericInput(likelihood='bernoulli') needs data in [0, 1]; scale X (for example with "
            "MinMaxScaler) or use NumericInput(likelihood='gaussian')."
        )


def _resolve_likelihood(likelihood, stats):
    """The decoder likelihood for the ``likelihood`` parameter."""
    if likelihood == "auto":
        return "bernoulli" if stats.in_unit_interval() else "gaussian"
    if likelihood == "bernoulli":
        _check_unit_interval(stats.low, stats.high)
    return likelihood
