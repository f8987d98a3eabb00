//! Exim's log selectors as its patterns read them: the queue id, the possessive loops of
//! `name="quoted text"` or bare tokens between the fields a pattern captures, quoted
//! values, and `H=` hosts. The loops are possessive (`*+`, atomic): once a loop stops it
//! never gives a token back, so reading tokens until one cannot be read is exactly what
//! the regex does.

use super::scan::{digit, space, word, Cur, Span};

/// `[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}` followed by a space (as in every
/// pattern here): three runs of letters and digits, so each run is the whole one.
pub fn queue_id(c: &mut Cur) -> Span {
    let start = c.i;
    // each run then the byte after it (skipped but the last)
    let part = |c: &mut Cur, min: usize, max: usize, then: u8| {
        let (a, b) = c.run(|x| x.is_ascii_alphanumeric());
        let ok = (min..=max).contains(&(b - a)) && c.peek() == Some(then);
        if ok && then == b'-' {
            c.i += 1;
        }
        ok
    };
    let ok = part(c, 6, 6, b'-') && part(c, 6, 11, b'-') && part(c, 2, 4, b' ');
    if ok {
        Some((start, c.i))
    } else {
        c.i = start;
        None
    }
}

/// `[^"\\]*+(?:\\.[^"\\]*+)*+"` at the start of `t`: the quoted text's length (the
/// closing quote not included), or None where no closing quote ends it.
pub fn quoted(t: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        match t.get(i)? {
            b'"' => return Some(i),
            // `\\.`: `.` takes anything but a newline
            b'\\' => match t.get(i + 1)? {
                b'\n' => return None,
                _ => i += 2,
            },
            _ => i += 1,
        }
    }
}

/// `\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++` at the start of `t`: the token's length.
fn token(t: &[u8]) -> Option<usize> {
    let w = t.iter().take_while(|b| word(**b)).count();
    if w > 0 && t[w..].starts_with(b"=\"") {
        if let Some(n) = quoted(&t[w + 2..]) {
            return Some(w + 2 + n + 1);
        }
    }
    // the word is no space: the bare token's run goes on from its end (one pass)
    let n = w + t[w..].iter().take_while(|b| !space(**b)).count();
    (n > 0).then_some(n)
}

/// `(?: (?!STOP|...)TOKEN)*+` with `stops` the lookahead's alternatives: the cursor is
/// left where the loop ends.
pub fn skip(c: &mut Cur, stops: &[&[u8]]) {
    loop {
        let rest = c.rest();
        if rest.first() != Some(&b' ') {
            return;
        }
        let t = &rest[1..];
        if stops.iter().any(|s| t.starts_with(s)) {
            return;
        }
        match token(t) {
            Some(n) => c.i += 1 + n,
            None => return,
        }
    }
}

/// An optional field `(?: NAME=(?P<x>\S+))?` (`lead` is ` NAME=`): Some(span) where
/// taken, Some(None) where absent, None where `lead` is there but the field cannot be
/// read (the regex may then skip the group: not decided here).
pub fn field(c: &mut Cur, lead: &[u8]) -> Option<Span> {
    if !c.lit(lead) {
        return Some(None);
    }
    c.run1(|b| !space(b)).map(Some)
}

/// `(?: NAME="(?P<x>...)")?` (`lead` is ` NAME="`), as `field`.
pub fn quoted_field(c: &mut Cur, lead: &[u8]) -> Option<Span> {
    if !c.lit(lead) {
        return Some(None);
    }
    let n = quoted(c.rest())?;
    let span = (c.i, c.i + n);
    c.i += n + 1;
    Some(Some(span))
}

/// The bracketed address and port of an `H=` host: `\[(?P<ip>[^\]\s]+)\]` then
/// `(?::(?P<port>PORT+))?` (the whole run: no part after it starts with a port
/// character). None where unsure.
pub fn address(c: &mut Cur, port: fn(u8) -> bool) -> Option<[Span; 2]> {
    if !c.byte(b'[') {
        return None;
    }
    let ip = c.run1(|b| !(space(b) || b == b']'))?;
    if !c.byte(b']') {
        return None;
    }
    Some([Some(ip), c.port(port)])
}

/// An arrival's host, after ` H=`: `(?:(?P<client_name>[^\s\[\]()]+) )?(?:\((?P<helo>
/// [^)]*)\) )?\[(?P<client_ip>[^\]\s]+)\](?::(?P<client_port>\d+))?` -> (name, helo, ip,
/// port); None where unsure (a name not followed by a space, a helo not by `) `).
pub fn client(c: &mut Cur) -> Option<[Span; 4]> {
    let name = c.run1(|b| !(space(b) || matches!(b, b'[' | b']' | b'(' | b')')));
    if name.is_some() && !c.byte(b' ') {
        return None;
    }
    let mut helo = None;
    if c.byte(b'(') {
        helo = Some(c.run(|b| b != b')'));
        if !c.lit(b") ") {
            return None;
        }
    }
    let [ip, port] = address(c, digit)?;
    Some([name, helo, ip, port])
}

/// A delivery's `H=` host, after ` H=`: `(?:(?P<name>[^\s\[\]]+) )?\[(?P<ip>...)\]
/// (?::(?P<port>\w+))?\*?` -> (name, ip, port); None where unsure (a name not followed
/// by a space).
pub fn relay(c: &mut Cur) -> Option<[Span; 3]> {
    let name = c.run1(|b| !(space(b) || b == b'[' || b == b']'));
    if name.is_some() && !c.byte(b' ') {
        return None;
    }
    let [ip, port] = address(c, word)?;
    c.byte(b'*');
    Some([name, ip, port])
}

/// A delivery line's head: `ID (?P<flag>FLAG) (?P<address>...)(?: <(?P<parent>[^>]*)>)?`
/// (`flags`: the flag's alternatives, `recipient`: the address) into `spans[..4]`.
pub fn delivery_head(
    c: &mut Cur,
    flags: &[&[u8]],
    recipient: fn(&mut Cur) -> Span,
    spans: &mut [Span],
) -> Option<()> {
    spans[0] = Some(queue_id(c)?);
    c.byte(b' ');
    let at = c.i;
    if !c.one_of(flags) {
        return None;
    }
    spans[1] = Some((at, c.i));
    if !c.byte(b' ') {
        return None;
    }
    spans[2] = Some(recipient(c)?);
    spans[3] = None;
    if c.lit(b" <") {
        spans[3] = Some(c.run(|b| b != b'>'));
        if !c.byte(b'>') {
            return None;
        }
    }
    Some(())
}
