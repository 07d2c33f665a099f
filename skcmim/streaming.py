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
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .molecules import _shown

__all__ = ["DEFAULT_CHUNK_SIZE", "ArrayChunks", "ChunkSource", "IterableChunks", "SmilesFile", "as_chunk_source"]

#: Rows per chunk when none is given: 65,536 rows of 784 float32 features
#: are 200 MB; 65,536 SMILES a few MB.
DEFAULT_CHUNK_SIZE = 1 << 16


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
    commas, a SMILES may be quoted, a UTF-8 byte order mark is skipped).  A
    first row with a ``smiles`` field (any case, any position) is a header,
    and that column holds the SMILES; a first line whose first word is
    ``smiles`` (``"SMILES Name"``, as in ``.smi`` files) is a header too.  A
    file without a header is read as one SMILES per line (``.smi``: anything
    after the first blank, such as a name, is ignored when the SMILES is
    parsed).  Blank lines are skipped; every other line gives one SMILES, in
    file order, so a bad one is reported by the estimator with its row.

    Parameters
    ----------
    path : str or Path
        The file; a name ending in ``.gz`` is decompressed on the fly.
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        SMILES per chunk.
    n_samples : int or None, default=None
        Read only the first ``n_samples`` SMILES; all when None.

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
        self, path: str | os.PathLike[str], chunk_size: int = DEFAULT_CHUNK_SIZE, n_samples: int | None = None
    ) -> None:
        self.path = Path(path)
        self.chunk_size = _check_chunk_size(chunk_size)
        self.n_samples = check_n_samples(n_samples)
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
            If a ``.gz`` file is not gzip data or is truncated, a line is not
            UTF-8, a line is malformed CSV (an unclosed quote, a quoted field
            spanning lines), or a line has fewer fields than the header's
            ``smiles`` column.  The message names the file and the line.
        """
        opener = gzip.open if self.path.suffix == ".gz" else open
        try:
            # undecodable bytes are kept as surrogates so that smiles_lines
            # can name their line (a strict decoder fails a whole block ahead)
            with opener(self.path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
                yield from itertools.islice(smiles_lines(handle, source=self.path), self.n_samples)
        except gzip.BadGzipFile as exc:
            raise ValueError(f"{self.path} is not a gzip file ({exc}), although its name ends in .gz.") from exc
        except (EOFError, zlib.error) as exc:  # only gzip raises these
            raise ValueError(f"{self.path} is a damaged or truncated gzip file ({exc}).") from exc

    def __iter__(self):
        lines = self.lines()
        while chunk := list(itertools.islice(lines, self.chunk_size)):
            yield chunk

    def __repr__(self):
        return f"SmilesFile({str(self.path)!r}, chunk_size={self.chunk_size}, n_samples={self.n_samples})"


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
        return iter(self.source() if callable(self.source) else self.source)

    def __repr__(self):
        name = getattr(self.source, "__qualname__", None) or f"<{type(self.source).__name__}>"
        return f"IterableChunks({name})"


def smiles_lines(handle, source=None):
    """SMILES of a text stream: the ``smiles`` column of a CSV, or one per line.

    See :class:`SmilesFile` for the format; :meth:`SmilesFile.lines` opens a
    file and calls this.

    Parameters
    ----------
    handle : iterable of str
        Lines of text, as from a file opened with ``newline=""``.  Opened
        with ``errors="surrogateescape"``, a line that is not UTF-8 is
        reported with its number.
    source : str or Path or None, default=None
        What to call the stream in error messages; the handle's ``name``
        when None.

    Yields
    ------
    str

    Raises
    ------
    ValueError
        If a line is not UTF-8, is malformed CSV or lacks the SMILES column
        (the message names the line and ``source``).
    """
    source = source if source is not None else getattr(handle, "name", "the SMILES stream")
    reader = csv.reader(_utf8_lines(handle, source), strict=True, skipinitialspace=True)
    try:
        yield from _smiles_fields(reader, source)
    except csv.Error as exc:
        raise ValueError(f"Line {reader.line_num} of {source} is not valid CSV: {exc}.") from exc


def _smiles_fields(reader, source):
    """The SMILES field of every non-blank row of a CSV reader."""
    rows = _single_line_rows(reader, source)
    first = next(rows, None)
    if first is None:
        return
    column = _smiles_column(first)
    if column is None:  # no header: the first row is data
        column = 0
        yield first[0].strip()
    for row in rows:
        if len(row) <= column:
            raise ValueError(
                f"Line {reader.line_num} of {source} has {len(row)} field(s), but the header puts the SMILES in "
                f"field {column + 1}: {_shown_row(row)}."
            )
        yield row[column].strip()


def _single_line_rows(reader, source):
    """The non-blank rows of a CSV reader; a row spanning lines is an error.

    A quoted field may legally span lines in CSV, but in a SMILES file it is
    almost always a stray quote that would swallow the following molecules.
    """
    last_line = 0
    for row in reader:
        if reader.line_num > last_line + 1:
            raise ValueError(
                f"Lines {last_line + 1}-{reader.line_num} of {source} form one CSV row: a quoted field spans "
                f"lines ({_shown_row(row)}). A SMILES file holds one molecule per line; close the quote."
            )
        last_line = reader.line_num
        if row and (len(row) > 1 or row[0].strip()):
            yield row


def _smiles_column(row):
    """Index of the SMILES column if ``row`` is a header, else None."""
    fields = [field.strip().lower() for field in row]
    if "smiles" in fields:
        return fields.index("smiles")
    words = fields[0].split()
    if len(fields) == 1 and words and words[0] == "smiles":  # a .smi header: "SMILES Name"
        return 0
    return None


def _utf8_lines(handle, source):
    """The lines of ``handle``; a ValueError names a line that is not UTF-8."""
    number = 0
    try:
        for number, line in enumerate(handle, 1):
            if not line.isascii():
                _check_utf8(line, number, source)
            yield line
    except UnicodeDecodeError as exc:  # a handle opened with strict decoding
        raise ValueError(f"{source} is not UTF-8 text after line {number}: {exc}.") from exc


def _check_utf8(line, number, source):
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as exc:  # undecodable bytes, kept as surrogates
        raise ValueError(
            f"Line {number} of {source} is not UTF-8 text ({_shown(line.rstrip())}); "
            f"save the file as UTF-8."
        ) from exc


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
    """``n_samples`` as an int, or None; a clear error for anything else."""
    if n_samples is not None and (isinstance(n_samples, bool) or int(n_samples) != n_samples or n_samples < 0):
        raise ValueError(f"n_samples must be a non-negative integer or None, got {n_samples!r}.")
    return None if n_samples is None else int(n_samples)


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
