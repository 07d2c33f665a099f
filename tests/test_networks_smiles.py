"""The SMILES sequence network (SmilesEncoderDecoder): shapes, likelihood, padding, decoding."""

import numpy as np
import pytest
import torch

from skcmim.losses import LatentOutput, MIMLoss
from skcmim.molecules import SmilesTokenizer
from skcmim.networks import SmilesEncoderDecoder

from conftest import TRICKY

SMALL = dict(embedding_dim=16, hidden_size=32)

# --------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------


def _batch(tokenizer, smiles=TRICKY, max_length=40):
    return torch.as_tensor(tokenizer.encode(smiles, max_length=max_length))


def _model(tokenizer, n_components=4, seed=0, **kwargs):
    torch.manual_seed(seed)
    return SmilesEncoderDecoder(tokenizer.vocab_size, n_components, max_length=40, **{**SMALL, **kwargs})


def test_forward_shapes_and_loss(tokenizer):
    model = _model(tokenizer)
    x = _batch(tokenizer)
    out = model(x)
    assert isinstance(out, LatentOutput)
    assert out.mu.shape == out.log_sigma.shape == out.z.shape == (len(TRICKY), 4)
    assert out.log_px.shape == (len(TRICKY),) and (out.log_px < 0).all()
    assert (out.log_sigma >= -6).all()
    loss = MIMLoss(contrastive_weight=1.0)(out)
    assert torch.isfinite(loss)
    deterministic = model(x, sample=False)
    torch.testing.assert_close(deterministic.z, deterministic.mu)


def test_log_px_is_sum_over_non_pad_targets(tokenizer):
    model = _model(tokenizer).eval()
    x = _batch(tokenizer, ["CC"], max_length=10)  # targets: C, C, <eos>
    with torch.no_grad():
        mu = model.encode(x)
        states, targets = model._teacher_forced(x[:, :4], mu)
        log_probs = torch.log_softmax(model.decoder_out(states), dim=-1)
        expected = log_probs[0, torch.arange(3), targets[0]].sum()
        torch.testing.assert_close(model(x, sample=False).log_px[0], expected)


def test_code_does_not_depend_on_padding(tokenizer):
    model = _model(tokenizer, num_layers=2).eval()
    short, long = _batch(tokenizer, max_length=40), _batch(tokenizer, max_length=90)
    with torch.no_grad():
        torch.testing.assert_close(model.encode(short), model.encode(long), rtol=0, atol=1e-6)
        torch.testing.assert_close(model.informative(short), model.informative(long), rtol=0, atol=1e-6)
        torch.testing.assert_close(model(short, sample=False).log_px, model(long, sample=False).log_px)
        # nor on the other rows of the batch (which set the batch's padded width)
        alone = torch.cat([model.informative(short[i : i + 1]) for i in range(len(short))])
        torch.testing.assert_close(alone, model.informative(short), rtol=1e-4, atol=1e-5)


def test_gradients_reach_every_part(tokenizer):
    model = _model(tokenizer)
    MIMLoss(contrastive_weight=1.0)(model(_batch(tokenizer))).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, name


def test_training_lowers_the_loss(tokenizer):
    model = _model(tokenizer)
    x, criterion = _batch(tokenizer), MIMLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    torch.manual_seed(0)
    losses = []
    for _ in range(25):
        optimizer.zero_grad()
        loss = criterion(model(x))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_deterministic_given_seed(tokenizer):
    x = _batch(tokenizer)
    torch.manual_seed(1)
    first = _model(tokenizer, seed=3)(x)
    torch.manual_seed(1)
    second = _model(tokenizer, seed=3)(x)
    for a, b in zip(first, second):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_one_component_batch_of_one_is_finite(tokenizer):
    model = _model(tokenizer, n_components=1)
    x = _batch(tokenizer, ["C"], max_length=5)
    out = model(x)
    assert all(torch.isfinite(t).all() for t in out)
    loss = MIMLoss(contrastive_weight=1.0)(out)
    loss.backward()
    assert torch.isfinite(loss)
    assert model.informative(x).shape == (1, 1 + SMALL["hidden_size"])
    assert model.decode(model.encode(x)).shape == (1, 40)


def test_informative_width_and_layers(tokenizer):
    model = _model(tokenizer).eval()
    x = _batch(tokenizer)
    assert model.informative_widths() == [SMALL["hidden_size"]]
    with torch.no_grad():
        full = model.informative(x)
        assert full.shape == (len(TRICKY), 4 + SMALL["hidden_size"])
        torch.testing.assert_close(full[:, :4], model.encode(x))
        torch.testing.assert_close(model.informative(x, layers=[0]), full)
        torch.testing.assert_close(model.informative(x, layers=[]), model.encode(x))


def test_decode_greedy_and_sampled(tokenizer):
    model = _model(tokenizer).eval()
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    ids = model.decode(z)
    assert ids.shape == (3, 40) and ids.dtype == torch.long
    assert (ids[:, 0] == tokenizer.bos_index).all()
    assert not (ids[:, 1:] == tokenizer.bos_index).any()
    for row in ids.tolist():
        if tokenizer.eos_index in row:  # everything after <eos> is padding
            end = row.index(tokenizer.eos_index)
            assert all(i == tokenizer.pad_index for i in row[end + 1 :])
        assert tokenizer.pad_index not in row[: row.index(tokenizer.eos_index) if tokenizer.eos_index in row else 40]
    torch.testing.assert_close(model.decode(z), ids)  # greedy is deterministic
    assert model.decode(z, max_length=7).shape == (3, 7)
    sampled = [model.decode(z, temperature=1.0, generator=torch.Generator().manual_seed(5)) for _ in range(2)]
    torch.testing.assert_close(sampled[0], sampled[1])
    assert len(tokenizer.decode(ids)) == 3


def test_empty_batch(tokenizer):
    model = _model(tokenizer).eval()
    x = torch.zeros(0, 10, dtype=torch.long)
    assert model.encode(x).shape == (0, 4)
    assert model(x).log_px.shape == (0,)
    assert model.informative(x).shape == (0, 4 + SMALL["hidden_size"])
    assert model.decode(torch.zeros(0, 4)).shape == (0, 40)


def test_float64_module(tokenizer):
    model = _model(tokenizer).double().eval()
    x = _batch(tokenizer)
    out = model(x)
    assert out.mu.dtype == out.log_px.dtype == torch.float64
    assert model.informative(x).dtype == torch.float64
    assert model.decode(out.mu.detach()).shape == (len(TRICKY), 40)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(tokenizer):
    model = _model(tokenizer).eval()
    x = _batch(tokenizer)
    with torch.no_grad():
        cpu = model.informative(x)
        gpu_model = model.to("cuda")
        gpu = gpu_model.informative(x.cuda())
        torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-3, atol=1e-4)
        out = gpu_model(x.cuda())
        assert out.log_px.device.type == "cuda"
        generator = torch.Generator(device="cpu").manual_seed(0)
        assert gpu_model.decode(gpu.new_zeros(2, 4), temperature=1.0, generator=generator).device.type == "cuda"
        with torch.autocast("cuda", dtype=torch.bfloat16):
            assert torch.isfinite(gpu_model(x.cuda()).log_px.float()).all()


def test_decoding_never_generates_bos_or_unk():
    torch.manual_seed(0)
    net = SmilesEncoderDecoder(vocab_size=10, n_components=2, **SMALL)
    with torch.no_grad():
        net.decoder_out.bias[[SmilesTokenizer.bos_index, SmilesTokenizer.unk_index]] = 100.0
    for temperature in (0.0, 1.0):
        ids = net.decode(torch.randn(6, 2), max_length=12, temperature=temperature)
        assert not np.isin(ids[:, 1:].numpy(), [SmilesTokenizer.bos_index, SmilesTokenizer.unk_index]).any()
