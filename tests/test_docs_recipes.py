"""The code of docs/recipes.rst, run as written, with a tiny model fitted
here standing in for the pretrained ``cmim-zinc``."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from skcmim import CMIMTransformer, pretrained

from conftest import FAST, SHARED_DATA, needs_pandas, needs_rdkit, needs_shared

REPO = Path(__file__).resolve().parent.parent

pytestmark = [needs_rdkit, needs_pandas, needs_shared("esol_delaney.csv")]


def recipe_blocks():
    text = (REPO / "docs" / "recipes.rst").read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text)
    return [re.sub(r"^   ", "", block, flags=re.M) for block in blocks]


@pytest.fixture(scope="module")
def stand_in():
    from skcmim.datasets import fetch_esol

    smiles, _ = fetch_esol(path=SHARED_DATA, return_X_y=True)
    return CMIMTransformer(**{**FAST, "max_epochs": 1}).fit(smiles)


def test_recipes_run_and_never_refit_the_encoder(stand_in, monkeypatch, tmp_path):
    blocks = recipe_blocks()
    assert len(blocks) == 4
    monkeypatch.setenv("SKCMIM_DATA", str(SHARED_DATA))  # fetch_esol finds the file there, checksum checked
    monkeypatch.setattr(pretrained, "load", lambda name, **kwargs: stand_in if name == "cmim-zinc" else None)
    weights = {name: tensor.clone() for name, tensor in stand_in.module_.state_dict().items()}
    namespace = {}

    exec(blocks[0], namespace)
    search = namespace["search"]
    assert search.best_estimator_.steps[0][1].estimator is stand_in
    assert np.isfinite(search.score(namespace["s_test"], namespace["y_test"]))

    exec(blocks[1], namespace)
    model, table = namespace["model"], namespace["table"]
    embedded = model[0].transform(table.iloc[:3])
    assert embedded.shape == (3, FAST["n_components"] + 2)
    np.testing.assert_allclose(embedded[:, : FAST["n_components"]], stand_in.transform(table["smiles"][:3]))

    exec(blocks[2], namespace)
    # 3 folds and the refit on all training data, for each of the two cached steps: not once per alpha
    calls = list(Path(namespace["cache"]).rglob("_fit_transform_one*/*/output.pkl"))  # the name varies by version
    assert len(calls) == 2 * (3 + 1)

    for name, tensor in stand_in.module_.state_dict().items():
        assert torch.equal(tensor, weights[name]), name


def test_the_descriptor_recipe_unions_the_embeddings_with_the_descriptors(stand_in, monkeypatch):
    pytest.importorskip("skfp", reason="the recipe uses scikit-fingerprints (the benchmarks extra)")
    blocks = recipe_blocks()
    monkeypatch.setenv("SKCMIM_DATA", str(SHARED_DATA))
    monkeypatch.setattr(pretrained, "load", lambda name, **kwargs: stand_in if name == "cmim-zinc" else None)
    namespace = {}
    exec(blocks[0], namespace)
    try:
        exec(blocks[3], namespace)
        union = namespace["both"][0]
        width = FAST["n_components"] + FAST["hidden_layer_sizes"][0]  # the informative embeddings
        assert union.transform(namespace["s_test"][:4]).shape == (4, width + 200)  # skfp's 200 RDKit descriptors
        assert np.isfinite(namespace["both"].score(namespace["s_test"], namespace["y_test"]))
    finally:
        stand_in.set_params(informative=False)  # the recipe asks the shared encoder for informative embeddings
