"""The four planted incidents, each on the first day whose window fits: a stolen SASL
account (info@bakery-berlin, 13:00-15:00, from ~45 botnet addresses), a PHP spam script
(uid 1017, 20:10-21:10), a relay-denied spike from the shop's web app on localhost
(10:00-11:00) and an SMTP AUTH brute force (203.0.113.66 from 02:00, a login that works
at 19:30); their own random stream (``irng``) and counters (``_inc_state``). Also the
stolen account's normal mail, which the incident's truth counts beside the attacker's."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from .core import HOUR, MINUTE, Rcpt
from .names import BRUTE_USERNAMES
from .noise import Noise
from .wording import counters_text


class Incidents(Noise):
    """Planning and playing the incidents."""

    def _init_state(self) -> None:
        super()._init_state()
        self.irng = random.Random(f"postfix-incidents:{self.seed}")
        if self.incidents:
            self._plan_incidents()

    def _plan_incidents(self) -> None:
        """Plant the four incidents on the first day, each only if its window fits."""
        ir = self.irng.random
        first_midnight = -(self.floor.hour * HOUR)  # midnight of the start date, ms from floor

        def window(h_from: float, h_to: float) -> tuple[int, int] | None:
            """The first day's [h_from, h_to) window (hours after midnight) that lies inside
            the generated span, or None."""
            for day in range(0, 2):
                a = first_midnight + day * 86_400_000 + int(h_from * HOUR)
                b = first_midnight + day * 86_400_000 + int(h_to * HOUR)
                if a >= self.t0:
                    return (a, b) if b <= self.last_start else None
            return None

        at = self.schedule
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
                t = ws + 60_000 + int(ir() * (we - ws - 4 * MINUTE))
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
                t = ws + 30_000 + int((ir() ** 0.8) * (we - ws - 4 * MINUTE))
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
                t = ws + 2 * MINUTE + int(ir() * (we - ws - 6 * MINUTE))
                at(t, self.localhost_relay, (k,))

        # 4. SMTP AUTH brute force from 203.0.113.66: 02:00-~05:50, later success at 19:30
        win = window(2, 20)
        if win:
            ws, day0 = win[0], win[0] - 2 * HOUR
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
                    user = BRUTE_USERNAMES[cycle % len(BRUTE_USERNAMES)]
                    cycle += 1 if ir() < 0.8 else 0
                    method = "LOGIN" if ir() < 0.75 else "PLAIN"
                    attempts.append((method, user if ir() < 0.65 else None))
                failures += k
                at(t, self.brute_session, ("submission" if ir() < 0.85 else "smtps", attempts))
                t += 20_000 + int(ir() * 40_000)
            t_success = day0 + 19 * HOUR + 30 * MINUTE + int(ir() * 60_000)
            for i in range(4):
                at(t_success + i * (3 * MINUTE + int(ir() * 5 * MINUTE)), self.brute_success)

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
            rcpts: list[Rcpt] = []
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
        rcpts: list[Rcpt] = []
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
            (t, prog, f"{pre}disconnect from localhost[127.0.0.1] {counters_text(parts)}")
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
        rcpts: list[Rcpt] = []
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
