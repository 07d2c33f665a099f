"""The ``skcmim`` command line: ``embed`` and ``models``, on a tiny model
registered in a temporary models folder (``SKCMIM_MODELS_DIR``)."""

import csv
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import needs_rdkit
from skcmim import pretrained
from skcmim.__main__ import main
from skcmim.cli import numbered_smiles
from test_pretrained import MOLECULES, tiny_model_dir

REPO = Path(__file__).resolve().parent.parent
pytestmark = needs_rdkit


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    model, path = tiny_model_dir(folder)
    return folder, model, path


@pytest.fixture
def models_env(registered, monkeypatch):
    folder, model, _ = registered
    monkeypatch.setenv(pretrained.MODELS_DIR_ENV, str(folder))
    return model


def read_output(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], [row[0] for row in rows[1:]], np.array([[float(v) for v in row[1:]] for row in rows[1:]])


def test_embed_writes_one_row_per_molecule_in_order_and_reports_invalid_lines(models_env, tmp_path, capsys):
    source = tmp_path / "molecules.csv"
    # line 1 header, line 4 invalid, line 5 blank (skipped, not a molecule), line 7 empty SMILES field
    source.write_text("name,SMILES,weight\na,CCO,1\nb,c1ccccc1O,2\nc,C1CC,3\n\nd,CCN(CC)CC,4\ne,,5\n")
    out = tmp_path / "embeddings.csv"
    assert main(["embed", str(source), "--model", "tiny-cmim", "-o", str(out), "--batch-size", "2"]) == 0
    err = capsys.readouterr().err
    assert "line 4 holds an invalid SMILES string 'C1CC'" in err
    assert "line 7 holds an empty string" in err
    assert "wrote 5 embeddings of width 4" in err and "2 invalid" in err
    header, smiles, Z = read_output(out)
    assert header == ["smiles", *models_env.get_feature_names_out()]
    assert smiles == ["CCO", "c1ccccc1O", "C1CC", "CCN(CC)CC", ""]
    assert np.isnan(Z[[2, 4]]).all() and np.isfinite(Z[[0, 1, 3]]).all()
    expected = models_env.transform(["CCO", "c1ccccc1O", "CCN(CC)CC"])
    np.testing.assert_allclose(Z[[0, 1, 3]], expected, rtol=0, atol=1e-6)  # float32 network: batches of other molecules move the last bits


def test_embed_with_worker_processes_writes_the_same_file(models_env, tmp_path):
    source = tmp_path / "many.smi"
    source.write_text("".join(f"{MOLECULES[row % len(MOLECULES)]}\n" for row in range(2100)))  # >= 2,048: workers run
    outputs = [tmp_path / "serial.csv", tmp_path / "workers.csv"]
    assert main(["embed", str(source), "--model", "tiny-cmim", "-o", str(outputs[0]), "--no-progress"]) == 0
    assert main(["embed", str(source), "--model", "tiny-cmim", "-o", str(outputs[1]), "--no-progress",
                 "--n-jobs", "2"]) == 0
    assert outputs[0].read_text() == outputs[1].read_text()


def test_embed_reads_smi_files_named_columns_and_informative_embeddings(models_env, tmp_path, capsys):
    source = tmp_path / "molecules.smi.gz"
    with gzip.open(source, "wt") as handle:
        handle.write("CCO ethanol\nc1ccccc1O phenol\n")
    out = tmp_path / "out.csv"
    assert main(["embed", str(source), "--model", "tiny-cmim", "-o", str(out), "--informative", "--no-progress"]) == 0
    header, smiles, Z = read_output(out)
    assert smiles == ["CCO ethanol", "c1ccccc1O phenol"]
    informative = models_env.set_params(informative=True)
    try:
        assert header[1:] == list(informative.get_feature_names_out())
        np.testing.assert_allclose(Z, informative.transform(["CCO", "c1ccccc1O"]), rtol=0, atol=1e-6)  # float32 network: batches of other molecules move the last bits
    finally:
        models_env.set_params(informative=False)

    named = tmp_path / "named.csv"
    named.write_text("id,structure\n1,CCO\n")
    assert main(["embed", str(named), "--model", "tiny-cmim", "-o", str(out), "--smiles-column", "Structure"]) == 0
    assert read_output(out)[1] == ["CCO"]


def test_embed_with_a_model_file_path(registered, tmp_path):
    _, model, path = registered
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\n")
    assert main(["embed", str(source), "--model", str(path), "-o", str(tmp_path / "out.csv")]) == 0
    np.testing.assert_allclose(read_output(tmp_path / "out.csv")[2], model.transform(["CCO"]), rtol=0, atol=1e-6)  # float32 network: batches of other molecules move the last bits


@pytest.mark.parametrize("content, args, message", [
    ("smiles\nCCO\n", ["--model", "no-such-model"], "no pretrained model named 'no-such-model'"),
    ("smiles\nCCO\n", ["--smiles-column", "mol"], "has no column 'mol'"),
    ('smiles\n"CCO\nCCN\n', [], "quoted field spans lines"),
    ("a,smiles\nCCO\n", [], "Line 2 of .* has 1 field"),
])
def test_embed_errors_name_the_problem_and_exit_1(models_env, tmp_path, capsys, content, args, message):
    source = tmp_path / "in.csv"
    source.write_text(content)
    out = tmp_path / "out.csv"
    assert main(["embed", str(source), "-o", str(out), "--model", "tiny-cmim", *args]) == 1
    assert capsys.readouterr().err.startswith("skcmim embed: error: ")
    assert not out.exists()  # the whole file is checked before anything is written


def test_missing_input_file_is_an_error(models_env, tmp_path, capsys):
    assert main(["embed", str(tmp_path / "absent.csv"), "-o", str(tmp_path / "out.csv")]) == 1
    assert "There is no file" in capsys.readouterr().err


def test_numbered_smiles_counts_lines_as_an_editor_does(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("CCO\n\nCCN\n  \nc1ccccc1\n")
    assert list(numbered_smiles(source)) == [(1, "CCO"), (3, "CCN"), (5, "c1ccccc1")]


def test_models_lists_the_cards(models_env, capsys):
    assert main(["models"]) == 0
    assert capsys.readouterr().out.startswith("tiny-cmim: CMIMTransformer, ")
    assert main(["models", "--json"]) == 0
    assert [card["name"] for card in json.loads(capsys.readouterr().out)] == ["tiny-cmim"]


def run(*args, env=None):
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "skcmim", *args], capture_output=True, text=True, timeout=300,
                          env=environment)


def test_shell_embed_and_help(registered, tmp_path):
    folder, model, _ = registered
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\nnot-a-molecule\nc1ccccc1O\n")
    out = tmp_path / "out.csv"
    done = run("embed", str(source), "--model", "tiny-cmim", "-o", str(out),
               env={pretrained.MODELS_DIR_ENV: str(folder)})
    assert done.returncode == 0, done.stderr
    assert "line 3 holds an invalid SMILES string 'not-a-molecule'" in done.stderr
    _, smiles, Z = read_output(out)
    assert smiles == ["CCO", "not-a-molecule", "c1ccccc1O"] and np.isnan(Z[1]).all()
    np.testing.assert_allclose(Z[[0, 2]], model.transform(["CCO", "c1ccccc1O"]), rtol=0, atol=1e-6)  # float32 network: batches of other molecules move the last bits

    top = run("--help")
    assert top.returncode == 0 and "embed" in top.stdout and "--n-components" in top.stdout
    embed = run("embed", "--help")
    assert embed.returncode == 0 and embed.stdout.startswith("usage: python -m skcmim embed ")
    assert "--smiles-column" in embed.stdout and "NaN" in embed.stdout
