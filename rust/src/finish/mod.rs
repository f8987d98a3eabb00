//! The last steps of the Exim and Sendmail patterns whose Python code runs after the
//! regex (`_Alternative.complete`: extra selectors, fixed fields, the pattern's `derive`
//! function, reason class, client name, derived fields), ported so that such an event is
//! made without Python. Which pattern has which port, and the tables and regexes the
//! ports read, come from Python (`core_table.finish_ports`): the Python functions stay
//! the reference, and the differential tests hold both to the same events.
//!
//! A port answers `NeedPython` where Python's result is not one it can make exactly (an
//! integer beyond i64, a case that raises there): that event is finished by Python.

mod exim;
mod sendmail;

use std::collections::HashMap;

use std::sync::OnceLock;

use pyo3::prelude::*;
use regex::bytes::Regex;

use crate::core::Core;
use crate::correlate::value::{ascii_lower, from_py, key, parsed, s, Obj, K, V};
use crate::derive;
use crate::engine::{compile, set_head, Keys};
use crate::event::{Fields, Head, NeedPython, Val};
use crate::patterns::{Kind, Pattern};

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
    tables: HashMap<String, HashMap<String, Option<String>>>,
    regexes: HashMap<String, Regex>,
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

impl Finisher<'_> {
    pub fn has_port(&self, pattern: usize) -> bool {
        self.ports.get(pattern).is_some_and(Option::is_some)
    }

    fn value(&self, v: Val<'_>) -> V {
        parsed(v, self.texts, self.fixed)
    }

    /// The typed groups as the dict `m.groupdict()` (typed) is.
    pub fn groups(&self, fields: &Fields<'_>) -> Obj {
        let mut obj = Obj(Vec::with_capacity(fields.0.len() + 12));
        obj.0.extend(
            fields
                .0
                .iter()
                .map(|(k, v)| (self.names[*k], self.value(*v))),
        );
        obj
    }

    /// The header's fields, set last (`LineParser._event`).
    pub fn head(&self, obj: &mut Obj, head: Head<'_>) {
        let mut tail = Fields::default();
        set_head(&mut tail, self.keys, head);
        for (k, v) in &tail.0 {
            obj.set(self.names[*k], self.value(*v));
        }
    }

    /// The whole event of a finishing pattern (its port must exist), as Python makes it.
    pub fn event(
        &self,
        fields: &Fields<'_>,
        pattern: usize,
        message: &str,
        head: Head<'_>,
    ) -> Result<Obj, NeedPython> {
        let mut obj = self.groups(fields);
        self.complete(pattern, &mut obj, message)?;
        self.head(&mut obj, head);
        Ok(obj)
    }

    /// `_Alternative.complete` with the pattern's port.
    fn complete(&self, i: usize, event: &mut Obj, message: &str) -> Result<(), NeedPython> {
        let p = &self.patterns[i];
        let port = self.ports[i].as_ref().ok_or(NeedPython)?;
        let k = keys();
        for (rx, names) in &port.extras {
            extra(event, rx, names, message)?;
        }
        for (name, obj) in &p.fixed {
            event.set(self.names[*name], self.fixed[*obj].clone());
        }
        match port.step {
            Step::EximArrival => exim::recipients(event),
            Step::EximDelivery => exim::delivery(port, event)?,
            Step::EximReject => exim::reject(port, event)?,
            Step::SendmailDelivery => sendmail::delivery(port, event)?,
            Step::SendmailArrival => sendmail::arrival(event)?,
            Step::SendmailDsn => sendmail::dsn(event),
            Step::SendmailRuleset => sendmail::ruleset_reject(port, event)?,
            Step::SendmailMilter => sendmail::milter_reject(port, event)?,
        }
        if p.classify {
            let class = match event.get(k.reason) {
                V::Str(reason) if !reason.is_empty() => self
                    .reason_classes
                    .iter()
                    .find(|(_, rx)| rx.is_match(reason.as_bytes()))
                    .map(|(name, _)| self.texts[*name].as_str()),
                V::Str(_) | V::Null => None,
                _ => return Err(NeedPython),
            };
            event.set(k.reason_class, s(class.unwrap_or("other")));
        }
        if p.client && !event.truthy(k.client_name) {
            event.set(k.client_name, V::Null);
        }
        if port.recipient_domain {
            let domain = match event.get(k.recipient) {
                V::Str(r) if !r.is_empty() => {
                    derive::recipient_domain(Some(r)).map(|d| V::Str(ascii_lower(d)))
                }
                V::Str(_) | V::Null => None,
                _ => return Err(NeedPython),
            };
            event.set(k.recipient_domain, domain.unwrap_or(V::Null));
        }
        event.set(k.event, s(&self.texts[p.event]));
        event.set(k.pattern, s(&self.texts[p.name]));
        Ok(())
    }
}

/// `events._extra`: the selector's groups fill the fields the main regex left empty.
fn extra(event: &mut Obj, rx: &Regex, names: &[Group], message: &str) -> Result<(), NeedPython> {
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
                None => s(text),
                Some(Kind::Int) => V::Int(derive::int(text)?),
                Some(Kind::Float) => V::Float(derive::float(text)?),
            };
            event.set(*name, value);
        }
    }
    Ok(())
}

// --- what the ports share -------------------------------------------------------------

/// `event.pop(name, None)`: the value, Null when absent; the others keep their order.
fn pop(event: &mut Obj, k: K) -> V {
    match event.0.iter().position(|(key, _)| *key == k) {
        Some(i) => event.0.remove(i).1,
        None => V::Null,
    }
}

/// A field that must be text or None (Python would raise on anything else).
fn text(v: &V) -> Result<Option<&str>, NeedPython> {
    match v {
        V::Str(s) => Ok(Some(s)),
        V::Null => Ok(None),
        _ => Err(NeedPython),
    }
}

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
fn address(text: Option<&str>) -> Option<String> {
    let text = py_strip(text?);
    if text.len() >= 2 && text.starts_with('<') && text.ends_with('>') {
        return Some(text[1..text.len() - 1].to_owned());
    }
    Some(angle(text, 0).map_or(text, |(inner, _)| inner).to_owned())
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
