"""Training data read in chunks, for data that does not fit in memory.

``fit`` accepts a *chunk source* in place of X: an object that yields the
training data one chunk at a time, afresh for every epoch.  Only one chunk
(and the model) is in memory at any time, so memory stays flat as the data
grows.  A numpy memmap with more rows than :data:`DEFAULT_CHUNK_SIZE` is
read this way automatically.

* :class:`ArrayChunks`: row blocks of an array or memmap;
* :class:`SmilesFile`: SMILES read line by line from a (gzip'd) text or CSV
  file;
* :class:`IterableChunks`: chunks produced by your own code, from a function
  that returns a new iterator per pass.

Mini-batches are shuffled within each chunk (a remainder is carried over to
the next chunk so that every batch has ``batch_size`` rows); chunks come in
the source's order, so shuffle a file once before streaming it if its order
is meaningful.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import itertools
import math
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from ._molecule_rows import _shown

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MAX_BLANK_LINES",
    "MAX_GZIP_RATIO",
    "MAX_LINE_BYTES",
    "SMILES_HEADERS",
    "ArrayChunks",
    "ChunkSource",
    "IterableChunks",
    "SmilesFile",
    "as_chunk_source",
]

#: Rows per chunk when none is given: 65,536 rows of 784 float32 features
#: are 200 MB; 65,536 SMILES a few MB.
DEFAULT_CHUNK_SIZE = 1 << 16

#: Longest line of a SMILES file, in bytes of UTF-8 without the line break.
#: A SMILES is at most ``skcmim.molecules.MAX_SMILES_LENGTH`` characters;
#: this leaves room for other columns, and refuses a giant line (a
#: decompression bomb, a file that is not text) before it is read whole.
MAX_LINE_BYTES = 1 << 20
#: Most blank lines in a row in a SMILES file.  Blank lines are skipped;
#: this many in a row is not a SMILES file, and a small ``.gz`` file can
#: expand to billions of them.
MAX_BLANK_LINES = 100_000
#: Most a ``.gz`` SMILES file may expand, in decompressed bytes per
#: compressed byte, once more than 4 MiB have been decompressed.  SMILES
#: files expand 3- to 10-fold; gzip's most is about 1,000-fold.
MAX_GZIP_RATIO = 100

_PIECE_BYTES = 1 << 18  # bytes read at a time: the memory a read takes, whatever the file holds
_GZIP_FREE_BYTES = 4 << 20  # small files (a few repeated SMILES) may expand further
_BOM = b"\xef\xbb\xbf"


class ChunkSource:
    """Base class of the chunk sources that ``fit`` streams.

    A subclass implements ``__iter__``, which must start from the first
    chunk again on every call (one call per epoch).  A chunk is anything
    ``fit`` accepts as X: a 2-D array of rows, or a list of SMILES.
    """

    def __iter__(self):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class ArrayChunks(ChunkSource):
    """Row blocks of an array, read one at a time.

    With a ``numpy.memmap`` (``np.load(path, mmap_mode="r")``) only the rows
    of the current chunk are read from disk.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Supports ``len`` and row slicing (numpy arrays, memmaps, h5py and
        zarr datasets).
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Rows per chunk.

    Examples
    --------
    >>> import numpy as np
    >>> from skcmim.streaming import ArrayChunks
    >>> [chunk.shape for chunk in ArrayChunks(np.zeros((5, 2)), chunk_size=2)]
    [(2, 2), (2, 2), (1, 2)]
    """

    def __init__(self, X: Any, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.X = X
        self.chunk_size = _check_chunk_size(chunk_size)

    def __len__(self):
        return len(self.X)

    def __iter__(self):
        for start in range(0, len(self.X), self.chunk_size):
            yield self.X[start : start + self.chunk_size]

    def __repr__(self):
        return f"ArrayChunks(<{type(self.X).__name__} of {len(self.X)} rows>, chunk_size={self.chunk_size})"


class SmilesFile(ChunkSource):
    """SMILES streamed from a text or CSV file, optionally gzip'd.

    The file is read as CSV (Python's :mod:`csv`: quoted fields may hold
    commas, a SMILES may be quoted, a UTF-8 byte order mark is skipped;
    lines end in ``\\n``, ``\\r\\n`` or ``\\r``).  The first non-blank line
    decides the layout:

    * a header with a SMILES column: a field named as in
      :data:`SMILES_HEADERS` (``smiles``, ``canonical_smiles``,
      ``isomeric_smiles``, ``smi``, ...; any case, ``_`` or ``-`` or none
      between words; a plain ``smiles`` column is preferred), or the column
      named by ``smiles_column``.  A one-field first line whose first word
      is ``smiles`` (``"SMILES Name"``, as in ``.smi`` files) is a header
      too;
    * otherwise no header: the first field of every line is the SMILES.  In
      a file whose name ends in ``.smi`` (or ``.smiles``, before any
      ``.gz``) this is always so; in any other file the first field of the
      first line must then be a molecule (RDKit reads it), else the file is
      refused as a header without a recognisable SMILES column.

    In a ``.smi`` file, anything after the first blank of a line (a name)
    is ignored when the SMILES is parsed.  Blank lines are skipped; every
    other line gives one SMILES, in file order, so a bad one is reported by
    the estimator with its row.

    Work stays bounded on any file: a line longer than
    :data:`MAX_LINE_BYTES`, more than :data:`MAX_BLANK_LINES` blank lines
    in a row, or a ``.gz`` file expanding more than :data:`MAX_GZIP_RATIO`
    fold is refused with a ValueError before much is read.

    Parameters
    ----------
    path : str or Path
        The file; a name ending in ``.gz`` is decompressed on the fly.
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        SMILES per chunk.
    n_samples : int or None, default=None
        Read only the first ``n_samples`` SMILES; all when None.
    smiles_column : str or None, default=None
        Header of the SMILES column (any case), for a header that names it
        otherwise; found from the header when None.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.

    Examples
    --------
    >>> from skcmim.datasets import load_zinc
    >>> zinc = load_zinc(stream=True)  # doctest: +SKIP
    >>> CMIMTransformer(max_epochs=1).fit(zinc)  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        n_samples: int | None = None,
        smiles_column: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.chunk_size = _check_chunk_size(chunk_size)
        self.n_samples = check_n_samples(n_samples)
        if smiles_column is not None and not isinstance(smiles_column, str):
            raise TypeError(f"smiles_column must be a column's header (str) or None, got {smiles_column!r}.")
        self.smiles_column = smiles_column
        if not self.path.is_file():
            raise FileNotFoundError(f"SMILES file {self.path} does not exist.")

    def lines(self) -> Iterator[str]:
        """The file's SMILES one by one (at most ``n_samples``).

        This is the one way to read a SMILES file line by line; iterating
        the ``SmilesFile`` groups these lines into chunks.

        Yields
        ------
        str
            The SMILES field of each non-blank data line, stripped (empty if
            the field is empty: the estimator then reports that row).

        Raises
        ------
        ValueError
            If a ``.gz`` file is not gzip data, is truncated or expands too
            much; a line is not UTF-8 or is too long; a line is malformed
            CSV (an unclosed quote, a quoted field spanning lines) or has
            fewer fields than the header's SMILES column; the first line is
            neither a header with a SMILES column nor a molecule; or the file
            holds too many blank lines in a row.  The message names the file
            and the line.
        """
        advice = f"pass SmilesFile({str(self.path)!r}, smiles_column=NAME)"
        with open_smiles_table(self.path, self.smiles_column, advice=advice) as table:
            yield from itertools.islice(table.smiles(), self.n_samples)

    def __iter__(self):
        lines = self.lines()
        while chunk := list(itertools.islice(lines, self.chunk_size)):
            yield chunk

    def __repr__(self):
        column = "" if self.smiles_column is None else f", smiles_column={self.smiles_column!r}"
        return f"SmilesFile({str(self.path)!r}, chunk_size={self.chunk_size}, n_samples={self.n_samples}{column})"


class IterableChunks(ChunkSource):
    """Chunks produced by user code.

    ``fit`` reads its data more than once (a first pass sets up the feature
    scaling or the SMILES vocabulary, then one pass per epoch), so the
    source must be re-iterable.  Data that can only be read once, such as a
    generator object, is for ``partial_fit``: call it on each chunk.

    Parameters
    ----------
    source : callable or iterable
        A function with no arguments that returns a new iterator of chunks
        (a generator function, for example); it is called for every pass.
        Or a re-iterable such as a list of arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from skcmim.streaming import IterableChunks
    >>> def chunks():
    ...     for seed in range(3):
    ...         yield np.random.default_rng(seed).random((100, 8))
    >>> source = IterableChunks(chunks)   # the function, not chunks()
    >>> sum(len(chunk) for chunk in source)
    300
    """

    def __init__(self, source: Callable[[], Iterable[Any]] | Iterable[Any]) -> None:
        if not callable(source) and not _is_iterable(source):
            raise TypeError(
                f"IterableChunks needs a function returning an iterator, or an iterable; got {type(source).__name__}."
            )
        if not callable(source) and iter(source) is source:
            raise TypeError(
                "IterableChunks got a one-pass iterator (for example a generator object), but fit reads the data "
                "once per epoch plus once to set up. Pass the generator *function* (IterableChunks(make_chunks), "
                "not IterableChunks(make_chunks())), or call partial_fit on each chunk."
            )
        self.source = source

    def __iter__(self):
        chunks = self.source() if callable(self.source) else self.source
        if not _is_iterable(chunks):
            raise TypeError(f"{self!r}: the function returned {type(chunks).__name__}, not an iterator of chunks.")
        for index, chunk in enumerate(chunks):
            _check_chunk(chunk, index, self)
            yield chunk

    def __repr__(self):
        name = getattr(self.source, "__qualname__", None) or f"<{type(self.source).__name__}>"
        return f"IterableChunks({name})"


def smiles_lines(handle, source=None):
    """SMILES of a text stream: the SMILES column of a CSV, or one per line.

    See :class:`SmilesFile` for the format (the stream is read as a file
    whose name does not end in ``.smi``); :meth:`SmilesFile.lines` opens a
    file and reads it the same way.

    Parameters
    ----------
    handle : text stream or iterable of str
        A stream with ``read`` (a file opened with ``newline=""``, an
        ``io.StringIO``) is read in pieces of bounded size; an iterable gives
        pieces of text (lines, say).  Opened with
        ``errors="surrogateescape"``, a line that is not UTF-8 is reported
        with its number.
    source : str or Path or None, default=None
        What to call the stream in error messages; the handle's ``name``
        when None.

    Yields
    ------
    str

    Raises
    ------
    ValueError
        If a line is not UTF-8, is longer than :data:`MAX_LINE_BYTES`, is
        malformed CSV or lacks the SMILES column, the first line is neither
        a header with a SMILES column nor a molecule, or the stream holds
        more than :data:`MAX_BLANK_LINES` blank lines in a row (the message
        names the line and ``source``).
    """
    source = source if source is not None else getattr(handle, "name", "the SMILES stream")
    table = SmilesTable(_text_pieces(handle), source)
    yield from table.smiles()


class SmilesTable:
    """The rows of a SMILES file, read as :class:`SmilesFile` documents.

    The one reader of SMILES files: :class:`SmilesFile` takes their SMILES,
    ``skcmim embed`` their SMILES and other columns.  Reading the first row
    decides whether it is a header and which column holds the SMILES.

    Parameters
    ----------
    pieces : iterable of bytes
        The file's bytes in pieces of bounded size (:func:`open_smiles_table`
        reads a file so).
    source : str or Path
        What to call the file in error messages.
    smiles_column : str or None, default=None
        Header of the SMILES column (any case); found from the header when
        None.
    smi : bool, default=False
        Read a first line without a recognised header as data even if it is
        not a molecule (``.smi`` files have no header).
    advice : str, default="pass smiles_column=NAME"
        How the user names the SMILES column, for the error of a header
        without a recognisable one.

    Attributes
    ----------
    header : list of str or None
        The header's fields, or None for a file without a header.
    column : int
        Index of the SMILES column.
    """

    def __init__(self, pieces, source, smiles_column=None, smi=False, advice="pass smiles_column=NAME"):
        self.source = source
        self._rows = _csv_rows(pieces, source)
        first = next(self._rows, None)
        self.header, self.column = None, 0
        if first is None:
            return
        number, fields = first
        self.column = _header_column(fields, smiles_column, number, source)
        if self.column is not None:
            self.header = [field.strip() for field in fields]
            return
        self.column = 0
        if not smi and not _is_molecule(fields[0]):
            shown = ", ".join(repr(field.strip()) for field in fields)
            raise ValueError(
                f"Line {number} of {source} is neither a header with a SMILES column nor a molecule; its fields "
                f"are {_shown(shown)}. Recognised SMILES headers: {', '.join(SMILES_HEADERS)} (any case); {advice} "
                f"to name another column."
            )
        self._rows = itertools.chain([first], self._rows)

    def rows(self):
        """``(line number, fields)`` of every data row, in file order.

        Yields
        ------
        (int, list of str)
            Line numbers count from 1, as an editor shows them.

        Raises
        ------
        ValueError
            If a row lacks the SMILES column, or for the reasons of
            :func:`smiles_lines`.
        """
        for number, fields in self._rows:
            if len(fields) <= self.column:
                raise ValueError(
                    f"Line {number} of {self.source} has {len(fields)} field(s), but the header puts the SMILES in "
                    f"field {self.column + 1}: {_shown_row(fields)}."
                )
            yield number, fields

    def smiles(self):
        """The SMILES field of every data row, stripped, in file order."""
        column = self.column
        for _, fields in self.rows():
            yield fields[column].strip()


@contextlib.contextmanager
def open_smiles_table(path, smiles_column=None, advice="pass smiles_column=NAME"):
    """A :class:`SmilesTable` of a file, decompressed when its name ends in ``.gz``.

    A name ending in ``.smi`` (before any ``.gz``) marks a file without a
    header (unless its first word is ``smiles``).

    Parameters
    ----------
    path : Path
    smiles_column : str or None, default=None
    advice : str, default="pass smiles_column=NAME"
        See :class:`SmilesTable`.

    Yields
    ------
    SmilesTable
    """
    with _file_pieces(path) as pieces:
        yield SmilesTable(pieces, path, smiles_column, smi=_is_smi_name(path), advice=advice)


def _is_smi_name(path):
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    if suffixes[-1:] == [".gz"]:
        suffixes.pop()
    return suffixes[-1:] in ([".smi"], [".smiles"])


# ------------------------------------------------------------------ bytes to lines
@contextlib.contextmanager
def _file_pieces(path):
    """The bytes of a file in pieces of bounded size; a ``.gz`` one decompressed, its expansion bounded."""
    with open(path, "rb") as raw:
        if Path(path).suffix.lower() != ".gz":
            yield _pieces(raw, path)
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            yield _pieces(stream, path, compressed=raw)


def _pieces(stream, path, compressed=None):
    """Pieces of ``stream`` of at most ``_PIECE_BYTES``; gzip errors as ValueErrors naming ``path``."""
    expanded = 0
    try:
        while piece := stream.read(_PIECE_BYTES):
            expanded += len(piece)
            if compressed is not None and expanded > _GZIP_FREE_BYTES:
                _check_expansion(expanded, compressed.tell(), path)
            yield piece
    except gzip.BadGzipFile as exc:
        raise ValueError(f"{path} is not a gzip file ({exc}), although its name ends in .gz.") from exc
    except (EOFError, zlib.error) as exc:  # only gzip raises these
        raise ValueError(f"{path} is a damaged or truncated gzip file ({exc}).") from exc


def _check_expansion(expanded, compressed, path):
    # SMILES files shrink 3- to 10-fold when compressed; a file that expands
    # 1,000-fold (gzip's most) is a decompression bomb, not data.
    if expanded > MAX_GZIP_RATIO * max(compressed, 1):
        raise ValueError(
            f"{path} expands more than {MAX_GZIP_RATIO}-fold when decompressed ({compressed:,} bytes read gave "
            f"{expanded:,}): refused as a decompression bomb. Decompress it yourself if it is real data."
        )


def _text_pieces(handle):
    """UTF-8 pieces of a text stream (read in bounded pieces when it has ``read``)."""
    pieces = iter(lambda: handle.read(_PIECE_BYTES), "") if hasattr(handle, "read") else handle
    for text in pieces:
        # surrogates (undecodable bytes of a file opened with surrogateescape) become bytes that are not
        # UTF-8, so that the line holding them is named
        yield text.encode("utf-8", "surrogatepass")


def _complete_lines(pieces, source):
    """Blocks of whole lines, each ending in ``\\n``, line breaks normalised to ``\\n``.

    A line break is ``\\n``, ``\\r\\n`` or ``\\r``, as for a text file opened
    with ``newline=""``.  A partial line is carried to the next piece, at
    most :data:`MAX_LINE_BYTES` of it, so a giant line is refused unread.
    """
    carry, lines, at_start = b"", 0, True
    for piece in pieces:
        buffer = carry + piece
        if at_start:  # a byte order mark, perhaps split between pieces
            if len(buffer) < len(_BOM) and _BOM.startswith(buffer):
                carry = buffer
                continue
            buffer, at_start = buffer.removeprefix(_BOM), False
        # a final \r may be the first half of a \r\n: keep it for the next piece
        limit = len(buffer) - 1 if buffer.endswith(b"\r") else len(buffer)
        cut = max(buffer.rfind(b"\n", 0, limit), buffer.rfind(b"\r", 0, limit)) + 1
        block, carry = buffer[:cut], buffer[cut:]
        if len(carry) > MAX_LINE_BYTES:
            _line_too_long(lines + _line_count(block) + 1, source)
        if block:
            block = _normalised_breaks(block)
            lines += block.count(b"\n")
            yield block
    if carry:
        yield _normalised_breaks(carry + b"\n")


def _normalised_breaks(block):
    return block.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in block else block


def _line_count(block):
    return _normalised_breaks(block).count(b"\n")


def _line_too_long(number, source):
    raise ValueError(
        f"Line {number} of {source} is longer than {MAX_LINE_BYTES:,} bytes (MAX_LINE_BYTES); a SMILES file holds "
        f"one molecule per line."
    )


def _csv_rows(pieces, source):
    """``(line number, fields)`` of every non-blank row of a file's pieces.

    Each block of whole lines is decoded and parsed at once (the csv module
    reads the list of its lines).  A quoted field may legally span lines in
    CSV, but in a SMILES file it is almost always a stray quote that would
    swallow the following molecules, so it is an error.  More than
    :data:`MAX_BLANK_LINES` blank lines in a row is an error too.
    """
    number = blank_run = 0  # lines before the block; blank lines in a row
    for block in _complete_lines(pieces, source):
        if len(block) > MAX_LINE_BYTES:  # only a block holding a long line can hold one too long
            _check_line_lengths(block, number, source)
        lines = _decoded(block, number, source).split("\n")
        lines.pop()  # the empty string after the block's final line break
        reader = csv.reader(lines, strict=True, skipinitialspace=True)
        last = 0  # lines of the block read
        try:
            for row in reader:
                if reader.line_num != last + 1:
                    raise ValueError(
                        f"Lines {number + last + 1}-{number + reader.line_num} of {source} form one CSV row: a "
                        f"quoted field spans lines ({_shown_row(row)}). A SMILES file holds one molecule per line; "
                        f"close the quote."
                    )
                last += 1
                if len(row) > 1 or (row and row[0].strip()):
                    blank_run = 0
                    yield number + last, row
                    continue
                blank_run += 1
                if blank_run > MAX_BLANK_LINES:
                    raise ValueError(
                        f"Lines {number + last - blank_run + 1}-{number + last} of {source} are blank, more than "
                        f"{MAX_BLANK_LINES:,} blank lines in a row (MAX_BLANK_LINES): this is not a SMILES file, or a "
                        f"damaged one."
                    )
        except csv.Error as exc:
            spans = (
                f" (a quoted field opened there runs to line {number + reader.line_num})"
                if reader.line_num > last + 1
                else ""
            )
            raise ValueError(f"Line {number + last + 1} of {source} is not valid CSV: {exc}{spans}.") from exc
        number += len(lines)


def _check_line_lengths(block, number, source):
    for index, line in enumerate(block.split(b"\n"), number + 1):
        if len(line) > MAX_LINE_BYTES:
            _line_too_long(index, source)


def _decoded(block, number, source):
    """The text of a block of whole lines; a ValueError names the first line that is not UTF-8."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = block.rfind(b"\n", 0, exc.start) + 1
        end = block.find(b"\n", exc.start)
        line = number + block.count(b"\n", 0, start) + 1
        shown = block[start:end].decode("utf-8", "surrogateescape").rstrip()
        message = f"Line {line} of {source} is not UTF-8 text ({_shown(shown)}); save the file as UTF-8."
        raise ValueError(message) from exc


# ------------------------------------------------------------------ headers
#: Header names of a SMILES column, compared in lower case without ``_``,
#: ``-`` or blanks (so ``Canonical_SMILES`` and ``IsomericSMILES`` count).
SMILES_HEADERS = (
    "smiles",
    "canonical_smiles",
    "isomeric_smiles",
    "smi",
    "can_smiles",
    "iso_smiles",
    "smiles_string",
    "connectivity_smiles",
)


def _header_key(field):
    return re.sub(r"[\s_\-]", "", field.lower())


_SMILES_KEYS = tuple(_header_key(name) for name in SMILES_HEADERS)


def _header_column(fields, smiles_column, number, source):
    """Index of the SMILES column if ``fields`` are a header, else None."""
    if smiles_column is not None:
        wanted = smiles_column.strip().lower()
        names = [field.strip().lower() for field in fields]
        if wanted not in names:
            raise ValueError(
                f"Line {number} of {source}, its header, has no column {smiles_column!r}; its fields "
                f"are {_shown(fields)}."
            )
        return names.index(wanted)
    keys = [_header_key(field) for field in fields]
    for key in _SMILES_KEYS:  # in order of preference: a plain 'smiles' column first
        if key in keys:
            return keys.index(key)
    words = fields[0].split()
    if len(fields) == 1 and words and _header_key(words[0]) in _SMILES_KEYS:  # a .smi header: "SMILES Name"
        return 0
    return None


def _is_molecule(text):
    """Whether the first field of a first line is a molecule (True when RDKit, to tell, is missing)."""
    from ._molecule_rows import _import_rdkit, _molecule

    try:
        Chem, rdBase = _import_rdkit()
    except ImportError:  # pragma: no cover - depends on the environment
        return True
    with rdBase.BlockLogs():
        return _molecule(text, Chem)[1] is None


def _shown_row(row):
    """A row quoted in an error message: its one field, or the list of fields."""
    return _shown(row[0] if len(row) == 1 else row)


@contextlib.contextmanager
def chunk_errors(index, source):
    """Prefix a ``ValueError`` raised while handling a chunk with where it happened."""
    try:
        yield
    except ValueError as exc:
        raise ValueError(f"In chunk {index} of {source!r} (rows counted from the chunk's start): {exc}") from exc


def as_chunk_source(X: Any) -> ChunkSource | None:
    """The chunk source ``fit`` streams for X, or None to train in memory."""
    if isinstance(X, ChunkSource):
        return X
    if isinstance(X, np.memmap) and X.ndim == 2 and len(X) > DEFAULT_CHUNK_SIZE:
        return ArrayChunks(X, chunk_size=DEFAULT_CHUNK_SIZE)
    return None


def check_n_samples(n_samples):
    """``n_samples`` as an int, or None; a TypeError or ValueError naming it for anything else.

    Whole numbers of any type count (``2``, ``2.0``, ``np.int64(2)``); a
    bool, a string, a list, NaN, infinity, a fraction, a negative number or
    a count beyond ``sys.maxsize`` (more than any file holds) is refused.
    """
    if n_samples is None:
        return None
    if isinstance(n_samples, (bool, np.bool_)) or not isinstance(n_samples, Real):
        raise TypeError(
            f"n_samples must be a non-negative integer or None, got {_shown(n_samples)} ({type(n_samples).__name__})."
        )
    if not isinstance(n_samples, Integral) and not (math.isfinite(n_samples) and float(n_samples).is_integer()):
        raise ValueError(f"n_samples must be a non-negative integer or None, got {n_samples!r}.")
    if n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative integer or None, got {n_samples!r}.")
    if n_samples > sys.maxsize:
        raise ValueError(f"n_samples={n_samples!r} is more SMILES than any file holds (at most {sys.maxsize:,}).")
    return int(n_samples)


def _check_chunk(chunk, index, source):
    """Refuse a chunk that no estimator reads as rows: a mapping, a single string, None."""
    if isinstance(chunk, Mapping):
        raise TypeError(
            f"Chunk {index} of {source!r} is a {type(chunk).__name__}; a chunk is a 2-D array of rows "
            f"or a list of SMILES (for a dict of columns, yield pandas.DataFrame(chunk))."
        )
    if chunk is None or isinstance(chunk, (str, bytes)):
        raise TypeError(
            f"Chunk {index} of {source!r} is {_shown(chunk)}; a chunk is a 2-D array of rows or a list "
            f"of SMILES (a single SMILES too: [smiles])."
        )


def _check_chunk_size(chunk_size):
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    return int(chunk_size)


def _is_iterable(obj):
    try:
        iter(obj)
    except TypeError:
        return False
    return True
