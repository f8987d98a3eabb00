"""Postfix message types, most frequent first within each daemon.

Applies to every program whose name starts with `postfix` (`postfix/smtpd`,
`postfix/submission/smtpd`, `postfix-incoming/smtpd`, ...); `daemons` filters on the
last component of the program name.
"""

from .base import CLIENT, Pattern, addr
from .base import POSTFIX_QID as QID

# `; from=<a> to=<b> proto=ESMTP helo=<h>[: text]` after a cleanup header/body notice
_CLEANUP_TAIL = (
    r"(?: from=<(?P<sender>[^>]*)>)?(?: to=<(?P<recipient>[^>]*)>)?"
    r"(?: proto=(?P<proto>[A-Z]+))?(?: helo=<(?P<helo>[^>]*)>)?(?:: (?P<text>.*))?$"
)

# `; from=<a> to=<b> proto=ESMTP helo=<h>` after a reject (postscreen separates with commas;
# some versions log `helo=` without brackets, and some rejects have no from/to at all).
# Addresses and HELO are client-controlled and may hold `>`: lazy groups that end only at
# the next field (or the end of the line) keep such a value whole instead of losing the tail.
_ENVELOPE_TAIL = (
    r"(?:;? from=<(?P<sender>.*?)>,?)?(?: to=<(?P<recipient>.*?)>,?)?"
    r"(?: proto=(?P<proto>[A-Z]+),?)?(?: helo=<?(?P<helo>.*?)>?)?"
)

SMTPD = ("smtpd",)
DELIVERY_AGENTS = None  # smtp, lmtp, local, virtual, pipe, error, retry, discard, ...
# delivery agents' diagnostics: smtp, lmtp (any daemon, as the broad catch they came from)
SMTP_CLIENTS = None
# the next hop a delivery agent talks to: `mx.example.com[192.0.2.5]:25`
RELAY = r"(?P<relay_name>[^\s\[\]]*)\[(?P<relay_ip>[^\]\s]*)\](?::(?P<relay_port>\d+))?"
ANVIL_KINDS = {
    "connection rate": "connection_rate",
    "connection count": "connection_count",
    "message rate": "message_rate",
    "recipient rate": "recipient_rate",
    "newtls request rate": "newtls_rate",
}
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _anvil(event: dict) -> None:
    """`connection rate` -> `connection_rate`; the rate's time unit `60s`/`5m` -> seconds."""
    event["kind"] = ANVIL_KINDS[event["kind"]]
    period = event.get("period")
    if period is not None:
        unit = period[-1] if period[-1] in _SECONDS else "s"
        event["period"] = int(period.rstrip("smhd") or 1) * _SECONDS[unit]


PATTERNS = (
    # --- smtpd sessions ---------------------------------------------------------------
    Pattern(
        "smtpd_connect",
        "connect",
        rf"connect from {CLIENT}$",
        {
            "Nov 26 09:00:01 mx1 postfix/smtpd[2201]: connect from mail-a.example.net[203.0.113.5]": {
                "client_name": "mail-a.example.net",
                "client_ip": "203.0.113.5",
                "pid": 2201,
            },
            "Nov 26 09:00:01 mx1 postfix/submission/smtpd[2202]: connect from unknown[2001:db8::25]": {
                "client_name": "unknown",
                "client_ip": "2001:db8::25",
                "program": "postfix/submission/smtpd",
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_client",
        "client",
        rf"{QID}: client={CLIENT}(?:, sasl_method=(?P<sasl_method>[^,]*), "
        r"sasl_username=(?P<sasl_username>[^,]*))?(?:, sasl_sender=<?(?P<sasl_sender>[^>,]*)>?)?"
        # a content filter's re-injection with XFORWARD names the message it re-injects
        r"(?:, orig_queue_id=(?P<orig_queue_id>[0-9A-Za-z]+))?(?:, .*)?$",
        {
            "Mar  9 10:05:51 server postfix/smtpd[22074]: 10C0D60C50: client=host16.hiway.at[85.238.181.16], "
            "sasl_method=LOGIN, sasl_username=info@brunoaita.it": {
                "queue_id": "10C0D60C50",
                "client_ip": "85.238.181.16",
                "sasl_method": "LOGIN",
                "sasl_username": "info@brunoaita.it",
            },
            "Oct 13 16:40:42 ucs postfix/smtpd[18581]: ED01244770: client=localhost[127.0.0.1], "
            "orig_queue_id=4F5C64474F, orig_client=unknown[28.55.140.112]": {
                "queue_id": "ED01244770",
                "client_ip": "127.0.0.1",
                "orig_queue_id": "4F5C64474F",
            },
            "Nov 26 09:00:02 mx1 postfix-incoming/smtpd[77]: 4F2A11C0E3: client=unknown[192.0.2.7]": {
                "queue_id": "4F2A11C0E3",
                "client_name": "unknown",
                "client_ip": "192.0.2.7",
                "program": "postfix-incoming/smtpd",
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_disconnect",
        "disconnect",
        rf"disconnect from {CLIENT}(?: (?P<counters>.*))?$",
        {
            "Feb 10 13:26:34 srv postfix/smtpd[123]: disconnect from unknown[192.0.2.1] helo=1 auth=0/1 quit=1 commands=2/3": {
                "client_ip": "192.0.2.1",
                "counters": "helo=1 auth=0/1 quit=1 commands=2/3",
            },
            "Feb 10 13:26:34 srv postfix/smtpd[123]: disconnect from mail.example.com[192.0.2.2]": {
                "client_ip": "192.0.2.2"
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_noqueue_reject",
        "reject",
        rf"(?:(?:NOQUEUE|{QID}): )?(?:reject|defer|reject_warning): (?P<stage>[A-Z]+(?:-[A-Z]+)*) from {CLIENT}: "
        r"(?:(?P<code>\d{3})(?: (?P<dsn>\d\.\d{1,3}\.\d{1,3}))? )?(?P<reason>.*?)"
        + _ENVELOPE_TAIL
        + "$",
        {
            "Jul 12 07:47:48 saturn postfix/smtpd[8738]: NOQUEUE: reject: RCPT from 1-2-3-4-example.com[1.2.3.4]: "
            "554 5.7.1 <smtp@example.com>: Relay access denied; from=<john@example.com> to=<smtp@example.org> "
            "proto=SMTP helo=<198.51.100.17>": {
                "stage": "RCPT",
                "client_ip": "1.2.3.4",
                "code": 554,
                "dsn": "5.7.1",
                "reason": "<smtp@example.com>: Relay access denied",
                "reason_class": "relay_denied",
                "sender": "john@example.com",
                "recipient": "smtp@example.org",
                "proto": "SMTP",
                "helo": "198.51.100.17",
            },
            "Nov 26 10:00:00 mx1 postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.66]: 554 5.7.1 "
            '<a@b.example>: Relay access denied; from=<x"><img src=x onerror=alert(1)>@evil.example> '
            'to=<a@b.example> proto=ESMTP helo=<"><script>alert(1)</script>>': {
                "sender": 'x"><img src=x onerror=alert(1)>@evil.example',
                "recipient": "a@b.example",
                "helo": '"><script>alert(1)</script>',
                "reason": "<a@b.example>: Relay access denied",
                "reason_class": "relay_denied",
            },
            "Feb 21 09:21:54 xxx postfix/smtpd[14398]: NOQUEUE: reject: RCPT from example.com[192.0.43.10]: "
            "450 4.7.1 : Helo command rejected: Host not found; from=<> to=<> proto=ESMTP helo=": {
                "client_ip": "192.0.43.10",
                "code": 450,
                "sender": "",
                "recipient": "",
                "reason_class": "helo_rejected",
            },
            "Nov 26 10:00:00 mx1 postfix/smtpd[11]: 3A8E81C0F1: reject: RCPT from unknown[192.0.2.9]: 550 5.1.1 "
            "<no@hosted.example>: Recipient address rejected: User unknown in virtual mailbox table; "
            "from=<a@b.example> to=<no@hosted.example> proto=ESMTP helo=<b.example>": {
                "queue_id": "3A8E81C0F1",
                "reason_class": "unknown_recipient",
                "recipient": "no@hosted.example",
            },
            "Nov 26 10:00:00 mx1 postfix/smtpd[11]: NOQUEUE: reject: CONNECT from unknown[192.0.2.10]: 554 5.7.1 "
            "<unknown[192.0.2.10]>: Client host rejected: Access denied; proto=SMTP": {
                "stage": "CONNECT",
                "reason_class": "client_rejected",
                "proto": "SMTP",
            },
            "Jan  1 00:00:00 mailhost postfix/smtpd[123]: reject: RCPT from unknown[10.0.0.3]: 554 Service unavailable; "
            "[10.0.0.3] blocked using bl.spamcop.net, reason: Blocked; from=<a@b> to=<c@d>": {
                "reason_class": "rbl",
                "client_ip": "10.0.0.3",
                "code": 554,
            },
            "Oct 26 18:13:50 mx1 postfix/postscreen[123]: NOQUEUE: reject: CONNECT from [1.2.3.4]:1337: too many connections": {
                "client_ip": "1.2.3.4",
                "client_port": 1337,
                "reason": "too many connections",
                "reason_class": "policy",
            },
        },
        daemons=SMTPD + ("postscreen",),
    ),
    Pattern(
        "smtpd_proxy_reject",
        "reject",
        rf"(?:NOQUEUE|{QID}): proxy-reject: (?P<stage>[A-Z]+(?:-[A-Z]+)*): "
        r"(?:(?P<code>\d{3}) )?(?:(?P<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?P<reason>.*?)"
        + _ENVELOPE_TAIL
        + "$",
        {
            "Jan  1 00:00:00 mailhost postfix/smtpd[123]: NOQUEUE: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject, "
            "id=11912-03 - INFECTED: Eicar-Test-Signature; from=<root@example.com> to=<root@example.net> proto=ESMTP "
            "helo=<example.com>": {
                "stage": "END-OF-MESSAGE",
                "code": 554,
                "reason_class": "policy",
                "sender": "root@example.com",
            }
        },
        daemons=SMTPD,
        fixed={"reason_class": "policy"},
    ),
    Pattern(
        "smtpd_milter_reject",
        "reject",
        rf"(?:NOQUEUE|{QID}): milter-(?:reject|discard|hold): (?P<stage>[A-Z]+(?:-[A-Z]+)*) from {CLIENT}: "
        r"(?:(?P<code>\d{3}) )?(?:(?P<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?P<reason>.*?)"
        + _ENVELOPE_TAIL
        + "$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 5E1F21C0F2: milter-reject: END-OF-MESSAGE from "
            "unknown[192.0.2.11]: 5.7.1 Spam message rejected; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>": {
                "queue_id": "5E1F21C0F2",
                "stage": "END-OF-MESSAGE",
                "dsn": "5.7.1",
                "reason_class": "milter",
                "reason": "Spam message rejected",
            }
        },
        daemons=("smtpd", "cleanup"),
        fixed={"reason_class": "milter"},
    ),
    Pattern(
        "smtpd_auth_failed",
        "auth_failed",
        rf"warning: {CLIENT}: SASL (?P<sasl_method>[\w-]+) authentication failed(?::(?: (?P<reason>.*?))?)?"
        r"(?:, sasl_username=(?P<sasl_username>.*))?$",
        {
            "Mar 10 13:33:30 gandalf postfix/smtpd[3937]: warning: HOSTNAME[1.1.1.1]: SASL LOGIN authentication "
            "failed: authentication failure": {
                "client_ip": "1.1.1.1",
                "sasl_method": "LOGIN",
                "reason": "authentication failure",
            },
            "Nov  4 09:11:01 mail postfix/smtpd[1234]: warning: unknown[192.0.2.152]: SASL LOGIN authentication "
            "failed: (reason unavailable), sasl_username=admin": {
                "client_ip": "192.0.2.152",
                "sasl_username": "admin",
                "reason": "(reason unavailable)",
            },
            "Nov  4 09:11:01 mail postfix/submission/smtpd[27133]: warning: unknown[192.0.2.150]: SASL PLAIN "
            "authentication failed:": {"client_ip": "192.0.2.150", "sasl_method": "PLAIN"},
            "Nov 26 10:00:00 mx1 postfix/submission/smtpd[9]: warning: unknown[203.0.113.66]: SASL LOGIN "
            "authentication failed: UGFzc3dvcmQ6": {
                "client_ip": "203.0.113.66",
                "reason": "UGFzc3dvcmQ6",
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_lost_connection",
        "other",
        rf"(?:NOQUEUE: )?(?:lost connection|timeout|too many errors) after (?P<stage>[\w-]+)(?: \([^)]*\))? from {CLIENT}$",
        {
            "Nov 26 10:00:00 mx1 postfix/smtpd[9]: lost connection after AUTH from unknown[192.0.2.3]": {
                "stage": "AUTH",
                "client_ip": "192.0.2.3",
            },
            "Sep 17 18:19:20 mxhost postfix/smtpd[12345]: NOQUEUE: lost connection after CONNECT from unknown[192.0.2.25]": {
                "stage": "CONNECT",
                "client_ip": "192.0.2.25",
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_client_notice",
        "other",
        r"(?:warning: )?(?:non-SMTP command|improper command pipelining after \S+|bare <LF> received after \S+|"
        r"SSL_accept error|Illegal address syntax|Connection (?:rate|concurrency) limit exceeded: \d+|"
        rf"Message delivery request rate limit exceeded: \d+) from {CLIENT}(?::.*| for .*)?$",
        {
            "Jan 12 11:07:49 h postfix/smtpd[1]: improper command pipelining after DATA from unknown[181.21.131.88]:": {
                "client_ip": "181.21.131.88"
            },
            "Jun 21 12:00:56 acme postfix/submission/smtpd[20201]: warning: non-SMTP command from unknown[1.2.3.4]: GET /": {
                "client_ip": "1.2.3.4"
            },
            "Sep 19 12:10:57 hostname postfix/smtpd[23244]: warning: Connection rate limit exceeded: 31 from "
            "spamhost.domain.org[192.0.2.123] for service smtpd": {"client_ip": "192.0.2.123"},
        },
        daemons=SMTPD + ("postscreen",),
    ),
    Pattern(
        "smtpd_warning",
        "other",
        r"warning: (?:hostname \S+ does not resolve to address (?P<client_ip>[0-9A-Fa-f.:]*[0-9A-Fa-f])(?::.*)?|"
        r"(?:numeric hostname|"
        r"[\w.-]+: address not listed for hostname|TLS library problem|dnsblog reply timeout|"
        r"\S+\[\S+\]: SASL \S+ authentication aborted|connect to \S+: |"
        r"\S+: RBL lookup error).*)",
        {
            "Nov 26 10:00:00 mx1 postfix/smtpd[9]: warning: hostname x.example does not resolve to address 192.0.2.4": {
                "client_ip": "192.0.2.4"
            }
        },
        daemons=SMTPD,
    ),
    Pattern(
        "tls_and_transport",
        "other",
        r"(?:(?:(?:Anonymous|Trusted|Untrusted|Verified) )?TLS connection established (?:from|to) |"
        r"(?:\S+: )?SASL (?:\[CACHED\] )?authentication failed; (?:server|cannot authenticate)|"
        r"SSL_connect error to |setting up TLS connection |"
        r"discarding EHLO keywords|proxy-(?:accept|reject): |"
        r"Server certificate not|certificate verification failed|"
        r"(?:Dis)?connected to \S+ |host \S+ said: |"
        r"\S+: TLS is required|\S+: passing <).*",
        {
            "Nov 26 10:00:00 mx1 postfix/smtp[9]: Trusted TLS connection established to mx.example.org[192.0.2.5]:25: "
            "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)": {}
        },
    ),
    Pattern(
        "smtpd_access_action",
        "other",
        rf"(?:NOQUEUE|{QID}): (?:warn|discard|bcc|hold|filter|redirect|prepend|info): "
        rf"[A-Z]+(?:-[A-Z]+)* from {CLIENT}: .*$",
        {
            "Jan  1 00:00:00 mailhost postfix/smtpd[123]: NOQUEUE: warn: RCPT from host[10.0.0.1]: TEST access WARN "
            "action; from=<f@sample.com> to=<eto@example.com> proto=ESMTP helo=<sample.com>": {
                "client_ip": "10.0.0.1"
            }
        },
        daemons=SMTPD,
    ),
    # --- delivery agents' diagnostics about one message: its queue id and the relay ------
    Pattern(
        "smtp_reply",
        "notice",
        rf"{QID}: host {RELAY} said: (?P<text>.*?)(?: \(in reply to (?P<command>.+?) command\))?$",
        {
            "Dec  7 13:28:02 mail postfix/smtp[18832]: A17F830001CA: host mailin5.zih.recipient.relay.example.com"
            "[11.22.33.44] said: 451-You have been greylisted. This is part of our standard anti-spam measures "
            "451-and your mail system should automatically try again later. We will accept 451 this mail from "
            "you in 42 seconds (in reply to RCPT TO command)": {
                "queue_id": "A17F830001CA",
                "relay_name": "mailin5.zih.recipient.relay.example.com",
                "relay_ip": "11.22.33.44",
                "command": "RCPT TO",
                "kind": "reply",
                "text": "451-You have been greylisted. This is part of our standard anti-spam measures "
                "451-and your mail system should automatically try again later. We will accept "
                "451 this mail from you in 42 seconds",
            },
            "Sep 16 00:07:41 smtp-node07.com postfix-10.20.30.40/smtp[31868]: 0D59F4165A: host "
            "mx-aol.mail.gm0.yahoodns.net[44.55.66.77] said: 421 4.7.0 [TSS04] Messages from 10.20.30.40 "
            "temporarily deferred due to user complaints (in reply to MAIL FROM command)": {
                "queue_id": "0D59F4165A",
                "relay_ip": "44.55.66.77",
                "command": "MAIL FROM",
            },
        },
        daemons=SMTP_CLIENTS,
        fixed={"kind": "reply"},
    ),
    Pattern(
        "smtp_refused",
        "notice",
        rf"{QID}: host {RELAY} refused to talk to me: (?P<text>.*)$",
        {
            "Jul  5 17:24:35 mail postfix/smtp[9635]: D298F2C60812: host mx6.mail.icloud.com[17.178.97.79] "
            "refused to talk to me: 550 5.7.0 Blocked": {
                "queue_id": "D298F2C60812",
                "relay_name": "mx6.mail.icloud.com",
                "relay_ip": "17.178.97.79",
                "text": "550 5.7.0 Blocked",
                "kind": "refused",
            }
        },
        daemons=SMTP_CLIENTS,
        fixed={"kind": "refused"},
    ),
    Pattern(
        "smtp_connection_lost",
        "notice",
        rf"{QID}: (?:lost connection with|conversation with) {RELAY} (?P<text>.*)$",
        {
            "Dec  9 10:18:24 mail postfix/smtp[20056]: 1310930001DB: lost connection with "
            "hotmail-com.olc.protection.outlook.com[104.47.10.33] while sending RCPT TO": {
                "queue_id": "1310930001DB",
                "relay_ip": "104.47.10.33",
                "text": "while sending RCPT TO",
                "kind": "connection",
            },
            "Dec  9 10:18:24 mail postfix/lmtp[2005]: 1310930001DC: conversation with "
            "dovecot.example[192.0.2.40]:24 timed out while sending end of data": {
                "queue_id": "1310930001DC",
                "relay_ip": "192.0.2.40",
                "relay_port": "24",
            },
        },
        daemons=SMTP_CLIENTS,
        fixed={"kind": "connection"},
    ),
    Pattern(
        "smtp_tls_failed",
        "notice",
        rf"{QID}: (?P<text>Cannot start TLS: .*)$",
        {
            "Dec  7 13:30:12 mail postfix/smtp[18840]: 8C1A930001D0: Cannot start TLS: handshake failure": {
                "queue_id": "8C1A930001D0",
                "text": "Cannot start TLS: handshake failure",
                "kind": "tls_failed",
            }
        },
        daemons=SMTP_CLIENTS,
        fixed={"kind": "tls_failed"},
    ),
    Pattern(
        "smtp_pix_workarounds",
        "notice",
        rf"{QID}: enabling PIX workarounds: (?P<text>.*?) for {RELAY}$",
        {
            "Dec  7 13:31:02 mail postfix/smtp[18841]: 9D2B930001D1: enabling PIX workarounds: "
            "disable_esmtp delay_dotcrlf for mx.oldfirewall.example[198.51.100.25]:25": {
                "queue_id": "9D2B930001D1",
                "relay_name": "mx.oldfirewall.example",
                "relay_ip": "198.51.100.25",
                "text": "disable_esmtp delay_dotcrlf",
                "kind": "pix_workarounds",
            }
        },
        daemons=SMTP_CLIENTS,
        fixed={"kind": "pix_workarounds"},
    ),
    Pattern(
        "smtp_connect_failed",
        "other",
        rf"connect to {CLIENT}: .*$",
        {
            "Jan  1 00:00:00 mailhost postfix/smtp[123]: connect to example.org[10.0.0.1]: Connection refused (port 25)": {
                "client_ip": "10.0.0.1"
            }
        },
        daemons=("smtp", "lmtp"),
    ),
    Pattern(
        "policy_service",
        "other",
        r".*",
        {
            "Jan  1 00:00:00 mailhost postfix/policy-spf[123]: SPF pass (Mechanism 'ip4:10.0.0.2/22' matched): "
            "Envelope-from: foo@example.com": {}
        },
        # policy servers started by Postfix's spawn(8): separate programs under postfix/
        daemons=("policy-spf", "policyd-spf", "postfwd", "postgrey", "policyd-weight", "policyd"),
        fallback=True,
    ),
    # --- postscreen ---------------------------------------------------------------------
    Pattern(
        "postscreen_connect",
        "other",
        rf"CONNECT from {CLIENT} to \[[^\]]*\]:\d+$",
        {
            "Nov 26 10:00:00 mx1 postfix/postscreen[14766]: CONNECT from [192.0.2.6]:55868 to [10.0.0.1]:25": {
                "client_ip": "192.0.2.6",
                "client_port": 55868,
            }
        },
        daemons=("postscreen",),
    ),
    Pattern(
        "tlsproxy_session",
        "other",
        rf"(?:CONNECT|DISCONNECT)(?: from)? {CLIENT}$",
        {
            "Oct 26 18:13:50 mx1 postfix/tlsproxy[123]: CONNECT from [82.118.17.142]:51637": {
                "client_ip": "82.118.17.142"
            }
        },
        daemons=("tlsproxy",),
    ),
    Pattern(
        "postscreen_verdict",
        "other",
        r"(?:PASS (?:NEW|OLD)|DISCONNECT|WHITELISTED|ALLOWLISTED|WHITELIST VETO|ALLOWLIST VETO|"
        rf"BLACKLISTED|DENYLISTED|DNSBL rank \d+ for) {CLIENT}$",
        {
            "Sep 10 07:01:57 poseidon postfix/postscreen[25914]: DNSBL rank 3 for [1.2.3.4]:64273": {
                "client_ip": "1.2.3.4"
            },
            "Nov 26 10:00:00 mx1 postfix/postscreen[1]: PASS NEW [192.0.2.6]:55868": {
                "client_ip": "192.0.2.6"
            },
        },
        daemons=("postscreen",),
    ),
    Pattern(
        "postscreen_protocol",
        "other",
        r"(?:PREGREET \d+ after [\d.]+|HANGUP after [\d.]+|BARE NEWLINE|COMMAND (?:PIPELINING|TIME LIMIT|"
        rf"COUNT LIMIT|LENGTH LIMIT)|NON-SMTP COMMAND)(?: after [\d.]+)? from {CLIENT}.*$",
        {
            "Sep  6 11:47:43 poseidon postfix/postscreen[14766]: PREGREET 14 after 0.04 from [1.2.3.4]:55868: EHLO ylmf-pc\\r\\n": {
                "client_ip": "1.2.3.4"
            }
        },
        daemons=("postscreen",),
    ),
    Pattern(
        "postscreen_chatter",
        "other",
        r"(?:cache \S+ full cleanup: |warning: (?!.*SASL)).*$",
        {
            "Nov 26 10:00:00 mx1 postfix/postscreen[1]: cache btree:/var/lib/postfix/psc_cache full cleanup: "
            "retained=12 dropped=3 entries": {}
        },
        daemons=("postscreen",),
        fallback=True,
    ),
    Pattern(
        "dnsblog_listed",
        "other",
        r"addr (?P<client_ip>\S+) listed by domain \S+ as \S+$",
        {
            "Jul  8 17:05:18 mail postfix/dnsblog[21133]: addr 1.2.3.4 listed by domain zen.spamhaus.org as 127.0.0.3": {
                "client_ip": "1.2.3.4"
            }
        },
        daemons=("dnsblog",),
    ),
    # --- local submission --------------------------------------------------------------
    Pattern(
        "pickup",
        "pickup",
        rf"{QID}: uid=(?P<uid>\d+) from=" + addr("sender") + "$",
        {
            "Jan 17 09:33:45 scottlinux postfix/pickup[29334]: A30577CA327: uid=33 from=<www-data>": {
                "queue_id": "A30577CA327",
                "uid": 33,
                "sender": "www-data",
            }
        },
        daemons=("pickup",),
    ),
    # --- cleanup -----------------------------------------------------------------------
    Pattern(
        "cleanup_message_id",
        "message_id",
        rf"{QID}: (?:resent-)?message-id=<?(?P<message_id>[^>]*)>?$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E3: message-id=<abc@example.net>": {
                "queue_id": "4F2A11C0E3",
                "message_id": "abc@example.net",
            },
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E3: message-id=": {
                "queue_id": "4F2A11C0E3",
                "message_id": "",
            },
        },
        daemons=("cleanup",),
    ),
    Pattern(
        "cleanup_php_script",
        "script_header",
        rf"{QID}: (?:warning|info): header X-PHP-Originating-Script: (?P<uid>\d+):(?P<script>.+?) "
        rf"from (?:local|{CLIENT});(?: from=<[^>]*>)?(?: to=<(?P<recipient>[^>]*)>)?.*$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E4: warning: header X-PHP-Originating-Script: "
            "1003:contact-form.php from local; from=<site1003@mx1.example> to=<someone@example.org>": {
                "queue_id": "4F2A11C0E4",
                "uid": 1003,
                "script": "contact-form.php",
                "recipient": "someone@example.org",
            },
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E5: info: header X-PHP-Originating-Script: "
            "72467:txplib_misc.php(1826) : eval()'d code from local; from=<a@b> to=<c@d>": {
                "uid": 72467,
                "script": "txplib_misc.php(1826) : eval()'d code",
            },
        },
        daemons=("cleanup",),
    ),
    Pattern(
        "cleanup_content_reject",
        "reject",
        rf"{QID}: (?P<action>reject|discard): (?:header|body) (?P<reason>.*?) from (?:local|{CLIENT});"
        r"(?: from=" + addr("sender") + r")?(?: to=" + addr("recipient") + r")?"
        r"(?: proto=(?P<proto>[A-Z]+))?(?: helo=<(?P<helo>[^>]*)>)?(?:: (?P<dsn>\d\.\d{1,3}\.\d{1,3})? ?(?P<response>.*))?$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E6: reject: body Subject: Cheap pills from local; "
            "from=<root@localhost>: 5.7.1 message content rejected": {
                "queue_id": "4F2A11C0E6",
                "reason_class": "policy",
                "sender": "root@localhost",
                "dsn": "5.7.1",
            }
        },
        daemons=("cleanup",),
        fixed={"reason_class": "policy", "stage": "DATA"},
    ),
    # header_checks / body_checks WARN, INFO, HOLD, ... (hosting companies' abuse tracking)
    Pattern(
        "cleanup_header_notice",
        "notice",
        rf"{QID}: (?P<action>warning|info|hold|replace|redirect|prepend|filter|bcc): header "
        r"(?!X-PHP-Originating-Script:)(?P<header>[^\s:]+): ?(?P<value>.*?) "
        rf"from (?:local|{CLIENT});" + _CLEANUP_TAIL,
        {
            "Jan  1 00:00:00 mailhost postfix/cleanup[123]: DEADBEEF: warning: header Date: Tues, 99:34:67 from "
            "localhost[127.0.0.1]; from=<efrom@example.com> to=<eto@sample.net> proto=ESMTP helo=<example.com>: "
            "optional text...": {
                "queue_id": "DEADBEEF",
                "action": "warning",
                "header": "Date",
                "value": "Tues, 99:34:67",
                "client_name": "localhost",
                "client_ip": "127.0.0.1",
                "sender": "efrom@example.com",
                "recipient": "eto@sample.net",
                "proto": "ESMTP",
                "helo": "example.com",
                "text": "optional text...",
                "kind": "header",
            },
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: D8B07E3DB6: warning: header Subject: hello from "
            "o1.outbound.example[167.89.17.173]; from=<a@b> to=<c@d> proto=ESMTP helo=<o1>": {
                "queue_id": "D8B07E3DB6",
                "header": "Subject",
                "value": "hello",
                "client_ip": "167.89.17.173",
                "helo": "o1",
            },
            "Oct 26 18:13:50 mx1 postfix/cleanup[123]: D95341E50350: info: header Subject: "
            "=?utf-8?Q?Gr=C3=BC=C3=9Fe?= test from local; from=<from@example.com> to=<to@example.com>": {
                "action": "info",
                "value": "=?utf-8?Q?Gr=C3=BC=C3=9Fe?= test",
                "sender": "from@example.com",
            },
        },
        daemons=("cleanup",),
        fixed={"kind": "header"},
    ),
    Pattern(
        "cleanup_body_notice",
        "notice",
        rf"{QID}: (?P<action>warning|info|hold|replace|redirect|prepend|filter|bcc): body "
        rf"(?P<value>.*?) from (?:local|{CLIENT});" + _CLEANUP_TAIL,
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 5A0C21C0F7: warning: body Click here to claim your prize "
            "from unknown[203.0.113.9]; from=<promo@spam.example> to=<anna@shop.example> proto=ESMTP "
            "helo=<spam.example>: suspicious body": {
                "queue_id": "5A0C21C0F7",
                "value": "Click here to claim your prize",
                "client_ip": "203.0.113.9",
                "sender": "promo@spam.example",
                "recipient": "anna@shop.example",
                "helo": "spam.example",
                "text": "suspicious body",
                "kind": "body",
            }
        },
        daemons=("cleanup",),
        fixed={"kind": "body"},
    ),
    Pattern(
        "cleanup_header_warning",
        "other",
        rf"{QID}: (?:milter-header-|milter-body-)?(?:warning|info|hold|replace|redirect|prepend|filter|bcc): (?:header|body|content) .*$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: D8B07E3DB7: hold: header X-PHP-Originating-Script: "
            "1003:mailer.php from local; from=<site1003@mx1.example> to=<a@b.example>": {
                "queue_id": "D8B07E3DB7"
            }
        },
        daemons=("cleanup",),
        fallback=True,
    ),
    # --- qmgr --------------------------------------------------------------------------
    Pattern(
        "qmgr_queued",
        "queued",
        rf"{QID}: from="
        + addr("sender")
        + r", size=(?P<size>\d+), nrcpt=(?P<nrcpt>\d+) \(queue active\)$",
        {
            "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E3: from=<a@b.example>, size=1234, nrcpt=2 (queue active)": {
                "queue_id": "4F2A11C0E3",
                "sender": "a@b.example",
                "size": 1234,
                "nrcpt": 2,
            },
            "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E7: from=<>, size=3000, nrcpt=1 (queue active)": {
                "sender": ""
            },
        },
        daemons=("qmgr",),
    ),
    Pattern(
        "qmgr_queued_unbracketed",
        "queued",
        rf"{QID}: from=(?P<sender>[^<>,\s][^<>,\s]*), size=(?P<size>\d+), nrcpt=(?P<nrcpt>\d+) \(queue active\)$",
        {
            "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E9: from=billing@shop.example, size=2210, nrcpt=3 "
            "(queue active)": {
                "queue_id": "4F2A11C0E9",
                "sender": "billing@shop.example",
                "size": 2210,
                "nrcpt": 3,
            }
        },
        daemons=("qmgr",),
    ),
    Pattern(
        "qmgr_removed",
        "removed",
        rf"{QID}: removed$",
        {"Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E3: removed": {"queue_id": "4F2A11C0E3"}},
        daemons=("qmgr", "postsuper"),
    ),
    Pattern(
        "qmgr_expired",
        "expired",
        rf"{QID}: from=" + addr("sender") + r", status=expired, returned to sender$",
        {
            "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E8: from=<a@b.example>, status=expired, returned to sender": {
                "queue_id": "4F2A11C0E8",
                "sender": "a@b.example",
                "status": "expired",
            }
        },
        daemons=("qmgr",),
        fixed={"status": "expired"},
    ),
    Pattern(
        "qmgr_other",
        "other",
        rf"(?:{QID}: (?:skipped, still being delivered|from=<[^>]*>, status=\w+, .*|to=<[^>]*>, relay=none, .*)"
        r"|warning: (?!.*SASL).*|(?:statistics|QMGR_\w+): .*)$",
        {"Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E8: skipped, still being delivered": {}},
        daemons=("qmgr",),
        fallback=True,
    ),
    # --- delivery agents ---------------------------------------------------------------
    Pattern(
        "delivery",
        "delivery",
        rf"{QID}: to=<?(?P<recipient>[^>,]*)>?,(?: orig_to=<?(?P<orig_recipient>[^>,]*)>?,)?"
        r" relay=(?P<relay>[^,]+),(?: conn_use=\d+,?)? delay=(?P<delay>[\d.]+),(?: delays=[\d./]+,)?"
        r"(?: (?!dsn=)\w+=[^,\s]*,)*(?: dsn=(?P<dsn>[\d.]+),)? status=(?P<status>[\w-]+)(?: \((?P<response>.*?)\)?)?$",
        {
            "Nov 26 10:00:00 mx1 postfix/smtp[28692]: 08ACF1541B01: to=<h@b.example>, orig_to=<root>, "
            "relay=127.0.0.1[127.0.0.1]:10024, delay=6.8, delays=0.19/0.01/0/6.6, dsn=2.0.0, status=sent "
            "(250 2.0.0 Ok: queued as AED441541AFC)": {
                "queue_id": "08ACF1541B01",
                "recipient": "h@b.example",
                "orig_recipient": "root",
                "relay": "127.0.0.1[127.0.0.1]:10024",
                "delay": 6.8,
                "dsn": "2.0.0",
                "status": "sent",
                "response": "250 2.0.0 Ok: queued as AED441541AFC",
            },
            "Nov 26 10:00:00 mx1 postfix/smtp[2]: 08ACF1541B02: to=<x@nowhere.example>, relay=none, delay=30, "
            "delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.nowhere.example[192.0.2.9]:25: Connection timed out)": {
                "status": "deferred",
                "relay": "none",
                "dsn": "4.4.1",
            },
            "Oct 26 18:13:50 mx1 postfix/local[123]: 2A22C263F6: to=user@hostname.example.com, orig_to=root@localhost, "
            "relay=local, delay=0.07, delays=0.04/0/0/0.03, dsn=2.0.0, status=sent (delivered to command: procmail)": {
                "recipient": "user@hostname.example.com",
                "orig_recipient": "root@localhost",
            },
            "Oct 26 18:13:50 mx1 postfix/smtp[123]: 7EE668039: to=<user@example.com>, relay=mail.example.com[1.2.3.4]:25, "
            "delay=3.6, delays=0.08/0.02/0.85/0.14, tls=dane/requiretls, dsn=2.1.5, status=sent (250 2.0.0 Ok)": {
                "dsn": "2.1.5",
                "status": "sent",
            },
        },
        daemons=DELIVERY_AGENTS,
    ),
    Pattern(
        "bounce_notification",
        "bounce_notice",
        rf"{QID}: (?:sender|postmaster) (?:non-delivery|delay|delivery status|success) notification: (?P<new_queue_id>\w+)$",
        {
            "Nov 26 10:00:00 mx1 postfix/bounce[40]: 4F2A11C0E9: sender non-delivery notification: 4F2A11C0EA": {
                "queue_id": "4F2A11C0E9",
                "new_queue_id": "4F2A11C0EA",
            }
        },
        daemons=("bounce",),
    ),
    # --- anvil: a client hammering the server ------------------------------------------
    Pattern(
        "anvil_client_rate",
        "client_rate",
        r"statistics: max (?P<kind>connection rate|connection count|message rate|recipient rate|"
        r"newtls request rate) (?P<figure>\d+)(?:/(?P<period>\d*[smhd]?))? for "
        r"\((?P<service>.+?):(?P<client_ip>[\d.]+|[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)\) at .*$",
        {
            "Dec  7 13:33:34 mail postfix/anvil[18492]: statistics: max connection rate 2/60s for "
            "(submission:68.183.218.8) at Dec  7 13:28:01": {
                "kind": "connection_rate",
                "figure": 2,
                "period": 60,
                "service": "submission",
                "client_ip": "68.183.218.8",
            },
            "Dec  7 13:33:34 mail postfix/anvil[18492]: statistics: max connection count 1 for "
            "(smtpd:209.85.218.50) at Dec  7 13:26:48": {
                "kind": "connection_count",
                "figure": 1,
                "service": "smtpd",
                "client_ip": "209.85.218.50",
            },
            "Oct 26 17:46:59 mx1 postfix/anvil[7]: statistics: max connection rate 1/5m for "
            "(smtpd:2604:8d00:0:1::3) at Oct 26 17:46:59": {
                "period": 300,
                "service": "smtpd",
                "client_ip": "2604:8d00:0:1::3",
            },
            "Oct 26 19:46:00 mx1 postfix/anvil[7]: statistics: max connection count 1 for "
            "(127.0.0.1:2525:127.0.0.1) at Oct 26 19:46:00": {
                "service": "127.0.0.1:2525",
                "client_ip": "127.0.0.1",
            },
            "Nov 26 10:00:00 mx1 postfix/anvil[7]: statistics: max message rate 250/60s for "
            "(smtp:203.0.113.50) at Nov 26 09:58:12": {
                "kind": "message_rate",
                "figure": 250,
                "client_ip": "203.0.113.50",
            },
            "Nov 26 10:00:00 mx1 postfix/anvil[7]: statistics: max recipient rate 900/60s for "
            "(smtp:203.0.113.50) at Nov 26 09:58:12": {"kind": "recipient_rate", "figure": 900},
        },
        daemons=("anvil",),
        derive=_anvil,
    ),
    # --- process and daemon chatter ----------------------------------------------------
    Pattern(
        "daemon_chatter",
        "other",
        r"(?:statistics: .*|daemon started .*|reload .*|terminating on signal .*|"
        r"table \S+ has changed -- restarting|"
        r"(?:Placed on hold|Released from hold|Requeued|Deleted): \d+ messages?|"
        r"\w+: (?:requeued|placed on hold|released from hold|expired)|"
        r"cache \S+ (?:full|partial) cleanup: .*|"
        r"refreshing the Postfix mail system|stopping the Postfix mail system|starting the Postfix mail system|"
        r"Postfix is running with backwards-compatible default settings|"
        # diagnostics, except anything about authentication, which must stay visible
        r"(?:warning|fatal|error|panic): (?!.*(?:SASL|authentication)).*)$",
        {
            "Oct 26 18:13:50 mx1 postfix/anvil[7]: statistics: max cache size 1 at Oct 26 18:13:50": {}
        },
        fallback=True,
    ),
)
