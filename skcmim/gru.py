"""GRU layers of the SMILES models: torch's GRU, or skcmim's fused kernel where one has been built.

torch trains a GRU on the CPU through autograd over every time step's small
operations: a gate split and a dozen element-wise operations, each with its
backward node.  For the SMILES models (width 256, batches of 128) that
bookkeeping costs as much as the matrix products.  ``csrc/fused_gru.cpp``
does one step's element-wise work in one vectorised pass and all steps'
weight gradients in one matrix product per weight; every matrix product goes
through ATen, on torch's own BLAS.

**The default install uses torch's GRU.**  Nothing is compiled at run time
and no lock is taken: the kernel is an explicit, optional build step,
:func:`build_kernel` (the command ``skcmim build-kernel``), which compiles it
with GCC or Clang and ninja into a cache folder of skcmim's own:
``$SKCMIM_KERNEL_DIR`` if set, else ``$XDG_CACHE_HOME/skcmim/gru-kernel``
(``~/.cache/skcmim/gru-kernel``).  The file's name carries a key of
everything that decides whether a build can be loaded (the source and the
build recipe, torch's version, build and C++ ABI, Python's version and ABI,
the platform and the environment's ``sys.prefix``), so that environments
side by side keep builds of their own, and a new torch or skcmim needs a new
build (until then, torch's GRU runs).  See :func:`kernel_path`.

The choice is made once per process, at the first SMILES layer
(:func:`backend`): torch's GRU where the environment variable
``SKCMIM_FUSED_GRU`` is ``0``; otherwise the kernel where a finished build for
this environment is in the cache, else torch's GRU.  A kernel built after
that is used from the next process on.  Where the kernel cannot be built
(Windows, no compiler, no ninja) :func:`build_kernel` says so, and SMILES
models run with torch's GRU, silently.

The kernel runs a layer over float32 CPU tensors outside autocast, in
training and in inference (``transform``, informative embeddings, scoring);
without gradients it keeps no gates for a backward pass.  Elsewhere (a GPU,
float64, autocast) torch's GRU runs.  Its results are those of torch's GRU to
float32 rounding, not bit for bit (its sigmoid and tanh are polynomial
approximations, and its sums run in another order): ``tests/test_gru.py``
holds codes, informative embeddings and one training step's gradients within
a few times torch's own float32 rounding error.  To embed bit for bit as a
model did when it was saved, or to rebuild bit for bit weights trained without
the kernel, set ``SKCMIM_FUSED_GRU=0``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from pathlib import Path

import torch

from ._warnings import find_stack_level

__all__ = ["KernelBuildError", "applies", "backend", "build_kernel", "gru_layer", "kernel_path", "use_backend"]

SOURCE = Path(__file__).resolve().parent / "csrc" / "fused_gru.cpp"
#: The pybind11 module's name (``TORCH_EXTENSION_NAME``), whatever the file is called.
MODULE_NAME = "skcmim_fused_gru"
#: Flags every build takes.  -fno-trapping-math lets the gate loops' clamps vectorise (NaNs still propagate).
BASE_FLAGS = ("-O3", "-fno-trapping-math")
#: The first of these the compiler takes is added: -fopenmp lets at::parallel_for spread rows over torch's
#: threads (with torch's own OpenMP runtime, already loaded), -fopenmp-simd vectorises the loops' pragmas only.
OPENMP_FLAGS = ("-fopenmp", "-fopenmp-simd")
#: Bumped when the build changes in a way the source and flags do not show.
RECIPE_VERSION = 1
BUILD_PLATFORMS = ("linux", "darwin")

_choice_lock = threading.Lock()
_choice = None  # "fused" or "torch": the process's choice, made once (backend)
_override = None  # set by use_backend
_extension = None  # the loaded kernel module


class KernelBuildError(RuntimeError):
    """The fused GRU kernel cannot be built here (platform, compiler, ninja) or its build failed."""


# ----------------------------------------------------------------------------- where a build lives


def _kernel_dir():
    """``$SKCMIM_KERNEL_DIR``, else skcmim's folder in the user's cache (not created here)."""
    folder = os.environ.get("SKCMIM_KERNEL_DIR")
    if folder:
        return Path(folder).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path("~") / ".cache"
    return Path(cache).expanduser() / "skcmim" / "gru-kernel"


def _build_key(source=None):
    """A short hash of what decides whether a build can be loaded into this process.

    The compiler is not part of it: any build of the same source and recipe
    against the same torch and Python loads and computes the same products.
    """
    source = SOURCE.read_bytes() if source is None else source
    facts = {
        "source": hashlib.sha256(source).hexdigest(),
        "recipe": [RECIPE_VERSION, BASE_FLAGS, OPENMP_FLAGS],
        "torch": [
            torch.__version__,
            getattr(torch.version, "git_version", None),
            bool(getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", False)),
        ],
        "python": [sys.implementation.cache_tag, sysconfig.get_config_var("EXT_SUFFIX"), getattr(sys, "abiflags", "")],
        "platform": [sys.platform, platform.machine(), platform.libc_ver()],
        "prefix": os.path.realpath(sys.prefix),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:20]


def kernel_path(key=None):
    """The file the fused GRU kernel of this environment is built into and loaded from.

    It need not exist: :func:`build_kernel` writes it.  Its folder is
    ``$SKCMIM_KERNEL_DIR`` if set, else ``$XDG_CACHE_HOME/skcmim/gru-kernel``
    (``~/.cache/skcmim/gru-kernel``); its name carries the build key (see the
    module's documentation), so builds for other environments can share the
    folder.

    Parameters
    ----------
    key : str or None, default=None
        The build key; None for this environment's.

    Returns
    -------
    pathlib.Path
    """
    return _kernel_dir() / f"{MODULE_NAME}-{key or _build_key()}.so"


# ----------------------------------------------------------------------------- the process's choice


def _switched_off():
    return os.environ.get("SKCMIM_FUSED_GRU", "").strip().lower() in ("0", "false", "no", "off")


def _load(path):
    """The kernel module in the built file ``path``: loaded, never built."""
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not a loadable extension module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _choose():
    """ "fused" where a built kernel for this environment loads, else "torch"; never builds, never waits."""
    global _extension
    if _switched_off():
        return "torch"
    try:
        path = kernel_path()
        built = path.is_file()
    except (OSError, RuntimeError):  # no source installed, no home folder: no build can be valid
        return "torch"
    if not built:
        if os.environ.get("SKCMIM_FUSED_GRU", "").strip().lower() in ("1", "true", "yes", "on"):
            warnings.warn(
                f"SKCMIM_FUSED_GRU asks for skcmim's fused GRU kernel, but none is built for this "
                f"environment ({path} is absent); SMILES models use torch's GRU. Build it with "
                f"`skcmim build-kernel`.",
                RuntimeWarning,
                stacklevel=find_stack_level(),
            )
        return "torch"
    try:
        _extension = _extension or _load(path)
    except Exception as exc:  # a damaged or foreign file: the user built it, so say so once
        warnings.warn(
            f"skcmim could not load its fused GRU kernel {path} ({type(exc).__name__}: {exc}); SMILES "
            f"models use torch's GRU. Rebuild it with `skcmim build-kernel --force`.",
            RuntimeWarning,
            stacklevel=find_stack_level(),
        )
        return "torch"
    return "fused"


def backend():
    """The GRU that SMILES models of this process run: ``"fused"`` (skcmim's kernel) or ``"torch"``.

    Decided once, the first time it is asked (see the module's
    documentation); :func:`use_backend` overrides it for a while.  Either
    way, the kernel runs only over float32 CPU tensors outside autocast
    (:func:`applies`).

    Returns
    -------
    str
    """
    global _choice
    if _override is not None:
        return _override
    if _choice is None:
        with _choice_lock:
            if _choice is None:
                _choice = _choose()
    return _choice


@contextlib.contextmanager
def use_backend(name):
    """Run SMILES models of this process with ``name``'s GRU inside the ``with`` block (tests, benchmarks).

    The override is the whole process's, not one thread's.

    Parameters
    ----------
    name : {"fused", "torch"}
        ``"fused"`` loads the kernel from :func:`kernel_path` if this process
        has not loaded it yet.

    Raises
    ------
    ValueError
        ``name`` is neither.
    FileNotFoundError
        ``"fused"`` and no kernel is built for this environment.
    """
    global _override, _extension
    if name not in ("fused", "torch"):
        raise ValueError(f"use_backend: name must be 'fused' or 'torch', got {name!r}.")
    if name == "fused" and _extension is None:
        path = kernel_path()
        if not path.is_file():
            raise FileNotFoundError(
                f"no fused GRU kernel is built for this environment ({path} is absent); "
                f"build it with skcmim.gru.build_kernel() or `skcmim build-kernel`."
            )
        _extension = _load(path)
    before, _override = _override, name
    try:
        yield
    finally:
        _override = before


def applies(*tensors):
    """Whether the fused kernel runs a layer over these tensors: float32 on the CPU, no autocast, kernel chosen."""
    return (
        all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors)
        and not torch.is_autocast_enabled("cpu")
        and backend() == "fused"
    )


# ----------------------------------------------------------------------------- the layer


def _needs_gradients(tensors):
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


class _FusedGRU(torch.autograd.Function):
    """One GRU layer and direction over a whole sequence, time-major, by the kernel module ``extension``.

    ``keep_gates`` is whether a backward pass may follow: without it (no
    gradients flow) each step's gates overwrite the last step's.
    """

    @staticmethod
    def forward(ctx, inputs, initial, w_ih, w_hh, b_ih, b_hh, keep_gates, extension):
        # inputs arrive transposed to time-major: copied once here, and that copy saved for the backward
        inputs, w_ih, w_hh = inputs.contiguous(), w_ih.contiguous(), w_hh.contiguous()
        states, gates = extension.forward(
            inputs, initial.contiguous(), w_ih, w_hh, b_ih.contiguous(), b_hh.contiguous(), keep_gates
        )
        if keep_gates:
            ctx.save_for_backward(inputs, states, gates, w_ih, w_hh)
            ctx.extension = extension
        return states[1:], states[-1]

    @staticmethod
    def backward(ctx, grad_outputs, grad_last):
        # autograd passes zeros, not None, for an output that was not used (materialize_grads)
        inputs, states, gates, w_ih, w_hh = ctx.saved_tensors
        grads = ctx.extension.backward(
            grad_outputs.contiguous(), grad_last.contiguous(), inputs, states, gates, w_ih, w_hh
        )
        return (*grads, None, None)


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
        states, last = _FusedGRU.apply(inputs.transpose(0, 1), initial, *weights, keep_gates, _extension)
        return states.transpose(0, 1), last
    states, last = torch.gru(inputs, initial.unsqueeze(0), list(weights), True, 1, 0.0, training, False, True)
    return states, last[0]


# ----------------------------------------------------------------------------- the explicit build


def _toolchain():
    """``(compiler command, flags)`` for this machine; :class:`KernelBuildError` where the kernel cannot be built."""
    from torch.utils import cpp_extension

    if sys.platform not in BUILD_PLATFORMS:
        raise KernelBuildError(
            f"skcmim builds its fused GRU kernel on Linux and macOS only (this is {sys.platform}); "
            f"SMILES models use torch's GRU here."
        )
    compiler = shlex.split(cpp_extension.get_cxx_compiler())
    if not compiler or shutil.which(compiler[0]) is None:
        raise KernelBuildError(
            f"no C++ compiler found ({' '.join(compiler) or 'none'}, from $CXX or c++): install "
            f"GCC or Clang to build skcmim's fused GRU kernel."
        )
    version = _run([*compiler, "--version"], timeout=60).stdout.lower()
    if (
        "clang" not in version
        and "gcc" not in version
        and "g++" not in version
        and "free software foundation" not in version
    ):
        raise KernelBuildError(
            f"{compiler[0]} is neither GCC nor Clang ({version.splitlines()[0] if version else '?'}"
            f"); skcmim's fused GRU kernel builds with those two. Set CXX to one of them."
        )
    if not cpp_extension.is_ninja_available():
        raise KernelBuildError(
            "ninja is not installed (`pip install ninja`); torch needs it to build skcmim's fused GRU kernel."
        )
    openmp = [
        flag
        for flag in OPENMP_FLAGS
        if (flag != "-fopenmp" or torch.backends.openmp.is_available()) and _compiles(compiler, flag)
    ]
    return compiler, [*BASE_FLAGS, *openmp[:1]]


def _run(command, timeout, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)


def _compiles(compiler, flag):
    """Whether ``compiler`` compiles a loop under an OpenMP pragma with ``flag``."""
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder, "probe.cpp")
        probe.write_text(
            "void twice(float* a, int n) {\n#pragma omp simd\n  for (int i = 0; i < n; ++i) a[i] *= 2;\n}\n"
        )
        return _run([*compiler, flag, "-c", str(probe), "-o", str(Path(folder, "probe.o"))], timeout=60).returncode == 0


@contextlib.contextmanager
def _build_lock(path, timeout):
    """Hold an exclusive lock on ``path`` (created if absent), waiting up to ``timeout`` seconds.

    ``fcntl.flock``: the operating system drops it when its holder exits,
    however it ends, so a killed build never leaves it held.
    """
    import fcntl

    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another process has been building skcmim's fused GRU kernel for more than "
                        f"{timeout:g} s (it holds {path})."
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


# Run in a fresh interpreter: torch renames a module built twice in one process with other arguments
# (its JIT versioner), and the built file is loaded and checked there, not in the caller.
_BUILD_SCRIPT = """
import json, logging, sys
import torch
from torch.utils.cpp_extension import load
name, source, folder, flags, verbose = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5]
if verbose == "1":
    logging.basicConfig(level=logging.INFO)
module = load(name, [source], extra_cflags=flags, build_directory=folder, verbose=verbose == "1")
# a smoke test: one layer's states against torch's GRU
torch.manual_seed(0)
x, h0 = torch.randn(3, 4, 5), torch.randn(4, 6)
w = [torch.randn(18, 5) * 0.3, torch.randn(18, 6) * 0.3, torch.randn(18) * 0.3, torch.randn(18) * 0.3]
states = module.forward(x, h0, *w, False)[0][1:]
expected = torch.gru(x, h0[None], w, True, 1, 0.0, False, False, False)[0]
torch.testing.assert_close(states, expected, rtol=1e-4, atol=1e-5)
"""


def _compile(source, folder, flags, verbose, timeout):
    """Build ``source`` into ``folder``/``MODULE_NAME``.so in a fresh interpreter; the built file."""
    command = [
        sys.executable,
        "-c",
        _BUILD_SCRIPT,
        MODULE_NAME,
        str(source),
        str(folder),
        json.dumps(flags),
        "1" if verbose else "0",
    ]
    try:
        done = subprocess.run(command, capture_output=not verbose, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise KernelBuildError(f"building skcmim's fused GRU kernel took more than {timeout:g} s; stopped.") from None
    if done.returncode:
        log = "" if verbose else "\n".join((done.stdout + done.stderr).strip().splitlines()[-40:])
        raise KernelBuildError(
            f"building skcmim's fused GRU kernel failed (exit status {done.returncode})"
            + (f":\n{log}" if log else "; its output is above.")
        )
    built = Path(folder) / f"{MODULE_NAME}.so"
    if not built.is_file():
        raise KernelBuildError(f"building skcmim's fused GRU kernel left no {built.name} in {folder}.")
    return built


def build_kernel(*, force=False, verbose=False, timeout=900):
    """Compile skcmim's fused GRU kernel for this environment (the command ``skcmim build-kernel``).

    The kernel trains and embeds SMILES models on the CPU faster than torch's
    GRU; without it they run on torch's GRU.  The build takes about half a
    minute and needs GCC or Clang and ninja (Linux or macOS).  It compiles
    ``csrc/fused_gru.cpp`` in a fresh folder of its own, checks the result
    against torch's GRU, and moves it to :func:`kernel_path` in one atomic
    rename, so that a process never sees a partial file.  Builders of the same
    key wait for each other (an operating-system lock that ends with its
    holder); a second builder then finds the first one's file and reuses it.
    Processes that start afterwards use the kernel (see :func:`backend`).

    Parameters
    ----------
    force : bool, default=False
        Build again even if the file exists (it is replaced atomically).
    verbose : bool, default=False
        Print the steps and the compiler's output.
    timeout : float, default=900
        Seconds to wait for another builder, and seconds the compilation may
        take, each.

    Returns
    -------
    pathlib.Path
        The built kernel file.

    Raises
    ------
    KernelBuildError
        Building is not supported here (Windows, no compiler, no ninja), or
        the build failed (the message carries the compiler's last lines).
    TimeoutError
        Another builder held the lock for more than ``timeout`` seconds.
    OSError
        The cache folder cannot be created or written.

    Examples
    --------
    >>> from skcmim import gru
    >>> gru.build_kernel(verbose=True)  # doctest: +SKIP
    """
    source = SOURCE.read_bytes()
    key = _build_key(source)
    target = kernel_path(key)
    say = print if verbose else (lambda *args, **kwargs: None)
    if target.is_file() and not force:
        say(f"skcmim's fused GRU kernel is already built: {target}")
        return target
    compiler, flags = _toolchain()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(target.with_suffix(".lock"), timeout):
        if target.is_file() and not force:  # built by the builder this one waited for
            say(f"skcmim's fused GRU kernel was built meanwhile: {target}")
            return target
        for stale in target.parent.glob(f".build-{key}-*"):  # left by a killed builder of this key
            shutil.rmtree(stale, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(prefix=f".build-{key}-", dir=target.parent))
        try:
            copy = folder / SOURCE.name  # the bytes that were hashed are the bytes that are compiled
            copy.write_bytes(source)
            say(f"Building skcmim's fused GRU kernel with {' '.join(compiler)} {' '.join(flags)} (about 30 s) ...")
            built = _compile(copy, folder, flags, verbose, timeout)
            card = folder / "build.json"
            card.write_text(
                json.dumps(
                    {
                        "compiler": compiler,
                        "flags": flags,
                        "torch": torch.__version__,
                        "python": sys.version,
                        "prefix": sys.prefix,
                        "key": key,
                    },
                    indent=1,
                )
            )
            os.replace(card, target.with_suffix(".json"))
            os.replace(built, target)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    say(f"Built {target}; SMILES models started from now on use it.")
    return target
