"""How Postfix words what the simulator writes: delays (``delay=0.21``), the disconnect
line's command counters, TLS cipher strings and amavis's spam scores."""

from __future__ import annotations

TLS_IN = (
    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
    "server-signature RSA-PSS (2048 bits) server-digest SHA256"
)
TLS_OUT = "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"

# Delay strings in Postfix style: "0", "0.07", "0.21", "1.2", "12" (table up to 10 s).
DELAY_TABLE = tuple(
    "0"
    if cs == 0
    else (
        f"0.{cs:02d}".rstrip("0")
        if cs < 100
        else (f"{cs // 100}.{(cs // 10) % 10}" if (cs // 10) % 10 else str(cs // 100))
    )
    for cs in range(1000)
)


def delay_str(ms: int) -> str:
    """Postfix-style rendering of a duration given in milliseconds."""
    return DELAY_TABLE[ms // 10] if ms < 10_000 else str(ms // 1000)


_COUNTERS_CACHE: dict[tuple, str] = {}
SPAM_SCORES = tuple(f"{(i - 3000) / 1000:.3f}" for i in range(5000))  # amavis spam scores


def counters_text(parts: tuple) -> str:
    """Postfix 3.x disconnect counters: ``ehlo=1 auth=0/1 quit=1 commands=2/3``."""
    text = _COUNTERS_CACHE.get(parts)
    if text is None:
        text = _COUNTERS_CACHE[parts] = _format_counters(parts)
    return text


def _inbound_counters(tls: bool, k: int) -> str:
    ehlo = (("ehlo", 2, 2), ("starttls", 1, 1)) if tls else (("ehlo", 1, 1),)
    return counters_text(ehlo + (("mail", 1, 1), ("rcpt", k, k), ("data", 1, 1), ("quit", 1, 1)))


def _format_counters(parts: tuple) -> str:
    out = []
    ok_sum = tot_sum = 0
    for name, ok, tot in parts:
        ok_sum += ok
        tot_sum += tot
        out.append(f"{name}={ok}" if ok == tot else f"{name}={ok}/{tot}")
    out.append(f"commands={ok_sum}" if ok_sum == tot_sum else f"commands={ok_sum}/{tot_sum}")
    return " ".join(out)


INBOUND_COUNTERS = {(tls, k): _inbound_counters(tls, k) for tls in (False, True) for k in (1, 2, 3)}
