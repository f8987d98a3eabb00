//! Hand-written matcher of Exim's failed SMTP AUTH line (`exim_auth_failed`: `dovecot_login
//! authenticator failed for (helo) [ip]:port I=[ip]:port: 535 Incorrect authentication
//! data (set_id=user)`), bound to its exact regex of the table. Its `I=\S+` takes the
//! `:` before ` 535` too, so the regex gives characters back until the rest matches: the
//! matcher tries the same ends in the same order (longest first), and declines wherever
//! an end would let another optional part start (`U=`, `Ci=`): the regex decides there.

use super::scan::{digit, space, Cur, Span};
use super::selectors::client;
use super::Matcher;

pub const MATCHERS: &[Matcher] = &[Matcher {
    pattern: "exim_auth_failed",
    source: r"(?:(?P<sasl_method>\S+) )?authenticator failed for (?:(?:H=)?(?:(?P<client_name>[^\s\[\]()]+) )?(?:\((?P<helo>[^)]*)\) )?\[(?P<client_ip>[^\]\s]+)\](?::(?P<client_port>\d+))?)?(?: ?I=\S+)?(?: ?U=[^\s:]+)?(?: ?Ci=\w+)? ?: (?P<code>\d{3}) (?P<reason>.*?)(?: \(set_id=(?P<sasl_username>[^)]*)\))?(?:: .*)?$",
    names: &[
        "sasl_method",
        "client_name",
        "helo",
        "client_ip",
        "client_port",
        "code",
        "reason",
        "sasl_username",
    ],
    run: auth_failed,
}];

const LEAD: &[u8] = b"authenticator failed for ";

/// A selector longer than this is left to the regex (each end of it is one try).
const LONGEST: usize = 256;

/// What the rest of the line says from one place: where the reason starts, no match
/// from here, or not surely (the regex decides).
enum Rest {
    Reason(usize),
    Fails,
    Unsure,
}

fn auth_failed(m: &[u8], spans: &mut [Span]) -> bool {
    auth_failed_parts(m, spans).is_some()
}

fn auth_failed_parts(m: &[u8], spans: &mut [Span]) -> Option<()> {
    let mut c = Cur::new(m);
    // `(?:(?P<sasl_method>\S+) )?`: the first word where the lead follows it; else the
    // lead must start the line (a word that is `authenticator` cannot be followed by it)
    spans[0] = None;
    if !c.lit(LEAD) {
        let method = c.run1(|b| !space(b))?;
        if !(c.byte(b' ') && c.lit(LEAD)) {
            return None;
        }
        spans[0] = Some(method);
    }
    // the host: its first path only (where that fails, a path through `H=` as a name
    // may not: the regex decides)
    c.lit(b"H=");
    spans[1..5].copy_from_slice(&client(&mut c)?);
    let reason = match selectors(m, c.i) {
        Rest::Reason(at) => at,
        Rest::Fails | Rest::Unsure => return None,
    };
    spans[5] = Some((reason - 4, reason - 1));
    let (end, user) = reason_end(m, reason);
    spans[6] = Some((reason, end));
    spans[7] = user;
    Some(())
}

/// `(?: ?I=\S+)?` then the rest (`after_i`) at `at`: the `I=` value's ends longest first.
fn selectors(m: &[u8], at: usize) -> Rest {
    let lead = if m.get(at) == Some(&b' ') { at + 1 } else { at };
    if !m[lead..].starts_with(b"I=") {
        return after_i(m, at);
    }
    let value = lead + 2;
    let run = m[value..].iter().take_while(|b| !space(**b)).count();
    if run == 0 || run > LONGEST {
        return Rest::Unsure;
    }
    for end in (value + 1..=value + run).rev() {
        match after_i(m, end) {
            Rest::Fails => {}
            found => return found,
        }
    }
    // every end failed: the group skipped (or taken without its space) is the regex's
    Rest::Unsure
}

/// `(?: ?U=[^\s:]+)?(?: ?Ci=\w+)? ?: (?P<code>\d{3}) ` at `at`: where `U=` or `Ci=` could
/// start, not surely; else the colon and the code.
fn after_i(m: &[u8], at: usize) -> Rest {
    let rest = &m[at..];
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    if rest.starts_with(b"U=") || rest.starts_with(b"Ci=") {
        return Rest::Unsure;
    }
    // ` ?: `: the optional space is the rest's first byte where it is a space
    let mut c = Cur {
        s: m,
        i: m.len() - rest.len(),
    };
    if !c.lit(b": ") {
        return Rest::Fails;
    }
    let code = c.run(digit);
    if code.1 - code.0 == 3 && c.byte(b' ') {
        Rest::Reason(c.i)
    } else {
        Rest::Fails
    }
}

/// `(?P<reason>.*?)(?: \(set_id=(?P<sasl_username>[^)]*)\))?(?:: .*)?$` from `at`: the
/// first end of the reason where the set_id (first) or the rest matches -> (end, user).
fn reason_end(m: &[u8], at: usize) -> (usize, Span) {
    // `(?:: .*)?$`: the end, or `: ` and anything
    let tail = |at: usize| at == m.len() || m[at..].starts_with(b": ");
    for end in at..m.len() {
        let rest = &m[end..];
        if let Some(user) = rest.strip_prefix(b" (set_id=") {
            let n = user.iter().take_while(|b| **b != b')').count();
            let close = end + 9 + n;
            if close < m.len() && tail(close + 1) {
                return (end, Some((end + 9, close)));
            }
        }
        if tail(end) {
            return (end, None);
        }
    }
    (m.len(), None)
}
