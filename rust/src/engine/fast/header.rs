//! The syslog header read by hand: `[<PRI>]Mon dd hh:mm:ss host prog[pid]: ` and
//! `[<PRI>]YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm|+hhmm] host prog[pid]: `, the shapes of
//! `header.HEADER` that real logs have. Each step takes the only choice that regex can
//! take there; a line where it could take another (or that is not one of these shapes)
//! is not read here: the regex reads it. So where this reader answers, the answer is
//! the regex's (the tests check it line by line in `verify` mode).

use super::scan::{digit, space, Cur, Span};

/// The source `core_table.header_regex()` hands over: the reader applies only to it.
pub const SOURCE: &str = r"(?:<\d{1,3}>)?(?:([A-Z][a-z]{2}  ?\d{1,2} \d\d:\d\d:\d\d)|(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)) (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ?";

/// The header's groups (bsd time, iso time, host, program, pid) and where the message
/// starts: what the regex's captures would say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub groups: [Span; 5],
    pub end: usize,
}

fn digits(c: &mut Cur, n: usize) -> bool {
    let ok = c.rest().len() >= n && c.rest()[..n].iter().all(|b| digit(*b));
    if ok {
        c.i += n;
    }
    ok
}

/// `[A-Z][a-z]{2}  ?\d{1,2} \d\d:\d\d:\d\d`
fn bsd(c: &mut Cur) -> Span {
    let start = c.i;
    let r = c.rest();
    if r.len() < 14 || !r[0].is_ascii_uppercase() || !r[1].is_ascii_lowercase() {
        return None;
    }
    if !r[2].is_ascii_lowercase() || r[3] != b' ' {
        return None;
    }
    c.i += 4;
    c.byte(b' ');
    // `\d{1,2}` then a space: one digit or two, whichever a space follows
    let day = c.run(digit);
    if !(1..=2).contains(&(day.1 - day.0)) || !c.byte(b' ') {
        return None;
    }
    let time = digits(c, 2) && c.byte(b':') && digits(c, 2) && c.byte(b':') && digits(c, 2);
    time.then_some((start, c.i))
}

/// `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?` with a `T` (a
/// space there may be Exim's own line: left to the regex and Python)
fn iso(c: &mut Cur) -> Span {
    let start = c.i;
    let date = digits(c, 4) && c.byte(b'-') && digits(c, 2) && c.byte(b'-') && digits(c, 2);
    let time = date
        && c.byte(b'T')
        && digits(c, 2)
        && c.byte(b':')
        && digits(c, 2)
        && c.byte(b':')
        && digits(c, 2);
    if !time {
        return None;
    }
    if matches!(c.peek(), Some(b'.' | b',')) {
        c.i += 1;
        let frac = c.run(digit);
        if !(1..=9).contains(&(frac.1 - frac.0)) {
            return None;
        }
    }
    match c.peek() {
        Some(b'Z') => c.i += 1,
        Some(b'+' | b'-') => {
            c.i += 1;
            if !digits(c, 2) {
                return None;
            }
            c.byte(b':');
            if !digits(c, 2) {
                return None;
            }
        }
        _ => {}
    }
    Some((start, c.i))
}

/// The header of `line`, or None where the regex must decide.
pub fn read(line: &[u8]) -> Option<Header> {
    let mut c = Cur::new(line);
    if c.byte(b'<') {
        // `<\d{1,3}>`: else the optional group is skipped and no time starts with `<`
        let pri = c.run(digit);
        if !(1..=3).contains(&(pri.1 - pri.0)) || !c.byte(b'>') {
            return None;
        }
    }
    let (bsd, iso) = match c.peek() {
        Some(b'A'..=b'Z') => (Some(bsd(&mut c)?), None),
        Some(b'0'..=b'9') => (None, Some(iso(&mut c)?)),
        _ => return None,
    };
    // the time must end where a space follows (no shorter choice meets one)
    if !c.byte(b' ') {
        return None;
    }
    let host = c.run1(|b| !space(b))?;
    if !c.byte(b' ') {
        return None;
    }
    let program = c.run1(|b| !(space(b) || b == b'[' || b == b':'))?;
    let mut pid = None;
    if c.byte(b'[') {
        pid = c.run1(digit);
        if pid.is_none() || !c.byte(b']') {
            return None; // the regex matches no `[` there either way: Python reads it
        }
    }
    if !c.byte(b':') {
        return None;
    }
    c.byte(b' ');
    Some(Header {
        groups: [bsd, iso, Some(host), Some(program), pid],
        end: c.i,
    })
}
