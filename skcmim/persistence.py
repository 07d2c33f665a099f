"""Pickle-free model files: safetensors weights plus JSON metadata.

One ``.safetensors`` file holds the network weights and the fitted arrays as
tensors, and in its (string-only) metadata header the estimator's class
name, parameters, fitted attributes, training history and package versions,
as JSON.  Loading parses only that: no pickle, no ``torch.load``, no import
of a class named by the file (the class must be one of skcmim's own
estimators, listed by name), so a crafted file cannot run code.

A crafted file cannot make :func:`load` allocate much either: everything is
checked before the network is built.  The file must be a regular file with
a bounded header; it is read into memory once and those bytes are parsed
(:func:`skcmim.pretrained.load` parses the very bytes whose SHA-256 it
checked); the metadata must be JSON of the expected types and
nesting; the parameters must pass the estimator's own constraints; the
fitted attributes must agree with each other and be finite; and the network
is first built on torch's ``meta`` device (shapes, no memory) and compared,
tensor by tensor, with the stored weights.

:func:`save` writes beside the target under a temporary name and renames
the complete file onto it, so a failed save (a missing folder, a full disk,
an interrupt) raises OSError (or the interrupt) and leaves no partial file.

joblib/pickle files can run arbitrary code when loaded: only load them from
sources you trust.  ``save`` / :func:`load` are the safe format.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import os
import platform
import reprlib
import stat
import struct
import tempfile
import warnings
from numbers import Integral
from typing import Any

import numpy as np
import sklearn
import torch

__all__ = ["FORMAT_VERSION", "load", "save"]

#: Version of the file layout written by :func:`save`; :func:`load` reads
#: files of this version or older.  Version 2 (skcmim 0.2) stores the input
#: object (its kind, parameters and fitted state) apart from the estimator's;
#: version 1 (0.1) stored the input's options among the estimator's
#: parameters and its fitted state among the estimator's.
FORMAT_VERSION = 2
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
_META = torch.device("meta")
# What a file of format 2 holds in its "fitted" field besides the input's fitted state.
_FITTED_FIELDS = ("n_features_in_", "feature_names_in_", "n_iter_", "seed", "input_kind_", "input")


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


def _read_file(path, limit=None):
    """The bytes of the regular file ``path``, read once: what is checked is what is parsed.

    A FIFO, device node or directory is refused before it is read (opening a
    FIFO would block for ever); with ``limit``, at most ``limit + 1`` bytes
    are read, so that a longer file is seen to be longer without being read
    whole.
    """
    _check_regular(path, os.stat(path).st_mode, "reads")
    # O_NONBLOCK: should the path become a FIFO after the stat, open returns at once
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(descriptor, "rb") as handle:
        _check_regular(path, os.fstat(handle.fileno()).st_mode, "reads")
        return handle.read() if limit is None else handle.read(limit + 1)


def _header_length(data, source):
    """The safetensors header length (the first 8 bytes, little-endian), checked against the
    bound and the file's size before anything parses the header."""
    if len(data) < 8:
        raise ValueError(
            f"{source} is not a readable skcmim model file: {len(data)} bytes, fewer than the "
            f"8 of a safetensors header length."
        )
    (length,) = struct.unpack("<Q", data[:8])
    if length > _MAX_HEADER_BYTES:
        raise ValueError(
            f"{source} is not a readable skcmim model file: its header claims {length} bytes, more "
            f"than the {_MAX_HEADER_BYTES} a model file may have."
        )
    if 8 + length > len(data):
        raise ValueError(
            f"{source} is not a readable skcmim model file (truncated): its header claims {length} "
            f"bytes, but the file has {len(data)}."
        )
    return length


def _unreadable(source, exc):
    return ValueError(f"{source} is not a readable skcmim model file (truncated, tampered or another format): {exc}")


def _read_metadata(data, source):
    """The string-to-string metadata of a safetensors file's bytes (its header's ``__metadata__``)."""
    length = _header_length(data, source)
    try:
        header = json.loads(data[8 : 8 + length].decode("utf-8"))
    except RecursionError as exc:
        raise _unreadable(source, "its header nests too deeply") from exc
    except ValueError as exc:  # not UTF-8, not JSON
        raise _unreadable(source, exc) from exc
    metadata = header.get("__metadata__", {}) if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or not all(isinstance(value, str) for value in metadata.values()):
        raise _unreadable(source, "its header is not a safetensors header with string metadata")
    if metadata.get("format") != _MAGIC:
        raise ValueError(f"{source} is a safetensors file but not an skcmim model file.")
    return metadata


def _read_tensors(data, source):
    from safetensors import SafetensorError
    from safetensors.torch import load as tensors_of

    try:
        return tensors_of(data)
    except (SafetensorError, OSError, ValueError) as exc:
        raise _unreadable(source, exc) from exc


def _new_file_mode(path):
    """Permissions for a file written at ``path``: those of the file it replaces, else what ``open`` gives."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)  # the only way to read it
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def _replacing(path, mode="wb", **open_kwargs):
    """A file object whose contents replace ``path`` only once all are written.

    It writes to a temporary file beside ``path`` (the target of a symbolic
    link), which is flushed to disk and renamed onto ``path``
    (:func:`os.replace`, atomic) when the ``with`` block ends normally.  On
    any exception, an interrupt included, the temporary file is removed and
    whatever was at ``path`` is left as it was, so a reader sees the old
    file or the new one, never part of one.

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist.
    OSError
        If the file cannot be written (permissions, a full disk).
    """
    target = os.path.realpath(os.fspath(path))
    folder, name = os.path.split(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"There is no folder {folder} to write {name} in.")
    permissions = _new_file_mode(target)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, mode, **open_kwargs) as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), permissions)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


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
        raise ValueError(
            f"{path}: damaged skcmim metadata: the {field!r} field must be a JSON "
            f"{'object' if kind is dict else 'array'}, got {_shown(value)}."
        )
    if _json_depth(value) > _MAX_JSON_DEPTH:
        raise ValueError(
            f"{path}: damaged skcmim metadata: the {field!r} field nests deeper than {_MAX_JSON_DEPTH} levels."
        )
    return value


def _format_version(path, metadata):
    try:
        version = int(metadata.get("format_version", ""))
    except ValueError as exc:
        raise ValueError(
            f"{path}: damaged skcmim metadata: format_version "
            f"{_shown(metadata.get('format_version'))} is not an integer."
        ) from exc
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
            raise ValueError(f"{path}: parameter {name}={_shown(value)} is not a finite JSON scalar or a list of them.")
    if params.get("callbacks") is not None:
        # save never stores callbacks (training-time objects)
        raise ValueError(f"{path}: parameter callbacks={_shown(params['callbacks'])}; a model file holds none.")


# ---------------------------------------------------------------------------
# Estimator class, parameters and device
# ---------------------------------------------------------------------------


def _estimator_class(path, name):
    if not isinstance(name, str) or name not in _ESTIMATOR_MODULES:
        raise ValueError(
            f"{path} names an unknown estimator class {_shown(name)}; known: {sorted(_ESTIMATOR_MODULES)}."
        )
    return getattr(importlib.import_module(_ESTIMATOR_MODULES[name]), name)


#: Parameters added after files of format 1 were first written, with the value that reproduces how the models
#: of those files were trained (a newer default, such as cMIM's, must not change an old model on load).
_BEFORE_THE_PARAMETER_EXISTED = {
    "latent_scale": "none",
    "reconstruction": "sum",
    "contrastive_on": "z",
    "kl_warmup_epochs": 0,
    "free_bits": 0.0,
    "augmentation": "noise",
    "reconstruction_weight": 1.0,
}
#: Parameters renamed since format 1: old name -> new name.
_RENAMED = {"temperature": "contrastive_temperature"}


def _legacy_params(cls, params, kind):
    """The parameters of a format-1 file as this skcmim takes them: the input's options on an input object."""
    from .inputs import input_of_flat_parameters

    known = cls().get_params(deep=False)
    params = {**{k: v for k, v in _BEFORE_THE_PARAMETER_EXISTED.items() if k in known}, **params}
    for old, new in _RENAMED.items():
        if old in params and new in known and new not in params:
            params[new] = params.pop(old)
    flat = {
        name: params.pop(name)
        for name in ("input_kind", "likelihood", "alphabet", "canonical", "isomeric", "max_length")
        if name in params
    }
    flat["input_kind"] = kind
    from .inputs import INPUT_KINDS

    if kind not in INPUT_KINDS:
        raise ValueError(f"input_kind_ must be one of {sorted(INPUT_KINDS)}, got {_shown(kind)}.")
    return {**params, "input": input_of_flat_parameters(flat, None, format_1=True)}


def _input_of_file(path, value):
    """The (unfitted) input object a format-2 file describes: ``{"kind": ..., "params": {...}}``."""
    from .inputs import input_from_file

    if not (isinstance(value, dict) and isinstance(value.get("kind"), str) and isinstance(value.get("params"), dict)):
        raise ValueError(
            f"{path}: parameter input must be a JSON object with a 'kind' and 'params', got {_shown(value)}."
        )
    _check_param_values(path, value["params"])
    try:
        return input_from_file(
            value["kind"], {k: tuple(v) if isinstance(v, list) else v for k, v in value["params"].items()}
        )
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


def _configured_estimator(path, cls, params, version, kind):
    """An unfitted ``cls`` with the file's parameters, checked by the estimator's own constraints."""
    from ._parameters import validate_parameters

    try:
        if version == 1:
            params = _legacy_params(cls, params, kind)
        elif params.get("input") != "auto":
            params = {**params, "input": _input_of_file(path, params.get("input"))}
        estimator = cls().set_params(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
        validate_parameters(estimator)
        if not isinstance(estimator.input, str):
            validate_parameters(estimator.input)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: parameters not understood by this skcmim ({exc}).") from exc
    return estimator


def _load_device(device):
    """The torch device ``load`` puts the weights on, checked before any file is read."""
    from .device import resolve_device

    return resolve_device(device)


# ---------------------------------------------------------------------------
# Fitted state and tensors
# ---------------------------------------------------------------------------


def _require(path, field, value, ok, expected):
    if not ok:
        raise ValueError(f"{path}: fitted {field} must be {expected}, got {_shown(value)}.")


def _in_range(value, low, high):
    return _is_int(value) and low <= value <= high


def _split_tensors(path, tensors, prefix):
    """``(the input's fitted arrays as numpy, module weights)``; any other tensor is refused."""
    arrays, weights = {}, {}
    for key, tensor in tensors.items():
        group, _, name = key.partition(".")
        if group == "module":
            weights[name] = tensor
        elif group == prefix:
            if tensor.dtype not in (torch.float32, torch.float64):
                raise ValueError(f"{path}: fitted {name} must be float32 or float64, got {tensor.dtype}.")
            arrays[name] = tensor.numpy()
        else:
            raise ValueError(
                f"{path}: unexpected tensor {_shown(key)}; a model file holds only module.* weights "
                f"and the input's {prefix}.* arrays."
            )
    return arrays, weights


def _check_fitted(path, fitted, version):
    """The estimator's own fitted values agree in type and range; returns the input's fitted values."""
    for name in ("n_features_in_", "feature_names_in_", "n_iter_", "seed"):
        if name not in fitted:
            raise ValueError(f"{path}: damaged skcmim metadata: fitted {name} is missing.")
    n_features = fitted["n_features_in_"]
    _require(path, "n_features_in_", n_features, _is_int(n_features) and n_features >= 1, "a positive integer")
    names = fitted["feature_names_in_"]
    _require(
        path,
        "feature_names_in_",
        names,
        names is None
        or (isinstance(names, list) and len(names) == n_features and all(isinstance(n, str) for n in names)),
        f"null or a list of n_features_in_={n_features} strings",
    )
    _require(
        path,
        "n_iter_",
        fitted["n_iter_"],
        _is_int(fitted["n_iter_"]) and fitted["n_iter_"] >= 0,
        "a non-negative integer",
    )
    _require(path, "seed", fitted["seed"], _in_range(fitted["seed"], 0, _MAX_SEED), f"an integer in [0, {_MAX_SEED}]")
    if version == 1:  # the input's fitted values stood beside the estimator's
        return None, {key: value for key, value in fitted.items() if key not in _FITTED_FIELDS}
    unexpected = set(fitted) - set(_FITTED_FIELDS)
    _require(path, "fields", sorted(unexpected), not unexpected, f"among {_FITTED_FIELDS}")
    value = fitted.get("input")
    _require(
        path,
        "input",
        value,
        isinstance(value, dict) and set(value) == {"params", "state"} and isinstance(value["state"], dict),
        "a JSON object with 'params' and 'state'",
    )
    return value["params"], value["state"]


def _restored_input(path, estimator, arrays, input_params, values, fitted):
    """The fitted input: the input the file describes (format 1: the estimator's), its state checked by its kind."""
    from sklearn.base import clone

    kind = fitted.get("input_kind_", "numeric")
    if input_params is None:
        input_ = clone(estimator.input)
    else:
        input_ = _input_of_file(path, {"kind": kind, "params": input_params})
    _require(path, "input_kind_", kind, kind == input_.kind, f"{input_.kind!r}, the kind of the input parameter")
    try:
        return input_.restore_fitted_state(
            arrays, values, n_features_in=fitted["n_features_in_"], seed=fitted["seed"] + fitted["n_iter_"]
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


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
        raise ValueError(
            f"{path}: hidden_layer_sizes names {len(sizes)} layers, but the file holds only "
            f"{len(weights)} weight tensors."
        )


def _restore(estimator, input_, weights, history, fitted, device):
    """Make ``estimator`` the fitted model of a file (its network on ``device``)."""
    from .training import restore_net

    net = restore_net(estimator, input_, weights, history, seed=fitted["seed"], device=device)
    estimator._restore_fitted(
        input_,
        net,
        seed=fitted["seed"],
        n_iter=fitted["n_iter_"],
        n_features_in=fitted["n_features_in_"],
        feature_names_in=fitted.get("feature_names_in_"),
    )


def _dry_run(path, estimator, input_, weights, history, fitted):
    """Restore a copy of ``estimator`` with its network on torch's meta device
    (shapes only, no memory), so that a file whose weights do not match its
    parameters is refused before real memory is allocated for the network."""
    from sklearn.base import clone

    probe = clone(estimator)
    try:
        with warnings.catch_warnings():
            # copying the stored values into meta tensors is a no-op: the point of a dry run
            warnings.filterwarnings("ignore", message=".*meta parameter.*", category=UserWarning)
            _restore(probe, input_, weights, history, fitted, _META)
    except Exception as exc:  # noqa: BLE001 - whatever fails to build, the file does not describe a model
        raise ValueError(
            f"{path}: weights or fitted state do not match {type(estimator).__name__} ({type(exc).__name__}: {exc})."
        ) from exc
    expected = probe.module_.state_dict()
    for name, tensor in weights.items():
        if tensor.dtype != expected[name].dtype:
            raise ValueError(
                f"{path}: weights or fitted state do not match {type(estimator).__name__}: tensor "
                f"module.{name} is {tensor.dtype}, the network's is {expected[name].dtype}."
            )


# ---------------------------------------------------------------------------
# save and load
# ---------------------------------------------------------------------------


def _json_param(name, value):
    """Parameters that JSON can hold exactly; the rest is dropped on save."""
    from .inputs import DataInput

    if name == "callbacks":
        return None  # training-time objects (a list of them too): not part of a trained model
    if isinstance(value, DataInput):
        return {"kind": value.kind, "params": {k: _json_param(k, v) for k, v in value.get_params(deep=False).items()}}
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
        file there is replaced (a symbolic link: its target); a FIFO, device
        node or directory is refused.  The file is written beside ``path``
        under a temporary name and renamed onto it once complete, so a
        failed save leaves no partial file and an existing file unchanged.

    Returns
    -------
    path : str

    Raises
    ------
    ValueError
        ``path`` exists and is not a regular file; the weights hold NaN or
        inf; or the metadata (mostly the training history) is larger than a
        model file may be.  Nothing is written then.
    OSError
        The folder of ``path`` does not exist (FileNotFoundError), or the
        file cannot be written there (permissions, a full disk).  Nothing is
        written then.
    """
    from safetensors.torch import save as tensors_to_bytes
    from sklearn.utils.validation import check_is_fitted

    from ._version import __version__

    path = os.fspath(path)
    _check_save_target(path)
    check_is_fitted(estimator)
    params = {k: _json_param(k, v) for k, v in estimator._file_parameters().items()}
    tensors = {f"module.{k}": v.detach().cpu().contiguous() for k, v in estimator.module_.state_dict().items()}
    arrays, values = estimator.input_.fitted_state()
    tensors.update({f"input.{k}": torch.as_tensor(np.ascontiguousarray(v)) for k, v in arrays.items()})
    names = getattr(estimator, "feature_names_in_", None)
    fitted = {
        "n_features_in_": int(estimator.n_features_in_),
        "feature_names_in_": None if names is None else [str(n) for n in names],
        "n_iter_": int(estimator.n_iter_),
        "seed": int(estimator.fitted_.seed),
        "input_kind_": estimator.input_kind_,
        "input": {"params": _json_param("input", estimator.input_)["params"], "state": values},
    }
    bad = _non_finite(tensors)
    if bad is not None:
        raise ValueError(
            f"{type(estimator).__name__} has NaN or infinite values in {bad}; load would refuse "
            f"the file, so save does not write it."
        )
    metadata = {
        "format": _MAGIC,
        "format_version": str(FORMAT_VERSION),
        "estimator": type(estimator).__name__,
        "params": json.dumps(params),
        "fitted": json.dumps(fitted),
        "history": json.dumps(estimator.history_.to_list()),
        "versions": json.dumps(
            {
                "skcmim": __version__,
                "torch": torch.__version__,
                "scikit-learn": sklearn.__version__,
                "python": platform.python_version(),
            }
        ),
    }
    # the header also lists each tensor's name, dtype, shape and offsets
    header_bytes = len(json.dumps({"__metadata__": metadata})) + 200 * len(tensors)
    if header_bytes > _MAX_HEADER_BYTES:
        raise ValueError(
            f"The model's metadata takes about {header_bytes} bytes (mostly its training history), "
            f"more than the {_MAX_HEADER_BYTES} a model file may hold."
        )
    data = tensors_to_bytes(tensors, metadata=metadata)
    try:
        with _replacing(path) as handle:
            handle.write(data)
    except OSError as exc:
        raise _save_error(exc, path) from exc
    return path


def _save_error(exc, path):
    """``exc`` (same class and errno) with a message that names ``path`` and says nothing was written."""
    message = (
        f"Could not save the model to {path}: {exc.strerror or exc}; nothing was written (a file already at "
        f"that path is unchanged)."
    )
    return type(exc)(exc.errno, message) if exc.errno is not None else type(exc)(message)


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
    return _load_bytes(_read_file(path), path, device)


def _load_bytes(data, path, device):
    """The estimator of a model file's bytes; ``path`` names the file in messages.

    The one parser of model files: :func:`load` reads a file once and parses
    its bytes here, and :func:`skcmim.pretrained.load` parses the bytes whose
    SHA-256 it checked.
    """
    device = _load_device(device)
    metadata = _read_metadata(data, path)
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
    _check_param_values(path, {k: v for k, v in params.items() if k != "input"})
    cls = _estimator_class(path, metadata.get("estimator"))
    estimator = _configured_estimator(path, cls, params, version, fitted.get("input_kind_", "numeric"))
    arrays, weights = _split_tensors(path, _read_tensors(data, path), "fitted" if version == 1 else "input")
    input_params, input_values = _check_fitted(path, fitted, version)
    input_ = _restored_input(path, estimator, arrays, input_params, input_values, fitted)
    bad = _non_finite(weights)
    if bad is not None:
        raise ValueError(f"{path}: weight tensor module.{bad} holds NaN or infinite values.")
    _check_layer_count(path, params, weights)
    _dry_run(path, estimator, input_, weights, history, fitted)
    _restore(estimator, input_, weights, history, fitted, device)
    return estimator
