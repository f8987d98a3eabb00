//! Exim's own log line read by hand: `YYYY-MM-DD hh:mm:ss[.mmm][ +hhmm] [[pid[:n]] ]`
//! (`header.EXIM_NATIVE` without its message group) and whether the message starts as
//! most of Exim's do (`_EXIM_LEAD`: a message id and a space, or `[`). Both regexes are
//! simple enough to read exactly: the reader answers every line (no regex is run in
//! `Mode::On`) and `Mode::Verify` checks it against both regexes on every line.

use regex::bytes::{CaptureLocations, Regex};

use super::scan::{digit, Cur, Span};
use super::selectors::queue_id;
use super::{source_of, Fast, Mode};

/// The sources `core_table.exim_regexes()` hands over: the reader applies only to them.
pub const NATIVE: &str =
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{3}))?(?: ([+-]\d{4}))? (?:\[(\d+)(?::\d+)?\] )?";
pub const LEAD: &str = r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} |\[";

/// What the native regex captures (time, millis, zone, pid), where the message starts,
/// and whether the lead regex matches the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Native {
    pub groups: [Span; 4],
    pub end: usize,
    pub lead: bool,
}

/// Whether the reader is bound (its sources are the table's), checked on first use.
#[derive(Default)]
pub struct Binding(Option<bool>);

/// `n` digits here, consumed.
fn digits(c: &mut Cur, n: usize) -> bool {
    let ok = c.rest().len() >= n && c.rest()[..n].iter().all(|b| digit(*b));
    if ok {
        c.i += n;
    }
    ok
}

/// `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`
fn time(c: &mut Cur) -> bool {
    let shape: [(usize, u8); 6] = [
        (4, b'-'),
        (2, b'-'),
        (2, b' '),
        (2, b':'),
        (2, b':'),
        (2, 0),
    ];
    shape
        .iter()
        .all(|&(n, then)| digits(c, n) && (then == 0 || c.byte(then)))
}

/// The native regex on `line`: its captures and end, None where it does not match.
/// Each optional part is taken where it reads whole and the space after it follows;
/// skipping it then could not match either (its first byte is not that space), except
/// for the zone, which is skipped where ` +hhmm` is not followed by a space.
pub fn read(line: &[u8]) -> Option<([Span; 4], usize)> {
    let mut c = Cur::new(line);
    if !time(&mut c) {
        return None;
    }
    let stamp = Some((0, c.i));
    // `(?:\.(\d{3}))?`: taken, the next part needs a space (a `.` can start nothing else)
    let mut millis = None;
    let at = c.i;
    if c.byte(b'.') && digits(&mut c, 3) {
        millis = Some((at + 1, c.i));
    } else {
        c.i = at;
    }
    // `(?: ([+-]\d{4}))? `: taken where the space after it follows, else skipped
    let mut zone = None;
    let at = c.i;
    if c.byte(b' ') && (c.byte(b'+') || c.byte(b'-')) && digits(&mut c, 4) && c.peek() == Some(b' ')
    {
        zone = Some((at + 1, c.i));
    } else {
        c.i = at;
    }
    if !c.byte(b' ') {
        return None;
    }
    // `(?:\[(\d+)(?::\d+)?\] )?`: the digit runs are whole (a `:` or `]` must follow)
    let at = c.i;
    let mut pid = None;
    if c.byte(b'[') {
        let run = c.run1(digit);
        let port = |c: &mut Cur| !c.byte(b':') || c.run1(digit).is_some();
        if run.is_some() && port(&mut c) && c.lit(b"] ") {
            pid = run;
        } else {
            c.i = at;
        }
    }
    Some(([stamp, millis, zone, pid], c.i))
}

/// The lead regex on `message`.
pub fn lead(message: &[u8]) -> bool {
    message.first() == Some(&b'[') || queue_id(&mut Cur::new(message)).is_some()
}

/// The native and lead regexes' answer from the regexes themselves.
fn by_regex(
    line: &[u8],
    native: &Regex,
    lead: &Regex,
    locs: &mut CaptureLocations,
) -> Option<Native> {
    let end = native.captures_read(locs, line)?.end();
    Some(Native {
        groups: [locs.get(1), locs.get(2), locs.get(3), locs.get(4)],
        end,
        lead: lead.is_match(&line[end..]),
    })
}

impl Fast {
    /// Exim's own line: its native header and lead, read by hand where the reader is
    /// bound (in `Verify` mode checked against the regexes, whose answer is returned).
    pub fn exim_native(
        &mut self,
        line: &str,
        native: &Regex,
        lead_regex: &Regex,
        locs: &mut CaptureLocations,
    ) -> Option<Native> {
        let bytes = line.as_bytes();
        let bound = *self
            .exim_native
            .0
            .get_or_insert_with(|| source_of(native) == NATIVE && source_of(lead_regex) == LEAD);
        if self.mode == Mode::Off || !bound {
            return by_regex(bytes, native, lead_regex, locs);
        }
        let found = read(bytes).map(|(groups, end)| Native {
            groups,
            end,
            lead: lead(&bytes[end..]),
        });
        *self.counts.entry("exim_native").or_insert(0) += 1;
        if self.mode == Mode::Verify {
            let want = by_regex(bytes, native, lead_regex, locs);
            if want != found {
                self.mismatch("exim_native", line);
            }
            return want;
        }
        found
    }
}
