"""A third kind of data, added in this file alone, as docs/extending.rst describes.

Rows of integer tokens of any length (event codes, k-mers, words already
mapped to ids): one input class, registered here, trains, transforms, scores,
samples, saves and loads through the unchanged estimators, model files and
training engine.  If any module outside ``skcmim/inputs`` had to know this
kind, this file could not pass without touching it.
"""

from numbers import Integral

import numpy as np
import pytest
from sklearn.utils.validation import validate_data

import skcmim
from skcmim import CMIMTransformer, MIMTransformer
from skcmim._parameters import Interval
from skcmim.inputs import INPUT_KINDS, DataInput, InferenceRows, param, parameters, register_input_kind
from skcmim.networks import SmilesEncoderDecoder
from skcmim.training import RaggedRows

# ids 0-3 are the network's <pad>, <bos>, <eos> and <unk>; token t is id t + 4
_SPECIAL = 4
PAD, BOS, EOS = 0, 1, 2


def _is_token_rows(X):
    return (
        isinstance(X, list)
        and bool(X)
        and all(
            isinstance(row, tuple) and all(isinstance(t, Integral) and not isinstance(t, bool) for t in row)
            for row in X
        )
    )


@register_input_kind
@parameters
class TokenRows(DataInput):
    """Rows of non-negative integer tokens, each a tuple of any length.

    Attributes
    ----------
    n_tokens_ : int
        Tokens the model knows: 0 to ``n_tokens_ - 1``.
    max_length_ : int
        Longest row of the training data (with ``<bos>`` and ``<eos>``).
    likelihood_ : str
        ``"categorical"``.
    """

    min_tokens: int = param(
        1, [Interval(Integral, 1, None, closed="left")], "int", "Rows shorter than this are invalid."
    )

    kind = "token_rows"
    default_hidden = (16,)
    fitted_attributes = ("n_tokens_", "max_length_", "likelihood_")

    @classmethod
    def accepts(cls, X):
        return _is_token_rows(X)

    def _rows(self, X, owner):
        if not _is_token_rows(X):
            raise ValueError(f"{type(owner).__name__} reads a list of tuples of integer tokens.")
        for index, row in enumerate(X):
            if len(row) < self.min_tokens or min(row) < 0:
                raise ValueError(f"Row {index} of X is not a row of at least {self.min_tokens} non-negative tokens.")
        return X

    def _ragged(self, rows):
        lengths = np.array([len(row) + 2 for row in rows])
        flat = np.concatenate([[BOS, *[min(t, self.n_tokens_) + _SPECIAL for t in row], EOS] for row in rows])
        return flat, lengths

    def setup(self, X, owner, seed, reading):
        rows = self._rows(X, owner)
        validate_data(owner, np.empty((0, 1)), reset=True, skip_check_array=True)
        self.n_tokens_ = max(max(row) for row in rows) + 1
        self.max_length_ = max(len(row) for row in rows) + 2
        if reading.decoder:
            self.likelihood_ = "categorical"
        return self.training_input(rows, owner, reading)

    def training_input(self, X, owner, reading):
        return RaggedRows(*self._ragged(self._rows(X, owner)), PAD)

    def inference_rows(self, X, owner, reading, *, scoring=False):
        validate_data(owner, np.empty((0, 1)), reset=False, skip_check_array=True)
        flat, lengths = self._ragged(self._rows(X, owner))
        rows = RaggedRows(flat, lengths, PAD)
        return InferenceRows([rows.take(np.arange(len(rows))).numpy()], np.float64, len(X), compute_dtype=np.float32)

    def module_spec(self, role, n_components, hidden_layer_sizes, **options):
        return SmilesEncoderDecoder, {
            "vocab_size": self.n_tokens_ + _SPECIAL + 1,
            "n_components": n_components,
            "hidden_size": hidden_layer_sizes[0],
            "max_length": self.max_length_,
        }

    def decode(self, Z, run_batches, *, sampling_temperature, random_state):
        ids = run_batches([Z.astype(np.float32)], lambda module, codes: module.decode(codes), np.int64)
        out = np.empty(len(ids), dtype=object)
        for index, row in enumerate(ids):
            tokens = list(row[1:])
            out[index] = tuple(
                int(t) - _SPECIAL for t in tokens[: tokens.index(EOS) if EOS in tokens else None] if t >= _SPECIAL
            )
        return out

    def fitted_state(self):
        return {}, {"n_tokens_": self.n_tokens_, "max_length_": self.max_length_, "likelihood_": self.likelihood_}

    def restore_fitted_state(self, arrays, values, *, n_features_in, seed):
        for name in ("n_tokens_", "max_length_"):
            if not isinstance(values.get(name), int) or values[name] < 1:
                raise ValueError(f"fitted {name} must be a positive integer, got {values.get(name)!r}.")
        self.n_tokens_, self.max_length_ = values["n_tokens_"], values["max_length_"]
        self.likelihood_ = values.get("likelihood_", "categorical")
        return self


def _rows(n, seed=0):
    rng = np.random.default_rng(seed)
    return [tuple(int(t) for t in rng.integers(0, 6, size=rng.integers(2, 9))) for _ in range(n)]


FAST = dict(n_components=3, hidden_layer_sizes=(16,), max_epochs=3, batch_size=16, random_state=0)


def test_the_kind_is_registered_and_detected():
    assert INPUT_KINDS["token_rows"] is TokenRows
    model = CMIMTransformer(**FAST).fit(_rows(64))  # input="auto" recognises the rows
    assert model.input_kind_ == "token_rows" and model.n_tokens_ == 6 and model.likelihood_ == "categorical"


@pytest.mark.parametrize("Model", [MIMTransformer, CMIMTransformer])
def test_a_third_kind_fits_transforms_scores_samples_saves_and_loads(Model, tmp_path):
    X = _rows(96)
    model = Model(**FAST, input=TokenRows(min_tokens=2), informative=True).fit(X)
    Z = model.transform(X)
    assert Z.shape == (96, 3 + 16) and np.isfinite(Z).all()
    assert np.isfinite(model.score(X))
    generated = model.sample(5, random_state=0)
    assert len(generated) == 5 and all(isinstance(row, tuple) for row in generated)
    assert model.get_params(deep=True)["input__min_tokens"] == 2

    loaded = skcmim.load(model.save(tmp_path / "tokens.safetensors"))
    assert isinstance(loaded.input_, TokenRows) and loaded.input_.min_tokens == 2
    np.testing.assert_array_equal(loaded.transform(X), Z)  # same process, same machine: bit for bit
    assert list(loaded.inverse_transform(Z[:4])) == list(model.inverse_transform(Z[:4]))


def test_its_rows_are_checked_by_the_kind():
    model = CMIMTransformer(**FAST, input=TokenRows(min_tokens=2)).fit(_rows(32, seed=1))
    with pytest.raises(ValueError, match="Row 1 of X is not a row of at least 2 non-negative tokens"):
        model.transform([(1, 2, 3), (4,)])
