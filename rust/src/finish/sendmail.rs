//! Ports of the Sendmail patterns' `derive` functions
//! (`analyzer/parse/patterns/sendmail/`): `messages._delivery` (with `seconds` and
//! `_split_recipients`), `messages._arrival`, `messages._dsn`, `rejects._ruleset_reject`,
//! `rejects._milter_reject`. Each mirrors its Python function line by line.

use super::ev::{Ev, F};
use super::{address, angle, keys, py_strip, Port};
use crate::correlate::value::V;
use crate::derive;
use crate::event::NeedPython;

fn or_null(text: Option<&str>) -> F<'_> {
    text.map_or(F::Null, F::Str)
}

/// `_split_recipients`: `<a@b>,<c@d>` / `a@b,c@d` / `Name <a@b>` -> addresses.
pub fn split_recipients(text: &str) -> Vec<&str> {
    if one_angled(text) {
        return vec![&text[1..text.len() - 1]];
    }
    if text.contains('<') {
        let mut found = Vec::new();
        let mut at = 0;
        while let Some((inner, end)) = angle(text, at) {
            found.push(inner);
            at = end;
        }
        if !found.is_empty() {
            return found;
        }
    }
    text.split(',')
        .filter(|part| !py_strip(part).is_empty())
        .map(|part| py_strip(part).trim_matches('"'))
        .collect()
}

/// `text[:1] == "<" and text[-1:] == ">" and text.count("<") == 1`
fn one_angled(text: &str) -> bool {
    text.starts_with('<') && text.ends_with('>') && text.matches('<').count() == 1
}

/// Python's `int(text)` on the digits, `+` and `:` of a delay: an optional `+`, then
/// digits; None where Python raises ValueError; `NeedPython` beyond the exact range.
fn py_int(text: &str) -> Result<Option<i64>, NeedPython> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    derive::int(digits).map(Some)
}

/// `seconds`: Sendmail delays (`00:00:05`, `1+02:03:04`) -> seconds; None where Python
/// gives None. The sums stay far inside i64 (parts of at most 18 digits are checked).
pub fn seconds(text: &str) -> Result<Option<f64>, NeedPython> {
    let total = |days: i64, h: i64, m: i64, sec: i64| -> Result<Option<f64>, NeedPython> {
        let t = (days as i128) * 86400 + (h as i128) * 3600 + (m as i128) * 60 + sec as i128;
        if t.unsigned_abs() > 1 << 53 {
            return Err(NeedPython); // float(int) rounding beyond 2**53: Python decides
        }
        Ok(Some(t as f64))
    };
    let b = text.as_bytes();
    if b.len() == 8 && b[2] == b':' && b[5] == b':' {
        return match (
            py_int(&text[..2])?,
            py_int(&text[3..5])?,
            py_int(&text[6..])?,
        ) {
            (Some(h), Some(m), Some(sec)) => total(0, h, m, sec),
            _ => Ok(None),
        };
    }
    let (mut days, mut rest) = (0, text);
    if let Some((d, after)) = text.split_once('+') {
        rest = after;
        if !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()) {
            days = derive::int(d)?;
        }
    }
    let mut parts = Vec::with_capacity(3);
    for part in rest.split(':') {
        match py_int(part)? {
            Some(n) => parts.push(n),
            None => return Ok(None),
        }
    }
    match parts[..] {
        [h, m, sec] => total(days, h, m, sec),
        [m, sec] => total(days, 0, m, sec),
        _ => Ok(None),
    }
}

/// `_delivery`: the recipient list, the delay, the agent kind, the user, the status and
/// response from `stat=`, a relay without its space.
pub fn delivery<'m>(port: &'m Port, event: &mut Ev<'m>) -> Result<(), NeedPython> {
    let k = keys();
    let list = event.pop(k.recipient_list).text()?.ok_or(NeedPython)?;
    if one_angled(list) {
        event.set(k.recipient, F::Str(&list[1..list.len() - 1]));
    } else {
        let recipients = split_recipients(list);
        event.set(k.recipient, or_null(recipients.first().copied()));
        if recipients.len() > 1 {
            let list = recipients.into_iter().map(|r| V::Str(r.to_owned()));
            event.set(k.recipients, F::Own(V::List(list.collect())));
        }
    }
    let delay = seconds(event.pop(k.delay_text).text()?.ok_or(NeedPython)?)?;
    event.set(k.delay, delay.map_or(F::Null, F::Float));
    let mailer = event.text(k.mailer)?.ok_or(NeedPython)?;
    let agent = port.lookup("agents", mailer).unwrap_or(Some(mailer));
    event.set(k.agent, or_null(agent));
    let ctladdr = event.pop(k.ctladdr).text()?;
    if let Some(ctl) = ctladdr.filter(|c| !c.is_empty() && !c.contains('@')) {
        event.set(k.user, F::Str(ctl.trim_matches(['<', '>'])));
    }
    let stat = event.pop(k.stat).text()?.ok_or(NeedPython)?;
    let (status, response) = if let Some(rest) = stat.strip_prefix("Sent") {
        let mut response = py_strip(rest);
        if response.len() >= 2 && response.starts_with('(') && response.ends_with(')') {
            response = &response[1..response.len() - 1];
        }
        ("sent", (!response.is_empty()).then_some(response))
    } else if let Some(rest) = stat.strip_prefix("Deferred") {
        let response = rest.trim_start_matches([':', ' ']);
        ("deferred", (!response.is_empty()).then_some(response))
    } else if stat.len() >= 6 && stat[..6].eq_ignore_ascii_case("queued") {
        ("queued", None)
    } else {
        let dsn = event.text(k.dsn)?.unwrap_or("");
        let status = if dsn.starts_with('4') {
            "deferred"
        } else {
            "bounced"
        };
        (status, Some(stat))
    };
    event.set(k.status, F::Str(status));
    event.set(k.response, or_null(response));
    let relay = k.relay;
    if let Some(r) = event.text(relay)?.filter(|r| r.contains(' ')) {
        event.set(relay, F::Own(V::Str(r.replace(' ', ""))));
    }
    Ok(())
}

/// `_arrival`: the sender's address, the Message-ID without `<>`, a local submission's
/// user (`relay=apache@localhost`).
pub fn arrival(event: &mut Ev<'_>) -> Result<(), NeedPython> {
    let k = keys();
    let sender = address(event.text(k.sender)?);
    event.set(k.sender, or_null(sender));
    let mid = k.message_id;
    if let Some(m) = event.text(mid)?.filter(|m| !m.is_empty()) {
        event.set(mid, F::Str(m.trim_matches(['<', '>'])));
    }
    if event.truthy(k.local_user) {
        let user = event.pop(k.local_user);
        event.set(k.user, user);
        event.pop(k.local_host);
        let proto = k.proto;
        let given = if event.truthy(proto) {
            event.get(proto).clone()
        } else {
            F::Str("local")
        };
        event.set(proto, given);
    }
    Ok(())
}

/// `_dsn`: a bounce has the null sender and one recipient.
pub fn dsn(event: &mut Ev<'_>) {
    let k = keys();
    event.set(k.sender, F::Str(""));
    event.set(k.nrcpt, F::Int(1));
}

/// `_ruleset_reject`: the ruleset -> stage; `arg1` -> recipient or sender.
pub fn ruleset_reject<'m>(port: &'m Port, event: &mut Ev<'m>) -> Result<(), NeedPython> {
    let k = keys();
    let ruleset = event.pop(k.ruleset).text()?.ok_or(NeedPython)?;
    let stage = port.lookup("stages", ruleset).flatten();
    event.set(k.stage, or_null(stage));
    let arg1 = event.pop(k.arg1).text()?;
    if ruleset == "check_rcpt" || ruleset == "check_compat" {
        event.set(k.recipient, or_null(address(arg1)));
    } else if ruleset == "check_mail" {
        event.set(k.sender, or_null(address(arg1)));
    }
    event.pop(k.arg2);
    Ok(())
}

/// `_milter_reject`: where the milter said no -> stage, and the sender or recipient.
pub fn milter_reject<'m>(port: &'m Port, event: &mut Ev<'m>) -> Result<(), NeedPython> {
    let k = keys();
    let place = event.pop(k.where_).text()?.ok_or(NeedPython)?;
    let head = place.split('=').next().unwrap_or("").to_ascii_lowercase();
    let stage = port.lookup("stages", &head).unwrap_or(Some("DATA"));
    event.set(k.stage, or_null(stage));
    if let Some(from) = place.strip_prefix("from=") {
        event.set(k.sender, or_null(address(Some(from))));
    } else if let Some(to) = place.strip_prefix("to=") {
        event.set(k.recipient, or_null(address(Some(to))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_reads_the_forms_python_reads() {
        assert_eq!(seconds("00:00:05").unwrap(), Some(5.0));
        assert_eq!(seconds("1+02:03:04").unwrap(), Some(93784.0));
        assert_eq!(seconds("+1:+2:03").unwrap(), Some(3723.0)); // int("+1") is 1
        assert_eq!(seconds("03:04").unwrap(), Some(184.0));
        assert_eq!(seconds("5").unwrap(), None);
        assert_eq!(seconds("1:2:3:4").unwrap(), None);
        assert_eq!(seconds("x+1:2:3").unwrap(), Some(3723.0));
        assert_eq!(seconds("1+2+3:4:5").unwrap(), None);
        assert_eq!(seconds("::::::::").unwrap(), None);
    }

    #[test]
    fn split_recipients_as_python() {
        assert_eq!(split_recipients("<a@b>"), vec!["a@b"]);
        assert_eq!(split_recipients("<a@b>,<c@d>"), vec!["a@b", "c@d"]);
        assert_eq!(split_recipients("a@b, \"c@d\" ,"), vec!["a@b", "c@d"]);
        assert_eq!(split_recipients("x<y"), vec!["x<y"]);
    }
}
