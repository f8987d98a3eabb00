"""Where a fleet's logs and data are: each host's log series is one directory (its name is
the host), and each host's data is a dataset of its own under `DATA/hosts/<host>/`.

A host's sub-dataset is an ordinary dataset (`dataset.store`): its own parts, checkpoint,
open state and writer lock, so one host's ingest never waits for or touches another's,
and every crash-safety guarantee of a dataset holds per host."""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

from ..errors import AnalyzerError
from ..read import remote

HOSTS_DIR = "hosts"
# a host name as a directory name: letters, digits, dots, dashes, underscores; not `.`/`..`
_HOST = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,253}$")


def check_host(name: str) -> str:
    if not _HOST.match(name):
        raise AnalyzerError(
            f"{name!r}: not a host name for the fleet (letters, digits, '.', '-', '_')"
        )
    return name


def host_dataset(data: str | os.PathLike, host: str) -> Path:
    """The sub-dataset of one host."""
    return Path(data) / HOSTS_DIR / check_host(host)


def fleet_hosts(data: str | os.PathLike) -> list[str]:
    """The hosts that have a sub-dataset under `data`, sorted."""
    root = Path(data) / HOSTS_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _HOST.match(p.name))


def host_series(paths: list[str]) -> dict[str, list[str]]:
    """Host -> the paths of its log series. A directory whose entries include directories
    is a fleet: each subdirectory is a host. Any other directory is a host, and a file
    belongs to the host named by the directory it is in. Paths may be fsspec URLs
    (`read.remote`: `s3://bucket/logs/`, its `mx1/` ... are the hosts). Hosts come out
    sorted."""
    series: dict[str, list[str]] = {}

    def add(host: str, path: str) -> None:
        series.setdefault(check_host(host), []).append(path)

    for path in map(remote.local_path, paths):
        if path == "-":
            raise AnalyzerError("--engine dask reads files, not stdin (-)")
        if remote.is_url(path):
            _url_series(path, add)
            continue
        p = Path(path)
        if p.is_dir():
            subdirs = sorted(c for c in p.iterdir() if c.is_dir() and not c.name.startswith("."))
            if subdirs:
                for sub in subdirs:
                    add(sub.resolve().name, str(sub))
            else:
                add(p.resolve().name, path)
        elif p.exists():
            add(p.parent.resolve().name, path)
        elif glob.has_magic(path) and glob.glob(path):
            for match in sorted(glob.glob(path)):
                add(Path(match).parent.resolve().name, match)
        else:
            raise AnalyzerError(f"{path}: no such file or directory")
    for host, found in series.items():
        if len(found) != len(set(found)):
            raise AnalyzerError(f"{host}: a path is given twice")
    return dict(sorted(series.items()))


def _url_series(url: str, add) -> None:
    """`host_series` of one URL: a directory of directories, a host's directory, objects."""

    def name(u: str) -> str:  # the last component of a URL's path
        return u.partition("://")[2].rstrip("/").rsplit("/", 1)[-1]

    def parent(u: str) -> str:
        return u.rstrip("/").rsplit("/", 1)[0]

    if glob.has_magic(url.partition("://")[2]):
        found = remote.matches(url)
        if not found:
            raise AnalyzerError(f"{url}: no file matches")
        for match in found:
            add(name(parent(match)), match)
    elif remote.is_dir(url):
        subdirs = remote.listing(url)[1]
        for sub in subdirs or [url]:
            add(name(sub), sub)
    elif remote.is_file(url):
        add(name(parent(url)), url)
    else:
        raise AnalyzerError(f"{url}: no such file or directory")


def is_fleet(data: str | os.PathLike) -> bool:
    """`data` is a fleet's directory: host sub-datasets under hosts/ and no checkpoint of
    its own (a dataset that happens to hold a hosts/ directory stays a dataset)."""
    from ..dataset.store import Dataset

    return bool(fleet_hosts(data)) and not Dataset(data).exists()
