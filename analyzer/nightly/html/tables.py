"""The report tables: which rows are shown, the incident marks, one cell per kind."""

from __future__ import annotations

from ...reports.incidents import SEVERITY_RANK, Incident, span
from .escape import esc


def rows_to_show(frame, n: int, incidents: dict) -> list[int]:
    if frame is None or not len(frame):
        return []
    rows = list(range(min(n, len(frame))))
    rows += sorted(r for r in incidents if r >= n and r < len(frame))
    return rows


def data_table(section: str, frame, rows: list[int], cols, incidents: dict) -> str:
    if frame is None or not len(frame) or not rows:
        return ""
    present = [
        (c, h, k) for c, h, k in cols if c in frame.columns and _has_values(frame[c].iloc[rows])
    ]
    head = "".join(f'<th class="{_align(k)}">{esc(h)}</th>' for _, h, k in present)
    body = []
    for i in rows:
        record = frame.iloc[i]
        marks = incidents.get(i, [])
        sev = max((inc.severity for _, inc in marks), key=SEVERITY_RANK.__getitem__, default=None)
        flag = "".join(
            f'<a class="badge {esc(inc.severity)}" href="#incident-{n}" '
            f'title="incident {n}">{esc(inc.severity.upper())}</a>'
            for n, inc in marks
        )
        cells = [f'<td class="flag">{flag}</td>']
        for col, _, kind in present:
            cells.append(f'<td class="{_align(kind)}">{_cell(record, col, kind)}</td>')
        cls = f' class="{esc(sev)}"' if sev else ""
        body.append(f'<tr id="{esc(section)}-{i}"{cls}>' + "".join(cells) + "</tr>")
    more = len(frame) - len(rows)
    caption = f"<caption>{len(rows):,} of {len(frame):,} rows</caption>" if more > 0 else ""
    return (
        f'<div class="scroll"><table class="data">{caption}<thead><tr><th></th>{head}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _align(kind: str) -> str:
    if kind in ("num", "pct", "dec", "growth", "id"):
        return "r"
    return "t" if kind in ("time", "span") else "l"


def _cell(record, col: str, kind: str) -> str:
    from ...render.output import plain, table_cell

    value = record[col]
    if kind == "span":
        return esc(span(record["start"], record["end"]))
    if kind == "time":
        v = plain(value)
        return esc(v.replace("T", " ").replace("Z", "")[5:16]) if isinstance(v, str) else ""
    if kind == "pct":
        v = plain(value)
        return esc(f"{v:.0%}") if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
    if kind == "dec":
        v = plain(value)
        return esc(f"{v:,.1f}") if isinstance(v, (int, float)) else ""
    if kind == "growth":
        v = plain(value)
        if not isinstance(v, (int, float)):
            return '<span class="muted">-</span>'
        usual = plain(record.get("usual"))
        text = f"{v:.0f}x" if v >= 10 else f"{v:.1f}x"
        tip = f"usual {usual:.1f} in a window this long" if isinstance(usual, float) else ""
        return f'<span title="{esc(tip)}">{esc(text)}</span>'
    if kind == "script":
        path = plain(record.get("script_path"))
        script = plain(value)
        shown = path if isinstance(path, str) and path else script
        return esc(shown) if shown is not None else '<span class="muted">(no script)</span>'
    if kind == "reasons":
        items = plain(value) or []
        return "<br>".join(esc(x) for x in items) if isinstance(items, list) else esc(items)
    if kind == "responsible":
        parts = [f"<b>{esc(value)}</b>" if isinstance(plain(value), str) else ""]
        domain = plain(record.get("responsible_domain"))
        if isinstance(domain, str) and domain:
            parts.append(esc(domain))
        accounts = plain(record.get("responsible_accounts")) or []
        if isinstance(accounts, list) and accounts:
            parts.append(_lines(accounts))
        return "<br>".join(p for p in parts if p)
    if kind == "lines":
        v = plain(value)
        return _lines(v) if isinstance(v, list) else esc(v)
    if kind == "list":
        v = plain(value)
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            more = f' <span class="muted">+{len(v) - 3}</span>' if len(v) > 3 else ""
            return (
                ", ".join(
                    f'{esc(x.get("value"))}&nbsp;<span class="muted">'
                    f"({int(x.get('count', 0)):,})</span>"
                    for x in v[:3]
                )
                + more
            )
        if isinstance(v, list):
            more = f' <span class="muted">+{len(v) - 3}</span>' if len(v) > 3 else ""
            return ", ".join(esc(x) for x in v[:3]) + more
        return esc(v)
    if kind == "num":
        v = plain(value)
        return (
            esc(f"{v:,}")
            if isinstance(v, int) and not isinstance(v, bool)
            else esc(table_cell(value, col))
        )
    return esc(table_cell(value, col))


def _lines(items: list, n: int = 3) -> str:
    """A short list, one item per line: `value (count)` for [{value, count}]."""
    out = []
    for x in items[:n]:
        if isinstance(x, dict):
            out.append(
                f'<span class="item">{esc(x.get("value"))} <span class="muted">'
                f"({int(x.get('count', 0)):,})</span></span>"
            )
        else:
            out.append(f'<span class="item">{esc(x)}</span>')
    if len(items) > n:
        out.append(f'<span class="muted">+{len(items) - n} more</span>')
    return "<br>".join(out)


def _has_values(column) -> bool:
    """Whether any cell of the column (a Series) has something to show."""
    from ...render.output import plain

    for v in column:
        v = plain(v)
        if v not in (None, "", []) and v is not False:
            return True
    return False


def incidents_by_row(incidents: list[Incident]) -> dict[str, dict[int, list]]:
    out: dict[str, dict[int, list]] = {}
    for n, inc in enumerate(incidents, 1):
        if inc.section and inc.row is not None:
            out.setdefault(inc.section, {}).setdefault(inc.row, []).append((n, inc))
    return out


def worst_severity(incidents: list[Incident]) -> str | None:
    return max((i.severity for i in incidents), key=SEVERITY_RANK.__getitem__, default=None)
