"""`watch --apply`: only the kinds the configuration enables run, never on an allowlisted
IP (inside an allowlisted network) or login, never twice for one incident across a
restart, never with a value that fails validation, and a failing or hanging command is
logged while the watch goes on. The commands are fake: scripts written here that record
their argv."""

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import MiniLog
from typer.testing import CliRunner

from analyzer.actions.allowlist import load as load_allowlist
from analyzer.actions.apply import INVALID, Applier
from analyzer.actions.plan import Action
from analyzer.cli.app import app
from analyzer.config import ActionsConfig, ConfigError, from_dict
from analyzer.watch import state as alert_state
from analyzer.watch.loop import Settings, Watcher

T0 = datetime(2026, 11, 26, 3)
ALLOW = ("198.51.100.0/24", "sasl:monitor@example.net")


def fake(directory: Path, name: str, code: int = 0, sleep: float = 0.0) -> tuple[Path, Path]:
    """A command that appends its argv (JSON) to NAME.calls, then sleeps and exits `code`."""
    calls = directory / f"{name}.calls"
    script = directory / name
    script.write_text(
        f"#!{sys.executable}\nimport json, sys, time\n"
        f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"time.sleep({sleep})\nsys.exit({code})\n"
    )
    script.chmod(0o755)
    return script, calls


def calls(path: Path) -> list[list[str]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def brute_force(log: MiniLog, start: datetime, ip: str, login: str, n: int = 60) -> None:
    """`n` AUTH failures from `ip`, then a login as `login` that works: a crit incident
    whose actions are block_ip and refuse_login."""
    for i in range(n):
        log.auth_failure(start + timedelta(seconds=10 * i), ip, f"user{i % 5}")
    log.sasl_message(
        start + timedelta(seconds=10 * n + 5), login, ip, login, [("x@dest.example", "sent")]
    )


@pytest.fixture
def setup(tmp_path):
    nft, nft_calls = fake(tmp_path, "nft")
    postmap, postmap_calls = fake(tmp_path, "postmap")
    postsuper, postsuper_calls = fake(tmp_path, "postsuper")
    config = ActionsConfig(
        apply=("block_ip",),
        allow=ALLOW,
        nft=str(nft),
        postmap=str(postmap),
        postsuper=str(postsuper),
        sasl_map=str(tmp_path / "sasl_access"),
        queue_host="mx1",
        timeout=5.0,
    )
    log = MiniLog()
    brute_force(log, T0, "192.0.2.66", "victim@example.com")
    brute_force(log, T0, "198.51.100.7", "monitor@example.net")  # both allowlisted
    maillog = tmp_path / "maillog"
    maillog.write_text("\n".join(log.lines) + "\n")
    return tmp_path, config, maillog, nft_calls, postmap_calls, postsuper_calls


def watcher(tmp_path: Path, config: ActionsConfig, maillog: Path, apply: bool = True):
    data = tmp_path / "data"
    allow = load_allowlist(None, [], (), config.allow)
    applier = Applier(config, allow, data / "_state" / "actions.log") if apply else None
    settings = Settings(
        paths=[str(maillog)], data=str(data), tz="UTC", year=2026, allow=allow, applier=applier
    )
    alerts: list[dict] = []
    return Watcher(settings, [alerts.append]), alerts


def test_only_enabled_kinds_run_and_never_on_the_allowlist(setup):
    tmp_path, config, maillog, nft_calls, postmap_calls, _ = setup
    w, alerts = watcher(tmp_path, config, maillog)
    step = w.step()
    assert calls(nft_calls) == [["add", "element", "inet", "analyzer", "block4", "{ 192.0.2.66 }"]]
    # refuse_login is proposed but not enabled: no map entry, no postmap
    brute = [a for a in alerts if a["subject"] == "192.0.2.66"]
    assert brute and {"what": "refuse_login", "value": "victim@example.com"} in [
        {k: a[k] for k in ("what", "value")} for a in brute[0]["actions"]
    ]
    assert not (tmp_path / "sasl_access").exists() and calls(postmap_calls) == []
    assert [(o.action.what, o.result) for o in step.outcomes] == [("block_ip", "applied")]
    assert brute[0]["applied"] == [step.outcomes[0].to_json()]
    # the allowlisted network's IP was never proposed, hence never run
    allowlisted = [a for a in alerts if a["subject"] == "198.51.100.7"]
    assert allowlisted and allowlisted[0]["actions"] == [] and allowlisted[0]["applied"] == []
    logged = [
        json.loads(x) for x in (tmp_path / "data/_state/actions.log").read_text().splitlines()
    ]
    assert [(e["what"], e["value"], e["result"]) for e in logged] == [
        ("block_ip", "192.0.2.66", "applied")
    ]


def test_enabled_refusals_write_the_map_and_skip_an_allowlisted_login(setup):
    tmp_path, config, maillog, nft_calls, postmap_calls, postsuper_calls = setup
    config = ActionsConfig(**{**config.__dict__, "apply": ("block_ip", "refuse_login")})
    w, _ = watcher(tmp_path, config, maillog)
    w.step()
    entries = (tmp_path / "sasl_access").read_text().splitlines()
    assert entries == ["victim@example.com\tREJECT account suspended by the abuse desk"]
    assert calls(postmap_calls) == [[str(tmp_path / "sasl_access")]]
    assert calls(postsuper_calls) == []  # hold_queue is not enabled (and nothing is queued)


def test_a_restart_applies_nothing_twice(setup):
    tmp_path, config, maillog, nft_calls, _, _ = setup
    w, _ = watcher(tmp_path, config, maillog)
    w.step()
    assert len(calls(nft_calls)) == 1
    saved = alert_state.load(tmp_path / "data")
    assert len(saved.applied) == 1
    # more of the same brute force after a restart: the incident is the same, not re-applied
    more = MiniLog()
    more.queue += 0x100000
    brute_force(more, T0 + timedelta(minutes=15), "192.0.2.66", "victim@example.com", n=20)
    with open(maillog, "a") as f:
        f.write("\n".join(more.lines) + "\n")
    w2, alerts2 = watcher(tmp_path, config, maillog)
    step = w2.step()
    assert step.lines > 0 and step.outcomes == [] and len(calls(nft_calls)) == 1
    assert alerts2 == []


def test_without_apply_nothing_runs(setup):
    tmp_path, config, maillog, nft_calls, postmap_calls, _ = setup
    w, alerts = watcher(tmp_path, config, maillog, apply=False)
    step = w.step()
    assert alerts and step.outcomes == [] and calls(nft_calls) == []
    assert all("applied" not in a for a in alerts)
    assert not (tmp_path / "data/_state/actions.log").exists()


HOSTILE = [
    Action("block_ip", "i1", "auth_bruteforce", "192.0.2.1; touch /tmp/pwned"),
    Action("block_ip", "i1", "auth_bruteforce", "192.0.2.1 }; flush ruleset; {"),
    Action("refuse_login", "i2", "stolen_account", "a@b.example\tOK\nroot"),
    Action("refuse_login", "i2", "stolen_account", "$(touch pwned)@x.example"),
    Action("hold_queue", "i3", "stolen_account", "-ALL", mta="postfix", host="mx1"),
    Action("hold_queue", "i3", "stolen_account", "ABCDEF123", mta="postfix", host="mx1;id"),
    Action("stop_script", "i4", "spam_script", "/var/www/../../etc/passwd"),
    Action("stop_script", "i4", "spam_script", "-R /"),
]


def test_hostile_values_are_refused_and_never_repeated(tmp_path):
    nft, nft_calls = fake(tmp_path, "nft")
    everything = ActionsConfig(
        apply=("block_ip", "refuse_login", "hold_queue", "stop_script"),
        nft=str(nft),
        postmap=str(nft),
        postsuper=str(nft),
        chmod=str(nft),
        sasl_map=str(tmp_path / "map"),
        queue_host="mx1",
    )
    log = tmp_path / "actions.log"
    applier = Applier(everything, load_allowlist(None), log)
    outcomes = [applier.apply(a) for a in HOSTILE]
    assert [(o.result, o.reason) for o in outcomes] == [("refused", INVALID)] * len(HOSTILE)
    assert calls(nft_calls) == [] and not (tmp_path / "map").exists()
    text = log.read_text()
    assert "touch" not in text and "passwd" not in text and "flush" not in text
    assert [json.loads(x)["value"] for x in text.splitlines()] == [None] * len(HOSTILE)


def test_allowlist_other_hosts_and_exim_are_refused_again_at_apply_time(tmp_path):
    nft, nft_calls = fake(tmp_path, "nft")
    config = ActionsConfig(
        apply=("block_ip", "refuse_login", "hold_queue"),
        nft=str(nft),
        postsuper=str(nft),
        postmap=str(nft),
        sasl_map=str(tmp_path / "map"),
        queue_host="mx1",
    )
    applier = Applier(config, load_allowlist(None, [], (), ALLOW), tmp_path / "log")
    refused = [
        applier.apply(Action("block_ip", "i", "auth_bruteforce", "198.51.100.200")),
        applier.apply(Action("refuse_login", "i", "stolen_account", "Monitor@Example.NET")),
        applier.apply(Action("refuse_login", "i", "stolen_account", "x@y.example", mta="exim")),
        applier.apply(Action("hold_queue", "i", "x", "ABCDEF123", mta="postfix", host="mx2")),
    ]
    assert [o.result for o in refused] == ["refused"] * 4
    assert [o.reason.split(":")[0] for o in refused] == [
        "allowlisted IP",
        "allowlisted login",
        "Exim accepted its mail",
        "queued on host mx2, not on this one (mx1)",
    ]
    held = applier.apply(Action("hold_queue", "i", "x", "ABCDEF123", mta="postfix", host="mx1"))
    assert held.result == "applied" and calls(nft_calls) == [["-h", "ABCDEF123"]]


def test_a_failing_or_hanging_command_is_logged_and_the_next_runs(tmp_path):
    failing, _ = fake(tmp_path, "failing", code=3)
    hanging, _ = fake(tmp_path, "hanging", sleep=30)
    good, good_calls = fake(tmp_path, "good")
    log = tmp_path / "actions.log"
    allow = load_allowlist(None)
    block = Action("block_ip", "i", "auth_bruteforce", "192.0.2.9")
    out = [
        Applier(ActionsConfig(apply=("block_ip",), nft=str(failing)), allow, log).apply(block),
        Applier(ActionsConfig(apply=("block_ip",), nft=str(hanging), timeout=0.5), allow, log)
        .apply(block),
        Applier(ActionsConfig(apply=("block_ip",), nft="/nonexistent/nft"), allow, log)
        .apply(block),
        Applier(ActionsConfig(apply=("block_ip",), nft=str(good)), allow, log).apply(block),
    ]  # fmt: skip
    assert [o.result for o in out] == ["failed", "failed", "failed", "applied"]
    assert out[0].reason.endswith("exit status 3") and "killed after 0.5 s" in out[1].reason
    assert "No such file" in out[2].reason
    assert len(calls(good_calls)) == 1
    assert [json.loads(x)["result"] for x in log.read_text().splitlines()] == [
        "failed", "failed", "failed", "applied"
    ]  # fmt: skip


def test_fail2ban_mode_appends_one_line(tmp_path):
    target = tmp_path / "f2b.log"
    config = ActionsConfig(apply=("block_ip",), block_with="fail2ban", fail2ban_log=str(target))
    applier = Applier(config, load_allowlist(None), tmp_path / "log")
    out = applier.apply(Action("block_ip", "abc", "auth_bruteforce", "2001:db8::1"))
    assert out.result == "applied"
    [line] = target.read_text().splitlines()
    assert line.endswith(" analyzer: incident auth_bruteforce abc from 2001:db8::1")


def test_the_actions_section_is_checked(tmp_path):
    cfg = from_dict(
        {"actions": {"apply": ["block_ip"], "allow": ["10.0.0.0/8"], "timeout": 3,
                     "log": "actions.log"}},
        str(tmp_path / "config.toml"),
    )  # fmt: skip
    assert cfg.actions.apply == ("block_ip",) and cfg.actions.timeout == 3.0
    assert cfg.actions.log == str(tmp_path / "actions.log")
    for bad, message in [
        ({"apply": ["block_everything"]}, "unknown kind 'block_everything'"),
        ({"timeout": 0}, "positive number"),
        ({"severity": "info"}, "severity"),
        ({"block_with": "iptables"}, "block_with"),
        ({"nft": "'unclosed"}, "actions.nft"),
        ({"apply": "block_ip"}, "list of strings"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ]:
        with pytest.raises(ConfigError, match=message):
            from_dict({"actions": bad}, "cfg.toml")


def test_the_command_applies_per_the_configuration(setup):
    tmp_path, _, maillog, nft_calls, _, _ = setup
    nft = tmp_path / "nft"
    conf = tmp_path / "analyzer.toml"
    conf.write_text(
        f'[actions]\napply = ["block_ip"]\nnft = "{nft}"\nallow = {json.dumps(list(ALLOW))}\n'
    )
    args = ["watch", str(maillog), "--data", str(tmp_path / "data"), "--tz", "UTC",
            "--year", "2026", "--once", "--config", str(conf), "--output", "json"]  # fmt: skip
    proposed = CliRunner().invoke(app, args)
    assert proposed.exit_code == 0, proposed.output
    assert calls(nft_calls) == []  # without --apply: only proposed
    (tmp_path / "data/_state/watch.json").unlink()
    applied = CliRunner().invoke(app, [*args, "--apply"])
    assert applied.exit_code == 0, applied.output
    assert len(calls(nft_calls)) == 1
    assert "action applied: block_ip 192.0.2.66" in applied.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[actions]\napply = ["reboot"]\n')
    wrong = CliRunner().invoke(app, [*args[:-4], "--config", str(bad), "--apply"])
    assert wrong.exit_code == 1 and "unknown kind 'reboot'" in wrong.output


def test_the_example_configuration_spells_out_every_actions_key():
    root = Path(__file__).resolve().parents[2]
    from analyzer.config import load

    example = load(root / "examples" / "analyzer.toml")
    assert example.actions.apply == () and example.actions.allow == ("10.0.0.0/8",)
    section = (root / "examples" / "analyzer.toml").read_text().split("[actions]", 1)[1]
    for name in ActionsConfig.__dataclass_fields__:
        assert f"\n{name} = " in section or f"\n# {name} = " in section, name
