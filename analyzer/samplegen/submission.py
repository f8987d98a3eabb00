"""Authenticated submission: SASL sessions on 587 (``submission``) and 465 (``smtps``)
of the hosted accounts, their recipients and delivery plans, opendkim's signature and
the hop through amavis."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from .core import Rcpt
from .inbound import Inbound
from .wording import TLS_IN, counters_text
from .world import pick_cum


class Submission(Inbound):
    """SASL-authenticated sessions and the accounts' background mail."""

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
        emit((t, prog, f"{pre}Anonymous TLS connection established from {client}: {TLS_IN}"))
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
        emit((t, prog, f"{pre}disconnect from {client} {counters_text(parts)}"))
        proc[0] = t
        return t

    def _outbound_plan(self) -> str:
        x = self.rng.random()
        return "s" if x < 0.945 else ("ds" if x < 0.975 else ("b" if x < 0.995 else "db"))

    def _recipients_for_sasl(self) -> list:
        r = self.rng.random
        x = r()
        n = 1 if x < 0.75 else (2 if x < 0.9 else 2 + int(r() * 6))
        out: list[Rcpt] = []
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
        user, method, svc, ips = self.accounts[pick_cum(self._account_cum, r())]
        name, ip = ips[0] if len(ips) == 1 or r() < 0.7 else ips[1]
        self.sasl_session(t, svc, name, ip, method, user, [self._recipients_for_sasl()])
