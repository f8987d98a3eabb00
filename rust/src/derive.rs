//! Steps after the regex, ported from Python: field conversions (`FIELD_TYPES`), the
//! `DERIVED` fields of `analyzer.parse.events` and Postfix's anvil `derive` function.
//! Each returns `NeedPython` where Python's result is not a plain i64/f64 (or is an
//! exception), so such lines keep Python's behaviour by going there.

use crate::event::{NeedPython, Val};
use crate::patterns::Kind;

/// `int(text)` for ASCII digits that fit an i64 comfortably; else Python decides.
pub fn int(text: &str) -> Result<i64, NeedPython> {
    int_bytes(text.as_bytes())
}

fn int_bytes(text: &[u8]) -> Result<i64, NeedPython> {
    if text.is_empty() || text.len() > 18 || !text.iter().all(u8::is_ascii_digit) {
        return Err(NeedPython);
    }
    // (at most 18 digits: no overflow)
    Ok(text.iter().fold(0, |n, b| n * 10 + i64::from(b - b'0')))
}

/// `float(text)` for plain decimals (`6.8`, `.5`, `12`); `inf`, `1_0`, `1e5`... to Python.
pub fn float(text: &str) -> Result<f64, NeedPython> {
    let plain = text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|b| *b == b'.').count() <= 1
        && text.bytes().any(|b| b.is_ascii_digit());
    if !plain {
        return Err(NeedPython);
    }
    text.parse().map_err(|_| NeedPython)
}

pub fn typed(text: &str, kind: Option<Kind>) -> Result<Val<'_>, NeedPython> {
    Ok(match kind {
        None => Val::Str(text),
        Some(Kind::Int) => Val::Int(int(text)?),
        Some(Kind::Float) => Val::Float(float(text)?),
    })
}

/// Python's `str.isspace()` on one ASCII character (what `str.split()` and `str.strip()`
/// take for whitespace; only ASCII lines get here).
pub fn py_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f' | ' '
    )
}

/// `recipient_domain`: the text after the last `@` (lower-cased when the dict is
/// built); None without one.
pub fn recipient_domain(recipient: Option<&str>) -> Option<&str> {
    let recipient = recipient?;
    let at = recipient.rfind('@')?;
    Some(&recipient[at + 1..])
}

/// `_command_counters`: `ehlo=1 auth=0/1 quit=1 commands=2/3` -> (ok, total) of `auth`
/// and of `commands`; the last well-formed item of a name wins, as in Python.
pub type Counter = Option<(i64, i64)>;

pub fn command_counters(counters: Option<&str>) -> Result<(Counter, Counter), NeedPython> {
    let (mut auth, mut commands) = (None, None);
    // (bytes: a line's text is ASCII here; a split on chars cost ~2,000 instructions)
    let text = counters.unwrap_or("").as_bytes();
    for item in text.split(|b| py_space(char::from(*b))) {
        // `name, _, value = item.partition("=")` with name `auth` or `commands`
        let (slot, value) = if let Some(value) = item.strip_prefix(b"auth=") {
            (&mut auth, value)
        } else if let Some(value) = item.strip_prefix(b"commands=") {
            (&mut commands, value)
        } else {
            continue;
        };
        let (ok, total) = match memchr::memchr(b'/', value) {
            Some(at) => (&value[..at], &value[at + 1..]),
            None => (value, &b""[..]),
        };
        let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
        if digits(ok) && (total.is_empty() || digits(total)) {
            let ok_n = int_bytes(ok)?;
            let total_n = if total.is_empty() {
                ok_n
            } else {
                int_bytes(total)?
            };
            *slot = Some((ok_n, total_n));
        }
    }
    Ok((auth, commands))
}

/// Postfix `_anvil`'s period: `60s` / `5m` / `1h` / `2d` / `` -> seconds. `seconds` is
/// `_SECONDS` (unit -> seconds). An empty period is an IndexError in Python: its line
/// goes there so that the outcome stays Python's.
pub fn anvil_period(period: &str, seconds: &[(u8, i64)]) -> Result<i64, NeedPython> {
    let last = *period.as_bytes().last().ok_or(NeedPython)?;
    let factor = |unit: u8| seconds.iter().find(|(u, _)| *u == unit).map(|(_, s)| *s);
    let unit_seconds = factor(last).or_else(|| factor(b's')).ok_or(NeedPython)?;
    // Python: int(period.rstrip("smhd") or 1)
    let digits = period.trim_end_matches(['s', 'm', 'h', 'd']);
    let count = if digits.is_empty() { 1 } else { int(digits)? };
    if count > 1 << 40 {
        return Err(NeedPython); // far beyond any real period; keep the product exact
    }
    Ok(count * unit_seconds)
}
