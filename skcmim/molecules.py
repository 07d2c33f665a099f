"""Molecular (SMILES) input: detection, validation, tokenisation, augmentation.

Nothing here knows about torch.  RDKit is needed by :func:`to_smiles` and
:func:`randomized_smiles` only and is imported when they run; the tokenizer
works on plain strings.  The ``selfies`` package is imported only for the
SELFIES alphabet.

* :func:`is_molecular_input` tells SMILES / RDKit ``Mol`` input from a numeric
  matrix, so estimators can route it.
* :func:`to_smiles` validates (and by default canonicalises) every row with
  RDKit, with errors that name the row, or keeps bad rows as ``None``.
* :class:`SmilesTokenizer` turns SMILES into padded ``int64`` token ids and
  back.
* The SELFIES alphabet: :func:`to_selfies` validates like :func:`to_smiles`
  and writes SELFIES, :class:`SelfiesTokenizer` tokenises them, and
  :func:`selfies_to_smiles` turns generated SELFIES back into canonical
  SMILES (every sequence of SELFIES symbols is a valid molecule).
* :func:`randomized_smiles` writes the same molecule from a random atom order
  (a SMILES augmentation, for augmented views of a molecule).

Limits on one molecule
----------------------
RDKit's work on one molecule grows faster than linearly with its size, and
some huge inputs crash the interpreter: canonicalising a chain of 20,000
carbons (``"C" * 20000``) or branches nested 20,000 deep ends in a
segmentation fault.  So every molecule is measured before RDKit sanitises or
canonicalises it, and one over a limit is an invalid row like any other (a
``ValueError`` naming the row and the limit, or a missing row with
``on_invalid="nan"``):

* :data:`MAX_SMILES_LENGTH` characters of one SMILES string, checked before
  parsing; every SMILES that :func:`to_smiles` returns is this short too;
* :data:`MAX_ATOMS` atoms other than hydrogen (a Mol may carry up to four
  explicit hydrogens per such atom on top);
* :data:`MAX_RINGS` rings, counted as ring closures (bonds - atoms +
  fragments).

Nesting depth needs no limit of its own: it cannot exceed the atom count,
and what crashes RDKit is the size (a plain chain of 20,000 crashes as the
nested branches do).  The limits are far above drug-like molecules (the
longest MOSES ZINC SMILES has 57 characters) and peptides (a random
50-residue peptide from ``Chem.MolFromSequence`` has 417 heavy atoms, 14
rings and a canonical SMILES of 988 characters; C60 has 31 rings).

Measured with ``python benchmarks/studies/molecule_limits.py`` (best of 3 per
shape, each in a subprocess, on a shared 2-core machine with a load average
of 6 to 12, so the times are inflated): at the limits, :func:`to_smiles`
takes at most 0.3 s on every string shape tried (a chain of 1,000 atoms
0.06 s; branches nested 999 deep 0.06 s; a 1,000-atom macrocycle 0.14 s;
200 nested macrocycles in 1,000 atoms 0.28 s; a cage of 200 rings 0.21 s; a
ladder of 199 rings 0.18 s; a polyene of 499 stereo double bonds 0.26 s)
and 0.6 s on the worst Mol (1,000 methanes with explicit hydrogens, 5,000
atoms).  Over the limits it refuses each in under 0.02 s, where RDKit alone
(``--shapes beyond``) crashes on the chain and the nesting of 20,000, takes
over 60 s on a macrocycle of 15,000, 2.4 s on a cage of 500 rings, 7.6 s on
one of 700, and 1.9 s on 2,000 methanes with explicit hydrogens.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._molecule_rows import (
    MAX_ATOMS,
    MAX_RINGS,
    MAX_SMILES_LENGTH,
    _import_rdkit,
    _import_selfies,
    _is_missing,
    _is_mol,
    _mol_class,
    _molecule,
    _shown,
    _strings_of_chunk,
)
from ._parallel import check_n_jobs

__all__ = [
    "BOS_TOKEN",
    "EOS_TOKEN",
    "MAX_ATOMS",
    "MAX_RINGS",
    "MAX_SMILES_LENGTH",
    "MIN_SEQUENCE_LENGTH",
    "PAD_TOKEN",
    "SPECIAL_TOKENS",
    "SelfiesTokenizer",
    "SmilesTokenizer",
    "TOKENIZERS",
    "UNK_TOKEN",
    "is_molecular_input",
    "randomized_smiles",
    "selfies_to_smiles",
    "to_selfies",
    "to_smiles",
    "tokenize_selfies",
    "tokenize_smiles",
    "tokenizer_from_dict",
]

PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, UNK_TOKEN = "<pad>", "<bos>", "<eos>", "<unk>"
#: The shortest token sequence a SMILES model handles: ``<bos>``, one token, ``<eos>``.
MIN_SEQUENCE_LENGTH = 3
#: Special tokens, in id order: ``<pad>`` = 0, ``<bos>`` = 1, ``<eos>`` = 2, ``<unk>`` = 3.
SPECIAL_TOKENS = (PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, UNK_TOKEN)

# The SMILES regex of Schwaller et al. (Molecular Transformer), with a last
# catch-all alternative so that no character is ever dropped: a character the
# grammar does not know becomes its own token (and maps to <unk> if unseen).
_SMILES_PATTERN = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9]|.)",
    re.DOTALL,
)

# --------------------------------------------------------------------------
# Detection and conversion of the input containers
# --------------------------------------------------------------------------


def _column_entries(X):
    """Entries of a 1-D-like container, and whether it is 2-D with one column.

    Returns ``(entries, two_d)`` with ``entries`` a list, or ``(None, reason)``
    when ``X`` is not a 1-D-like container (``reason`` is a message for
    :func:`to_smiles`).
    """
    # pandas objects, by duck typing (pandas is optional)
    if hasattr(X, "iloc") and hasattr(X, "columns") and getattr(X, "ndim", None) == 2:
        if X.shape[1] != 1:
            return None, (
                f"Molecular input must be one column of SMILES strings or RDKit Mols; got a DataFrame "
                f"with {X.shape[1]} columns {list(X.columns)[:10]!r}. Select the SMILES column, e.g. "
                f"X[['smiles']] or X['smiles']."
            )
        return X.iloc[:, 0].tolist(), True
    if hasattr(X, "iloc") and getattr(X, "ndim", None) == 1:
        return X.tolist(), False
    if isinstance(X, np.ndarray):
        if X.dtype.kind not in "OUS":
            return None, f"Molecular input must hold strings or RDKit Mols; got an array of dtype {X.dtype}."
        if X.ndim == 1:
            return X.tolist(), False
        if X.ndim == 2 and X.shape[1] == 1:
            return X[:, 0].tolist(), True
        return None, (
            f"Molecular input must be one column of SMILES strings or RDKit Mols; got an array of shape {X.shape}."
        )
    if isinstance(X, (list, tuple)):
        return list(X), False
    return None, (
        f"Molecular input must be a list, tuple, 1-D array, pandas Series or one-column DataFrame of "
        f"SMILES strings or RDKit Mols; got {type(X).__name__}."
    )


def is_molecular_input(X: Any) -> bool:
    """Whether ``X`` holds molecules (SMILES strings or RDKit ``Mol`` objects).

    Accepted containers: a list or tuple, a 1-D numpy array (object or string
    dtype), a pandas Series (any dtype, including pandas' ``str`` and Arrow
    string dtypes), or a 2-D array or DataFrame with exactly one column.

    A 1-D container is molecular when at least one entry is a ``str``,
    ``bytes`` or a ``Mol`` (1-D input is never a valid numeric matrix, so
    stray numbers, bytes or nested sequences in it are reported by
    :func:`to_smiles` with their row).  A one-column 2-D container is molecular when every
    non-missing entry is a ``str`` or a ``Mol``.  Numeric arrays, lists of
    numbers, wider matrices and a bare string return False.

    Parameters
    ----------
    X : object

    Returns
    -------
    bool
    """
    if isinstance(X, (str, bytes)) or (isinstance(X, np.ndarray) and X.dtype.kind not in "OUS"):
        return False  # fast path: numeric arrays are never scanned
    mol_class = _mol_class()
    if _is_mol(X, mol_class):
        return False
    entries, two_d = _column_entries(X)
    if entries is None:
        return False
    found = False
    for value in entries:
        if isinstance(value, (str, bytes)) or _is_mol(value, mol_class):
            found = True
        elif two_d and not _is_missing(value):
            return False
    return found


def to_smiles(
    X: Any,
    *,
    canonical: bool = True,
    isomeric: bool = True,
    on_invalid: str = "raise",
    n_jobs: int | None = None,
    standardize: bool = False,
) -> tuple[list[str | None], NDArray[np.bool_]]:
    """Validate molecular input row by row and return SMILES strings.

    Rows are never dropped or reordered.

    Parameters
    ----------
    X : list, tuple, 1-D array, pandas Series or one-column DataFrame
        SMILES strings and/or RDKit ``Mol`` objects.  Whitespace around a
        SMILES is ignored, and so is anything after its first blank (a name,
        as in ``.smi`` files).  A ``Mol`` is normalised like a parsed
        string: a copy is sanitised and stripped of explicit hydrogens, so
        ``Chem.AddHs(mol)`` gives the same SMILES as ``mol``; the caller's
        ``Mol`` is left unchanged.
    canonical : bool, default=True
        Return RDKit's canonical SMILES.  If False, a string is returned as
        given (stripped) and a ``Mol`` is written from its normalised copy
        without canonical ordering.
    isomeric : bool, default=True
        Keep stereochemistry (``@``, ``/``, ``\\``) and isotopes, as RDKit's
        ``isomericSmiles`` does.  If False, every molecule is written
        without them (a string then always goes through RDKit, even with
        ``canonical=False``).
    on_invalid : {"raise", "nan"}, default="raise"
        What to do with an invalid row: a SMILES RDKit cannot parse, an
        empty string, a missing value, an object that is neither ``str`` nor
        ``Mol``, a ``Mol`` RDKit cannot sanitise, a query ``Mol`` (from
        ``Chem.MolFromSmarts``), or a molecule over :data:`MAX_SMILES_LENGTH`,
        :data:`MAX_ATOMS` or :data:`MAX_RINGS` (constants of
        :mod:`skcmim.molecules`, whose docstring gives their measurements).
        ``"raise"`` raises a ``ValueError`` naming the first such row and why
        it is invalid; ``"nan"`` puts ``None`` at its position and False in
        the mask.
    n_jobs : int or None, default=None
        Processes that parse and canonicalise the rows (joblib's
        convention: None is 1 unless in a ``joblib.parallel_config``
        context, -1 is all cores).  The output is the same, in the same
        order, for any value; inputs under 2,048 rows are parsed in this
        process.
    standardize : bool, default=False
        Standardise each molecule as chemists do before it is written: keep
        its largest organic fragment (salts, counter-ions and solvents are
        stripped) and neutralise charges where a neutral form exists (a
        carboxylate gets its proton back, a protonated amine loses it),
        with RDKit's ``rdMolStandardize``.  Charges without a neutral form
        (quaternary ammonium, nitro groups, N-oxides) stay.

    Returns
    -------
    smiles : list of str or None
        At most :data:`MAX_SMILES_LENGTH` characters each.
    valid : ndarray of shape (n_samples,), bool
        False where ``smiles`` holds None.

    Raises
    ------
    ValueError
        On an unsupported container (for example a DataFrame with several
        columns), or on an invalid row with ``on_invalid="raise"``.
    ImportError
        If RDKit is not installed.
    """
    return _validated_strings(X, (canonical, isomeric, standardize), on_invalid, n_jobs, "smiles")


def to_selfies(
    X: Any,
    *,
    canonical: bool = True,
    isomeric: bool = True,
    on_invalid: str = "raise",
    n_jobs: int | None = None,
    standardize: bool = False,
) -> tuple[list[str | None], NDArray[np.bool_]]:
    """Validate molecular input row by row and return SELFIES strings.

    The rows are read and validated as by :func:`to_smiles`, and each
    (canonical, by default) SMILES is then written as SELFIES
    (``selfies.encoder``, with its default semantic constraints).  A
    molecule SELFIES cannot write (a hypervalent atom such as the iodine
    of ``O=I(O)(O)(O)(O)O``, a dummy atom ``*``) is an invalid row like
    any other.  Rows are never dropped or reordered.

    Parameters
    ----------
    X : list, tuple, 1-D array, pandas Series or one-column DataFrame
        SMILES strings and/or RDKit ``Mol`` objects, as for :func:`to_smiles`.
    canonical : bool, default=True
        Encode RDKit's canonical SMILES (one SELFIES per molecule), or the
        SMILES as given.
    isomeric : bool, default=True
        Keep stereochemistry and isotopes, as for :func:`to_smiles`.
    on_invalid : {"raise", "nan"}, default="raise"
        ``"raise"``: a ``ValueError`` naming the first invalid row;
        ``"nan"``: None at its position and False in the mask.
    n_jobs : int or None, default=None
        Processes that parse, canonicalise and encode the rows, as for
        :func:`to_smiles`.
    standardize : bool, default=False
        Standardise each molecule first, as for :func:`to_smiles`.

    Returns
    -------
    selfies : list of str or None
    valid : ndarray of shape (n_samples,), bool
        False where ``selfies`` holds None.

    Raises
    ------
    ValueError
        As :func:`to_smiles`, and for a molecule SELFIES cannot encode with
        ``on_invalid="raise"``.
    ImportError
        If RDKit or selfies is not installed.
    """
    _import_selfies()
    return _validated_strings(X, (canonical, isomeric, standardize), on_invalid, n_jobs, "selfies")


def _validated_strings(X, writing, on_invalid, n_jobs, alphabet):
    """``(strings, valid)`` of X in ``alphabet`` ("smiles" or "selfies"), or a ValueError naming a bad row."""
    if on_invalid not in ("raise", "nan"):
        raise ValueError(f"on_invalid must be 'raise' or 'nan', got {on_invalid!r}.")
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"Expected a collection of SMILES (one per row), got a single string {_shown(X)}; "
            f"wrap it in a list: [{_shown(X)}]."
        )
    Chem, rdBase = _import_rdkit()
    if isinstance(X, Chem.Mol):
        raise ValueError("Expected a collection of molecules (one per row), got a single Mol; wrap it in a list.")
    entries, reason = _column_entries(X)
    if entries is None:
        raise ValueError(reason)

    strings, problems = _strings_of_entries(entries, writing, n_jobs, alphabet)
    valid = np.array([problem is None for problem in problems], dtype=bool)
    n_invalid = int((~valid).sum())
    if n_invalid and on_invalid == "raise":
        row = int(np.argmin(valid))
        first_error = f"Row {row} {problems[row]}"
        raise ValueError(
            f"{first_error}. {n_invalid} of {len(entries)} rows are not valid molecules. Fix or drop "
            f"them, or pass on_invalid='nan' to keep them as missing rows."
        )
    return strings, valid


# Rows below which parallel workers cost more than they save.
_PARALLEL_MIN_ROWS = 2048


def _strings_of_entries(entries, writing, n_jobs, alphabet):
    """``(strings, problems)`` of every entry in ``alphabet``, in order, on ``n_jobs`` processes.

    ``writing`` is ``(canonical, isomeric, standardize)``, as :func:`to_smiles` takes them.
    """
    n_workers = check_n_jobs(n_jobs)
    if n_workers == 1 or len(entries) < _PARALLEL_MIN_ROWS:
        return _strings_of_chunk(entries, writing, alphabet)
    size = -(-len(entries) // (4 * n_workers))  # a few chunks per worker evens out their speeds
    chunks = [entries[start : start + size] for start in range(0, len(entries), size)]
    results = Parallel(n_jobs=n_workers)(delayed(_strings_of_chunk)(chunk, writing, alphabet) for chunk in chunks)
    return [text for part, _ in results for text in part], [problem for _, part in results for problem in part]


# --------------------------------------------------------------------------
# Augmentation
# --------------------------------------------------------------------------


def randomized_smiles(smiles: Any, random_state: int | np.random.RandomState | None = None) -> str | list[str]:
    """A random, valid, non-canonical SMILES of the same molecule.

    The atoms are renumbered by a random permutation drawn from a numpy
    random generator and the molecule is written without canonical ordering,
    so the result is reproducible for a fixed ``random_state`` (RDKit's own
    ``doRandom`` uses a global RNG that cannot be seeded per call).

    Molecules are read and bounded as in :func:`to_smiles`: a Mol is
    sanitised and stripped of explicit hydrogens (on a copy), and a molecule
    over :data:`MAX_SMILES_LENGTH`, :data:`MAX_ATOMS` or :data:`MAX_RINGS` is
    refused.  A random SMILES may be longer than the canonical one (more
    branches and ring closures), so it can exceed :data:`MAX_SMILES_LENGTH`.

    Parameters
    ----------
    smiles : str, RDKit Mol, or a sequence of them
        A string is read up to its first blank, as in :func:`to_smiles`.
    random_state : int, RandomState instance or None, default=None
        For a sequence, one generator is drawn from for every molecule in
        turn.

    Returns
    -------
    str, or list of str for a sequence

    Raises
    ------
    ValueError
        If an entry is not a valid molecule within the limits (naming its
        row for a sequence).
    """
    Chem, rdBase = _import_rdkit()
    rng = check_random_state(random_state)
    single = isinstance(smiles, (str, Chem.Mol))
    items = [smiles] if single else list(smiles)
    out = []
    with rdBase.BlockLogs():
        for row, item in enumerate(items):
            mol, problem = _molecule(item, Chem)
            if problem is not None:
                where = "The input" if single else f"Row {row}"
                raise ValueError(f"{where} {problem}; cannot randomise it.")
            order = rng.permutation(mol.GetNumAtoms()).tolist()
            out.append(Chem.MolToSmiles(Chem.RenumberAtoms(mol, order), canonical=False))
    return out[0] if single else out


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------


def tokenize_smiles(smiles: str) -> list[str]:
    """Split one SMILES into tokens (bracket atoms, Cl/Br, ``%nn`` ... as one).

    ``"".join(tokenize_smiles(s)) == s`` holds for every string.
    """
    return _SMILES_PATTERN.findall(smiles)


class SmilesTokenizer(BaseEstimator):
    """Regex SMILES tokenizer with a vocabulary learnt by ``fit``.

    Tokens follow the regex of the Molecular Transformer: a bracket atom
    (``[nH]``, ``[C@@H]``, ``[N+]``, ``[13CH3]``) is one token, so are
    ``Cl``, ``Br`` and ``%nn`` ring closures; every other character (atoms,
    bonds, branches, ``@``, ``/``, ``\\``, digits) is its own token.

    Ids 0-3 are the special tokens ``<pad>``, ``<bos>``, ``<eos>`` and
    ``<unk>``; the learnt tokens follow, most frequent first.

    Parameters
    ----------
    min_frequency : int, default=1
        Tokens seen fewer times in ``fit`` are left out of the vocabulary
        (and map to ``<unk>``).

    Attributes
    ----------
    vocabulary_ : list of str
        Token of each id, special tokens first.
    token_to_id_ : dict
        Inverse of ``vocabulary_``.
    max_length_ : int
        Longest encoded length seen in ``fit`` (tokens + ``<bos>`` + ``<eos>``).
    """

    max_length_: int
    pad_index = 0
    bos_index = 1
    eos_index = 2
    unk_index = 3
    #: The molecular string notation the tokens spell (saved in model files).
    alphabet = "smiles"

    def __init__(self, min_frequency: int = 1) -> None:
        self.min_frequency = min_frequency

    def fit(self, X: Iterable[str], y: None = None) -> SmilesTokenizer:
        """Learn the vocabulary of an iterable of SMILES.

        Parameters
        ----------
        X : iterable of str or None
            SMILES strings; None entries are skipped.
        y : None
            Ignored.

        Returns
        -------
        self : SmilesTokenizer
        """
        if not isinstance(self.min_frequency, Integral) or self.min_frequency < 1:
            raise ValueError(f"min_frequency must be a positive integer, got {self.min_frequency!r}.")
        if isinstance(X, str):
            raise ValueError("fit expects a collection of SMILES, got a single string; wrap it in a list.")
        smiles = X
        counts, longest = Counter(), 0
        for row, text in enumerate(smiles):
            if text is None:
                continue
            if not isinstance(text, str):
                raise ValueError(f"Row {row} holds {_shown(text)} of type {type(text).__name__}, not a SMILES string.")
            tokens = self._split(text, row)
            counts.update(tokens)
            longest = max(longest, len(tokens))
        learnt = sorted(
            (token for token, count in counts.items() if count >= self.min_frequency and token not in SPECIAL_TOKENS),
            key=lambda token: (-counts[token], token),
        )
        self._set_vocabulary(list(SPECIAL_TOKENS) + learnt)
        self.max_length_ = longest + 2
        return self

    def _split(self, text, row):
        """Tokens of the string of row ``row`` (the row names a string that is not of the alphabet)."""
        return tokenize_smiles(text)

    def _set_vocabulary(self, vocabulary):
        if tuple(vocabulary[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"A vocabulary must start with the special tokens {SPECIAL_TOKENS}.")
        self.vocabulary_ = list(vocabulary)
        self.token_to_id_ = {token: index for index, token in enumerate(self.vocabulary_)}

    @property
    def vocab_size(self) -> int:
        """Number of ids, special tokens included."""
        check_is_fitted(self, "vocabulary_")
        return len(self.vocabulary_)

    def lengths(self, smiles: Sequence[str]) -> NDArray[np.int64]:
        """Encoded length (tokens + 2) of each SMILES, as an int64 array."""
        return np.fromiter((len(self._split(text, row)) + 2 for row, text in enumerate(smiles)), dtype=np.int64)

    def encode(self, smiles: Sequence[str], max_length: int | None = None) -> NDArray[np.int64]:
        """Token ids, with ``<bos>`` and ``<eos>``, right-padded with ``<pad>``.

        Parameters
        ----------
        smiles : sequence of str
        max_length : int or None, default=None
            Width of the output.  None: the longest encoded SMILES of
            ``smiles``.  A SMILES longer than ``max_length - 2`` tokens is an
            error, never silently truncated.

        Returns
        -------
        ndarray of shape (n_smiles, max_length), int64

        Warns
        -----
        UserWarning
            Once, counting the tokens outside the vocabulary that were mapped
            to ``<unk>``.
        """
        flat, lengths = self.encode_ragged(smiles, max_length)
        width = max_length if max_length is not None else int(lengths.max(initial=2))
        ids = np.full((len(lengths), width), self.pad_index, dtype=np.int64)
        ids[np.arange(width) < lengths[:, None]] = flat  # row-major order matches the concatenation
        return ids

    def encode_ragged(
        self,
        smiles: Sequence[str],
        max_length: int | None = None,
        on_unknown: Callable[[dict[int, list[str]]], None] | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Token ids of every SMILES, concatenated without padding, and their lengths.

        The same ids as :meth:`encode`, in a ``(flat, lengths)`` pair whose
        memory grows with the number of tokens rather than with the number
        of SMILES times the longest one.

        Parameters
        ----------
        smiles : sequence of str
        max_length : int or None, default=None
            A SMILES longer than ``max_length - 2`` tokens is an error.
        on_unknown : callable or None, default=None
            Called with ``{row: [unknown tokens]}`` when some SMILES hold
            tokens outside the vocabulary (mapped to ``<unk>``), instead of
            the warning this method gives by default, so that a caller can
            name the rows as its user knows them.

        Returns
        -------
        flat : ndarray of shape (n_tokens,), int64
        lengths : ndarray of shape (n_smiles,), int64
            Tokens of each SMILES, ``<bos>`` and ``<eos>`` included.
        """
        check_is_fitted(self, "vocabulary_")
        if isinstance(smiles, str):
            raise ValueError("encode expects a collection of SMILES, got a single string; wrap it in a list.")
        texts, rows = list(smiles), []
        for row, text in enumerate(texts):
            if not isinstance(text, str):
                raise ValueError(
                    f"Row {row} holds {_shown(text)} of type {type(text).__name__}, not a SMILES string; "
                    f"validate the input with to_smiles and encode the valid rows only."
                )
            rows.append(self._split(text, row))
        lengths = np.array([len(tokens) + 2 for tokens in rows], dtype=np.int64)
        if max_length is not None:
            if not isinstance(max_length, Integral) or max_length < MIN_SEQUENCE_LENGTH:
                raise ValueError(f"max_length must be an integer >= {MIN_SEQUENCE_LENGTH}, got {max_length!r}.")
            if lengths.max(initial=0) > max_length:
                row = int(np.argmax(lengths > max_length))
                raise ValueError(
                    f"Row {row} encodes to {lengths[row]} tokens (including <bos> and <eos>), more than "
                    f"max_length={max_length}: {_shown(texts[row])}. "
                    f"Increase max_length or drop long molecules; SMILES are never truncated."
                )
        lookup, unk = self.token_to_id_, self.unk_index
        flat = np.empty(int(lengths.sum()), dtype=np.int64)
        unknown: dict[int, list[str]] = {}
        start = 0
        for row, (tokens, length) in enumerate(zip(rows, lengths)):
            encoded = [lookup.get(token, unk) for token in tokens]
            missing = [token for token, index in zip(tokens, encoded) if index == unk and token != UNK_TOKEN]
            if missing:
                unknown[row] = missing
            flat[start] = self.bos_index
            flat[start + 1 : start + length - 1] = encoded
            flat[start + length - 1] = self.eos_index
            start += length
        if unknown:
            (on_unknown or _warn_unknown_tokens)(unknown)
        return flat, lengths

    def decode(self, ids: Any) -> list[str]:
        """SMILES strings of token ids: stops at ``<eos>``, skips ``<pad>`` and ``<bos>``.

        Parameters
        ----------
        ids : array-like or Tensor of shape (n, length) or (length,)

        Returns
        -------
        list of str
            One string per row; an id outside the vocabulary gives ``<unk>``.
        """
        check_is_fitted(self, "vocabulary_")
        if hasattr(ids, "detach"):  # a torch tensor, without importing torch
            ids = ids.detach().cpu().numpy()
        ids = np.asarray(ids)
        if ids.ndim == 1:
            ids = ids[None, :]
        if ids.ndim != 2:
            raise ValueError(f"decode expects ids of shape (n, length), got shape {ids.shape}.")
        vocabulary, size = self.vocabulary_, len(self.vocabulary_)
        skip = (self.pad_index, self.bos_index)
        out = []
        for row in ids.tolist():
            pieces = []
            for index in row:
                if index == self.eos_index:
                    break
                if index in skip:
                    continue
                pieces.append(vocabulary[index] if 0 <= index < size else UNK_TOKEN)
            out.append("".join(pieces))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (parameters and vocabulary)."""
        check_is_fitted(self, "vocabulary_")
        return {
            "alphabet": self.alphabet,
            "min_frequency": int(self.min_frequency),
            "vocabulary": list(self.vocabulary_),
            "max_length": int(self.max_length_),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> SmilesTokenizer:
        """Rebuild a fitted tokenizer from :meth:`to_dict`'s output."""
        tokenizer = cls(min_frequency=state.get("min_frequency", 1))
        tokenizer._set_vocabulary(state["vocabulary"])
        tokenizer.max_length_ = int(state["max_length"])
        return tokenizer


def _warn_unknown_tokens(unknown):
    """One warning for the rows of ``{row: [unknown tokens]}``: how many, the commonest tokens."""
    # imported here: this module also loads on its own, without the package (RDKit-only uses)
    from ._warnings import find_stack_level

    examples = Counter(token for tokens in unknown.values() for token in tokens)
    shown = ", ".join(repr(token) for token, _ in examples.most_common(5))
    warnings.warn(
        f"{sum(examples.values())} unknown tokens in {len(unknown)} SMILES were mapped to {UNK_TOKEN} "
        f"(most common: {shown}); they were not in the vocabulary learnt by fit.",
        UserWarning,
        stacklevel=find_stack_level(),
    )


def tokenize_selfies(selfies: str) -> list[str]:
    """Split one SELFIES into its symbols (``"[C][=O]"`` -> ``["[C]", "[=O]"]``).

    ``"".join(tokenize_selfies(s)) == s`` holds for every SELFIES; a string
    that is not SELFIES (text outside brackets) is a ``ValueError``, where
    ``selfies.split_selfies`` alone would drop that text.
    """
    tokens = list(_import_selfies().split_selfies(selfies))
    if "".join(tokens) != selfies:
        raise ValueError(f"{_shown(selfies)} is not a SELFIES string (symbols in brackets, or '.').")
    return tokens


class SelfiesTokenizer(SmilesTokenizer):
    """Tokenizer of SELFIES strings, with a vocabulary of SELFIES symbols learnt by ``fit``.

    The same ids, special tokens and methods as :class:`SmilesTokenizer`;
    the strings are SELFIES (:func:`to_selfies`) and a token is one SELFIES
    symbol (``[C]``, ``[=Branch1]``, ``[NH1]``, ``[Ring1]``) or ``.``.
    Every sequence of symbols decodes to a valid molecule
    (:func:`selfies_to_smiles`), which makes it the alphabet of choice for
    generation.

    Parameters
    ----------
    min_frequency : int, default=1
        Symbols seen fewer times in ``fit`` are left out of the vocabulary
        (and map to ``<unk>``).

    Attributes
    ----------
    vocabulary_ : list of str
        Symbol of each id, special tokens first.
    token_to_id_ : dict
        Inverse of ``vocabulary_``.
    max_length_ : int
        Longest encoded length seen in ``fit`` (symbols + ``<bos>`` + ``<eos>``).
    """

    alphabet = "selfies"

    def _split(self, text, row):
        try:
            return tokenize_selfies(text)
        except ValueError as exc:
            raise ValueError(f"Row {row} holds {exc}") from None


#: The tokenizer class of each alphabet (the ``alphabet`` estimator parameter).
TOKENIZERS = {"smiles": SmilesTokenizer, "selfies": SelfiesTokenizer}


def tokenizer_from_dict(state: dict[str, Any]) -> SmilesTokenizer:
    """The fitted tokenizer of a :meth:`SmilesTokenizer.to_dict` state, of its alphabet.

    States written before SELFIES existed have no ``"alphabet"`` and are
    SMILES tokenizers.
    """
    return TOKENIZERS[state.get("alphabet", "smiles")].from_dict(state)


def selfies_to_smiles(selfies: Iterable[str]) -> list[str | None]:
    """Canonical SMILES of each SELFIES, or None where it spells no molecule.

    ``selfies.decoder`` turns any sequence of symbols into a valid molecule,
    except a sequence without atoms (an empty string, or symbols that only
    open branches or rings), which gives an empty SMILES: that, or a string
    the decoder refuses, is None here, as a missing molecule.

    Parameters
    ----------
    selfies : iterable of str

    Returns
    -------
    list of str or None
        RDKit's canonical SMILES, one per SELFIES, in order.
    """
    sf = _import_selfies()
    decoded = []
    for text in selfies:
        try:
            decoded.append(sf.decoder(text))
        except sf.DecoderError:
            decoded.append(None)
    # to_smiles marks empty strings and anything RDKit cannot read as invalid
    return to_smiles(decoded, on_invalid="nan")[0]
