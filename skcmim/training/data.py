"""Training data as the engine sees it: rows on the training device, batches, streams.

Batches are slices of one device tensor, so there is no per-batch
host-to-device copy and no ``DataLoader`` worker overhead.  A compact row
store (:class:`RowStore`: token sequences without padding, sparse matrices)
becomes a tensor one batch at a time; data streamed from a chunk source
(:mod:`skcmim.streaming`) moves to the device one chunk at a time.  Under
data parallelism each process takes its share of every global batch.
"""

import math

import numpy as np
import torch

from ..streaming import chunk_errors

__all__ = [
    "DeviceTensorDataset",
    "HoldoutSplit",
    "RaggedRows",
    "RowStore",
    "StreamDataset",
    "TensorBatches",
    "take_rows",
    "to_device",
]


class RowStore:
    """Training rows kept in a compact form and made into a tensor one batch at a time.

    The engine treats a row store like a tensor of rows: it shuffles,
    splits and batches it through these methods only.
    """

    def __len__(self):
        raise NotImplementedError

    @property
    def device(self):
        """Where :meth:`take` puts its batches."""
        raise NotImplementedError

    def to(self, device):
        """The same rows, with batches on ``device``."""
        raise NotImplementedError

    def take(self, index):
        """Rows ``index`` as one tensor, ready for the network."""
        raise NotImplementedError

    def subset(self, index):
        """Rows ``index`` as a row store of the same kind."""
        raise NotImplementedError

    @classmethod
    def cat(cls, parts):
        """The rows of several row stores of this kind, in order."""
        raise NotImplementedError

    def bucket_lengths(self):
        """Per-row lengths to bucket shuffled batches by (see :class:`TensorBatches`), or None.

        Rows of different lengths (token sequences) are padded per batch,
        so batches of alike lengths waste less; rows of one width return
        None and are never bucketed.
        """
        return None


class RaggedRows(RowStore):
    """Rows of token ids of different lengths, stored without padding.

    Padding happens per batch (:meth:`take`), so one very long sequence pads
    only its own batch, not every training row.  Rows may hold several
    sequences each (InfoNCE's views): ``lengths`` then has shape
    ``(n_rows, n_views)``.

    Parameters
    ----------
    flat : Tensor of shape (n_tokens,)
        Every sequence's ids, concatenated in row-major order of ``lengths``.
    lengths : Tensor of shape (n_rows,) or (n_rows, n_views)
    pad_index : int
    """

    def __init__(self, flat, lengths, pad_index):
        self.flat = torch.as_tensor(flat)
        self.lengths = torch.as_tensor(lengths)
        self.pad_index = pad_index
        ends = torch.cumsum(self.lengths.reshape(-1), 0)
        self.starts = (ends - self.lengths.reshape(-1)).reshape(self.lengths.shape)

    def __len__(self):
        return len(self.lengths)

    @property
    def device(self):
        return self.flat.device

    def to(self, device):
        return RaggedRows(self.flat.to(device), self.lengths.to(device), self.pad_index)

    def take(self, index):
        """Rows ``index`` as one tensor, padded to their longest sequence."""
        lengths, starts = self.lengths[index], self.starts[index]
        width = int(lengths.max()) if len(lengths) else 0
        steps = torch.arange(width, device=self.flat.device)
        inside = steps < lengths.unsqueeze(-1)
        positions = torch.where(inside, starts.unsqueeze(-1) + steps, 0)
        return torch.where(inside, self.flat[positions], self.pad_index)

    @staticmethod
    def cat(parts):
        """The rows of several :class:`RaggedRows`, in order."""
        return RaggedRows(
            torch.cat([part.flat for part in parts]), torch.cat([part.lengths for part in parts]), parts[0].pad_index
        )

    def bucket_lengths(self):
        """Each row's padded length: that of its longest sequence."""
        return self.lengths if self.lengths.dim() == 1 else self.lengths.max(dim=1).values

    def subset(self, index):
        lengths = self.lengths[index]
        pieces = [
            self.flat[start : start + n]
            for start, n in zip(self.starts[index].reshape(-1).tolist(), lengths.reshape(-1).tolist())
        ]
        return RaggedRows(torch.cat(pieces) if pieces else self.flat[:0], lengths, self.pad_index)


def to_device(data, device):
    """Training data on ``device``: a tensor or array, a :class:`RowStore` or a stream of them."""
    if isinstance(data, (RowStore, StreamDataset)):
        return data.to(device)
    return torch.as_tensor(data, device=device)


def take_rows(data, index):
    """Rows ``index`` of a tensor or :class:`RowStore`, as a tensor."""
    return data.take(index) if isinstance(data, RowStore) else data[index]


def _subset(data, index):
    """Rows ``index`` of a tensor or :class:`RowStore`, of the same type."""
    return data.subset(index) if isinstance(data, RowStore) else data[index]


def _cat_rows(parts):
    return type(parts[0]).cat(parts) if isinstance(parts[0], RowStore) else torch.cat(parts)


class DeviceTensorDataset:
    """A data tensor already placed on the training device.

    Parameters
    ----------
    X : Tensor of shape (n_samples, ...)
    """

    def __init__(self, X):
        self.X = X

    def __len__(self):
        return len(self.X)

    def chunks(self):
        """The data as one chunk."""
        yield self.X


class StreamDataset:
    """Training data read chunk by chunk from a :class:`~skcmim.streaming.ChunkSource`.

    Parameters
    ----------
    source : ChunkSource
        Iterated once per epoch.
    prepare : callable
        Turns one raw chunk into the network's input array (validation,
        scaling or tokenisation happen here, one chunk at a time).
    device : torch.device or str, default="cpu"
        Where each prepared chunk is placed.
    n_rows : int or None, default=None
        Training rows per pass, when known (a progress bar shows it).
    """

    def __init__(self, source, prepare, device="cpu", n_rows=None):
        self.source = source
        self.prepare = prepare
        self.device = device
        self.n_rows = n_rows

    def to(self, device):
        """The same stream, placing its chunks on ``device``."""
        return type(self)(self.source, self.prepare, device, self.n_rows)

    def __len__(self):
        """Training rows per pass: counted by the set-up pass, or here by one more pass."""
        if self.n_rows is None:
            self.n_rows = sum(len(self.prepare(chunk)) for chunk in self.source)
        return self.n_rows

    def chunks(self):
        """Prepared chunks on the device, one at a time."""
        for index, chunk in enumerate(self.source):
            with chunk_errors(index, self.source):
                prepared = self.prepare(chunk)
            yield to_device(prepared, self.device)


class HoldoutSplit:
    """Random hold-out of a fraction of a :class:`DeviceTensorDataset`.

    Used as skorch's ``train_split`` for validation and early stopping.

    Parameters
    ----------
    fraction : float
        Share of samples held out, in (0, 1).
    seed : int
        Seed of the split.
    """

    def __init__(self, fraction, seed):
        self.fraction = fraction
        self.seed = seed

    def __call__(self, dataset, y=None, **fit_params):
        n_samples = len(dataset)
        n_valid = math.ceil(self.fraction * n_samples)
        if n_samples < 2 or n_valid >= n_samples:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves no training samples out of "
                f"{n_samples}; pass more samples or set early_stopping=False."
            )
        order = np.random.default_rng(self.seed).permutation(n_samples)
        index = torch.as_tensor(order, device=dataset.X.device)
        return (
            DeviceTensorDataset(_subset(dataset.X, index[n_valid:])),
            DeviceTensorDataset(_subset(dataset.X, index[:n_valid])),
        )


class TensorBatches:
    """Mini-batches of a :class:`DeviceTensorDataset` or :class:`StreamDataset`.

    Rows are shuffled within each chunk (the whole data, for a
    ``DeviceTensorDataset``); the rows left over at the end of a chunk start
    the next chunk's first batch, so all batches but the last have
    ``batch_size`` rows.

    Shuffled row stores with :meth:`RowStore.bucket_lengths` (token
    sequences) are also bucketed by length: the shuffled rows are cut into pools of ``length_buckets``
    batches, each pool is sorted by length and cut into batches, and the
    batches of the chunk are trained on in a random order.  A batch is then
    padded to about its own rows' length rather than to the longest of
    ``batch_size`` random rows, while every row is still seen once per
    epoch, in batches that change from epoch to epoch.  Dense rows are
    never bucketed.

    Parameters
    ----------
    dataset : DeviceTensorDataset or StreamDataset
    batch_size : int
        Rows per batch, over all processes under data parallelism.
    shuffle : bool, default=False
        Draw a new permutation for every pass (every epoch).
    seed : int, default=0
        Seed of the local generator used for shuffling; the global torch RNG
        is not used.
    rank, world_size : int, default=0 and 1
        Under data parallelism, this process trains on part ``rank`` of
        ``world_size`` equal parts of every batch.  Every process draws the
        same permutation, so together they see exactly the batches of a
        single process.  A batch with a number of rows that does not divide
        evenly is trimmed to a multiple of ``world_size`` (so the last batch
        of an epoch may lose up to ``world_size - 1`` rows).
    length_buckets : int or None, default=50
        Batches per pool when bucketing shuffled rows by length;
        None or 0: no bucketing.  Larger pools pad less and make batches of
        more alike lengths.
    """

    def __init__(self, dataset, batch_size, shuffle=False, seed=0, rank=0, world_size=1, length_buckets=50):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)
        self.rank = rank
        self.world_size = world_size
        self.length_buckets = length_buckets

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        pending = None
        for chunk in self.dataset.chunks():
            if pending is not None:
                chunk = _cat_rows([pending, chunk])
            order = torch.arange(len(chunk), device=chunk.device)
            if self.shuffle:  # the carried-over rows come first, as before their chunk was joined
                fresh = len(chunk) - (len(pending) if pending is not None else 0)
                permutation = torch.randperm(fresh, generator=self.generator).to(chunk.device)
                order = torch.cat([order[: len(chunk) - fresh], permutation + (len(chunk) - fresh)])
            complete = len(chunk) - len(chunk) % self.batch_size
            for rows in self._full_batches(chunk, order[:complete]):
                yield self._share(take_rows(chunk, rows)), None
            pending = _subset(chunk, order[complete:]) if complete < len(chunk) else None
        if pending is not None and len(pending) >= self.world_size:
            yield self._share(take_rows(pending, torch.arange(len(pending), device=pending.device))), None

    def _full_batches(self, chunk, order):
        """Rows of each batch of ``batch_size`` rows cut from ``order``, in training order."""
        batches = order.reshape(-1, self.batch_size)
        lengths = chunk.bucket_lengths() if isinstance(chunk, RowStore) else None
        if not (self.shuffle and self.length_buckets) or lengths is None:
            return batches
        pool = self.length_buckets * self.batch_size
        pools = [rows[torch.argsort(lengths[rows], stable=True)] for rows in order.split(pool)]
        batches = torch.cat(pools).reshape(-1, self.batch_size) if pools else batches
        return batches[torch.randperm(len(batches), generator=self.generator).to(batches.device)]

    def _share(self, batch):
        if self.world_size == 1:
            return batch
        part = len(batch) // self.world_size
        return batch[self.rank * part : (self.rank + 1) * part]
