"""What a user installs: the wheel's licence, type marker and metadata, the
citation file, the command line's help, and the docs' offline link inventories."""

import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import skcmim
from skcmim.__main__ import main

REPO = Path(__file__).resolve().parent.parent
RUNTIME_EXTRAS = {"plot", "molecules", "distributed"}
PROJECT_URLS = ("Homepage", "Documentation", "Repository", "Issues", "Changelog")

tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built from a copy of the sources (the checkout gets no build/ folder)."""
    # without build isolation the environment's setuptools builds it; 77 reads license-files
    pytest.importorskip("setuptools", minversion="77", reason="building the wheel needs setuptools>=77")
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "skcmim", source / "skcmim", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("skcmim-*.whl")
    return zipfile.ZipFile(path)


def metadata(wheel):
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(wheel.read(name).decode())


def test_wheel_carries_the_licence_and_the_type_marker(wheel):
    names = wheel.namelist()
    assert "skcmim/py.typed" in names
    (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    text = wheel.read(licence).decode()
    assert text.startswith("MIT License") and "skcmim developers" in text
    assert metadata(wheel)["License-Expression"] == "MIT"


def test_wheel_carries_the_fused_gru_source(wheel):
    # skcmim._gru_kernel compiles it on the user's machine the first time a SMILES model trains
    assert "skcmim/csrc/fused_gru.cpp" in wheel.namelist()


def test_wheel_metadata_has_the_project_urls_and_classifiers(wheel):
    meta = metadata(wheel)
    urls = dict(entry.split(", ", 1) for entry in meta.get_all("Project-URL"))
    assert set(urls) == set(PROJECT_URLS)
    assert all(url.startswith("https://") for url in urls.values())
    classifiers = meta.get_all("Classifier")
    assert "Development Status :: 3 - Alpha" in classifiers
    assert "Operating System :: OS Independent" in classifiers
    assert "Topic :: Scientific/Engineering :: Chemistry" in classifiers
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in range(10, 14)} <= set(classifiers)
    assert meta["Version"] == skcmim.__version__


def test_all_extra_installs_every_runtime_extra(pyproject, wheel):
    extras = pyproject["project"]["optional-dependencies"]
    assert RUNTIME_EXTRAS <= set(extras)
    (requirement,) = extras["all"]
    named = re.fullmatch(r"skcmim\[([\w,\s]+)\]", requirement).group(1)
    assert {extra.strip() for extra in named.split(",")} == RUNTIME_EXTRAS
    assert "all" in metadata(wheel).get_all("Provides-Extra")


def citation_references():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_file_matches_the_package_and_the_citing_page(pyproject):
    cff = citation_references()
    assert cff["version"] == skcmim.__version__ == pyproject["project"]["version"]
    assert cff["license"] == pyproject["project"]["license"]
    assert cff["repository-code"] == pyproject["project"]["urls"]["Repository"]
    bibtex = (REPO / "docs" / "citing.rst").read_text(encoding="utf-8")
    arxiv_ids = [ref["identifiers"][0]["value"].removeprefix("arXiv:") for ref in cff["references"]]
    assert arxiv_ids == ["1910.03175", "2411.10548", "2509.21511"]
    for reference, arxiv_id in zip(cff["references"], arxiv_ids):
        entry = re.search(r"@article\{[^@]*?eprint\s*=\s*\{" + re.escape(arxiv_id) + r"\}[^@]*", bibtex).group(0)
        assert f"year          = {{{reference['year']}}}" in entry
        authors = " and ".join(f"{a['family-names']}, {a['given-names']}" for a in reference["authors"])
        assert f"author        = {{{authors}}}" in entry
        # BibTeX protects capitals with braces and may wrap the title
        title = " ".join(re.search(r"title\s*=\s*\{(.*?)\},\n\s*author", entry, re.S).group(1).split())
        assert title.replace("{", "").replace("}", "") == reference["title"]


def test_changelog_has_an_unreleased_section_and_the_first_release():
    headings = re.findall(r"^## (.+)$", (REPO / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    assert headings[0].lower().endswith("(unreleased)")
    assert headings[-1] == "0.1.0"


def help_text(monkeypatch, capsys, argv0):
    """``--help`` as printed when the process was started with ``argv0``."""
    monkeypatch.setattr(sys, "argv", [argv0])
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_module_help_names_the_program_and_is_plain_text(monkeypatch, capsys):
    import skcmim.__main__ as entry_point

    # ``python -m skcmim`` puts the path of __main__.py in sys.argv[0]
    text = help_text(monkeypatch, capsys, entry_point.__file__)
    assert text.startswith("usage: python -m skcmim ")
    assert "__main__" not in text
    assert "``" not in text and ":func:" not in text
    assert "--n-components" in text


def test_console_script_help_names_the_command(monkeypatch, capsys):
    text = help_text(monkeypatch, capsys, str(Path("venv", "bin", "skcmim")))
    assert text.startswith("usage: skcmim ")


def test_version_option(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["skcmim"])
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"skcmim {skcmim.__version__}"


def load_docs_extension(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "docs" / "sphinxext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_link_inventories_match_their_script():
    pytest.importorskip("sphinx")
    from sphinx.util.inventory import InventoryFile

    inventories = load_docs_extension("local_inventories")
    folder = REPO / "docs" / inventories.INVENTORY_DIR
    assert sorted(path.stem for path in folder.glob("*.inv")) == sorted(inventories.NAMES)
    for key, (url, _project, _version, names) in inventories.NAMES.items():
        committed = InventoryFile.loads((folder / f"{key}.inv").read_bytes(), uri=url)
        found = {name: item.uri for entries in committed.data.values() for name, item in entries.items()}
        expected = {
            name: url + path.replace("$", name) if path.endswith("$") else url + path
            for name, (_, path) in names.items()
        }
        assert found == expected, f"docs/_inventories/{key}.inv is stale: run docs/sphinxext/local_inventories.py"


def test_api_coverage_sorts_public_and_internal_objects():
    pytest.importorskip("sphinx")
    coverage = load_docs_extension("api_coverage")

    def public():
        pass

    def internal():
        pass

    objects = {"pkg.public": public, "pkg.core.public": public, "pkg.core.internal": internal}
    assert coverage.coverage_problems(objects, ["pkg"], {"pkg.public"}, {"pkg.core.internal"}) == []
    problems = coverage.coverage_problems(objects, ["pkg"], {"pkg.core.internal"}, set())
    assert problems == [
        "public object pkg.public is missing from the API reference; add it to an autosummary list there",
        "internal object pkg.core.internal is listed in the API reference; move it to the developer reference",
    ]
    assert coverage.coverage_problems(objects, ["pkg"], {"pkg.public"}, set(), skip=["pkg.core.internal"]) == []
    # a public module's helper may be documented for developers instead
    assert coverage.coverage_problems(objects, ["pkg"], set(), {"pkg.public", "pkg.core.internal"}) == []
    assert coverage.coverage_problems(objects, ["pkg"], set(), {"pkg.core.internal"}) == [
        "public object pkg.public is missing from the API reference; add it to an autosummary list there"
    ]
