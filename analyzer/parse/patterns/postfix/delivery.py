"""Postfix delivery agents (smtp, lmtp, local, virtual, pipe, ...): deliveries, bounce
notifications and the diagnostics about one message (the next hop's reply, a lost
connection, ...), and the policy servers spawned beside them.
"""

from __future__ import annotations

from ..base import CLIENT, Pattern
from ..base import POSTFIX_QID as QID

DELIVERY_AGENTS = None  # smtp, lmtp, local, virtual, pipe, error, retry, discard, ...
# delivery agents' diagnostics: smtp, lmtp (any daemon, as the broad catch they came from)
SMTP_CLIENTS = None
# the next hop a delivery agent talks to: `mx.example.com[192.0.2.5]:25`
RELAY = r"(?P<relay_name>[^\s\[\]]*)\[(?P<relay_ip>[^\]\s]*)\](?::(?P<relay_port>\d+))?"

# diagnostics about one message: its queue id and the relay; then policy servers
DIAGNOSTICS = (
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
)

DELIVERIES = (
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
)
