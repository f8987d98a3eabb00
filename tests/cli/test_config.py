"""The configuration file: where it is found, what it may say, that typos are errors, that
a flag beats the file, and the passwd lookup."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer import config
from analyzer.cli.app import app
from analyzer.config import (
    Config,
    ConfigError,
    Thresholds,
    load,
    read_passwd,
    thresholds_from_flags,
)

ROOT = Path(__file__).resolve().parents[2]
DAY = ["--since", "2026-11-26", "--until", "2026-11-27", "--tz", "UTC"]


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No configuration file anywhere but where a test puts one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANALYZER_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(
        config,
        "search_path",
        lambda: [
            Path("analyzer.toml"),
            tmp_path / "xdg" / "analyzer" / "config.toml",
            tmp_path / "etc" / "config.toml",
        ],
    )
    return tmp_path


def test_the_documented_search_path(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config.search_path() == [
        Path("analyzer.toml"),
        tmp_path / "analyzer" / "config.toml",
        Path("/etc/analyzer/config.toml"),
    ]
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert config.search_path()[1] == Path.home() / ".config" / "analyzer" / "config.toml"
    doc = (ROOT / "docs" / "report.md").read_text()
    for where in (
        "$ANALYZER_CONFIG",
        "./analyzer.toml",
        "~/.config/analyzer/config.toml",
        "/etc/analyzer/config.toml",
    ):
        assert where in doc


def test_no_file_gives_the_defaults(isolated):
    assert load() == Config()


def test_first_file_found_wins(isolated):
    etc = isolated / "etc" / "config.toml"
    etc.parent.mkdir()
    etc.write_text('tz = "Europe/Berlin"\n')
    assert load().tz == "Europe/Berlin" and load().source == str(etc)
    user = isolated / "xdg" / "analyzer" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('tz = "UTC"\n')
    assert load().tz == "UTC"
    (isolated / "analyzer.toml").write_text('tz = "Asia/Tokyo"\n')
    assert load().tz == "Asia/Tokyo"
    env = isolated / "env.toml"
    env.write_text('tz = "America/New_York"\n')
    os.environ["ANALYZER_CONFIG"] = str(env)
    try:
        assert load().tz == "America/New_York"
        assert load(str(etc)).tz == "Europe/Berlin"  # --config beats them all
    finally:
        del os.environ["ANALYZER_CONFIG"]


def test_a_named_file_must_exist(isolated):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load(isolated / "missing.toml")
    os.environ["ANALYZER_CONFIG"] = str(isolated / "missing.toml")
    try:
        with pytest.raises(ConfigError, match="ANALYZER_CONFIG"):
            load()
    finally:
        del os.environ["ANALYZER_CONFIG"]


def test_the_example_file_is_complete_and_valid():
    cfg = load(ROOT / "examples" / "analyzer.toml")
    assert cfg.data == "/var/lib/analyzer/data" and cfg.passwd == "/etc/passwd"
    assert cfg.local_ips and cfg.hosted_domains and cfg.fail_on == "crit"
    # every threshold is spelled out in the example, with its default value
    assert cfg.thresholds == Thresholds()
    text = (ROOT / "examples" / "analyzer.toml").read_text()
    for section in ("senders", "relay", "scripts", "auth"):
        for name in getattr(Thresholds(), section).__dataclass_fields__:
            assert f"\n{name} = " in text, f"thresholds.{section}.{name} missing from the example"


def test_every_key_is_read(tmp_path):
    (tmp_path / "passwd").write_text("")
    path = tmp_path / "analyzer.toml"
    path.write_text("""
data = "data"                 # relative: to the file's directory
tz = "UTC"
local_ips = ["10.0.0.1", "2001:db8::25"]
hosted_domains = ["shop-anna.example"]
passwd = "passwd"

[report]
since = "2d"
until = "2026-11-27"
ingest = ["/var/log/maillog*"]
html = "/srv/reports/report-{date}.html"
fail_on = "warn"

[thresholds.senders]
client_ips_crit = 20
growth_warn = 3               # an integer where a float is expected is fine

[thresholds.relay]
bucket = "30min"

[thresholds.auth]
failures_warn = 100
""")
    cfg = load(path)
    assert cfg.data == str(tmp_path / "data") and cfg.passwd == str(tmp_path / "passwd")
    assert cfg.local_ips == ("10.0.0.1", "2001:db8::25")
    assert cfg.hosted_domains == ("shop-anna.example",)
    assert (cfg.since, cfg.until, cfg.fail_on) == ("2d", "2026-11-27", "warn")
    assert cfg.ingest == ("/var/log/maillog*",) and cfg.html.endswith("{date}.html")
    t = cfg.thresholds
    assert t.senders.client_ips_crit == 20 and t.senders.growth_warn == 3.0
    assert t.senders.client_ips_warn == Thresholds().senders.client_ips_warn
    assert t.relay.bucket == "30min" and t.auth.failures_warn == 100


@pytest.mark.parametrize(
    "text,message",
    [
        ('dat = "/x"', "unknown key 'dat'"),
        ('local_ips = "10.0.0.1"', "local_ips must be a list of strings"),
        ("local_ips = [1]", "must be a list of strings"),
        ('[report]\nfail_on = "sometimes"', "fail_on must be one of warn, crit, never"),
        ("[report]\nsince = 1", "since must be a string"),
        ("[thresholds.senders]\nclient_ip_crit = 3", "unknown key 'client_ip_crit'"),
        ('[thresholds.senders]\nclient_ips_crit = "3"', "expected an integer"),
        ("[thresholds.senders]\nclient_ips_crit = 2.5", "expected an integer"),
        ("[thresholds.auth]\nfailures_warn = -1", "must not be negative"),
        ("[thresholds.spam]\nx = 1", "unknown threshold section 'spam'"),
        ("data = ", "not valid TOML"),
    ],
)
def test_mistakes_are_errors_naming_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message) as e:
        load(path)
    assert str(path) in str(e.value)


def test_threshold_flags():
    t = thresholds_from_flags(
        Thresholds(),
        [
            "senders.client_ips_crit=20",
            "relay.z=4",
            "scripts.history=7d",
            "auth.failures_warn = 10",
        ],
    )
    assert (t.senders.client_ips_crit, t.relay.z, t.scripts.history, t.auth.failures_warn) == (
        20,
        4.0,
        "7d",
        10,
    )
    for bad, message in [
        ("senders.client_ips_crit", "SECTION.NAME=VALUE"),
        ("client_ips_crit=3", "SECTION.NAME=VALUE"),
        ("senders.client_ips_crit=many", "'many' is not an integer"),
        ("senders.nope=1", "unknown key 'nope'"),
    ]:
        with pytest.raises(ConfigError, match=message):
            thresholds_from_flags(Thresholds(), [bad])


def test_read_passwd(tmp_path):
    path = tmp_path / "passwd"
    path.write_text(
        "# users\nroot:x:0:0:root:/root:/bin/bash\n\nbroken line\n"
        "site1017:x:1017:1017:blog-kochen:/home/site1017:/usr/sbin/nologin\n"
        "alias:x:1017:1017::/:/bin/false\nnobody:x:notanumber:1::/:\n"
    )
    assert read_passwd(path) == {0: "root", 1017: "site1017"}
    with pytest.raises(ConfigError, match="cannot read passwd"):
        read_passwd(tmp_path / "missing")


# --- the command: flag > environment > file > default -----------------------------------------


def run(*args, env=None):
    result = CliRunner().invoke(app, ["report", *map(str, args)], env=env or {})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_the_command_takes_its_settings_from_the_file(sample, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANALYZER_CONFIG", raising=False)
    monkeypatch.delenv("ANALYZER_DATA", raising=False)
    passwd = tmp_path / "passwd"
    passwd.write_text("site1017:x:1017:1017::/home/site1017:/bin/false\n")
    (tmp_path / "analyzer.toml").write_text(f"""
data = "{sample.data}"
tz = "UTC"
passwd = "passwd"
[report]
since = "2026-11-26"
until = "2026-11-27"
html = "out/report-{{date}}.html"
fail_on = "never"
[thresholds.auth]
failures_crit = 100000
success_min_failures = 100000
""")
    result = run()
    assert result.exit_code == 0, result.output  # fail_on = never
    assert (tmp_path / "out" / "report-2026-11-26.html").is_file()
    assert "uid 1017 (site1017)" in result.stdout  # passwd from the file
    assert "WARN  AUTH brute force from 203.0.113.66" in result.stdout  # thresholds from the file

    # flags win over the file
    result = run(
        "--fail-on",
        "crit",
        "--threshold",
        "auth.failures_crit=500",
        "--html",
        tmp_path / "flag.html",
    )
    assert result.exit_code == 2
    assert "CRIT  AUTH brute force from 203.0.113.66" in result.stdout
    assert (tmp_path / "flag.html").is_file()
    # the environment (ANALYZER_DATA) wins over the file, and --data over both
    empty = tmp_path / "nothing"
    missing = run(env={"ANALYZER_DATA": str(empty)})
    assert missing.exit_code == 1 and "no dataset" in missing.stderr
    assert run("--data", sample.data, env={"ANALYZER_DATA": str(empty)}).exit_code == 0
