//! Hand-written matchers of Sendmail's lines after the hottest ones: failed SMTP AUTH
//! (`AUTH failure`, `possible SMTP attack: command=AUTH`), the DSNs Sendmail makes and
//! refused recipients (`<x>... reason`), each bound to its exact regex of the table (how a
//! matcher follows it: `super::Matcher`).

use memchr::memmem;

use super::scan::{digit, Cur, Span};
use super::sendmail::{queue_id, relay_client};
use super::Matcher;

pub const MATCHERS: &[Matcher] = &[
    Matcher {
        pattern: "sendmail_auth_failure",
        source: r"(?P<queue_id>[0-9A-Za-z]{12,18}): AUTH failure \((?P<sasl_method>[^)]*)\): (?P<reason>.*?)(?:, user=(?P<sasl_username>.*?))?, relay=(?:(?P<client_name>[^\s,\[]+) )?\[(?:IPv6:)?(?P<client_ip>[^\]\s]+)\](?: \(may be forged\))?$",
        names: &[
            "queue_id",
            "sasl_method",
            "reason",
            "sasl_username",
            "client_name",
            "client_ip",
        ],
        run: auth_failure,
    },
    Matcher {
        pattern: "sendmail_auth_attack",
        source: r"(?P<queue_id>[0-9A-Za-z]{12,18}): (?:(?P<client_name>[^\s,\[]+) )?\[(?:IPv6:)?(?P<client_ip>[^\]\s]+)\](?: \(may be forged\))?: (?P<reason>possible SMTP attack: command=AUTH, count=(?P<count>\d+))$",
        names: &["queue_id", "client_name", "client_ip", "reason", "count"],
        run: auth_attack,
    },
    Matcher {
        pattern: "sendmail_dsn",
        source: r"(?P<bounce_of>[0-9A-Za-z]{12,18}): (?P<queue_id>[0-9A-Za-z]{12,18}): (?:DSN|postmaster notify|return to sender): (?P<reason>.*)$",
        names: &["bounce_of", "queue_id", "reason"],
        run: dsn,
    },
    Matcher {
        pattern: "sendmail_rcpt_refused",
        source: r"(?P<queue_id>[0-9A-Za-z]{12,18}): <(?P<recipient>[^>]*)>\.\.\. (?P<reason>.*)$",
        names: &["queue_id", "recipient", "reason"],
        run: rcpt_refused,
    },
];

/// How a relay reads at one place: to the end (its client name and address), not at all
/// there, or not surely (the regex decides).
enum Relay {
    Ends([Span; 2]),
    Fails,
    Unsure,
}

/// `RELAY(?: \(may be forged\))?$` at `at` (after `relay=`). `relay_client` takes the
/// only path that can match, or says None (then not surely no match); a relay read but
/// not ending the line cannot end it another way (a shorter address would leave a
/// character that is not `]`).
fn relay_to_end(m: &[u8], at: usize) -> Relay {
    let mut c = Cur { s: m, i: at };
    let Some(found) = relay_client(&mut c) else {
        return Relay::Unsure;
    };
    if c.end() {
        Relay::Ends(found)
    } else {
        Relay::Fails
    }
}

fn auth_failure(m: &[u8], spans: &mut [Span]) -> bool {
    auth_failure_parts(m, spans).is_some()
}

/// `(?P<reason>.*?)(?:, user=(?P<sasl_username>.*?))?, relay=RELAY$`: the reason ends at
/// the first `, ` where either form of the rest matches (the `user=` one first); the user
/// at the first `, relay=` after it whose relay ends the line.
fn auth_failure_parts(m: &[u8], spans: &mut [Span]) -> Option<()> {
    let mut c = Cur::new(m);
    spans[0] = Some(queue_id(&mut c, b"AUTH failure (")?);
    spans[1] = Some(c.run(|b| b != b')'));
    if !c.lit(b"): ") {
        return None;
    }
    let reason = c.i;
    for p in memmem::find_iter(&m[reason..], b", ").map(|p| p + reason) {
        let rest = &m[p..];
        if rest.starts_with(b", user=") {
            let user = p + 7;
            for q in memmem::find_iter(&m[user..], b", relay=").map(|q| q + user) {
                match relay_to_end(m, q + 8) {
                    Relay::Ends([name, ip]) => {
                        spans[2..6].copy_from_slice(&[
                            Some((reason, p)),
                            Some((user, q)),
                            name,
                            ip,
                        ]);
                        return Some(());
                    }
                    Relay::Fails => {}
                    Relay::Unsure => return None,
                }
            }
        } else if rest.starts_with(b", relay=") {
            match relay_to_end(m, p + 8) {
                Relay::Ends([name, ip]) => {
                    spans[2..6].copy_from_slice(&[Some((reason, p)), None, name, ip]);
                    return Some(());
                }
                Relay::Fails => {}
                Relay::Unsure => return None,
            }
        }
    }
    None
}

fn auth_attack(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    let Some(id) = queue_id(&mut c, b"") else {
        return false;
    };
    // `relay_client` reads ` (may be forged)` where it is there: the `: ` must follow
    let Some([name, ip]) = relay_client(&mut c) else {
        return false;
    };
    if !c.lit(b": ") {
        return false;
    }
    let reason = c.i;
    if !c.lit(b"possible SMTP attack: command=AUTH, count=") {
        return false;
    }
    let Some(count) = c.run1(digit) else {
        return false;
    };
    if !c.end() {
        return false;
    }
    spans.copy_from_slice(&[Some(id), name, ip, Some((reason, m.len())), Some(count)]);
    true
}

fn dsn(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    let Some(bounce_of) = queue_id(&mut c, b"") else {
        return false;
    };
    let Some(id) = queue_id(&mut c, b"") else {
        return false;
    };
    if !c.one_of(&[b"DSN: ", b"postmaster notify: ", b"return to sender: "]) {
        return false;
    }
    spans.copy_from_slice(&[Some(bounce_of), Some(id), Some((c.i, m.len()))]);
    true
}

fn rcpt_refused(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    let Some(id) = queue_id(&mut c, b"<") else {
        return false;
    };
    let recipient = c.run(|b| b != b'>');
    if !c.lit(b">... ") {
        return false;
    }
    spans.copy_from_slice(&[Some(id), Some(recipient), Some((c.i, m.len()))]);
    true
}
