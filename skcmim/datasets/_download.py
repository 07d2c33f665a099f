"""The data home, finding a registered file on disk, and downloading it with its checksum checked.

A download is bounded: it is abandoned once it exceeds
``MAX_SIZE_FACTOR`` times the registered file's size, and once it has run
for ``DOWNLOAD_DEADLINE`` seconds, whatever the server does (one that sends
a byte a second never triggers a read timeout, so the deadline is kept by
waiting on the transfer from the calling thread).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import tempfile
import threading
import urllib.request
from pathlib import Path

from ._registry import MAX_SIZE_FACTOR, REMOTE_FILES

__all__ = ["clear_data_home", "get_data_home"]

#: The environment variable naming the data home.
DATA_HOME_ENV = "SKCMIM_DATA"
PARTIAL_SUFFIX = ".part"
#: Seconds a download may take in all, from the connection to the last byte.
DOWNLOAD_DEADLINE = 600.0
#: Seconds without data before a download is abandoned (each connection attempt and read waits this long at most).
READ_TIMEOUT = 60.0
_BLOCK = 1 << 20
# URLError (HTTP errors included) and socket timeouts are OSErrors; a connection cut mid-answer is an HTTPException
_NETWORK_ERRORS = (OSError, http.client.HTTPException)


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> str:
    """The folder where the ``fetch_*`` functions keep downloaded data.

    ``data_home`` if given, else the ``SKCMIM_DATA`` environment variable,
    else ``~/skcmim_data``.  The folder is created if it does not exist.

    Parameters
    ----------
    data_home : str or path-like or None, default=None
        The folder to use instead of the default.

    Returns
    -------
    str
        The folder's path, with ``~`` expanded.

    Raises
    ------
    ValueError
        If the folder's name starts with a ``~`` that cannot be expanded
        (``~user`` of a user who does not exist here).
    NotADirectoryError
        If the path names something that is not a folder.

    Examples
    --------
    >>> from skcmim.datasets import get_data_home
    >>> get_data_home("/tmp/skcmim_example_data")
    '/tmp/skcmim_example_data'
    """
    home = data_home_path(data_home)
    if home.exists() and not home.is_dir():
        raise NotADirectoryError(f"The data home {home} ({_named(data_home)}) exists but is not a folder.")
    home.mkdir(parents=True, exist_ok=True)
    return str(home)


def clear_data_home(data_home: str | os.PathLike[str] | None = None) -> None:
    """Delete the files the ``fetch_*`` functions downloaded into the data home.

    Unlike scikit-learn's ``clear_data_home``, only the registered data
    files (and leftovers of interrupted downloads) are deleted, because
    ``$SKCMIM_DATA`` may point to a folder that also holds your own files;
    the folder itself is removed once it is empty.

    Parameters
    ----------
    data_home : str or path-like or None, default=None
        The folder to clear; see :func:`get_data_home`.

    Examples
    --------
    >>> from skcmim.datasets import clear_data_home, get_data_home
    >>> clear_data_home(get_data_home("/tmp/skcmim_example_data"))
    """
    home = data_home_path(data_home)
    for name in {remote.filename for remote in REMOTE_FILES.values()}:
        (home / name).unlink(missing_ok=True)
        for partial in home.glob(f"{name}.*{PARTIAL_SUFFIX}"):
            partial.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty, or already gone: keep whatever else is there
        home.rmdir()


def data_home_path(data_home=None):
    """The data home without creating it: looking for a file must not create folders."""
    if data_home is None:
        from_env = os.environ.get(DATA_HOME_ENV)
        if from_env:
            return expanded_path(from_env, f"{DATA_HOME_ENV}={from_env!r}")
        return expanded_path(
            "~/skcmim_data", f"The default data home (when {DATA_HOME_ENV} is not set), ~/skcmim_data,"
        )
    return expanded_path(data_home, f"data_home={data_home!r}")


def _named(data_home):
    """Where the data home's path came from, for an error message."""
    if data_home is not None:
        return f"data_home={data_home!r}"
    return f"${DATA_HOME_ENV}" if os.environ.get(DATA_HOME_ENV) else "the default"


def expanded_path(value, what):
    """``value`` as a Path with ``~`` expanded; an error naming ``what`` when it is no path or ``~`` cannot be."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{what} must be a str or path-like object, not {type(value).__name__}.")
    text = os.path.expanduser(os.fspath(value))
    if not isinstance(text, str):  # a path-like object that gives bytes
        raise TypeError(f"{what} must be a str or path-like object that gives a str, not {type(text).__name__}.")
    if text.startswith("~"):
        user = text.split(os.sep, 1)[0]
        raise ValueError(
            f"{what} starts with {user!r}, which os.path.expanduser left unexpanded: there is no such user "
            f"(or no home folder) on this machine. Give a full path."
        )
    return Path(text)


def dataset_file(remote, path=None, data_home=None, download_if_missing=True, verify=True, local_copies=()):
    """The file to read for ``remote``.

    In order: ``path`` (the user's copy, read as it is), ``local_copies``
    (files shipped in an installed package), the data home, and last a
    download into the data home.  A file found anywhere but ``path`` is
    checked against the registered checksums when ``verify``.
    """
    if path is not None:
        return user_file(path, remote.filename)
    home = data_home_path(data_home)
    candidates = [*local_copies, home / remote.filename]
    found = next((candidate for candidate in candidates if candidate.is_file()), None)
    if found is not None:
        if verify:
            remedy = (
                "Delete it (or call clear_data_home()) to download it again"
                if found.parent == home
                else ("It is a copy outside the data home, found before any download")
            )
            check_sha256(
                sha256_file(found),
                remote,
                f"The file {found}",
                f"{remedy}; or pass path={str(found)!r} to read it without a checksum.",
            )
        return found
    if not download_if_missing:
        looked = ", ".join(str(candidate) for candidate in candidates)
        raise FileNotFoundError(
            f"{remote.filename} ({remote.description}) was not found; looked in: {looked}. Call the fetch function "
            f"with download_if_missing=True to download it from {remote.url} into {home}, or get the file yourself "
            f"and pass path= (or put it into {home}, or set {DATA_HOME_ENV} to its folder)."
        )
    return download_file(remote, home)


def user_file(path, filename):
    """``path`` itself, or ``filename`` inside it when it is a folder."""
    path = expanded_path(path, f"path={path!r}")
    if path.is_dir():
        path = path / filename
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; pass path= the file ({filename}) or the folder that holds it.")
    return path


def download_file(remote, folder):
    """Download ``remote`` into ``folder``, check its SHA-256, return its path.

    The data go to a temporary file next to the target, renamed into place
    only once complete and verified: an interrupted, abandoned or corrupted
    download never leaves a file that looks cached, and parallel downloads
    do not write into the same file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    partial = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=folder, prefix=f"{remote.filename}.", suffix=PARTIAL_SUFFIX, delete=False
        ) as handle:
            partial = Path(handle.name)
            digest = _Transfer(remote, handle).run_within(DOWNLOAD_DEADLINE)
        check_sha256(
            digest,
            remote,
            f"The file downloaded from {remote.url}",
            "The download was deleted. The published file may have changed since the checksums were registered; "
            "if you trust it, download it yourself and pass path= to read it without a checksum.",
        )
        target = folder / remote.filename
        os.replace(partial, target)
    except BaseException:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise
    return target


class _Transfer:
    """Copy ``remote.url`` into ``handle`` in a worker thread, so that the caller can stop waiting at a deadline.

    A socket timeout bounds each read, not the whole transfer: a server
    that trickles bytes (in the body or in the headers) would keep a
    download in the calling thread going for ever.  The worker checks
    ``cancelled`` between reads, so it stops writing at the first data after
    the deadline; the caller has returned by then, and deleted the file.
    """

    def __init__(self, remote, handle):
        self.remote = remote
        self.handle = handle
        self.limit = MAX_SIZE_FACTOR * remote.size
        self.cancelled = threading.Event()
        self.digest = None
        self.error = None

    def run_within(self, seconds):
        """The SHA-256 of the data copied; an OSError if it took longer than ``seconds`` or failed."""
        worker = threading.Thread(target=self._run, name=f"skcmim download of {self.remote.filename}", daemon=True)
        worker.start()
        try:
            worker.join(seconds)
        finally:
            self.cancelled.set()  # on the deadline, and on KeyboardInterrupt: the worker stops at its next read
        if worker.is_alive():
            raise OSError(
                f"The download of {self.remote.filename} ({self.remote.description}) from {self.remote.url} did not "
                f"finish within {seconds:g} s and was abandoned. On a slow connection, download the file yourself "
                f"and pass path=."
            )
        if self.error is not None:
            raise self.error
        return self.digest

    def _run(self):
        try:
            self.digest = self._copy()
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which raises it
            self.error = exc

    def _copy(self):
        hasher = hashlib.sha256()
        try:
            response = urllib.request.urlopen(self.remote.url, timeout=READ_TIMEOUT)
        except _NETWORK_ERRORS as exc:
            raise self._failed(exc) from exc
        with response:
            self._check_size(_announced_size(response), "announces")
            received = 0
            while not self.cancelled.is_set():
                try:
                    # one read of the socket at most, so that cancelled and the size are checked as data come in
                    block = response.read1(_BLOCK)
                except _NETWORK_ERRORS as exc:
                    raise self._failed(exc) from exc
                if not block:
                    break
                received += len(block)
                self._check_size(received, "sent")
                hasher.update(block)
                self.handle.write(block)
        return hasher.hexdigest()

    def _failed(self, exc):
        return OSError(
            f"Could not download {self.remote.filename} ({self.remote.description}) from {self.remote.url}: {exc}. "
            f"Without network access, get the file elsewhere and pass path=."
        )

    def _check_size(self, size, verb):
        if size is not None and size > self.limit:
            raise OSError(
                f"The server {verb} more than {self.limit:,} bytes for {self.remote.filename} from {self.remote.url}, "
                f"{MAX_SIZE_FACTOR} times the registered file's {self.remote.size:,} bytes: it is not the registered "
                f"file, and the download was abandoned. If the published file has changed, download it yourself and "
                f"pass path=."
            )


def _announced_size(response):
    """The Content-Length the server announced, or None (a chunked or malformed answer says nothing)."""
    length = response.headers.get("Content-Length")
    try:
        return int(length) if length is not None else None
    except ValueError:
        return None


def sha256_file(path):
    """The SHA-256 hex digest of the file at ``path``, read one block at a time (flat memory)."""
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            hasher.update(block)
    return hasher.hexdigest()


def check_sha256(digest, remote, what, advice):
    """An OSError saying ``what`` holds the wrong data unless ``digest`` is a registered one of ``remote``."""
    if digest not in remote.sha256:
        raise OSError(
            f"{what} has SHA-256 {digest}, which is not a registered checksum of {remote.filename} "
            f"({', '.join(remote.sha256)}: {remote.source}). {advice}"
        )
