"""Pickle-free model files: safetensors weights plus JSON metadata.

One ``.safetensors`` file holds the network weights and the fitted arrays as
tensors, and in its (string-only) metadata header the estimator's class
name, parameters, fitted attributes, training history and package versions,
as JSON.  Loading parses only that: no pickle, no ``torch.load``, no import
of a class named by the file (the class must be one of skcmim's own
estimators), so a crafted file cannot run code.

joblib/pickle files can run arbitrary code when loaded: only load them from
sources you trust.  ``save`` / :func:`load` are the safe format.
"""

import json
import os
import platform

import numpy as np
import sklearn
import torch

__all__ = ["FORMAT_VERSION", "load", "save"]

#: Version of the file layout written by :func:`save`; :func:`load` reads
#: files of this version or older.
FORMAT_VERSION = 1
_MAGIC = "skcmim"


def _json_param(name, value):
    """Parameters that JSON can hold exactly; the rest is dropped on save."""
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
    if name in ("callbacks", "random_state"):
        return None  # training-time objects: not part of a trained model
    raise TypeError(f"Parameter {name}={value!r} cannot be saved in a pickle-free model file.")


def _estimator_classes():
    from . import baselines  # noqa: F401  (registers the baseline classes as subclasses)
    from .estimators import BaseRepresentation

    found, stack = {}, [BaseRepresentation]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls.__name__.startswith("Base"):
            found[cls.__name__] = cls
    return found


def save(estimator, path):
    """Write a fitted estimator to ``path`` without pickle.

    Parameters
    ----------
    estimator : fitted skcmim estimator
    path : str or os.PathLike
        Target file, conventionally ending in ``.safetensors``.

    Returns
    -------
    path : str
    """
    from safetensors.torch import save_file
    from sklearn.utils.validation import check_is_fitted

    from . import __version__

    check_is_fitted(estimator)
    params = {k: _json_param(k, v) for k, v in estimator.get_params(deep=False).items()}
    tensors = {f"module.{k}": v.detach().cpu().contiguous() for k, v in estimator.module_.state_dict().items()}
    arrays, fitted = estimator._fitted_state()
    tensors.update({f"fitted.{k}": torch.as_tensor(np.ascontiguousarray(v)) for k, v in arrays.items()})
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
    path = os.fspath(path)
    save_file(tensors, path, metadata=metadata)
    return path


def _read(path):
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    try:
        with safe_open(path, framework="pt") as handle:
            metadata = handle.metadata() or {}
        tensors = load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{path} is not a readable skcmim model file (truncated, tampered or another "
                         f"format): {exc}") from exc
    if metadata.get("format") != _MAGIC:
        raise ValueError(f"{path} is a safetensors file but not an skcmim model file.")
    return metadata, tensors


def load(path, *, device="cpu"):
    """Load an estimator written by :meth:`save` (no pickle involved).

    Parameters
    ----------
    path : str or os.PathLike
        File written by ``estimator.save(path)``.
    device : str or torch.device, default="cpu"
        Where to put the weights (``"cuda"`` to encode on a GPU).

    Returns
    -------
    estimator : fitted skcmim estimator
        Same class and parameters; ``transform`` gives the same output as the
        saved model (bit for bit on CPU).  Training callbacks and a
        ``random_state`` that was a ``RandomState`` instance are not stored.

    Raises
    ------
    ValueError
        The file is truncated, tampered, not an skcmim file, was written by a
        newer skcmim file format, or names an unknown estimator class.
    """
    path = os.fspath(path)
    metadata, tensors = _read(path)
    try:
        version = int(metadata["format_version"])
        name = metadata["estimator"]
        params = json.loads(metadata["params"])
        fitted = json.loads(metadata["fitted"])
        history = json.loads(metadata["history"])
        versions = json.loads(metadata.get("versions", "{}"))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{path}: damaged skcmim metadata ({exc!r}).") from exc
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by skcmim {versions.get('skcmim', '?')} in file format {version}; this skcmim "
            f"reads formats up to {FORMAT_VERSION}. Upgrade skcmim to load it."
        )
    classes = _estimator_classes()
    if name not in classes:
        raise ValueError(f"{path} names an unknown estimator class {name!r}; known: {sorted(classes)}.")
    estimator = classes[name]()
    try:
        estimator.set_params(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
    except ValueError as exc:
        raise ValueError(f"{path}: parameters not understood by this skcmim ({exc}).") from exc
    arrays = {k[len("fitted."):]: v.numpy() for k, v in tensors.items() if k.startswith("fitted.")}
    weights = {k[len("module."):]: v for k, v in tensors.items() if k.startswith("module.")}
    try:
        estimator._restore_fitted_state(arrays, fitted, weights, history, torch.device(device))
    except (KeyError, RuntimeError, TypeError) as exc:
        raise ValueError(f"{path}: weights or fitted state do not match {name} ({exc}).") from exc
    return estimator
