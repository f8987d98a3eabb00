//! Hand-written matchers of Postfix's smtpd session lines beside the hottest ones in
//! `postfix.rs`: SASL authentication failures and lost connections (how a matcher follows
//! its regex: `super::Matcher`).

use super::scan::{client, word, Cur, Span};
use super::Matcher;

pub const MATCHERS: &[Matcher] = &[
    Matcher {
        pattern: "smtpd_auth_failed",
        source: r"warning: (?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?: SASL (?P<sasl_method>[\w-]+) authentication failed(?::(?: (?P<reason>.*?))?)?(?:, sasl_username=(?P<sasl_username>.*))?$",
        names: &[
            "client_name",
            "client_ip",
            "client_port",
            "sasl_method",
            "reason",
            "sasl_username",
        ],
        run: auth_failed,
    },
    Matcher {
        pattern: "smtpd_lost_connection",
        source: r"(?:NOQUEUE: )?(?:lost connection|timeout|too many errors) after (?P<stage>[\w-]+)(?: \([^)]*\))? from (?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?$",
        names: &[],
        run: lost_connection,
    },
];

const USER: &[u8] = b", sasl_username=";

fn auth_failed(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    if !c.lit(b"warning: ") {
        return false;
    }
    let Some(found) = client(&mut c) else {
        return false;
    };
    spans[..3].copy_from_slice(&found);
    if !c.lit(b": SASL ") {
        return false;
    }
    let Some(method) = c.run1(|b| word(b) || b == b'-') else {
        return false;
    };
    spans[3] = Some(method);
    if !c.lit(b" authentication failed") {
        return false;
    }
    spans[4] = None;
    spans[5] = None;
    // `(?::(?: (?P<reason>.*?))?)?`: after `: ` the reason runs (lazily) to the first
    // `, sasl_username=` or the end, where the rest matches
    if c.lit(b": ") {
        let user = memchr::memmem::find(c.rest(), USER).map(|k| c.i + k);
        spans[4] = Some((c.i, user.unwrap_or(m.len())));
        spans[5] = user.map(|k| (k + USER.len(), m.len()));
        return true;
    }
    // a `:` without its reason, or none: then only the user or the end
    let at = c.i;
    if c.byte(b':') && !(c.end() || c.rest().starts_with(USER)) {
        c.i = at; // the group is skipped: the rest must read from the `:`
    }
    if c.lit(USER) {
        spans[5] = Some((c.i, m.len()));
        return true;
    }
    c.end()
}

/// An `other` event: true only where the regex matches.
fn lost_connection(m: &[u8], _spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    c.lit(b"NOQUEUE: ");
    let lead = [&b"lost connection"[..], b"timeout", b"too many errors"];
    if !c.one_of(&lead) || !c.lit(b" after ") {
        return false;
    }
    if c.run1(|b| word(b) || b == b'-').is_none() {
        return false;
    }
    if c.lit(b" (") {
        c.run(|b| b != b')');
        if !c.byte(b')') {
            return false;
        }
    }
    c.lit(b" from ") && client(&mut c).is_some() && c.end()
}
