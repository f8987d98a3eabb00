"""Lines around the mail that carry no message: postscreen's bots (pregreeters, DNSBL
hits, early hang-ups), lost connections, Dovecot IMAP/POP3 logins and postfix/anvil's
10-minute statistics."""

from __future__ import annotations

from .core import HOUR, TIME_OF
from .names import FIRST_NAMES, SERVER_IP, WORDS
from .rejects import Rejects
from .world import pick_cum


class Noise(Rejects):
    """Bots, lost connections, IMAP sessions, anvil."""

    def _init_state(self) -> None:
        super()._init_state()
        self.postscreen_rejects = 0

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
            helo = f"{WORDS[int(r() * len(WORDS))]}{int(r() * 99)}.example.net"
            sender = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{helo}"
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

    def imap_session(self, t: int) -> None:
        r = self.rng.random
        user, method, svc, ips = self.accounts[pick_cum(self._account_cum, r())]
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
        h_end = (h + 1) * HOUR
        self._conns.sort(key=TIME_OF)
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
