"""README's Python examples, run as written: what a user copies must work after README's install command."""

import contextlib
import io
import re
from pathlib import Path

import pytest

from conftest import needs_rdkit

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_readme_has_its_three_examples():
    assert len(EXAMPLES) == 3


@needs_rdkit
@pytest.mark.parametrize("code", EXAMPLES, ids=["numeric-grid-search", "pretrained-molecules", "save-and-load"])
def test_a_readme_example_runs_and_prints_what_it_says(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the save example writes model.safetensors where it runs
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    # a "# (3, 288)"-style comment after print(...) states what the line prints
    for expected in re.findall(r"print\(.*\)\s*#\s*(\(.*?\))", code):
        assert expected in printed.getvalue()
