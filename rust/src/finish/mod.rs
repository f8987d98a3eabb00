//! The last steps of the Exim and Sendmail patterns whose Python code runs after the
//! regex (`_Alternative.complete`: extra selectors, fixed fields, the pattern's `derive`
//! function, reason class, client name, derived fields), ported so that such an event is
//! made without Python. Which pattern has which port, and the tables and regexes the
//! ports read, come from Python (`core_table.finish_ports`): the Python functions stay
//! the reference, and the differential tests hold both to the same events.
//!
//! A port answers `NeedPython` where Python's result is not one it can make exactly (an
//! integer beyond i64, a case that raises there): that event is finished by Python.

mod ev;
mod exim;
mod sendmail;

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use std::sync::OnceLock;

use pyo3::prelude::*;
use regex::bytes::Regex;

use crate::core::Core;
use crate::correlate::value::{ascii_lower, from_py, key, Obj, K, V};
use crate::derive;
use crate::engine::{compile, Keys};
use crate::event::{Fields, Head, NeedPython, Val};
use crate::patterns::{Kind, Pattern};
use ev::{Ev, F};

/// The Python `derive` function a port stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    EximArrival,
    EximDelivery,
    EximReject,
    SendmailDelivery,
    SendmailArrival,
    SendmailDsn,
    SendmailRuleset,
    SendmailMilter,
}

/// A capture group's field and conversion (None for an unnamed group).
type Group = Option<(K, Option<Kind>)>;

/// One pattern's port: its step, its extra selectors (searched in the message: each
/// group's field and conversion), the `DERIVED` recipient domain, and the data its
/// Python function reads (dicts by name, regexes by name).
pub struct Port {
    step: Step,
    extras: Vec<(Regex, Vec<Group>)>,
    recipient_domain: bool,
    tables: FxHashMap<String, FxHashMap<String, Option<String>>>,
    regexes: FxHashMap<String, Regex>,
}

/// A port as Python describes it: (step, extra regexes, derived step, tables, regexes).
pub type PortSpec = (
    String,
    Vec<String>,
    String,
    HashMap<String, HashMap<String, Option<String>>>,
    HashMap<String, String>,
);

impl Port {
    pub fn new(spec: PortSpec, field_types: &HashMap<String, String>) -> Result<Port, String> {
        let (step, extras, derived, tables, regexes) = spec;
        let step = match step.as_str() {
            "exim_arrival" => Step::EximArrival,
            "exim_delivery" => Step::EximDelivery,
            "exim_reject" => Step::EximReject,
            "sendmail_delivery" => Step::SendmailDelivery,
            "sendmail_arrival" => Step::SendmailArrival,
            "sendmail_dsn" => Step::SendmailDsn,
            "sendmail_ruleset" => Step::SendmailRuleset,
            "sendmail_milter" => Step::SendmailMilter,
            other => return Err(format!("no port {other}")),
        };
        let kind = |n: &str| match field_types.get(n).map(String::as_str) {
            Some("int") => Some(Kind::Int),
            Some("float") => Some(Kind::Float),
            _ => None,
        };
        let extras = extras
            .iter()
            .map(|source| {
                let rx = compile(source, false).map_err(|e| e.to_string())?;
                let names = rx
                    .capture_names()
                    .map(|n| n.map(|n| (key(n), kind(n))))
                    .collect();
                Ok((rx, names))
            })
            .collect::<Result<_, String>>()?;
        let regexes = regexes
            .into_iter()
            .map(|(name, source)| Ok((name, compile(&source, false).map_err(|e| e.to_string())?)))
            .collect::<Result<_, String>>()?;
        let recipient_domain = match derived.as_str() {
            "" => false,
            "recipient_domain" => true,
            other => return Err(format!("port {step:?}: derived {other}")),
        };
        // (looked up per event: FxHash, not SipHash)
        let tables = tables
            .into_iter()
            .map(|(name, table)| (name, table.into_iter().collect()))
            .collect();
        Ok(Port {
            step,
            extras,
            recipient_domain,
            tables,
            regexes,
        })
    }

    /// `table[name].get(text, default)` of the Python function's dicts.
    fn lookup(&self, table: &str, text: &str) -> Option<Option<&str>> {
        self.tables.get(table)?.get(text).map(|v| v.as_deref())
    }

    fn regex(&self, name: &str) -> Result<&Regex, NeedPython> {
        self.regexes.get(name).ok_or(NeedPython)
    }
}

/// What finishing reads of the parse core, for one batch.
pub struct Finisher<'a> {
    pub patterns: &'a [Pattern],
    pub reason_classes: &'a [(usize, Regex)],
    pub ports: &'a [Option<Port>],
    pub keys: &'a Keys,
    /// per name of the parse core: its key and text
    pub names: &'a [K],
    pub texts: &'a [String],
    /// the patterns' fixed values
    pub fixed: &'a [V],
}

/// The parse core's names as keys and its fixed values as values, for `Finisher`.
pub fn core_values(py: Python<'_>, core: &Core) -> (Vec<K>, Vec<String>, Vec<V>) {
    keys(); // registered before any `ToPy` of this batch lists the names
    let texts = core.engine.names.list.clone();
    let names = texts.iter().map(|n| key(n)).collect();
    let fixed = core
        .fixed
        .iter()
        .map(|o| from_py(o.bind(py)).unwrap_or(V::Null))
        .collect();
    (names, texts, fixed)
}

impl<'a> Finisher<'a> {
    pub fn new(core: &'a Core, names: &'a [K], texts: &'a [String], fixed: &'a [V]) -> Self {
        Finisher {
            patterns: &core.engine.patterns,
            reason_classes: &core.engine.reason_classes,
            ports: &core.ports,
            keys: &core.engine.keys,
            names,
            texts,
            fixed,
        }
    }
}

impl<'a> Finisher<'a> {
    pub fn has_port(&self, pattern: usize) -> bool {
        self.ports.get(pattern).is_some_and(Option::is_some)
    }

    fn value<'m>(&self, v: Val<'m>) -> F<'m>
    where
        'a: 'm,
    {
        match v {
            Val::Str(t) => F::Str(t),
            Val::Name(i) => F::Str(&self.texts[i]),
            Val::Int(n) => F::Int(n),
            Val::Float(x) => F::Float(x),
            Val::Fixed(i) => F::Ref(&self.fixed[i]),
            Val::Lower(t) => F::Own(V::Str(ascii_lower(t))), // (only ASCII lines are parsed in Rust)
            Val::None => F::Null,
        }
    }

    /// The header's fields, set last (`LineParser._event`, as `engine::set_head`).
    fn head<'m>(&self, ev: &mut Ev<'m>, head: Head<'m>)
    where
        'a: 'm,
    {
        let (k, n) = (self.keys, self.names);
        ev.set(n[k.ts], F::Int(head.ts));
        ev.set(n[k.host], F::Str(head.host));
        ev.set(n[k.program], F::Str(head.program));
        ev.set(n[k.pid], head.pid.map_or(F::Null, F::Int));
        ev.set(n[k.family], F::Str(&self.texts[head.family]));
        if let Some(envelope) = head.envelope {
            ev.set(n[k.envelope], F::Str(&self.texts[envelope]));
        }
    }

    /// The whole event of a finishing pattern (its port must exist), as Python makes it.
    pub fn event<'m>(
        &self,
        fields: &Fields<'m>,
        pattern: usize,
        message: &'m str,
        head: Head<'m>,
    ) -> Result<Obj, NeedPython>
    where
        'a: 'm,
    {
        // the typed groups as the dict `m.groupdict()` (typed) is
        let mut ev = Ev::with_capacity(fields.0.len() + 12);
        for (k, v) in &fields.0 {
            ev.push(self.names[*k], self.value(*v));
        }
        self.complete(pattern, &mut ev, message)?;
        self.head(&mut ev, head);
        Ok(ev.into_obj())
    }

    /// `_Alternative.complete` with the pattern's port.
    fn complete<'m>(&self, i: usize, event: &mut Ev<'m>, message: &'m str) -> Result<(), NeedPython>
    where
        'a: 'm,
    {
        let p = &self.patterns[i];
        let port = self.ports[i].as_ref().ok_or(NeedPython)?;
        let k = keys();
        for (rx, names) in &port.extras {
            extra(event, rx, names, message)?;
        }
        for (name, obj) in &p.fixed {
            event.set(self.names[*name], F::Ref(&self.fixed[*obj]));
        }
        match port.step {
            Step::EximArrival => exim::recipients(event)?,
            Step::EximDelivery => exim::delivery(port, event)?,
            Step::EximReject => exim::reject(port, event)?,
            Step::SendmailDelivery => sendmail::delivery(port, event)?,
            Step::SendmailArrival => sendmail::arrival(event)?,
            Step::SendmailDsn => sendmail::dsn(event),
            Step::SendmailRuleset => sendmail::ruleset_reject(port, event)?,
            Step::SendmailMilter => sendmail::milter_reject(port, event)?,
        }
        if p.classify {
            let class = match event.text(k.reason)? {
                Some(reason) if !reason.is_empty() => self
                    .reason_classes
                    .iter()
                    .find(|(_, rx)| rx.is_match(reason.as_bytes()))
                    .map(|(name, _)| self.texts[*name].as_str()),
                _ => None,
            };
            event.set(k.reason_class, F::Str(class.unwrap_or("other")));
        }
        if p.client && !event.truthy(k.client_name) {
            event.set(k.client_name, F::Null);
        }
        if port.recipient_domain {
            let domain = match event.text(k.recipient)? {
                Some(r) if !r.is_empty() => {
                    derive::recipient_domain(Some(r)).map(|d| F::Own(V::Str(ascii_lower(d))))
                }
                _ => None,
            };
            event.set(k.recipient_domain, domain.unwrap_or(F::Null));
        }
        event.set(k.event, F::Str(&self.texts[p.event]));
        event.set(k.pattern, F::Str(&self.texts[p.name]));
        Ok(())
    }
}

/// `events._extra`: the selector's groups fill the fields the main regex left empty.
fn extra<'m>(
    event: &mut Ev<'m>,
    rx: &Regex,
    names: &[Group],
    message: &'m str,
) -> Result<(), NeedPython> {
    let Some(caps) = rx.captures(message.as_bytes()) else {
        return Ok(());
    };
    for (g, slot) in names.iter().enumerate() {
        let (Some((name, kind)), Some(m)) = (slot, caps.get(g)) else {
            continue;
        };
        if event.get(*name).is_null() {
            let text = &message[m.start()..m.end()];
            let value = match kind {
                None => F::Str(text),
                Some(Kind::Int) => F::Int(derive::int(text)?),
                Some(Kind::Float) => F::Float(derive::float(text)?),
            };
            event.set(*name, value);
        }
    }
    Ok(())
}

// --- what the ports share -------------------------------------------------------------

/// Python's `str.strip()` on the text the Rust pass reads (ASCII lines: `ascii_line`).
fn py_strip(s: &str) -> &str {
    s.trim_matches(derive::py_space)
}

/// `_ANGLE.search(text)` (`<([^>]*)>`) from byte `from`: the text between the first `<`
/// and the first `>` after it, and the end of the match. No `>` after the first `<`
/// means none after a later one either, so no match.
fn angle(text: &str, from: usize) -> Option<(&str, usize)> {
    let open = from + text[from..].find('<')?;
    let close = open + 1 + text[open + 1..].find('>')?;
    Some((&text[open + 1..close], close + 1))
}

/// Sendmail's `_address`: `<a@b>` / `Name <a@b>` / `a@b` -> the address.
fn address(text: Option<&str>) -> Option<&str> {
    let text = py_strip(text?);
    if text.len() >= 2 && text.starts_with('<') && text.ends_with('>') {
        return Some(&text[1..text.len() - 1]);
    }
    Some(angle(text, 0).map_or(text, |(inner, _)| inner))
}

/// The keys the ports use, registered once (a field per name: the ports read them per
/// event, and a lookup by name cost ~1 % of an Exim run).
macro_rules! finish_keys {
    ($($field:ident = $name:expr),* $(,)?) => {
        struct FinishKeys {
            $($field: K),*
        }

        fn keys() -> &'static FinishKeys {
            static KEYS: OnceLock<FinishKeys> = OnceLock::new();
            KEYS.get_or_init(|| FinishKeys {
                $($field: key($name)),*
            })
        }
    };
}

finish_keys!(
    event = "event",
    pattern = "pattern",
    reason = "reason",
    reason_class = "reason_class",
    client_name = "client_name",
    client_ip = "client_ip",
    client_port = "client_port",
    recipient = "recipient",
    recipient_domain = "recipient_domain",
    sender = "sender",
    recipients = "recipients",
    nrcpt = "nrcpt",
    subject = "subject",
    size = "size",
    flag = "flag",
    address = "address",
    parent = "parent",
    orig_recipient = "orig_recipient",
    status = "status",
    relay_ip = "relay_ip",
    relay_name = "relay_name",
    relay_port = "relay_port",
    relay = "relay",
    agent = "agent",
    transport = "transport",
    response = "response",
    dsn = "dsn",
    target = "target",
    bare = "bare",
    stage = "stage",
    after = "after",
    hello_from = "hello_from",
    client_from = "client_from",
    data_acl = "data_acl",
    connection = "connection",
    hello = "hello",
    temporarily = "temporarily",
    action = "action",
    recipient_list = "recipient_list",
    delay_text = "delay_text",
    delay = "delay",
    mailer = "mailer",
    ctladdr = "ctladdr",
    user = "user",
    stat = "stat",
    message_id = "message_id",
    local_user = "local_user",
    local_host = "local_host",
    proto = "proto",
    ruleset = "ruleset",
    arg1 = "arg1",
    arg2 = "arg2",
    where_ = "where",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_is_the_regex_search() {
        let rx = regex::Regex::new(r"<([^>]*)>").unwrap();
        for text in [
            "", "<", ">", "<>", "a <b> c", "a<b<c>d>", "x<y", "<a><b>", "> <a>",
        ] {
            let want = rx.captures(text).map(|c| c.get(1).unwrap().as_str());
            assert_eq!(angle(text, 0).map(|(t, _)| t), want, "{text:?}");
        }
    }
}
