"""The GRU of SMILES models (skcmim.gru): torch's by default, skcmim's fused kernel where one is built.

The runtime never compiles and never waits on a lock; the kernel is built by
an explicit step into skcmim's own cache, keyed by what makes a build valid,
under a lock that dies with its holder.  Where it runs, it gives torch's GRU
results to float32 rounding; it applies only where it can (float32, CPU, no
autocast, not switched off).
"""

import copy
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skcmim import gru
from skcmim.gru import gru_layer
from skcmim.losses import MIMLoss
from skcmim.networks import SmilesEncoderDecoder

from conftest import TINY

#: float32's unit roundoff
UNIT_ROUNDOFF = 2.0**-24
SMILES = ["CCO", "c1ccccc1O", "CC(=O)O", "CCN(CC)CC", "C1CCCCC1", "OCC(O)CO", "CC#N", "c1ccncc1"]


@pytest.fixture(scope="module")
def fused(gru_kernel_dir):
    """This module's SMILES models run on the kernel built for the session (the kernel module)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(gru_kernel_dir))
        with gru.use_backend("fused"):
            yield gru._extension


@pytest.fixture
def fresh_process(monkeypatch):
    """The module as a new process finds it: no choice made, no kernel loaded, no override."""
    for name in ("_choice", "_override", "_extension"):
        monkeypatch.setattr(gru, name, None)
    monkeypatch.delenv("SKCMIM_FUSED_GRU", raising=False)


def _layer(batch, steps, features, hidden, seed, scale=1.0):
    generator = torch.Generator().manual_seed(seed)
    rnn = torch.nn.GRU(features, hidden, batch_first=True)
    with torch.no_grad():
        for parameter in rnn.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * scale / hidden**0.5)
    inputs = torch.randn(batch, steps, features, generator=generator, requires_grad=True)
    initial = torch.randn(batch, hidden, generator=generator, requires_grad=True)
    return rnn, inputs, initial


def _run(rnn, inputs, initial, seed, *, backend):
    """States, last state, and the gradients of a random linear function of both."""
    leaves = [inputs, initial, *rnn.parameters()]
    for leaf in leaves:
        leaf.grad = None
    weights = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0]
    with gru.use_backend(backend):
        states, last = gru_layer(inputs, initial, weights, training=True)
        generator = torch.Generator().manual_seed(seed + 1)
        (
            (states * torch.randn(states.shape, generator=generator)).sum()
            + (last * torch.randn(last.shape, generator=generator)).sum()
        ).backward()
    return states.detach(), last.detach(), [leaf.grad.clone() for leaf in leaves]


# ----------------------------------------------------------------------------- the kernel's numbers


@settings(max_examples=30, deadline=None)
# batches of more than 16 rows span several of the backward's blocks of rows, the last one partial
@given(
    st.integers(1, 9) | st.integers(17, 40),
    st.integers(1, 12),
    st.integers(1, 7),
    st.integers(1, 40),
    st.integers(0, 10_000),
    st.sampled_from([1.0, 30.0]),
)
def test_kernel_gives_torch_states_and_gradients(fused, batch, steps, features, hidden, seed, scale):
    # scale 30: pre-activations in the hundreds, where sigmoid and tanh saturate; one step, as over many
    # steps such weights amplify any rounding difference (torch's own float32 and float64 GRUs part ways too)
    steps = 1 if scale > 1 else steps
    rnn, inputs, initial = _layer(batch, steps, features, hidden, seed, scale)
    got = _run(rnn, inputs, initial, seed, backend="fused")
    expected = _run(rnn, inputs, initial, seed, backend="torch")
    torch.testing.assert_close(got[0], expected[0], rtol=1e-5, atol=2e-6)
    torch.testing.assert_close(got[1], expected[1], rtol=1e-5, atol=2e-6)
    for name, a, b in zip(["inputs", "initial", "w_ih", "w_hh", "b_ih", "b_hh"], got[2], expected[2]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4 * scale, msg=name)


def _codes_embeddings_and_gradients(module, x, backend):
    """Codes, informative embeddings and one training step's gradients of ``module`` on ``x``."""
    with gru.use_backend(backend):
        module.zero_grad()
        MIMLoss(contrastive_weight=1.0)(module(x, sample=False)).backward()
        found = {name: parameter.grad.clone() for name, parameter in module.named_parameters()}
        with torch.no_grad():
            found["codes"], found["informative"] = module.encode(x), module.informative(x)
    return found


def test_backends_agree_within_a_few_times_torchs_own_float32_rounding(fused):
    # Both backends round the same operations in float32; the kernel's sigmoid and tanh are within 2 units in
    # the last place where torch's are within 1, and its sums run in another order.  So each one's error
    # against the exact result (float64 stands for it) is of the same order, and by the triangle inequality
    # they differ by at most a few times torch's own error.  The bound, per tensor, in the 2-norm:
    #     |fused - torch| <= 4 (|torch - float64| + u |float64|),   u = 2**-24,
    # the second term for tensors whose float32 error happens to vanish.
    torch.manual_seed(0)
    module = SmilesEncoderDecoder(20, 4, hidden_size=32, embedding_dim=8, num_layers=2)
    lengths = torch.randint(3, 30, (32,))
    x = torch.randint(4, 20, (32, 30))
    x[:, 0] = 1
    x = x.masked_fill(torch.arange(30) >= lengths[:, None], 0)
    got = _codes_embeddings_and_gradients(module, x, "fused")
    expected = _codes_embeddings_and_gradients(module, x, "torch")
    exact = _codes_embeddings_and_gradients(copy.deepcopy(module).double(), x, "torch")
    assert set(got) == set(expected) and len(got) == len(list(module.parameters())) + 2
    for name in got:
        bound = 4 * (torch.linalg.norm(expected[name] - exact[name]) + UNIT_ROUNDOFF * torch.linalg.norm(exact[name]))
        difference = torch.linalg.norm(got[name].double() - expected[name])
        assert difference <= bound, f"{name}: {difference:.3g} > {bound:.3g}"
    assert not torch.equal(got["codes"], expected["codes"])  # the kernel did run


def test_kernel_passes_nan_through(fused):
    rnn, inputs, initial = _layer(3, 4, 5, 6, 0)
    with torch.no_grad():
        inputs[1, 2, 0] = float("nan")
    states, last, _ = _run(rnn, inputs, initial, 0, backend="fused")
    assert torch.isnan(states[1, 2:]).all() and torch.isnan(last[1]).all()
    assert torch.isfinite(states[[0, 2]]).all() and torch.isfinite(states[1, :2]).all()


def _kernel_calls(monkeypatch):
    """A list that gets one item per layer the kernel runs, with gradients ("train") or without ("infer")."""
    calls = []
    monkeypatch.setattr(gru, "_extension", _Recording(gru._extension, calls))
    return calls


class _Recording:
    """The extension, each forward counted: keeping gates for a backward pass ("train") or not ("infer")."""

    def __init__(self, extension, calls):
        self.backward, self._forward, self._calls = extension.backward, extension.forward, calls

    def forward(self, *args):
        self._calls.append("train" if args[-1] else "infer")
        return self._forward(*args)


def test_smiles_network_trains_through_the_kernel(fused, monkeypatch):
    calls = _kernel_calls(monkeypatch)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5, num_layers=2)
    x = torch.randint(3, 12, (4, 7))
    x[:, 0] = 1
    module(x).log_px.sum().backward()
    assert calls == ["train"] * 6  # two layers: forward and reverse encoder directions, the decoder
    assert all(p.grad is not None for p in module.parameters() if p.requires_grad)


def test_smiles_network_infers_through_the_kernel(fused, monkeypatch):
    calls = _kernel_calls(monkeypatch)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5, num_layers=2).eval()
    x = torch.randint(3, 12, (4, 7))
    with torch.no_grad():
        module.informative(x)
    assert calls == ["infer"] * 6


@pytest.mark.parametrize("case", ["torch chosen", "torch chosen, no gradients", "float64", "autocast"])
def test_kernel_is_left_out_where_it_does_not_apply(fused, monkeypatch, case):
    calls = _kernel_calls(monkeypatch)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5)
    x = torch.randint(3, 12, (4, 7))
    with gru.use_backend("torch" if case.startswith("torch") else "fused"):
        if case == "float64":
            module = module.double()
        if case.endswith("no gradients"):
            with torch.no_grad():
                module(x)
        elif case == "autocast":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                module(x).log_px.sum().backward()
        else:
            module(x).log_px.sum().backward()
    assert calls == []


def _inference(module, x, lengths):
    """Encoder final states, teacher-forced decoder states, and the same from torch's packed and stacked GRUs."""
    with torch.inference_mode():
        embedded = module.encoder_embedding(x)
        z = module.encode(x)
        states, _ = module._teacher_forced(x, z)
        expected, _ = module.decoder_rnn(module._decoder_step_inputs(x[:, :-1], z), module._initial_hidden(z))
        return (module._final_states(embedded, lengths), states), (
            module._packed_final_states(embedded, lengths),
            expected,
        )


@pytest.mark.parametrize("backend", ["fused", "torch"])
def test_inference_gives_torch_gru_states(fused, backend):
    # on torch's GRU saved models embed and decode exactly as before the kernel existed
    torch.manual_seed(0)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5, num_layers=2).eval()
    x = torch.randint(3, 12, (5, 7))
    lengths = torch.tensor([7, 2, 5, 7, 1])
    x = x.masked_fill(torch.arange(7) >= lengths[:, None], 0)
    with gru.use_backend(backend):
        got, expected = _inference(module, x, lengths)
    for a, b in zip(got, expected):
        if backend == "fused":
            torch.testing.assert_close(a, b, rtol=1e-5, atol=2e-6)
        else:
            assert torch.equal(a, b)


def test_smiles_fit_with_the_kernel_is_reproducible_and_close_to_torch_gru(fused):
    pytest.importorskip("rdkit")
    from skcmim import CMIMTransformer

    def codes(backend):
        with gru.use_backend(backend):
            model = CMIMTransformer(2, hidden_layer_sizes=(16,), max_epochs=2, batch_size=8, random_state=0)
            return model.fit(SMILES * 4).transform(SMILES * 4)

    first, again, torch_gru = codes("fused"), codes("fused"), codes("torch")
    np.testing.assert_array_equal(first, again)
    # two epochs of Adam carry the rounding differences into the weights: close, not within rounding
    np.testing.assert_allclose(first, torch_gru, atol=1e-3)


# ----------------------------------------------------------------------------- the process's choice


def test_a_built_kernel_is_chosen_once_per_process(gru_kernel_dir, tmp_path, monkeypatch, fresh_process):
    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))  # empty: torch's GRU
    assert gru.backend() == "torch"
    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(gru_kernel_dir))
    assert gru.backend() == "torch"  # a kernel that appears later waits for the next process
    monkeypatch.setattr(gru, "_choice", None)
    assert gru.backend() == "fused"
    monkeypatch.setattr(gru, "_choice", None)
    monkeypatch.setenv("SKCMIM_FUSED_GRU", "0")
    assert gru.backend() == "torch"


def test_a_fresh_process_uses_a_built_kernel_and_the_switch_turns_it_off(gru_kernel_dir):
    code = "from skcmim import gru; print(gru.backend())"
    for switch, expected in [(None, "fused"), ("0", "torch")]:
        env = {**os.environ, "SKCMIM_KERNEL_DIR": str(gru_kernel_dir)}
        env.pop("SKCMIM_FUSED_GRU", None)
        if switch is not None:
            env["SKCMIM_FUSED_GRU"] = switch
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected


def _refuse_to_compile(monkeypatch):
    from torch.utils import cpp_extension

    def refuse(*args, **kwargs):
        raise AssertionError("a SMILES model compiled the GRU kernel at run time")

    for module, name in [
        (cpp_extension, "load"),
        (cpp_extension, "_jit_compile"),
        (gru, "_compile"),
        (gru, "_toolchain"),
        (gru, "build_kernel"),
    ]:
        monkeypatch.setattr(module, name, refuse)


def test_a_smiles_fit_and_transform_never_compile(tmp_path, monkeypatch, fresh_process):
    pytest.importorskip("rdkit")
    from skcmim import CMIMTransformer

    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))
    _refuse_to_compile(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # and says nothing about it
        codes = CMIMTransformer(**TINY).fit(SMILES).transform(SMILES)
    assert codes.shape == (len(SMILES), TINY["n_components"]) and np.isfinite(codes).all()
    assert gru.backend() == "torch"
    assert list(tmp_path.iterdir()) == []  # nothing written into the kernel folder either


_FIRST_USE = textwrap.dedent("""
    import time
    start = time.perf_counter()
    from torch.utils import cpp_extension
    def refuse(*args, **kwargs):
        raise SystemExit("compiled at run time")
    cpp_extension.load = cpp_extension._jit_compile = refuse
    from skcmim import CMIMTransformer, gru
    gru._compile = gru.build_kernel = refuse
    smiles = ["CCO", "c1ccccc1O", "CC(=O)O", "CCN(CC)CC", "C1CCCCC1", "OCC(O)CO", "CC#N", "c1ccncc1"]
    model = CMIMTransformer(2, hidden_layer_sizes=(8,), max_epochs=1, batch_size=8, random_state=0).fit(smiles)
    model.transform(smiles)
    print(gru.backend(), round(time.perf_counter() - start, 1))
""")


def test_first_use_returns_promptly_beside_stale_and_held_locks(tmp_path):
    # A fresh process with skcmim's default kernel folder, which holds the build lock of this environment's key,
    # held by a live builder (this test), and a stale torch-style lock file; torch's default extensions folder
    # holds the stale lock of a killed build of the kernel as skcmim 0.1 built it.  The first fit and transform
    # run on torch's GRU without waiting on any of them (300 s: a wait would be for ever).
    cache = tmp_path / "cache"
    kernel_folder = cache / "skcmim" / "gru-kernel"
    kernel_folder.mkdir(parents=True)
    (kernel_folder / "lock").write_text("")
    torch_folder = cache / "torch_extensions" / f"py{sys.version_info.major}{sys.version_info.minor}_cpu"
    (torch_folder / gru.MODULE_NAME).mkdir(parents=True)
    (torch_folder / gru.MODULE_NAME / "lock").write_text("")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("SKCMIM_KERNEL_DIR", "SKCMIM_FUSED_GRU", "TORCH_EXTENSIONS_DIR")
    }
    env["XDG_CACHE_HOME"] = str(cache)
    lock = kernel_folder / f"{gru.MODULE_NAME}-{gru._build_key()}.lock"
    with gru._build_lock(lock, timeout=10):
        done = subprocess.run(
            [sys.executable, "-c", _FIRST_USE], capture_output=True, text=True, env=env, timeout=300, check=False
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[0] == "torch"
    assert sorted(path.name for path in kernel_folder.iterdir()) == sorted(["lock", lock.name])


def test_where_the_kernel_cannot_be_built_the_runtime_stays_silent(tmp_path, monkeypatch, fresh_process):
    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "win32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gru.backend() == "torch"
        module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5)
        module(torch.randint(3, 12, (4, 7))).log_px.sum().backward()
    with pytest.raises(gru.KernelBuildError, match="Linux and macOS only .this is win32"):
        gru.build_kernel()


@pytest.mark.parametrize("broken", ["no kernel source installed", "no home folder"])
def test_an_odd_installation_runs_torch_gru_silently(tmp_path, monkeypatch, fresh_process, broken):
    if broken == "no kernel source installed":
        monkeypatch.setattr(gru, "SOURCE", tmp_path / "fused_gru.cpp")
    else:
        for name in ("SKCMIM_KERNEL_DIR", "XDG_CACHE_HOME", "HOME"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setattr(os.path, "expanduser", _no_home)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gru.backend() == "torch"


def _no_home(path):
    raise RuntimeError("Could not determine home directory.")


def test_a_damaged_kernel_file_warns_once_and_uses_torch_gru(tmp_path, monkeypatch, fresh_process):
    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))
    gru.kernel_path().write_bytes(b"not a shared library")
    with pytest.warns(RuntimeWarning, match="could not load its fused GRU kernel .*build-kernel --force"):
        assert gru.backend() == "torch"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gru.backend() == "torch"  # chosen once: no second warning


def test_asking_for_the_kernel_without_a_build_warns_once(tmp_path, monkeypatch, fresh_process):
    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))
    monkeypatch.setenv("SKCMIM_FUSED_GRU", "1")
    with pytest.warns(RuntimeWarning, match="none is built for this environment.*skcmim build-kernel"):
        assert gru.backend() == "torch"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gru.backend() == "torch"


def test_use_backend_refuses_an_unknown_name_and_a_missing_kernel(tmp_path, monkeypatch, fresh_process):
    with pytest.raises(ValueError, match="'fused' or 'torch', got 'cuda'"), gru.use_backend("cuda"):
        pass
    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no fused GRU kernel is built"), gru.use_backend("fused"):
        pass
    with gru.use_backend("torch"):
        assert gru.backend() == "torch"
    assert gru._override is None


# ----------------------------------------------------------------------------- the explicit build


def test_the_build_key_changes_with_what_makes_a_build_valid(monkeypatch):
    source = gru.SOURCE.read_bytes()
    key = gru._build_key(source)
    assert gru._build_key(source) == key and len(key) == 20
    assert gru._build_key(source + b"\n// changed") != key
    abi = torch._C._GLIBCXX_USE_CXX11_ABI
    changes = [
        (torch, "__version__", "2.99.0"),
        (torch._C, "_GLIBCXX_USE_CXX11_ABI", not abi),
        (sys, "prefix", "/another/environment"),
        (gru, "BASE_FLAGS", ("-O2",)),
    ]
    for module, name, value in changes:
        with monkeypatch.context() as patch:
            patch.setattr(module, name, value)
            assert gru._build_key(source) != key, name


def test_the_kernel_folder_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))
    assert gru.kernel_path() == tmp_path / f"{gru.MODULE_NAME}-{gru._build_key()}.so"
    monkeypatch.delenv("SKCMIM_KERNEL_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert gru.kernel_path().parent == tmp_path / "cache" / "skcmim" / "gru-kernel"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CXX": "/no/such/compiler"}, r"no C\+\+ compiler found \(/no/such/compiler"),
        ({"ninja": False}, "ninja is not installed"),
    ],
)
def test_a_build_that_cannot_run_says_why(tmp_path, monkeypatch, change, message):
    from torch.utils import cpp_extension

    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))
    if "CXX" in change:
        monkeypatch.setenv("CXX", change["CXX"])
    else:
        monkeypatch.setenv("CXX", sys.executable)  # a program that is there, and (below) says it is GCC
        monkeypatch.setattr(gru, "_run", lambda *args, **kwargs: subprocess.CompletedProcess(args, 0, "gcc 12", ""))
        monkeypatch.setattr(cpp_extension, "is_ninja_available", lambda: False)
    with pytest.raises(gru.KernelBuildError, match=message):
        gru.build_kernel()
    assert list(tmp_path.iterdir()) == []


def _fake_compiler(monkeypatch, calls, seconds=0.0, fail=False):
    """``gru._compile`` replaced by one that records its calls and writes a stand-in file after ``seconds``."""
    monkeypatch.setattr(gru, "_toolchain", lambda: (["c++"], list(gru.BASE_FLAGS)))

    def compile_(source, folder, flags, verbose, timeout):
        calls.append(threading.current_thread().name)
        time.sleep(seconds)
        if fail:
            raise gru.KernelBuildError("building skcmim's fused GRU kernel failed: stand-in")
        built = folder / f"{gru.MODULE_NAME}.so"
        built.write_text(f"built by {threading.current_thread().name}")
        return built

    monkeypatch.setattr(gru, "_compile", compile_)


def test_concurrent_builds_wait_for_the_first_and_reuse_its_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))
    calls, results = [], {}
    _fake_compiler(monkeypatch, calls, seconds=1.0)
    start = threading.Barrier(3)

    def build(name):
        start.wait()
        results[name] = (gru.build_kernel(), time.monotonic())

    threads = [threading.Thread(target=build, args=(name,), name=name) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(calls) == 1  # one compiled; the others waited for its lock, then found its file
    assert {path for path, _ in results.values()} == {gru.kernel_path()}
    assert gru.kernel_path().read_text() == f"built by {calls[0]}"
    assert not list(tmp_path.glob(".build-*"))
    assert gru.build_kernel() == gru.kernel_path() and len(calls) == 1  # built: reused, not rebuilt
    assert gru.build_kernel(force=True) == gru.kernel_path() and len(calls) == 2


def test_a_failed_build_leaves_no_kernel_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path))
    _fake_compiler(monkeypatch, [], fail=True)
    (tmp_path / f".build-{gru._build_key()}-left-by-a-killed-build").mkdir()
    with pytest.raises(gru.KernelBuildError, match="stand-in"):
        gru.build_kernel()
    assert not gru.kernel_path().exists()
    assert not list(tmp_path.glob(".build-*"))  # its own, and the killed builder's, are gone


_HOLD_THE_LOCK = (
    "import sys, time\nfrom skcmim import gru\nwith gru._build_lock(sys.argv[1], 10):\n"
    "    print('held', flush=True)\n    time.sleep(600)\n"
)


def test_a_killed_builders_lock_is_released(tmp_path):
    lock = tmp_path / "kernel.lock"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_THE_LOCK, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(TimeoutError, match="another process has been building"), gru._build_lock(lock, 0.5):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
        holder.stdout.close()
    start = time.monotonic()
    with gru._build_lock(lock, timeout=5):  # the lock file is still there; the lock is not
        assert time.monotonic() - start < 2
    assert lock.exists()
