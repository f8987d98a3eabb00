"""PHP `mail.log` matching the Postfix sample's local submissions.

Runs the Postfix simulator (its output is byte-identical to ``generate_postfix`` for the
same arguments: collecting the PHP calls draws no random numbers) and writes, for every
PHP ``mail()`` call behind a pickup, the line PHP logs just before it runs sendmail:

    [26-Nov-2026 21:10:05 Europe/Berlin] mail() on [/home/site1017/public_html/...:88]: To: a@x.example -- Headers: From: ... -- Subject: ...

in the file form, with PHP's ``date.timezone`` (default ``Europe/Berlin``, so the reader
must apply the zone the line names), 0-0.9 s before the pickup. A few extra calls from a
contact form whose ``mail()`` failed (no submission follows) are the unjoinable entries.
Every script's full path is derived from its basename, so the X-PHP header's basename and
the mail.log path agree.
"""

from __future__ import annotations

import json
import random
import zlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .names import SITE_NAMES
from .postfix import DEFAULT_MESSAGES_PER_DAY, DEFAULT_SEED, DEFAULT_START, PostfixSimulator

DEFAULT_ZONE = "Europe/Berlin"
BURST_SCRIPT = "wp-xmlrpc-cache.php"

# where each legitimate script lives under a site's document root
SCRIPT_DIRS = {
    "contact-form.php": "",
    "wp-mail.php": "",
    "class-phpmailer.php": "wp-includes/",
    "order-confirm.php": "shop/",
    "newsletter.php": "newsletter/",
    "booking-notify.php": "booking/",
    "PHPMailer.php": "vendor/phpmailer/phpmailer/src/",
    "mailer.php": "includes/",
}
_SUBJECTS = {
    "contact-form.php": "Neue Kontaktanfrage",
    "wp-mail.php": "[WordPress] Neuer Kommentar",
    "class-phpmailer.php": "Ihre Bestellung",
    "order-confirm.php": "Bestellbestätigung",
    "newsletter.php": "Newsletter November",
    "booking-notify.php": "Neue Buchung",
    "PHPMailer.php": "Passwort zurücksetzen",
    "mailer.php": "Nachricht von der Website",
    BURST_SCRIPT: "Your account has been suspended",
}
_UNJOINABLE_PER_DAY = 6


def script_path(uid: int, script: str, start: datetime) -> str:
    """The full path of a generated site's script (the burst script sits in uploads/)."""
    if script == BURST_SCRIPT:
        return f"/home/site{uid}/public_html/wp-content/uploads/{start:%Y/%m}/{script}"
    return f"/home/site{uid}/public_html/{SCRIPT_DIRS[script]}{script}"


def script_dir(uid: int, script: str, start: datetime) -> str:
    return script_path(uid, script, start).rsplit("/", 1)[0]


def script_line(script: str) -> int:
    return 20 + zlib.crc32(script.encode()) % 400


def site_domain(uid: int) -> str:
    return f"{SITE_NAMES[uid - 1001]}.example"


def generate_phpmail(
    seed: int = DEFAULT_SEED,
    start: datetime = DEFAULT_START,
    days: float = 1.0,
    messages_per_day: int = DEFAULT_MESSAGES_PER_DAY,
    host: str = "mx1",
    incidents: bool = True,
    zone: str = DEFAULT_ZONE,
):
    """(maillog lines, maillog truth, mail.log lines, mail.log truth)."""
    sim = PostfixSimulator(
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=None,
    )
    sim.php_calls = []
    maillog: list[str] = []
    truth = sim.run(maillog.extend)
    lines, php_truth = mail_log(sim, seed, start, days, host, zone)
    return maillog, truth, lines, php_truth


def mail_log(
    sim, seed: int, start: datetime, days: float, host: str, zone: str = DEFAULT_ZONE
) -> tuple[list[str], dict]:
    """The mail.log lines of a simulator run whose `php_calls` were collected."""
    rng = random.Random(f"phpmail:{seed}")
    tz = ZoneInfo(zone)
    floor = sim.floor.replace(tzinfo=UTC)
    entries = []
    by_path: dict[str, int] = {}
    for t, uid, script, rcpts in sim.php_calls:
        logged = t - int(rng.random() * 900)  # PHP logs, then runs sendmail
        path = script_path(uid, script, start)
        by_path[path] = by_path.get(path, 0) + 1
        entries.append((logged, _line(floor, logged, tz, zone, uid, script, path, rcpts)))
    span = int(days * 86_400_000)
    unjoinable = int(round(_UNJOINABLE_PER_DAY * days))
    for i in range(unjoinable):
        uid = 1001 + int(rng.random() * len(SITE_NAMES))
        logged = sim.t0 + int(rng.random() * (span - 60_000))
        rcpt = f"formular-test{i}@{site_domain(uid).replace('.example', '')}.invalid"
        path = script_path(uid, "contact-form.php", start)
        entries.append(
            (logged, _line(floor, logged, tz, zone, uid, "contact-form.php", path, [rcpt]))
        )
    entries.sort(key=lambda e: e[0])
    lines = [line for _, line in entries]
    burst = script_path(1017, BURST_SCRIPT, start)
    php_truth = {
        "seed": seed,
        "start": start.isoformat(),
        "host": host,
        "zone": zone,
        "lines": len(lines),
        "entries": len(lines),
        "joinable": len(sim.php_calls),
        "unjoinable": unjoinable,
        "entries_by_script_path": dict(sorted(by_path.items())),
        "burst": {"uid": 1017, "script_path": burst, "entries": by_path.get(burst, 0)},
    }
    return lines, php_truth


def _line(floor, ms: int, tz, zone: str, uid: int, script: str, path: str, rcpts: list[str]) -> str:
    when = (floor + timedelta(milliseconds=ms)).astimezone(tz)
    domain = site_domain(uid)
    headers = f"From: {domain} <noreply@{domain}> X-Mailer: PHP/8.2.7"
    return (
        f"[{when:%d-%b-%Y %H:%M:%S} {zone}] mail() on [{path}:{script_line(script)}]: "
        f"To: {', '.join(rcpts)} -- Headers: {headers} -- Subject: {_SUBJECTS[script]}"
    )


def write_phpmail(maillog_path, php_path, truth_path=None, php_truth_path=None, **kw) -> dict:
    maillog, truth, lines, php_truth = generate_phpmail(**kw)
    with open(php_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(line + "\n" for line in lines))
    if maillog_path is not None:
        with open(maillog_path, "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(line + "\n" for line in maillog))
    for path, data in ((truth_path, truth), (php_truth_path, php_truth)):
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                json.dump(data, f, indent=2, ensure_ascii=False)
                f.write("\n")
    return php_truth
