"""Molecules given as SMILES strings or RDKit Mols: validation, tokens, decoding.

Every row is validated (and by default canonicalised) by RDKit; invalid rows
raise a ``ValueError`` naming the row, or with ``on_invalid="nan"`` are left
out of training and get NaN rows in ``transform``.  The network sees token
ids of the estimator's ``alphabet``: SMILES
(:class:`~skcmim.molecules.SmilesTokenizer`) or SELFIES
(:class:`~skcmim.molecules.SelfiesTokenizer`, each molecule written as
SELFIES once per fit; decoded SELFIES are turned back into SMILES, so users
see SMILES either way).  ``transform`` computes each distinct molecule once,
in float32, over batches of similar length, and puts the rows back in their
order as float64.
"""

import itertools
import warnings

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._warnings import find_stack_level
from ..engine import RaggedRows
from ..molecules import TOKENIZERS, randomized_smiles, selfies_to_smiles, to_selfies, to_smiles, tokenizer_from_dict
from ..networks import AugmentedSmilesEncoder, SmilesEncoderDecoder, augmentation_names
from .base import DataInput, InferenceRows
from .numeric import row_slices

__all__ = ["SmilesInput"]

# Tokens (rows x padded length) per forward pass: bounds the memory of the
# decoder states that informative embeddings read out (float32 states: the
# bytes of 0.1.0's float64 bound of 1 << 17 tokens).
_INFERENCE_TOKENS = 1 << 18
# Molecules per forward pass.  On the CPU the fused GRU kernel's gate loop
# streams a step's gates (rows x 4 x hidden floats) through memory: 512 rows
# of GRU 256 stay within the cache, 4096 do not (10,000 ZINC SMILES, 2
# threads, benchmarks/smiles_inference.py: codes took 1.7 to 2.1 s at 512
# rows, 2.4 to 3.2 s at 4096; informative embeddings 2.6 to 3.4 s against
# 3.9 to 4.8 s).
INFERENCE_ROWS = 512


class SmilesInput(DataInput):
    """SMILES strings or RDKit Mols, one molecule per row.

    Reads the estimator's ``canonical``, ``isomeric``, ``on_invalid``,
    ``max_length`` and ``alphabet`` parameters (an estimator without
    ``alphabet`` uses SMILES); an estimator with ``n_views`` (InfoNCE)
    trains on that many random SMILES of each molecule instead of the
    molecule itself.
    """

    kind = "smiles"
    default_hidden = (256,)
    missing_codes = True
    fitted_attributes = ("tokenizer_", "max_length_", "likelihood_")

    # -- set-up ----------------------------------------------------------------
    def setup(self, X, estimator, seed):
        self._check_likelihood(estimator)
        self._view_rng = np.random.RandomState(seed)
        smiles = self._training_smiles(X, estimator, _alphabet(estimator))
        views = self._views(smiles, estimator)
        self._learn_vocabulary(smiles if views is None else _with_views(smiles, views), estimator)
        return self._tokens(smiles if views is None else views)

    def setup_stream(self, source, estimator, seed):
        from ..streaming import chunk_errors

        self._check_likelihood(estimator)
        self._view_rng = np.random.RandomState(seed)

        n_rows, alphabet = 0, _alphabet(estimator)

        def vocabulary_chunks():
            nonlocal n_rows
            for index, chunk in enumerate(source):
                with chunk_errors(index, source):
                    smiles = self._training_smiles(chunk, estimator, alphabet)
                    views = self._views(smiles, estimator)
                n_rows += len(smiles)
                yield smiles if views is None else _with_views(smiles, views)

        self._learn_vocabulary(itertools.chain.from_iterable(vocabulary_chunks()), estimator)
        return n_rows

    def training_input(self, X, estimator):
        alphabet = self.tokenizer_.alphabet
        if _alphabet(estimator) != alphabet:
            raise ValueError(
                f"This model was fitted with alphabet={alphabet!r} and cannot continue training with "
                f"alphabet={_alphabet(estimator)!r}; set warm_start=False to train a new model, or restore "
                f"alphabet={alphabet!r}."
            )
        smiles = self._training_smiles(X, estimator, alphabet)
        views = self._views(smiles, estimator)
        return self._tokens(smiles if views is None else views)

    def _check_likelihood(self, estimator):
        likelihood = getattr(estimator, "likelihood", None)
        if likelihood is None:  # an encoder without a decoder
            return
        if likelihood not in ("auto", "categorical"):
            raise ValueError(
                f"likelihood={likelihood!r} is for numeric matrices; SMILES models use a categorical "
                f"likelihood over tokens (likelihood='auto' or 'categorical')."
            )
        self.likelihood_ = "categorical"

    def _learn_vocabulary(self, smiles, estimator):
        self.tokenizer_ = TOKENIZERS[_alphabet(estimator)]().fit(smiles)
        self.max_length_ = estimator.max_length or self.tokenizer_.max_length_
        estimator.n_features_in_ = 1

    def _training_smiles(self, X, estimator, alphabet):
        """Valid molecules of X in ``alphabet``; with ``on_invalid="nan"`` invalid rows are left out, with a warning."""
        smiles, valid = _validated_smiles(X, estimator, alphabet)
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
            raise ValueError(f"{type(estimator).__name__} needs at least one valid molecule to fit; got none.")
        return smiles

    def _views(self, smiles, estimator):
        """``n_views`` random SMILES of every molecule, one list per view (None: no views)."""
        n_views = getattr(estimator, "n_views", None)
        if n_views is None:
            return None
        return [randomized_smiles(smiles, self._view_rng) for _ in range(n_views)]

    def _tokens(self, smiles_or_views):
        """Token ids without padding: a row per SMILES, or per molecule with its ``n_views`` views.

        Batches are padded one at a time (:class:`~skcmim.engine.RaggedRows`),
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
    def inference_rows(self, X, estimator, *, scoring=False):
        """Token-id batches of the distinct valid molecules of X; outputs float64, computed in float32.

        float32 is what the network trained in, and about twice as fast as
        float64 on the CPU.  A molecule's output does not depend on the order
        of X, and repeats of a molecule share one output row (see
        :meth:`_length_batches`); next to other molecules it may differ from
        its output alone in the last float32 bits.
        """
        smiles, valid = _validated_smiles(X, estimator, self.tokenizer_.alphabet)
        batches, index = self._length_batches([text for text in smiles if text is not None])
        return _SharedOutputs(batches, len(smiles), valid, index)

    def _length_batches(self, smiles):
        """Token ids of the distinct ``smiles`` in batches of similar length, and where each SMILES' output lies.

        Sorting by length keeps padding (and so memory) small when a few
        SMILES are much longer than the rest.  Ties are broken by the tokens
        themselves, so the batches (and the last bits of float32 results,
        which depend on a batch's composition) are the same for any order of
        the same SMILES; identical token rows are computed once.  The second
        value gives, for each SMILES, its row in the batches' concatenation.
        """
        if not smiles:
            return [], np.empty(0, dtype=np.intp)
        ids = self.tokenizer_.encode(smiles)  # never truncates; warns once about unknown tokens
        lengths = (ids != self.tokenizer_.pad_index).sum(axis=1)
        distinct, index = _distinct_rows_by_length(ids, lengths)
        batches, start = [], 0
        while start < len(distinct):
            stop = start + 1
            while (stop < len(distinct) and stop - start < INFERENCE_ROWS
                   and (stop - start + 1) * lengths[distinct[stop]] <= _INFERENCE_TOKENS):
                stop += 1
            chosen = distinct[start:stop]
            batches.append(ids[chosen, : int(lengths[chosen[-1]])])
            start = stop
        return batches, index

    # -- network ---------------------------------------------------------------
    def hidden_sizes(self, hidden_layer_sizes):
        sizes = super().hidden_sizes(hidden_layer_sizes)
        if len(set(sizes)) != 1:
            raise ValueError(
                f"For SMILES the hidden layers are stacked GRU layers of one width; got "
                f"hidden_layer_sizes={sizes!r}. Use e.g. (256,) or (512, 512)."
            )
        return sizes

    def module_spec(self, role, n_components, hidden_layer_sizes, **options):
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
            if augmentation_names(options.get("augmentation", "noise")) != ("noise",):
                raise ValueError(
                    f"augmentation={options['augmentation']!r} applies to numeric data; the views of molecules "
                    f"are random SMILES (n_views). Leave augmentation='noise' (ignored for SMILES)."
                )
            return AugmentedSmilesEncoder, {**common, "pad_index": self.tokenizer_.pad_index,
                                            "projection_head": options.get("projection_head")}
        return SmilesEncoderDecoder, {**common, "max_length": self.max_length_}

    # -- decoding --------------------------------------------------------------
    def decode(self, Z, run_batches, *, sampling_temperature, random_state):
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
    def fitted_state(self):
        values = {"tokenizer_": self.tokenizer_.to_dict(), "max_length_": self.max_length_}
        if hasattr(self, "likelihood_"):
            values["likelihood_"] = self.likelihood_
        return {}, values

    @classmethod
    def from_fitted_state(cls, arrays, fitted):
        self = cls()
        self.tokenizer_ = tokenizer_from_dict(fitted["tokenizer_"])
        self.max_length_ = fitted["max_length_"]
        if fitted.get("likelihood_") is not None:
            self.likelihood_ = fitted["likelihood_"]
        # a loaded model that trains on draws views it has not drawn before
        self._view_rng = np.random.RandomState(fitted["seed"] + fitted["n_iter_"])
        return self


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


def _distinct_rows_by_length(ids, lengths):
    """The distinct rows of ``ids`` sorted by length, then by tokens; and each row's position among them."""
    order = np.lexsort([*ids.T[::-1], lengths])  # the last key sorts first
    first = np.ones(len(order), dtype=bool)  # the first of each run of identical rows
    first[1:] = (ids[order[1:]] != ids[order[:-1]]).any(axis=1)
    index = np.empty(len(order), dtype=np.intp)
    index[order] = np.cumsum(first) - 1
    return order[first], index


def _alphabet(estimator):
    """The estimator's ``alphabet`` parameter; estimators without one (InfoNCE) use SMILES."""
    return getattr(estimator, "alphabet", "smiles")


def _validated_smiles(X, estimator, alphabet):
    """X in ``alphabet`` (``to_smiles`` or ``to_selfies``) with the estimator's ``canonical``, ``isomeric``,
    ``on_invalid`` and ``n_jobs``."""
    validate = to_selfies if alphabet == "selfies" else to_smiles
    return validate(X, canonical=estimator.canonical, isomeric=estimator.isomeric, on_invalid=estimator.on_invalid,
                    n_jobs=estimator.n_jobs)


def _with_views(smiles, views):
    """The molecules and all their views, for learning the vocabulary."""
    return list(smiles) + [text for view in views for text in view]
