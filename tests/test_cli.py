"""The ``skcmim`` command line: ``embed``, ``models`` and ``demo``, on tiny
models registered in a temporary models folder (``SKCMIM_MODELS_DIR``).

``embed`` must never lose data (an output that is the input is refused, a
failure or an interrupt leaves no file under the output's name and an
existing one unchanged), must read the SMILES column a chemist means, keep
the other columns, and stop with one line on stderr on every error."""

import csv
import functools
import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_pretrained import MOLECULES, tiny_model_dir
from test_streaming_smiles_file import _gzip_of_repeats

from skcmim import MIMTransformer, cli, pretrained
from skcmim.__main__ import main

from conftest import FAST, needs_rdkit

REPO = Path(__file__).resolve().parent.parent
MB = 1 << 20
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


def read_output(path, n_kept=1):
    """Header, the copied columns (one list per row) and the embeddings of an output file."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    kept = [row[:n_kept] for row in rows[1:]]
    return rows[0], kept, np.array([[float(v) for v in row[n_kept:]] for row in rows[1:]]).reshape(len(kept), -1)


def embed(source, out, *args, model="tiny-cmim"):
    return main(["embed", str(source), "--model", model, "-o", str(out), "--no-progress", *args])


def one_error_line(capsys, command="embed"):
    err = capsys.readouterr().err
    assert err.startswith(f"skcmim {command}: error: ") and err.count("\n") == 1, err
    return err


def folder_names(path):
    return sorted(p.name for p in path.parent.iterdir())


# ------------------------------------------------------------------ output rows
def test_embed_writes_one_row_per_molecule_in_order_and_reports_invalid_lines(models_env, tmp_path, capsys):
    source = tmp_path / "molecules.csv"
    # line 1 header, line 4 invalid, line 5 blank (skipped, not a molecule), line 7 empty SMILES field
    source.write_text("name,SMILES,weight\na,CCO,1\nb,c1ccccc1O,2\nc,C1CC,3\n\nd,CCN(CC)CC,4\ne,,5\n")
    out = tmp_path / "embeddings.csv"
    assert embed(source, out, "--batch-size", "2") == 0
    err = capsys.readouterr().err
    assert "line 4 holds an invalid SMILES string 'C1CC'" in err
    assert "line 7 holds an empty string" in err
    assert "wrote 5 embeddings of width 4" in err and "2 invalid" in err
    header, kept, Z = read_output(out, n_kept=3)
    assert header == ["name", "SMILES", "weight", *models_env.get_feature_names_out()]  # every input column is kept
    assert kept == [
        ["a", "CCO", "1"],
        ["b", "c1ccccc1O", "2"],
        ["c", "C1CC", "3"],
        ["d", "CCN(CC)CC", "4"],
        ["e", "", "5"],
    ]
    assert np.isnan(Z[[2, 4]]).all() and np.isfinite(Z[[0, 1, 3]]).all()
    expected = models_env.transform(["CCO", "c1ccccc1O", "CCN(CC)CC"])
    np.testing.assert_allclose(
        Z[[0, 1, 3]], expected, rtol=0, atol=1e-6
    )  # float32 network: batches of other molecules move the last bits


def test_embed_with_worker_processes_writes_the_same_file(models_env, tmp_path):
    source = tmp_path / "many.smi"
    source.write_text("".join(f"{MOLECULES[row % len(MOLECULES)]}\n" for row in range(2100)))  # >= 2,048: workers run
    outputs = [tmp_path / "serial.csv", tmp_path / "workers.csv"]
    assert embed(source, outputs[0]) == 0
    assert embed(source, outputs[1], "--n-jobs", "2") == 0
    assert outputs[0].read_text() == outputs[1].read_text()


def test_embed_reads_smi_files_named_columns_and_informative_embeddings(models_env, tmp_path):
    source = tmp_path / "molecules.smi.gz"
    with gzip.open(source, "wt") as handle:
        handle.write("CCO ethanol\nc1ccccc1O phenol\n")
    out = tmp_path / "out.csv"
    assert embed(source, out, "--informative") == 0
    header, kept, Z = read_output(out)
    assert kept == [["CCO ethanol"], ["c1ccccc1O phenol"]]
    informative = models_env.set_params(informative=True)
    try:
        assert header == ["smiles", *informative.get_feature_names_out()]
        np.testing.assert_allclose(
            Z, informative.transform(["CCO", "c1ccccc1O"]), rtol=0, atol=1e-6
        )  # float32 network: batches of other molecules move the last bits
    finally:
        models_env.set_params(informative=False)

    named = tmp_path / "named.csv"
    named.write_text("id,structure\n1,CCO\n")
    assert embed(named, out, "--smiles-column", "Structure") == 0
    header, kept, _ = read_output(out, n_kept=2)
    assert header[:2] == ["id", "structure"] and kept == [["1", "CCO"]]


def test_embed_with_a_model_file_path(registered, tmp_path):
    _, model, path = registered
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\n")
    assert embed(source, tmp_path / "out.csv", model=str(path)) == 0
    np.testing.assert_allclose(
        read_output(tmp_path / "out.csv")[2], model.transform(["CCO"]), rtol=0, atol=1e-6
    )  # float32 network: batches of other molecules move the last bits


def test_a_gz_output_is_gzip_and_a_new_file_gets_the_usual_permissions(models_env, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("smiles,id\nCCO,1\n")
    assert embed(source, tmp_path / "out.csv") == 0 and embed(source, tmp_path / "out.csv.gz") == 0
    assert gzip.decompress((tmp_path / "out.csv.gz").read_bytes()) == (tmp_path / "out.csv").read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o666 & ~umask


# ------------------------------------------------------------------ columns
@pytest.mark.parametrize("header", ["canonical_smiles", "Isomeric_SMILES", "SMI"])
def test_common_smiles_headers_are_headers_not_molecules(models_env, tmp_path, capsys, header):
    source = tmp_path / "in.csv"
    source.write_text(f"{header},id\nCCO,7\n")
    assert embed(source, tmp_path / "out.csv") == 0
    assert "wrote 1 embeddings" in capsys.readouterr().err
    out_header, kept, _ = read_output(tmp_path / "out.csv", n_kept=2)
    assert out_header[:2] == [header, "id"] and kept == [["CCO", "7"]]


def test_a_header_without_a_smiles_column_lists_the_columns(models_env, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,structure,weight\n1,CCO,46\n")
    assert embed(source, tmp_path / "out.csv") == 1
    err = one_error_line(capsys)
    assert "'id', 'structure', 'weight'" in err and "--smiles-column NAME" in err
    assert not (tmp_path / "out.csv").exists()


def test_keep_columns_chooses_the_copied_columns_in_input_order(models_env, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,smiles,mw,note\n1,CCO,46,x\n")
    out = tmp_path / "out.csv"
    assert embed(source, out, "--keep-columns", "note,ID") == 0
    header, kept, _ = read_output(out, n_kept=3)
    assert header == ["id", "smiles", "note", *models_env.get_feature_names_out()] and kept == [["1", "CCO", "x"]]
    assert embed(source, out, "--keep-columns", "") == 0
    assert read_output(out)[0] == ["smiles", *models_env.get_feature_names_out()]
    capsys.readouterr()
    assert embed(source, out, "--keep-columns", "nope") == 1
    assert "--keep-columns names 'nope', but" in one_error_line(capsys)


def test_a_row_with_more_fields_than_the_header_is_an_error(models_env, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,smiles\n1,CCO\n2,CCN,lost\n")
    assert embed(source, tmp_path / "out.csv") == 1
    assert "Line 3 of" in one_error_line(capsys)


def test_a_file_without_a_header_keeps_its_other_fields(models_env, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("CCO,1\nCCN,2,x\n")
    assert embed(source, tmp_path / "out.csv") == 0
    header, kept, _ = read_output(tmp_path / "out.csv", n_kept=3)
    assert header[:3] == ["smiles", "column_2", "column_3"] and kept == [["CCO", "1", ""], ["CCN", "2", "x"]]


def test_spreadsheet_formulas_in_copied_text_are_neutralised(models_env, tmp_path):
    # (a carriage return is a line break in a SMILES file, so no field holds one)
    rows = [
        ["=cmd", "smiles", "note"],
        ['=HYPERLINK("http://x","y")', "CCO", "+1+2"],
        ["@SUM(A1)", "=1+1", "-0.77"],
        ["\tx", "CCN", "-2+3+cmd|' /C calc'!A0"],
        ["1e5", "c1ccccc1O", "+.5e-3"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    source = tmp_path / "in.csv"
    source.write_text(buffer.getvalue())
    assert embed(source, tmp_path / "out.csv") == 0
    header, kept, Z = read_output(tmp_path / "out.csv", n_kept=3)
    assert header[:3] == ["'=cmd", "smiles", "note"]
    assert kept == [
        ['\'=HYPERLINK("http://x","y")', "CCO", "'+1+2"],
        ["'@SUM(A1)", "'=1+1", "-0.77"],
        ["'\tx", "CCN", "'-2+3+cmd|' /C calc'!A0"],
        ["1e5", "c1ccccc1O", "+.5e-3"],
    ]
    assert np.isnan(Z[1]).all() and np.isfinite(Z[[0, 2, 3]]).all()  # '=1+1' is no molecule: its row was NaN anyway


# ------------------------------------------------------------------ never lose data
def refuse_to_load(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the model was loaded before the output was checked")

    monkeypatch.setattr(pretrained, "load", fail)


@pytest.mark.parametrize("kind", ["same", "relative", "symlink", "hardlink", "gz"])
def test_an_output_that_is_the_input_is_refused_before_anything(models_env, tmp_path, monkeypatch, capsys, kind):
    source = tmp_path / ("in.csv.gz" if kind == "gz" else "in.csv")
    content = gzip.compress(b"smiles\nCCO\n") if kind == "gz" else b"smiles\nCCO\n"
    source.write_bytes(content)
    monkeypatch.chdir(tmp_path)
    out = {
        "same": source,
        "relative": Path("./in.csv"),
        "symlink": tmp_path / "link.csv",
        "hardlink": tmp_path / "hard.csv",
        "gz": Path("in.csv.gz"),
    }[kind]
    if kind == "symlink":
        out.symlink_to(source)
    if kind == "hardlink":
        os.link(source, out)
    refuse_to_load(monkeypatch)
    assert embed(source, out) == 1
    assert "is the input file" in one_error_line(capsys)
    assert source.read_bytes() == content


def fail_second_batch(monkeypatch, model, failure):
    """Make the model's second ``transform`` (of the command's second batch) call ``failure()`` first."""
    calls = []
    original = type(model).transform

    def transform(self, X):
        calls.append(len(X))
        if len(calls) == 2:
            failure()
        return original(self, X)

    monkeypatch.setattr(type(model), "transform", transform)


def three_molecules(tmp_path, existing):
    source = tmp_path / "in.smi"
    source.write_text("CCO\nCCN\nCCC\n")
    out = tmp_path / "out.csv"
    if existing:
        out.write_text("precious\n")
    return source, out


def test_a_failure_after_the_model_loads_leaves_the_existing_output_unchanged(
    models_env, tmp_path, monkeypatch, capsys
):
    source, out = three_molecules(tmp_path, existing=True)

    def vanish():
        raise ValueError("the disk vanished")

    fail_second_batch(monkeypatch, models_env, vanish)
    assert embed(source, out, "--batch-size", "1") == 1
    assert "the disk vanished" in one_error_line(capsys)
    assert out.read_text() == "precious\n" and folder_names(out) == ["in.smi", "out.csv"]


def ctrl_c():
    raise KeyboardInterrupt


def sigterm():
    os.kill(os.getpid(), signal.SIGTERM)  # the command's handler raises at the next bytecode


@pytest.mark.parametrize("interrupt, status", [(ctrl_c, 130), (sigterm, 143)], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("existing", [False, True])
def test_an_interrupted_run_leaves_no_file_under_the_output_name(
    models_env, tmp_path, monkeypatch, capsys, interrupt, status, existing
):
    source, out = three_molecules(tmp_path, existing)
    fail_second_batch(monkeypatch, models_env, interrupt)
    before = signal.getsignal(signal.SIGTERM)
    assert embed(source, out, "--batch-size", "1") == status
    assert signal.getsignal(signal.SIGTERM) is before  # restored after the command
    assert "nothing was written to" in capsys.readouterr().err
    assert folder_names(out) == (["in.smi", "out.csv"] if existing else ["in.smi"])
    if existing:
        assert out.read_text() == "precious\n"


def test_sigterm_to_the_process_leaves_no_partial_output(registered, tmp_path):
    folder, _, _ = registered
    source = tmp_path / "many.smi"
    source.write_text("".join(f"{MOLECULES[row % len(MOLECULES)]}\n" for row in range(100_000)))
    out = tmp_path / "out.csv"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skcmim",
            "embed",
            str(source),
            "--model",
            "tiny-cmim",
            "-o",
            str(out),
            "--batch-size",
            "10",
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), pretrained.MODELS_DIR_ENV: str(folder)},
    )
    deadline = time.monotonic() + 120
    while not any(name.endswith(".part") for name in folder_names(out)) and process.poll() is None:
        assert time.monotonic() < deadline, "the command never started writing"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    assert "terminated (SIGTERM); nothing was written to" in err and "Traceback" not in err
    assert folder_names(out) == ["many.smi"]


# ------------------------------------------------------------------ hostile input
def test_a_giant_line_and_a_flood_of_blank_lines_fail_fast(models_env, tmp_path, capsys):
    giant = _gzip_of_repeats(tmp_path / "giant.csv.gz", b"smiles\nCCO\n", b"C" * MB, 2700)  # 2.7 GB in one line
    blank = _gzip_of_repeats(tmp_path / "blank.csv.gz", b"smiles\nCCO\n", b"\n" * MB, 1300)  # 1.3 GB of line breaks
    for source, message in [(giant, "Line 3 of .* is longer than"), (blank, "Lines 3-100003 of .* are blank")]:
        start = time.perf_counter()
        assert embed(source, tmp_path / "out.csv") == 1
        assert time.perf_counter() - start < 5
        assert re.search(message, one_error_line(capsys))
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    "content, args, message",
    [
        ("smiles\nCCO\n", ["--model", "no-such-model"], "no pretrained model named 'no-such-model'"),
        ("smiles\nCCO\n", ["--smiles-column", "mol"], "has no column 'mol'"),
        ('smiles\n"CCO\nCCN\n', [], "Line 2 of .* is not valid CSV"),
        ("a,smiles\nCCO\n", [], "Line 2 of .* has 1 field"),
        ("smiles\nCCO\n", ["--model", "./absent.safetensors"], "There is no model file"),
    ],
)
def test_embed_errors_name_the_problem_and_exit_1(models_env, tmp_path, capsys, content, args, message):
    source = tmp_path / "in.csv"
    source.write_text(content)
    out = tmp_path / "out.csv"
    assert main(["embed", str(source), "-o", str(out), "--model", "tiny-cmim", *args]) == 1
    assert re.search(message, one_error_line(capsys))
    assert not out.exists()  # the whole file is checked before anything is written


def test_missing_input_file_and_output_folder_are_errors(models_env, tmp_path, capsys):
    assert embed(tmp_path / "absent.csv", tmp_path / "out.csv") == 1
    assert "There is no file" in one_error_line(capsys)
    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    assert embed(tmp_path / "in.csv", tmp_path / "no" / "out.csv") == 1
    assert "There is no folder" in one_error_line(capsys)


# ------------------------------------------------------------------ models by name
def test_a_file_named_like_a_model_does_not_replace_it(models_env, tmp_path, monkeypatch, capsys):
    other = MIMTransformer(**FAST).fit(MOLECULES)
    monkeypatch.chdir(tmp_path)
    other.save(tmp_path / "stand-in.safetensors")
    os.replace(tmp_path / "stand-in.safetensors", tmp_path / "tiny-cmim")
    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    assert embed("in.csv", "by-name.csv") == 0
    np.testing.assert_allclose(
        read_output(tmp_path / "by-name.csv")[2], models_env.transform(["CCO"]), rtol=0, atol=1e-6
    )  # float32 network: batches of other molecules move the last bits
    assert embed("in.csv", "by-path.csv", model="./tiny-cmim") == 0
    np.testing.assert_allclose(read_output(tmp_path / "by-path.csv")[2], other.transform(["CCO"]), rtol=0, atol=1e-6)
    os.replace(tmp_path / "tiny-cmim", tmp_path / "mine")
    capsys.readouterr()
    assert embed("in.csv", "out.csv", model="mine") == 1
    assert "give it as a path: --model ./mine" in one_error_line(capsys)


def test_a_model_without_a_decoder_embeds_and_says_informative_does_not_apply(models_env, tmp_path, capsys):
    from skcmim.baselines import InfoNCETransformer

    path = InfoNCETransformer(**FAST).fit(MOLECULES).save(tmp_path / "infonce.safetensors")
    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    assert embed(tmp_path / "in.csv", tmp_path / "out.csv", model=str(path)) == 0
    assert np.isfinite(read_output(tmp_path / "out.csv")[2]).all()
    capsys.readouterr()
    assert embed(tmp_path / "in.csv", tmp_path / "out.csv", "--informative", model=str(path)) == 1
    assert "has no decoder: --informative does not apply" in one_error_line(capsys)


# ------------------------------------------------------------------ models
def test_models_lists_the_cards(models_env, capsys):
    assert main(["models"]) == 0
    assert capsys.readouterr().out.startswith("tiny-cmim: CMIMTransformer, ")
    assert main(["models", "--json"]) == 0
    assert [card["name"] for card in json.loads(capsys.readouterr().out)] == ["tiny-cmim"]


@pytest.mark.parametrize(
    "registry, message",
    [
        ({"models": [{"name": "x", "size_bytes": "big"}]}, "field 'size_bytes' of the card 'x' must be a non-negative"),
        ({"models": [{"name": "x", "training_data": ["zinc"]}]}, "field 'training_data' of the card 'x'"),
        ('{"models": ' + "[" * 100_000 + "]" * 100_000 + "}", "nests too deeply"),
    ],
)
def test_models_reports_a_broken_registry_in_one_line(tmp_path, monkeypatch, capsys, registry, message):
    text = registry if isinstance(registry, str) else json.dumps(registry)
    (tmp_path / pretrained.REGISTRY_FILE).write_text(text)
    monkeypatch.setenv(pretrained.MODELS_DIR_ENV, str(tmp_path))
    assert main(["models"]) == 1
    err = one_error_line(capsys, "models")
    assert message in err and str(tmp_path / pretrained.REGISTRY_FILE) in err


# ------------------------------------------------------------------ first use
def test_a_bare_command_prints_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ") and "embed" in out and "demo" in out


def test_help_and_version_import_nothing_heavy():
    code = (
        "import sys\nfrom skcmim.__main__ import main\n"
        "for argv in (['--version'], ['--help'], ['embed', '--help'], ['demo', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit as exc:\n        assert exc.code == 0\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'skorch', 'numpy', 'rdkit') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_demo_trains_and_writes_the_code_map(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    import skcmim
    from skcmim import datasets

    X, y = datasets.load_digits_unit()
    monkeypatch.setattr(datasets, "load_digits_unit", lambda: (X[:200], y[:200]))
    for name in ("MIMTransformer", "CMIMTransformer"):  # the demo's own models take half a minute on 2 cores
        monkeypatch.setattr(
            skcmim, name, functools.partial(getattr(skcmim, name), max_epochs=2, hidden_layer_sizes=(16,))
        )
    assert main(["demo", "--n-components", "2", "--output", str(tmp_path / "codes.png")]) == 0
    out = capsys.readouterr().out
    assert "digits, 200 samples x 64 features" in out
    assert [line.split()[0] for line in out.splitlines() if line.startswith(("PCA", "MIM", "cMIM"))] == [
        "PCA-2",
        "MIM",
        "cMIM",
        "cMIM",
    ]
    assert (tmp_path / "codes.png").read_bytes().startswith(b"\x89PNG")


def run(*args, env=None):
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "skcmim", *args], capture_output=True, text=True, timeout=300, env=environment
    )


def test_shell_embed_and_help(registered, tmp_path):
    folder, model, _ = registered
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\nnot-a-molecule\nc1ccccc1O\n")
    out = tmp_path / "out.csv"
    done = run(
        "embed", str(source), "--model", "tiny-cmim", "-o", str(out), env={pretrained.MODELS_DIR_ENV: str(folder)}
    )
    assert done.returncode == 0, done.stderr
    assert "line 3 holds an invalid SMILES string 'not-a-molecule'" in done.stderr
    _, kept, Z = read_output(out)
    assert kept == [["CCO"], ["not-a-molecule"], ["c1ccccc1O"]] and np.isnan(Z[1]).all()
    np.testing.assert_allclose(
        Z[[0, 2]], model.transform(["CCO", "c1ccccc1O"]), rtol=0, atol=1e-6
    )  # float32 network: batches of other molecules move the last bits

    top = run("--help")
    assert top.returncode == 0 and "embed" in top.stdout and "--n-components" in top.stdout
    embed_help = run("embed", "--help")
    assert embed_help.returncode == 0 and embed_help.stdout.startswith("usage: python -m skcmim embed ")
    assert "--smiles-column" in embed_help.stdout and "--keep-columns" in embed_help.stdout
    assert "NaN" in embed_help.stdout and "apostrophe" in embed_help.stdout
    demo = run("demo", "--help")
    assert demo.returncode == 0 and all(
        f"--{name}" in demo.stdout for name in ("data", "n-components", "seed", "output")
    )
    assert cli.DEFAULT_BATCH_SIZE == 4096
