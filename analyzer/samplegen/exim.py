"""The Exim simulator: ``exim_mail.py``'s mail plus what Exim refuses (relay, RBL, unknown
recipients, HELO, sender verify, synchronization errors), lost connections and failed
``dovecot_*`` authenticators; the PHP incident's truth names the script's directory, as
Exim's ``cwd=`` does."""

from __future__ import annotations

from .exim_mail import EximMail
from .names import FIRST_NAMES, LAST_NAMES, SENDER_LOCALS, SERVER_IP, WORDS
from .phpmail import BURST_SCRIPT, script_dir
from .world import pick_cum


class EximSimulator(EximMail):
    """The whole simulated server running Exim."""

    def relay_probe(self, t: int) -> None:
        r = self.rng.random
        name, ip = self._bot()
        helo = name if name != "unknown" and r() < 0.5 else ("WIN-" + self._b64(8).upper())
        sender = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{WORDS[int(r() * len(WORDS))]}-mail.example"
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
            name, ip, helo, sdom, _ = self.mtas[pick_cum(self._mta_cum, r())][:5]
        else:
            name, ip = self._bot()
            helo = name if name != "unknown" else f"[{ip}]"
            sdom = f"{WORDS[int(r() * len(WORDS))]}-{int(r() * 99)}.example.net"
        t += 300 + int(r() * 1500)
        rcpt = self.mailbox()
        sender = f"{SENDER_LOCALS[int(r() * len(SENDER_LOCALS))]}@{sdom}"
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
                rcpt = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}.{LAST_NAMES[int(r() * len(LAST_NAMES))]}@{dom}"
                reason = "No Such User Here"
            else:
                sender = (
                    f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@"
                    f"{WORDS[int(r() * len(WORDS))]}.invalid-domain.example"
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
            helo = f"{WORDS[int(r() * len(WORDS))]}{int(r() * 99)}.example.net"
            sender = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{helo}"
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
