"""Pretrained models by name: fitted estimators that ship with skcmim.

The model files live in the package's ``models`` folder beside a registry,
``registry.json``, that holds each model's card: its file, size and SHA-256,
the data and settings it was trained with, what training cost and on which
hardware, and the metrics measured after training.  :func:`load` reads a
model from that folder only: it never downloads anything; it reads the file
into memory once, checks the SHA-256 of those bytes against the registry, and
parses the same bytes (pickle-free), so a file replaced meanwhile is never
parsed unchecked.

Set the environment variable ``SKCMIM_MODELS_DIR`` (or pass ``models_dir``)
to use another folder laid out the same way, for example models you trained
with ``scripts/pretrain_zinc.py``.

Examples
--------
>>> from skcmim import pretrained
>>> [card["name"] for card in pretrained.list_models()]  # doctest: +SKIP
['cmim-zinc', 'cmim-zinc-v2', 'mim-zinc', 'mim-zinc-v2']
>>> encoder = pretrained.load("cmim-zinc-v2")  # doctest: +SKIP
>>> encoder.transform(["CCO", "c1ccccc1O"]).shape  # doctest: +SKIP
(2, 32)
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from numbers import Integral
from pathlib import Path
from typing import Any

from . import persistence

__all__ = ["MODELS_DIR_ENV", "REGISTRY_FILE", "get_models_dir", "list_models", "load", "register_model"]

#: Environment variable naming a folder of models to use instead of the package's.
MODELS_DIR_ENV = "SKCMIM_MODELS_DIR"
#: The registry's file name inside a models folder.
REGISTRY_FILE = "registry.json"

# A registry holds a few kB per model; the bound keeps a stray file from being read whole.
_MAX_REGISTRY_BYTES = 16 << 20
# A card nests 6 deep (models -> card -> training -> stages -> stage -> hardware).
_MAX_REGISTRY_DEPTH = 32
_SHA256 = re.compile(r"[0-9a-f]{64}")


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
    data = persistence._read_file(path, limit=_MAX_REGISTRY_BYTES)
    if len(data) > _MAX_REGISTRY_BYTES:
        raise ValueError(
            f"The model registry {path} is larger than {_MAX_REGISTRY_BYTES:,} bytes; a registry holds "
            f"a few kB per model."
        )
    try:
        registry = json.loads(data.decode("utf-8"))
    except RecursionError as exc:
        raise ValueError(f"The model registry {path} nests too deeply to be read.") from exc
    except ValueError as exc:  # not UTF-8, not JSON
        raise ValueError(f"The model registry {path} is not JSON text: {exc}.") from exc
    if persistence._json_depth(registry) > _MAX_REGISTRY_DEPTH:
        raise ValueError(f"The model registry {path} nests deeper than {_MAX_REGISTRY_DEPTH} levels.")
    cards = registry.get("models") if isinstance(registry, dict) else None
    if not isinstance(cards, list) or not all(
        isinstance(card, dict) and isinstance(card.get("name"), str) for card in cards
    ):
        raise ValueError(
            f"The model registry {path} must be a JSON object whose 'models' is a list of model "
            f"cards, each with a 'name'."
        )
    for card in cards:
        _check_card(card, path)
    names = [card["name"] for card in cards]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"The model registry {path} has more than one card named {repeated[0]!r}.")
    return cards


def _is_count(value):
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 0


def _is_plain_file_name(name):
    return isinstance(name, str) and name not in ("", ".", "..") and Path(name).name == name


# The fields of a model card whose type skcmim relies on: (check, what it must be).
_CARD_FIELDS = {
    "file": (_is_plain_file_name, "a plain file name inside the models folder"),
    "size_bytes": (_is_count, "a non-negative integer"),
    "sha256": (
        lambda value: isinstance(value, str) and _SHA256.fullmatch(value) is not None,
        "64 lowercase hexadecimal digits",
    ),
    "estimator": (lambda value: isinstance(value, str), "a class name (string)"),
    "description": (lambda value: isinstance(value, str), "a string"),
    "epochs": (_is_count, "a non-negative integer"),
    "training_data": (lambda value: isinstance(value, dict), "a JSON object"),
    "hyperparameters": (lambda value: isinstance(value, dict), "a JSON object"),
    "training": (lambda value: isinstance(value, dict), "a JSON object"),
    "metrics": (lambda value: isinstance(value, dict), "a JSON object"),
}


def _check_card(card, path):
    """Each field skcmim reads has the type it expects; the message names the registry, card and field."""
    for field, (is_valid, expected) in _CARD_FIELDS.items():
        if field in card and not is_valid(card[field]):
            raise ValueError(
                f"The model registry {path}: field {field!r} of the card {card['name']!r} must be "
                f"{expected}, got {persistence._shown(card[field])}."
            )


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
        If the registry is not valid JSON of the expected shape: a list of
        cards, each with a unique ``name``, whose fields have the types
        described above (the message names the file, the card and the
        field), nesting at most 32 levels, at most 16 MiB.
    """
    return sorted(
        (copy.deepcopy(card) for card in _registry(get_models_dir(models_dir))), key=lambda card: card["name"]
    )


def _card(name, folder):
    cards = {card["name"]: card for card in _registry(folder)}
    if name not in cards:
        available = ", ".join(repr(known) for known in sorted(cards)) or "none"
        raise ValueError(f"There is no pretrained model named {name!r} in {folder}; available: {available}.")
    return cards[name]


def _model_file(card, folder):
    """The path of ``card``'s file, a plain file name inside ``folder`` (checked with the registry)."""
    if "file" not in card:
        raise ValueError(f"Model card {card['name']!r} in {folder / REGISTRY_FILE} names no 'file'.")
    return folder / card["file"]


def _checked_bytes(card, path):
    """The bytes of ``card``'s file, read once, whose size and SHA-256 match the card.

    At most ``size_bytes + 1`` bytes are read, so a file that grew is seen
    to be too long without being read whole.
    """
    for field in ("size_bytes", "sha256"):
        if field not in card:
            raise ValueError(
                f"The model card of {card['name']!r} gives no {field!r} of {path}, so the file cannot be checked."
            )
    size = card["size_bytes"]
    try:
        data = persistence._read_file(path, limit=size)
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"The file of pretrained model {card['name']!r}, {path}, is missing; reinstall "
            f"skcmim or check {MODELS_DIR_ENV}."
        ) from exc
    if len(data) != size:
        found = f"more than {size}" if len(data) > size else f"{len(data)}"
        raise ValueError(
            f"{path} has {found} bytes, but the model card of {card['name']!r} says {size!r}: the file "
            f"is damaged or was replaced."
        )
    digest = _digest(data)
    if digest != card["sha256"]:
        raise ValueError(
            f"{path} has SHA-256 {digest}, but the model card of {card['name']!r} says "
            f"{card['sha256']!r}: the file is damaged or was replaced."
        )
    return data


def _digest(data):
    """The SHA-256 of ``data``, in hexadecimal."""
    return hashlib.sha256(data).hexdigest()


def load(name: str, device: str = "cpu", *, models_dir: str | os.PathLike[str] | None = None) -> Any:
    """A pretrained model by name, fitted and ready to ``transform``.

    No network access: the file is read from the models folder into memory
    once (at most the size its card gives), the size and SHA-256 of those
    bytes are checked against the model card, and the same bytes are parsed
    as :func:`skcmim.load` parses a file (no pickle).

    Parameters
    ----------
    name : str
        A name from :func:`list_models`, such as ``"cmim-zinc-v2"``.
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
        If no model has that name (the message lists the names), the
        registry is malformed (the message names the file and the field),
        the file's size or SHA-256 differs from its card, or the file is not
        the class its card names.
    FileNotFoundError
        If the model's file is missing.
    """
    device = persistence._load_device(device)
    folder = get_models_dir(models_dir)
    card = _card(name, folder)
    path = _model_file(card, folder)
    estimator = persistence._load_bytes(_checked_bytes(card, path), path, device)
    if card.get("estimator", type(estimator).__name__) != type(estimator).__name__:
        raise ValueError(
            f"{path} holds a {type(estimator).__name__}, but the model card of {name!r} says {card['estimator']!r}."
        )
    return estimator


def register_model(
    path: str | os.PathLike[str], card: dict[str, Any], models_dir: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
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
    data = persistence._read_file(path)
    card = {**card, "file": path.name, "size_bytes": len(data), "sha256": _digest(data)}
    cards = [known for known in _registry(folder) if known["name"] != card["name"]] + [card]
    text = json.dumps({"models": sorted(cards, key=lambda known: known["name"])}, indent=2, allow_nan=False) + "\n"
    # a reader sees the old registry or the new one, never half of it
    with persistence._replacing(folder / REGISTRY_FILE, "w", encoding="utf-8") as stream:
        stream.write(text)
    return card
