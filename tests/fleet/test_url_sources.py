"""Sources as fsspec URLs: `file://` (its local path: the same source, the same
checkpoint), fsspec's in-memory file system with the local engine, and an S3 object
store emulated by moto's server (installed from PyPI) read by `ingest --engine dask` on
a 2-worker LocalCluster; each equals the local paths' dataset row for row and a second
run reads nothing again. A dataset is a path or a `file://` URL; any other URL for
--data, and a URL fsspec cannot read, is one line."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from pathlib import Path

import fsspec
import pytest
from dask_cluster import local_cluster
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.errors import AnalyzerError
from analyzer.fleet.reading import fleet_table
from analyzer.samplegen.fleet import write_fleet
from analyzer.schema import TABLES

FLEET = dict(
    hosts=2, messages_per_day=80, start=datetime(2026, 11, 25, 23, 0), days=1.05, incident_hosts=2
)


def rows(df) -> list[str]:
    return sorted(map(repr, df.itertuples(index=False, name=None)))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """A generated 2-host fleet (rotated and compressed files) and the local engine's
    dataset of it, one run per host from plain paths."""
    root = tmp_path_factory.mktemp("urls")
    truth = write_fleet(root / "logs", **FLEET)
    hosts = sorted(truth["hosts"])
    local = root / "local"
    for host in hosts:
        api.ingest([str(root / "logs" / host)], data=str(local), tz="UTC", host=host)
    return root, hosts, local


def same_dataset(ours: Path, theirs: Path, fleet_layout: bool = False) -> None:
    for name in TABLES:
        got = fleet_table(name, ours) if fleet_layout else api.table(name, data=str(ours))
        assert rows(got) == rows(api.table(name, data=str(theirs))), name


def test_file_urls_are_the_local_paths(fleet, tmp_path):
    root, hosts, local = fleet
    data = tmp_path / "d"
    for host in hosts:
        url = (root / "logs" / host).as_uri()  # file:///.../logs/mx1
        api.ingest([url], data=data.as_uri(), tz="UTC", host=host)
    same_dataset(data, local)
    # the same files by their paths: the URL's checkpoints hold them, nothing is read again
    again = api.ingest([str(root / "logs" / hosts[0])], data=str(data), tz="UTC", host=hosts[0])
    assert again.lines == 0 and {s.status for s in again.sources} == {"unchanged"}


def test_in_memory_objects_with_the_local_engine(fleet, tmp_path):
    root, hosts, local = fleet
    memory = fsspec.filesystem("memory")
    for host in hosts:
        for f in sorted((root / "logs" / host).iterdir()):
            memory.pipe(f"/logs/{host}/{f.name}", f.read_bytes())
    try:
        data = tmp_path / "d"
        for host in hosts:
            summary = api.ingest([f"memory://logs/{host}"], data=str(data), tz="UTC", host=host)
            assert summary.lines > 0
            assert all(s.path.startswith(f"memory:///logs/{host}/") for s in summary.sources)
        same_dataset(data, local)
        again = api.ingest([f"memory://logs/{hosts[0]}/*"], data=str(data), tz="UTC", host=hosts[0])
        assert again.lines == 0 and {s.status for s in again.sources} == {"unchanged"}
    finally:
        memory.rm("/logs", recursive=True)


def test_an_object_replaced_by_a_longer_one_is_read_on(fleet, tmp_path):
    """A store that replaces an object with a longer one (a log shipped again, grown):
    the second run reads only the new lines; the dataset equals one run of the whole."""
    root, hosts, _ = fleet
    newest = root / "logs" / hosts[0] / "maillog"
    text = newest.read_bytes()
    cut = text.rindex(b"\n", 0, len(text) // 2) + 1
    memory = fsspec.filesystem("memory")
    url, whole = "memory://grow/maillog", tmp_path / "whole"
    try:
        memory.pipe("/grow/maillog", text)
        api.ingest([url], data=str(whole), tz="UTC", host=hosts[0])
        memory.pipe("/grow/maillog", text[:cut])
        data = tmp_path / "d"
        first = api.ingest([url], data=str(data), tz="UTC", host=hosts[0])
        memory.pipe("/grow/maillog", text)
        second = api.ingest([url], data=str(data), tz="UTC", host=hosts[0])
    finally:
        memory.rm("/grow", recursive=True)
    assert first.lines == text[:cut].count(b"\n")
    assert second.lines == text[cut:].count(b"\n")
    same_dataset(data, whole)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(fleet):
    """moto's S3 server on a free local port, the fleet's logs uploaded under
    s3://logs/fleet/<host>/; this process and the workers started after it reach it
    through FSSPEC_S3_* (fsspec's configuration by environment)."""
    moto_server = pytest.importorskip("moto.server")
    pytest.importorskip("s3fs")
    root, hosts, _ = fleet
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FSSPEC_S3_ENDPOINT_URL": endpoint,
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    fsspec.config.conf.setdefault("s3", {})["endpoint_url"] = endpoint
    try:
        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        fs.mkdir("logs")
        for host in hosts:
            for f in sorted((root / "logs" / host).iterdir()):
                fs.pipe(f"logs/fleet/{host}/{f.name}", f.read_bytes())
        fsspec.filesystem("s3").invalidate_cache()
        yield "s3://logs/fleet"
    finally:
        fsspec.config.conf.get("s3", {}).pop("endpoint_url", None)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


def test_an_s3_fleet_on_dask_equals_the_local_paths(fleet, s3, tmp_path):
    _, hosts, local = fleet
    data = tmp_path / "dask"
    with local_cluster() as scheduler:  # started after the S3 settings: workers have them
        result = CliRunner().invoke(
            app,
            ["ingest", "--engine", "dask", "--scheduler", scheduler, "--data", str(data)]
            + ["--tz", "UTC", s3 + "/"],
        )
        assert result.exit_code == 0, result.output
        same_dataset(data, local, fleet_layout=True)
        again = api.ingest([s3], data=str(data), tz="UTC", engine="dask", scheduler=scheduler)
    assert again.lines == 0 and {s.status for s in again.sources} == {"unchanged"}


def test_an_s3_host_with_the_local_engine(fleet, s3, tmp_path):
    _, hosts, local = fleet
    data = tmp_path / "d"
    for host in hosts:
        api.ingest([f"{s3}/{host}/"], data=str(data), tz="UTC", host=host)
    same_dataset(data, local)


def test_an_object_store_dataset_is_one_line(fleet):
    root, hosts, _ = fleet
    result = CliRunner().invoke(
        app, ["ingest", "--data", "s3://bucket/analyzer", str(root / "logs" / hosts[0])]
    )
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "a dataset must be a local directory or a file:// URL" in result.stderr
    with pytest.raises(AnalyzerError, match="a dataset must be a local directory"):
        api.top_senders("memory://analyzer")


def test_a_url_nothing_reads_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["ingest", "--data", str(tmp_path), "nosuch://logs/x"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: nosuch://logs/x: cannot read this URL")
    assert result.stderr.count("\n") == 1
    missing = CliRunner().invoke(app, ["ingest", "--data", str(tmp_path), "memory://none/x"])
    assert missing.exit_code == 1 and "memory://none/x: no such file" in missing.stderr
