"""Pickle-free save/load: identical models, clear errors, no code execution."""

import errno
import json
import os
import pickle
import struct

import numpy as np
import pytest
import torch

import skcmim
from skcmim import CMIMTransformer, MIMTransformer

from conftest import FAST


@pytest.fixture(scope="module")
def data():
    from skcmim.datasets import load_digits_unit

    return load_digits_unit()[0][:200]


@pytest.mark.parametrize(
    "model",
    [CMIMTransformer(**FAST), MIMTransformer(**FAST, likelihood="gaussian", informative=True)],
    ids=["cmim", "mim-gaussian-informative"],
)
def test_save_load_round_trip_bit_identical(tmp_path, data, model):
    model.fit(data)
    path = model.save(tmp_path / "model.safetensors")
    loaded = skcmim.load(path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.transform(data), model.transform(data))
    np.testing.assert_array_equal(loaded.score_samples(data), model.score_samples(data))
    assert loaded.n_iter_ == model.n_iter_
    assert loaded.history_[:, "train_loss"] == model.history_[:, "train_loss"]


def test_a_model_fitted_with_callbacks_saves_without_them(tmp_path, data):
    from skorch.callbacks import EpochTimer, LRScheduler

    params = dict(FAST, random_state=np.random.RandomState(0))
    model = CMIMTransformer(**params, callbacks=[LRScheduler(policy="StepLR", step_size=1), ("timer", EpochTimer())])
    model.fit(data)
    loaded = skcmim.load(model.save(tmp_path / "model.safetensors"))
    assert loaded.get_params()["callbacks"] is None and loaded.get_params()["random_state"] is None
    np.testing.assert_array_equal(loaded.transform(data), model.transform(data))


def test_feature_names_survive(tmp_path, data):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(data, columns=[f"px{i}" for i in range(data.shape[1])])
    model = CMIMTransformer(**FAST).fit(frame)
    loaded = skcmim.load(model.save(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)


def test_file_contains_no_pickle(tmp_path, data):
    path = CMIMTransformer(**FAST).fit(data).save(tmp_path / "m.safetensors")
    raw = open(path, "rb").read()
    header_len = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + header_len])  # plain JSON, then raw tensor bytes
    assert header["__metadata__"]["format"] == "skcmim"
    assert b"\x80\x04" not in raw[: 8 + header_len]  # no pickle protocol marker in the header


def test_truncated_file_gives_clear_error(tmp_path, data):
    path = CMIMTransformer(**FAST).fit(data).save(tmp_path / "m.safetensors")
    raw = open(path, "rb").read()
    (tmp_path / "cut.safetensors").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="not a readable skcmim model file"):
        skcmim.load(tmp_path / "cut.safetensors")


def test_tampered_metadata_gives_clear_error(tmp_path, data):
    from safetensors.torch import load_file, safe_open, save_file

    path = CMIMTransformer(**FAST).fit(data).save(tmp_path / "m.safetensors")
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata()
    tensors = load_file(path)
    for key, value, message in [
        ("format_version", "99", "Upgrade skcmim"),
        ("estimator", "os.system", "unknown estimator class"),
        ("params", "{not json", "damaged"),
    ]:
        save_file(tensors, tmp_path / "bad.safetensors", metadata={**metadata, key: value})
        with pytest.raises(ValueError, match=message):
            skcmim.load(tmp_path / "bad.safetensors")
    tensors.pop(next(k for k in tensors if k.startswith("module.")))
    save_file(tensors, tmp_path / "bad.safetensors", metadata=metadata)
    with pytest.raises(ValueError, match="do not match"):
        skcmim.load(tmp_path / "bad.safetensors")


class _Payload:
    """The classic pickle exploit: unpickling calls os.system."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_payload_does_not_run(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(marker))
    # sanity: the payload does run when unpickled
    pickle.loads(payload)
    assert marker.exists()
    marker.unlink()
    # placed where the weights and the parameters belong, load refuses it and runs nothing
    (tmp_path / "evil.safetensors").write_bytes(payload)
    with pytest.raises(ValueError):
        skcmim.load(tmp_path / "evil.safetensors")
    header = json.dumps(
        {
            "__metadata__": {
                "format": "skcmim",
                "format_version": "1",
                "estimator": "CMIMTransformer",
                "params": payload.decode("latin-1"),
            }
        }
    ).encode()
    (tmp_path / "evil2.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    with pytest.raises(ValueError):
        skcmim.load(tmp_path / "evil2.safetensors")
    assert not marker.exists()


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        skcmim.load("/nonexistent/model.safetensors")


def test_the_meta_build_of_a_load_leaves_other_threads_modules_initialised():
    # loads skip parameter initialisation on the meta device; a fit in another thread meanwhile must not
    import threading

    from skcmim.training.fit import _meta_build

    torch.manual_seed(0)
    expected = torch.nn.Linear(4, 4).weight.detach().clone()
    built = {}

    def build_elsewhere():
        torch.manual_seed(0)
        built["weight"] = torch.nn.Linear(4, 4).weight.detach().clone()

    with _meta_build():
        meta = torch.nn.Linear(4, 4)
        thread = threading.Thread(target=build_elsewhere)
        thread.start()
        thread.join()
    assert meta.weight.device.type == "meta"
    assert torch.equal(built["weight"], expected)


# ------------------------------------------------------------------ writing
@pytest.fixture(scope="module")
def fitted(data):
    return CMIMTransformer(**FAST).fit(data)


def test_save_into_a_missing_folder_is_an_os_error(tmp_path, fitted):
    with pytest.raises(FileNotFoundError, match=r"Could not save the model to .*: There is no folder .*missing"):
        fitted.save(tmp_path / "missing" / "m.safetensors")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "failure", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()], ids=["disk-full", "interrupted"]
)
@pytest.mark.parametrize("existing", [False, True])
def test_a_failed_save_leaves_no_partial_file_and_an_existing_one_unchanged(
    tmp_path, monkeypatch, fitted, failure, existing
):
    path = tmp_path / "m.safetensors"
    if existing:
        path.write_bytes(b"the previous model")

    def fail(descriptor):  # the data is written, the disk refuses it when flushed
        raise failure

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(type(failure)) as raised:
        fitted.save(path)
    if isinstance(failure, OSError):
        assert raised.value.errno == errno.ENOSPC and f"Could not save the model to {path}" in str(raised.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["m.safetensors"] if existing else [])
    if existing:
        assert path.read_bytes() == b"the previous model"


def test_save_replaces_a_file_keeping_its_permissions_and_writes_through_a_link(tmp_path, data, fitted):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    path.chmod(0o640)
    fitted.save(path)
    assert path.stat().st_mode & 0o777 == 0o640
    link = tmp_path / "link.safetensors"
    link.symlink_to(path)
    fitted.save(link)
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["link.safetensors", "m.safetensors"]
    np.testing.assert_array_equal(skcmim.load(link).transform(data), fitted.transform(data))
    new = tmp_path / "new.safetensors"
    fitted.save(new)
    umask = os.umask(0)
    os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask
