//! Hand-written matchers of Sendmail's hottest patterns, the `to=` deliveries and `from=`
//! arrivals, each bound to its exact regex of the table. The lazy captures (`to=`'s
//! list, `ctladdr=`) end at the first place the text after them can start; the matcher
//! reads on from there and declines wherever that first reading fails (the regex would
//! then try a longer capture).

use super::scan::{digit, space, word, Cur, Span};
use super::Matcher;

pub const MATCHERS: &[Matcher] = &[
    Matcher {
        pattern: "sendmail_delivery",
        source: r"(?P<queue_id>[0-9A-Za-z]{12,18}): to=(?P<recipient_list>.*?), (?:orig_to=[^,]*, )?(?:ctladdr=(?P<ctladdr>.*?) \((?P<uid>\d+)/\d+\), )?delay=(?P<delay_text>[\d+:]+), (?:xdelay=[\d+:]+, )?mailer=(?P<mailer>[^,]+), (?:\w+=[^,]*, )*?pri=\d+, (?:relay=(?P<relay>[^,]+), )?(?:\w+=[^,]*, )*?(?:dsn=(?P<dsn>\d\.\d{1,3}\.\d{1,3}), )?stat=(?P<stat>.*)$",
        names: &[
            "queue_id",
            "recipient_list",
            "ctladdr",
            "uid",
            "delay_text",
            "mailer",
            "relay",
            "dsn",
            "stat",
        ],
        run: delivery,
    },
    Matcher {
        pattern: "sendmail_from",
        source: r"(?P<queue_id>[0-9A-Za-z]{12,18}): from=(?P<sender><[^>]*>|[^,]*), size=(?P<size>\d+), class=-?\d+, (?:pri=\d+, )?nrcpts=(?P<nrcpt>\d+)(?:, +msgid=(?P<message_id><[^>]*>|[^,]*))?(?:, +bodytype=[^,]*)?(?:, +proto=(?P<proto>[^,]+))?(?:, +daemon=(?P<daemon>[^,]+))?(?:, +\w+=[^,]*)*?(?:, +relay=(?:(?P<local_user>[^\s@,\[]+)@(?P<local_host>[^\s,\[]+)|(?:(?P<client_name>[^\s,\[]+) )?\[(?:IPv6:)?(?P<client_ip>[^\]\s]+)\](?: \(may be forged\))?))?(?:, .*)?$",
        names: &[
            "queue_id",
            "sender",
            "size",
            "nrcpt",
            "message_id",
            "proto",
            "daemon",
            "local_user",
            "local_host",
            "client_name",
            "client_ip",
        ],
        run: arrival,
    },
];

/// The first `, ` in `t` (a `memmem` search builds its searcher on every call).
pub fn comma_space(t: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b',', t).find(|&i| t.get(i + 1) == Some(&b' '))
}

/// `[0-9A-Za-z]{12,18}` then `: ` and `then`: the id's span.
pub fn queue_id(c: &mut Cur, then: &[u8]) -> Span {
    let id = c.run(|b| b.is_ascii_alphanumeric());
    ((12..=18).contains(&(id.1 - id.0)) && c.lit(b": ") && c.lit(then)).then_some(id)
}

fn not_comma(b: u8) -> bool {
    b != b','
}

/// `[^,]+, ` (or `[^,]*, ` where `empty`): the run's span, None where no `, ` ends it.
fn value(c: &mut Cur, empty: bool) -> Span {
    let (a, b) = c.run(not_comma);
    ((empty || a < b) && c.lit(b", ")).then_some((a, b))
}

/// `\w+=[^,]*, `: one field of a lazy loop.
fn any_field(c: &mut Cur) -> Option<()> {
    c.run1(word)?;
    (c.byte(b'=') && value(c, true).is_some()).then_some(())
}

fn delivery(m: &[u8], spans: &mut [Span]) -> bool {
    delivery_parts(m, spans).is_some()
}

fn delivery_parts(m: &[u8], spans: &mut [Span]) -> Option<()> {
    let mut c = Cur::new(m);
    spans[0] = Some(queue_id(&mut c, b"to=")?);
    // `.*?, `: the shortest list is up to the first `, `
    let start = c.i;
    let comma = comma_space(c.rest())?;
    spans[1] = Some((start, start + comma));
    c.i = start + comma + 2;
    if c.lit(b"orig_to=") {
        value(&mut c, true)?;
    }
    spans[2] = None;
    spans[3] = None;
    if c.lit(b"ctladdr=") {
        // `.*? \((?P<uid>\d+)/\d+\), `: the first place that shape starts
        let at = c.i;
        let tail = (at..m.len()).find_map(|q| {
            let mut t = Cur { s: m, i: q };
            if !t.lit(b" (") {
                return None;
            }
            let uid = t.run1(digit)?;
            (t.byte(b'/') && t.run1(digit).is_some() && t.lit(b"), ")).then_some((q, uid, t.i))
        })?;
        spans[2] = Some((at, tail.0));
        spans[3] = Some(tail.1);
        c.i = tail.2;
    }
    if !c.lit(b"delay=") {
        return None;
    }
    spans[4] = Some(c.run1(|b| digit(b) || b == b'+' || b == b':')?);
    if !c.lit(b", ") {
        return None;
    }
    if c.lit(b"xdelay=") {
        c.run1(|b| digit(b) || b == b'+' || b == b':')?;
        if !c.lit(b", ") {
            return None;
        }
    }
    if !c.lit(b"mailer=") {
        return None;
    }
    spans[5] = Some(value(&mut c, false)?);
    // `(?:\w+=[^,]*, )*?pri=\d+, `: `pri=` wherever it reads whole, else one more field
    loop {
        let at = c.i;
        if c.lit(b"pri=") && c.run1(digit).is_some() && c.lit(b", ") {
            break;
        }
        c.i = at;
        any_field(&mut c)?;
    }
    spans[6] = None;
    if c.lit(b"relay=") {
        spans[6] = Some(value(&mut c, false)?);
    }
    // `(?:\w+=[^,]*, )*?(?:dsn=(...), )?stat=(?P<stat>.*)$`: at each field, the dsn and
    // `stat=` first, else the field is skipped
    spans[7] = None;
    loop {
        let at = c.i;
        if let Some(dsn) = dsn(&mut c) {
            if c.lit(b"stat=") {
                spans[7] = Some(dsn);
                break;
            }
        }
        c.i = at;
        if c.lit(b"stat=") {
            break;
        }
        any_field(&mut c)?;
    }
    spans[8] = Some((c.i, m.len()));
    Some(())
}

/// `dsn=(?P<dsn>\d\.\d{1,3}\.\d{1,3}), `
fn dsn(c: &mut Cur) -> Span {
    if !c.lit(b"dsn=") {
        return None;
    }
    let span = status(c)?;
    c.lit(b", ").then_some(span)
}

/// `\d\.\d{1,3}\.\d{1,3}` where no digit follows (a longer run cannot end it).
pub fn status(c: &mut Cur) -> Span {
    let start = c.i;
    let short = |c: &mut Cur, max: usize| {
        let (a, b) = c.run(digit);
        (1..=max).contains(&(b - a))
    };
    let ok = short(c, 1) && c.byte(b'.') && short(c, 3) && c.byte(b'.') && short(c, 3);
    ok.then_some((start, c.i))
}

fn arrival(m: &[u8], spans: &mut [Span]) -> bool {
    arrival_parts(m, spans).is_some()
}

/// `, +NAME` (`name` with its `=`): consumed or not.
fn lead(c: &mut Cur, name: &[u8]) -> bool {
    let at = c.i;
    if c.byte(b',') && c.run1(|b| b == b' ').is_some() && c.lit(name) {
        return true;
    }
    c.i = at;
    false
}

/// `<[^>]*>|[^,]*` where `follows` must come next: the bracketed form where it ends
/// there, else the run up to a comma.
fn bracketed_or_run(c: &mut Cur, follows: fn(&Cur) -> bool) -> (usize, usize) {
    let start = c.i;
    if c.byte(b'<') {
        c.run(|b| b != b'>');
        if c.byte(b'>') && follows(c) {
            return (start, c.i);
        }
        c.i = start;
    }
    c.run(not_comma)
}

fn arrival_parts(m: &[u8], spans: &mut [Span]) -> Option<()> {
    let mut c = Cur::new(m);
    spans[0] = Some(queue_id(&mut c, b"from=")?);
    spans[1] = Some(bracketed_or_run(&mut c, |c| {
        c.rest().starts_with(b", size=")
    }));
    if !c.lit(b", size=") {
        return None;
    }
    spans[2] = Some(c.run1(digit)?);
    if !c.lit(b", class=") {
        return None;
    }
    c.byte(b'-');
    c.run1(digit)?;
    if !c.lit(b", ") {
        return None;
    }
    if c.lit(b"pri=") {
        c.run1(digit)?;
        if !c.lit(b", ") {
            return None;
        }
    }
    if !c.lit(b"nrcpts=") {
        return None;
    }
    spans[3] = Some(c.run1(digit)?);
    // every part after this begins with a comma or is the end
    let next = |c: &Cur| c.peek().is_none_or(|b| b == b',');
    spans[4] = None;
    if lead(&mut c, b"msgid=") {
        spans[4] = Some(bracketed_or_run(&mut c, next));
    }
    if lead(&mut c, b"bodytype=") {
        c.run(not_comma);
    }
    spans[5] = None;
    if lead(&mut c, b"proto=") {
        spans[5] = Some(c.run1(not_comma)?);
    }
    spans[6] = None;
    if lead(&mut c, b"daemon=") {
        spans[6] = Some(c.run1(not_comma)?);
    }
    spans[7..11].fill(None);
    if lead(&mut c, b"relay=") {
        relay(&mut c, &mut spans[7..11])?;
    }
    // `(?:, .*)?$` (the lazy loop before the relay never needs a turn: `, .*` takes all)
    (c.end() || c.rest().starts_with(b", ")).then_some(())
}

/// The relay after `relay=`: `user@host`, or `name [ip]` with an optional `IPv6:` and
/// `(may be forged)`; the first form only where the end or `, ` follows it.
fn relay(c: &mut Cur, spans: &mut [Span]) -> Option<()> {
    let ends = |c: &Cur| c.end() || c.rest().starts_with(b", ");
    let start = c.i;
    if let Some(user) = c.run1(|b| !(space(b) || matches!(b, b'@' | b',' | b'['))) {
        if c.byte(b'@') {
            if let Some(host) = c.run1(|b| !(space(b) || b == b',' || b == b'[')) {
                if ends(c) {
                    spans[0] = Some(user);
                    spans[1] = Some(host);
                    return Some(());
                }
            }
        }
    }
    c.i = start;
    let [name, ip] = relay_client(c)?;
    spans[2] = name;
    spans[3] = ip;
    ends(c).then_some(())
}

/// `(?:(?P<client_name>[^\s,\[]+) )?\[(?:IPv6:)?(?P<client_ip>[^\]\s]+)\](?: \(may be
/// forged\))?` -> (name, ip): each optional part taken where it starts; None where that
/// path fails (a name not followed by a space, nothing after `IPv6:`).
pub fn relay_client(c: &mut Cur) -> Option<[Span; 2]> {
    let name = c.run1(|b| !(space(b) || b == b',' || b == b'['));
    if name.is_some() && !c.byte(b' ') {
        return None;
    }
    if !c.byte(b'[') {
        return None;
    }
    c.lit(b"IPv6:");
    let ip = c.run1(|b| !(space(b) || b == b']'))?;
    if !c.byte(b']') {
        return None;
    }
    c.lit(b" (may be forged)");
    Some([name, Some(ip)])
}
