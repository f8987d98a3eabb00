"""What the Exim and Sendmail simulators share: the Postfix simulator's world, traffic,
incidents and truth, without Postfix's daemons, Dovecot lines or anvil; the delivery plan
(attempts, retries, give-up, bounce notice) whose lines each MTA words itself
(``line_*``); subjects, inbound envelopes and the truth's MTA-specific parts."""

from __future__ import annotations

import random
from collections import Counter

from .core import QUEUE_LIFETIME_MS
from .delivery import next_attempt
from .names import FIRST_NAMES, SENDER_LOCALS
from .phpmail import BURST_SCRIPT, script_path
from .postfix import PostfixSimulator
from .world import pick_cum

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


class MTASimulator(PostfixSimulator):
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

    def inbound_envelope(self, sdom: str) -> tuple[list, str, str, int]:
        """Recipients (hosted mailboxes), sender, message-id and size of an inbound
        message from domain `sdom` (the draws every MTA's inbound mail shares)."""
        r = self.rng.random
        x = r()
        if x < 0.85:
            rcpts = [
                self.postmaster_rcpt
                if r() < 0.03
                else self.mailbox_rcpts[pick_cum(self._mailbox_cum, r())]
            ]
        else:
            rcpts = []
            for _ in range(2 if x < 0.95 else 3):
                rc = (
                    self.postmaster_rcpt
                    if r() < 0.03
                    else self.mailbox_rcpts[pick_cum(self._mailbox_cum, r())]
                )
                if rc not in rcpts:
                    rcpts.append(rc)
        x = r()
        sender = (
            ""
            if x < 0.02
            else (
                f"{SENDER_LOCALS[int(r() * len(SENDER_LOCALS))]}@{sdom}"
                if x < 0.7
                else f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{sdom}"
            )
        )
        h = self._hex(24)
        mid = f"{h[:16]}.{h[16:]}@{sdom}"
        size = 1500 + int(r() ** 3 * 250_000)
        return rcpts, sender, mid, size

    # --- delivery lines, worded by each MTA ------------------------------------------------
    def line_sent(
        self, t: int, qid: str, addr: str, route: tuple, delay: int, mid: str, ctx
    ) -> None:
        raise NotImplementedError

    def line_local(self, t: int, qid: str, addr: str, route: tuple, delay: int, ctx) -> None:
        raise NotImplementedError

    def line_timeout(self, t: int, qid: str, addr: str, route: tuple, delay: int, ctx) -> None:
        raise NotImplementedError

    def line_greylisted(self, t: int, qid: str, addr: str, route: tuple, delay: int, ctx) -> None:
        raise NotImplementedError

    def line_bounced(self, t: int, qid: str, addr: str, route: tuple, delay: int, ctx) -> None:
        raise NotImplementedError

    def line_gave_up(
        self, t: int, qid: str, pending: list, age: int, track: Counter | None, ctx
    ) -> None:
        raise NotImplementedError

    def bounce_notice(self, t: int, qid: str, sender: str, size: int, expired: bool = False) -> int:
        raise NotImplementedError
