"""`--redact`: a report that leaves the abuse desk (to a customer, a colleague, a ticket)
names only the subjects of its incidents; everyone else is masked.

- an address keeps its domain and the first character of its local part:
  `jane.doe@example.com` -> `j***@example.com` (a SASL login that is an address too);
- a client IP loses its last octet (`192.0.2.17` -> `192.0.2.x`), an IPv6 address its
  last 80 bits (`2001:db8:1:2::5` -> `2001:db8:1::x`).

The `Redactor` is applied where a result leaves for output (`cli.report_output` before a
table, JSON, CSV or chart is made; `redact_report` before the nightly page, summary and
JSON document are), to every string of it: a cell that is one address (whatever its
local part holds, with an `sasl:` / `user:` prefix), and addresses and IPs inside free
text (summaries, reasons, lists of `{value, count}`, trace details). Masks are never
matched again, so redacting twice changes nothing. Host names, domains, uids, scripts and
logins that are not addresses are kept.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable

# an address inside text: the local part stops at spaces, quotes, brackets and the
# separators of log fields (`from=<`, `sasl:`, `user=`); the domain is a host name
_ADDRESS = re.compile(r"[^\s@<>()\[\]{}\"',;:=]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
# a cell that is one address: anything but space before the last @ (quotes, brackets and
# @ included: the local part of a hostile address), a host name after
_WHOLE = re.compile(r"^(sasl:|user:)?([^\s]+)@([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$")
_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w.])([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(?![\w])")
IPV6_KEPT_BITS = 48  # of 128: the last 80 bits are masked
NO_SUBJECT_KINDS = {"no_data", "data_missing"}  # their subject is the dataset, not a person


class Redactor:
    """Masks every address and client IP but those of `subjects` (the incidents'
    subjects: logins, addresses, IPs; other subjects such as script paths are kept
    anyway)."""

    def __init__(self, subjects: Iterable[str] = ()):
        self.addresses: set[str] = set()
        self.ips: set[str] = set()
        for subject in subjects:
            text = str(subject).strip()
            if "@" in text:
                self.addresses.add(text.lower())
            ip = _ip(text)
            if ip is not None:
                self.ips.add(ip.compressed)

    # --- one value ------------------------------------------------------------------------
    def address(self, text: str) -> str:
        if text.lower() in self.addresses:
            return text
        local, _, domain = text.rpartition("@")
        return f"{local[:1]}***@{domain}" if local else text

    def ip(self, text: str) -> str:
        ip = _ip(text)
        if ip is None or ip.compressed in self.ips:
            return text
        if ip.version == 4:
            return text.rsplit(".", 1)[0] + ".x"
        net = ipaddress.IPv6Network((int(ip), IPV6_KEPT_BITS), strict=False)
        return f"{net.network_address.compressed.rstrip(':')}::x"

    def text(self, text: str) -> str:
        """A string: one address as a whole, else the addresses and IPs inside it."""
        whole = _WHOLE.match(text)
        if whole:
            return (whole.group(1) or "") + self.address(text[len(whole.group(1) or "") :])
        text = _ADDRESS.sub(lambda m: self.address(m.group(0)), text)
        text = _IPV6.sub(lambda m: self._ipv6_in(m.group(1)), text)
        return _IPV4.sub(lambda m: self.ip(m.group(1)), text)

    def value(self, value):
        """Any cell: strings redacted, lists / tuples / dicts / arrays walked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(v) for v in value)
        if type(value).__name__ == "ndarray":
            return [self.value(v) for v in value.tolist()]
        return value

    def _ipv6_in(self, token: str) -> str:
        """The token, or the part after one of its colons (`IPv6:2001:db8::1`), masked
        when it is an IPv6 address."""
        for start in [0] + [i + 1 for i, c in enumerate(token) if c == ":"]:
            rest = token[start:]
            ip = _ip(rest)
            if ip is not None and ip.version == 6 and rest.count(":") >= 2:
                return token[:start] + self.ip(rest)
        return token

    # --- a whole result -------------------------------------------------------------------
    def frame(self, frame):
        """A copy of a DataFrame (or a pyarrow Table) with every text cell redacted
        (numbers and times as they are)."""
        if type(frame).__module__.partition(".")[0] == "pyarrow":
            return self._arrow(frame)
        out = frame.copy()
        for column in out.columns:
            if out[column].dtype.kind in "OSU" or str(out[column].dtype) in ("string", "str"):
                out[column] = out[column].map(self.value, na_action="ignore")
        return out

    def _arrow(self, table):
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.types as types

        for i, field in enumerate(table.schema):
            if types.is_string(field.type) or types.is_large_string(field.type):
                column = pc.dictionary_encode(table.column(i).combine_chunks())
                masked = [
                    None if v is None else self.text(v) for v in column.dictionary.to_pylist()
                ]
                values = pa.array(masked, field.type).take(column.indices)
                table = table.set_column(i, field, values)
            elif types.is_nested(field.type):  # lists of names, [{value, count}]
                cells = [self.value(v) for v in table.column(i).to_pylist()]
                table = table.set_column(i, field, pa.array(cells, field.type))
        return table


def subjects_of(incidents: Iterable) -> list[str]:
    """The subjects that stay readable: those of the incidents about someone."""
    return [i.subject for i in incidents if i.kind not in NO_SUBJECT_KINDS]


def redact_report(report, redactor: Redactor | None = None):
    """A copy of a nightly `Report` with every section, chart series, incident text, the
    fleet section and the notes redacted; the subjects of its incidents kept."""
    r = redactor or Redactor(subjects_of(report.incidents))
    frames = {
        f.name: r.frame(getattr(report, f.name))
        for f in dataclasses.fields(report)
        if type(getattr(report, f.name)).__name__ == "DataFrame"
    }
    incidents = [
        dataclasses.replace(
            i,
            subject=r.text(i.subject),
            summary=r.text(i.summary),
            reasons=[r.text(x) for x in i.reasons],
        )
        for i in report.incidents
    ]
    return dataclasses.replace(
        report, incidents=incidents, notes=[r.text(n) for n in report.notes], **frames
    )


def _ip(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
