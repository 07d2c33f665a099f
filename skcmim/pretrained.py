"""Pretrained models by name: fitted estimators that ship with skcmim.

The model files live in the package's ``models`` folder beside a registry,
``registry.json``, that holds each model's card: its file, size and SHA-256,
the data and settings it was trained with, what training cost and on which
hardware, and the metrics measured after training.  :func:`load` reads a
model from that folder only: it never downloads anything, and it checks the
file's SHA-256 against the registry before the (pickle-free) file is parsed.

Set the environment variable ``SKCMIM_MODELS_DIR`` (or pass ``models_dir``)
to use another folder laid out the same way, for example models you trained
with ``scripts/pretrain_zinc.py``.

Examples
--------
>>> from skcmim import pretrained
>>> [card["name"] for card in pretrained.list_models()]  # doctest: +SKIP
['cmim-zinc', 'mim-zinc']
>>> encoder = pretrained.load("cmim-zinc")  # doctest: +SKIP
>>> encoder.transform(["CCO", "c1ccccc1O"]).shape  # doctest: +SKIP
(2, 32)
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .datasets import _sha256
from .persistence import load as load_model_file

__all__ = ["MODELS_DIR_ENV", "REGISTRY_FILE", "get_models_dir", "list_models", "load", "register_model"]

#: Environment variable naming a folder of models to use instead of the package's.
MODELS_DIR_ENV = "SKCMIM_MODELS_DIR"
#: The registry's file name inside a models folder.
REGISTRY_FILE = "registry.json"


def get_models_dir(models_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder that holds the model files and their registry.

    Parameters
    ----------
    models_dir : str or path-like or None, default=None
        A folder of your own; when None, ``$SKCMIM_MODELS_DIR`` if set, else
        the ``models`` folder installed with skcmim.

    Returns
    -------
    Path
    """
    if models_dir is not None:
        return Path(models_dir)
    from_env = os.environ.get(MODELS_DIR_ENV)
    return Path(from_env) if from_env else Path(__file__).with_name("models")


def _registry(folder):
    """The list of model cards in ``folder``'s registry (empty when it has none)."""
    path = folder / REGISTRY_FILE
    if not path.is_file():
        return []
    try:
        registry = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"The model registry {path} is not JSON text: {exc}.") from exc
    cards = registry.get("models") if isinstance(registry, dict) else None
    if not isinstance(cards, list) or not all(isinstance(card, dict) and isinstance(card.get("name"), str)
                                              for card in cards):
        raise ValueError(f"The model registry {path} must be a JSON object whose 'models' is a list of model "
                         f"cards, each with a 'name'.")
    return cards


def list_models(models_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """The model cards of the pretrained models, one dict per model.

    Parameters
    ----------
    models_dir : str or path-like or None, default=None
        See :func:`get_models_dir`.

    Returns
    -------
    list of dict
        Copies of the registry's cards, sorted by name.  Each has ``name``,
        ``file``, ``estimator`` (the class), ``size_bytes`` and ``sha256``
        of the file, ``training_data``, ``epochs``, ``hyperparameters``,
        ``training`` (time, hardware, software versions, command) and
        ``metrics`` (measured on held-out data after training).

    Raises
    ------
    ValueError
        If the registry is not valid JSON of the expected shape.
    """
    return sorted((copy.deepcopy(card) for card in _registry(get_models_dir(models_dir))),
                  key=lambda card: card["name"])


def _card(name, folder):
    cards = {card["name"]: card for card in _registry(folder)}
    if name not in cards:
        available = ", ".join(repr(known) for known in sorted(cards)) or "none"
        raise ValueError(f"There is no pretrained model named {name!r} in {folder}; available: {available}.")
    return cards[name]


def _model_file(card, folder):
    """The path of ``card``'s file, which must be a plain file name inside ``folder``."""
    name = card.get("file")
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise ValueError(f"Model card {card['name']!r} in {folder / REGISTRY_FILE} names the file {name!r}; it must "
                         f"be a plain file name inside {folder}.")
    return folder / name


def _check_file(card, path):
    """Refuse a missing file, or one whose size or SHA-256 differs from its card."""
    if not path.is_file():
        raise FileNotFoundError(f"The file of pretrained model {card['name']!r}, {path}, is missing; reinstall "
                                f"skcmim or check {MODELS_DIR_ENV}.")
    size = path.stat().st_size
    if size != card.get("size_bytes"):
        raise ValueError(f"{path} has {size} bytes, but the model card of {card['name']!r} says "
                         f"{card.get('size_bytes')!r}: the file is damaged or was replaced.")
    digest = _sha256(path)
    if digest != card.get("sha256"):
        raise ValueError(f"{path} has SHA-256 {digest}, but the model card of {card['name']!r} says "
                         f"{card.get('sha256')!r}: the file is damaged or was replaced.")


def load(name: str, device: str = "cpu", *, models_dir: str | os.PathLike[str] | None = None) -> Any:
    """A pretrained model by name, fitted and ready to ``transform``.

    No network access: the file is read from the models folder, its size
    and SHA-256 are checked against the model card, and it is loaded with
    :func:`skcmim.load` (no pickle).

    Parameters
    ----------
    name : str
        A name from :func:`list_models`, such as ``"cmim-zinc"``.
    device : str, default="cpu"
        Where to put the weights (``"cuda"``, or ``"auto"`` for CUDA when
        available).
    models_dir : str or path-like or None, default=None
        See :func:`get_models_dir`.

    Returns
    -------
    estimator : CMIMTransformer or MIMTransformer
        The fitted estimator; set ``informative=True`` with ``set_params``
        for informative embeddings, wrap it in
        :class:`sklearn.frozen.FrozenEstimator` so that pipelines never
        refit it.

    Raises
    ------
    ValueError
        If no model has that name (the message lists the names), the file's
        size or SHA-256 differs from its card, or the file is not the class
        its card names.
    FileNotFoundError
        If the model's file is missing.
    """
    folder = get_models_dir(models_dir)
    card = _card(name, folder)
    path = _model_file(card, folder)
    _check_file(card, path)
    estimator = load_model_file(path, device=device)
    if card.get("estimator", type(estimator).__name__) != type(estimator).__name__:
        raise ValueError(f"{path} holds a {type(estimator).__name__}, but the model card of {name!r} says "
                         f"{card['estimator']!r}.")
    return estimator


def register_model(path: str | os.PathLike[str], card: dict[str, Any],
                   models_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Add a model file's card to the registry of its folder, or replace it.

    Used by the training script (``scripts/pretrain_zinc.py``) after saving
    a model; the file's name, size and SHA-256 are filled in here.

    Parameters
    ----------
    path : str or path-like
        The model file, written by ``estimator.save`` into the models folder.
    card : dict
        The rest of the model card (JSON-able), with at least ``name``.
    models_dir : str or path-like or None, default=None
        The folder of the registry; the folder of ``path`` when None.

    Returns
    -------
    dict
        The card as written.

    Raises
    ------
    ValueError
        If ``path`` is not inside the models folder, ``card`` has no
        string ``name``, or it holds NaN or infinity (not JSON).
    """
    path = Path(path)
    folder = Path(models_dir) if models_dir is not None else path.parent
    if path.resolve().parent != folder.resolve():
        raise ValueError(f"The model file {path} must be inside the models folder {folder}.")
    if not isinstance(card.get("name"), str):
        raise ValueError(f"A model card needs a string 'name'; got {card.get('name')!r}.")
    card = {**card, "file": path.name, "size_bytes": path.stat().st_size, "sha256": _sha256(path)}
    cards = [known for known in _registry(folder) if known["name"] != card["name"]] + [card]
    _write_atomically(folder / REGISTRY_FILE,
                      json.dumps({"models": sorted(cards, key=lambda known: known["name"])}, indent=2,
                                 allow_nan=False) + "\n")
    return card


def _write_atomically(path, text):
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never half of it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
