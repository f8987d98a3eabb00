//! Hand-written matcher of Exim's `rejected` lines (`exim_rejected`: `H=(helo) [ip]:port
//! I=[ip]:port F=<a@b> rejected RCPT <c@d>: relay not permitted`), bound to its regex of
//! the table: the form with its negative lookahead ported as a guard (the empty group
//! `__lookahead`, `core_table.guarded`), which the matcher checks itself: where the guard's
//! body (`SMTP protocol|too many `) stands at the mark it declines, as the regex route
//! hands such a line to Python. What the matcher leans on: a `\S+ ` of the lazy token
//! loop is one whole token, so the loop's first path stops at the first token boundary
//! where `temporarily rejected ` or `rejected ` stands; the stage is a run of capitals
//! and the target the text up to the first `>`. It follows the one path the regex tries
//! first (the stage form; the `EHLO`/`HELO`, `after`, `by local_scan()` and `connection`
//! forms are left to the regex) and declines wherever that path fails.

use super::scan::{space, Cur, Span};
use super::selectors::{client, queue_id};
use super::Matcher;

pub const MATCHERS: &[Matcher] = &[Matcher {
    pattern: "exim_rejected",
    source: r#"(?:(?P<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(?P<__lookahead>)(?:\S+ )*?(?P<temporarily>temporarily )?rejected (?:(?P<hello>EHLO or HELO|EHLO|HELO)(?: from (?P<hello_from>(?:[^\s()\[\]]+ )?(?:\([^)]*\) )?\[[^\]]*\](?::\d+)?|[^:\s]+)|(?: \S+)?)|(?P<stage>[A-Z][A-Z-]{2,})(?: from (?P<client_from>(?:[^\s()\[\]]+ )?(?:\([^)]*\) )?\[[^\]]*\](?::\d+)?|[^:\s]+)| (?:FROM:|TO:)?(?:<(?P<target>[^>]*)>|(?P<bare>[^\s:]+)))?|(?P<after>(?:after|during) (?:DATA|DKIM|MIME|PRDR|[A-Z]+)\S*(?: ACL checks)?)|(?P<data_acl>by local_scan\(\)|by non-SMTP ACL|by the local_scan\(\) function|from <[^>]*>)|(?P<connection>connection(?: in \"\w+\" ACL)?))(?: H=(?:(?:[^\s\[\]()]+) )?(?:\((?:[^)]*)\) )?\[(?:[^\]\s]+)\](?::(?:\d+))?| [^\s=]+=\S*)*(?:: (?P<reason>.*))?$"#,
    names: &[
        "queue_id",
        "__lookahead",
        "temporarily",
        "hello",
        "hello_from",
        "stage",
        "client_from",
        "target",
        "bare",
        "after",
        "data_acl",
        "connection",
        "reason",
    ],
    run: rejected,
}];

/// The guard's body: where it stands at the mark, Python's lookahead fails.
const GUARD: &[&[u8]] = &[b"SMTP protocol", b"too many "];

fn rejected(m: &[u8], spans: &mut [Span]) -> bool {
    spans.fill(None);
    rejected_parts(m, spans).is_some()
}

fn rejected_parts(m: &[u8], spans: &mut [Span]) -> Option<()> {
    let mut c = Cur::new(m);
    // `(?:ID )?`: taken where it is there (greedy), then the mark
    if let Some(id) = queue_id(&mut c) {
        spans[0] = Some(id);
        c.i += 1; // its space (`queue_id` checked it)
    }
    spans[1] = Some((c.i, c.i));
    if GUARD.iter().any(|g| c.rest().starts_with(g)) {
        return None;
    }
    // `(?:\S+ )*?(?P<temporarily>temporarily )?rejected `: the first token boundary
    // where it stands (a `\S+ ` is one whole token; none more past a double space or
    // the end: then the regex decides)
    loop {
        let at = c.i;
        if c.lit(b"temporarily rejected ") {
            spans[2] = Some((at, at + 12));
            break;
        }
        if c.lit(b"rejected ") {
            break;
        }
        c.run1(|b| !space(b))?;
        if !c.byte(b' ') {
            return None;
        }
    }
    // the `EHLO`/`HELO` form comes first: left to the regex
    if c.rest().starts_with(b"EHLO") || c.rest().starts_with(b"HELO") {
        return None;
    }
    // `(?P<stage>[A-Z][A-Z-]{2,})`: the whole run
    let at = c.i;
    if !c.peek().is_some_and(|b| b.is_ascii_uppercase()) {
        return None;
    }
    c.run(|b| b.is_ascii_uppercase() || b == b'-');
    if c.i - at < 3 {
        return None;
    }
    spans[5] = Some((at, c.i));
    // `(?: from (?P<client_from>...)| (?:FROM:|TO:)?(?:<(?P<target>[^>]*)>|(?P<bare>
    // [^\s:]+)))?`: ` from ` is left to the regex; a `<` without its `>` too
    if c.rest().starts_with(b" from ") {
        return None;
    }
    if c.byte(b' ') {
        let _ = c.lit(b"FROM:") || c.lit(b"TO:");
        if c.byte(b'<') {
            let target = c.run(|b| b != b'>');
            if !c.byte(b'>') {
                return None;
            }
            spans[7] = Some(target);
        } else {
            spans[8] = Some(c.run1(|b| !(space(b) || b == b':'))?);
        }
    }
    // `(?: H=HOST| [^\s=]+=\S*)*`: as many as there are (a host not read surely is
    // left to the regex)
    loop {
        if c.rest().starts_with(b" H=") {
            c.i += 3;
            client(&mut c)?;
            continue;
        }
        let t = c.rest();
        let name = t
            .iter()
            .skip(1)
            .take_while(|b| !(space(**b) || **b == b'='))
            .count();
        if t.first() == Some(&b' ') && name > 0 && t.get(1 + name) == Some(&b'=') {
            c.i += 2 + name;
            c.run(|b| !space(b));
            continue;
        }
        break;
    }
    // `(?:: (?P<reason>.*))?$` (`.` takes no newline)
    if c.lit(b": ") {
        let rest = c.rest();
        if rest.contains(&b'\n') {
            return None;
        }
        spans[12] = Some((c.i, m.len()));
        return Some(());
    }
    c.end().then_some(())
}
