"""Deterministic generators of synthetic mail logs with planted incidents and ground truth.

``python -m analyzer.samplegen postfix|exim|sendmail|phpmail|journal ...`` writes the
files of ``sample_logs/`` and their truth files; see ``docs/sample-logs.md``.
"""

from .journal import generate_journal, write_journal
from .mta import generate_mta, passwd_lines, write_mta, write_passwd
from .phpmail import generate_phpmail, write_phpmail
from .postfix import generate_postfix, write_postfix, write_truth

__all__ = [
    "generate_journal",
    "generate_mta",
    "generate_phpmail",
    "generate_postfix",
    "passwd_lines",
    "write_journal",
    "write_mta",
    "write_passwd",
    "write_phpmail",
    "write_postfix",
    "write_truth",
]
