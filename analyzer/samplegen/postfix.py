"""Synthetic Postfix syslog traffic with planted abuse incidents and exact ground truth.

Owns the generator behind ``sample_logs/maillog`` and the benchmark inputs. It simulates one
shared-hosting mail server (``mx1``): inbound mail for eight customer domains, SASL
submissions on ports 587/465, PHP ``mail()`` and cron submissions via pickup, outbound
deliveries with deferrals, bounces and expiries, rejects, SASL failures and the chatter of
postscreen, anvil, dovecot, amavis and opendkim. Outbound mail (SASL submissions and
pickup) passes amavis as a content filter: handed over on 127.0.0.1:10024 and re-injected
on 127.0.0.1:10025 as a new queue id, which makes the deliveries. Four incidents are planted (a compromised
SASL account, a PHP spam script, a relay-denied spike from a customer's web app on
localhost, an SMTP AUTH brute force) and everything emitted is counted into a truth dict.

Design points:

- Deterministic: all randomness comes from ``random.Random`` instances seeded from ``seed``;
  no wall clock, no global RNG. The same arguments give byte-identical output. Only
  ``random()`` and ``getrandbits()`` are used: Python keeps their output for a seed stable
  across versions (it does not promise that for ``choice``/``sample``/``randrange``).
- Time-ordered streaming: scenarios are generated hour by hour (in start-time order); each
  scenario appends ``(ms, program, text)`` events, and at the end of every hour the events
  that fall into it are sorted (stably, so a message's own lines keep their causal order)
  and written. Only the events of the next few minutes (plus a handful of long deferral
  retries) are ever held in memory.
- Fast: the syslog prefix is built once per hour from a table of ``MM:SS`` strings and the
  per-program line counts are taken with one C-level ``Counter.update`` per hour.
- Every timestamp is naive UTC wall time, in BSD syslog form ``Nov  6 09:05:01``.
- Every address and domain uses reserved names (``*.example``) and every IP address comes
  from reserved ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 198.18.0.0/15,
  2001:db8::/32, 10.0.0.1 for the server itself).
"""

from __future__ import annotations

import gc
import json
import random
from base64 import b64encode
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from operator import itemgetter

DEFAULT_SEED = 2026
DEFAULT_START = datetime(2026, 11, 26, 0, 0, 0)
DEFAULT_MESSAGES_PER_DAY = 2400

_HOUR = 3_600_000  # ms
_MINUTE = 60_000
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FIRST, _PROGRAM = itemgetter(0), itemgetter(1)

# Relative traffic per hour of day (mean 1.0): quiet nights, office-hours peak.
_DIURNAL_RAW = (
    0.25,
    0.2,
    0.18,
    0.18,
    0.2,
    0.3,
    0.6,
    1.0,
    1.5,
    1.8,
    1.9,
    1.8,
    1.6,
    1.7,
    1.8,
    1.7,
    1.5,
    1.2,
    0.9,
    0.8,
    0.7,
    0.6,
    0.45,
    0.35,
)
_DIURNAL = tuple(w * 24 / sum(_DIURNAL_RAW) for w in _DIURNAL_RAW)

# Background volume at scale 1.0 (messages_per_day == DEFAULT_MESSAGES_PER_DAY).
_MSGS_PER_HOUR = DEFAULT_MESSAGES_PER_DAY / 24
_MIX_INBOUND, _MIX_SASL = 0.55, 0.26  # the rest (0.19) is PHP mail()
_PER_HOUR_FLAT = {  # noise that does not follow office hours (bots never sleep)
    "relay_probe": 3.0,
    "rbl": 1.0,
    "unknown_rcpt": 1.5,
    "helo": 0.5,
    "sender": 0.4,
    "auth_bot": 2.5,
    "lost_connect": 0.6,
}
_PER_MESSAGE = {"postscreen": 0.3, "imap": 0.35}

SERVER_IP = "10.0.0.1"
QUEUE_LIFETIME_MS = 12 * _HOUR  # simulated maximal_queue_lifetime = 12h

HOSTED_DOMAINS = (
    ("shop-anna.example", "lmtp", ("info", "office", "anna", "orders", "support")),
    ("bakery-berlin.example", "lmtp", ("info", "bestellung", "max", "lisa")),
    (
        "kanzlei-weber.example",
        "lmtp",
        ("kanzlei", "weber", "sekretariat", "j.schmidt", "buchhaltung"),
    ),
    ("praxis-mueller.example", "lmtp", ("praxis", "dr.mueller", "empfang", "termine")),
    ("hotel-seeblick.example", "lmtp", ("rezeption", "info", "reservierung", "events", "chef")),
    ("autohaus-klein.example", "lmtp", ("verkauf", "service", "klein", "teile")),
    ("verein-tsv.example", "virtual", ("vorstand", "kasse", "jugend")),
    ("studio-lena.example", "virtual", ("lena", "hello", "booking")),
)
_RECEIVE_ONLY = {"orders@shop-anna.example", "termine@praxis-mueller.example"}

# Web sites of the hosting customers, one unix user each (uid 1001..1030).
_SITE_NAMES = (
    "shop-anna",
    "bakery-berlin",
    "kanzlei-weber",
    "praxis-mueller",
    "hotel-seeblick",
    "autohaus-klein",
    "verein-tsv",
    "studio-lena",
    "gartenbau-fischer",
    "fahrschule-becker",
    "zahnarzt-hoffmann",
    "pension-alpenblick",
    "weingut-schaefer",
    "yoga-mitte",
    "tierarzt-wolf",
    "elektro-richter",
    "blog-kochen",
    "malerei-koch",
    "physio-bauer",
    "cafe-kranich",
    "immobilien-lang",
    "reitstall-schulz",
    "musikschule-krause",
    "friseur-engel",
    "baeckerei-ost",
    "foto-meier",
    "kita-sonnenschein",
    "schreinerei-vogel",
    "druckerei-braun",
    "verlag-horn",
)
_LEGIT_SCRIPTS = (
    "contact-form.php",
    "wp-mail.php",
    "class-phpmailer.php",
    "order-confirm.php",
    "newsletter.php",
    "booking-notify.php",
    "PHPMailer.php",
    "mailer.php",
)

# Big mailbox providers: (domain, MX host, MX ip, response style)
_PROVIDERS = (
    ("gmail.example", "gmail-smtp-in.l.google.example", "198.51.100.27", "gsmtp"),
    ("outlook.example", "outlook-com.olc.protection.outlook.example", "198.51.100.40", "ms"),
    ("gmx.example", "mx00.gmx.example", "198.51.100.51", "queued"),
    ("web.example", "mx-ha03.web.example", "198.51.100.52", "queued"),
    ("t-online.example", "mx00.t-online.example", "198.51.100.60", "queued"),
    ("yahoo.example", "mta7.am0.yahoodns.example", "198.51.100.70", "queued"),
    ("icloud.example", "mx01.mail.icloud.example", "198.51.100.80", "queued"),
    ("posteo.example", "mx01.posteo.example", "198.51.100.90", "queued"),
)
_NOWHERE = ("nowhere.example", "mx.nowhere.example", "192.0.2.9", "queued")

_WORDS = (
    "nord",
    "sued",
    "blau",
    "gruen",
    "stern",
    "berg",
    "tal",
    "see",
    "wald",
    "feld",
    "stadt",
    "land",
    "haus",
    "hof",
    "bruck",
    "linde",
    "eiche",
    "rot",
    "gold",
    "silber",
    "alpha",
    "delta",
    "nova",
    "terra",
    "prime",
    "vista",
    "orbit",
    "pixel",
    "quant",
    "atlas",
    "fluss",
    "brise",
    "sonne",
    "mond",
    "kiesel",
    "moos",
    "fels",
    "heide",
    "ufer",
    "anker",
)
_FIRST_NAMES = (
    "anna",
    "ben",
    "clara",
    "david",
    "emma",
    "felix",
    "greta",
    "hanna",
    "jonas",
    "julia",
    "karl",
    "lara",
    "leon",
    "lena",
    "lukas",
    "marie",
    "max",
    "mia",
    "noah",
    "paul",
    "peter",
    "sara",
    "sophie",
    "tim",
    "tom",
    "ute",
    "vera",
    "walter",
    "yvonne",
    "zoe",
    "maria",
    "stefan",
    "thomas",
    "sabine",
    "klaus",
    "monika",
    "frank",
    "petra",
    "jan",
    "ines",
)
_LAST_NAMES = (
    "mueller",
    "schmidt",
    "schneider",
    "fischer",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "schulz",
    "hoffmann",
    "koch",
    "richter",
    "klein",
    "wolf",
    "neumann",
    "schwarz",
    "braun",
    "zimmermann",
    "krueger",
    "hartmann",
    "lange",
    "werner",
    "krause",
    "lehmann",
)
_SENDER_LOCALS = (
    "newsletter",
    "noreply",
    "info",
    "rechnung",
    "service",
    "kontakt",
    "news",
    "support",
    "billing",
    "notifications",
    "team",
    "order",
)

_BRUTE_USERNAMES = (
    "admin",
    "test",
    "info",
    "admin@shop-anna.example",
    "info@shop-anna.example",
    "office@shop-anna.example",
    "support@shop-anna.example",
    "sales@shop-anna.example",
    "test@shop-anna.example",
    "webmaster@shop-anna.example",
    "anna@shop-anna.example",
    "info@bakery-berlin.example",
    "admin@bakery-berlin.example",
    "max@bakery-berlin.example",
    "info@hotel-seeblick.example",
    "rezeption@hotel-seeblick.example",
    "admin@hotel-seeblick.example",
    "kanzlei@kanzlei-weber.example",
    "admin@kanzlei-weber.example",
    "praxis@praxis-mueller.example",
    "verkauf@autohaus-klein.example",
    "service@autohaus-klein.example",
    "postmaster@mx1.example",
    "root",
    "user",
    "contact@studio-lena.example",
    "lena@studio-lena.example",
    "vorstand@verein-tsv.example",
    "scanner@shop-anna.example",
    "backup",
)

_TLS_IN = (
    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
    "server-signature RSA-PSS (2048 bits) server-digest SHA256"
)
_TLS_OUT = "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"

# Delay strings in Postfix style: "0", "0.07", "0.21", "1.2", "12" (table up to 10 s).
_DELAY_TABLE = tuple(
    "0"
    if cs == 0
    else (
        f"0.{cs:02d}".rstrip("0")
        if cs < 100
        else (f"{cs // 100}.{(cs // 10) % 10}" if (cs // 10) % 10 else str(cs // 100))
    )
    for cs in range(1000)
)


def _d(ms: int) -> str:
    """Postfix-style rendering of a duration given in milliseconds."""
    return _DELAY_TABLE[ms // 10] if ms < 10_000 else str(ms // 1000)


_COUNTERS_CACHE: dict[tuple, str] = {}
_HITS = tuple(f"{(i - 3000) / 1000:.3f}" for i in range(5000))  # amavis spam scores


def _counters(parts: tuple) -> str:
    """Postfix 3.x disconnect counters: ``ehlo=1 auth=0/1 quit=1 commands=2/3``."""
    text = _COUNTERS_CACHE.get(parts)
    if text is None:
        text = _COUNTERS_CACHE[parts] = _format_counters(parts)
    return text


def _inbound_counters(tls: bool, k: int) -> str:
    ehlo = (("ehlo", 2, 2), ("starttls", 1, 1)) if tls else (("ehlo", 1, 1),)
    return _counters(ehlo + (("mail", 1, 1), ("rcpt", k, k), ("data", 1, 1), ("quit", 1, 1)))


def _format_counters(parts: tuple) -> str:
    out = []
    ok_sum = tot_sum = 0
    for name, ok, tot in parts:
        ok_sum += ok
        tot_sum += tot
        out.append(f"{name}={ok}" if ok == tot else f"{name}={ok}/{tot}")
    out.append(f"commands={ok_sum}" if ok_sum == tot_sum else f"commands={ok_sum}/{tot_sum}")
    return " ".join(out)


_INBOUND_COUNTERS = {
    (tls, k): _inbound_counters(tls, k) for tls in (False, True) for k in (1, 2, 3)
}


def next_attempt(last: int, attempt: int, deferred: list, r, t_end: int) -> int:
    """When deferred recipients are tried again (ms): a growing backoff after connection
    failures (`x`), a few minutes otherwise; early near the end of the window (a flush).
    Shared by every MTA's generator."""
    if any(rc[2][-1] == "x" for rc in deferred):
        backoff = min(300_000 * 2 ** (attempt - 1), 4_000_000)
    else:
        backoff = 300_000 + int(r() * 1_500_000)
    t = last + backoff + int(r() * 60_000)
    if t > t_end - 100_000:
        t = max(t_end - 100_000, last + 1000)
    return t


class _ProcessPool:
    """Processes of one Postfix service that handle one session at a time.

    A process is reused for a new session when it is idle and has not yet reached
    ``max_use``; it exits after ``max_idle`` ms without work (Postfix defaults 100 / 100 s).
    """

    __slots__ = ("sim", "procs")

    def __init__(self, sim: _Simulator):
        self.sim = sim
        self.procs: list[list[int]] = []  # [free_at_ms, pid, uses]

    def acquire(self, t: int) -> list[int]:
        procs = self.procs
        for p in procs:
            if p[0] <= t and t - p[0] <= 100_000:
                p[2] += 1
                p[0] = t
                if p[2] >= 100:  # this is its last session: it exits afterwards
                    procs.remove(p)
                return p
        if len(procs) > 16:
            self.prune(t - 200_000)
        p = [t, self.sim.new_pid(), 1]
        self.procs.append(p)
        return p

    def prune(self, before: int) -> None:
        self.procs = [p for p in self.procs if p[0] >= before]


class _RotatingPids:
    """Helper processes (cleanup, smtp, lmtp ...): ``live`` processes take jobs in turn and
    each is replaced by a new pid after ``max_use`` (100) jobs. ``get`` returns the line
    prefix ``"postfix/smtp[4711]: "``."""

    __slots__ = ("sim", "program", "prefixes", "uses", "turn")

    def __init__(self, sim: _Simulator, program: str, live: int):
        self.sim = sim
        self.program = program
        self.prefixes = [f"{program}[{sim.new_pid()}]: " for _ in range(live)]
        self.uses = [int(sim.rng.random() * 60) for _ in range(live)]
        self.turn = 0

    def get(self) -> str:
        i = self.turn = (self.turn + 1) % len(self.prefixes)
        self.uses[i] += 1
        if self.uses[i] > 100:
            self.prefixes[i] = f"{self.program}[{self.sim.new_pid()}]: "
            self.uses[i] = 0
        return self.prefixes[i]


class _Simulator:
    """One simulated server; ``run`` streams its log hour by hour into a sink."""

    def __init__(
        self,
        *,
        seed: int,
        start: datetime,
        days: float,
        host: str,
        incidents: bool,
        messages_per_day: float | None,
        target_lines: int | None,
    ):
        if days <= 0:
            raise ValueError("days must be positive")
        if target_lines is not None and target_lines <= 0:
            raise ValueError("target_lines must be positive")
        if messages_per_day is not None and messages_per_day < 0:
            raise ValueError("messages_per_day must not be negative")
        if start.tzinfo is not None:
            raise ValueError("start must be a naive datetime (UTC wall time)")
        self.seed = seed
        self.start = start
        self.host = host
        self.myhost = f"{host}.example"
        self.lmtp_relay = f"{self.myhost}[private/dovecot-lmtp]"
        self.floor = start.replace(minute=0, second=0, microsecond=0)
        self.epoch = int((self.floor - datetime(1970, 1, 1)).total_seconds())
        self.t0 = int((start - self.floor).total_seconds()) * 1000
        self.t_end = self.t0 + round(days * 86400) * 1000
        self.last_start = self.t_end - 180_000  # scenarios finish within 3 minutes
        self.target_lines = target_lines
        self.scale = (
            messages_per_day if messages_per_day is not None else DEFAULT_MESSAGES_PER_DAY
        ) / DEFAULT_MESSAGES_PER_DAY
        self.rng = random.Random(f"postfix-background:{seed}")
        self.getrandbits = self.rng.getrandbits
        self._b64_pool, self._b64_pos = "", 0
        self._hex_pool, self._hex_pos = "", 0
        self.irng = random.Random(f"postfix-incidents:{seed}")

        self.events: list[tuple[int, str, str]] = []
        self.lines = 0
        self.prog_counts: Counter = Counter()
        self._pid = 1000 + int(self.rng.random() * 20000)
        self._qcount = {10: 0, 11: 0, 12: 0}
        self._qoff = {n: self.rng.getrandbits(4 * n) for n in (10, 11, 12)}
        self._used_ips: set[str] = {SERVER_IP, "127.0.0.1", "203.0.113.66"}

        # counters for the truth file, incremented where the lines are emitted
        self.origins = Counter({"sasl": 0, "local": 0, "smtp": 0, "bounce": 0})
        self.deliveries = Counter({"sent": 0, "deferred": 0, "bounced": 0})
        self.expired = 0
        self.reject_classes = Counter(
            {
                "relay_denied": 0,
                "rbl": 0,
                "unknown_recipient": 0,
                "helo_rejected": 0,
                "sender_rejected": 0,
            }
        )
        self.postscreen_rejects = 0
        self.auth_failures = 0
        self.identities: Counter = Counter()
        self.filter_handovers = 0  # deliveries to amavis on 10024 (one per recipient)
        self.reinjected = 0  # messages amavis handed back on 10025
        self.identity_of: dict[str, str] = {}  # queue id -> identity (its bounce notice's too)
        self.notices: Counter = Counter()  # bounce notices charged per identity

        self._build_world()
        self._build_pids()
        self._sched: dict[int, list] = {}
        self._conns: list[tuple[int, str]] = []  # smtpd connects for anvil statistics
        self._days_scheduled: set = set()  # dates whose per-day schedule is planned

        # reused queue id: the first inbound message after reuse_at[0] lends its queue id to
        # the first inbound message after reuse_at[1]
        span = self.t_end - self.t0
        self.reuse_at = (
            self.t0 + min(3 * _HOUR, span * 15 // 100),
            self.t0 + min(15 * _HOUR, span * 60 // 100),
        )
        self.reused_qid: str | None = None
        self._reuse_done = False
        self._reuse_pending = True

        self._inc_state: dict = {}  # per planted incident: its window and counters
        # (ms, uid, script, recipients) of every PHP mail() call, when a caller wants them
        # (`phpmail.py` writes the matching mail.log); filling it draws no random numbers
        self.php_calls: list | None = None
        if incidents:
            self._plan_incidents()

    # ------------------------------------------------------------------ primitives
    def new_pid(self) -> int:
        self._pid += 1 + int(self.rng.random() * 12)
        if self._pid > 4_194_000:
            self._pid = 300 + int(self.rng.random() * 500)
        return self._pid

    def qid(self) -> str:
        """A fresh queue id, unique for the run: a bijective scramble of a per-length counter."""
        r = self.rng.random()
        n = 10 if r < 0.8 else (11 if r < 0.95 else 12)
        c = self._qcount[n]
        self._qcount[n] = c + 1
        bits = 4 * n
        mask = (1 << bits) - 1
        x = (c * 0x9E3779B97F4A7C15 + self._qoff[n]) & mask
        x ^= x >> (bits // 2)
        x = (x * 0xD6E8FEB86659FD93) & mask
        x ^= x >> (bits // 3)
        return f"{x:0{n}X}"

    def fresh_ipv4(self, rng: random.Random | None = None) -> str:
        """An address from 198.18.0.0/15 that no other role has used yet."""
        r = (rng or self.rng).random
        while True:
            ip = f"198.{18 + int(r() * 2)}.{int(r() * 256)}.{1 + int(r() * 254)}"
            if ip not in self._used_ips:
                self._used_ips.add(ip)
                return ip

    def fresh_ipv6(self, rng: random.Random | None = None) -> str:
        r = (rng or self.rng).random
        while True:
            ip = f"2001:db8:{int(r() * 0xFFFF):x}::{1 + int(r() * 0xFFFE):x}"
            if ip not in self._used_ips:
                self._used_ips.add(ip)
                return ip

    def iso(self, t: int) -> str:
        return (self.floor + timedelta(seconds=t // 1000)).isoformat()

    def syslog_time(self, t: int) -> str:
        d = self.floor + timedelta(seconds=t // 1000)
        return f"{_MONTHS[d.month - 1]} {d.day:>2} {d:%H:%M:%S}"

    def stamp14(self, t: int) -> str:
        return f"{self.floor + timedelta(seconds=t // 1000):%Y%m%d%H%M%S}"

    def _b64(self, n: int) -> str:
        """``n`` random alphanumeric characters (session ids, mail ids), cut from a random pool."""
        p = self._b64_pos
        q = p + n
        if q > len(self._b64_pool):
            raw = self.getrandbits(8 * 3 * 8192).to_bytes(3 * 8192, "little")
            self._b64_pool = b64encode(raw, altchars=b"Xq").decode()
            p, q = 0, n
        self._b64_pos = q
        return self._b64_pool[p:q]

    def _hex(self, n: int) -> str:
        """``n`` random lower-case hex digits, cut from a random pool."""
        p = self._hex_pos
        q = p + n
        if q > len(self._hex_pool):
            self._hex_pool = f"{self.getrandbits(4 * 32768):032768x}"
            p, q = 0, n
        self._hex_pos = q
        return self._hex_pool[p:q]

    # ------------------------------------------------------------------ world
    def _build_world(self) -> None:
        w = random.Random(f"postfix-world:{self.seed}")
        wr = w.random
        self.mailboxes = []  # (address, transport)
        for dom, transport, locals_ in HOSTED_DOMAINS:
            for lp in locals_:
                self.mailboxes.append((f"{lp}@{dom}", transport))
        self.mailbox_transport = dict(self.mailboxes)
        self.mailbox_rcpts = [(a, (transport,), "s") for a, transport in self.mailboxes]
        self.postmaster_rcpt = (
            f"postmaster@{self.myhost}",
            ("local", f"root@{self.myhost}", f"postmaster@{self.myhost}"),
            "s",
        )
        self.mailbox_weights = [0.3 + wr() * 3 for _ in self.mailboxes]
        self._mailbox_cum = _cumulative(self.mailbox_weights)

        # SASL accounts: every mailbox that sends, except the specially scheduled bakery one
        self.bakery = "info@bakery-berlin.example"
        accounts = []
        for addr, _ in self.mailboxes:
            if addr in _RECEIVE_ONLY or addr == self.bakery:
                continue
            n_ips = 1 if wr() < 0.5 else 2
            ips = []
            for _ in range(n_ips):
                if wr() < 0.1:
                    ips.append(("unknown", self.fresh_ipv6(w)))
                else:
                    ip = self.fresh_ipv4(w)
                    a, b, c, d = ip.split(".")
                    name = "unknown" if wr() < 0.3 else f"dslb-{a}-{b}-{c}-{d}.pools.example.net"
                    ips.append((name, ip))
            accounts.append(
                (
                    addr,
                    "PLAIN" if wr() < 0.7 else "LOGIN",
                    "smtps" if wr() < 0.15 else "submission",
                    ips,
                )
            )
        self.accounts = accounts
        self._account_cum = _cumulative([0.2 + wr() ** 2 * 4 for _ in accounts])
        office = self.fresh_ipv4(w)
        self.bakery_ips = (
            ("unknown", office),
            (f"mobile-{office.replace('.', '-')}.net.example", self.fresh_ipv4(w)),
        )

        # web sites: uid -> (domain, owner address, scripts)
        self.sites = {}
        hosted = {d for d, _, _ in HOSTED_DOMAINS}
        for i, name in enumerate(_SITE_NAMES):
            uid = 1001 + i
            dom = f"{name}.example"
            if dom in hosted:
                owner = next(a for a, _ in self.mailboxes if a.endswith("@" + dom))
            else:
                owner = f"{name.split('-')[0]}.{name.split('-')[-1]}@{_PROVIDERS[int(wr() * 3)][0]}"
            # one or two legitimate scripts per site
            first = int(wr() * len(_LEGIT_SCRIPTS))
            second = (first + 1 + int(wr() * (len(_LEGIT_SCRIPTS) - 1))) % len(_LEGIT_SCRIPTS)
            scripts = (
                (_LEGIT_SCRIPTS[first],)
                if wr() < 0.6
                else (_LEGIT_SCRIPTS[first], _LEGIT_SCRIPTS[second])
            )
            self.sites[uid] = (dom, owner, scripts)
        self._site_cum = _cumulative([0.2 + wr() ** 2 * 3 for _ in _SITE_NAMES])

        # outbound destinations: big providers (heavy) and business domains with own MX
        self.dest = [(d, mx, ip, style) for d, mx, ip, style in _PROVIDERS]
        dest_w = [9, 6, 5, 5, 4, 2, 2, 1]
        for i in range(120):
            dom = f"{_WORDS[int(wr() * len(_WORDS))]}-{_WORDS[int(wr() * len(_WORDS))]}{i}.example"
            self.dest.append((dom, f"mx.{dom}", self.fresh_ipv4(w), "queued"))
            dest_w.append(0.2 + wr() * 0.4)
        self._dest_cum = _cumulative(dest_w)
        self.dest_route = {d: ("smtp", mx, ip, style) for d, mx, ip, style in self.dest}

        # internet MTAs that send us mail: (name, ip, helo, sender domain, claimed hostname)
        mtas = []
        for i in range(320):
            word = _WORDS[int(wr() * len(_WORDS))]
            sdom = f"{word}{i}.example.org"
            r = wr()
            if r < 0.1:
                ip = self.fresh_ipv6(w)
                name = f"mail-{word}{i}.example.net"
                mtas.append((name, ip, name, sdom, None))
            elif r < 0.25:
                ip = self.fresh_ipv4(w)
                claimed = f"mail.{word}{i}.example.net" if wr() < 0.5 else None
                mtas.append(("unknown", ip, claimed or f"[{ip}]", sdom, claimed))
            else:
                ip = self.fresh_ipv4(w)
                name = (
                    f"mail-{word}{i}.example.net"
                    if r < 0.7
                    else f"mx{1 + int(wr() * 4)}.{word}{i}.example.com"
                )
                mtas.append((name, ip, name, sdom, None))
        # + precomputed "name[ip]", identity and anvil key
        self.mtas = [m + (f"{m[0]}[{m[1]}]", f"ip:{m[1]}", f"smtp:{m[1]}") for m in mtas]
        self._mta_cum = _cumulative([1.0 / (1 + i) ** 0.8 for i in range(len(self.mtas))])

    def _build_pids(self) -> None:
        self.qmgr = f"postfix/qmgr[{self.new_pid()}]: "
        self._pickup_pid, self._pickup_uses = self.new_pid(), 0
        self._postscreen = f"postfix/postscreen[{self.new_pid()}]: "
        self._anvil_pid = self.new_pid()
        self.cleanup = _RotatingPids(self, "postfix/cleanup", 3)
        self.smtp = _RotatingPids(self, "postfix/smtp", 5)
        self.lmtp = _RotatingPids(self, "postfix/lmtp", 3)
        self.virtual = _RotatingPids(self, "postfix/virtual", 1)
        self.local = _RotatingPids(self, "postfix/local", 1)
        self.bounce = _RotatingPids(self, "postfix/bounce", 1)
        self.amavis = [[self.new_pid(), 0], [self.new_pid(), 0]]
        self.opendkim = self.new_pid()
        self.smtpd_pools = {
            svc: _ProcessPool(self) for svc in ("smtpd", "submission/smtpd", "smtps/smtpd")
        }
        self.reinject_smtpd = _ProcessPool(self)  # the 127.0.0.1:10025 listener (postfix/smtpd)

    def pickup(self) -> str:
        self._pickup_uses += 1
        if self._pickup_uses > 100:
            self._pickup_pid, self._pickup_uses = self.new_pid(), 0
        return f"postfix/pickup[{self._pickup_pid}]: "

    def mailbox(self) -> str:
        return self.mailboxes[_pick_cum(self._mailbox_cum, self.rng.random())][0]

    def external_rcpt(self, rng: random.Random | None = None, wide: bool = False) -> tuple:
        """(address, route) for an outbound recipient; ``wide`` draws from a much larger,
        mostly unseen set of domains (spam runs)."""
        r = (rng or self.rng).random
        if wide and r() < 0.6:
            dom = f"{_WORDS[int(r() * len(_WORDS))]}{_WORDS[int(r() * len(_WORDS))]}{int(r() * 900)}.example"
            route = (
                "smtp",
                f"mx.{dom}",
                f"198.{18 + int(r() * 2)}.{int(r() * 256)}.{1 + int(r() * 254)}",
                "queued",
            )
        else:
            d = self.dest[_pick_cum(self._dest_cum, r())]
            dom, route = d[0], ("smtp", d[1], d[2], d[3])
        lp = _FIRST_NAMES[int(r() * len(_FIRST_NAMES))]
        x = r()
        if x < 0.4:
            lp = f"{lp}.{_LAST_NAMES[int(r() * len(_LAST_NAMES))]}"
        elif x < 0.8:
            lp = f"{lp}{int(r() * 2000)}"
        return f"{lp}@{dom}", route

    def route_to(self, addr: str) -> tuple:
        """Route for a known address: a hosted mailbox (lmtp/virtual), a unix user of this
        host (local) or a known destination domain (smtp)."""
        transport = self.mailbox_transport.get(addr)
        if transport is not None:
            return (transport,)
        domain = addr.rsplit("@", 1)[1]
        if domain == self.myhost:
            return ("local", addr, None)
        return self.dest_route[domain]

    # ------------------------------------------------------------------ emit / flush
    def _flush(self, h: int, sink: Callable[[list[str]], None]) -> None:
        ev = self.events
        ev.sort(key=_FIRST)
        h_end = (h + 1) * _HOUR
        i = bisect_left(ev, h_end, key=_FIRST)
        if not i:
            return
        chunk = ev[:i]
        del ev[:i]
        assert chunk[0][0] >= h * _HOUR, "event emitted into an already written hour"
        d = self.floor + timedelta(hours=h)
        head = f"{_MONTHS[d.month - 1]} {d.day:>2} {d.hour:02d}:"
        prefixes = [head + s for s in self._mmss]
        base = h * 3600
        self.prog_counts.update(map(_PROGRAM, chunk))
        self.lines += i
        sink([prefixes[t // 1000 - base] + text for t, _, text in chunk])

    # ------------------------------------------------------------------ run
    def run(self, sink: Callable[[list[str]], None]) -> dict:
        # Millions of short-lived, acyclic tuples: the cyclic GC would only rescan them.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(sink)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _run(self, sink: Callable[[list[str]], None]) -> dict:
        self._mmss = [f"{m:02d}:{s:02d} {self.host} " for m in range(60) for s in range(60)]
        h_first = self.t0 // _HOUR
        h_last = (self.t_end - 1) // _HOUR
        controller = _VolumeController(self) if self.target_lines else None
        for h in range(h_first, h_last + 1):
            lo = max(h * _HOUR, self.t0)
            hi = min((h + 1) * _HOUR, self.last_start)
            day = (self.floor + timedelta(hours=h)).date()
            if day not in self._days_scheduled:
                self._days_scheduled.add(day)
                self._plan_day(h)
            if controller:
                self.scale = controller.next_scale()
            items = self._background(h, lo, hi) if hi > lo else []
            items.extend(self._sched.pop(h, ()))
            items.sort(key=_FIRST)
            lines_before = len(self.events)
            for t, fn, args in items:
                fn(t, *args)
            self._anvil(h)
            if controller:
                controller.observe(len(self.events) - lines_before)
            for pool in self.smtpd_pools.values():
                pool.prune(h * _HOUR - 200_000)
            self._flush(h, sink)
        assert not self.events, "events beyond the end of the window"
        assert not self._sched, "scheduled scenarios beyond the end of the window"
        return self._truth()

    def _background(self, h: int, lo: int, hi: int) -> list:
        r = self.rng.random
        span = hi - lo
        frac = span / _HOUR
        hod = (self.floor + timedelta(hours=h)).hour
        msgs = _MSGS_PER_HOUR * _DIURNAL[hod] * self.scale * frac * (0.85 + 0.3 * r())
        items = []

        def add(expected: float, fn, args=()) -> None:
            n = int(expected)
            if r() < expected - n:
                n += 1
            for _ in range(n):
                items.append((lo + int(r() * span), fn, args))

        add(msgs * _MIX_INBOUND, self.inbound)
        add(msgs * _MIX_SASL, self.sasl_background)
        add(msgs * (1 - _MIX_INBOUND - _MIX_SASL), self.php_background)
        add(msgs * _PER_MESSAGE["postscreen"], self.postscreen_noise)
        add(msgs * _PER_MESSAGE["imap"], self.imap_session)
        flat = self.scale * frac
        add(_PER_HOUR_FLAT["relay_probe"] * flat, self.relay_probe)
        add(_PER_HOUR_FLAT["rbl"] * flat, self.reject_session, ("rbl",))
        add(_PER_HOUR_FLAT["unknown_rcpt"] * flat, self.reject_session, ("unknown_recipient",))
        add(_PER_HOUR_FLAT["helo"] * flat, self.reject_session, ("helo_rejected",))
        add(_PER_HOUR_FLAT["sender"] * flat, self.reject_session, ("sender_rejected",))
        add(_PER_HOUR_FLAT["auth_bot"] * flat, self.auth_bot)
        add(_PER_HOUR_FLAT["lost_connect"] * flat, self.lost_connection)
        # cron: a job mails root at :17 every hour
        t_cron = h * _HOUR + 17 * _MINUTE + int(r() * 5000)
        if lo <= t_cron < hi:
            items.append((t_cron, self.cron, ("hourly",)))
        return items

    def _plan_day(self, h: int) -> None:
        """Per-day scheduled traffic: the bakery account's normal mail, logwatch, expiries."""
        r = self.rng.random
        day0 = h * _HOUR - (self.floor + timedelta(hours=h)).hour * _HOUR  # midnight, in ms

        def at(t: int, fn, args=()) -> None:
            if self.t0 <= t < self.last_start:
                self._sched.setdefault(t // _HOUR, []).append((t, fn, args))

        for _ in range(8 + int(r() * 5)):  # info@bakery-berlin: ~10 mails a day, office hours
            name, ip = self.bakery_ips[0 if r() < 0.8 else 1]
            at(day0 + 7 * _HOUR + int(r() * 11 * _HOUR), self.bakery_normal, (name, ip))
        at(day0 + 6 * _HOUR + 25 * _MINUTE + int(r() * 20_000), self.cron, ("logwatch",))
        for hh in (1.5, 7.75):  # two messages a day that expire (dead destination domain)
            t = day0 + int(hh * _HOUR) + int(r() * 600_000)
            if t + QUEUE_LIFETIME_MS + 2 * _HOUR < self.last_start:
                at(t, self.expiring_message)

    # ------------------------------------------------------------------ deliveries
    def deliver(
        self,
        qid: str,
        t_arr: int,
        t: int,
        sender: str,
        rcpts: list,
        mid: str,
        size: int,
        track: Counter | None = None,
    ) -> int:
        """Deliver ``rcpts`` [(address, route, plan)] of a queued message.

        ``plan`` lists the outcome per attempt: ``s`` sent, ``b`` bounced, ``d`` deferred (then
        retried), ``x`` deferred until the message expires. Ends with the bounce notice (if any
        recipient bounced or the message expired) and ``removed``; returns the time of the
        last line.
        """
        r = self.rng.random
        emit = self.events.append
        counts = self.deliveries
        D = _DELAY_TABLE
        attempt = 0
        pending = rcpts
        last = t
        notify = False
        while True:
            deferred = []
            for rc in pending:
                addr, route, plan = rc
                kind = route[0]
                outcome = plan[attempt] if attempt < len(plan) else plan[-1]
                b_ms = int(r() * 30)
                if kind == "smtp":
                    _, mx, ip, style = route
                    pre = self.smtp.get()
                    if outcome == "x" or (outcome == "d" and r() < 0.4):
                        c_ms = 30_000 + int(r() * 200)
                        td = t + b_ms + c_ms
                        emit(
                            (
                                td,
                                "postfix/smtp",
                                f"{pre}{qid}: to=<{addr}>, relay=none, delay={_d(td - t_arr)}, "
                                f"delays={_d(td - t_arr - b_ms - c_ms)}/{D[b_ms // 10]}/{_d(c_ms)}/0, dsn=4.4.1, "
                                f"status=deferred (connect to {mx}[{ip}]:25: Connection timed out)",
                            )
                        )
                        status = "deferred"
                        deferred.append(rc)
                    else:
                        c_ms = 60 + int(r() * 900)
                        x_ms = 50 + int(r() * (1500 if outcome == "s" else 400))
                        td = t + b_ms + c_ms + x_ms
                        if r() < 0.5:
                            emit(
                                (
                                    td - x_ms,
                                    "postfix/smtp",
                                    f"{pre}{'Untrusted' if style == 'queued' else 'Trusted'} "
                                    f"TLS connection established to {mx}[{ip}]:25: {_TLS_OUT}",
                                )
                            )
                        head = (
                            f"{pre}{qid}: to=<{addr}>, relay={mx}[{ip}]:25, delay={_d(td - t_arr)}, "
                            f"delays={_d(td - t_arr - b_ms - c_ms - x_ms)}/{D[b_ms // 10]}/{D[c_ms // 10]}/"
                            f"{D[x_ms // 10]}, "
                        )
                        if outcome == "s":
                            if style == "queued":
                                resp = f"250 2.0.0 Ok: queued as {self._b64(10)}"
                            elif style == "gsmtp":
                                resp = f"250 2.0.0 OK  {self.epoch + td // 1000} {self._b64(12)}.{int(r() * 900)} - gsmtp"
                            else:
                                resp = f"250 2.6.0 <{mid}> [InternalId={int(r() * 1e13)}] Queued mail for delivery"
                            emit((td, "postfix/smtp", f"{head}dsn=2.0.0, status=sent ({resp})"))
                            status = "sent"
                        elif outcome == "b":
                            if r() < 0.75:
                                emit(
                                    (
                                        td,
                                        "postfix/smtp",
                                        f"{head}dsn=5.1.1, status=bounced (host {mx}[{ip}] said: "
                                        f"550 5.1.1 <{addr}>: Recipient address rejected: User unknown "
                                        f"(in reply to RCPT TO command))",
                                    )
                                )
                            else:
                                emit(
                                    (
                                        td,
                                        "postfix/smtp",
                                        f"{head}dsn=5.7.1, status=bounced (host {mx}[{ip}] said: "
                                        f"550 5.7.1 Message rejected as spam (in reply to end of DATA command))",
                                    )
                                )
                            status = "bounced"
                            notify = True
                        else:
                            emit(
                                (
                                    td,
                                    "postfix/smtp",
                                    f"{head}dsn=4.7.1, status=deferred (host {mx}[{ip}] said: "
                                    f"450 4.7.1 <{addr}>: Recipient address rejected: Greylisted, see "
                                    f"https://postgrey.example/ (in reply to RCPT TO command))",
                                )
                            )
                            status = "deferred"
                            deferred.append(rc)
                else:  # local delivery: always succeeds
                    c_ms = int(r() * 20)
                    x_ms = 10 + int(r() * 250)
                    td = t + b_ms + c_ms + x_ms
                    delays = (
                        f"delay={_d(td - t_arr)}, delays={_d(td - t_arr - b_ms - c_ms - x_ms)}/"
                        f"{D[b_ms // 10]}/{D[c_ms // 10]}/{D[x_ms // 10]}, dsn=2.0.0, status=sent"
                    )
                    if kind == "lmtp":
                        sess = self._b64(22)
                        emit(
                            (
                                td - 2,
                                "dovecot",
                                f"dovecot: lmtp({addr})<{self._pid - int(r() * 40)}><{sess}>: "
                                f"msgid=<{mid}>: saved mail to INBOX",
                            )
                        )
                        emit(
                            (
                                td,
                                "postfix/lmtp",
                                f"{self.lmtp.get()}{qid}: to=<{addr}>, relay={self.lmtp_relay}, "
                                f"{delays} (250 2.0.0 <{addr}> {sess} Saved)",
                            )
                        )
                    elif kind == "virtual":
                        emit(
                            (
                                td,
                                "postfix/virtual",
                                f"{self.virtual.get()}{qid}: to=<{addr}>, relay=virtual, "
                                f"{delays} (delivered to maildir)",
                            )
                        )
                    else:
                        _, to, orig = route
                        orig_s = f", orig_to=<{orig}>" if orig else ""
                        emit(
                            (
                                td,
                                "postfix/local",
                                f"{self.local.get()}{qid}: to=<{to}>{orig_s}, relay=local, "
                                f"{delays} (delivered to mailbox)",
                            )
                        )
                    status = "sent"
                counts[status] += 1
                if track is not None:
                    track[status] += 1
                if td > last:
                    last = td
            if not deferred:
                break
            attempt += 1
            t = next_attempt(last, attempt, deferred, r, self.t_end)
            if t - t_arr > QUEUE_LIFETIME_MS:
                emit(
                    (
                        t,
                        "postfix/qmgr",
                        f"{self.qmgr}{qid}: from=<{sender}>, status=expired, returned to sender",
                    )
                )
                self.expired += 1
                last = t
                notify = True
                break
            emit(
                (
                    t,
                    "postfix/qmgr",
                    f"{self.qmgr}{qid}: from=<{sender}>, size={size}, nrcpt={len(rcpts)} "
                    f"(queue active)",
                )
            )
            pending = deferred
        t = last + 1 + int(r() * 60)
        if notify and sender:
            t = self.bounce_notice(t, qid, sender, size)
        emit((t, "postfix/qmgr", f"{self.qmgr}{qid}: removed"))
        return t

    def through_amavis(
        self,
        qid: str,
        t: int,
        sender: str,
        rcpts: list,
        mid: str,
        size: int,
        client: str,
        track: Counter | None = None,
    ) -> None:
        """amavis as a content filter (``content_filter = smtp-amavis:[127.0.0.1]:10024``):
        Postfix hands the queued message ``qid`` to amavis, which scans it and re-injects it
        on 127.0.0.1:10025 (a new queue id, logged before amavis answers the hand-over),
        then the new message is delivered. ``client`` is amavis's view of the origin
        (``[ip]:port [ip]``, or ``[127.0.0.1]:port`` for pickup)."""
        r = self.rng.random
        emit = self.events.append
        k = len(rcpts)
        t_conn = t + 5 + int(r() * 30)
        scan = 80 + int(r() * 1400)
        t = t_conn + scan
        proc = self.reinject_smtpd.acquire(t)
        pre = f"postfix/smtpd[{proc[1]}]: "
        nq = self.qid()
        emit((t, "postfix/smtpd", f"{pre}connect from localhost[127.0.0.1]"))
        t += 1 + int(r() * 3)
        emit((t, "postfix/smtpd", f"{pre}{nq}: client=localhost[127.0.0.1]"))
        t_arr = t
        t += 1 + int(r() * 4)
        emit((t, "postfix/cleanup", f"{self.cleanup.get()}{nq}: message-id=<{mid}>"))
        nsize = size + 600 + int(r() * 400)  # amavis adds its X-Virus-Scanned / X-Spam headers
        t += 1 + int(r() * 3)
        emit(
            (
                t,
                "postfix/qmgr",
                f"{self.qmgr}{nq}: from=<{sender}>, size={nsize}, nrcpt={k} (queue active)",
            )
        )
        t_q = t
        emit(
            (
                t,
                "postfix/smtpd",
                f"{pre}disconnect from localhost[127.0.0.1] "
                f"{_counters((('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', k, k), ('data', 1, 1), ('quit', 1, 1)))}",
            )
        )
        proc[0] = t
        self.reinjected += 1
        am = self.amavis[int(r() * 2)]
        am[1] += 1
        if am[1] > 20:
            am[0], am[1] = self.new_pid(), 1
        to = ",".join(f"<{rc[0]}>" for rc in rcpts)
        t += 1 + int(r() * 2)
        emit(
            (
                t,
                "amavis",
                f"amavis[{am[0]}]: ({am[0]:05d}-{am[1]:02d}) Passed CLEAN {{RelayedOutbound}}, "
                f"ORIGINATING LOCAL {client} <{sender}> -> {to}, Queue-ID: {qid}, Message-ID: <{mid}>, "
                f"mail_id: {self._b64(12)}, Hits: {_HITS[int(r() * 1500)]}, size: {size}, "
                f"queued_as: {nq}, {t - t_conn} ms",
            )
        )
        t += 1 + int(r() * 2)
        pre = self.smtp.get()
        for addr, _, _ in rcpts:  # one line per recipient, all with amavis's one reply
            emit(
                (
                    t,
                    "postfix/smtp",
                    f"{pre}{qid}: to=<{addr}>, relay=127.0.0.1[127.0.0.1]:10024, "
                    f"delay={_d(t - t_conn + 40)}, delays=0.04/0/0/{_d(t - t_conn)}, dsn=2.0.0, "
                    f"status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as {nq})",
                )
            )
        self.filter_handovers += k
        if qid in self.identity_of:  # the re-injection's bounces are the sender's too
            self.identity_of[nq] = self.identity_of[qid]
        emit((t + 1 + int(r() * 5), "postfix/qmgr", f"{self.qmgr}{qid}: removed"))
        self.deliver(nq, t_arr, t_q, sender, rcpts, mid, nsize, track)

    def _charge(self, qid: str, identity: str) -> None:
        self.identities[identity] += 1
        self.identity_of[qid] = identity

    def bounce_notice(self, t: int, qid: str, sender: str, size: int) -> int:
        """postfix/bounce creates a non-delivery notification for ``sender`` (a local user)."""
        r = self.rng.random
        emit = self.events.append
        nq = self.qid()
        t += 5 + int(r() * 40)
        emit(
            (
                t,
                "postfix/cleanup",
                f"{self.cleanup.get()}{nq}: message-id=<{self.stamp14(t)}.{nq}@{self.myhost}>",
            )
        )
        t_arr = t
        nsize = 2400 + min(size, 4000) + int(r() * 800)
        t += 1 + int(r() * 8)
        emit((t, "postfix/qmgr", f"{self.qmgr}{nq}: from=<>, size={nsize}, nrcpt=1 (queue active)"))
        t += int(r() * 4)
        emit(
            (
                t,
                "postfix/bounce",
                f"{self.bounce.get()}{qid}: sender non-delivery notification: {nq}",
            )
        )
        self.origins["bounce"] += 1
        if qid in self.identity_of:  # backscatter is charged to the bounced message's sender
            self._charge(nq, self.identity_of[qid])
            self.notices[self.identity_of[qid]] += 1
        t_removed = t + 1 + int(r() * 8)
        self.deliver(
            nq,
            t_arr,
            t_removed,
            "",
            [(sender, self.route_to(sender), "s")],
            f"{self.stamp14(t)}.{nq}@{self.myhost}",
            nsize,
        )
        return t_removed

    # ------------------------------------------------------------------ smtpd sessions
    def _postscreen_pass(self, t: int, ip: str) -> int:
        r = self.rng.random
        port = 1024 + int(r() * 64000)
        self.events.append(
            (
                t,
                "postfix/postscreen",
                f"{self._postscreen}CONNECT from [{ip}]:{port} to [{SERVER_IP}]:25",
            )
        )
        if r() < 0.88:
            t += 1 + int(r() * 30)
            self.events.append(
                (t, "postfix/postscreen", f"{self._postscreen}PASS OLD [{ip}]:{port}")
            )
        else:
            t += 6000 + int(r() * 100)
            self.events.append(
                (t, "postfix/postscreen", f"{self._postscreen}PASS NEW [{ip}]:{port}")
            )
        return t + 2 + int(r() * 30)

    def _open(self, t: int, svc: str, name: str, ip: str, claimed: str | None = None):
        proc = self.smtpd_pools[svc].acquire(t)
        prog = f"postfix/{svc}"
        pre = f"{prog}[{proc[1]}]: "
        if claimed:
            self.events.append(
                (t, prog, f"{pre}warning: hostname {claimed} does not resolve to address {ip}")
            )
        self.events.append((t, prog, f"{pre}connect from {name}[{ip}]"))
        self._conns.append((t, f"{'smtp' if svc == 'smtpd' else svc.split('/')[0]}:{ip}"))
        return proc, prog, pre

    def _inbound_qid(self, t: int) -> str:
        if self.reused_qid is None and t >= self.reuse_at[0]:
            self.reused_qid = self.qid()
            return self.reused_qid
        if self.reused_qid is not None and not self._reuse_done and t >= self.reuse_at[1]:
            self._reuse_done = True
            self._reuse_pending = False
            return self.reused_qid
        return self.qid()

    def inbound(self, t: int) -> None:
        """Mail from the internet for hosted mailboxes (postscreen -> smtpd -> amavis -> lmtp)."""
        r = self.rng.random
        emit = self.events.append
        name, ip, helo, sdom, claimed, client, identity, anvil_key = self.mtas[
            _pick_cum(self._mta_cum, r())
        ]
        t = self._postscreen_pass(t, ip)
        proc = self.smtpd_pools["smtpd"].acquire(t)
        pre = f"postfix/smtpd[{proc[1]}]: "
        if claimed:
            emit(
                (
                    t,
                    "postfix/smtpd",
                    f"{pre}warning: hostname {claimed} does not resolve to address {ip}",
                )
            )
        emit((t, "postfix/smtpd", f"{pre}connect from {client}"))
        self._conns.append((t, anvil_key))
        tls = r() < 0.7
        if tls:
            t += 80 + int(r() * 300)
            emit(
                (
                    t,
                    "postfix/smtpd",
                    f"{pre}Anonymous TLS connection established from {client}: {_TLS_IN}",
                )
            )
        t += 200 + int(r() * 1300)
        if self._reuse_pending and t >= self.reuse_at[0]:
            qid = self._inbound_qid(t)
        else:
            qid = self.qid()
        emit((t, "postfix/smtpd", f"{pre}{qid}: client={client}"))
        self.origins["smtp"] += 1
        self._charge(qid, identity)
        t_arr = t
        x = r()
        if x < 0.85:
            rcpts = [
                self.postmaster_rcpt
                if r() < 0.03
                else self.mailbox_rcpts[_pick_cum(self._mailbox_cum, r())]
            ]
            to = f"<{rcpts[0][0]}>"
        else:
            rcpts = []
            for _ in range(2 if x < 0.95 else 3):
                rc = (
                    self.postmaster_rcpt
                    if r() < 0.03
                    else self.mailbox_rcpts[_pick_cum(self._mailbox_cum, r())]
                )
                if rc not in rcpts:
                    rcpts.append(rc)
            to = ",".join([f"<{rc[0]}>" for rc in rcpts])
        x = r()
        sender = (
            ""
            if x < 0.02
            else (
                f"{_SENDER_LOCALS[int(r() * len(_SENDER_LOCALS))]}@{sdom}"
                if x < 0.7
                else f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@{sdom}"
            )
        )
        h = self._hex(24)
        mid = f"{h[:16]}.{h[16:]}@{sdom}"
        size = 1500 + int(r() ** 3 * 250_000)
        t += 40 + int(r() * 200)
        emit((t, "postfix/cleanup", f"{self.cleanup.get()}{qid}: message-id=<{mid}>"))
        scan = 120 + int(r() * 1200)
        t += scan
        am = self.amavis[int(r() * 2)]
        am[1] += 1
        if am[1] > 20:
            am[0], am[1] = self.new_pid(), 1
        emit(
            (
                t,
                "amavis",
                f"amavis[{am[0]}]: ({am[0]:05d}-{am[1]:02d}) Passed CLEAN {{RelayedInbound}}, "
                f"[{ip}]:{1024 + int(r() * 64000)} [{ip}] <{sender}> -> {to}, Queue-ID: {qid}, "
                f"Message-ID: <{mid}>, mail_id: {self._b64(12)}, Hits: {_HITS[int(r() * 5000)]}, "
                f"size: {size}, {scan - 20} ms",
            )
        )
        t += 5 + int(r() * 50)
        k = len(rcpts)
        emit(
            (
                t,
                "postfix/qmgr",
                f"{self.qmgr}{qid}: from=<{sender}>, size={size}, nrcpt={k} (queue active)",
            )
        )
        t_disc = t + 10 + int(r() * 250)
        emit(
            (t_disc, "postfix/smtpd", f"{pre}disconnect from {client} {_INBOUND_COUNTERS[tls, k]}")
        )
        proc[0] = t_disc
        self.deliver(qid, t_arr, t, sender, rcpts, mid, size)

    def sasl_session(
        self,
        t: int,
        svc: str,
        name: str,
        ip: str,
        method: str,
        user: str,
        messages: list[list],
        hook: Callable[[int, str], None] | None = None,
        track: Counter | None = None,
    ) -> int:
        """One authenticated session on port 587 (``submission``) or 465 (``smtps``) that
        sends ``messages`` (each a list of (address, route, plan) recipients)."""
        r = self.rng.random
        emit = self.events.append
        prog = f"postfix/{svc}/smtpd"
        proc = self.smtpd_pools[f"{svc}/smtpd"].acquire(t)
        pre = f"{prog}[{proc[1]}]: "
        client = f"{name}[{ip}]"
        emit((t, prog, f"{pre}connect from {client}"))
        self._conns.append((t, f"{svc}:{ip}"))
        t += 60 + int(r() * 250)
        emit((t, prog, f"{pre}Anonymous TLS connection established from {client}: {_TLS_IN}"))
        t += 300 + int(r() * 1500)
        dom = user.rsplit("@", 1)[-1]
        sasl = f"{client}, sasl_method={method}, sasl_username={user}"
        dkim = f"opendkim[{self.opendkim}]: "
        dkim_tail = f": DKIM-Signature field added (s=default, d={dom})"
        identity = "sasl:" + user
        total_rcpt = 0
        for rcpts in messages:
            qid = self.qid()
            emit((t, prog, f"{pre}{qid}: client={sasl}"))
            self.origins["sasl"] += 1
            self._charge(qid, identity)
            if hook:
                hook(t, ip)
            h = self._hex(32)
            mid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}@{dom}"
            size = 900 + int(r() ** 3 * 400_000)
            k = len(rcpts)
            t += 80 + int(r() * 300) + 40 * k
            emit((t, "postfix/cleanup", f"{self.cleanup.get()}{qid}: message-id=<{mid}>"))
            t += 5 + int(r() * 60)
            emit((t, "opendkim", f"{dkim}{qid}{dkim_tail}"))
            t += 3 + int(r() * 40)
            emit(
                (
                    t,
                    "postfix/qmgr",
                    f"{self.qmgr}{qid}: from=<{user}>, size={size}, nrcpt={k} (queue active)",
                )
            )
            self.through_amavis(
                qid, t, user, rcpts, mid, size, f"[{ip}]:{1024 + int(r() * 64000)} [{ip}]", track
            )
            total_rcpt += k
            t += 50 + int(r() * 400)
        k = len(messages)
        parts = (
            (("ehlo", 2, 2), ("starttls", 1, 1)) if svc == "submission" else (("ehlo", 1, 1),)
        ) + (
            ("auth", 1, 1),
            ("mail", k, k),
            ("rcpt", total_rcpt, total_rcpt),
            ("data", k, k),
            ("quit", 1, 1),
        )
        emit((t, prog, f"{pre}disconnect from {client} {_counters(parts)}"))
        proc[0] = t
        return t

    def _outbound_plan(self) -> str:
        x = self.rng.random()
        return "s" if x < 0.945 else ("ds" if x < 0.975 else ("b" if x < 0.995 else "db"))

    def _recipients_for_sasl(self) -> list:
        r = self.rng.random
        x = r()
        n = 1 if x < 0.75 else (2 if x < 0.9 else 2 + int(r() * 6))
        out = []
        for _ in range(n):
            if r() < 0.2:
                a = self.mailbox()
                rc = (a, self.route_to(a), "s")
            else:
                a, route = self.external_rcpt()
                rc = (a, route, self._outbound_plan())
            if all(rc[0] != o[0] for o in out):
                out.append(rc)
        return out

    def sasl_background(self, t: int) -> None:
        r = self.rng.random
        user, method, svc, ips = self.accounts[_pick_cum(self._account_cum, r())]
        name, ip = ips[0] if len(ips) == 1 or r() < 0.7 else ips[1]
        self.sasl_session(t, svc, name, ip, method, user, [self._recipients_for_sasl()])

    def bakery_normal(self, t: int, name: str, ip: str) -> None:
        self.sasl_session(
            t,
            "submission",
            name,
            ip,
            "PLAIN",
            self.bakery,
            [self._recipients_for_sasl()],
            hook=self._bakery_hook,
        )

    # ------------------------------------------------------------------ local submission
    def php_message(
        self, t: int, uid: int, script: str, rcpts: list, track: Counter | None = None
    ) -> None:
        r = self.rng.random
        emit = self.events.append
        qid = self.qid()
        dom = self.sites[uid][0]
        sender = f"site{uid}@{self.myhost}"
        emit((t, "postfix/pickup", f"{self.pickup()}{qid}: uid={uid} from=<site{uid}>"))
        if self.php_calls is not None:
            self.php_calls.append((t, uid, script, [rc[0] for rc in rcpts]))
        self.origins["local"] += 1
        self._charge(qid, f"uid:{uid}")
        cleanup = self.cleanup.get()
        t += 3 + int(r() * 40)
        emit(
            (
                t,
                "postfix/cleanup",
                f"{cleanup}{qid}: warning: header X-PHP-Originating-Script: "
                f"{uid}:{script} from local; from=<{sender}> to=<{rcpts[0][0]}>",
            )
        )
        t += int(r() * 5)
        mid = f"{self._hex(32)}@www.{dom}"
        emit((t, "postfix/cleanup", f"{cleanup}{qid}: message-id=<{mid}>"))
        size = 1200 + int(r() ** 2 * 30_000)
        t += 5 + int(r() * 50)
        emit(
            (
                t,
                "postfix/qmgr",
                f"{self.qmgr}{qid}: from=<{sender}>, size={size}, nrcpt={len(rcpts)} (queue active)",
            )
        )
        self.through_amavis(
            qid, t, sender, rcpts, mid, size, f"[127.0.0.1]:{1024 + int(r() * 64000)}", track
        )

    def php_background(self, t: int) -> None:
        r = self.rng.random
        uid = 1001 + _pick_cum(self._site_cum, r())
        dom, owner, scripts = self.sites[uid]
        script = scripts[int(r() * len(scripts))]
        if script in ("contact-form.php", "booking-notify.php") or r() < 0.3:
            rc = (owner, self.route_to(owner), "s")  # a form mails the site owner
        else:
            a, route = self.external_rcpt()
            rc = (a, route, self._outbound_plan())
        self.php_message(t, uid, script, [rc])

    def cron(self, t: int, job: str) -> None:
        """Mail from an ``hourly`` cron job or the daily ``logwatch`` (uid 0) to root: no X-PHP
        header, local delivery."""
        r = self.rng.random
        emit = self.events.append
        qid = self.qid()
        emit((t, "postfix/pickup", f"{self.pickup()}{qid}: uid=0 from=<root>"))
        self.origins["local"] += 1
        self._charge(qid, "uid:0")
        t += 3 + int(r() * 30)
        emit(
            (
                t,
                "postfix/cleanup",
                f"{self.cleanup.get()}{qid}: message-id=<{self.stamp14(t)}.{qid}@{self.myhost}>",
            )
        )
        t_arr = t
        size = (6000 + int(r() * 9000)) if job == "logwatch" else (700 + int(r() * 400))
        t += 5 + int(r() * 40)
        emit(
            (
                t,
                "postfix/qmgr",
                f"{self.qmgr}{qid}: from=<root@{self.myhost}>, size={size}, nrcpt=1 (queue active)",
            )
        )
        self.through_amavis(
            qid,
            t,
            f"root@{self.myhost}",
            [(f"root@{self.myhost}", ("local", f"root@{self.myhost}", "root"), "s")],
            f"{self.stamp14(t_arr)}.{qid}@{self.myhost}",
            size,
            f"[127.0.0.1]:{1024 + int(r() * 64000)}",
        )

    def expiring_message(self, t: int) -> None:
        """A message to a dead domain: deferred every retry until it expires and bounces."""
        r = self.rng.random
        addr = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@{_NOWHERE[0]}"
        rc = (addr, ("smtp",) + _NOWHERE[1:], "x")
        if r() < 0.5:
            user, method, svc, ips = self.accounts[int(r() * len(self.accounts))]
            self.sasl_session(t, svc, ips[0][0], ips[0][1], method, user, [[rc]])
        else:
            uid = 1001 + int(r() * len(_SITE_NAMES))
            self.php_message(t, uid, self.sites[uid][2][0], [rc])

    # ------------------------------------------------------------------ rejects and noise
    def _reject_line(
        self, pre: str, client: str, code: str, reason: str, sender: str, rcpt: str, helo: str
    ) -> str:
        return (
            f"{pre}NOQUEUE: reject: RCPT from {client}: {code} {reason}; from=<{sender}> to=<{rcpt}> "
            f"proto=ESMTP helo=<{helo}>"
        )

    def _bot(self) -> tuple[str, str]:
        """A throwaway client (mostly without reverse DNS), never one of the world's addresses."""
        r = self.rng.random
        ip = SERVER_IP
        while ip in self._used_ips:
            ip = f"198.{18 + int(r() * 2)}.{int(r() * 256)}.{1 + int(r() * 254)}"
        return ("unknown" if r() < 0.75 else f"host-{ip.replace('.', '-')}.dyn.example.net"), ip

    def relay_probe(self, t: int) -> None:
        """An internet client trying to relay to a foreign domain."""
        r = self.rng.random
        name, ip = self._bot()
        t = self._postscreen_pass(t, ip)
        proc, prog, pre = self._open(t, "smtpd", name, ip)
        helo = name if name != "unknown" and r() < 0.5 else ("WIN-" + self._b64(8).upper())
        sender = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@{_WORDS[int(r() * len(_WORDS))]}-mail.example"
        k = 1 if r() < 0.8 else 2
        for _ in range(k):
            t += 300 + int(r() * 1500)
            rcpt, _ = self.external_rcpt()
            code = "454 4.7.1" if r() < 0.15 else "554 5.7.1"
            self.events.append(
                (
                    t,
                    prog,
                    self._reject_line(
                        pre,
                        f"{name}[{ip}]",
                        code,
                        f"<{rcpt}>: Relay access denied",
                        sender,
                        rcpt,
                        helo,
                    ),
                )
            )
            self._count_relay(t, internet=True)
        t += 20 + int(r() * 300)
        parts = (("ehlo", 1, 1), ("mail", 1, 1), ("rcpt", 0, k), ("quit", 1, 1))
        self.events.append((t, prog, f"{pre}disconnect from {name}[{ip}] {_counters(parts)}"))
        proc[0] = t

    def _count_relay(self, t: int, internet: bool) -> None:
        self.reject_classes["relay_denied"] += 1
        spike = self._inc_state.get("relay")
        if spike is not None and spike["start"] <= t < spike["end"]:
            spike["internet" if internet else "local"] += 1

    def reject_session(self, t: int, cls: str) -> None:
        r = self.rng.random
        if cls == "unknown_recipient":
            name, ip, helo, sdom, claimed = self.mtas[_pick_cum(self._mta_cum, r())][:5]
        else:
            (name, ip), claimed = self._bot(), None
            helo = name if name != "unknown" else f"[{ip}]"
            sdom = f"{_WORDS[int(r() * len(_WORDS))]}-{int(r() * 99)}.example.net"
        t = self._postscreen_pass(t, ip)
        proc, prog, pre = self._open(t, "smtpd", name, ip, claimed)
        t += 300 + int(r() * 1500)
        rcpt = self.mailbox()
        sender = f"{_SENDER_LOCALS[int(r() * len(_SENDER_LOCALS))]}@{sdom}"
        client = f"{name}[{ip}]"
        if cls == "rbl":
            reason = (
                f"Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; "
                f"https://www.spamhaus.org/query/ip/{ip}"
            )
            line = self._reject_line(pre, client, "554 5.7.1", reason, sender, rcpt, helo)
        elif cls == "unknown_recipient":
            dom = rcpt.split("@")[1]
            rcpt = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}.{_LAST_NAMES[int(r() * len(_LAST_NAMES))]}@{dom}"
            line = self._reject_line(
                pre,
                client,
                "550 5.1.1",
                f"<{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
                sender,
                rcpt,
                helo,
            )
        elif cls == "helo_rejected":
            helo = "WIN-" + self._hex(10).upper()
            line = self._reject_line(
                pre,
                client,
                "504 5.5.2",
                f"<{helo}>: Helo command rejected: need fully-qualified hostname",
                sender,
                rcpt,
                helo,
            )
        else:
            sender = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@{_WORDS[int(r() * len(_WORDS))]}.invalid-domain.example"
            line = self._reject_line(
                pre,
                client,
                "450 4.1.8",
                f"<{sender}>: Sender address rejected: Domain not found",
                sender,
                rcpt,
                helo,
            )
        self.events.append((t, prog, line))
        self.reject_classes[cls] += 1
        t += 20 + int(r() * 300)
        parts = (("ehlo", 1, 1), ("mail", 1, 1), ("rcpt", 0, 1), ("quit", 1, 1))
        self.events.append((t, prog, f"{pre}disconnect from {client} {_counters(parts)}"))
        proc[0] = t

    def postscreen_noise(self, t: int) -> None:
        """Bots that never reach smtpd: pregreeters, DNSBL-listed clients, early hang-ups."""
        r = self.rng.random
        emit = self.events.append
        ps = self._postscreen
        _, ip = self._bot()
        port = 1024 + int(r() * 64000)
        cl = f"[{ip}]:{port}"
        emit((t, "postfix/postscreen", f"{ps}CONNECT from {cl} to [{SERVER_IP}]:25"))
        x = r()
        if x < 0.4:
            after = f"0.{1 + int(r() * 9)}" if r() < 0.7 else f"0.0{1 + int(r() * 9)}"
            helo = ("ylmf-pc", "User", "x", "localhost")[int(r() * 4)]
            t += int(float(after) * 1000)
            emit(
                (
                    t,
                    "postfix/postscreen",
                    f"{ps}PREGREET {len(helo) + 7} after {after} from {cl}: EHLO {helo}\\r\\n",
                )
            )
            t += 200 + int(r() * 3000)
            emit((t, "postfix/postscreen", f"{ps}DISCONNECT {cl}"))
        elif x < 0.8:
            t += 100 + int(r() * 900)
            emit((t, "postfix/postscreen", f"{ps}DNSBL rank {3 + int(r() * 4)} for {cl}"))
            t += 6000 + int(r() * 3000)
            helo = f"{_WORDS[int(r() * len(_WORDS))]}{int(r() * 99)}.example.net"
            sender = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@{helo}"
            rcpt = self.mailbox()
            emit(
                (
                    t,
                    "postfix/postscreen",
                    f"{ps}NOQUEUE: reject: RCPT from {cl}: 550 5.7.1 Service unavailable; "
                    f"client [{ip}] blocked using zen.spamhaus.org; from=<{sender}>, to=<{rcpt}>, proto=ESMTP, helo=<{helo}>",
                )
            )
            self.reject_classes["rbl"] += 1
            self.postscreen_rejects += 1
            t += 100 + int(r() * 500)
            emit((t, "postfix/postscreen", f"{ps}DISCONNECT {cl}"))
        else:
            t += 6000 + int(r() * 100)
            emit((t, "postfix/postscreen", f"{ps}PASS NEW {cl}"))
            self._lost_after(t + 5 + int(r() * 30), ip, "CONNECT")

    def _lost_after(self, t: int, ip: str, stage: str) -> None:
        proc, prog, pre = self._open(t, "smtpd", "unknown", ip)
        t += 500 + int(self.rng.random() * 5000)
        self.events.append((t, prog, f"{pre}lost connection after {stage} from unknown[{ip}]"))
        self.events.append((t, prog, f"{pre}disconnect from unknown[{ip}] commands=0/0"))
        proc[0] = t

    def lost_connection(self, t: int) -> None:
        _, ip = self._bot()
        t = self._postscreen_pass(t, ip)
        self._lost_after(t, ip, "CONNECT")

    def auth_fail_session(
        self, t: int, svc: str, ip: str, attempts: list, quit_: bool
    ) -> list[int]:
        """A client failing SMTP AUTH ``len(attempts)`` times; attempts are (method, username|None).
        Returns the times of the failure lines."""
        r = self.rng.random
        emit = self.events.append
        proc, prog, pre = self._open(t, f"{svc}/smtpd", "unknown", ip)
        starttls = svc == "submission" and r() < 0.6  # smtps always speaks TLS, without STARTTLS
        if starttls or svc == "smtps":
            t += 60 + int(r() * 250)
            emit(
                (
                    t,
                    prog,
                    f"{pre}Anonymous TLS connection established from unknown[{ip}]: {_TLS_IN}",
                )
            )
        times = []
        for method, user in attempts:
            t += 1500 + int(r() * 2500)
            if user is None:
                reason = "UGFzc3dvcmQ6" if method == "LOGIN" else "authentication failure"
            elif method == "LOGIN":
                reason = f"(reason unavailable), sasl_username={user}"
            else:
                reason = f"authentication failure, sasl_username={user}"
            emit(
                (
                    t,
                    prog,
                    f"{pre}warning: unknown[{ip}]: SASL {method} authentication failed: {reason}",
                )
            )
            self.auth_failures += 1
            times.append(t)
        k = len(attempts)
        ehlo = (("ehlo", 2, 2), ("starttls", 1, 1)) if starttls else (("ehlo", 1, 1),)
        t += 20 + int(r() * 800)
        if quit_:
            parts = ehlo + (("auth", 0, k), ("quit", 1, 1))
        else:
            emit((t, prog, f"{pre}lost connection after AUTH from unknown[{ip}]"))
            parts = ehlo + (("auth", 0, k),)
        emit((t, prog, f"{pre}disconnect from unknown[{ip}] {_counters(parts)}"))
        proc[0] = t
        return times

    def auth_bot(self, t: int) -> None:
        r = self.rng.random
        _, ip = self._bot()
        svc = "submission" if r() < 0.8 else "smtps"
        attempts = []
        for _ in range(1 + int(r() * 3)):
            method = "LOGIN" if r() < 0.7 else "PLAIN"
            user = None if r() < 0.6 else _BRUTE_USERNAMES[int(r() * len(_BRUTE_USERNAMES))]
            attempts.append((method, user))
        self.auth_fail_session(t, svc, ip, attempts, quit_=r() < 0.5)

    def imap_session(self, t: int) -> None:
        r = self.rng.random
        user, method, svc, ips = self.accounts[_pick_cum(self._account_cum, r())]
        ip = ips[0][1]
        mpid = self.new_pid()
        sess = self._b64(16)
        proto = "imap" if r() < 0.85 else "pop3"
        self.events.append(
            (
                t,
                "dovecot",
                f"dovecot: {proto}-login: Login: user=<{user}>, method=PLAIN, rip={ip}, "
                f"lip={SERVER_IP}, mpid={mpid}, TLS, session=<{sess}>",
            )
        )
        t2 = min(t + 5000 + int(r() * 1_800_000), self.t_end - 1000)
        if proto == "imap":
            tail = (
                f"Logged out in={200 + int(r() * 5000)} out={1000 + int(r() * 900_000)} deleted=0 "
                f"expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0"
            )
        else:
            tail = f"Disconnected: Logged out top=0/0, retr={int(r() * 5)}/{int(r() * 90_000)}, del=0/0, size={int(r() * 2_000_000)}"
        self.events.append((t2, "dovecot", f"dovecot: {proto}({user})<{mpid}><{sess}>: {tail}"))

    def _anvil(self, h: int) -> None:
        """postfix/anvil statistics for every 10-minute window that ended in hour ``h``."""
        if not self._conns:
            return
        h_end = (h + 1) * _HOUR
        self._conns.sort(key=_FIRST)
        windows: dict[int, list] = {}
        keep = []
        for t, key in self._conns:
            w = t // 600_000
            if (w + 1) * 600_000 <= h_end:
                windows.setdefault(w, []).append((t, key))
            else:
                keep.append((t, key))
        self._conns = keep
        for w, conns in sorted(windows.items()):
            at = (w + 1) * 600_000 + 37_000
            if at >= self.t_end:
                continue
            best, best_t, best_key = 0, 0, ""
            per_key: dict[str, list[int]] = {}
            for t, key in conns:
                ts = per_key.setdefault(key, [])
                ts.append(t)
                while ts[0] <= t - 60_000:
                    ts.pop(0)
                if len(ts) > best:
                    best, best_t, best_key = len(ts), t, key
            pre = f"postfix/anvil[{self._anvil_pid}]: statistics: "
            stamp = self.syslog_time(best_t)
            self.events.append(
                (
                    at,
                    "postfix/anvil",
                    f"{pre}max connection rate {best}/60s for ({best_key}) at {stamp}",
                )
            )
            self.events.append(
                (
                    at,
                    "postfix/anvil",
                    f"{pre}max connection count {1 + (best > 4)} for ({best_key}) at {stamp}",
                )
            )
            self.events.append(
                (
                    at,
                    "postfix/anvil",
                    f"{pre}max cache size {len(per_key)} at {self.syslog_time(conns[-1][0])}",
                )
            )

    # ------------------------------------------------------------------ incidents
    def _plan_incidents(self) -> None:
        """Plant the four incidents on the first day, each only if its window fits."""
        ir = self.irng.random
        first_midnight = -(self.floor.hour * _HOUR)  # midnight of the start date, ms from floor

        def window(h_from: float, h_to: float) -> tuple[int, int] | None:
            """The first day's [h_from, h_to) window (hours after midnight) that lies inside
            the generated span, or None."""
            for day in range(0, 2):
                a = first_midnight + day * 86_400_000 + int(h_from * _HOUR)
                b = first_midnight + day * 86_400_000 + int(h_to * _HOUR)
                if a >= self.t0:
                    return (a, b) if b <= self.last_start else None
            return None

        def at(t: int, fn, args=()) -> None:
            self._sched.setdefault(t // _HOUR, []).append((t, fn, args))

        # 1. compromised SASL account: 13:00-15:00, ~600 messages from ~45 botnet IPs
        win = window(13, 15)
        if win:
            ws, we = win
            st = {
                "start": ws,
                "end": we,
                "day": (self.floor + timedelta(milliseconds=ws)).date(),
                "messages": 0,
                "ips": set(),
                "day_total": 0,
                "recipients": 0,
                "domains": set(),
                "status": Counter({"sent": 0, "deferred": 0, "bounced": 0}),
            }
            self._inc_state["sasl"] = st
            bots = []
            for _ in range(46):
                ip = self.fresh_ipv4(self.irng)
                bots.append(
                    (
                        "unknown"
                        if ir() < 0.8
                        else f"host-{ip.replace('.', '-')}.cust.example.net",
                        ip,
                    )
                )
            left = 600
            while left > 0:
                name, ip = bots[int(ir() ** 1.3 * len(bots))]
                k = min(left, 1 if ir() < 0.7 else 2 + int(ir() * 2))
                left -= k
                t = ws + 60_000 + int(ir() * (we - ws - 4 * _MINUTE))
                at(t, self.compromised_session, (name, ip, k))

        # 2. PHP script burst: uid 1017, 20:10-21:10, ~400 messages
        win = window(20 + 10 / 60, 21 + 10 / 60)
        if win:
            ws, we = win
            self._inc_state["php"] = {
                "start": ws,
                "end": we,
                "messages": 0,
                "recipients": 0,
                "domains": set(),
                "status": Counter({"sent": 0, "deferred": 0, "bounced": 0}),
            }
            for _ in range(400):
                # ramps up over the first 10 minutes, then a steady stream
                t = ws + 30_000 + int((ir() ** 0.8) * (we - ws - 4 * _MINUTE))
                at(t, self.php_burst_message)

        # 3. relay-denied spike from the shop's web app on localhost: 10:00-11:00
        win = window(10, 11)
        if win:
            ws, we = win
            self._inc_state["relay"] = {"start": ws, "end": we, "local": 0, "internet": 0}
            n = 0
            while n < 300:
                k = min(1 + int(ir() * 5), 300 - n)
                n += k
                t = ws + 2 * _MINUTE + int(ir() * (we - ws - 6 * _MINUTE))
                at(t, self.localhost_relay, (k,))

        # 4. SMTP AUTH brute force from 203.0.113.66: 02:00-~05:50, later success at 19:30
        win = window(2, 20)
        if win:
            ws, day0 = win[0], win[0] - 2 * _HOUR
            self._inc_state["brute"] = {
                "ip": "203.0.113.66",
                "failures": 0,
                "users": set(),
                "first": None,
                "last": None,
                "after": 0,
                "success_at": None,
            }
            t = ws + int(ir() * 60_000)
            failures = 0
            cycle = 0
            while failures < 800:
                k = min(800 - failures, 2 + int(ir() * 2))
                attempts = []
                for _ in range(k):
                    user = _BRUTE_USERNAMES[cycle % len(_BRUTE_USERNAMES)]
                    cycle += 1 if ir() < 0.8 else 0
                    method = "LOGIN" if ir() < 0.75 else "PLAIN"
                    attempts.append((method, user if ir() < 0.65 else None))
                failures += k
                at(t, self.brute_session, ("submission" if ir() < 0.85 else "smtps", attempts))
                t += 20_000 + int(ir() * 40_000)
            t_success = day0 + 19 * _HOUR + 30 * _MINUTE + int(ir() * 60_000)
            for i in range(4):
                at(t_success + i * (3 * _MINUTE + int(ir() * 5 * _MINUTE)), self.brute_success)

    def _bakery_hook(self, t: int, ip: str) -> None:
        st = self._inc_state.get("sasl")
        if st is None:
            return
        if (self.floor + timedelta(milliseconds=t)).date() == st["day"]:
            st["day_total"] += 1
        if st["start"] <= t < st["end"]:
            st["messages"] += 1
            st["ips"].add(ip)

    def compromised_session(self, t: int, name: str, ip: str, k: int) -> None:
        st = self._inc_state["sasl"]
        ir = self.irng.random
        msgs = []
        for _ in range(k):
            rcpts = []
            for _ in range(1 + int(ir() * 4)):
                a, route = self.external_rcpt(self.irng, wide=True)
                x = ir()
                plan = "s" if x < 0.55 else ("b" if x < 0.8 else ("ds" if x < 0.9 else "db"))
                if all(a != o[0] for o in rcpts):
                    rcpts.append((a, route, plan))
            st["recipients"] += len(rcpts)
            st["domains"].update(a.split("@")[1] for a, _, _ in rcpts)
            msgs.append(rcpts)
        self.sasl_session(
            t,
            "submission",
            name,
            ip,
            "LOGIN",
            self.bakery,
            msgs,
            hook=self._bakery_hook,
            track=st["status"],
        )

    def php_burst_message(self, t: int) -> None:
        st = self._inc_state["php"]
        ir = self.irng.random
        rcpts = []
        for _ in range(1 if ir() < 0.85 else 2 + int(ir() * 2)):
            a, route = self.external_rcpt(self.irng, wide=True)
            x = ir()
            plan = "s" if x < 0.55 else ("b" if x < 0.88 else ("ds" if x < 0.95 else "db"))
            if all(a != o[0] for o in rcpts):
                rcpts.append((a, route, plan))
        st["messages"] += 1
        st["recipients"] += len(rcpts)
        st["domains"].update(a.split("@")[1] for a, _, _ in rcpts)
        self.php_message(t, 1017, "wp-xmlrpc-cache.php", rcpts, track=st["status"])

    def localhost_relay(self, t: int, k: int) -> None:
        """The shop's web app talks SMTP to localhost without AUTH: every RCPT is denied."""
        ir = self.irng.random
        proc, prog, pre = self._open(t, "smtpd", "localhost", "127.0.0.1")
        for _ in range(k):
            t += 20 + int(ir() * 200)
            rcpt, _ = self.external_rcpt(self.irng)
            self.events.append(
                (
                    t,
                    prog,
                    self._reject_line(
                        pre,
                        "localhost[127.0.0.1]",
                        "554 5.7.1",
                        f"<{rcpt}>: Relay access denied",
                        "shop@shop-anna.example",
                        rcpt,
                        "shop-anna.example",
                    ),
                )
            )
            self._count_relay(t, internet=False)
        t += 5 + int(ir() * 50)
        parts = (("ehlo", 1, 1), ("mail", 1, 1), ("rcpt", 0, k), ("quit", 1, 1))
        self.events.append(
            (t, prog, f"{pre}disconnect from localhost[127.0.0.1] {_counters(parts)}")
        )
        proc[0] = t

    def brute_session(self, t: int, svc: str, attempts: list) -> None:
        st = self._inc_state["brute"]
        failure_times = self.auth_fail_session(
            t, svc, st["ip"], attempts, quit_=self.irng.random() < 0.3
        )
        st["failures"] += len(failure_times)
        st["users"].update(u for _, u in attempts if u is not None)
        if st["first"] is None:
            st["first"] = failure_times[0]
        st["last"] = failure_times[-1]

    def brute_success(self, t: int) -> None:
        st = self._inc_state["brute"]
        ir = self.irng.random
        rcpts = []
        for _ in range(1 + int(ir() * 3)):
            a, route = self.external_rcpt(self.irng)
            rcpts.append((a, route, "s"))

        def hook(tc: int, ip: str) -> None:
            st["after"] += 1
            if st["success_at"] is None:
                st["success_at"] = tc

        self.sasl_session(
            t,
            "submission",
            "unknown",
            st["ip"],
            "LOGIN",
            "office@shop-anna.example",
            [rcpts],
            hook=hook,
        )

    # ------------------------------------------------------------------ truth
    def _truth(self) -> dict:
        inc = {}
        st = self._inc_state.get("sasl")
        inc["compromised_sasl"] = (
            None
            if st is None
            else {
                "sasl_username": self.bakery,
                "start": self.iso(st["start"]),
                "end": self.iso(st["end"]),
                "messages": st["messages"],
                "client_ips": len(st["ips"]),
                "messages_total_day": st["day_total"],
                "recipients": st["recipients"],
                "recipient_domains": len(st["domains"]),
                "delivery_status": dict(st["status"]),
            }
        )
        st = self._inc_state.get("php")
        inc["php_script"] = (
            None
            if st is None
            else {
                "uid": 1017,
                "script": "wp-xmlrpc-cache.php",
                "script_path": f"/home/site1017/public_html/wp-content/uploads/{self.start:%Y/%m}/wp-xmlrpc-cache.php",
                "start": self.iso(st["start"]),
                "end": self.iso(st["end"]),
                "messages": st["messages"],
                "recipients": st["recipients"],
                "recipient_domains": len(st["domains"]),
                "delivery_status": dict(st["status"]),
            }
        )
        st = self._inc_state.get("relay")
        inc["relay_spike"] = (
            None
            if st is None
            else {
                "client_ip": "127.0.0.1",
                "sender": "shop@shop-anna.example",
                "sender_domain": "shop-anna.example",
                "start": self.iso(st["start"]),
                "end": self.iso(st["end"]),
                "count": st["local"],
                "internet_count_in_hour": st["internet"],
            }
        )
        st = self._inc_state.get("brute")
        inc["brute_force"] = (
            None
            if st is None
            else {
                "client_ip": st["ip"],
                "failures": st["failures"],
                "usernames": len(st["users"]),
                "start": self.iso(st["first"]),
                "end": self.iso(st["last"]),
                "succeeded_later_as": "office@shop-anna.example",
                "success_at": self.iso(st["success_at"]),
                "messages_after": st["after"],
            }
        )
        top = sorted(self.identities.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        truth = {
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.iso(self.t_end),
            "host": self.host,
            "lines": self.lines,
            "lines_by_program": dict(sorted(self.prog_counts.items())),
            "messages": {"total": sum(self.origins.values()), "by_origin": dict(self.origins)},
            "deliveries": {**self.deliveries, "expired_messages": self.expired},
            "rejects": {
                "total": sum(self.reject_classes.values()),
                "by_class": dict(self.reject_classes),
                "postscreen": self.postscreen_rejects,
            },
            "auth_failures": {"total": self.auth_failures},
            "reused_queue_id": self.reused_qid if self._reuse_done else None,
            "incidents": inc,
            "top_senders_by_identity": [{"identity": k, "messages": v} for k, v in top],
            # of those, the bounce notices (to local senders: not outgoing); Postfix only
            **(
                {"bounce_notices_by_identity": dict(sorted(self.notices.items()))}
                if self.notices
                else {}
            ),
        }
        if self.reinjected:  # the Postfix server's amavis (the other MTAs' runs have none)
            truth["content_filter"] = {
                "handover": "127.0.0.1:10024",
                "reinjection": "127.0.0.1:10025",
                "reinjected_messages": self.reinjected,
                "handover_deliveries": self.filter_handovers,
            }
        return truth


class _VolumeController:
    """Steers the background volume hour by hour so a run ends near ``target_lines``."""

    def __init__(self, sim: _Simulator):
        self.sim = sim
        self.hours = []
        for h in range(sim.t0 // _HOUR, (sim.t_end - 1) // _HOUR + 1):
            lo, hi = max(h * _HOUR, sim.t0), min((h + 1) * _HOUR, sim.t_end)
            hod = (sim.floor + timedelta(hours=h)).hour
            self.hours.append((hi - lo) / _HOUR * (_DIURNAL[hod] + 0.25))
        self.total_weight = sum(self.hours)
        self.done_weight = 0.0
        self.k = 1900.0  # lines per hour per unit of weight at scale 1 (measured, then learnt)
        self.bg_lines = 0.0
        self.bg_units = 0.0
        self.i = 0
        self.last = (0.0, 0.0)

    def next_scale(self) -> float:
        u = self.hours[self.i]
        self.i += 1
        target = self.sim.target_lines * (self.done_weight + u) / self.total_weight
        so_far = self.sim.lines + len(self.sim.events)
        nominal = self.sim.target_lines / (self.k * self.total_weight)
        need = max(target - so_far, 0.0)
        s = need / (self.k * u) if u > 0 else nominal
        s = min(max(s, 0.1 * nominal), 4 * nominal)
        self.done_weight += u
        self.last = (s, u)
        return s

    def observe(self, new_lines: int) -> None:
        s, u = self.last
        self.bg_lines += new_lines
        self.bg_units += s * u
        if self.bg_units > 0:
            self.k = self.bg_lines / self.bg_units


def _cumulative(weights: list[float]) -> list[float]:
    total = sum(weights)
    acc = 0.0
    out = []
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return out


def _pick_cum(cum: list[float], x: float) -> int:
    return bisect_left(cum, x)


# ---------------------------------------------------------------------- public API
def generate_postfix(
    seed: int = DEFAULT_SEED,
    start: datetime = DEFAULT_START,
    days: float = 1.0,
    messages_per_day: int = DEFAULT_MESSAGES_PER_DAY,
    host: str = "mx1",
    incidents: bool = True,
) -> tuple[list[str], dict]:
    """Generate ``days`` of Postfix syslog lines (no trailing newlines, time-ordered) and the
    ground-truth dict. Deterministic for a given set of arguments."""
    lines: list[str] = []
    sim = _Simulator(
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=None,
    )
    truth = sim.run(lines.extend)
    return lines, truth


def write_postfix(
    path,
    target_lines: int | None = None,
    days: float = 1.0,
    seed: int = DEFAULT_SEED,
    start: datetime = DEFAULT_START,
    host: str = "mx1",
    incidents: bool = True,
    messages_per_day: int | None = None,
    truth_path=None,
) -> dict:
    """Stream a generated log to ``path`` with bounded memory and return the truth dict.

    With ``target_lines`` the background volume is steered to write about that many lines
    (within a few percent) over ``days``; otherwise ``messages_per_day`` (default
    ``DEFAULT_MESSAGES_PER_DAY``) fixes the volume, and the output equals ``generate_postfix``.
    """
    if target_lines is not None and messages_per_day is not None:
        raise ValueError("give target_lines or messages_per_day, not both")
    if target_lines is None and messages_per_day is None:
        messages_per_day = DEFAULT_MESSAGES_PER_DAY
    sim = _Simulator(
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=target_lines,
    )
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        write = f.write

        def sink(lines: list[str]) -> None:
            write("\n".join(lines))
            write("\n")

        truth = sim.run(sink)
    if truth_path is not None:
        write_truth(truth_path, truth)
    return truth


def write_truth(path, truth: dict) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
