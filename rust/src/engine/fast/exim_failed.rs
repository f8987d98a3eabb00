//! Hand-written matcher of Exim's failed and deferred deliveries (`exim_delivery_failed`:
//! `** x@y R=dnslookup T=remote_smtp H=mx [ip]: SMTP error ...`, `== x@y R=r T=t defer
//! (-44) H=...: ...`), bound to its exact (fancy) regex of the table. What the matcher
//! leans on: every part after the address starts with a space or a `:` (or is the end),
//! so the lazy address is the whole run where the run holds no `:`; the lazy loops are
//! taken zero times first and `T=` after the first tokens that may precede it. It follows
//! the one path the regex tries first and declines wherever that path fails.

use super::scan::{space, Cur, Span};
use super::selectors::{delivery_head, relay, skip};
use super::Matcher;

pub const MATCHERS: &[Matcher] = &[Matcher {
    pattern: "exim_delivery_failed",
    source: r#"(?P<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) (?P<flag>\*\*|==) (?P<address>:blackhole:|>?[^\s<>]+?|<[^>]*>)(?: <(?P<parent>[^>]*)>)?(?:(?: (?!T=|H=|defer )(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*? T=(?P<transport>[^\s:]+))?(?: (?!H=|defer |\w+=\S*:)(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*?(?: (?:routing )?defer \((?P<errno>[^)\s]*)\))?(?: H=(?:(?P<relay_name>[^\s\[\]]+) )?\[(?P<relay_ip>[^\]\s]+)\](?::(?P<relay_port>\w+))?\*?)?(?: [^\s=]+=\S*?)*?(?: ?:(?: (?P<response>.*))?)?$"#,
    names: &[
        "queue_id",
        "flag",
        "address",
        "parent",
        "transport",
        "errno",
        "relay_name",
        "relay_ip",
        "relay_port",
        "response",
    ],
    run: delivery_failed,
}];

fn delivery_failed(m: &[u8], spans: &mut [Span]) -> bool {
    delivery_failed_parts(m, spans).is_some()
}

/// `>?[^\s<>]+?`: the run (after an optional `>`) where no `:` is in it and a space
/// or the end follows (the shorter ends leave a byte no later part starts with);
/// `:blackhole:`, `<...>` and the other shapes are left to the regex.
fn recipient(c: &mut Cur) -> Span {
    let start = c.i;
    c.byte(b'>');
    let run = c.run1(|b| !(space(b) || b == b'<' || b == b'>'))?;
    let plain = !c.s[run.0..run.1].contains(&b':') && c.peek().is_none_or(|b| b == b' ');
    plain.then_some((start, c.i))
}

fn delivery_failed_parts(m: &[u8], spans: &mut [Span]) -> Option<()> {
    let mut c = Cur::new(m);
    delivery_head(&mut c, &[b"**", b"=="], recipient, spans)?;
    // `(?:(?: (?!T=|H=|defer )TOKEN)*? T=(?P<transport>[^\s:]+))?`: `T=` after the
    // first tokens that may stand before it, else the group is skipped
    let before = c.i;
    skip(&mut c, &[b"T=", b"H=", b"defer "]);
    spans[4] = None;
    if c.lit(b" T=") {
        spans[4] = Some(c.run1(|b| !(space(b) || b == b':'))?);
    } else {
        c.i = before;
    }
    // the lazy token loop taken zero times: the defer, the host, the response
    spans[5] = None;
    if c.lit(b" defer (") || c.lit(b" routing defer (") {
        spans[5] = Some(c.run(|b| !(space(b) || b == b')')));
        if !c.byte(b')') {
            return None;
        }
    }
    spans[6..9].fill(None);
    if c.lit(b" H=") {
        spans[6..9].copy_from_slice(&relay(&mut c)?);
    }
    // `(?: ?:(?: (?P<response>.*))?)?$` (the selector loop before it taken zero times)
    spans[9] = None;
    if c.end() {
        return Some(());
    }
    if !(c.lit(b" :") || c.byte(b':')) {
        return None;
    }
    if c.byte(b' ') {
        spans[9] = Some((c.i, m.len()));
        return Some(());
    }
    c.end().then_some(())
}
