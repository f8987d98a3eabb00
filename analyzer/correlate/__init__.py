"""Events -> rows of `messages`, `deliveries`, `rejects`, `auth_failures`, `connections`,
`php_mail`.

Per host, a queue id (Postfix, Sendmail) or message id (Exim) ties a message's lines
together, and a program + pid ties an SMTP session's lines together. One set of handlers
serves every MTA: an `arrival` (Exim `<=`, Sendmail `from=`) starts a message with all it
says at once, Exim's `Completed` is a `removed`, a Sendmail message is complete when each
of its `nrcpts` recipients has a final status (messages.py; core.py drives the events and
the due work by log time). Beyond that, one module per concern, each owning its part of
the open state (the parts are declared in `analyzer.dataset.checkpoint`, under the
concern's name):

- sessions.py: SMTP sessions, rejects, AUTH failures; Sendmail's `AUTH=server` login of a
  session, and Sendmail rejects (which name no sender, and `User unknown` lines no client)
  held until the session's `from=` line names them (or `HOLD_US` of log time passes).
- sendmail_hop.py: Sendmail's two-hop local submission (MSP queue id A hands the message
  to the MTA, queue id B, over SMTP on localhost) becomes ONE message, B, charged to the
  submitting uid.
- exim_cwd.py: Exim's `cwd=` lines give the directory of the submitting process.
- php.py: PHP `mail.log` entries are joined to the local submission they produced
  (passwd.py: the accounts that name their owners; php_report.py: the summary line).
- filters.py: a content filter (amavis on 127.0.0.1:10024 -> 10025, an Exim spam-scanner
  router) hands the message back as a new queue id: the re-injected message is charged to
  the original's identity and origin and marked `filter_of`; the hand-over is a delivery
  with status `filtered`, not a real one.

Everything still open when the input ends (a deferred message, a session without its
disconnect, PHP entries not yet matched) is kept in `Correlator.state()` so the next run,
which starts from that state, produces exactly what one uninterrupted run would have.
All decisions use log time, never the wall clock, for the same reason; PHP entries do not
move the correlator's clock (a PHP log read before the MTA log must not age MTA state).
"""

from ..dataset.carried import message_row, open_message_rows, pending_php_rows
from ..dataset.checkpoint import KEYS as STATE_KEYS
from ..dataset.php_joins import UNJOINED_WARN_SHARE, php_join_report
from ..identity import identity_of
from .common import (
    GRACE_US,
    JOIN_DELAY_US,
    SESSION_US,
    STALE_US,
    SWEEP_EVERY,
    Sink,
    is_local_ip,
)
from .core import Correlator
from .exim_cwd import CWD_US
from .filters import FILTER_US
from .passwd import Passwd
from .php import HOST_SLACK_US, JOIN_AFTER_US, JOIN_BEFORE_US, PHP_FINAL_US
from .sessions import HOLD_US

__all__ = [
    "CWD_US",
    "FILTER_US",
    "GRACE_US",
    "HOLD_US",
    "HOST_SLACK_US",
    "JOIN_AFTER_US",
    "JOIN_BEFORE_US",
    "JOIN_DELAY_US",
    "PHP_FINAL_US",
    "SESSION_US",
    "STALE_US",
    "STATE_KEYS",
    "SWEEP_EVERY",
    "UNJOINED_WARN_SHARE",
    "Correlator",
    "Passwd",
    "Sink",
    "identity_of",
    "is_local_ip",
    "message_row",
    "open_message_rows",
    "pending_php_rows",
    "php_join_report",
]
