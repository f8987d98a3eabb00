"""Input files: paths, globs, directories and stdin -> `Source`s, each rotated series
oldest first; and what identifies a source (its first content).

A source's identity is its content: the first bytes it had when it was read (up to 64
KiB, after any NUL run that copytruncate leaves) and, to tell apart two files that start
alike (`mail.warn` and `mail.err` share lines), its device and inode. So a checkpoint
follows a file through rotation (`maillog` -> `maillog.1` -> `maillog.2.gz`, copies made
by copytruncate, dateext names) and notices when a path now holds something else. A
journal piped on stdin is identified by its entries' `__CURSOR` (`--cursor-file`).

The other modules of `read`: `decompress` (archives, damaged ones too), `batches`
(complete lines in batches), `checkpoints` (which checkpoint holds a source's progress),
`syslog_copies` (mail.info/.warn/.err beside mail.log), `journal` (journald cursors).
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field

try:  # CPython's own SHA-1: the same digests without starting OpenSSL (hashlib's), a
    # twentieth of a run with nothing new to read
    from _sha1 import sha1
except ImportError:
    from hashlib import sha1

from ..errors import AnalyzerError
from . import remote
from .decompress import compression_of, decompressed

HEAD_BYTES = 1 << 16  # content that identifies a source (once that much was read)
LEGACY_LINE_BYTES = 4096  # checkpoints before identity by content were keyed by the first line

_ROTATED = re.compile(r"^(?P<stem>.+?)(?:[.-](?P<n>\d{1,4}|\d{8}))?(?:\.(?:gz|bz2|xz))?$")


class SourceError(AnalyzerError):
    """An input that cannot be read at all (missing, a directory without files, ...)."""


@dataclass
class Source:
    path: str  # "-" for stdin
    compression: str | None = None
    size: int = 0
    mtime: float = 0.0
    dev: int = 0
    inode: int = 0
    head: bytes = b""  # the first HEAD_BYTES of content, after a leading NUL run
    head_start: int = 0  # decompressed offset of `head` (the NUL run's length)
    _digests: dict[int, str] = field(default_factory=dict, repr=False)  # prefix length -> hash
    complete: bool = True  # False once reading found the archive truncated or damaged
    warnings: list[str] = field(default_factory=list)
    format: str | None = None  # what it holds (`header.sniff_format`), or as forced
    native: bool = False  # in Exim's or PHP's own line format rather than syslog

    @property
    def is_stdin(self) -> bool:
        return self.path == "-"

    @property
    def empty(self) -> bool:
        """No content yet (or only NULs): nothing to read, nothing to identify."""
        return not self.is_stdin and not self.head

    def prefix(self, offset: int) -> list:
        """[length, hash] of the content read up to decompressed `offset`, at most
        HEAD_BYTES: what a checkpoint remembers to recognise this content later."""
        n = max(0, min(offset - self.head_start, len(self.head)))
        return [n, self._head_digest(n)]

    def starts_with(self, prefix: list) -> bool:
        """Does this source begin with the content a checkpoint's `prefix` names?"""
        n, expected = prefix
        if not 0 < n <= len(self.head):
            return False
        return self._head_digest(n) == expected

    def _head_digest(self, n: int) -> str:
        """The hash of the first `n` bytes of the head, once per `n` (a checkpoint after
        each batch asks for the whole head's)."""
        if n not in self._digests:
            self._digests[n] = digest(self.head[:n])
        return self._digests[n]

    @property
    def first_line_key(self) -> str | None:
        """The key checkpoints had before identity by content (a hash of the raw first
        line, NULs included, up to 4 KiB): only to migrate them."""
        raw = (b"\0" * min(self.head_start, LEGACY_LINE_BYTES) + self.head)[:LEGACY_LINE_BYTES]
        first = raw.split(b"\n", 1)[0]
        return sha1(first).hexdigest()[:20] if first else None


def expand(paths: list[str]) -> list[Source]:
    """Files, globs and directories (their files, not recursive) -> sources, each rotated
    series oldest first; stdin (`-`) where it was named. Each may be an fsspec URL
    (`read.remote`; a `file://` URL is its local path)."""
    found: list[str] = []
    for p in map(remote.local_path, paths):
        if p == "-":
            found.append(p)
        elif remote.is_url(p):
            found.extend(_url_files(p))
        elif os.path.isdir(p):
            found.extend(
                sorted(
                    os.path.join(p, n)
                    for n in os.listdir(p)
                    if not n.startswith(".") and os.path.isfile(os.path.join(p, n))
                )
            )
        elif any(c in p for c in "*?["):
            matches = sorted(m for m in glob.glob(p) if os.path.isfile(m))
            if not matches:
                raise SourceError(f"{p}: no file matches")
            found.extend(matches)
        elif os.path.isfile(p):
            found.append(p)
        elif os.path.exists(p):
            raise SourceError(f"{p}: not a regular file")
        else:
            raise SourceError(f"{p}: no such file")
    sources, seen = [], set()
    for path in sorted(dict.fromkeys(found), key=_age_order):
        src = describe(path)
        if not src.is_stdin:  # one file named twice (a link, a relative and an absolute path)
            if (src.dev, src.inode) in seen:
                continue
            seen.add((src.dev, src.inode))
        sources.append(src)
    return sources


def _url_files(url: str) -> list[str]:
    """The objects a URL names: those a glob matches, a directory's, or the one."""
    if any(c in url.partition("://")[2] for c in "*?["):
        matches = remote.matches(url)
        if not matches:
            raise SourceError(f"{url}: no file matches")
        return matches
    if remote.is_dir(url):
        return remote.listing(url)[0]
    if remote.is_file(url):
        return [remote.canonical(url)]
    raise SourceError(f"{url}: no such file")


def series_of(path: str) -> tuple[str, str]:
    """The rotated series a file belongs to: `maillog.2.gz`, `maillog.1`, `maillog` and
    `maillog-20261126` are one (same directory, same stem)."""
    d, name = os.path.split(path)
    return d, _rotation(name)[0]


def series(path: str) -> tuple[str, str]:
    """`series_of` the absolute path: (directory, name without rotation suffixes),
    `mail.warn.2.gz` -> mail.warn, the same whatever directory a run started from."""
    return series_of(path if remote.is_url(path) else os.path.abspath(path))


def _age_order(path: str) -> tuple[str] | tuple[str, str, int, int]:
    """`maillog.2.gz` < `maillog.1` < `maillog`: within a series, oldest first."""
    if path == "-":
        return ("\uffff",)
    d, name = os.path.split(path)
    return (d, *_rotation(name))


def _rotation(name: str) -> tuple[str, int, int]:
    """(stem, 1, 0) for the current file of a series, else (stem, 0, its age key):
    dateext ascends, .N descends."""
    m = _ROTATED.match(name)
    if m is None:  # an empty name: no rotation suffix to strip
        return name, 1, 0
    stem, n = m["stem"], m["n"]
    if n is None:
        return stem, 1, 0
    number = int(n)
    return stem, 0, number if len(n) == 8 else -number


def describe(path: str) -> Source:
    if path == "-":
        return Source(path)
    if remote.is_url(path):
        size, mtime, dev, inode = remote.stat(path)
    else:
        st = os.stat(path)
        size, mtime, dev, inode = st.st_size, st.st_mtime, st.st_dev, st.st_ino
    with remote.open_binary(path) as f:
        magic = f.read(6)
    src = Source(path, compression_of(magic), size, mtime, dev, inode)
    src.head_start, src.head = _read_head(src)
    src.warnings.clear()  # a damaged archive is reported when it is read for real
    src.complete = True
    return src


def _read_head(src: Source) -> tuple[int, bytes]:
    """(length of the leading NUL run, the first HEAD_BYTES after it)."""
    skipped, head = 0, b""
    # an archive in small steps: decompressing far past the head costs (xz: 4x)
    for chunk in decompressed(src, HEAD_BYTES if src.compression is None else 4096):
        if not head:
            content = chunk.lstrip(b"\0")
            skipped += len(chunk) - len(content)
            chunk = content
        head += chunk
        if len(head) >= HEAD_BYTES:
            break
    return skipped, head[:HEAD_BYTES]


def digest(data: bytes) -> str:
    return sha1(data).hexdigest()[:20]


def head_lines(src: Source, lines: int = 20) -> list[str]:
    """The first lines of a source (at most HEAD_BYTES), for telling what it holds;
    none for stdin (it cannot be read twice)."""
    return src.head.decode("utf-8", "replace").split("\n")[:lines]
