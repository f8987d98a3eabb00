"""The Sendmail simulator: ``sendmail_mail.py``'s mail plus what Sendmail refuses
(``check_rcpt ... Relaying denied`` followed by the session's ``nrcpts=0`` line, RBL
``check_relay``, unknown users, pre-greeting traffic, unresolvable senders), silent and
lost connections, and AUTH failures one by one (``possible SMTP attack`` after three)."""

from __future__ import annotations

from .names import FIRST_NAMES, LAST_NAMES, SENDER_LOCALS, WORDS
from .sendmail_mail import SendmailMail
from .world import pick_cum


class SendmailSimulator(SendmailMail):
    """The whole simulated server running Sendmail."""

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
        sender = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{WORDS[int(r() * len(WORDS))]}-mail.example"
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
            name, ip, helo, sdom, _ = self.mtas[pick_cum(self._mta_cum, r())][:5]
        else:
            name, ip = self._bot()
            sdom = f"{WORDS[int(r() * len(WORDS))]}-{int(r() * 99)}.example.net"
        pid = self.new_pid()
        rel = self.relay(name, ip)
        t += 300 + int(r() * 1500)
        rcpt = self.mailbox()
        sender = f"{SENDER_LOCALS[int(r() * len(SENDER_LOCALS))]}@{sdom}"
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
            rcpt = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}.{LAST_NAMES[int(r() * len(LAST_NAMES))]}@{dom}"
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
            sender = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{WORDS[int(r() * len(WORDS))]}.invalid-domain.example"
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
