"""Log rotation between two watch iterations loses nothing: the lines written before the
rename are read from the rotated file, the new file from its start, and the brute force
that straddles the rotation is counted whole."""

import os
from datetime import datetime, timedelta

from conftest import MiniLog

from analyzer.watch.loop import Settings, Watcher


def test_rotation_in_the_middle_loses_nothing(tmp_path):
    log = MiniLog()
    start = datetime(2026, 11, 26, 3)
    for i in range(70):
        log.auth_failure(start + timedelta(seconds=20 * i), "192.0.2.66", f"user{i % 5}")
    before, after = log.lines[:40], log.lines[40:]
    path = tmp_path / "maillog"
    path.write_text("\n".join(before[:30]) + "\n")
    settings = Settings(paths=[str(tmp_path / "maillog*")], data=str(tmp_path / "data"),
                        tz="UTC", year=2026)  # fmt: skip
    alerts: list[dict] = []
    watcher = Watcher(settings, [alerts.append])
    assert watcher.step().alerts == []  # 30 failures: under auth.failures_warn (50)
    with open(path, "a") as f:  # written just before the rotation, not read yet
        f.write("\n".join(before[30:]) + "\n")
    os.rename(path, tmp_path / "maillog.1")
    path.write_text("\n".join(after) + "\n")
    step = watcher.step()
    assert step.lines == 40
    (opened,) = step.alerts
    assert (opened["kind"], opened["state"], opened["subject"]) == (
        "auth_bruteforce",
        "open",
        "192.0.2.66",
    )
    assert opened["facts"]["failures"] == 70
    assert watcher.step().alerts == []
