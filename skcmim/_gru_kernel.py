"""A fused GRU layer for training on the CPU, with torch's GRU as the fallback.

torch trains a GRU on the CPU through autograd over every time step's small
operations: a gate split and a dozen element-wise operations, each with its
backward node.  For the SMILES models (width 256, batches of 128) that
bookkeeping costs as much as the matrix products.  ``csrc/fused_gru.cpp``
does one step's element-wise work in one vectorised pass and all steps'
weight gradients in one matrix product per weight, and sends each step's
small matrix products straight to MKL's BLAS where torch exports it.
Measured with ``benchmarks/smiles_speed.py`` (mode ``hand_torch_gru``
against ``hand``).

The kernel is compiled with :func:`torch.utils.cpp_extension.load` the first
time a SMILES model trains or embeds on the CPU (about 30 s; the build is
cached in torch's extensions folder, ``TORCH_EXTENSIONS_DIR``).  Where no
compiler is found, or the build fails for any other reason, the first SMILES
model to run warns once, and every model uses torch's GRU.  It applies to
float32 CPU tensors outside autocast, in training and in inference
(``transform``, informative embeddings, scoring):
without gradients it keeps no gates for a backward pass, and encodes the
padded, length-sorted batches of 10,000 ZINC SMILES 1.4x to 1.7x as fast
as torch's GRU over packed sequences of the same rows (128 to 4,096 rows
per batch, 2 threads; ``benchmarks/smiles_inference.py``).  Its states
differ from torch's in the last float32 bits (about 1e-6).  Set the
environment variable ``SKCMIM_FUSED_GRU=0`` to use torch's GRU everywhere:
to embed bit for bit as earlier versions did, or to rebuild bit for
bit weights trained by an earlier skcmim.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import torch

from ._warnings import find_stack_level

_SOURCE = Path(__file__).resolve().parent / "csrc" / "fused_gru.cpp"
# -fno-trapping-math lets the gate loops' clamps vectorise (NaNs still propagate); -fopenmp lets
# at::parallel_for spread rows over torch's threads (with torch's own OpenMP runtime, already loaded).
_FLAGS = ["-O3", "-fno-trapping-math", "-fopenmp"]
_lock = threading.Lock()
_extension = None
_failed = False


def enabled():
    """Whether the fused kernel may run (``SKCMIM_FUSED_GRU`` is not ``0``)."""
    return os.environ.get("SKCMIM_FUSED_GRU", "1").strip().lower() not in ("0", "false", "no", "off")


def kernel():
    """The compiled extension, built on first use; None where it cannot be built."""
    global _extension, _failed
    if _extension is not None or _failed:
        return _extension
    with _lock:
        if _extension is None and not _failed:
            try:
                from torch.utils.cpp_extension import load

                _extension = load("skcmim_fused_gru", [str(_SOURCE)], extra_cflags=_FLAGS, verbose=False)
            except Exception as exc:  # no compiler, no ninja, a read-only cache...: run torch's GRU
                _failed = True
                reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
                warnings.warn(
                    f"skcmim could not build its fused GRU kernel ({reason}); SMILES models train and embed "
                    f"with torch's GRU, which is slower on the CPU. Install a C++ compiler and ninja to use it, "
                    f"or set SKCMIM_FUSED_GRU=0 to silence this warning.",
                    RuntimeWarning,
                    stacklevel=find_stack_level(),
                )
    return _extension


def applies(*tensors):
    """Whether the fused kernel runs a layer over these tensors: float32 on the CPU, no autocast."""
    return (
        all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors)
        and not torch.is_autocast_enabled("cpu")
        and enabled()
        and kernel() is not None
    )


def _needs_gradients(tensors):
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


class _FusedGRU(torch.autograd.Function):
    """One GRU layer and direction over a whole sequence, time-major.

    ``keep_gates`` is whether a backward pass may follow: without it (no
    gradients flow) each step's gates overwrite the last step's.
    """

    @staticmethod
    def forward(ctx, inputs, initial, w_ih, w_hh, b_ih, b_hh, keep_gates):
        # inputs arrive transposed to time-major: copied once here, and that copy saved for the backward
        inputs, w_ih, w_hh = inputs.contiguous(), w_ih.contiguous(), w_hh.contiguous()
        states, gates = _extension.forward(inputs, initial.contiguous(), w_ih, w_hh, b_ih.contiguous(),
                                           b_hh.contiguous(), keep_gates)
        if keep_gates:
            ctx.save_for_backward(inputs, states, gates, w_ih, w_hh)
        return states[1:], states[-1]

    @staticmethod
    def backward(ctx, grad_outputs, grad_last):
        # autograd passes zeros, not None, for an output that was not used (materialize_grads)
        inputs, states, gates, w_ih, w_hh = ctx.saved_tensors
        grads = _extension.backward(grad_outputs.contiguous(), grad_last.contiguous(), inputs, states, gates, w_ih,
                                    w_hh)
        return (*grads, None)


def gru_layer(inputs, initial, weights, *, training):
    """States of one GRU layer and direction over ``inputs``, and its last state.

    Parameters
    ----------
    inputs : Tensor of shape (batch, steps, features)
    initial : Tensor of shape (batch, hidden)
    weights : sequence of Tensor
        ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` of the layer
        and direction, as :class:`torch.nn.GRU` holds them.
    training : bool
        The module's mode (torch's GRU takes it).

    Returns
    -------
    states : Tensor of shape (batch, steps, hidden)
    last : Tensor of shape (batch, hidden)
    """
    if applies(inputs, initial, *weights):
        keep_gates = _needs_gradients((inputs, initial, *weights))
        states, last = _FusedGRU.apply(inputs.transpose(0, 1), initial, *weights, keep_gates)
        return states.transpose(0, 1), last
    states, last = torch.gru(inputs, initial.unsqueeze(0), list(weights), True, 1, 0.0, training, False, True)
    return states, last[0]
