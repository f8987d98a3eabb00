//! Ports of the Exim patterns' `derive` functions (`analyzer/parse/patterns/exim/`):
//! `messages._recipients`, `messages._delivery`, `rejects._reject`. Each line of Python
//! is mirrored in order, pops included, so the event's keys come out in Python's order.

use super::ev::{Ev, F};
use super::{keys, Port};
use crate::correlate::value::{concat, V};
use crate::derive::{self, py_space};
use crate::event::NeedPython;

/// `_recipients`: `for a@b c@d` -> recipients and nrcpt; `<>` -> ``; the subject unquoted.
pub fn recipients(event: &mut Ev<'_>) -> Result<(), NeedPython> {
    let k = keys();
    let sender = k.sender;
    if event.str(sender) == Some("<>") {
        event.set(sender, F::Str(""));
    }
    if let Some(list) = event.pop(k.recipients).str() {
        if !list.is_empty() {
            let rcpts: Vec<V> = list
                .split(py_space)
                .filter(|r| !r.is_empty())
                .map(|r| V::Str(r.to_owned()))
                .collect();
            let n = rcpts.len() as i64;
            event.set(k.recipients, F::Own(V::List(rcpts)));
            event.set(k.nrcpt, F::Int(n));
        }
    }
    let subject = k.subject;
    if let Some(text) = event.str(subject).filter(|t| !t.is_empty()) {
        // (most subjects have no backslash: nothing to replace)
        if text.contains('\\') {
            let plain = text.replace("\\\"", "\"").replace("\\\\", "\\");
            event.set(subject, F::Own(V::Str(plain)));
        }
    }
    if event.get(k.size).is_null() {
        event.pop(k.size);
    }
    Ok(())
}

/// `_delivery`: the address forms -> recipient / orig_recipient, `H=` -> relay and the
/// agent kind, the flag -> status, the response's DSN.
pub fn delivery<'m>(port: &'m Port, event: &mut Ev<'m>) -> Result<(), NeedPython> {
    let k = keys();
    let flag = event.pop(k.flag).text()?.ok_or(NeedPython)?;
    let address = event.pop(k.address).text()?.ok_or(NeedPython)?;
    let parent = event.pop(k.parent).text()?;
    if address.contains('@') && !address.starts_with(['|', '/', '>']) {
        let bare = address.trim_start_matches('<').trim_end_matches('>');
        event.set(k.recipient, F::Str(bare));
        let orig = parent.filter(|p| !p.is_empty() && *p != address);
        event.set(k.orig_recipient, orig.map_or(F::Null, F::Str));
    } else {
        let recipient = parent.filter(|p| !p.is_empty()).unwrap_or(address);
        event.set(k.recipient, F::Str(recipient));
        event.set(k.orig_recipient, F::Null);
    }
    let status = port.lookup("status", flag).flatten().ok_or(NeedPython)?;
    event.set(k.status, F::Str(status));
    let (relay, agent) = match event.pop(k.relay_ip).text()? {
        Some(ip) => {
            let name = event.pop(k.relay_name).text()?.unwrap_or("");
            let relay = match event.pop(k.relay_port).text()?.filter(|p| !p.is_empty()) {
                Some(p) => concat(&[name, "[", ip, "]:", p]),
                None => concat(&[name, "[", ip, "]"]),
            };
            let local = ip.starts_with("127.") || ip == "::1";
            (F::Own(relay), F::Str(if local { "local" } else { "smtp" }))
        }
        None => {
            event.pop(k.relay_name);
            event.pop(k.relay_port);
            let relay = match event.text(k.transport)? {
                Some(t) if !t.is_empty() => F::Str(t),
                _ if flag != "**" => F::Str("local"),
                _ => F::Null,
            };
            let local = matches!(flag, "=>" | "->" | "*>" | ">>");
            (relay, if local { F::Str("local") } else { F::Null })
        }
    };
    event.set(k.relay, relay);
    event.set(k.agent, agent);
    let response = k.response;
    if let Some(text) = event.text(response)?.filter(|t| !t.is_empty()) {
        let dsn = port
            .regex("dsn")?
            .captures(text.as_bytes())
            .and_then(|c| c.get(1))
            .map(|m| F::Str(&text[m.start()..m.end()]));
        if text.contains("\\\"") {
            event.set(response, F::Own(V::Str(text.replace("\\\"", "\""))));
        }
        if let Some(dsn) = dsn {
            event.set(k.dsn, dsn);
        }
    }
    Ok(())
}

/// `_reject`: `rejected RCPT <x>` / `rejected after DATA` / `rejected EHLO from H` ->
/// stage, recipient or sender; `temporarily rejected` -> action `defer`. Python's
/// short-circuits are kept: a field it does not pop stays in the event.
pub fn reject<'m>(port: &'m Port, event: &mut Ev<'m>) -> Result<(), NeedPython> {
    let k = keys();
    let target = event.pop(k.target);
    let bare = event.pop(k.bare);
    let target = if target.is_null() { bare } else { target };
    let stage = event.pop(k.stage);
    let after = event.pop(k.after);
    let hello_from = event.pop(k.hello_from);
    let client_from = event.pop(k.client_from);
    let stage_key = k.stage;
    if stage.truthy() {
        let stage = stage.text()?.ok_or(NeedPython)?;
        let named = port.lookup("stages", stage).unwrap_or(Some(stage));
        event.set(stage_key, named.map_or(F::Null, F::Str));
        if stage == "RCPT" {
            event.set(k.recipient, target.clone());
        } else if stage == "MAIL" && event.get(k.sender).is_null() && !target.is_null() {
            let target = target.text()?.ok_or(NeedPython)?;
            event.set(k.sender, F::Str(target.trim_matches(['<', '>'])));
        }
    } else if after.truthy() || event.pop(k.data_acl).truthy() {
        event.set(stage_key, F::Str("DATA"));
    } else if event.pop(k.connection).truthy() {
        event.set(stage_key, F::Str("CONNECT"));
    }
    if event.pop(k.hello).truthy() {
        event.set(stage_key, F::Str("HELO"));
    }
    if !hello_from.is_null() || !client_from.is_null() {
        let from = if hello_from.truthy() {
            &hello_from
        } else {
            &client_from
        };
        let from = from.text()?.ok_or(NeedPython)?;
        let rx = port.regex("hello_from")?;
        if let Some(caps) = rx.captures(from.as_bytes()) {
            if event.get(k.client_ip).is_null() {
                for (g, name) in rx.capture_names().enumerate() {
                    if let (Some(name), Some(m)) = (name, caps.get(g)) {
                        let field = crate::correlate::value::key(name);
                        event.set(field, F::Str(&from[m.start()..m.end()]));
                    }
                }
                let port_ = event.get(k.client_port);
                if !matches!(port_, F::Int(_) | F::Ref(V::Int(_)) | F::Own(V::Int(_))) {
                    if let Some(p) = port_.text()?.filter(|p| !p.is_empty()) {
                        let n = derive::int(p)?;
                        event.set(k.client_port, F::Int(n));
                    }
                }
            }
        }
    }
    if event.pop(k.temporarily).truthy() {
        event.set(k.action, F::Str("defer"));
    }
    Ok(())
}
