//! Header timestamps -> UTC epoch microseconds, as `analyzer.clock.Clock` reads them
//! (BSD with the reference-year rule, RFC 3339's common shapes). The zone's offset of an
//! hour is not computed here: the caller asks Python once per hour of log (see `Hours`),
//! so that DST and every zone rule stay exactly Python's.

use crate::years::YearState;

/// What a timestamp came to: micros, a bad timestamp (the line is `unparsed`), or a shape
/// only Python reads (the line goes to the Python parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    At(i64),
    Bad,
    Python,
}

/// The start of an hour of log: (year, month, day, hour, utc) -> micros, or None where
/// that hour does not exist (`Feb 30`, hour 24). Filled by the caller with the GIL.
pub trait Hours {
    fn start(&mut self, year: i32, month: u32, day: u32, hour: u32, utc: bool) -> Option<i64>;
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn month_of(name: &[u8]) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| m[..] == *name)
        .map(|i| i as u32 + 1)
}

/// ASCII digits -> number; callers pass the header's `\d` runs (ASCII-only lines).
fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// The year rule of BSD timestamps without `--year`: the reference's year, minus one for
/// dates after the reference's next day (`Clock._ref_limit`).
#[derive(Debug, Clone, Copy)]
pub struct YearRule {
    pub year: i32,
    pub limit: (u32, u32),
}

/// A BSD time's (month, day, hour, seconds in the hour), or what it came to instead: a bad
/// timestamp, or a shape only Python reads.
fn bsd_parts(text: &[u8]) -> Result<(u32, u32, u32, i64), Stamp> {
    let n = text.len();
    if n < 14 {
        return Err(Stamp::Python);
    }
    // Python: int(text[4:-9]) tolerates the padding space; so does trimming here
    let day_text = &text[4..n - 9];
    let day_digits: &[u8] = match day_text.iter().position(|b| *b != b' ') {
        Some(i) => &day_text[i..],
        None => return Err(Stamp::Bad),
    };
    let tail = &text[n - 8..];
    let (Some(day), Some(hour), Some(min), Some(sec)) = (
        number(day_digits),
        number(&tail[0..2]),
        number(&tail[3..5]),
        number(&tail[6..8]),
    ) else {
        return Err(Stamp::Python);
    };
    let Some(month) = month_of(&text[..3]) else {
        return Err(Stamp::Bad);
    };
    // Python checks minutes and seconds together: `10:58:99` is 10:59:39
    let seconds = i64::from(min * 60 + sec);
    if seconds >= 3600 {
        return Err(Stamp::Bad);
    }
    Ok((month, day, hour, seconds))
}

/// `Mar  7 02:09:33`, `Mar 7 02:09:33`, `Mar 17 ...` (the HEADER regex matched it): the
/// start of its hour and the seconds into it, or what it came to instead.
pub fn bsd_hour(text: &[u8], rule: YearRule, hours: &mut impl Hours) -> Result<(i64, i64), Stamp> {
    let (month, day, hour, seconds) = bsd_parts(text)?;
    let mut year = rule.year;
    if (month, day) > rule.limit {
        year -= 1;
    }
    match hours.start(year, month, day, hour, false) {
        Some(base) => Ok((base, seconds)),
        None => Err(Stamp::Bad),
    }
}

/// A BSD time's last `mm:ss` in the hour starting at `base` (whose text before them
/// `bsd_hour` read): what `bsd_hour` gives for the whole text, which fails only there.
pub fn bsd_in_hour(base: i64, minutes_seconds: &[u8]) -> Stamp {
    let [m0, m1, _, s0, s1] = *minutes_seconds else {
        return Stamp::Python;
    };
    let (Some(min), Some(sec)) = (number(&[m0, m1]), number(&[s0, s1])) else {
        return Stamp::Python;
    };
    // Python checks minutes and seconds together: `10:58:99` is 10:59:39
    let seconds = i64::from(min * 60 + sec);
    if seconds >= 3600 {
        return Stamp::Bad;
    }
    Stamp::At(base + seconds * 1_000_000)
}

/// `bsd` with an explicit year (`--year`): `Clock.bsd`'s cache, then `Clock._bsd`'s
/// rule, in the same order (the state changes before an hour that does not exist is
/// found, and that time is not cached).
pub fn bsd_in_year(text: &str, state: &mut YearState, hours: &mut impl Hours) -> Stamp {
    if let Some(&micros) = state.cache.get(text) {
        return Stamp::At(micros);
    }
    let (month, day, hour, seconds) = match bsd_parts(text.as_bytes()) {
        Ok(parts) => parts,
        Err(stamp) => return stamp,
    };
    let year = state.advance(month);
    match hours.start(year, month, day, hour, false) {
        Some(base) => {
            let micros = base + seconds * 1_000_000;
            state.store(text, micros);
            Stamp::At(micros)
        }
        None => Stamp::Bad,
    }
}

/// `2026-11-06T09:05:01[.123456][Z|+01:00|+0100]` as `Clock._iso_fast` reads it; any
/// other outcome (a bad minute, a missing hour, odd zone text) is left to Python, whose
/// `fromisoformat` fallback decides.
pub fn iso(text: &[u8], hours: &mut impl Hours) -> Stamp {
    if text.len() < 19 || text[4] != b'-' || text[13] != b':' {
        return Stamp::Python;
    }
    let field = |a: usize, b: usize| number(&text[a..b]);
    let (Some(year), Some(month), Some(day), Some(hour), Some(min), Some(sec)) = (
        field(0, 4),
        field(5, 7),
        field(8, 10),
        field(11, 13),
        field(14, 16),
        field(17, 19),
    ) else {
        return Stamp::Python;
    };
    if min > 59 || sec > 59 {
        return Stamp::Python;
    }
    let seconds = i64::from(min * 60 + sec);
    let mut rest = &text[19..];
    let mut micros = 0i64;
    if let Some(b'.' | b',') = rest.first() {
        let digits = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Stamp::Python;
        }
        // Python: int((digits + "000000")[:6])
        micros = rest[1..1 + digits.min(6)]
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(6)
            .fold(0, |n, d| n * 10 + i64::from(d - b'0'));
        rest = &rest[1 + digits..];
    }
    let offset = match rest {
        [] => {
            return match hours.start(year as i32, month, day, hour, false) {
                Some(base) => Stamp::At(base + seconds * 1_000_000 + micros),
                None => Stamp::Python,
            }
        }
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), ..] if rest.len() == 5 || rest.len() == 6 => {
            let (Some(h), Some(m)) = (number(&rest[1..3]), number(&rest[rest.len() - 2..])) else {
                return Stamp::Python;
            };
            let offset = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => return Stamp::Python,
    };
    match hours.start(year as i32, month, day, hour, true) {
        Some(base) => Stamp::At(base + (seconds - offset) * 1_000_000 + micros),
        None => Stamp::Python,
    }
}

/// Exim's own `2013-06-10 18:33:32` (+ `.123` millis, + ` +0100` zone) as `Clock.exim`
/// reads it: the naive time in the clock's zone unless Exim wrote its offset.
pub fn exim(
    text: &[u8],
    millis: Option<&[u8]>,
    zone: Option<&[u8]>,
    hours: &mut impl Hours,
) -> Stamp {
    let stamp = match zone {
        None => iso(text, hours),
        Some(zone) => iso(&[text, zone].concat(), hours),
    };
    match (stamp, millis) {
        (Stamp::At(ts), Some(millis)) => match number(millis) {
            Some(ms) => Stamp::At(ts + i64::from(ms) * 1000),
            None => Stamp::Python,
        },
        (stamp, _) => stamp,
    }
}
