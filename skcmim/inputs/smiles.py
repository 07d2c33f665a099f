"""Molecules given as SMILES strings or RDKit Mols: validation, tokens, decoding.

Every row is validated (and by default canonicalised) by RDKit; invalid rows
raise a ``ValueError`` naming the row, or with ``on_invalid="nan"`` are left
out of training and get NaN rows in ``transform``.  The network sees token
ids of the input's ``alphabet``: SMILES
(:class:`~skcmim.molecules.SmilesTokenizer`) or SELFIES
(:class:`~skcmim.molecules.SelfiesTokenizer`, each molecule written as
SELFIES once per fit; decoded SELFIES are turned back into SMILES, so users
see SMILES either way).  ``transform`` computes each distinct molecule once,
in float32, over batches of similar length each padded to its own longest
molecule, and puts the rows back in their order as float64.
"""

import hashlib
import itertools
import warnings
from numbers import Integral
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from .._parameters import Interval, StrOptions, param, parameters
from .._warnings import find_stack_level
from ..molecules import (
    MAX_SMILES_LENGTH,
    MIN_SEQUENCE_LENGTH,
    SPECIAL_TOKENS,
    TOKENIZERS,
    _column_entries,
    _shown,
    is_molecular_input,
    randomized_smiles,
    selfies_to_smiles,
    to_selfies,
    to_smiles,
    tokenizer_from_dict,
)
from ..networks import AugmentedSmilesEncoder, SmilesEncoderDecoder, augmentation_names
from ..training.data import RaggedRows
from .base import DataInput, InferenceRows, Reading, register_input_kind
from .numeric import row_slices

__all__ = ["SmilesInput"]

# Tokens (rows x padded length) per forward pass: bounds the memory of the
# decoder states that informative embeddings read out.
_INFERENCE_TOKENS = 1 << 18
# Molecules per forward pass: on the CPU the GRU's per-step gates of this many
# rows stay within the cache.
INFERENCE_ROWS = 512


@register_input_kind
@parameters
class SmilesInput(DataInput):
    """Molecules, one per row: SMILES strings or RDKit ``Mol`` objects.

    X is a list, 1-D array, pandas Series (pandas' string dtypes included) or
    one-column DataFrame.  RDKit validates every row (and by default
    canonicalises it); a tokenizer learns the vocabulary of the training
    molecules; a bidirectional GRU encodes the tokens and an autoregressive
    GRU decoder, conditioned on the code, reconstructs them.
    ``inverse_transform`` and ``sample`` return SMILES strings.  An invalid
    row raises a ``ValueError`` naming it, or with the estimator's
    ``on_invalid="nan"`` gets a NaN row.

    Attributes
    ----------
    tokenizer_ : SmilesTokenizer or SelfiesTokenizer
        The tokenizer and the vocabulary learnt in ``fit``.
    max_length_ : int
        The longest sequence ``inverse_transform`` and ``sample`` generate.
    likelihood_ : str
        ``"categorical"`` (models with a decoder only).

    Examples
    --------
    >>> from skcmim import CMIMTransformer, SmilesInput
    >>> model = CMIMTransformer(input=SmilesInput(alphabet="selfies"))
    """

    alphabet: str = param(
        "smiles",
        [StrOptions({"smiles", "selfies"})],
        '{"smiles", "selfies"}',
        'The token alphabet the network reads and writes.  ``"selfies"`` writes each (canonical) molecule as '
        "SELFIES and learns a vocabulary of SELFIES symbols, so that every generated sequence is a valid "
        "molecule; ``inverse_transform`` and ``sample`` still return canonical SMILES (None for a sequence "
        "without atoms), and a molecule SELFIES cannot write is an invalid row.  ``max_length`` counts "
        "tokens of this alphabet.",
    )
    canonical: bool = param(
        True,
        ["boolean"],
        "bool",
        "Canonicalise every molecule with RDKit first, so that different SMILES of one molecule get one code.",
    )
    isomeric: bool = param(
        True,
        ["boolean"],
        "bool",
        "Keep stereochemistry and isotopes (RDKit's ``isomericSmiles``).  False writes every molecule without "
        "them, in ``fit`` and in ``transform``: a model trained on molecules without stereochemistry (such as "
        "MOSES ZINC, and the pretrained models) has no tokens for it, and would read a stereocentre such as "
        "``[C@@H]`` as an unknown token instead of a carbon.",
    )
    standardize: bool = param(
        True,
        ["boolean"],
        "bool",
        "Standardise every molecule as chemists do before the model reads it: keep its largest organic fragment "
        "(salts, counter-ions and solvents are stripped) and neutralise charges where a neutral form exists (a "
        "carboxylate gets its proton back, a protonated amine loses it), with RDKit's ``rdMolStandardize``.  "
        "Charges without a neutral form (quaternary ammonium, nitro groups, N-oxides) stay.  False reads each "
        "molecule as given.",
    )
    max_length: int | None = param(
        None,
        [Interval(Integral, MIN_SEQUENCE_LENGTH, MAX_SMILES_LENGTH + 2, closed="both"), None],
        "int or None",
        "The longest token sequence (``<bos>`` and ``<eos>`` included) to train on and to generate, at most "
        f"``skcmim.molecules.MAX_SMILES_LENGTH + 2`` ({MAX_SMILES_LENGTH + 2:,}).  None: the longest training "
        "molecule.  Longer training molecules are an error; ``transform`` encodes molecules of any length "
        "(nothing is ever truncated).",
    )

    kind = "smiles"
    format_1_options = {"standardize": False}  # models of skcmim 0.1 read molecules as given
    default_hidden = (256,)
    missing_codes = True
    fitted_attributes = ("tokenizer_", "max_length_", "likelihood_")

    @classmethod
    def accepts(cls, X: Any) -> bool:
        return is_molecular_input(X)

    # -- set-up ----------------------------------------------------------------
    def setup(self, X: Any, owner: Any, seed: int, reading: Reading) -> Any:
        self._start(owner, seed, reading.decoder)
        smiles = self._training_smiles(X, owner, reading)
        views = self._views(smiles, reading.n_views)
        self._learn_vocabulary(smiles if views is None else _with_views(smiles, views))
        return self._tokens(smiles if views is None else views)

    def setup_stream(self, source: Any, owner: Any, seed: int, reading: Reading) -> int:
        from ..streaming import chunk_errors

        self._start(owner, seed, reading.decoder)
        n_rows = 0

        def vocabulary_chunks():
            nonlocal n_rows
            for index, chunk in enumerate(source):
                with chunk_errors(index, source):
                    smiles = self._training_smiles(chunk, owner, reading)
                    views = self._views(smiles, reading.n_views)
                n_rows += len(smiles)
                yield smiles if views is None else _with_views(smiles, views)

        self._learn_vocabulary(itertools.chain.from_iterable(vocabulary_chunks()))
        return n_rows

    def training_input(self, X: Any, owner: Any, reading: Reading) -> Any:
        smiles = self._training_smiles(X, owner, reading)
        views = self._views(smiles, reading.n_views)
        return self._tokens(smiles if views is None else views)

    def _start(self, owner, seed, decoder):
        """A new fit: the view generator, the likelihood, and scikit-learn's record of one input column."""
        self._view_rng = np.random.RandomState(seed)
        if decoder:
            self.likelihood_ = "categorical"
        _record_one_column(owner, reset=True)

    def _learn_vocabulary(self, smiles):
        self.tokenizer_ = TOKENIZERS[self.alphabet]().fit(smiles)
        self.max_length_ = self.max_length or self.tokenizer_.max_length_

    def _validated(self, X, reading):
        """X in the input's alphabet, written as the input's parameters say."""
        validate = to_selfies if self.alphabet == "selfies" else to_smiles
        return validate(
            X,
            canonical=self.canonical,
            isomeric=self.isomeric,
            on_invalid=reading.on_invalid,
            n_jobs=reading.n_jobs,
            standardize=self.standardize,
        )

    def _training_smiles(self, X, owner, reading):
        """Valid molecules of X; with ``on_invalid="nan"`` invalid rows are left out, with a warning."""
        smiles, valid = self._validated(X, reading)
        if not valid.all():
            row = int(np.argmin(valid))
            warnings.warn(
                f"{int((~valid).sum())} of {len(valid)} rows are not valid molecules (the first is row {row}); "
                f"fit leaves them out (on_invalid='nan') and transform gives them NaN rows.",
                UserWarning,
                stacklevel=find_stack_level(),
            )
            smiles = [text for text in smiles if text is not None]
        if not smiles:
            raise ValueError(f"{type(owner).__name__} needs at least one valid molecule to fit; got none.")
        return smiles

    def _views(self, smiles, n_views):
        """``n_views`` random SMILES of every molecule, one list per view (None: no views)."""
        if n_views is None:
            return None
        return [randomized_smiles(smiles, self._view_rng) for _ in range(n_views)]

    def _tokens(self, smiles_or_views):
        """Token ids without padding: a row per SMILES, or per molecule with its ``n_views`` views.

        Batches are padded one at a time (:class:`~skcmim.training.data.RaggedRows`),
        so a very long SMILES costs memory for its own batch only.
        """
        views = smiles_or_views and isinstance(smiles_or_views[0], list)
        # row-major (molecule, view) order: each molecule's views side by side
        texts = [text for row in zip(*smiles_or_views) for text in row] if views else smiles_or_views
        flat, lengths = self.tokenizer_.encode_ragged(texts, max_length=self.max_length_)
        if views:
            lengths = lengths.reshape(-1, len(smiles_or_views))
        return RaggedRows(flat, lengths, self.tokenizer_.pad_index)

    # -- inference -------------------------------------------------------------
    def inference_rows(self, X: Any, owner: Any, reading: Reading, *, scoring: bool = False) -> InferenceRows:
        """Token-id batches of the distinct valid molecules of X; outputs float64, computed in float32.

        float32 is what the network trained in, and about twice as fast as
        float64 on the CPU.  A molecule's output does not depend on the order
        of X, and repeats of a molecule share one output row (see
        :meth:`_length_batches`); next to other molecules it may differ from
        its output alone in the last float32 bits.
        """
        _record_one_column(owner, reset=False)
        smiles, valid = self._validated(X, reading)
        rows_of_valid = np.flatnonzero(valid)
        batches, index = self._length_batches(
            [text for text in smiles if text is not None],
            lambda unknown, first: _warn_unknown_molecules(X, rows_of_valid[first], unknown),
        )
        return _SharedOutputs(batches, len(smiles), valid, index)

    def _length_batches(self, smiles, on_unknown=None):
        """Token ids of the distinct ``smiles`` in batches of similar length, and where each SMILES' output lies.

        The distinct molecules are sorted by length, then by their text, so
        the batches (and the last bits of float32 results, which depend on a
        batch's composition) are the same for any order of the same
        molecules.  Each batch is padded to its own longest molecule and
        holds at most ``_INFERENCE_TOKENS`` padded tokens: one huge molecule
        costs memory for its own batch only.  The second value gives, for
        each SMILES, its row in the batches' concatenation.
        """
        if not smiles:
            return [], np.empty(0, dtype=np.intp)
        distinct, inverse = np.unique(np.asarray(smiles, dtype=object), return_inverse=True)
        first = np.full(len(distinct), len(smiles))
        np.minimum.at(first, inverse.reshape(-1), np.arange(len(smiles)))  # each distinct molecule's first row
        # never truncates; unknown tokens are reported with the rows of their molecules
        report = None if on_unknown is None else (lambda unknown: on_unknown(unknown, first[list(unknown)]))
        flat, lengths = self.tokenizer_.encode_ragged(list(distinct), on_unknown=report)
        order = np.argsort(lengths, kind="stable")  # distinct is sorted by text: ties keep that order
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        starts = np.cumsum(lengths) - lengths
        batches, begin = [], 0
        while begin < len(order):
            stop = begin + 1
            while (
                stop < len(order)
                and stop - begin < INFERENCE_ROWS
                and (stop - begin + 1) * lengths[order[stop]] <= _INFERENCE_TOKENS
            ):
                stop += 1
            batches.append(
                _padded(flat, starts[order[begin:stop]], lengths[order[begin:stop]], self.tokenizer_.pad_index)
            )
            begin = stop
        return batches, rank[inverse.reshape(-1)]

    def fingerprint(self, X: Any) -> str:
        entries, _ = _column_entries(X)
        digest = hashlib.sha256(str(len(entries) if entries is not None else -1).encode())
        digest.update("\x00".join(_entry_text(value) for value in entries or ()).encode("utf-8", "replace"))
        return digest.hexdigest()

    # -- network ---------------------------------------------------------------
    def hidden_sizes(self, hidden_layer_sizes: Any) -> tuple[int, ...]:
        sizes = super().hidden_sizes(hidden_layer_sizes)
        if len(set(sizes)) != 1:
            raise ValueError(
                f"For SMILES the hidden layers are stacked GRU layers of one width; got "
                f"hidden_layer_sizes={sizes!r}. Use e.g. (256,) or (512, 512)."
            )
        return sizes

    def module_spec(
        self, role: str, n_components: int, hidden_layer_sizes: tuple[int, ...], **options: Any
    ) -> tuple[type, dict[str, Any]]:
        common = {
            "vocab_size": len(self.tokenizer_.vocabulary_),
            "n_components": n_components,
            "hidden_size": hidden_layer_sizes[0],
            "num_layers": len(hidden_layer_sizes),
        }
        if role == "view_encoder_decoder":
            raise NotImplementedError(
                "InfoNCE with a decoder takes numeric data only; for molecules use InfoNCETransformer (no decoder) "
                "or CMIMTransformer."
            )
        if role == "view_encoder":
            augmentation = options.get("augmentation", "auto")
            if augmentation != "auto" and augmentation_names(augmentation) != ("noise",):
                raise ValueError(
                    f"augmentation={augmentation!r} applies to numeric data; the views of molecules "
                    f"are random SMILES (n_views). Leave augmentation='auto'."
                )
            return AugmentedSmilesEncoder, {
                **common,
                "pad_index": self.tokenizer_.pad_index,
                "projection_head": options.get("projection_head"),
            }
        return SmilesEncoderDecoder, {**common, "max_length": self.max_length_}

    # -- decoding --------------------------------------------------------------
    def decode(self, Z: Any, run_batches: Any, *, sampling_temperature: float, random_state: Any) -> Any:
        """One SMILES per code, decoded token by token.

        None for a code with NaNs, and with the SELFIES alphabet for tokens
        that spell no molecule (no atom); SELFIES are returned as canonical
        SMILES.
        """
        finite = np.isfinite(Z).all(axis=1)
        seed = None
        if sampling_temperature > 0:
            seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        decode = _TokenDecoder(sampling_temperature, seed)
        out = np.full(len(Z), None, dtype=object)
        if finite.any():
            ids = run_batches(row_slices(Z[finite].astype(np.float32)), decode, np.int64)
            texts = self.tokenizer_.decode(ids)
            out[finite] = selfies_to_smiles(texts) if self.tokenizer_.alphabet == "selfies" else texts
        return out

    # -- fitted state ------------------------------------------------------------
    def fitted_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        values = {"tokenizer_": self.tokenizer_.to_dict(), "max_length_": self.max_length_}
        if hasattr(self, "likelihood_"):
            values["likelihood_"] = self.likelihood_
        return {}, values

    def restore_fitted_state(
        self, arrays: dict[str, Any], values: dict[str, Any], *, n_features_in: int, seed: int
    ) -> DataInput:
        if arrays or set(values) - {"tokenizer_", "max_length_", "likelihood_"}:
            raise ValueError(f"unexpected fitted state {sorted({*arrays, *values})} for SMILES input.")
        longest = MAX_SMILES_LENGTH + 2
        max_length = values.get("max_length_")
        _require(
            "max_length_",
            max_length,
            _in_range(max_length, 2, longest),
            f"an integer in [2, {longest}] (tokens plus <bos> and <eos>)",
        )
        _check_tokenizer_state(values.get("tokenizer_"), longest)
        if values["tokenizer_"].get("alphabet", "smiles") != self.alphabet:
            raise ValueError(
                f"the tokenizer's alphabet {values['tokenizer_'].get('alphabet')!r} is not the input's "
                f"alphabet {self.alphabet!r}."
            )
        likelihood = values.get("likelihood_")
        _require("likelihood_", likelihood, likelihood in (None, "categorical"), "'categorical' or absent")
        _require("n_features_in_", n_features_in, n_features_in == 1, "1 for molecules")
        self.tokenizer_ = tokenizer_from_dict(values["tokenizer_"])
        self.max_length_ = max_length
        if likelihood is not None:
            self.likelihood_ = likelihood
        # a loaded model that trains again draws views it has not drawn before
        self._view_rng = np.random.RandomState(seed)
        return self


def _require(field, value, ok, expected):
    if not ok:
        raise ValueError(f"fitted {field} must be {expected}, got {_shown(value)}.")


def _in_range(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_tokenizer_state(state, longest):
    """The :meth:`SmilesTokenizer.to_dict` form: parameters, vocabulary, longest encoded length."""
    _require("tokenizer_", state, isinstance(state, dict), "a JSON object")
    vocabulary = state.get("vocabulary")
    special = list(SPECIAL_TOKENS)
    _require(
        "tokenizer_ vocabulary",
        vocabulary,
        isinstance(vocabulary, list)
        and all(isinstance(token, str) for token in vocabulary)
        and vocabulary[: len(special)] == special
        and len(set(vocabulary)) == len(vocabulary),
        f"a list of distinct strings starting with {special}",
    )
    _require(
        "tokenizer_ max_length",
        state.get("max_length"),
        _in_range(state.get("max_length"), 2, longest),
        f"an integer in [2, {longest}]",
    )
    minimum = state.get("min_frequency", 1)
    _require("tokenizer_ min_frequency", minimum, _in_range(minimum, 1, np.iinfo(np.int64).max), "a positive integer")
    alphabet = state.get("alphabet", "smiles")  # files written before SELFIES have none
    _require("tokenizer_ alphabet", alphabet, alphabet in TOKENIZERS, f"one of {tuple(TOKENIZERS)}")


def _record_one_column(owner, *, reset):
    """scikit-learn's record of the input width on ``owner``: molecules are one column."""
    validate_data(owner, np.empty((0, 1)), reset=reset, skip_check_array=True)


def _padded(flat, starts, lengths, pad_index):
    """Rows of ``flat`` (token ids concatenated) starting at ``starts``, padded to the longest of them."""
    width = int(lengths.max())
    steps = np.arange(width)
    inside = steps < lengths[:, None]
    return np.where(inside, flat[np.where(inside, starts[:, None] + steps, 0)], pad_index)


def _entry_text(value):
    """A molecule's text for a fingerprint: a string as is, a Mol as its SMILES."""
    if isinstance(value, str):
        return value
    if type(value).__name__ == "Mol":
        from rdkit import Chem

        return Chem.MolToSmiles(value)
    return repr(value)


class _SharedOutputs(InferenceRows):
    """:class:`InferenceRows` of SMILES: float32 compute, float64 outputs, one output per distinct molecule.

    ``index`` gives, for each valid row of X, its row in the batches'
    concatenated outputs; several rows may share one.
    """

    def __init__(self, batches, n_rows, valid, index):
        super().__init__(batches, np.float64, n_rows, valid, compute_dtype=np.float32)
        self.index = index

    def row_of(self, position):
        return super().row_of(int(np.argmax(self.index == position)))

    def assemble(self, outputs, width):
        return super().assemble(outputs[self.index], width)


class _TokenDecoder:
    """``module.decode`` with one token generator across all batches of a call."""

    def __init__(self, temperature, seed):
        self.temperature = temperature
        self.seed = seed
        self.generator = None

    def __call__(self, module, codes):
        if self.seed is not None and self.generator is None:
            self.generator = torch.Generator(device=codes.device).manual_seed(self.seed)
        return module.decode(codes, temperature=self.temperature, generator=self.generator)


#: Molecules named in the warning about unknown tokens.
_SHOWN_UNKNOWN = 5


def _warn_unknown_molecules(X, rows, unknown):
    """One warning naming the rows of X (``rows``, one per molecule of ``unknown``) whose tokens the model lacks."""
    entries, _ = _column_entries(X)
    tokens = list(unknown.values())
    found = sorted(zip(rows.tolist(), tokens))
    named = "; ".join(
        f"row {row} {_entry_text(entries[row])!r} ({', '.join(dict.fromkeys(names))})"
        for row, names in found[:_SHOWN_UNKNOWN]
    )
    more = f"; and {len(tokens) - _SHOWN_UNKNOWN} more" if len(tokens) > _SHOWN_UNKNOWN else ""
    warnings.warn(
        f"{len(tokens)} molecules hold unknown tokens (outside the vocabulary the model learnt), read as <unk>: "
        f"{named}{more}. "
        f"Their embeddings are less reliable.",
        UserWarning,
        stacklevel=find_stack_level(),
    )


def _with_views(smiles, views):
    """The molecules and all their views, for learning the vocabulary."""
    return list(smiles) + [text for view in views for text in view]
