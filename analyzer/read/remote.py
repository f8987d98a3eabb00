"""Log sources named by fsspec URLs (`s3://bucket/logs/maillog.1.gz`, `memory://...`, any
protocol fsspec has a file system for): listed, described and opened through fsspec.

A `file://` URL is its local path (`local_path`), read as any path is, so the two name
the same source and keep one checkpoint. Other URLs are objects: an object has no device
or inode, so its identity is its URL (a source's `inode` is a hash of the URL, its
`dev` is `URL_DEVICE`); its modification time bounds the dates of its lines as a file's
mtime does. Only reading is done here: a dataset is never an object store's (see
docs/scale.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, BinaryIO

from ..errors import AnalyzerError

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
URL_DEVICE = -1  # the `dev` of an object named by a URL: no file system device


def scheme(path: str) -> str | None:
    """`s3` of `s3://b/k`, `file` of `file:///x`; None for a plain path."""
    m = _SCHEME.match(path)
    return m[1].lower() if m else None


def is_url(path: str) -> bool:
    """A URL read through fsspec (not `file://`, which is a local path)."""
    return scheme(path) not in (None, "file")


def local_path(path: str) -> str:
    """A `file://` URL as its local path (`file:///var/log/x` -> /var/log/x); anything
    else unchanged."""
    if scheme(path) == "file":
        return path[len("file://") :] or "/"
    return path


def file_system(url: str) -> tuple[Any, str]:
    """(fsspec file system, path within it) of `url`; one line when fsspec or the
    protocol's package is missing."""
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise AnalyzerError(f"{url}: reading URLs needs fsspec: pip install fsspec") from None
    try:
        return url_to_fs(url)
    except (ImportError, ValueError) as e:  # s3:// without s3fs, an unknown protocol
        raise AnalyzerError(f"{url}: cannot read this URL: {e}") from None


def url_of(fs, path: str) -> str:
    """The URL of `path` in `fs`, in fsspec's one spelling (`memory:///logs/x` for
    `memory://logs/x`): a source's URL is its identity across runs."""
    return fs.unstrip_protocol(path)


def canonical(url: str) -> str:
    fs, path = file_system(url)
    return url_of(fs, path)


def is_dir(url: str) -> bool:
    fs, path = file_system(url)
    return fs.isdir(path)


def is_file(url: str) -> bool:
    fs, path = file_system(url)
    return fs.isfile(path)


def listing(url: str) -> tuple[list[str], list[str]]:
    """(files, directories) directly in the directory `url`, as URLs, sorted; names
    beginning with `.` left out."""
    fs, path = file_system(url)
    files: list[str] = []
    dirs: list[str] = []
    for entry in fs.ls(path, detail=True):
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        if name.startswith("."):
            continue
        (dirs if entry["type"] == "directory" else files).append(url_of(fs, entry["name"]))
    return sorted(files), sorted(dirs)


def matches(pattern: str) -> list[str]:
    """The files a glob URL matches, as URLs, sorted."""
    fs, path = file_system(pattern)
    return sorted(url_of(fs, p) for p in fs.glob(path) if fs.isfile(p))


def stat(url: str) -> tuple[int, float, int, int]:
    """(size, mtime, dev, inode) of the object at `url`: its identity is its URL."""
    fs, path = file_system(url)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise AnalyzerError(f"{url}: no such file") from None
    if info.get("type") == "directory":
        raise AnalyzerError(f"{url}: not a regular file")
    try:
        modified = fs.modified(path)
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=UTC)
        mtime = modified.timestamp()
    except (NotImplementedError, AttributeError, KeyError):
        # no time kept: now bounds the dates of its lines as well (BSD years)
        mtime = datetime.now(UTC).timestamp()
    import hashlib

    inode = int.from_bytes(hashlib.sha1(url.encode()).digest()[:7], "big")
    return int(info.get("size") or 0), mtime, URL_DEVICE, inode


def open_binary(path: str) -> BinaryIO:
    """A source's bytes: a local file, or the object at a URL."""
    if not is_url(path):
        return open(path, "rb")
    fs, inner = file_system(path)
    return fs.open(inner, "rb")
