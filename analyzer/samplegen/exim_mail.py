"""Exim's main log (cPanel style) for mail: Exim's own timestamps and message ids,
arrivals (``<=`` with ``H=``, ``A=dovecot_login:user``, ``U=`` and the ``cwd=`` lines of
local submissions), deliveries (``=>``, ``==`` deferrals, ``**`` bounces, ``Completed``)
and bounce messages."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from .core import HOUR, PROGRAM_OF, TIME_OF
from .mta_common import MTASimulator
from .names import SERVER_IP
from .phpmail import script_dir
from .world import pick_cum

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _b62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, d = divmod(n, 62)
        out.append(_B62[d])
    return "".join(reversed(out))


class EximMail(MTASimulator):
    """Exim's lines for arrivals, deliveries and bounce messages."""

    PROGRAM = "exim"

    def _build_pids(self) -> None:
        super()._build_pids()
        self._mmss_exim = [f"{m:02d}:{s:02d} " for m in range(60) for s in range(60)]

    def _flush(self, h: int, sink: Callable[[list[str]], None]) -> None:
        ev = self.events
        ev.sort(key=TIME_OF)
        i = bisect_left(ev, (h + 1) * HOUR, key=TIME_OF)
        if not i:
            return
        chunk = ev[:i]
        del ev[:i]
        assert chunk[0][0] >= h * HOUR, "event emitted into an already written hour"
        d = self.floor + timedelta(hours=h)
        head = f"{d:%Y-%m-%d %H}:"
        base = h * 3600
        mmss = self._mmss_exim
        self.prog_counts.update(map(PROGRAM_OF, chunk))
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

    def inbound(self, t: int) -> None:
        r = self.rng.random
        name, ip, helo, sdom, claimed, client, identity, _ = self.mtas[pick_cum(self._mta_cum, r())]
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
