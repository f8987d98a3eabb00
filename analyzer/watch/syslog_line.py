"""Alerts to syslog (`--output syslog`): one line per alert, sent as one datagram to
`/dev/log` (or another UNIX socket) with `logging.handlers.SysLogHandler`, ident
`analyzer`, the priority from the alert (crit, warning, notice for a closed one); or to a
remote server (`udp://HOST[:PORT]`, `tcp://HOST[:PORT]`) as RFC 5424 messages, which
carry their own time and host name (a relay cannot add them as the local syslogd does).
Fixed words and ids stand bare; every string from a log is a JSON string (quoted, ASCII,
control characters and quotes escaped), so it cannot end the line nor fake a field."""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from socket import socket as Socket
from urllib.parse import urlsplit

SOCKET = "/dev/log"
PORT = 514
FACILITY = "daemon"
SHOWN_IDS = 20  # ids of left-out alerts listed in a summary's line
_PRIORITY = {"crit": logging.CRITICAL, "warn": logging.WARNING}


def quoted(value: object) -> str:
    return json.dumps("" if value is None else str(value), ensure_ascii=True)


def message(alert: dict) -> str:
    """The syslog line of one alert (without priority and ident)."""
    if alert.get("kind") == "summary":
        ids = list(alert.get("left_out") or [])
        counts = ",".join(
            f"{kind}/{state}={n}"
            for kind, states in (alert.get("counts") or {}).items()
            for state, n in states.items()
        )
        more = f" +{len(ids) - SHOWN_IDS}" if len(ids) > SHOWN_IDS else ""
        return (
            f"summary {alert.get('id')} severity={alert.get('severity')} "
            f"left_out={len(ids)} counts={quoted(counts)} "
            f"ids={quoted(' '.join(ids[:SHOWN_IDS]) + more)}"
        )
    actions = " ".join(f"{a.get('what')}:{a.get('value')}" for a in alert.get("actions") or [])
    return (
        f"incident {quoted(alert.get('kind'))} {alert.get('id')} {quoted(alert.get('state'))} "
        f"severity={quoted(alert.get('severity'))} subject={quoted(alert.get('subject'))} "
        f"first_seen={quoted(alert.get('first_seen'))} last_seen={quoted(alert.get('last_seen'))} "
        f"title={quoted(alert.get('title'))} summary={quoted(alert.get('summary'))} "
        f"actions={quoted(actions)}" + _hosts(alert) + _applied(alert)
    )


def _hosts(alert: dict) -> str:
    """` hosts="mx1,mx2"`: where the incident was seen, when known, else ''."""
    hosts = alert.get("hosts") or []
    return f" hosts={quoted(','.join(map(str, hosts)))}" if hosts else ""


def _applied(alert: dict) -> str:
    """` applied="block_ip:203.0.113.66=applied ..."` under --apply, else ''."""
    if "applied" not in alert:
        return ""
    done = " ".join(f"{a.get('what')}:{a.get('value')}={a.get('result')}" for a in alert["applied"])
    return f" applied={quoted(done)}"


def level(alert: dict) -> int:
    if alert.get("state") == "closed":
        return logging.INFO  # mapped to notice below
    return _PRIORITY.get(str(alert.get("severity")), logging.WARNING)


class _Handler(logging.handlers.SysLogHandler):
    """A SysLogHandler whose send failures go to `on_error` instead of a traceback."""

    def __init__(
        self,
        address: str | tuple[str, int],
        facility: int,
        on_error: Callable[[str], None],
        socktype: int | None = None,
    ):
        self.on_error = on_error
        super().__init__(address=address, facility=facility, socktype=socktype)  # type: ignore[arg-type]
        self.ident = "analyzer: "

    def mapPriority(self, levelName: str) -> str:  # noqa: N802 (the stdlib's name)
        return "notice" if levelName == "INFO" else super().mapPriority(levelName)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (the stdlib's name)
        error = sys.exc_info()[1]
        self.on_error(f"syslog {self.address}: alert not sent ({error})")


class _Remote(_Handler):
    """RFC 5424 to a syslog server: `<PRI>1 TIME HOST analyzer PID - - MSG`, one UDP
    datagram or one octet-counted TCP frame (RFC 6587) per alert. A TCP server that is
    down is tried again at each alert."""

    socket: Socket | None

    def __init__(self, address: tuple[str, int], socktype: int, facility: int, on_error):
        self.hostname = _hostname()
        try:
            super().__init__(address, facility, on_error, socktype)
        except OSError:  # TCP: nobody listens yet; emit connects again
            self.socket = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            pri = self.encodePriority(self.facility, self.mapPriority(record.levelname))
            now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            head = f"<{pri}>1 {now} {self.hostname} analyzer {os.getpid()} - - "
            frame = (head + record.getMessage()).encode("ascii", "backslashreplace")
            if not self.socket:
                self.createSocket()
            sock = self.socket
            assert sock is not None  # createSocket raises when it cannot make one
            if self.socktype == socket.SOCK_DGRAM:
                sock.sendto(frame, self.address)
                return
            try:
                sock.sendall(b"%d %s" % (len(frame), frame))
            except OSError:
                sock.close()
                self.socket = None
                raise
        except Exception:
            self.handleError(record)


def _hostname() -> str:
    """This host's name as RFC 5424 allows it (printable ASCII, no space), else `-`."""
    name = socket.gethostname()
    ok = name and len(name) <= 255 and all(33 <= ord(c) <= 126 for c in name)
    return name if ok else "-"


def server_address(url: str) -> tuple[tuple[str, int], int]:
    """`udp://HOST[:PORT]` or `tcp://HOST[:PORT]` -> ((host, port), socket type)."""
    parts = urlsplit(url)
    kinds = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM}
    try:
        port = parts.port or PORT
    except ValueError:
        raise ValueError(f"{url!r}: the port is not a number from 0 to 65535") from None
    if parts.scheme not in kinds or not parts.hostname or parts.path or parts.query:
        raise ValueError(f"{url!r}: expected udp://HOST[:PORT] or tcp://HOST[:PORT]")
    return (parts.hostname, port), kinds[parts.scheme]


class Syslog:
    """Send each alert as one line to the syslog socket `address` (default /dev/log),
    or to the server `server` (`udp://HOST[:PORT]`, `tcp://HOST[:PORT]`). As with
    openlog(3), a socket nobody listens on yet is not an error (`connected` says so;
    each send tries again); a send that fails is reported through `on_error` and the
    watch goes on."""

    def __init__(
        self,
        address: str = SOCKET,
        facility: str = FACILITY,
        on_error: Callable[[str], None] | None = None,
        server: str | None = None,
    ):
        names = logging.handlers.SysLogHandler.facility_names
        if facility not in names:
            raise ValueError(f"unknown facility {facility!r} (one of {', '.join(sorted(names))})")
        report = on_error or (lambda text: print(text, file=sys.stderr))
        if server is None:
            self.handler: _Handler = _Handler(address, names[facility], report)
        else:
            where, socktype = server_address(server)
            self.handler = _Remote(where, socktype, names[facility], report)

    @property
    def connected(self) -> bool:
        sock = getattr(self.handler, "socket", None)  # closed (fileno -1) when it failed
        return sock is not None and sock.fileno() != -1

    def __call__(self, alert: dict) -> None:
        record = logging.LogRecord(
            "analyzer.watch", level(alert), __file__, 0, message(alert), None, None
        )
        self.handler.emit(record)

    def close(self) -> None:
        self.handler.close()
