"""Hostile model files: every check of ``skcmim.load`` runs before the network
is built, so a crafted file gives a ValueError naming the file and the field,
never a hang, a huge allocation, NaN output or another exception."""

import ast
import json
import os
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from test_persistence_compat import SMILES as SMILES_ROWS

import skcmim
from skcmim import persistence
from skcmim.datasets import load_digits_unit

FIXTURES = Path(__file__).parent / "fixtures"
NUMERIC = FIXTURES / "numeric_v0_1.safetensors"
SMILES = FIXTURES / "smiles_v0_1.safetensors"
DROP = object()  # a metadata entry to remove
MB = 1 << 20


@pytest.fixture(scope="module")
def X():
    return load_digits_unit()[0][:20]


def _contents(path):
    with safe_open(path, framework="pt") as handle:
        metadata = handle.metadata()
    return metadata, load_file(path)


def _edited(mapping, changes):
    out = dict(mapping)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _variant(directory, source=NUMERIC, *, fields=None, params=None, fitted=None, tensors=None):
    """``source`` rewritten: raw metadata ``fields``, entries of the JSON
    ``params`` / ``fitted`` objects, and the ``tensors`` (a function of the
    stored ones) replaced; DROP removes an entry."""
    metadata, stored = _contents(source)
    if params is not None:
        metadata["params"] = json.dumps(_edited(json.loads(metadata["params"]), params))
    if fitted is not None:
        metadata["fitted"] = json.dumps(_edited(json.loads(metadata["fitted"]), fitted))
    metadata = _edited(metadata, fields or {})
    path = Path(directory) / "variant.safetensors"
    save_file(tensors(stored) if tensors else stored, path, metadata=metadata)
    return path


def _with_tensor(name, value):
    return lambda stored: {**stored, name: value}


def _without_tensor(name):
    return lambda stored: {k: v for k, v in stored.items() if k != name}


def _crafted_metadata(params, fitted):
    return {
        "format": "skcmim",
        "format_version": "1",
        "estimator": "CMIMTransformer",
        "params": json.dumps(params),
        "fitted": json.dumps(fitted),
        "history": "[]",
    }


_TWO_FEATURES = {
    "n_features_in_": 2,
    "feature_names_in_": None,
    "n_iter_": 1,
    "seed": 0,
    "input_kind_": "numeric",
    "likelihood_": "bernoulli",
}


def _huge_mlp_file(directory):
    """A file under 1 KB naming three hidden layers of 30000 units (7 GB of
    weights), with one value in each of three of that network's tensors."""
    names = ["encoder.layers.0.weight", "encoder.layers.1.weight", "encoder.layers.2.weight"]
    tensors = {f"module.{name}": torch.zeros(1) for name in names}
    tensors.update(
        {"fitted.mean_": torch.zeros(2, dtype=torch.float64), "fitted.scale_": torch.ones(2, dtype=torch.float64)}
    )
    path = Path(directory) / "huge.safetensors"
    save_file(
        tensors, path, metadata=_crafted_metadata({"hidden_layer_sizes": [30000] * 3, "n_components": 4}, _TWO_FEATURES)
    )
    return path


# --------------------------------------------------------------------- files


def _run_with_timeout(function, timeout=20):
    """``(finished, exception)`` of ``function()`` run in a thread for at most ``timeout`` s."""
    outcome = {}

    def target():
        try:
            function()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["exception"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive(), outcome.get("exception")


def test_load_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    finished, exception = _run_with_timeout(lambda: skcmim.load(fifo))
    if not finished:  # unblock the reader: open the other end, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert finished, "load blocked on a FIFO"
    assert isinstance(exception, ValueError) and "FIFO" in str(exception)


@pytest.mark.parametrize("target, kind", [("/dev/null", "device node"), (None, "directory")])
def test_load_refuses_device_nodes_and_directories(tmp_path, target, kind):
    with pytest.raises(ValueError, match=kind):
        skcmim.load(target or tmp_path)


@pytest.fixture
def no_writes(monkeypatch):
    """Make any write by save fail the test (as root, replacing /dev/null
    would replace the device node of the whole machine)."""
    import safetensors.torch

    def refuse(*args, **kwargs):
        raise AssertionError("save wrote to a target it must refuse")

    monkeypatch.setattr(safetensors.torch, "save_file", refuse)
    monkeypatch.setattr(persistence, "_replacing", refuse)


def test_save_refuses_device_nodes_fifos_and_directories(tmp_path, no_writes):
    model = skcmim.load(NUMERIC)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target, kind in [("/dev/null", "device node"), (fifo, "FIFO"), (tmp_path, "directory")]:
        with pytest.raises(ValueError, match=kind):
            model.save(target)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_save_writes_a_new_file_and_replaces_a_regular_one(tmp_path, X):
    model = skcmim.load(NUMERIC)
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    model.save(path)
    np.testing.assert_array_equal(skcmim.load(path).transform(X), model.transform(X))


def test_save_refuses_non_finite_weights(tmp_path):
    model = skcmim.load(NUMERIC)
    with torch.no_grad():
        next(model.module_.parameters())[0] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.save(tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_save_refuses_metadata_beyond_the_header_limit(tmp_path, monkeypatch):
    model = skcmim.load(NUMERIC)
    monkeypatch.setattr(persistence, "_MAX_HEADER_BYTES", 1000)  # the fixture's metadata takes 1.9 kB
    with pytest.raises(ValueError, match="more than the 1000 "):
        model.save(tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x01\x02", "fewer than the 8"),
        (struct.pack("<Q", 1 << 40) + b"{}", "more than the"),
        (struct.pack("<Q", 5000) + b'{"__metadata__": {}}', "truncated"),
    ],
    ids=["short", "huge-header", "header-beyond-file"],
)
def test_header_length_is_bounded_before_parsing(tmp_path, raw, message):
    path = tmp_path / "m.safetensors"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=message):
        skcmim.load(path)


@pytest.mark.parametrize(
    "header",
    [
        '{"__metadata__": ' + "[" * 100_000 + "]" * 100_000 + "}",  # RecursionError in a recursive parser
        '{"__metadata__": {"format": 1}}',
        "[]",
        '{"__metadata__": "skcmim"}',
        "\udcff",
    ],
    ids=["deep", "not-strings", "not-an-object", "metadata-not-an-object", "not-utf8"],
)
def test_a_malformed_header_is_a_value_error(tmp_path, header):
    data = header.encode("utf-8", "surrogateescape")
    path = tmp_path / "m.safetensors"
    path.write_bytes(struct.pack("<Q", len(data)) + data)
    with pytest.raises(ValueError, match="not a readable skcmim model file"):
        skcmim.load(path)


def test_load_parses_the_bytes_it_read_once(tmp_path, monkeypatch, X):
    """A file replaced while it loads is not read a second time: what was checked is what is parsed."""
    path = tmp_path / "m.safetensors"
    path.write_bytes(NUMERIC.read_bytes())
    original = persistence._read_file

    def read_then_replace(*args, **kwargs):
        data = original(*args, **kwargs)
        path.write_bytes(b"replaced meanwhile")
        return data

    monkeypatch.setattr(persistence, "_read_file", read_then_replace)
    np.testing.assert_array_equal(skcmim.load(path).transform(X), skcmim.load(NUMERIC).transform(X))


# ------------------------------------------------------------- metadata JSON


@pytest.mark.parametrize(
    "field, text, message",
    [
        ("params", "null", "'params' field must be a JSON object"),
        ("params", "[1, 2]", "'params' field must be a JSON object"),
        ("fitted", '"fitted"', "'fitted' field must be a JSON object"),
        ("history", "{}", "'history' field must be a JSON array"),
        ("history", "[1, 2]", "'history' field must be a list of JSON objects"),
        ("versions", "[]", "'versions' field must be a JSON object"),
        ("params", "[" * 100_000 + "]" * 100_000, "'params' field nests too deeply"),
        ("history", "[" * 40 + "]" * 40, "'history' field nests deeper than"),
        ("fitted", '{"a": ' * 100_000 + "1" + "}" * 100_000, "'fitted' field nests too deeply"),
        ("params", "{not json", "'params' field is not JSON"),
        ("params", DROP, "'params' field is missing"),
        ("format_version", "one", "format_version 'one' is not an integer"),
        ("format_version", "0", "format_version 0 does not exist"),
        ("estimator", "BaseRepresentation", "unknown estimator class"),
        ("estimator", "MolecularInput", "unknown estimator class"),
    ],
)
def test_metadata_fields_are_checked_before_use(tmp_path, field, text, message):
    path = _variant(tmp_path, fields={field: text})
    with pytest.raises(ValueError, match=message) as error:
        skcmim.load(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_components": {"a": 1}}, "parameter n_components=.* is not a finite JSON scalar"),
        ({"hidden_layer_sizes": [[32]]}, "parameter hidden_layer_sizes=.* is not a finite JSON scalar"),
        ({"learning_rate": float("nan")}, "parameter learning_rate=nan"),
        ({"callbacks": ["os.system"]}, "a model file holds none"),
        ({"n_components": 0}, "parameters not understood.*n_components"),
        ({"learning_rate": -1.0}, "parameters not understood.*learning_rate"),
        ({"likelihood": "poisson"}, "parameters not understood.*likelihood"),
        ({"no_such_parameter": 1}, "parameters not understood.*no_such_parameter"),
        ({"hidden_layer_sizes": [32.5]}, "(?s)do not match.*positive integers"),
        ({"hidden_layer_sizes": [32, 32]}, "(?s)do not match.*(size mismatch|Missing)"),
        ({"hidden_layer_sizes": [1] * 1_000_000}, "names 1000000 layers"),
        ({"n_components": 10**30}, "do not match"),
    ],
    ids=lambda value: None if isinstance(value, str) else str(value)[:30],
)
def test_parameters_are_validated_without_building(tmp_path, params, message):
    with pytest.raises(ValueError, match=message):
        skcmim.load(_variant(tmp_path, params=params))


def test_device_is_checked_before_anything_is_read(tmp_path):
    missing = tmp_path / "missing.safetensors"  # the device error comes first
    absent = torch.cuda.device_count() if torch.cuda.is_available() else 7
    with pytest.raises(ValueError, match=f"cuda:{absent}"):
        skcmim.load(missing, device=f"cuda:{absent}")
    for device, message in [("nonsense", "not a torch device"), ("meta", "not 'meta'"), (3.5, "not a torch device")]:
        with pytest.raises(ValueError, match=message):
            skcmim.load(missing, device=device)
    assert skcmim.load(NUMERIC, device="auto").n_features_in_ == 64


# --------------------------------------------------------------- fitted state


@pytest.mark.parametrize(
    "fitted, message",
    [
        ({"n_features_in_": 0}, "n_features_in_ must be a positive integer"),
        ({"n_features_in_": "64"}, "n_features_in_ must be a positive integer"),
        ({"n_features_in_": True}, "n_features_in_ must be a positive integer"),
        ({"n_features_in_": 63}, "mean_ must be a vector of n_features_in_=63"),
        ({"feature_names_in_": ["a"] * 63}, "feature_names_in_ must be null or a list of n_features_in_=64"),
        ({"feature_names_in_": [1] * 64}, "feature_names_in_ must be null or a list"),
        ({"n_iter_": -1}, "n_iter_ must be a non-negative integer"),
        ({"n_iter_": 1.5}, "n_iter_ must be a non-negative integer"),
        ({"seed": "0"}, "seed must be an integer"),
        ({"seed": 2**40}, "seed must be an integer"),
        ({"seed": DROP}, "fitted seed is missing"),
        ({"likelihood_": "categorical"}, "likelihood_ must be|likelihood_ is missing"),
        ({"likelihood_": ["bernoulli"]}, "likelihood_ must be|likelihood_ is missing"),
        ({"likelihood_": DROP}, "likelihood_ must be|likelihood_ is missing"),
        ({"likelihood_": "gaussian"}, "(?s)do not match.*log_scale"),
        ({"input_kind_": "text"}, "input_kind_ must be"),
        ({"input_kind_": "smiles", "likelihood_": "categorical"}, "unexpected fitted state .* for SMILES input"),
    ],
    ids=lambda value: None if isinstance(value, str) else str(value)[:30],
)
def test_fitted_entries_are_validated_before_building(tmp_path, fitted, message):
    with pytest.raises(ValueError, match=message):
        skcmim.load(_variant(tmp_path, fitted=fitted))


@pytest.mark.parametrize(
    "tensors, message",
    [
        (
            _with_tensor("fitted.mean_", torch.full((64,), float("nan"), dtype=torch.float64)),
            "mean_ holds nan at index 0",
        ),
        (_with_tensor("fitted.scale_", torch.zeros(64, dtype=torch.float64)), "scale_ holds 0.0 at index 0"),
        (_with_tensor("fitted.scale_", torch.full((64,), float("inf"), dtype=torch.float64)), "scale_ holds inf"),
        (_without_tensor("fitted.scale_"), "scale_ must be a vector"),
        (_with_tensor("fitted.mean_", torch.zeros(8, 8, dtype=torch.float64)), "mean_ must be a vector"),
        (_with_tensor("fitted.mean_", torch.zeros(64, dtype=torch.int64)), "mean_ must be float32 or float64"),
        (_with_tensor("fitted.mean_", torch.zeros(64, dtype=torch.bfloat16)), "mean_ must be float32 or float64"),
        (_with_tensor("fitted.evil", torch.zeros(1)), "unexpected fitted state \\['evil'\\] for numeric input"),
        (_with_tensor("other", torch.zeros(1)), "unexpected tensor 'other'"),
        (_with_tensor("module.decoder.out.bias", torch.full((64,), float("nan"))), "module.decoder.out.bias holds NaN"),
        (_with_tensor("module.decoder.out.bias", torch.zeros(65)), "(?s)do not match.*size mismatch"),
        (_with_tensor("module.decoder.out.bias", torch.zeros(64, dtype=torch.float64)), "is torch.float64"),
        (_with_tensor("module.decoder.extra", torch.zeros(1)), "(?s)do not match.*Unexpected key"),
        (_without_tensor("module.decoder.out.bias"), "(?s)do not match.*Missing key"),
    ],
    ids=[
        "nan-mean",
        "zero-scale",
        "inf-scale",
        "no-scale",
        "2d-mean",
        "int-mean",
        "bf16-mean",
        "extra-fitted",
        "no-prefix",
        "nan-weight",
        "wrong-shape",
        "wrong-dtype",
        "extra-weight",
        "missing-weight",
    ],
)
def test_fitted_arrays_and_weights_are_validated(tmp_path, tensors, message):
    with pytest.raises(ValueError, match=message):
        skcmim.load(_variant(tmp_path, tensors=tensors))


def _tokenizer(**changes):
    state = json.loads(_contents(SMILES)[0]["fitted"])["tokenizer_"]
    return _edited(state, changes)


@pytest.mark.parametrize(
    "fitted, message",
    [
        ({"max_length_": 10**9}, "max_length_ must be an integer in \\[2, "),
        ({"max_length_": 1}, "max_length_ must be an integer in"),
        ({"max_length_": 20.0}, "max_length_ must be an integer in"),
        ({"tokenizer_": None}, "tokenizer_ must be a JSON object"),
        ({"tokenizer_": _tokenizer(vocabulary=["c", "C"])}, "vocabulary must be a list of distinct strings"),
        (
            {"tokenizer_": _tokenizer(vocabulary=["<pad>", "<bos>", "<eos>", "<unk>", "c", "c"] + ["C"] * 8)},
            "vocabulary must be a list of distinct strings",
        ),
        ({"tokenizer_": _tokenizer(vocabulary=DROP)}, "vocabulary must be a list"),
        ({"tokenizer_": _tokenizer(max_length=10**9)}, "tokenizer_ max_length must be an integer"),
        ({"tokenizer_": _tokenizer(min_frequency=0)}, "min_frequency must be a positive integer"),
        ({"tokenizer_": _tokenizer(vocabulary=_tokenizer()["vocabulary"] + ["Br"])}, "(?s)do not match.*size mismatch"),
        ({"likelihood_": "bernoulli"}, "likelihood_ must be 'categorical' or absent"),
    ],
    ids=lambda value: None if isinstance(value, str) else str(value)[:30],
)
def test_smiles_fitted_state_is_validated(tmp_path, fitted, message):
    with pytest.raises(ValueError, match=message):
        skcmim.load(_variant(tmp_path, SMILES, fitted=fitted))


def test_the_bound_on_max_length_is_the_molecules_constant(tmp_path):
    from skcmim import molecules

    longest = getattr(molecules, "MAX_SMILES_LENGTH", 4096) + 2
    with pytest.raises(ValueError, match=f"\\[2, {longest}\\]"):
        skcmim.load(_variant(tmp_path, SMILES, fitted={"max_length_": longest + 1}))


# ------------------------------------------------------------------- memory


def test_a_tiny_crafted_file_allocates_little_numpy_or_python_memory(tmp_path):
    path = _huge_mlp_file(tmp_path)
    assert path.stat().st_size < 1024
    skcmim.load(NUMERIC)  # imports and first-use caches are not the file's doing
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="(?s)do not match.*size mismatch"):
            skcmim.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * MB


_ADDRESS_SPACE_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    import torch
    torch.set_num_threads(1)
    import skcmim
    skcmim.load(sys.argv[1])  # the lazy imports of load, before the limit

    def address_space():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))

    resource.setrlimit(resource.RLIMIT_AS, (address_space() + int(sys.argv[3]), resource.RLIM_INFINITY))
    try:
        skcmim.load(sys.argv[2])
    except ValueError as exc:
        print("refused:", exc)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_tiny_crafted_file_cannot_make_load_allocate_gigabytes(tmp_path):
    """tracemalloc does not see torch's allocations; an address-space limit
    300 MB above the interpreter's does: building the crafted network on CPU
    (7 GB) fails under it with an allocation error instead of a ValueError."""
    path = _huge_mlp_file(tmp_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _ADDRESS_SPACE_SCRIPT, str(NUMERIC), str(path), str(300 * MB)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=Path(__file__).parents[1],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused:" in result.stdout and "size mismatch" in result.stdout


# ------------------------------------------------------------------ registry


def test_registry_lists_every_concrete_estimator():
    from skcmim import baselines  # noqa: F401  (defines subclasses)
    from skcmim.estimators import BaseRepresentation

    concrete, stack = set(), [BaseRepresentation]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls.__name__.startswith("Base"):
            concrete.add(cls)
    assert {cls.__name__ for cls in concrete} == set(persistence._ESTIMATOR_MODULES)
    for cls in concrete:
        assert persistence._ESTIMATOR_MODULES[cls.__name__] == cls.__module__


def test_persistence_imports_no_estimator_module_at_import_time():
    tree = ast.parse(Path(persistence.__file__).read_text())
    imported = set()
    for node in tree.body:  # module level only; load imports the registry's modules lazily
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(f"{'.' * node.level}{node.module or ''}")
            imported.update(f"{'.' * node.level}{alias.name}" for alias in node.names if node.level)
    assert not {name for name in imported if "estimators" in name or "baselines" in name}


# ------------------------------------------------------------------ fuzzing

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
# values a real model file could hold, so that many fuzzed files load
_plausible = st.one_of(
    st.integers(-2, 70),
    st.booleans(),
    st.lists(st.integers(-2, 40), max_size=3),
    st.sampled_from([None, 0.5, "auto", "all", "cpu", "gaussian", "bernoulli", "categorical", "numeric", "smiles"]),
)
_nested = st.integers(1, 3000).map(lambda depth: "[" * depth + "]" * depth)


def _mutations(source):
    """``(source, kind, key, value)``: a raw metadata field of ``source``, or one
    entry of its params or fitted object, replaced by ``value``."""
    metadata = _contents(source)[0]
    fields = st.one_of(_json_values.map(json.dumps), _nested, st.text(max_size=20))
    entries = _json_values | _plausible
    return st.one_of(
        st.tuples(st.just(source), st.just("field"), st.sampled_from(sorted(metadata)), fields),
        *(
            st.tuples(st.just(source), st.just(kind), st.sampled_from(sorted(json.loads(metadata[kind]))), entries)
            for kind in ("params", "fitted")
        ),
    )


_fuzzed_files = st.one_of(_mutations(NUMERIC), _mutations(SMILES))


def _outcome(function):
    """``("ok", value)`` or ``("ValueError", None)``; any other exception propagates."""
    try:
        return "ok", function()
    except ValueError:
        return "ValueError", None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=_fuzzed_files)
def test_fuzzed_metadata_loads_identically_or_gives_value_error(X, mutation):
    source, kind, key, value = mutation
    with tempfile.TemporaryDirectory() as directory:
        changes = {"fields" if kind == "field" else kind: {key: value}}
        path = _variant(directory, source, **changes)
        status, loaded = _outcome(lambda: skcmim.load(path))
    event(f"load: {status}")  # --hypothesis-show-statistics: both outcomes occur
    if status == "ValueError":
        return
    rows = X if source == NUMERIC else SMILES_ROWS
    got = _outcome(lambda: loaded.transform(rows))
    if got[0] == "ok":
        assert got[1].shape == (len(rows), loaded._n_features_out) and np.all(np.isfinite(got[1]))
    # a model whose parameters shape it as the original's did (others take effect at once: set them on the
    # original) must compute what the original computes
    original = skcmim.load(source)
    runtime = {
        name: value for name, value in loaded.get_params(deep=False).items() if name in loaded._runtime_parameters
    }
    reference = original.set_params(**runtime)
    if _shaping_params(loaded) == _shaping_params(reference):
        expected = _outcome(lambda: reference.transform(rows))
        assert got[0] == expected[0]
        if got[0] == "ok":
            np.testing.assert_array_equal(got[1], expected[1])


def _shaping_params(model):
    """The parameters that shape a fitted model, with its input by its own parameters."""
    params = {k: v for k, v in model.fitted_.params.items() if k not in model._runtime_parameters}
    return {**params, "input": repr(params["input"])}
