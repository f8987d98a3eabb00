//! Hand-written matchers of Sendmail's hot session lines: `AUTH=server`, the `ruleset=`
//! rejects and the session notices (`STARTTLS=server`, `lost input channel`, ...), each
//! bound to its exact regex of the table (how a matcher follows it: `super::Matcher`).

use super::scan::{digit, space, word, Cur, Span};
use super::sendmail::{comma_space, queue_id, relay_client, status};
use super::Matcher;

pub const MATCHERS: &[Matcher] = &[
    Matcher {
        pattern: "sendmail_auth_server",
        source: r"(?:(?P<queue_id>[0-9A-Za-z]{12,18}): )?AUTH=server, relay=(?:(?P<client_name>[^\s,\[]+) )?\[(?:IPv6:)?(?P<client_ip>[^\]\s]+)\](?: \(may be forged\))?, authid=(?P<sasl_username>[^,]*), mech=(?P<sasl_method>[^,\s]+)(?:, bits=\d+)?$",
        names: &[
            "queue_id",
            "client_name",
            "client_ip",
            "sasl_username",
            "sasl_method",
        ],
        run: auth_server,
    },
    Matcher {
        pattern: "sendmail_ruleset_reject",
        source: r"(?:(?P<queue_id>[0-9A-Za-z]{12,18}): )?ruleset=(?P<ruleset>\w+), arg1=(?P<arg1>.*?), (?:arg2=(?P<arg2>[^,]*), )?relay=(?:(?P<client_name>[^\s,\[]+) )?\[(?:IPv6:)?(?P<client_ip>[^\]\s]+)\](?: \(may be forged\))?, reject=(?P<code>\d{3}) (?:(?P<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?P<reason>.*)$",
        names: &[
            "queue_id",
            "ruleset",
            "arg1",
            "arg2",
            "client_name",
            "client_ip",
            "code",
            "dsn",
            "reason",
        ],
        run: ruleset,
    },
    Matcher {
        pattern: "sendmail_session_notice",
        source: r"(?:(?:(?P<queue_id>[0-9A-Za-z]{12,18})|NOQUEUE): )?(?:(?:lost input channel|timeout waiting for input|connect) from |STARTTLS=server, relay=)?(?:(?P<client_name>[^\s,\[]+) )?\[(?:IPv6:)?(?P<client_ip>[^\]\s]+)\](?: \(may be forged\))?(?::? (?:did not issue MAIL/EXPN/VRFY/ETRN during connection to \S+|possible SMTP attack: command=(?!AUTH,).*|(?:EXPN|VRFY|expn|vrfy) .* \[rejected\]|to \S+ after \w+|during .*)|, .*)?$",
        names: &[],
        run: session_notice,
    },
];

/// An optional `QUEUE_ID: ` before `then`: the id's span (None where there is none),
/// the cursor after both; false where `then` does not follow.
fn maybe_id(c: &mut Cur, then: &[u8]) -> Option<Span> {
    if c.lit(then) {
        return Some(None);
    }
    // an id is letters and digits up to `: `, which `then` cannot start with
    queue_id(c, then).map(Some)
}

fn auth_server(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    let Some(id) = maybe_id(&mut c, b"AUTH=server, relay=") else {
        return false;
    };
    spans[0] = id;
    let Some([name, ip]) = relay_client(&mut c) else {
        return false;
    };
    spans[1] = name;
    spans[2] = ip;
    if !c.lit(b", authid=") {
        return false;
    }
    let user = c.run(|b| b != b',');
    spans[3] = Some(user);
    if !c.lit(b", mech=") {
        return false;
    }
    let Some(mech) = c.run1(|b| !(space(b) || b == b',')) else {
        return false;
    };
    spans[4] = Some(mech);
    c.end() || (c.lit(b", bits=") && c.run1(digit).is_some() && c.end())
}

fn ruleset(m: &[u8], spans: &mut [Span]) -> bool {
    ruleset_parts(m, spans).is_some()
}

fn ruleset_parts(m: &[u8], spans: &mut [Span]) -> Option<()> {
    let mut c = Cur::new(m);
    spans[0] = maybe_id(&mut c, b"ruleset=")?;
    spans[1] = Some(c.run1(word)?);
    if !c.lit(b", arg1=") {
        return None;
    }
    // `.*?, `: up to the first `, ` (where what follows fails there, decline)
    let comma = comma_space(c.rest())?;
    spans[2] = Some((c.i, c.i + comma));
    c.i += comma + 2;
    spans[3] = None;
    if c.lit(b"arg2=") {
        spans[3] = Some(c.run(|b| b != b','));
        if !c.lit(b", ") {
            return None;
        }
    }
    if !c.lit(b"relay=") {
        return None;
    }
    let [name, ip] = relay_client(&mut c)?;
    spans[4] = name;
    spans[5] = ip;
    if !c.lit(b", reject=") {
        return None;
    }
    let code = c.run(digit);
    if code.1 - code.0 != 3 || !c.byte(b' ') {
        return None;
    }
    spans[6] = Some(code);
    // `(?:(?P<dsn>...) )?`: taken where it reads whole, else the reason starts here
    let at = c.i;
    spans[7] = status(&mut c).filter(|_| c.byte(b' '));
    if spans[7].is_none() {
        c.i = at;
    }
    spans[8] = Some((c.i, m.len()));
    Some(())
}

/// An `other` event: true only where the regex matches (one way it does is found).
fn session_notice(m: &[u8], _spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    if !c.lit(b"NOQUEUE: ") {
        let at = c.i;
        let id = c.run(|b| b.is_ascii_alphanumeric());
        if !((12..=18).contains(&(id.1 - id.0)) && c.lit(b": ")) {
            c.i = at;
        }
    }
    for lead in [
        &b"lost input channel from "[..],
        b"timeout waiting for input from ",
        b"connect from ",
        b"STARTTLS=server, relay=",
    ] {
        if c.lit(lead) {
            break;
        }
    }
    if relay_client(&mut c).is_none() {
        return false;
    }
    if c.end() || c.rest().starts_with(b", ") {
        return true;
    }
    // `:? (?:did not issue MAIL/EXPN/VRFY/ETRN during connection to \S+|possible SMTP
    // attack: command=(?!AUTH,).*|during .*|to \S+ after \w+)$`
    c.byte(b':');
    if c.lit(b" did not issue MAIL/EXPN/VRFY/ETRN during connection to ") {
        return c.run1(|b| !space(b)).is_some() && c.end();
    }
    if c.lit(b" possible SMTP attack: command=") {
        return !c.rest().starts_with(b"AUTH,");
    }
    if c.lit(b" during ") {
        return true;
    }
    c.lit(b" to ")
        && c.run1(|b| !space(b)).is_some()
        && c.lit(b" after ")
        && c.run1(word).is_some()
        && c.end()
}
