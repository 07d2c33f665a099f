"""Each parameter is documented once, where it is declared, and every class's docstring lists its own."""

import inspect

import pytest
from numpydoc.docscrape import ClassDoc

from skcmim import CMIMTransformer, MIMTransformer, NumericInput, SmilesInput
from skcmim._parameters import DEPRECATED
from skcmim.baselines import CVAETransformer, InfoNCEAETransformer, InfoNCETransformer, VAETransformer

PUBLIC = [
    MIMTransformer,
    CMIMTransformer,
    VAETransformer,
    CVAETransformer,
    InfoNCETransformer,
    InfoNCEAETransformer,
    NumericInput,
    SmilesInput,
]


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda cls: cls.__name__)
def test_the_docstring_lists_every_parameter_with_its_default(cls):
    signature = inspect.signature(cls).parameters
    documented = ClassDoc(cls)["Parameters"]
    # the signature's order, parameters kept under an old name last
    expected = sorted(signature, key=lambda name: signature[name].default == DEPRECATED)
    assert [entry.name for entry in documented] == expected
    for entry in documented:
        assert entry.type.endswith(f"default={signature[entry.name].default!r}".replace("'", '"')), entry.name
        assert entry.desc and not any("  " in line.strip() and line.strip().startswith(" ") for line in entry.desc)


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda cls: cls.__name__)
def test_the_docstring_has_attributes_and_its_own_sections(cls):
    doc = ClassDoc(cls)
    assert doc["Attributes"], cls.__name__
    assert doc["Summary"]


def test_a_subclass_that_changes_a_default_documents_its_own():
    assert 'default="per_dimension"' in CMIMTransformer.__doc__
    assert 'default="none"' in MIMTransformer.__doc__.split("latent_scale :")[1].splitlines()[0]
