"""What smtpd refuses: relay attempts, RBL-listed clients, unknown recipients, bad HELO
names and senders (``NOQUEUE: reject``), and failed SMTP AUTH; each counted by class
(relay rejects also inside the relay spike's window)."""

from __future__ import annotations

from collections import Counter

from .local_submission import LocalSubmission
from .names import BRUTE_USERNAMES, FIRST_NAMES, LAST_NAMES, SENDER_LOCALS, SERVER_IP, WORDS
from .wording import TLS_IN, counters_text
from .world import pick_cum


class Rejects(LocalSubmission):
    """Rejected sessions and AUTH failures."""

    def _init_state(self) -> None:
        super()._init_state()
        self.reject_classes = Counter(
            {
                "relay_denied": 0,
                "rbl": 0,
                "unknown_recipient": 0,
                "helo_rejected": 0,
                "sender_rejected": 0,
            }
        )
        self.auth_failures = 0

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
        sender = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{WORDS[int(r() * len(WORDS))]}-mail.example"
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
        self.events.append((t, prog, f"{pre}disconnect from {name}[{ip}] {counters_text(parts)}"))
        proc[0] = t

    def _count_relay(self, t: int, internet: bool) -> None:
        self.reject_classes["relay_denied"] += 1
        spike = self._inc_state.get("relay")
        if spike is not None and spike["start"] <= t < spike["end"]:
            spike["internet" if internet else "local"] += 1

    def reject_session(self, t: int, cls: str) -> None:
        r = self.rng.random
        if cls == "unknown_recipient":
            name, ip, helo, sdom, claimed = self.mtas[pick_cum(self._mta_cum, r())][:5]
        else:
            (name, ip), claimed = self._bot(), None
            helo = name if name != "unknown" else f"[{ip}]"
            sdom = f"{WORDS[int(r() * len(WORDS))]}-{int(r() * 99)}.example.net"
        t = self._postscreen_pass(t, ip)
        proc, prog, pre = self._open(t, "smtpd", name, ip, claimed)
        t += 300 + int(r() * 1500)
        rcpt = self.mailbox()
        sender = f"{SENDER_LOCALS[int(r() * len(SENDER_LOCALS))]}@{sdom}"
        client = f"{name}[{ip}]"
        if cls == "rbl":
            reason = (
                f"Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; "
                f"https://www.spamhaus.org/query/ip/{ip}"
            )
            line = self._reject_line(pre, client, "554 5.7.1", reason, sender, rcpt, helo)
        elif cls == "unknown_recipient":
            dom = rcpt.split("@")[1]
            rcpt = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}.{LAST_NAMES[int(r() * len(LAST_NAMES))]}@{dom}"
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
            sender = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{WORDS[int(r() * len(WORDS))]}.invalid-domain.example"
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
        self.events.append((t, prog, f"{pre}disconnect from {client} {counters_text(parts)}"))
        proc[0] = t

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
                    f"{pre}Anonymous TLS connection established from unknown[{ip}]: {TLS_IN}",
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
        emit((t, prog, f"{pre}disconnect from unknown[{ip}] {counters_text(parts)}"))
        proc[0] = t
        return times

    def auth_bot(self, t: int) -> None:
        r = self.rng.random
        _, ip = self._bot()
        svc = "submission" if r() < 0.8 else "smtps"
        attempts = []
        for _ in range(1 + int(r() * 3)):
            method = "LOGIN" if r() < 0.7 else "PLAIN"
            user = None if r() < 0.6 else BRUTE_USERNAMES[int(r() * len(BRUTE_USERNAMES))]
            attempts.append((method, user))
        self.auth_fail_session(t, svc, ip, attempts, quit_=r() < 0.5)
