"""Exim's `cwd=` lines: the working directory of the process that submitted a local
message, a hint of the script behind it.

State (`checkpoint.owned_by(EXIM_CWD)`): `cwds` (`cwd=` lines without a message id, per
host and process)."""

from __future__ import annotations

import re
from collections import deque

from ..dataset.checkpoint import EXIM_CWD
from .common import _CWD_ID, _CWD_NEAR, Concern, _set_script

# An Exim `cwd=` line without a message id belongs to the next local arrival of the same
# process within this time.
CWD_US = 10 * 1_000_000
_SPOOL = re.compile(r"^/var/spool/exim[^/]*/?$|^/$")


class EximCwd(Concern):
    """Mixin of `Correlator`: `cwd=` lines and the local arrivals they belong to."""

    OWNER = EXIM_CWD
    cwds: dict[tuple[str, int | None], deque[tuple[int, str]]]

    def _init_cwds(self) -> None:
        self.cwds = {}

    def _cwd(self, e: dict) -> None:
        path = e["script_path"]
        if _SPOOL.match(path):
            return  # a queue runner's delivery process: not the submitter's directory
        if e.get("queue_id"):  # `-Mc <id>`: the delivery process the submitter started
            msg = self.messages.get((e["host"], e["queue_id"]))
            if msg is not None:
                _set_script(msg, path, _CWD_ID)
            return
        pending = self.cwds.setdefault((e["host"], e["pid"]), deque())
        pending.append((e["ts"], path))
        while len(pending) > 64:
            pending.popleft()

    def _claim_cwd(self, msg: dict, pid) -> None:
        pending = self.cwds.get((msg["host"], pid))
        ts = msg["first_seen"]
        while pending:
            seen, path = pending.popleft()
            if ts - seen <= CWD_US:
                _set_script(msg, path, _CWD_NEAR)
                break
        if pending is not None and not pending:
            del self.cwds[(msg["host"], pid)]

    def _sweep_cwds(self) -> None:
        for key in [k for k, q in self.cwds.items() if not q or q[-1][0] < self.now - CWD_US]:
            del self.cwds[key]

    def _cwds_state(self) -> dict:
        return {"cwds": [[k[0], k[1], [list(x) for x in q]] for k, q in self.cwds.items()]}

    def _load_cwds(self, state: dict) -> None:
        self.cwds = {(h, pid): deque(tuple(x) for x in q) for h, pid, q in state["cwds"]}
