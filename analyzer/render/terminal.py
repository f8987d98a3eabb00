"""Text on its way to a terminal. Log lines are written by whoever talks to the mail
server, so a program name, a path or an address may carry escape sequences (`ESC ]0;...`
retitles the window, `ESC [2J` clears it, BEL rings). `printable` is the one place that
turns control characters into visible escapes; every message, table cell and report line
that can hold log text or a path passes through it."""

from __future__ import annotations

import os

# C0 controls, DEL and the C1 controls (U+0080-U+009F: `CSI` alone is U+009B)
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROL.update({ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r"})


def printable(text) -> str:
    """`text` with control characters (ESC, CR, BEL, newlines...) shown as escapes, so
    log content cannot drive the terminal and a message stays on one line."""
    return str(text).translate(_CONTROL)


# environment variables by which rich may take a pipe for a terminal
_RICH_TERMINAL_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")


def surely_plain(out) -> bool:
    """Whether a rich console on `out` would surely find no terminal (and `print_table`
    write plain text): `out` is no terminal and no environment variable says otherwise."""
    if any(name in os.environ for name in _RICH_TERMINAL_ENV):
        return False
    return not is_terminal(out)


def is_terminal(out) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
