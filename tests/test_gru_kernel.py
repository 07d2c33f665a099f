"""The fused GRU kernel that trains and runs SMILES models on the CPU (skcmim._gru_kernel).

It must give torch's GRU states and gradients (to float32 rounding), apply
only where it can (float32, CPU, no autocast, not switched off), and fall
back to torch's GRU with one warning where it cannot be built.
"""

import shutil
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skcmim import _gru_kernel
from skcmim._gru_kernel import gru_layer
from skcmim.networks import SmilesEncoderDecoder

CAN_BUILD = shutil.which("c++") is not None and shutil.which("ninja") is not None


@pytest.fixture(scope="module")
def fused():
    """The compiled kernel; a machine with a compiler and ninja must build it."""
    if _gru_kernel.kernel() is None:
        if CAN_BUILD:
            pytest.fail("a C++ compiler and ninja are here, but the fused GRU kernel did not build")
        pytest.skip("no C++ compiler or ninja: the fused GRU kernel cannot be built here")
    return _gru_kernel.kernel()


def _layer(batch, steps, features, hidden, seed, scale=1.0):
    generator = torch.Generator().manual_seed(seed)
    rnn = torch.nn.GRU(features, hidden, batch_first=True)
    with torch.no_grad():
        for parameter in rnn.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * scale / hidden**0.5)
    inputs = torch.randn(batch, steps, features, generator=generator, requires_grad=True)
    initial = torch.randn(batch, hidden, generator=generator, requires_grad=True)
    return rnn, inputs, initial


def _run(rnn, inputs, initial, seed, *, use_kernel, monkeypatch):
    """States, last state, and the gradients of a random linear function of both."""
    monkeypatch.setenv("SKCMIM_FUSED_GRU", "1" if use_kernel else "0")
    leaves = [inputs, initial, *rnn.parameters()]
    for leaf in leaves:
        leaf.grad = None
    weights = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0]
    states, last = gru_layer(inputs, initial, weights, training=True)
    generator = torch.Generator().manual_seed(seed + 1)
    ((states * torch.randn(states.shape, generator=generator)).sum()
     + (last * torch.randn(last.shape, generator=generator)).sum()).backward()
    return states.detach(), last.detach(), [leaf.grad.clone() for leaf in leaves]


@settings(max_examples=30, deadline=None)
# batches of more than 16 rows span several of the backward's blocks of rows, the last one partial
@given(st.integers(1, 9) | st.integers(17, 40), st.integers(1, 12), st.integers(1, 7), st.integers(1, 40),
       st.integers(0, 10_000), st.sampled_from([1.0, 30.0]))
def test_kernel_gives_torch_states_and_gradients(fused, batch, steps, features, hidden, seed, scale):
    # scale 30: pre-activations in the hundreds, where sigmoid and tanh saturate; one step, as over many
    # steps such weights amplify any rounding difference (torch's own float32 and float64 GRUs part ways too)
    steps = 1 if scale > 1 else steps
    rnn, inputs, initial = _layer(batch, steps, features, hidden, seed, scale)
    with pytest.MonkeyPatch.context() as monkeypatch:
        got = _run(rnn, inputs, initial, seed, use_kernel=True, monkeypatch=monkeypatch)
        expected = _run(rnn, inputs, initial, seed, use_kernel=False, monkeypatch=monkeypatch)
    torch.testing.assert_close(got[0], expected[0], rtol=1e-5, atol=2e-6)
    torch.testing.assert_close(got[1], expected[1], rtol=1e-5, atol=2e-6)
    for name, a, b in zip(["inputs", "initial", "w_ih", "w_hh", "b_ih", "b_hh"], got[2], expected[2]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4 * scale, msg=name)


@pytest.mark.parametrize(("batch", "steps", "features", "hidden"), [(1, 3, 2, 5), (37, 6, 7, 11)])
def test_kernel_without_the_direct_blas_gives_torch_states_and_gradients(fused, batch, steps, features, hidden):
    # where torch does not export MKL's BLAS (macOS, Windows) each step's products go through ATen: built
    # here with that path forced, as those machines build it
    from torch.utils.cpp_extension import load

    aten_products = load("skcmim_fused_gru_aten_products", [str(_gru_kernel._SOURCE)],
                         extra_cflags=[*_gru_kernel._FLAGS, "-DSKCMIM_ATEN_PRODUCTS"])
    rnn, inputs, initial = _layer(batch, steps, features, hidden, 0)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(_gru_kernel, "_extension", aten_products)
        got = _run(rnn, inputs, initial, 0, use_kernel=True, monkeypatch=monkeypatch)
        expected = _run(rnn, inputs, initial, 0, use_kernel=False, monkeypatch=monkeypatch)
    torch.testing.assert_close(got[0], expected[0], rtol=1e-5, atol=2e-6)
    for a, b in zip(got[2], expected[2]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_kernel_passes_nan_through(fused, monkeypatch):
    rnn, inputs, initial = _layer(3, 4, 5, 6, 0)
    with torch.no_grad():
        inputs[1, 2, 0] = float("nan")
    states, last, _ = _run(rnn, inputs, initial, 0, use_kernel=True, monkeypatch=monkeypatch)
    assert torch.isnan(states[1, 2:]).all() and torch.isnan(last[1]).all()
    assert torch.isfinite(states[[0, 2]]).all() and torch.isfinite(states[1, :2]).all()


def _kernel_calls(monkeypatch):
    """A list that gets one item per layer the kernel runs, with gradients ("train") or without ("infer")."""
    calls = []
    monkeypatch.setattr(_gru_kernel, "_extension", _Recording(_gru_kernel.kernel(), calls))
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


@pytest.mark.parametrize("case", ["switched off", "switched off, no gradients", "float64", "autocast"])
def test_kernel_is_left_out_where_it_does_not_apply(fused, monkeypatch, case):
    calls = _kernel_calls(monkeypatch)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5)
    x = torch.randint(3, 12, (4, 7))
    if case.startswith("switched off"):
        monkeypatch.setenv("SKCMIM_FUSED_GRU", "0")
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
            module._packed_final_states(embedded, lengths), expected)


@pytest.mark.parametrize("kernel_on", [True, False])
def test_inference_gives_torch_gru_states(fused, monkeypatch, kernel_on):
    # with the kernel switched off saved models embed and decode exactly as before the kernel existed
    monkeypatch.setenv("SKCMIM_FUSED_GRU", "1" if kernel_on else "0")
    torch.manual_seed(0)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5, num_layers=2).eval()
    x = torch.randint(3, 12, (5, 7))
    lengths = torch.tensor([7, 2, 5, 7, 1])
    x = x.masked_fill(torch.arange(7) >= lengths[:, None], 0)
    got, expected = _inference(module, x, lengths)
    for a, b in zip(got, expected):
        if kernel_on:
            torch.testing.assert_close(a, b, rtol=1e-5, atol=2e-6)
        else:
            assert torch.equal(a, b)


def test_a_failed_build_warns_once_and_trains_with_torch_gru(monkeypatch):
    import torch.utils.cpp_extension

    def no_compiler(*args, **kwargs):
        raise RuntimeError("Ninja is required to load C++ extensions")

    monkeypatch.setattr(torch.utils.cpp_extension, "load", no_compiler)
    monkeypatch.setattr(_gru_kernel, "_extension", None)
    monkeypatch.setattr(_gru_kernel, "_failed", False)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5)
    x = torch.randint(3, 12, (4, 7))
    with pytest.warns(RuntimeWarning, match="could not build its fused GRU kernel .Ninja is required") as record:
        module(x).log_px.sum().backward()
    assert record[0].filename == __file__  # the user's line, not torch's or skcmim's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module(x).log_px.sum().backward()  # no second warning
    assert _gru_kernel.kernel() is None


def test_smiles_fit_with_the_kernel_is_reproducible_and_close_to_torch_gru(fused, monkeypatch):
    pytest.importorskip("rdkit")
    from skcmim import CMIMTransformer

    smiles = ["CCO", "c1ccccc1O", "CC(=O)O", "CCN(CC)CC", "C1CCCCC1", "OCC(O)CO", "CC#N", "c1ccncc1"] * 4

    def codes(fused_gru):
        monkeypatch.setenv("SKCMIM_FUSED_GRU", "1" if fused_gru else "0")
        model = CMIMTransformer(2, hidden_layer_sizes=(16,), max_epochs=2, batch_size=8, random_state=0)
        return model.fit(smiles).transform(smiles)

    first, again, torch_gru = codes(True), codes(True), codes(False)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first, torch_gru, atol=1e-3)
