"""The estimators' static docstrings hold the shared parameter descriptions."""

import inspect

import pytest

from skcmim._docstrings import _public_estimators, expected_docstring


@pytest.mark.parametrize("cls", _public_estimators(), ids=lambda cls: cls.__name__)
def test_static_docstring_matches_the_parameter_tables(cls):
    # after editing skcmim/_docstrings.py, run `python -m skcmim._docstrings`
    assert cls.__doc__ == expected_docstring(cls)
    documented = [line.split(" : ")[0].strip() for line in cls.__doc__.splitlines() if " : " in line]
    assert [name for name in inspect.signature(cls).parameters] == documented[: len(inspect.signature(cls).parameters)]


@pytest.mark.parametrize("cls", _public_estimators(), ids=lambda cls: cls.__name__)
def test_docstring_is_in_the_source(cls):
    # an IDE reads the source, not the imported object
    assert cls.__doc__ in inspect.getsource(inspect.getmodule(cls))
