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

import contextlib
import gzip
import itertools
from pathlib import Path

import numpy as np

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

    def __init__(self, X, chunk_size=DEFAULT_CHUNK_SIZE):
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

    A CSV file needs a header with a ``smiles`` column (any case); a file
    without such a header is read as one SMILES per line (``.smi``: anything
    after the first blank, such as a name, is ignored when the SMILES is
    parsed).

    Parameters
    ----------
    path : str or Path
        The file; a name ending in ``.gz`` is decompressed on the fly.
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        SMILES per chunk.
    n_samples : int or None, default=None
        Read only the first ``n_samples`` SMILES; all when None.

    Examples
    --------
    >>> from skcmim.datasets import load_zinc
    >>> zinc = load_zinc(stream=True)  # doctest: +SKIP
    >>> CMIMTransformer(max_epochs=1).fit(zinc)  # doctest: +SKIP
    """

    def __init__(self, path, chunk_size=DEFAULT_CHUNK_SIZE, n_samples=None):
        self.path = Path(path)
        self.chunk_size = _check_chunk_size(chunk_size)
        self.n_samples = check_n_samples(n_samples)
        if not self.path.is_file():
            raise FileNotFoundError(f"SMILES file {self.path} does not exist.")

    def lines(self):
        """The file's SMILES one by one (at most ``n_samples``)."""
        opener = gzip.open if self.path.suffix == ".gz" else open
        with opener(self.path, "rt", encoding="utf-8", newline="") as handle:
            yield from itertools.islice(smiles_lines(handle), self.n_samples)

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

    def __init__(self, source):
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


def smiles_lines(handle):
    """SMILES of a text stream: the ``smiles`` column of a CSV, or one per line."""
    header = handle.readline().strip()
    columns = [column.strip().lower() for column in header.split(",")]
    column = columns.index("smiles") if "smiles" in columns else 0
    if "smiles" not in columns:  # no header: the first line is data
        first = header.split(",")[column].strip()
        if first:
            yield first
    for line in handle:
        line = line.strip()
        if line:
            yield line.split(",")[column].strip() if "," in line else line


@contextlib.contextmanager
def chunk_errors(index, source):
    """Prefix a ``ValueError`` raised while handling a chunk with where it happened."""
    try:
        yield
    except ValueError as exc:
        raise ValueError(f"In chunk {index} of {source!r} (rows counted from the chunk's start): {exc}") from exc


def as_chunk_source(X):
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
