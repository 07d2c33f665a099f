"""Pickle-free model files: safetensors weights plus JSON metadata.

One ``.safetensors`` file holds the network weights and the fitted arrays as
tensors, and in its (string-only) metadata header the estimator's class
name, parameters, fitted attributes, training history and package versions,
as JSON.  Loading parses only that: no pickle, no ``torch.load``, no import
of a class named by the file (the class must be one of skcmim's own
estimators, listed by name), so a crafted file cannot run code.

A crafted file cannot make :func:`load` allocate much either: everything is
checked before the network is built.  The file must be a regular file with
a bounded header; the metadata must be JSON of the expected types and
nesting; the parameters must pass the estimator's own constraints; the
fitted attributes must agree with each other and be finite; and the network
is first built on torch's ``meta`` device (shapes, no memory) and compared,
tensor by tensor, with the stored weights.

joblib/pickle files can run arbitrary code when loaded: only load them from
sources you trust.  ``save`` / :func:`load` are the safe format.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import platform
import reprlib
import stat
import struct
import warnings
from numbers import Integral

from typing import Any

import numpy as np
import sklearn
import torch

__all__ = ["FORMAT_VERSION", "load", "save"]

#: Version of the file layout written by :func:`save`; :func:`load` reads
#: files of this version or older.
FORMAT_VERSION = 1
_MAGIC = "skcmim"

# The estimator classes a model file may name, and the module defining each.
# A module is imported only when a file names one of its classes: estimators
# and baselines import this module, so it must not import them.
_ESTIMATOR_MODULES = {
    "MIMTransformer": "skcmim.estimators",
    "CMIMTransformer": "skcmim.estimators",
    "VAETransformer": "skcmim.baselines",
    "CVAETransformer": "skcmim.baselines",
    "InfoNCETransformer": "skcmim.baselines",
    "InfoNCEAETransformer": "skcmim.baselines",
}

# safetensors' own header limit.  The per-batch training history dominates
# the header (59 bytes a batch): 100 MB holds 1.7 million batches, about 135
# epochs of ZINC's 1.58 million training SMILES in batches of 128.  16 MB
# would hold only 22 such epochs, and save would write files load refuses.
_MAX_HEADER_BYTES = 100_000_000
# A saved model nests 4 deep (history -> epoch -> batches -> batch record).
_MAX_JSON_DEPTH = 32
# fit draws seeds below the int32 maximum (engine.draw_seed); RandomState needs < 2**32.
_MAX_SEED = int(np.iinfo(np.int32).max)
_NUMERIC_LIKELIHOODS = ("bernoulli", "gaussian")
_FITTED_ARRAYS = ("mean_", "scale_")
_META = torch.device("meta")


def _shown(value):
    """A short repr of a value read from a file (which may be huge or deeply nested)."""
    return reprlib.repr(value)


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _file_kind(mode):
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device node"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_regular(path, mode, action):
    if not stat.S_ISREG(mode):
        raise ValueError(f"{path} is {_file_kind(mode)}; skcmim {action} model files as regular files only.")


def _check_save_target(path):
    """An existing target must be a regular file: writing to a device node
    writes to the device, and writing to a FIFO blocks."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    _check_regular(path, mode, "writes")


def _check_header_bounds(path):
    """Check the file kind and the safetensors header length before anything
    parses the file: opening a FIFO blocks for ever, and the length (the
    first 8 bytes, little-endian) decides how much the parser reads."""
    _check_regular(path, os.stat(path).st_mode, "reads")
    # O_NONBLOCK: should the path become a FIFO after the stat, open returns at once
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        _check_regular(path, status.st_mode, "reads")
        prefix = handle.read(8)
    if len(prefix) < 8:
        raise ValueError(f"{path} is not a readable skcmim model file: {status.st_size} bytes, fewer than the "
                         f"8 of a safetensors header length.")
    (length,) = struct.unpack("<Q", prefix)
    if length > _MAX_HEADER_BYTES:
        raise ValueError(f"{path} is not a readable skcmim model file: its header claims {length} bytes, more "
                         f"than the {_MAX_HEADER_BYTES} a model file may have.")
    if 8 + length > status.st_size:
        raise ValueError(f"{path} is not a readable skcmim model file (truncated): its header claims {length} "
                         f"bytes, but the file has {status.st_size}.")


def _unreadable(path, exc):
    return ValueError(f"{path} is not a readable skcmim model file (truncated, tampered or another format): {exc}")


def _read_metadata(path):
    from safetensors import SafetensorError, safe_open

    _check_header_bounds(path)
    try:
        with safe_open(path, framework="pt") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from exc
    if metadata.get("format") != _MAGIC:
        raise ValueError(f"{path} is a safetensors file but not an skcmim model file.")
    return metadata


def _read_tensors(path):
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from exc


# ---------------------------------------------------------------------------
# Metadata JSON
# ---------------------------------------------------------------------------


def _json_depth(value):
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return deepest


def _json_field(path, metadata, field, kind, default=None):
    """Parse one metadata field and check that it is JSON of type ``kind``."""
    text = metadata.get(field, default)
    if text is None:
        raise ValueError(f"{path}: damaged skcmim metadata: the {field!r} field is missing.")
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise ValueError(f"{path}: damaged skcmim metadata: the {field!r} field nests too deeply.") from exc
    except ValueError as exc:
        raise ValueError(f"{path}: damaged skcmim metadata: the {field!r} field is not JSON ({exc}).") from exc
    if not isinstance(value, kind):
        raise ValueError(f"{path}: damaged skcmim metadata: the {field!r} field must be a JSON "
                         f"{'object' if kind is dict else 'array'}, got {_shown(value)}.")
    if _json_depth(value) > _MAX_JSON_DEPTH:
        raise ValueError(f"{path}: damaged skcmim metadata: the {field!r} field nests deeper than "
                         f"{_MAX_JSON_DEPTH} levels.")
    return value


def _format_version(path, metadata):
    try:
        version = int(metadata.get("format_version", ""))
    except ValueError as exc:
        raise ValueError(f"{path}: damaged skcmim metadata: format_version "
                         f"{_shown(metadata.get('format_version'))} is not an integer.") from exc
    if version < 1:
        raise ValueError(f"{path}: damaged skcmim metadata: format_version {version} does not exist.")
    return version


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_json_scalar(value):
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (bool, int, str))


def _check_param_values(path, params):
    """Parameters are JSON scalars or flat lists of them; the estimator checks their meaning."""
    for name, value in params.items():
        items = value if isinstance(value, list) else [value]
        if not all(_is_json_scalar(item) for item in items):
            raise ValueError(f"{path}: parameter {name}={_shown(value)} is not a finite JSON scalar or a list of "
                             f"them.")
    if params.get("callbacks") is not None:
        # save never stores callbacks (training-time objects)
        raise ValueError(f"{path}: parameter callbacks={_shown(params['callbacks'])}; a model file holds none.")


# ---------------------------------------------------------------------------
# Estimator class, parameters and device
# ---------------------------------------------------------------------------


def _estimator_class(path, name):
    if not isinstance(name, str) or name not in _ESTIMATOR_MODULES:
        raise ValueError(f"{path} names an unknown estimator class {_shown(name)}; known: "
                         f"{sorted(_ESTIMATOR_MODULES)}.")
    return getattr(importlib.import_module(_ESTIMATOR_MODULES[name]), name)


#: Parameters added after files were first written, with the value that reproduces how the models of
#: those files were trained (a newer default, such as cMIM's, must not change an old model on load).
_BEFORE_THE_PARAMETER_EXISTED = {"latent_scale": "none", "reconstruction": "sum", "contrastive_on": "z",
                                 "alphabet": "smiles", "kl_warmup_epochs": 0, "free_bits": 0.0,
                                 "isomeric": True}


def _configured_estimator(path, cls, params):
    """An unfitted ``cls`` with the file's parameters, checked by the estimator's own constraints."""
    estimator = cls()
    known = estimator.get_params(deep=False)
    params = {**{k: v for k, v in _BEFORE_THE_PARAMETER_EXISTED.items() if k in known}, **params}
    try:
        estimator.set_params(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
        estimator._validate_params()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: parameters not understood by this skcmim ({exc}).") from exc
    return estimator


def _load_device(device):
    """The torch device ``load`` puts the weights on, checked before any file is read."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"load(device={device!r}): not a torch device; use 'cpu', 'cuda', 'cuda:<index>' or "
                         f"'auto'.") from exc
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"load(device={device!r}): CUDA is not available here; use device='cpu'.")
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(f"load(device={device!r}): there is no CUDA device {resolved.index}; this machine "
                             f"has {count} (cuda:0 to cuda:{count - 1}).")
    elif resolved.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"load(device={device!r}): MPS is not available here; use device='cpu'.")
    elif resolved.type != "cpu":
        raise ValueError(f"load(device={device!r}): models load onto 'cpu', 'cuda' or 'mps', not "
                         f"{resolved.type!r}.")
    return resolved


# ---------------------------------------------------------------------------
# Fitted state and tensors
# ---------------------------------------------------------------------------


def _require(path, field, value, ok, expected):
    if not ok:
        raise ValueError(f"{path}: fitted {field} must be {expected}, got {_shown(value)}.")


def _in_range(value, low, high):
    return _is_int(value) and low <= value <= high


def _split_tensors(path, tensors):
    """``(fitted arrays as numpy, module weights)``; any other tensor is refused."""
    arrays, weights = {}, {}
    for key, tensor in tensors.items():
        group, _, name = key.partition(".")
        if group == "module":
            weights[name] = tensor
        elif group == "fitted" and name in _FITTED_ARRAYS:
            if tensor.dtype not in (torch.float32, torch.float64):
                raise ValueError(f"{path}: fitted {name} must be float32 or float64, got {tensor.dtype}.")
            arrays[name] = tensor.numpy()
        else:
            raise ValueError(f"{path}: unexpected tensor {_shown(key)}; a model file holds only module.* weights "
                             f"and the fitted arrays {_FITTED_ARRAYS}.")
    return arrays, weights


def _check_fitted_arrays(path, arrays, n_features, required):
    """``mean_`` and ``scale_``: both or neither (required for numeric models),
    finite vectors of ``n_features`` values, ``scale_ > 0``."""
    if not (required or arrays):
        return
    for name in _FITTED_ARRAYS:
        array = arrays.get(name)
        if array is None or array.shape != (n_features,):
            found = "no such tensor" if array is None else f"shape {array.shape}"
            raise ValueError(f"{path}: fitted {name} must be a vector of n_features_in_={n_features} values, got "
                             f"{found}.")
        bad = np.flatnonzero(~np.isfinite(array))
        if bad.size:
            raise ValueError(f"{path}: fitted {name} holds {array[bad[0]]} at index {bad[0]}; it must be finite.")
    bad = np.flatnonzero(arrays["scale_"] <= 0)
    if bad.size:
        raise ValueError(f"{path}: fitted scale_ holds {arrays['scale_'][bad[0]]} at index {bad[0]}; it must be "
                         f"positive.")


def _check_tokenizer_state(path, state, max_length):
    """The :meth:`SmilesTokenizer.to_dict` form: parameters, vocabulary, longest encoded length."""
    from . import molecules

    _require(path, "tokenizer_", state, isinstance(state, dict), "a JSON object")
    vocabulary = state.get("vocabulary")
    special = list(molecules.SPECIAL_TOKENS)
    _require(path, "tokenizer_ vocabulary", vocabulary,
             isinstance(vocabulary, list) and all(isinstance(token, str) for token in vocabulary)
             and vocabulary[: len(special)] == special and len(set(vocabulary)) == len(vocabulary),
             f"a list of distinct strings starting with {special}")
    _require(path, "tokenizer_ max_length", state.get("max_length"), _in_range(state.get("max_length"), 2, max_length),
             f"an integer in [2, {max_length}]")
    minimum = state.get("min_frequency", 1)
    _require(path, "tokenizer_ min_frequency", minimum, _is_int(minimum) and minimum >= 1, "a positive integer")
    alphabets = tuple(molecules.TOKENIZERS)
    alphabet = state.get("alphabet", "smiles")  # files written before SELFIES have none
    _require(path, "tokenizer_ alphabet", alphabet, alphabet in alphabets, f"one of {alphabets}")


def _check_molecular_state(path, fitted):
    from . import molecules

    # MAX_SMILES_LENGTH is being added to molecules; until then the same default
    longest = getattr(molecules, "MAX_SMILES_LENGTH", 4096) + 2
    _require(path, "max_length_", fitted.get("max_length_"), _in_range(fitted.get("max_length_"), 2, longest),
             f"an integer in [2, {longest}] (tokens plus <bos> and <eos>)")
    _check_tokenizer_state(path, fitted.get("tokenizer_"), longest)


def _check_fitted(path, estimator, fitted, arrays):
    """Fitted attributes agree in type, range and size, before any is used."""
    for name in ("n_features_in_", "feature_names_in_", "n_iter_", "seed"):
        if name not in fitted:
            raise ValueError(f"{path}: damaged skcmim metadata: fitted {name} is missing.")
    n_features = fitted["n_features_in_"]
    _require(path, "n_features_in_", n_features, _is_int(n_features) and n_features >= 1, "a positive integer")
    names = fitted["feature_names_in_"]
    _require(path, "feature_names_in_", names,
             names is None or (isinstance(names, list) and len(names) == n_features
                               and all(isinstance(n, str) for n in names)),
             f"null or a list of n_features_in_={n_features} strings")
    _require(path, "n_iter_", fitted["n_iter_"], _is_int(fitted["n_iter_"]) and fitted["n_iter_"] >= 0,
             "a non-negative integer")
    _require(path, "seed", fitted["seed"], _in_range(fitted["seed"], 0, _MAX_SEED), f"an integer in [0, {_MAX_SEED}]")
    kind = fitted.get("input_kind_", "numeric")
    _require(path, "input_kind_", kind, kind in ("numeric", "smiles"), "'numeric' or 'smiles'")
    # an estimator with a likelihood parameter resolves it to likelihood_ in fit;
    # an encoder without a decoder may store one (SMILES) or none
    likelihood = fitted.get("likelihood_")
    if likelihood is not None or "likelihood" in estimator.get_params(deep=False):
        likelihoods = ("categorical",) if kind == "smiles" else _NUMERIC_LIKELIHOODS
        _require(path, "likelihood_", likelihood, likelihood in likelihoods, f"one of {likelihoods} for a {kind} model")
    _check_fitted_arrays(path, arrays, n_features, required=kind == "numeric")
    if kind == "smiles":
        _check_molecular_state(path, fitted)


def _non_finite(tensors):
    """Name of the first floating-point tensor holding NaN or inf, or None."""
    for name, tensor in tensors.items():
        if (tensor.is_floating_point() or tensor.is_complex()) and not bool(torch.isfinite(tensor).all()):
            return name
    return None


def _check_layer_count(path, params, weights):
    # Every hidden layer stores at least one weight tensor; building a million
    # (empty) meta layers would still cost gigabytes of Python objects.
    sizes = params.get("hidden_layer_sizes")
    if isinstance(sizes, list) and len(sizes) > len(weights):
        raise ValueError(f"{path}: hidden_layer_sizes names {len(sizes)} layers, but the file holds only "
                         f"{len(weights)} weight tensors.")


def _dry_run(path, estimator, arrays, fitted, weights, history):
    """Restore a copy of ``estimator`` with its network on torch's meta device
    (shapes only, no memory), so that a file whose weights do not match its
    parameters is refused before real memory is allocated for the network."""
    from sklearn.base import clone

    probe = clone(estimator)
    try:
        with warnings.catch_warnings():
            # copying the stored values into meta tensors is a no-op: the point of a dry run
            warnings.filterwarnings("ignore", message=".*meta parameter.*", category=UserWarning)
            probe._restore_fitted_state(arrays, fitted, weights, history, _META)
    except Exception as exc:  # noqa: BLE001 - whatever fails to build, the file does not describe a model
        raise ValueError(f"{path}: weights or fitted state do not match {type(estimator).__name__} "
                         f"({type(exc).__name__}: {exc}).") from exc
    expected = probe.module_.state_dict()
    for name, tensor in weights.items():
        if tensor.dtype != expected[name].dtype:
            raise ValueError(f"{path}: weights or fitted state do not match {type(estimator).__name__}: tensor "
                             f"module.{name} is {tensor.dtype}, the network's is {expected[name].dtype}.")


# ---------------------------------------------------------------------------
# save and load
# ---------------------------------------------------------------------------


def _json_param(name, value):
    """Parameters that JSON can hold exactly; the rest is dropped on save."""
    if name == "callbacks":
        return None  # training-time objects (a list of them too): not part of a trained model
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    if value is None or isinstance(value, (bool, int, float, str, list)):
        return value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if name == "random_state":
        return None  # a RandomState or Generator: a training-time object
    raise TypeError(f"Parameter {name}={value!r} cannot be saved in a pickle-free model file.")


def save(estimator: Any, path: str | os.PathLike[str]) -> str:
    """Write a fitted estimator to ``path`` without pickle.

    Parameters
    ----------
    estimator : fitted skcmim estimator
    path : str or os.PathLike
        Target file, conventionally ending in ``.safetensors``.  An existing
        file there is replaced; a FIFO, device node or directory is refused.

    Returns
    -------
    path : str

    Raises
    ------
    ValueError
        ``path`` exists and is not a regular file; the weights hold NaN or
        inf; or the metadata (mostly the training history) is larger than a
        model file may be.  Nothing is written then.
    """
    from safetensors.torch import save_file
    from sklearn.utils.validation import check_is_fitted

    from ._version import __version__

    path = os.fspath(path)
    _check_save_target(path)
    check_is_fitted(estimator)
    params = {k: _json_param(k, v) for k, v in estimator.get_params(deep=False).items()}
    tensors = {f"module.{k}": v.detach().cpu().contiguous() for k, v in estimator.module_.state_dict().items()}
    arrays, fitted = estimator._fitted_state()
    tensors.update({f"fitted.{k}": torch.as_tensor(np.ascontiguousarray(v)) for k, v in arrays.items()})
    bad = _non_finite(tensors)
    if bad is not None:
        raise ValueError(f"{type(estimator).__name__} has NaN or infinite values in {bad}; load would refuse "
                         f"the file, so save does not write it.")
    metadata = {
        "format": _MAGIC,
        "format_version": str(FORMAT_VERSION),
        "estimator": type(estimator).__name__,
        "params": json.dumps(params),
        "fitted": json.dumps(fitted),
        "history": json.dumps(estimator.history_.to_list()),
        "versions": json.dumps({"skcmim": __version__, "torch": torch.__version__, "scikit-learn": sklearn.__version__,
                                "python": platform.python_version()}),
    }
    # the header also lists each tensor's name, dtype, shape and offsets
    header_bytes = len(json.dumps({"__metadata__": metadata})) + 200 * len(tensors)
    if header_bytes > _MAX_HEADER_BYTES:
        raise ValueError(f"The model's metadata takes about {header_bytes} bytes (mostly its training history), "
                         f"more than the {_MAX_HEADER_BYTES} a model file may hold.")
    save_file(tensors, path, metadata=metadata)
    return path


def load(path: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> Any:
    """Load an estimator written by :meth:`save` (no pickle involved).

    Everything the file holds is checked before the network is built, so a
    crafted file gives a ValueError instead of running code or allocating
    memory out of proportion to its size.

    Parameters
    ----------
    path : str or os.PathLike
        File written by ``estimator.save(path)``.
    device : str or torch.device, default="cpu"
        Where to put the weights (``"cuda"`` to encode on a GPU, ``"auto"``
        for CUDA when available).

    Returns
    -------
    estimator : fitted skcmim estimator
        Same class and parameters; ``transform`` gives the same output as the
        saved model (bit for bit on CPU).  Training callbacks and a
        ``random_state`` that was a ``RandomState`` instance are not stored.

    Raises
    ------
    FileNotFoundError
        There is no file at ``path``.
    ValueError
        ``device`` is not a device of this machine; ``path`` is not a regular
        file (a FIFO, device node or directory); the file is truncated,
        tampered, not an skcmim file, was written by a newer skcmim file
        format, or names an unknown estimator class; its metadata is not
        JSON of the expected types or nests too deeply; its parameters fail
        the estimator's constraints; its fitted attributes are inconsistent
        or non-finite; or its weights are non-finite or do not match the
        network the parameters describe.  The message names the file and
        the field.
    """
    path = os.fspath(path)
    device = _load_device(device)
    metadata = _read_metadata(path)
    version = _format_version(path, metadata)
    versions = _json_field(path, metadata, "versions", dict, default="{}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by skcmim {_shown(versions.get('skcmim', '?'))} in file format {version}; this "
            f"skcmim reads formats up to {FORMAT_VERSION}. Upgrade skcmim to load it."
        )
    params = _json_field(path, metadata, "params", dict)
    fitted = _json_field(path, metadata, "fitted", dict)
    history = _json_field(path, metadata, "history", list)
    if not all(isinstance(record, dict) for record in history):
        raise ValueError(f"{path}: damaged skcmim metadata: the 'history' field must be a list of JSON objects.")
    _check_param_values(path, params)
    estimator = _configured_estimator(path, _estimator_class(path, metadata.get("estimator")), params)
    arrays, weights = _split_tensors(path, _read_tensors(path))
    _check_fitted(path, estimator, fitted, arrays)
    bad = _non_finite(weights)
    if bad is not None:
        raise ValueError(f"{path}: weight tensor module.{bad} holds NaN or infinite values.")
    _check_layer_count(path, params, weights)
    _dry_run(path, estimator, arrays, fitted, weights, history)
    estimator._restore_fitted_state(arrays, fitted, weights, history, device)
    return estimator
