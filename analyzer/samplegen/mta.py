"""The Postfix sample's simulated server, running Exim (cPanel style) or Sendmail instead.

The same world (domains, mailboxes, SASL accounts, web sites, destinations), the same
background traffic and the same four planted incidents as ``postfix.py`` — the scheduling,
incident planning and truth bookkeeping are inherited from its simulator — with every
line an MTA writes rendered in that MTA's own words:

- **Exim** (``exim_mainlog`` of a cPanel server: Exim's own timestamps, no pid, ``U=``
  logins, ``cwd=`` lines of local submissions, ``A=dovecot_login:user``, ``C=`` replies).
  Local submissions are charged to ``user:site<uid>``; the PHP burst shows up with the
  directory of its script (``cwd=``).
- **Sendmail** (syslog, ``sm-mta`` for the MTA, ``sendmail`` for the MSP): every local
  submission makes the MSP -> MTA hop over localhost, SASL sessions log ``AUTH=server``
  before their first message without a queue id (a tenth with one, a form seen in parsers),
  AUTH failures are logged one by one (LogLevel >= 10) and sessions with several end in
  ``possible SMTP attack``; relay rejects are ``check_rcpt ... Relaying denied`` followed
  by the session's ``nrcpts=0`` line.

Deterministic like the Postfix generator (its own random streams, only ``random()``).
Counts that differ by nature (Exim gives up with a ``retry timeout exceeded`` bounce where
Postfix expires; Sendmail has no HELO reject) are counted as what is written.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from .phpmail import BURST_SCRIPT, script_dir, script_path
from .postfix import (
    _FIRST,
    _FIRST_NAMES,
    _HOUR,
    _LAST_NAMES,
    _PROGRAM,
    _SENDER_LOCALS,
    _WORDS,
    DEFAULT_MESSAGES_PER_DAY,
    DEFAULT_SEED,
    DEFAULT_START,
    QUEUE_LIFETIME_MS,
    SERVER_IP,
    _pick_cum,
    _Simulator,
    next_attempt,
)

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B60 = _B62[:60]  # sendmail's queue id digits
_SUBJECT_WORDS = (
    "Angebot",
    "Rechnung",
    "Termin",
    "Ihre",
    "Anfrage",
    "Bestellung",
    "Update",
    "Einladung",
    "Info",
    "Newsletter",
    "Frage",
    "Projekt",
    "Woche",
    "Bericht",
)


def _b62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, d = divmod(n, 62)
        out.append(_B62[d])
    return "".join(reversed(out))


class _MTASimulator(_Simulator):
    """What an MTA other than Postfix shares: no Postfix daemons or Dovecot lines, the
    delivery plan (attempts, retries, give-up, bounce) with the lines left to subclasses."""

    PROGRAM = "mta"

    def _build_pids(self) -> None:
        self.smtpd_pools = {}
        self.mrng = random.Random(f"{self.PROGRAM}-lines:{self.seed}")

    def imap_session(self, t: int) -> None:  # Dovecot logs elsewhere
        pass

    def _anvil(self, h: int) -> None:
        pass

    def subject(self) -> str:
        r = self.mrng.random
        words = [_SUBJECT_WORDS[int(r() * len(_SUBJECT_WORDS))] for _ in range(1 + int(r() * 3))]
        return " ".join(words) + (f" {int(r() * 9000) + 1000}" if r() < 0.3 else "")

    # --- delivery plan (the lines are the subclass's) -------------------------------------
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
        ctx=None,
    ) -> int:
        r = self.rng.random
        counts = self.deliveries
        attempt, pending, last, notify, expired = 0, rcpts, t, False, False
        while True:
            deferred = []
            for rc in pending:
                addr, route, plan = rc
                outcome = plan[attempt] if attempt < len(plan) else plan[-1]
                b_ms = int(r() * 30)
                if route[0] == "smtp":
                    if outcome == "x" or (outcome == "d" and r() < 0.4):
                        td = t + b_ms + 30_000 + int(r() * 200)
                        self.line_timeout(td, qid, addr, route, td - t_arr, ctx)
                        status = "deferred"
                        deferred.append(rc)
                    else:
                        td = (
                            t
                            + b_ms
                            + 110
                            + int(r() * 900)
                            + int(r() * (1500 if outcome == "s" else 400))
                        )
                        if outcome == "s":
                            self.line_sent(td, qid, addr, route, td - t_arr, mid, ctx)
                            status = "sent"
                        elif outcome == "b":
                            self.line_bounced(td, qid, addr, route, td - t_arr, ctx)
                            status = "bounced"
                            notify = True
                        else:
                            self.line_greylisted(td, qid, addr, route, td - t_arr, ctx)
                            status = "deferred"
                            deferred.append(rc)
                else:
                    td = t + b_ms + 10 + int(r() * 250)
                    self.line_local(td, qid, addr, route, td - t_arr, ctx)
                    status = "sent"
                counts[status] += 1
                if track is not None:
                    track[status] += 1
                last = max(last, td)
            if not deferred:
                break
            attempt += 1
            t = next_attempt(last, attempt, deferred, r, self.t_end)
            if t - t_arr > QUEUE_LIFETIME_MS:
                self.line_gave_up(t, qid, deferred, t - t_arr, track, ctx)
                last, notify, expired = t, True, True
                break
            pending = deferred
        t = last + 1 + int(r() * 60)
        if notify and sender:
            t = self.bounce_notice(t, qid, sender, size, expired)
        self.line_done(t, qid, ctx)
        return t

    def line_done(self, t, qid, ctx) -> None:
        pass

    def _count_reject(self, cls: str) -> None:
        self.reject_classes[cls] += 1

    def _truth(self) -> dict:
        truth = super()._truth()
        truth["mta"] = self.PROGRAM
        truth["rejects"]["by_class"] = {k: v for k, v in truth["rejects"]["by_class"].items() if v}
        truth["rejects"].pop("postscreen", None)
        truth["reused_queue_id"] = None
        php = truth["incidents"].get("php_script")
        if php is not None:
            php["script_path"] = script_path(1017, BURST_SCRIPT, self.start)
            php["messages_of_uid_total"] = self.identities[self.local_identity(1017)]
        return truth

    def local_identity(self, uid: int) -> str:
        return f"uid:{uid}"

    def _php_call(self, t: int, uid: int, script: str, rcpts: list) -> None:
        if self.php_calls is not None:
            self.php_calls.append((t, uid, script, [rc[0] for rc in rcpts]))

    def _track_bakery(self, t: int, hook, rcpts: list, track):
        """The compromised account's own mail inside the incident window counts in the
        incident's truth like the attacker's (recipients, domains, delivery status)."""
        st = self._inc_state.get("sasl")
        if (
            track is None
            and st is not None
            and hook == self._bakery_hook
            and st["start"] <= t < st["end"]
        ):
            st["recipients"] += len(rcpts)
            st["domains"].update(a.split("@")[1] for a, _, _ in rcpts)
            return st["status"]
        return track

    def _recipients_text(self, rcpts: list) -> str:
        return " ".join(rc[0] for rc in rcpts)

    # ----------------------------------------------------------------------------- Exim

    def inbound_envelope(self, sdom: str) -> tuple[list, str, str, int]:
        """Recipients (hosted mailboxes), sender, message-id and size of an inbound
        message from domain `sdom` (the draws every MTA's inbound mail shares)."""
        r = self.rng.random
        x = r()
        if x < 0.85:
            rcpts = [
                self.postmaster_rcpt
                if r() < 0.03
                else self.mailbox_rcpts[_pick_cum(self._mailbox_cum, r())]
            ]
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
        return rcpts, sender, mid, size


class _EximSimulator(_MTASimulator):
    PROGRAM = "exim"

    def _build_pids(self) -> None:
        super()._build_pids()
        self._mmss_exim = [f"{m:02d}:{s:02d} " for m in range(60) for s in range(60)]

    def _flush(self, h: int, sink: Callable[[list[str]], None]) -> None:
        ev = self.events
        ev.sort(key=_FIRST)
        i = bisect_left(ev, (h + 1) * _HOUR, key=_FIRST)
        if not i:
            return
        chunk = ev[:i]
        del ev[:i]
        assert chunk[0][0] >= h * _HOUR, "event emitted into an already written hour"
        d = self.floor + timedelta(hours=h)
        head = f"{d:%Y-%m-%d %H}:"
        base = h * 3600
        mmss = self._mmss_exim
        self.prog_counts.update(map(_PROGRAM, chunk))
        self.lines += i
        sink([head + mmss[t // 1000 - base] + text for t, _, text in chunk])

    def emit(self, t: int, text: str) -> None:
        self.events.append((t, "exim", text))

    def exim_id(self, t: int) -> str:
        frac = (t % 1000) * 3844 // 1000
        return f"{_b62(self.epoch + t // 1000, 6)}-{_b62(self.new_pid(), 6)}-{_b62(frac, 2)}"

    def local_identity(self, uid: int) -> str:
        return f"user:site{uid}"

    @staticmethod
    def hostspec(name: str, helo: str, ip: str, port: int) -> str:
        if name == "unknown":
            return f"({helo}) [{ip}]:{port}"
        if helo == name:
            return f"{name} [{ip}]:{port}"
        return f"{name} ({helo}) [{ip}]:{port}"

    def _port(self) -> int:
        return 1024 + int(self.rng.random() * 64000)

    # --- arrivals -------------------------------------------------------------------------
    def inbound(self, t: int) -> None:
        r = self.rng.random
        name, ip, helo, sdom, claimed, client, identity, _ = self.mtas[
            _pick_cum(self._mta_cum, r())
        ]
        t += 300 + int(r() * 1500)
        qid = self.exim_id(t)
        rcpts, sender, mid, size = self.inbound_envelope(sdom)
        tls = r() < 0.7
        tls_part = " X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no" if tls else ""
        self.emit(
            t,
            f"{qid} <= {sender or '<>'} H={self.hostspec(name, helo, ip, self._port())} "
            f"I=[{SERVER_IP}]:25 P={'esmtps' if tls else 'esmtp'}{tls_part} S={size} id={mid} "
            f'T="{self.subject()}" for {self._recipients_text(rcpts)}',
        )
        self.origins["smtp"] += 1
        self.identities[identity] += 1
        self.deliver(qid, t, t + 5 + int(r() * 50), sender, rcpts, mid, size)

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
        r = self.rng.random
        port = self._port()
        helo = name if name != "unknown" else f"[192.168.{int(r() * 5)}.{2 + int(r() * 200)}]"
        spec = self.hostspec(name, helo, ip, port)
        listen = 587 if svc == "submission" else 465
        dom = user.rsplit("@", 1)[-1]
        t += 400 + int(r() * 1500)
        for rcpts in messages:
            qid = self.exim_id(t)
            h = self._hex(32)
            mid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}@{dom}"
            size = 900 + int(r() ** 3 * 400_000)
            self.emit(
                t,
                f"{qid} <= {user} H={spec} I=[{SERVER_IP}]:{listen} P=esmtpsa "
                f"X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_{method.lower()}:{user} "
                f'S={size} id={mid} T="{self.subject()}" for {self._recipients_text(rcpts)}',
            )
            self.origins["sasl"] += 1
            self.identities["sasl:" + user] += 1
            if hook:
                hook(t, ip)
            self.deliver(
                qid,
                t,
                t + 5 + int(r() * 60),
                user,
                rcpts,
                mid,
                size,
                self._track_bakery(t, hook, rcpts, track),
            )
            t += 50 + int(r() * 400) + 80 * len(rcpts)
        return t

    def php_message(
        self, t: int, uid: int, script: str, rcpts: list, track: Counter | None = None
    ) -> None:
        r = self.rng.random
        self._php_call(t, uid, script, rcpts)
        directory = script_dir(uid, script, self.start)
        self.emit(t, f"cwd={directory} 3 args: /usr/sbin/sendmail -t -i")
        t += 20 + int(r() * 150)
        qid = self.exim_id(t)
        size = 1200 + int(r() ** 2 * 30_000)
        self.emit(
            t,
            f"{qid} <= site{uid}@{self.myhost} U=site{uid} P=local S={size} "
            f'T="{self.subject()}" for {self._recipients_text(rcpts)}',
        )
        self.emit(t + 3, f"cwd={directory} 3 args: /usr/sbin/exim -Mc {qid}")
        self.origins["local"] += 1
        self.identities[self.local_identity(uid)] += 1
        self.deliver(
            qid,
            t,
            t + 10 + int(r() * 40),
            f"site{uid}@{self.myhost}",
            rcpts,
            f"{self._hex(32)}@www.{self.sites[uid][0]}",
            size,
            track,
        )

    def cron(self, t: int, job: str) -> None:
        r = self.rng.random
        self.emit(t, "cwd=/root 3 args: /usr/sbin/sendmail -t -i")
        t += 10 + int(r() * 60)
        qid = self.exim_id(t)
        size = (6000 + int(r() * 9000)) if job == "logwatch" else (700 + int(r() * 400))
        root = f"root@{self.myhost}"
        self.emit(
            t,
            f'{qid} <= {root} U=root P=local S={size} T="Cron <root@{self.host}> run-parts" for {root}',
        )
        self.origins["local"] += 1
        self.identities["user:root"] += 1
        self.deliver(
            qid,
            t,
            t + 5 + int(r() * 40),
            root,
            [(root, ("local", root, "root"), "s")],
            f"{qid}@{self.myhost}",
            size,
        )

    def bounce_notice(self, t: int, qid: str, sender: str, size: int, expired: bool = False) -> int:
        r = self.rng.random
        t += 5 + int(r() * 40)
        nq = self.exim_id(t)
        nsize = 2400 + min(size, 4000) + int(r() * 800)
        self.emit(
            t,
            f"{nq} <= <> R={qid} U=mailnull P=local S={nsize} "
            f'T="Mail delivery failed: returning message to sender" for {sender}',
        )
        self.origins["bounce"] += 1
        t_removed = t + 1 + int(r() * 8)
        self.deliver(
            nq,
            t,
            t_removed,
            "",
            [(sender, self.route_to(sender), "s")],
            f"E{nq}@{self.myhost}",
            nsize,
        )
        return t_removed

    # --- delivery lines -------------------------------------------------------------------
    def line_sent(self, t, qid, addr, route, delay, mid, ctx) -> None:
        _, mx, ip, style = route
        r = self.rng.random
        reply = (
            f"250 2.0.0 OK {self.epoch + t // 1000} {self._b64(12)} - gsmtp"
            if style == "gsmtp"
            else f"250 2.0.0 Ok: queued as {self._b64(10)}"
        )
        self.emit(
            t,
            f"{qid} => {addr} R=dnslookup T=remote_smtp H={mx} [{ip}] "
            f"X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV={'yes' if r() < 0.6 else 'no'} "
            f'C="{reply}" QT={max(1, delay // 1000)}s DT={max(0, delay // 2000)}s',
        )

    def line_local(self, t, qid, addr, route, delay, ctx) -> None:
        if route[0] == "local":
            _, to, orig = route
            self.emit(t, f"{qid} => {to.split('@')[0]} <{to}> R=localuser T=local_delivery")
        else:
            self.emit(
                t,
                f"{qid} => {addr.split('@')[0]} <{addr}> R=virtual_user T=dovecot_virtual_delivery",
            )

    def line_timeout(self, t, qid, addr, route, delay, ctx) -> None:
        self.emit(t, f"{qid} == {addr} R=dnslookup T=remote_smtp defer (110): Connection timed out")

    def line_greylisted(self, t, qid, addr, route, delay, ctx) -> None:
        _, mx, ip, _ = route
        self.emit(
            t,
            f"{qid} == {addr} R=dnslookup T=remote_smtp defer (-44) H={mx} [{ip}]: SMTP error from "
            f"remote mail server after RCPT TO:<{addr}>: 450 4.7.1 <{addr}>: Recipient address "
            "rejected: Greylisted",
        )

    def line_bounced(self, t, qid, addr, route, delay, ctx) -> None:
        _, mx, ip, _ = route
        if self.rng.random() < 0.75:
            tail = f"after RCPT TO:<{addr}>: 550 5.1.1 <{addr}>: Recipient address rejected: User unknown"
        else:
            tail = "after end of data: 550 5.7.1 Message rejected as spam"
        self.emit(
            t,
            f"{qid} ** {addr} R=dnslookup T=remote_smtp H={mx} [{ip}]: SMTP error from remote "
            f"mail server {tail}",
        )

    def line_gave_up(self, t, qid, pending, age, track, ctx) -> None:
        for addr, _, _ in pending:  # Exim bounces what it could not deliver in time
            self.emit(t, f"{qid} ** {addr} R=dnslookup T=remote_smtp: retry timeout exceeded")
            self.deliveries["bounced"] += 1
            if track is not None:
                track["bounced"] += 1

    def line_done(self, t, qid, ctx) -> None:
        self.emit(t, f"{qid} Completed")

    # --- rejects, auth ----------------------------------------------------------------------
    def relay_probe(self, t: int) -> None:
        r = self.rng.random
        name, ip = self._bot()
        helo = name if name != "unknown" and r() < 0.5 else ("WIN-" + self._b64(8).upper())
        sender = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@{_WORDS[int(r() * len(_WORDS))]}-mail.example"
        spec = self.hostspec(name, helo, ip, self._port())
        for _ in range(1 if r() < 0.8 else 2):
            t += 300 + int(r() * 1500)
            rcpt, _ = self.external_rcpt()
            self.emit(
                t,
                f"H={spec} I=[{SERVER_IP}]:25 F=<{sender}> rejected RCPT <{rcpt}>: relay not permitted",
            )
            self._count_relay(t, internet=True)

    def localhost_relay(self, t: int, k: int) -> None:
        ir = self.irng.random
        port = 40000 + int(ir() * 20000)
        for _ in range(k):
            t += 20 + int(ir() * 200)
            rcpt, _ = self.external_rcpt(self.irng)
            self.emit(
                t,
                f"H=localhost (shop-anna.example) [127.0.0.1]:{port} I=[127.0.0.1]:25 "
                f"F=<shop@shop-anna.example> rejected RCPT <{rcpt}>: relay not permitted",
            )
            self._count_relay(t, internet=False)

    def reject_session(self, t: int, cls: str) -> None:
        r = self.rng.random
        if cls == "unknown_recipient":
            name, ip, helo, sdom, _ = self.mtas[_pick_cum(self._mta_cum, r())][:5]
        else:
            name, ip = self._bot()
            helo = name if name != "unknown" else f"[{ip}]"
            sdom = f"{_WORDS[int(r() * len(_WORDS))]}-{int(r() * 99)}.example.net"
        t += 300 + int(r() * 1500)
        rcpt = self.mailbox()
        sender = f"{_SENDER_LOCALS[int(r() * len(_SENDER_LOCALS))]}@{sdom}"
        if cls == "helo_rejected":
            helo = "WIN-" + self._hex(10).upper()
            self.emit(
                t,
                f"H=({helo}) [{ip}]:{self._port()} I=[{SERVER_IP}]:25 rejected EHLO or HELO {helo}: "
                "HELO rejected: need fully-qualified hostname",
            )
        else:
            spec = self.hostspec(name, helo, ip, self._port())
            if cls == "rbl":
                reason = (
                    f"JunkMail rejected - {ip} is in an RBL: https://www.spamhaus.org/query/ip/{ip}"
                )
            elif cls == "unknown_recipient":
                dom = rcpt.split("@")[1]
                rcpt = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}.{_LAST_NAMES[int(r() * len(_LAST_NAMES))]}@{dom}"
                reason = "No Such User Here"
            else:
                sender = (
                    f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@"
                    f"{_WORDS[int(r() * len(_WORDS))]}.invalid-domain.example"
                )
                reason = "Sender verify failed"
            self.emit(
                t, f"H={spec} I=[{SERVER_IP}]:25 F=<{sender}> rejected RCPT <{rcpt}>: {reason}"
            )
        self._count_reject(cls)

    def postscreen_noise(self, t: int) -> None:
        """Bots that never send: pregreeting, DNSBL-listed, silent."""
        r = self.rng.random
        _, ip = self._bot()
        port = self._port()
        x = r()
        if x < 0.4:
            self.emit(
                t,
                f"SMTP protocol synchronization error (input sent without waiting for greeting): "
                f'rejected connection from H=[{ip}]:{port} I=[{SERVER_IP}]:25 input="EHLO '
                f'{("ylmf-pc", "User", "x", "localhost")[int(r() * 4)]}\\r\\n"',
            )
        elif x < 0.8:
            t += 6000 + int(r() * 3000)
            helo = f"{_WORDS[int(r() * len(_WORDS))]}{int(r() * 99)}.example.net"
            sender = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@{helo}"
            self.emit(
                t,
                f"H=({helo}) [{ip}]:{port} I=[{SERVER_IP}]:25 F=<{sender}> rejected RCPT "
                f"<{self.mailbox()}>: JunkMail rejected - {ip} is in an RBL: "
                f"https://www.spamhaus.org/query/ip/{ip}",
            )
            self._count_reject("rbl")
        else:
            t += 6000 + int(r() * 100)
            self.emit(t, f"no MAIL in SMTP connection from [{ip}]:{port} I=[{SERVER_IP}]:25 D=6s")

    def lost_connection(self, t: int) -> None:
        _, ip = self._bot()
        self.emit(t, f"SMTP connection from [{ip}]:{self._port()} I=[{SERVER_IP}]:25 lost D=0s")

    def auth_fail_session(
        self, t: int, svc: str, ip: str, attempts: list, quit_: bool
    ) -> list[int]:
        r = self.rng.random
        port = self._port()
        listen = 587 if svc == "submission" else 465
        times = []
        for method, user in attempts:
            t += 1500 + int(r() * 2500)
            tail = f" (set_id={user})" if user is not None else ""
            self.emit(
                t,
                f"dovecot_{method.lower()} authenticator failed for (User) [{ip}]:{port} "
                f"I=[{SERVER_IP}]:{listen}: 535 Incorrect authentication data{tail}",
            )
            self.auth_failures += 1
            times.append(t)
        return times

    def _truth(self) -> dict:
        truth = super()._truth()
        php = truth["incidents"].get("php_script")
        if php is not None:
            php.update(
                user="site1017",
                identity="user:site1017",
                script=script_dir(1017, BURST_SCRIPT, self.start),
            )
        return truth


# ------------------------------------------------------------------------------ Sendmail
class _SendmailSimulator(_MTASimulator):
    PROGRAM = "sendmail"

    def _build_pids(self) -> None:
        super()._build_pids()
        self._qseq = 0

    def qid_at(self, t: int, pid: int) -> str:
        d = self.floor + timedelta(milliseconds=t)
        self._qseq = (self._qseq + 1) % 3600
        return (
            f"{_B60[d.year % 60]}{_B60[d.month - 1]}{_B60[d.day]}{_B60[d.hour]}{_B60[d.minute]}"
            f"{_B60[d.second]}{_B60[self._qseq // 60]}{_B60[self._qseq % 60]}{pid % 1000000:06d}"
        )

    def mta(self, t: int, pid: int, text: str) -> None:
        self.events.append((t, "sm-mta", f"sm-mta[{pid}]: {text}"))

    def msp(self, t: int, pid: int, text: str) -> None:
        self.events.append((t, "sendmail", f"sendmail[{pid}]: {text}"))

    @staticmethod
    def relay(name: str, ip: str) -> str:
        if ":" in ip:
            ip = "IPv6:" + ip
        return f"[{ip}]" if name == "unknown" else f"{name} [{ip}]"

    def _delay(self, ms: int) -> str:
        s = ms // 1000
        return (
            f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
            if s < 86400
            else f"{s // 86400}+{s // 3600 % 24:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        )

    # --- arrivals -------------------------------------------------------------------------
    def inbound(self, t: int) -> None:
        r = self.rng.random
        name, ip, helo, sdom, claimed, client, identity, _ = self.mtas[
            _pick_cum(self._mta_cum, r())
        ]
        pid = self.new_pid()
        qid = self.qid_at(t, pid)
        rcpts, sender, mid, size = self.inbound_envelope(sdom)
        rel = self.relay(name, ip)
        if r() < 0.7:
            self.mta(
                t,
                pid,
                f"{qid}: STARTTLS=server, relay={rel}, version=TLSv1.3, verify=NO, "
                "cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
            )
        t += 300 + int(r() * 1500)
        self.mta(
            t,
            pid,
            f"{qid}: from=<{sender}>, size={size}, class=0, nrcpts={len(rcpts)}, msgid=<{mid}>, "
            f"bodytype=8BITMIME, proto=ESMTPS, daemon=MTA, relay={rel}",
        )
        self.origins["smtp"] += 1
        self.identities[identity] += 1
        self.deliver(
            qid, t, t + 5 + int(r() * 50), sender, rcpts, mid, size, ctx=(self.new_pid(), None)
        )

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
        r = self.rng.random
        pid = self.new_pid()
        rel = self.relay(name, ip)
        qid = self.qid_at(t, pid)
        # Sendmail logs STARTTLS and AUTH before MAIL FROM, with no queue id (NOQID); one
        # session in ten has the queue-id form some parsers assume
        noqid = "" if pid % 10 else f"{qid}: "
        self.mta(
            t,
            pid,
            f"{noqid}STARTTLS=server, relay={rel}, version=TLSv1.3, verify=NO, "
            "cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
        )
        t += 300 + int(r() * 900)
        self.mta(t, pid, f"{noqid}AUTH=server, relay={rel}, authid={user}, mech={method}, bits=0")
        dom = user.rsplit("@", 1)[-1]
        first = True
        for rcpts in messages:
            t += 200 + int(r() * 600)
            if not first:
                qid = self.qid_at(t, pid)
            first = False
            h = self._hex(32)
            mid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}@{dom}"
            size = 900 + int(r() ** 3 * 400_000)
            self.mta(
                t,
                pid,
                f"{qid}: from=<{user}>, size={size}, class=0, nrcpts={len(rcpts)}, msgid=<{mid}>, "
                f"bodytype=8BITMIME, proto=ESMTPSA, daemon=MSA, relay={rel}",
            )
            self.origins["sasl"] += 1
            self.identities["sasl:" + user] += 1
            if hook:
                hook(t, ip)
            self.deliver(
                qid,
                t,
                t + 5 + int(r() * 60),
                user,
                rcpts,
                mid,
                size,
                self._track_bakery(t, hook, rcpts, track),
                ctx=(self.new_pid(), None),
            )
        return t

    def _submit(
        self,
        t: int,
        login: str,
        uid: int,
        sender: str,
        rcpts: list,
        mid: str,
        size: int,
        track: Counter | None,
    ) -> None:
        """The MSP takes the message from the local process and hands it to the MTA."""
        r = self.rng.random
        msp_pid, mta_pid = self.new_pid(), self.new_pid()
        a = self.qid_at(t, msp_pid)
        to = ",".join(f"<{rc[0]}>" for rc in rcpts)
        self.msp(
            t,
            msp_pid,
            f"{a}: from={login}, size={size}, class=0, nrcpts={len(rcpts)}, msgid=<{mid}>, "
            f"relay={login}@localhost",
        )
        t += 2 + int(r() * 20)
        b = self.qid_at(t, mta_pid)
        self.mta(
            t,
            mta_pid,
            f"{b}: from=<{sender}>, size={size + 120}, class=0, nrcpts={len(rcpts)}, "
            f"msgid=<{mid}>, proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]",
        )
        t += 1 + int(r() * 10)
        self.msp(
            t,
            msp_pid,
            f"{a}: to={to}, ctladdr={login} ({uid}/{uid}), delay=00:00:00, xdelay=00:00:00, "
            f"mailer=relay, pri={30000 + size}, relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, "
            f"stat=Sent ({b} Message accepted for delivery)",
        )
        self.deliver(
            b,
            t,
            t + 5 + int(r() * 40),
            sender,
            rcpts,
            mid,
            size + 120,
            track,
            ctx=(self.new_pid(), f"<{sender}> ({uid}/{uid})"),
        )

    def php_message(
        self, t: int, uid: int, script: str, rcpts: list, track: Counter | None = None
    ) -> None:
        r = self.rng.random
        self._php_call(t, uid, script, rcpts)
        size = 1200 + int(r() ** 2 * 30_000)
        self._submit(
            t,
            f"site{uid}",
            uid,
            f"site{uid}@{self.myhost}",
            rcpts,
            f"{self._hex(32)}@www.{self.sites[uid][0]}",
            size,
            track,
        )
        self.origins["local"] += 1
        self.identities[f"uid:{uid}"] += 1

    def cron(self, t: int, job: str) -> None:
        r = self.rng.random
        size = (6000 + int(r() * 9000)) if job == "logwatch" else (700 + int(r() * 400))
        root = f"root@{self.myhost}"
        self._submit(
            t,
            "root",
            0,
            root,
            [(root, ("local", root, "root"), "s")],
            f"{self._hex(16)}@{self.myhost}",
            size,
            None,
        )
        self.origins["local"] += 1
        self.identities["uid:0"] += 1

    def bounce_notice(self, t: int, qid: str, sender: str, size: int, expired: bool = False) -> int:
        r = self.rng.random
        t += 5 + int(r() * 40)
        pid = self.new_pid()
        nq = self.qid_at(t, pid)
        reason = (
            f"Cannot send message for {QUEUE_LIFETIME_MS // _HOUR} hours"
            if expired
            else "User unknown"
        )
        self.mta(t, pid, f"{qid}: {nq}: DSN: {reason}")
        if expired:
            self.expired += 1
        self.origins["bounce"] += 1
        t_removed = t + 1 + int(r() * 8)
        self.deliver(
            nq,
            t,
            t_removed,
            "",
            [(sender, self.route_to(sender), "s")],
            f"{nq}@{self.myhost}",
            2400 + min(size, 4000),
            ctx=(pid, None),
        )
        return t_removed

    # --- delivery lines -------------------------------------------------------------------
    def _line(self, t, qid, addr, delay, mailer, relay, dsn, stat, ctx) -> None:
        pid, ctladdr = ctx
        ctl = f"ctladdr={ctladdr}, " if ctladdr else ""
        rel = f"relay={relay}, " if relay else ""
        xdelay = self._delay(min(delay, 2000 + int(self.mrng.random() * 1000)))
        self.mta(
            t,
            pid,
            f"{qid}: to=<{addr}>, {ctl}delay={self._delay(delay)}, xdelay={xdelay}, "
            f"mailer={mailer}, pri={30000 + delay % 90000}, {rel}dsn={dsn}, stat={stat}",
        )

    def line_sent(self, t, qid, addr, route, delay, mid, ctx) -> None:
        _, mx, ip, style = route
        reply = (
            f"OK {self.epoch + t // 1000} {self._b64(12)} - gsmtp"
            if style == "gsmtp"
            else f"Ok: queued as {self._b64(10)}"
        )
        self._line(t, qid, addr, delay, "esmtp", f"{mx}. [{ip}]", "2.0.0", f"Sent ({reply})", ctx)

    def line_local(self, t, qid, addr, route, delay, ctx) -> None:
        to = route[1] if route[0] == "local" else addr
        self._line(t, qid, to, delay, "local", None, "2.0.0", "Sent", ctx)

    def line_timeout(self, t, qid, addr, route, delay, ctx) -> None:
        _, mx, ip, _ = route
        self._line(
            t,
            qid,
            addr,
            delay,
            "esmtp",
            f"{mx}.",
            "4.0.0",
            f"Deferred: Connection timed out with {mx}.",
            ctx,
        )

    def line_greylisted(self, t, qid, addr, route, delay, ctx) -> None:
        _, mx, ip, _ = route
        self._line(
            t,
            qid,
            addr,
            delay,
            "esmtp",
            f"{mx}. [{ip}]",
            "4.7.1",
            "Deferred: 450 4.7.1 <{addr}>: Recipient address rejected: Greylisted".replace(
                "{addr}", addr
            ),
            ctx,
        )

    def line_bounced(self, t, qid, addr, route, delay, ctx) -> None:
        _, mx, ip, _ = route
        if self.rng.random() < 0.75:
            self._line(t, qid, addr, delay, "esmtp", f"{mx}. [{ip}]", "5.1.1", "User unknown", ctx)
        else:
            self._line(
                t, qid, addr, delay, "esmtp", f"{mx}. [{ip}]", "5.7.1", "Service unavailable", ctx
            )

    def line_gave_up(self, t, qid, pending, age, track, ctx) -> None:
        pass  # the DSN `Cannot send message for 12 hours` says it (see bounce_notice)

    # --- rejects, auth ----------------------------------------------------------------------
    def _rcpt_rejects(
        self, t: int, pid: int, rel: str, sender: str, rejects: list[tuple[str, str]]
    ) -> list[int]:
        """A session whose every RCPT is refused, ending with its `nrcpts=0` line; returns
        the times of the reject lines."""
        r = self.rng.random
        qid = self.qid_at(t, pid)
        times = []
        for rcpt, reject in rejects:
            t += 300 + int(r() * 1500)
            self.mta(
                t, pid, f"{qid}: ruleset=check_rcpt, arg1=<{rcpt}>, relay={rel}, reject={reject}"
            )
            times.append(t)
        t += 20 + int(r() * 300)
        self.mta(
            t,
            pid,
            f"{qid}: from=<{sender}>, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA, "
            f"relay={rel}",
        )
        return times

    def relay_probe(self, t: int) -> None:
        r = self.rng.random
        name, ip = self._bot()
        sender = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@{_WORDS[int(r() * len(_WORDS))]}-mail.example"
        rejects = []
        for _ in range(1 if r() < 0.8 else 2):
            rcpt, _ = self.external_rcpt()
            rejects.append(
                (rcpt, f"550 5.7.1 <{rcpt}>... Relaying denied. Proper authentication required.")
            )
        for when in self._rcpt_rejects(t, self.new_pid(), self.relay(name, ip), sender, rejects):
            self._count_relay(when, internet=True)

    def localhost_relay(self, t: int, k: int) -> None:
        rejects = []
        ir = self.irng.random
        for _ in range(k):
            rcpt, _ = self.external_rcpt(self.irng)
            rejects.append((rcpt, f"550 5.7.1 <{rcpt}>... Relaying denied"))
        pid = 40000 + int(ir() * 20000)
        qid = self.qid_at(t, pid)
        for rcpt, reject in rejects:
            t += 20 + int(ir() * 200)
            self.mta(
                t,
                pid,
                f"{qid}: ruleset=check_rcpt, arg1=<{rcpt}>, relay=localhost [127.0.0.1], reject={reject}",
            )
            self._count_relay(t, internet=False)
        t += 5 + int(ir() * 50)
        self.mta(
            t,
            pid,
            f"{qid}: from=<shop@shop-anna.example>, size=0, class=0, nrcpts=0, proto=ESMTP, "
            "daemon=MTA, relay=localhost [127.0.0.1]",
        )

    def reject_session(self, t: int, cls: str) -> None:
        r = self.rng.random
        if cls == "unknown_recipient":
            name, ip, helo, sdom, _ = self.mtas[_pick_cum(self._mta_cum, r())][:5]
        else:
            name, ip = self._bot()
            sdom = f"{_WORDS[int(r() * len(_WORDS))]}-{int(r() * 99)}.example.net"
        pid = self.new_pid()
        rel = self.relay(name, ip)
        t += 300 + int(r() * 1500)
        rcpt = self.mailbox()
        sender = f"{_SENDER_LOCALS[int(r() * len(_SENDER_LOCALS))]}@{sdom}"
        if cls == "rbl":
            arg = f"[{ip}]" if name == "unknown" else name
            self.mta(
                t,
                pid,
                f"ruleset=check_relay, arg1={arg}, arg2={ip}, relay={rel}, reject=550 5.7.1 "
                f"Rejected: {ip} listed at zen.spamhaus.org",
            )
        elif cls == "unknown_recipient":
            dom = rcpt.split("@")[1]
            rcpt = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}.{_LAST_NAMES[int(r() * len(_LAST_NAMES))]}@{dom}"
            qid = self.qid_at(t, pid)
            self.mta(t, pid, f"{qid}: <{rcpt}>... User unknown")
            self.mta(
                t + 30,
                pid,
                f"{qid}: from=<{sender}>, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA, "
                f"relay={rel}",
            )
        elif cls == "helo_rejected":  # Sendmail judges no HELO: the bots that shout early instead
            qid = self.qid_at(t, pid)
            self.mta(
                t,
                pid,
                f"{qid}: rejecting commands from {rel} due to pre-greeting traffic after 0 seconds",
            )
            cls = "policy"
        else:
            sender = f"{_FIRST_NAMES[int(r() * len(_FIRST_NAMES))]}@{_WORDS[int(r() * len(_WORDS))]}.invalid-domain.example"
            self._rcpt_rejects(
                t,
                pid,
                rel,
                sender,
                [(rcpt, f"553 5.1.8 <{rcpt}>... Domain of sender address {sender} does not exist")],
            )
        self._count_reject(cls)

    def postscreen_noise(self, t: int) -> None:
        r = self.rng.random
        name, ip = self._bot()
        pid = self.new_pid()
        rel = self.relay(name, ip)
        x = r()
        if x < 0.4:
            self.mta(
                t + 6000,
                pid,
                f"{self.qid_at(t, pid)}: {rel} did not issue MAIL/EXPN/VRFY/ETRN during "
                "connection to MTA",
            )
        elif x < 0.8:
            arg = f"[{ip}]" if name == "unknown" else name
            self.mta(
                t,
                pid,
                f"ruleset=check_relay, arg1={arg}, arg2={ip}, relay={rel}, reject=550 5.7.1 "
                f"Rejected: {ip} listed at zen.spamhaus.org",
            )
            self._count_reject("rbl")
        else:
            self.mta(
                t + 6000,
                pid,
                f"{self.qid_at(t, pid)}: lost input channel from {rel} to MTA after ehlo",
            )

    def lost_connection(self, t: int) -> None:
        name, ip = self._bot()
        pid = self.new_pid()
        self.mta(
            t + 500,
            pid,
            f"{self.qid_at(t, pid)}: {self.relay(name, ip)} did not issue "
            "MAIL/EXPN/VRFY/ETRN during connection to MTA",
        )

    def auth_fail_session(
        self, t: int, svc: str, ip: str, attempts: list, quit_: bool
    ) -> list[int]:
        r = self.rng.random
        pid = self.new_pid()
        qid = self.qid_at(t, pid)
        rel = f"[{ip}]"
        times = []
        for method, user in attempts:
            t += 1500 + int(r() * 2500)
            who = f", user={user}" if user is not None else ""
            self.mta(
                t,
                pid,
                f"{qid}: AUTH failure ({method}): authentication failure (-13) SASL(-13): "
                f"authentication failure: checkpass failed{who}, relay={rel}",
            )
            self.auth_failures += 1
            times.append(t)
        if len(attempts) >= 3:  # the session's summary: already counted line by line
            self.mta(
                t + 20,
                pid,
                f"{qid}: {rel}: possible SMTP attack: command=AUTH, count={len(attempts)}",
            )
        return times


def passwd_lines() -> list[str]:
    """A passwd file of the simulated server: root, the MTA's users, one account per web
    site (`site<uid>`, home `/home/site<uid>`)."""
    from .postfix import _SITE_NAMES

    lines = [
        "root:x:0:0:root:/root:/bin/bash",
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
        "mailnull:x:47:47::/var/spool/mqueue:/sbin/nologin",
        "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
    ]
    for i, name in enumerate(_SITE_NAMES):
        uid = 1001 + i
        lines.append(f"site{uid}:x:{uid}:{uid}:{name}.example:/home/site{uid}:/bin/bash")
    return lines


def write_passwd(path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(line + "\n" for line in passwd_lines()))


# ---------------------------------------------------------------------------- public API
_KINDS = {"exim": _EximSimulator, "sendmail": _SendmailSimulator}


def generate_mta(
    kind: str,
    seed: int = DEFAULT_SEED,
    start: datetime = DEFAULT_START,
    days: float = 1.0,
    messages_per_day: int = DEFAULT_MESSAGES_PER_DAY,
    host: str = "mx1",
    incidents: bool = True,
    php_log: bool = False,
):
    """``days`` of Exim (``kind="exim"``) or Sendmail (``"sendmail"``) log lines and the
    truth dict. Deterministic for a given set of arguments. With ``php_log``, also the PHP
    mail.log of the same run and its truth: (lines, truth, php lines, php truth)."""
    lines: list[str] = []
    sim = _KINDS[kind](
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=None,
    )
    if php_log:
        sim.php_calls = []
    truth = sim.run(lines.extend)
    if not php_log:
        return lines, truth
    from .phpmail import mail_log

    return (lines, truth, *mail_log(sim, seed, start, days, host))


def write_mta(
    kind: str,
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
    """Stream a generated Exim or Sendmail log to ``path`` (bounded memory) and return the
    truth; ``target_lines`` steers the volume like ``write_postfix``."""
    if target_lines is None and messages_per_day is None:
        messages_per_day = DEFAULT_MESSAGES_PER_DAY
    sim = _KINDS[kind](
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=target_lines,
    )
    with open(path, "w", encoding="utf-8", newline="\n") as f:

        def sink(lines: list[str]) -> None:
            f.write("\n".join(lines))
            f.write("\n")

        truth = sim.run(sink)
    if truth_path is not None:
        with open(truth_path, "w", encoding="utf-8", newline="\n") as f:
            json.dump(truth, f, indent=2)
            f.write("\n")
    return truth
