"""Devices: the one place that turns a ``device`` argument into a ``torch.device``.

The estimators' ``device`` parameter, :func:`skcmim.load`'s ``device`` and
the data-parallel launcher all go through :func:`resolve_device`, so a
device string means the same everywhere and a device this machine lacks is
refused before anything is built or read.
"""

from __future__ import annotations

import torch

__all__ = ["fork_rng_devices", "resolve_device"]

_KINDS = ("cpu", "cuda", "mps")


def _mps_available():
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(device: str | torch.device, *, name: str = "device") -> torch.device:
    """A concrete ``torch.device`` for ``device``, which must exist on this machine.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` (CUDA when available, else the CPU), ``"cpu"``,
        ``"cuda"``, ``"cuda:<index>"`` or ``"mps"``.
    name : str, default="device"
        How the argument is named in error messages (``"load(device=...)"``).

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``device`` is not a device, not one a model can run on, or not
        available here.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise ValueError(
            f"{name}={device!r} is not a torch device; use 'auto', 'cpu', 'cuda', 'cuda:<index>' or 'mps'."
        )
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"{name}={device!r} is not a torch device; use 'auto', 'cpu', 'cuda', 'cuda:<index>' or 'mps'."
        ) from exc
    if resolved.type not in _KINDS:
        raise ValueError(f"{name}={device!r}: models run on 'cpu', 'cuda' or 'mps', not {resolved.type!r}.")
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(
                f"{name}={device!r} was requested but CUDA is not available on this machine; use 'auto' or 'cpu'."
            )
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(
                f"{name}={device!r}: there is no CUDA device {resolved.index}; this machine has "
                f"{count} (cuda:0 to cuda:{count - 1})."
            )
    if resolved.type == "mps" and not _mps_available():
        raise ValueError(
            f"{name}={device!r} was requested but MPS is not available on this machine; use 'auto' or 'cpu'."
        )
    return resolved


def fork_rng_devices(device: torch.device) -> list[int]:
    """The CUDA devices whose RNG ``torch.random.fork_rng`` must save for ``device``."""
    return [device.index or 0] if device.type == "cuda" else []
