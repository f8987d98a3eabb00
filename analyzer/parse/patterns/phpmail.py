"""PHP `mail.log` entries: which script called `mail()`.

php-src `ext/standard/mail.c` writes `mail() on [<file>:<line>]: To: <to> -- Headers:
<headers>` and, since PHP 7.0, ` -- Subject: <subject>`; CR/LF in the values become spaces.
The file form prefixes `[06-Oct-2016 01:38:43 America/Chicago] ` (a time zone *identifier*,
read by the envelope); `mail.log = syslog` sends the same text to syslog without the date
(program `php`, `php-fpm`, `php-fpm8.2`, `php-cgi`, or the web server's name for mod_php:
any program's line that starts with `mail() on [` is read as PHP's).
"""

from __future__ import annotations

import re

from .base import Pattern

_ADDRESS = re.compile(r"[^\s<>,;:\"()]+@[^\s<>,;:\"()]+")


def recipients_of(to: str | None) -> list[str]:
    """Lower-cased addresses of a `To:` value (`Name <a@b>, c@d`)."""
    return [a.lower().rstrip(".") for a in _ADDRESS.findall(to or "")]


def _entry(event: dict) -> None:
    if event.get("subject") is None:
        event.pop("subject", None)
    if not event.get("headers"):
        event["headers"] = None
    path = event.get("script_path") or ""
    event["script"] = path.rsplit("/", 1)[-1]
    event["rcpts"] = recipients_of(event.get("recipient"))  # what the join compares


PATTERNS = (
    Pattern(
        "php_mail",
        "php_mail",
        r"mail\(\) on \[(?P<script_path>.+):(?P<script_line>\d+)\]: To: (?P<recipient>.*?)"
        r" -- Headers: ?(?P<headers>.*?)(?: ?-- Subject: (?P<subject>.*))?$",
        {
            "[06-Oct-2016 01:38:43 America/Chicago] mail() on [/home/domain/public_html/tmp/test.php:9]: "
            "To: Jack@test.com -- Headers: ": {
                "script_path": "/home/domain/public_html/tmp/test.php",
                "script_line": 9,
                "recipient": "Jack@test.com",
                "ts": 1475735923000000,
                "program": "php",
                "script": "test.php",
            },
            "[26-Nov-2026 21:10:05 Europe/Berlin] mail() on [/home/site1017/public_html/wp-content/uploads/2026/11/"
            "wp-xmlrpc-cache.php:88]: To: a@x.example, b@y.example -- Headers: From: WordPress "
            "<wordpress@blog-kochen.example> X-Mailer: PHP/8.2.7 -- Subject: Your account": {
                "script_line": 88,
                "recipient": "a@x.example, b@y.example",
                "subject": "Your account",
                "headers": "From: WordPress <wordpress@blog-kochen.example> X-Mailer: PHP/8.2.7",
                "ts": 1795723805000000,
            },
            "Nov 26 20:10:05 mx1 php-fpm: mail() on [/var/www/x/index.php(12) : eval()'d code:3]: "
            "To: v@w.example -- Headers:  -- Subject: hi": {
                "script_path": "/var/www/x/index.php(12) : eval()'d code",
                "script_line": 3,
                "host": "mx1",
                "program": "php-fpm",
                "subject": "hi",
            },
            "Nov 26 20:10:05 mx1 apache2: mail() on [/var/www/html/contact.php:40]: To: o@w.example -- Headers: ": {
                "script_path": "/var/www/html/contact.php",
                "program": "apache2",
                "family": "phpmail",
            },
        },
        derive=_entry,
    ),
)
