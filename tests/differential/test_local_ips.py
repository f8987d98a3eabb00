"""The engine answers `is_local_ip(ip, own)` itself for the run's own addresses and plain
dotted quads, and asks Python for anything else: where it answers, the answer is
Python's (`ipaddress`'s reading of the text, leading zeros, ranges and all)."""

from __future__ import annotations

import pytest
from both import require_core
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.correlate import is_local_ip
from analyzer.parse.core import compiled

OWN = frozenset({"192.0.2.10", "2001:db8::25", "mail.example"})

TRICKY = [
    "127.0.0.1", "127.255.255.254", "127.0.0.01", "0127.0.0.1", "127.1", "127.0.0",
    "127.0.0.1.", ".127.0.0.1", "127.0.0.1 ", " 127.0.0.1", "127.0.0.256", "128.0.0.1",
    "126.255.255.255", "0.0.0.0", "00.0.0.0", "1.2.3.4", "255.255.255.255", "+1.2.3.4",
    "1.2.3.-4", "1.2.3.4/32", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1", "localhost",
    "LOCALHOST", "", "unknown", "192.0.2.10", "2001:db8::25", "mail.example",
    "127.0.0.1%eth0", "1.2.3.4\n", "١٢٧.0.0.1", "127.0.0.1:25",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _core():
    require_core()


def check(ip: str) -> bool:
    """The engine's answer, where it gives one, is Python's; True if it answered."""
    answer = compiled().IngestEngine.local_answer(ip, set(OWN))
    if answer is not None:
        assert answer == is_local_ip(ip, OWN), ip
    return answer is not None


def test_tricky_addresses():
    answered = [ip for ip in TRICKY if check(ip)]
    # the common cases are answered without Python
    assert {"127.0.0.1", "1.2.3.4", "192.0.2.10", "mail.example"} <= set(answered)
    assert "0127.0.0.1" not in answered and "::1" not in answered


octet = st.one_of(st.integers(0, 300).map(str), st.text("0123456789+-x ", max_size=4))


@settings(max_examples=400, deadline=None)
@given(st.lists(octet, min_size=1, max_size=6).map(".".join))
def test_dotted_text(ip):
    check(ip)
