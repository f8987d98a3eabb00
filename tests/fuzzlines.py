"""Real log lines and hypothesis strategies that damage them, shared by the property tests
(`tests/parse/test_fuzz.py`, small budgets) and the long fuzz run (`tools/fuzz.py`).

A case is a slice of consecutive lines of one real file (its `good` lines) with damaged
copies of some of them inserted between: truncated, bytes flipped, NUL runs, invalid
UTF-8, a giant field, CRLF, odd whitespace, random bytes. `Case.pieces` are the file's lines in order
(a damaged piece may hold a newline of its own, so it is really two lines), `good_at`
tells which pieces are the untouched good lines.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from analyzer.parse.header import sniff_format

# (corpus folder or sample file, the files in it that hold whole syslog / MTA lines)
CORPUS_FILES = {
    "fail2ban": ["lines.log"],
    "postfix-grok-patterns": ["lines.log"],
    "logwatch-postfix-TD": ["lines.log"],
    "sshguard": ["lines.log"],
    "exim-testsuite": ["lines.log"],
}
SAMPLE_FILES = [
    "maillog",
    "exim/exim_mainlog",
    "sendmail/maillog",
    "php/mail.log",
    "journal/postfix.json.gz",
]
SLICE = 40  # good lines per case: enough context (sessions, queue ids), fast to parse


@dataclass(frozen=True)
class Pool:
    name: str
    lines: tuple[bytes, ...]
    format: str
    native: bool


def load_pools(corpora: Path, sample_logs: Path) -> list[Pool]:
    """Every real line file, as bytes without its newline, with the format its first
    lines tell (the damage must not change how the whole file is read)."""
    paths = [corpora / folder / name for folder, names in CORPUS_FILES.items() for name in names]
    paths += sorted((corpora / "lightmeter" / "individual_files").glob("*"))[:40]
    paths += [sample_logs / name for name in SAMPLE_FILES]
    pools = []
    for path in paths:
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        raw = [line for line in data.split(b"\n", 5001)[:5000] if line.strip(b"\x00 \r")]
        if not raw:
            continue
        fmt, native = sniff_format([line.decode("utf-8", "replace") for line in raw[:20]])
        pools.append(Pool(f"{path.parent.name}/{path.name}", tuple(raw), fmt, native))
    return pools


INVALID_UTF8 = [
    b"\xff",
    b"\xfe\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc0\xaf",
    b"\x80\x80\x80",
]


# what may stand where a line has a space: Python's `\s` takes all of them, the syslog
# header and the patterns mostly expect one space
ODD_SPACES = [
    b"  ",
    b"\t",
    b"\x0b",
    b"\x0c",
    b"\x1c",
    b"\x1f",
    b"\xc2\xa0",
    b"\xe2\x80\x83",
    b" \r",
]


@st.composite
def damaged(draw, line: bytes) -> bytes:
    """`line` with one kind of damage (sometimes two)."""
    kinds = draw(
        st.lists(
            st.sampled_from(
                [
                    "truncate",
                    "flip",
                    "nul",
                    "utf8",
                    "giant",
                    "crlf",
                    "random",
                    "controls",
                    "spaces",
                ]
            ),
            min_size=1,
            max_size=2,
        )
    )
    for kind in kinds:
        at = draw(st.integers(0, len(line)))
        if kind == "truncate":
            line = line[:at]
        elif kind == "flip" and line:
            i = min(at, len(line) - 1)
            line = line[:i] + bytes([line[i] ^ draw(st.integers(1, 255))]) + line[i + 1 :]
        elif kind == "nul":
            line = line[:at] + b"\x00" * draw(st.integers(1, 300)) + line[at:]
        elif kind == "utf8":
            line = line[:at] + draw(st.sampled_from(INVALID_UTF8)) + line[at:]
        elif kind == "giant":  # one field grows to up to 200 kB (addresses, subjects, ...)
            size = draw(st.sampled_from([5_000, 70_000, 200_000]))
            chunk = draw(st.sampled_from([b"a", b"x@", b"[1.2.3.4]", b"=", b"<", b" "]))
            line = line[:at] + chunk * (size // len(chunk)) + line[at:]
        elif kind == "crlf":
            line = line + b"\r"
        elif kind == "random":
            line = line[:at] + draw(st.binary(min_size=1, max_size=64)) + line[at:]
        elif kind == "spaces":  # a separator doubled or made another (Unicode) space
            space = draw(st.sampled_from(ODD_SPACES))
            i = line.find(b" ", at)
            if i >= 0:
                line = line[:i] + space + line[i + 1 :]
        elif kind == "controls":
            line = line[:at] + b"\x1b]0;PWNED\x07\x1b[2J\x9b" + line[at:]
    return line


@dataclass
class Case:
    pool: Pool
    pieces: list[bytes]
    good_at: list[int]  # indexes into pieces of the untouched good lines, in order
    final_newline: bool

    @property
    def data(self) -> bytes:
        return b"\n".join(self.pieces) + (b"\n" if self.final_newline else b"")

    @property
    def good(self) -> list[bytes]:
        return [self.pieces[i] for i in self.good_at]


@st.composite
def cases(draw, pools: list[Pool]) -> Case:
    pool = draw(st.sampled_from(pools))
    start = draw(st.integers(0, max(0, len(pool.lines) - SLICE)))
    good = list(pool.lines[start : start + SLICE])
    pieces, good_at = [], []
    for line in good:
        for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 3)) == 0 else 0):
            pieces.append(draw(damaged(draw(st.sampled_from(good)))))
        good_at.append(len(pieces))
        pieces.append(line)
    if draw(st.booleans()):  # damage at the very end too (a cut-off last line)
        last = draw(damaged(good[-1]))
        if last:  # (an empty last piece is only a final newline)
            pieces.append(last)
    return Case(pool, pieces, good_at, final_newline=draw(st.booleans()))
