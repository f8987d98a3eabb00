"""Text and JSON made safe for the page: everything from a log passes through here."""

from __future__ import annotations

import html
import math


def esc(value) -> str:
    """Text as HTML: escaped, missing -> empty."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return html.escape(str(value), quote=True)


def embed_json(text: str) -> str:
    """JSON made safe inside `<script type="application/json">`: the characters that could
    end the element or open a comment become `\\uXXXX` escapes (still the same JSON)."""
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
