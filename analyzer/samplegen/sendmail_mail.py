"""Sendmail's syslog for mail: ``sm-mta`` (the MTA) and ``sendmail`` (the MSP) lines,
Sendmail queue ids, arrivals (``from=`` with ``relay=``, ``AUTH=server`` logins before a
session's first message), the MSP -> MTA hop of every local submission, deliveries
(``to=`` with ``stat=``) and DSNs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from .core import HOUR, QUEUE_LIFETIME_MS
from .mta_common import MTASimulator
from .world import pick_cum

# sendmail's queue id digits (base 62 without y and z)
_B60 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"


class SendmailMail(MTASimulator):
    """Sendmail's lines for arrivals, the MSP hop, deliveries and DSNs."""

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

    def inbound(self, t: int) -> None:
        r = self.rng.random
        name, ip, helo, sdom, claimed, client, identity, _ = self.mtas[pick_cum(self._mta_cum, r())]
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
            f"Cannot send message for {QUEUE_LIFETIME_MS // HOUR} hours"
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
