"""GPU behaviour; skipped cleanly on machines without CUDA (CI has none)."""

import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
import torch

import skcmim
from skcmim import CMIMTransformer

from conftest import FAST

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_auto_device_trains_and_transforms_on_cuda(digits_small):
    X = digits_small[0]
    model = CMIMTransformer(**FAST).fit(X)
    assert next(model.module_.parameters()).device.type == "cuda"
    Z = model.transform(X)
    cpu = CMIMTransformer(**FAST, device="cpu").fit(X).transform(X)
    assert Z.shape == cpu.shape and np.all(np.isfinite(Z))


def test_mixed_precision_on_cuda(digits_small):
    X = digits_small[0]
    model = CMIMTransformer(**FAST, mixed_precision=True).fit(X)
    assert np.all(np.isfinite(model.transform(X)))


def test_cuda_model_unpickles_without_cuda(tmp_path, digits_small):
    X = digits_small[0]
    model = CMIMTransformer(**FAST).fit(X)
    joblib.dump(model, tmp_path / "m.joblib")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Z.npy", model.transform(X))
    script = (
        "import joblib, numpy as np, torch, warnings; warnings.simplefilter('ignore');"
        "assert not torch.cuda.is_available();"
        f"m = joblib.load(r'{tmp_path / 'm.joblib'}');"
        f"Z = m.transform(np.load(r'{tmp_path / 'X.npy'}'));"
        f"np.testing.assert_allclose(Z, np.load(r'{tmp_path / 'Z.npy'}'), rtol=1e-3, atol=1e-4);"
        "print('ok', next(m.module_.parameters()).device)"
    )
    env = {"CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin"}
    if "PYTHONPATH" in os.environ:  # an install by --target (the device check's) is found through it
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "ok cpu" in result.stdout


def test_safe_save_from_cuda_loads_on_cpu(tmp_path, digits_small):
    X = digits_small[0]
    model = CMIMTransformer(**FAST).fit(X)
    loaded = skcmim.load(model.save(tmp_path / "m.safetensors"), device="cpu")
    np.testing.assert_allclose(loaded.transform(X), model.transform(X), rtol=1e-3, atol=1e-4)


SMILES = [
    "CCO",
    "c1ccccc1O",
    "CC(=O)Nc1ccc(O)cc1",
    "CN1CCC[C@H]1c1cccnc1",
    "O=C(O)c1ccccc1OC(C)=O",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "Clc1ccc(Cl)cc1",
    "CCN(CC)CC",
]


def test_smiles_model_trains_transforms_and_samples_on_cuda():
    pytest.importorskip("rdkit")
    model = CMIMTransformer(n_components=4, hidden_layer_sizes=(16,), max_epochs=2, batch_size=4, random_state=0).fit(
        SMILES
    )
    assert next(model.module_.parameters()).device.type == "cuda"
    Z = model.set_params(informative=True).transform(SMILES)
    assert Z.shape[0] == len(SMILES) and np.all(np.isfinite(Z))
    assert len(model.sample(5, random_state=0)) == 5


def test_pretrained_model_embeds_on_cuda_as_on_cpu():
    pytest.importorskip("rdkit")
    from skcmim import pretrained

    for informative in (False, True):
        cpu = pretrained.load("cmim-zinc").set_params(informative=informative).transform(SMILES)
        gpu = pretrained.load("cmim-zinc", device="cuda").set_params(informative=informative).transform(SMILES)
        np.testing.assert_allclose(gpu, cpu, rtol=1e-3, atol=1e-4)
