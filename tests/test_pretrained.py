"""Pretrained models by name (skcmim.pretrained), the MOSES-style metrics and
the training script, on tiny models built here (never a fake shipped model)."""

import json
import os
import re
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import load_file

from skcmim import CMIMTransformer, MIMTransformer, SmilesInput, pretrained
from skcmim.generation_metrics import (
    canonical_smiles,
    distribution_metrics,
    generation_metrics,
    reconstruction_accuracy,
)

from conftest import FAST, SHARED_DATA, TRICKY, needs_rdkit, needs_zinc

REPO = Path(__file__).resolve().parent.parent
ZINC_TEST = SHARED_DATA / "zinc_moses_test.csv.gz"
MOLECULES = TRICKY + ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC", "O=C(O)c1ccccc1"]

pytestmark = needs_rdkit


def tiny_model_dir(folder, name="tiny-cmim", Model=CMIMTransformer):
    """A models folder holding one tiny fitted model and its card."""
    folder.mkdir(exist_ok=True)
    model = Model(**FAST).fit(MOLECULES)
    path = Path(model.save(folder / f"{name}.safetensors"))
    pretrained.register_model(
        path,
        {
            "name": name,
            "estimator": Model.__name__,
            "epochs": FAST["max_epochs"],
            "training_data": {"source": "tests", "n_molecules": len(MOLECULES)},
        },
    )
    return model, path


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    model, path = tiny_model_dir(folder)
    return folder, model, path


def test_list_models_reads_the_cards_with_size_and_checksum(models):
    folder, _, path = models
    (card,) = pretrained.list_models(folder)
    assert card["name"] == "tiny-cmim" and card["file"] == path.name
    assert card["size_bytes"] == path.stat().st_size
    import hashlib

    assert card["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert card["training_data"]["n_molecules"] == len(MOLECULES)
    card["name"] = "changed"  # a copy: the registry is not changed through it
    assert pretrained.list_models(folder)[0]["name"] == "tiny-cmim"


def test_load_by_name_gives_the_fitted_model(models):
    folder, model, _ = models
    loaded = pretrained.load("tiny-cmim", models_dir=folder)
    assert type(loaded) is CMIMTransformer
    np.testing.assert_array_equal(loaded.transform(MOLECULES), model.transform(MOLECULES))


def test_environment_variable_points_at_another_models_folder(models, monkeypatch):
    folder, model, _ = models
    monkeypatch.setenv(pretrained.MODELS_DIR_ENV, str(folder))
    assert pretrained.get_models_dir() == folder
    assert [card["name"] for card in pretrained.list_models()] == ["tiny-cmim"]
    np.testing.assert_array_equal(pretrained.load("tiny-cmim").transform(["CCO"]), model.transform(["CCO"]))


def test_load_never_opens_a_network_connection(models, monkeypatch):
    folder, _, _ = models

    def refuse(*args, **kwargs):
        raise AssertionError("pretrained.load tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert pretrained.load("tiny-cmim", models_dir=folder).transform(["CCO"]).shape == (1, FAST["n_components"])


def test_unknown_name_lists_the_available_ones(models):
    folder, _, _ = models
    with pytest.raises(ValueError, match=r"no pretrained model named 'cmim-zync'.*available: 'tiny-cmim'"):
        pretrained.load("cmim-zync", models_dir=folder)


def test_empty_folder_says_no_model_is_available(tmp_path):
    assert pretrained.list_models(tmp_path) == []
    with pytest.raises(ValueError, match="available: none"):
        pretrained.load("cmim-zinc", models_dir=tmp_path)


def copy_of(models, tmp_path):
    folder, _, path = models
    for source in (path, folder / pretrained.REGISTRY_FILE):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    return tmp_path / path.name


def test_a_changed_file_is_refused_before_it_is_parsed(models, tmp_path):
    path = copy_of(models, tmp_path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # same size, one bit of a weight flipped
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256 .* the file is damaged or was replaced"):
        pretrained.load("tiny-cmim", models_dir=tmp_path)
    path.write_bytes(bytes(data[:-8]))
    with pytest.raises(ValueError, match="bytes, but the model card"):
        pretrained.load("tiny-cmim", models_dir=tmp_path)
    path.unlink()
    with pytest.raises(FileNotFoundError, match="is missing"):
        pretrained.load("tiny-cmim", models_dir=tmp_path)


@pytest.mark.parametrize("file", ["../tiny-cmim.safetensors", "/etc/passwd", "", None])
def test_a_card_must_name_a_file_inside_the_folder(models, tmp_path, file):
    copy_of(models, tmp_path)
    registry = json.loads((tmp_path / pretrained.REGISTRY_FILE).read_text())
    registry["models"][0]["file"] = file
    (tmp_path / pretrained.REGISTRY_FILE).write_text(json.dumps(registry))
    with pytest.raises(ValueError, match="must be a plain file name inside"):
        pretrained.load("tiny-cmim", models_dir=tmp_path)


@pytest.mark.parametrize("text", ["not json", '{"models": {}}', '{"models": [{"file": "x"}]}', "[]"])
def test_a_malformed_registry_is_a_clear_error(tmp_path, text):
    (tmp_path / pretrained.REGISTRY_FILE).write_text(text)
    with pytest.raises(ValueError, match="registry"):
        pretrained.list_models(tmp_path)


def test_load_parses_the_bytes_whose_checksum_it_checked(models, tmp_path, monkeypatch):
    """A file swapped between the checksum and the parse is never parsed: the checked bytes are."""
    _, model, _ = models
    path = copy_of(models, tmp_path)
    stand_in = MIMTransformer(**FAST).fit(MOLECULES).save(tmp_path / "stand-in.safetensors")
    original = pretrained._digest

    def digest_then_swap(data):
        digest = original(data)
        os.replace(stand_in, path)  # an attacker's file, in place once the checksum is done
        return digest

    monkeypatch.setattr(pretrained, "_digest", digest_then_swap)
    loaded = pretrained.load("tiny-cmim", models_dir=tmp_path)
    assert type(loaded) is CMIMTransformer
    np.testing.assert_array_equal(loaded.transform(MOLECULES), model.transform(MOLECULES))


def test_a_file_that_grew_is_refused_without_being_read_whole(models, tmp_path, monkeypatch):
    path = copy_of(models, tmp_path)
    size = path.stat().st_size
    with open(path, "ab") as handle:
        handle.truncate(size + (1 << 30))  # a sparse gigabyte more
    reads = []
    original = pretrained.persistence._read_file
    monkeypatch.setattr(
        pretrained.persistence,
        "_read_file",
        lambda *args, **kwargs: reads.append(len(data := original(*args, **kwargs))) or data,
    )
    with pytest.raises(ValueError, match=f"has more than {size} bytes, but the model card"):
        pretrained.load("tiny-cmim", models_dir=tmp_path)
    assert max(reads) == size + 1


def _registry_with(tmp_path, text):
    (tmp_path / pretrained.REGISTRY_FILE).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("size_bytes", "big", "a non-negative integer"),
        ("size_bytes", True, "a non-negative integer"),
        ("size_bytes", -1, "a non-negative integer"),
        ("sha256", 123, "64 lowercase hexadecimal digits"),
        ("epochs", 2.5, "a non-negative integer"),
        ("training_data", ["zinc"], "a JSON object"),
        ("metrics", None, "a JSON object"),
        ("estimator", ["CMIMTransformer"], "a class name"),
    ],
)
def test_a_card_field_of_the_wrong_type_names_the_file_and_field(models, tmp_path, field, value, expected):
    copy_of(models, tmp_path)
    registry = json.loads((tmp_path / pretrained.REGISTRY_FILE).read_text())
    registry["models"][0][field] = value
    _registry_with(tmp_path, json.dumps(registry))
    message = (
        rf"registry {re.escape(str(tmp_path / pretrained.REGISTRY_FILE))}: field '{field}' of the card "
        rf"'tiny-cmim' must be {expected}"
    )
    for function in (pretrained.list_models, lambda folder: pretrained.load("tiny-cmim", models_dir=folder)):
        with pytest.raises(ValueError, match=message):
            function(tmp_path)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"models": ' + "[" * 100_000 + "]" * 100_000 + "}", "nests too deeply"),
        ('{"models": [{"name": "x", "metrics": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}]}", "nests deeper than 32"),
        ('{"models": [{"name": "x"}, {"name": "x"}]}', "more than one card named 'x'"),
        ("\udcff", "is not JSON text"),
    ],
)
def test_a_hostile_registry_is_a_value_error_naming_it(tmp_path, text, message):
    (tmp_path / pretrained.REGISTRY_FILE).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ValueError, match=f"registry {re.escape(str(tmp_path / pretrained.REGISTRY_FILE))} .*{message}"):
        pretrained.list_models(tmp_path)


def test_card_class_must_match_the_file(models, tmp_path):
    copy_of(models, tmp_path)
    registry = json.loads((tmp_path / pretrained.REGISTRY_FILE).read_text())
    registry["models"][0]["estimator"] = "MIMTransformer"
    (tmp_path / pretrained.REGISTRY_FILE).write_text(json.dumps(registry))
    with pytest.raises(ValueError, match="holds a CMIMTransformer, but the model card"):
        pretrained.load("tiny-cmim", models_dir=tmp_path)


def test_register_model_replaces_a_card_and_refuses_nan(models, tmp_path):
    path = copy_of(models, tmp_path)
    pretrained.register_model(path, {"name": "tiny-cmim", "epochs": 99})
    (card,) = pretrained.list_models(tmp_path)
    assert card["epochs"] == 99 and "training_data" not in card
    with pytest.raises(ValueError):
        pretrained.register_model(path, {"name": "other", "metrics": {"validity": float("nan")}})
    assert [card["name"] for card in pretrained.list_models(tmp_path)] == ["tiny-cmim"]
    with pytest.raises(ValueError, match="inside the models folder"):
        pretrained.register_model(path, {"name": "x"}, models_dir=tmp_path / "elsewhere")


def test_shipped_registry_matches_its_files_and_is_package_data():
    """Every card of the package's own registry names a shipped file of that size and checksum."""
    folder = Path(pretrained.__file__).with_name("models")
    registry = json.loads((folder / pretrained.REGISTRY_FILE).read_text())
    assert isinstance(registry["models"], list)
    total = 0
    for card in pretrained.list_models(folder):
        path = folder / card["file"]
        pretrained._checked_bytes(card, path)
        assert {"training_data", "epochs", "hyperparameters", "training", "metrics"} <= set(card)
        total += card["size_bytes"]
        hyperparameters = card["hyperparameters"]
        # cards of models trained by skcmim 0.1 hold the input's options flat; later ones, the input's parameters
        reading = hyperparameters["input"]["params"] if "input" in hyperparameters else hyperparameters
        assert reading["isomeric"] is False
        assert pretrained.load(card["name"]).input_.isomeric is False
    assert total <= 25_000_000
    tomllib = pytest.importorskip("tomllib")
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {"models/*.json", "models/*.safetensors"} <= set(package_data["skcmim"])


def test_shipped_models_read_a_stereoisomer_as_its_molecule():
    # ZINC has no stereochemistry: the shipped models read [C@H] as a carbon, not as an unknown token
    for card in pretrained.list_models():
        encoder = pretrained.load(card["name"])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Z = encoder.transform(["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O", "CC(N)C(=O)O", "F/C=C/F", "FC=CF"])
        np.testing.assert_allclose(Z[[0, 1, 3]], Z[[2, 2, 4]], atol=1e-12)


# ------------------------------------------------------------------ metrics
def test_generation_metrics_follow_the_moses_definitions():
    generated = ["CCO", "OCC", "C1CC", "c1ccccc1", "", None, "C(C)O"]
    metrics = generation_metrics(generated, training=["OCC"])
    assert metrics["n_generated"] == 7
    assert metrics["validity"] == pytest.approx(4 / 7)  # "C1CC" (unclosed ring), "" and None are not molecules
    assert metrics["uniqueness"] == pytest.approx(2 / 4)  # CCO, OCC and C(C)O are one molecule
    assert metrics["novelty"] == pytest.approx(1 / 2)  # ethanol is in the training set, benzene is not
    assert generation_metrics(generated)["novelty"] is None
    assert np.isnan(generation_metrics(["C1CC"])["uniqueness"])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.sampled_from(MOLECULES + ["C1CC", "", "xyz", "CC(", "OCC"]), max_size=12),
    st.lists(st.sampled_from(MOLECULES), max_size=5),
)
def test_generation_metrics_are_shares(generated, training):
    metrics = generation_metrics(generated, training=training)
    assert metrics["n_generated"] == len(generated)
    canonical = canonical_smiles(generated)
    assert len(canonical) == len(generated)
    valid = [text for text in canonical if text is not None]
    for key in ("validity", "uniqueness", "novelty"):
        value = metrics[key]
        assert np.isnan(value) or 0 <= value <= 1
    if valid:
        assert metrics["uniqueness"] * len(valid) == pytest.approx(len(set(valid)))


DRUGS = [
    "CC(=O)Nc1ccc(O)cc1",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "O=C(O)c1ccccc1OC(C)=O",
    "CN1CCC[C@H]1c1cccnc1",
    "c1ccc2c(c1)ccc1ccccc12",
    "O=C1CCCN1c1ccc(Cl)cc1",
    "Cc1ccc(S(N)(=O)=O)cc1",
    "c1ccc(-c2ccncc2)cc1",
]


def test_distribution_metrics_of_a_set_against_itself_are_perfect():
    metrics = distribution_metrics(DRUGS, DRUGS)
    assert metrics["n_valid"] == len(DRUGS)
    assert metrics["snn"] == pytest.approx(1) and metrics["frag"] == pytest.approx(1)
    assert metrics["scaf"] == pytest.approx(1)  # the same scaffolds of two or more rings
    assert metrics["logp"] == metrics["qed"] == metrics["weight"] == 0
    assert 0 < metrics["int_div"] < 1 and metrics["pains_free"] == metrics["pains_free_reference"]


def test_distribution_metrics_tell_a_different_set_apart_and_skip_non_molecules():
    chains = ["CCCCCCCC", "CCCCCCCCCC", "CCCCCCO", "C1CC", None, ""]
    metrics = distribution_metrics(chains, DRUGS)
    assert metrics["n_valid"] == 3
    assert metrics["snn"] < 0.3 and metrics["frag"] < 0.5 and np.isnan(metrics["scaf"])  # chains have no scaffold
    assert metrics["weight"] > 50 and metrics["int_div"] < distribution_metrics(DRUGS, DRUGS)["int_div"]
    assert all(
        np.isnan(value) for key, value in distribution_metrics([None, "C1CC"], DRUGS).items() if key != "n_valid"
    )


class _Echo:
    """A stand-in model whose decoding spells each molecule differently (random SMILES)."""

    input_ = SmilesInput(standardize=False)

    def transform(self, smiles):
        return np.array(smiles, dtype=object)

    def inverse_transform(self, codes):
        from rdkit import Chem

        spelled = [Chem.MolToSmiles(Chem.MolFromSmiles(text), doRandom=True) for text in codes]
        spelled[-1] = "C1CC"  # the last one decodes to a non-molecule
        return np.array(spelled, dtype=object)


def test_reconstruction_compares_molecules_not_spellings():
    assert reconstruction_accuracy(_Echo(), ["CCO", "OCC", "c1ccccc1O", "CCN"]) == pytest.approx(3 / 4)
    assert np.isnan(reconstruction_accuracy(_Echo(), []))


class _Flat(_Echo):
    """A stand-in model that reads molecules without stereochemistry (``isomeric=False``)."""

    input_ = SmilesInput(isomeric=False, standardize=False)

    def inverse_transform(self, codes):
        from rdkit import Chem

        return np.array(
            [Chem.MolToSmiles(Chem.MolFromSmiles(text), isomericSmiles=False) for text in codes], dtype=object
        )


class _FlatButIsomeric(_Flat):
    """The same decoding from a model that claims to keep stereochemistry."""

    input_ = SmilesInput(isomeric=True, standardize=False)


def test_reconstruction_compares_as_the_model_reads_molecules():
    stereo = ["C[C@H](N)C(=O)O", "F/C=C/F", "CCO"]
    assert reconstruction_accuracy(_Flat(), stereo) == 1.0  # given back as the model reads them
    assert reconstruction_accuracy(_FlatButIsomeric(), stereo) == pytest.approx(1 / 3)  # stereochemistry lost


class _Standardising(_Echo):
    """A stand-in model that reads standardised molecules: a salt's largest organic fragment, neutralised."""

    input_ = SmilesInput(standardize=True)

    def inverse_transform(self, codes):
        return np.array(["CC(=O)O", "CCN"], dtype=object)


def test_reconstruction_compares_standardised_molecules_for_a_standardising_model():
    assert reconstruction_accuracy(_Standardising(), ["CC(=O)[O-].[Na+]", "CC[NH3+].[Cl-]"]) == 1.0


def test_reconstruction_of_a_fitted_model_is_a_share(models):
    _, model, _ = models
    value = reconstruction_accuracy(model, MOLECULES)
    assert 0 <= value <= 1


# ------------------------------------------------------------------ training script
def run_script(tmp_path, out, *extra):
    command = [
        sys.executable,
        str(REPO / "scripts" / "pretrain_zinc.py"),
        "--data",
        str(tmp_path / "train.csv"),
        "--test-data",
        str(tmp_path / "test.csv"),
        "--n-molecules",
        "40",
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--n-components",
        "2",
        "--batch-size",
        "16",
        "--alphabet",
        "smiles",
        "--threads",
        "1",
        "--n-test",
        "5",
        "--n-samples",
        "10",
        "--out",
        str(out),
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)


@needs_zinc
def test_training_script_is_deterministic_and_writes_model_cards(tmp_path):
    import gzip

    with gzip.open(ZINC_TEST, "rt") as handle:
        lines = [next(handle) for _ in range(121)]
    (tmp_path / "train.csv").write_text("".join(lines[:61]))
    (tmp_path / "test.csv").write_text(lines[0] + "".join(lines[61:]))
    first = run_script(tmp_path, tmp_path / "a")
    assert first.returncode == 0, first.stderr
    assert "cmim-zinc epoch 1/1: train_loss" in first.stdout and "molecules/s" in first.stdout
    second = run_script(tmp_path, tmp_path / "b", "--models", "cmim")
    assert second.returncode == 0, second.stderr
    a, b = (load_file(tmp_path / folder / "cmim-zinc.safetensors") for folder in ("a", "b"))
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    cards = {card["name"]: card for card in pretrained.list_models(tmp_path / "a")}
    assert set(cards) == {"cmim-zinc", "mim-zinc"}
    card = cards["cmim-zinc"]
    assert card["training_data"]["n_molecules"] == 40 and card["epochs"] == 1
    assert card["hyperparameters"]["hidden_layer_sizes"] == [8] and card["hyperparameters"]["n_components"] == 2
    assert (
        card["hyperparameters"]["input"]["params"]["isomeric"] is False
    )  # ZINC has no stereochemistry, so its models read none
    assert card["training"]["hardware"]["cpu_count"] == os.cpu_count() and card["training"]["seconds"] > 0
    assert card["training"]["hardware"]["gru"] in ("skcmim fused kernel", "torch")
    assert card["metrics"]["n_held_out"] == 5 and card["metrics"]["n_prior_samples"] == 10
    assert 0 <= card["metrics"]["reconstruction_exact"] <= 1
    loaded = pretrained.load("mim-zinc", models_dir=tmp_path / "a")
    assert type(loaded) is MIMTransformer and loaded.n_components == 2
    continued = run_script(
        tmp_path,
        tmp_path / "c",
        "--models",
        "cmim",
        "--continue-from",
        str(tmp_path / "a"),
        "--learning-rates",
        "1e-4",
        "3e-5",
    )
    assert continued.returncode == 0, continued.stderr
    assert "cmim-zinc epoch 3: learning rate 3e-05, train_loss" in continued.stdout
    (card,) = pretrained.list_models(tmp_path / "c")
    assert card["epochs"] == 3 and card["hyperparameters"]["learning_rate"] == 1e-3
    first_stage, second_stage = card["training"]["stages"]
    assert first_stage == cards["cmim-zinc"]["training"] and second_stage["learning_rates"] == [1e-4, 3e-5]
    assert card["training"]["seconds"] == pytest.approx(first_stage["seconds"] + second_stage["seconds"], abs=0.2)
    assert pretrained.load("cmim-zinc", models_dir=tmp_path / "c").n_iter_ == 3


def test_loading_a_model_builds_no_optimiser_until_it_trains_again(models):
    # the first optimiser of a process imports torch._dynamo (about 2 s); a model that only transforms needs none
    folder, model, path = models
    code = (
        f"import sys; from skcmim import pretrained; m = pretrained.load('tiny-cmim', models_dir={str(folder)!r}); "
        f"m.transform(['CCO']); print('torch._dynamo' in sys.modules, hasattr(m.net_, 'optimizer_'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
    loaded = pretrained.load("tiny-cmim", models_dir=folder).set_params(warm_start=True, max_epochs=1)
    before = loaded.transform(MOLECULES)
    loaded.fit(MOLECULES)
    assert loaded.n_iter_ == model.n_iter_ + 1 and hasattr(loaded.net_, "optimizer_")
    assert not np.allclose(loaded.transform(MOLECULES), before)
