"""Local submission through pickup: PHP ``mail()`` of the customers' sites (with the
X-PHP-Originating-Script header; ``php_calls`` collects the calls for ``phpmail.py``),
cron mail to root, and the messages to a dead domain that expire."""

from __future__ import annotations

from collections import Counter

from .names import FIRST_NAMES, NOWHERE, SITE_NAMES
from .submission import Submission
from .world import pick_cum


class LocalSubmission(Submission):
    """pickup's messages: PHP, cron, and the expiring ones."""

    def _init_state(self) -> None:
        super()._init_state()
        # (ms, uid, script, recipients) of every PHP mail() call, when a caller wants them
        # (`phpmail.py` writes the matching mail.log); filling it draws no random numbers
        self.php_calls: list | None = None

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
        uid = 1001 + pick_cum(self._site_cum, r())
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
        addr = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{NOWHERE[0]}"
        rc = (addr, ("smtp",) + NOWHERE[1:], "x")
        if r() < 0.5:
            user, method, svc, ips = self.accounts[int(r() * len(self.accounts))]
            self.sasl_session(t, svc, ips[0][0], ips[0][1], method, user, [[rc]])
        else:
            uid = 1001 + int(r() * len(SITE_NAMES))
            self.php_message(t, uid, self.sites[uid][2][0], [rc])
