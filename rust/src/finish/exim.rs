//! Ports of the Exim patterns' `derive` functions (`analyzer/parse/patterns/exim/`):
//! `messages._recipients`, `messages._delivery`, `rejects._reject`. Each line of Python
//! is mirrored in order, pops included, so the event's keys come out in Python's order.

use super::{keys, pop, text, Port};
use crate::correlate::value::{concat, s, Obj, V};
use crate::derive::{self, py_space};
use crate::event::NeedPython;

/// `_recipients`: `for a@b c@d` -> recipients and nrcpt; `<>` -> ``; the subject unquoted.
pub fn recipients(event: &mut Obj) {
    let k = keys();
    let sender = k.sender;
    if event.str(sender) == Some("<>") {
        event.set(sender, s(""));
    }
    if let V::Str(list) = pop(event, k.recipients) {
        if !list.is_empty() {
            let rcpts: Vec<V> = list
                .split(py_space)
                .filter(|r| !r.is_empty())
                .map(s)
                .collect();
            let n = rcpts.len() as i64;
            event.set(k.recipients, V::List(rcpts));
            event.set(k.nrcpt, V::Int(n));
        }
    }
    let subject = k.subject;
    if let Some(text) = event.str(subject).filter(|t| !t.is_empty()) {
        let plain = text.replace("\\\"", "\"").replace("\\\\", "\\");
        event.set(subject, V::Str(plain));
    }
    if event.get(k.size).is_null() {
        pop(event, k.size);
    }
}

/// `_delivery`: the address forms -> recipient / orig_recipient, `H=` -> relay and the
/// agent kind, the flag -> status, the response's DSN.
pub fn delivery(port: &Port, event: &mut Obj) -> Result<(), NeedPython> {
    let k = keys();
    let flag = match pop(event, k.flag) {
        V::Str(f) => f,
        _ => return Err(NeedPython),
    };
    let address = match pop(event, k.address) {
        V::Str(a) => a,
        _ => return Err(NeedPython),
    };
    let parent = pop(event, k.parent);
    let parent = text(&parent)?;
    if address.contains('@') && !address.starts_with(['|', '/', '>']) {
        let bare = address.trim_start_matches('<').trim_end_matches('>');
        event.set(k.recipient, s(bare));
        let orig = parent.filter(|p| !p.is_empty() && *p != address);
        event.set(k.orig_recipient, orig.map_or(V::Null, s));
    } else {
        let recipient = parent.filter(|p| !p.is_empty()).unwrap_or(&address);
        event.set(k.recipient, s(recipient));
        event.set(k.orig_recipient, V::Null);
    }
    let status = port.lookup("status", &flag).flatten().ok_or(NeedPython)?;
    event.set(k.status, s(status));
    let ip = pop(event, k.relay_ip);
    let (relay, agent) = match text(&ip)? {
        Some(ip) => {
            let name = pop(event, k.relay_name);
            let name = text(&name)?.unwrap_or("");
            let port_ = pop(event, k.relay_port);
            let relay = match text(&port_)?.filter(|p| !p.is_empty()) {
                Some(p) => concat(&[name, "[", ip, "]:", p]),
                None => concat(&[name, "[", ip, "]"]),
            };
            let local = ip.starts_with("127.") || ip == "::1";
            (relay, s(if local { "local" } else { "smtp" }))
        }
        None => {
            pop(event, k.relay_name);
            pop(event, k.relay_port);
            let relay = match event.get(k.transport) {
                V::Str(t) if !t.is_empty() => s(t),
                V::Str(_) | V::Null if flag != "**" => s("local"),
                V::Str(_) | V::Null => V::Null,
                _ => return Err(NeedPython),
            };
            let local = matches!(flag.as_str(), "=>" | "->" | "*>" | ">>");
            (relay, if local { s("local") } else { V::Null })
        }
    };
    event.set(k.relay, relay);
    event.set(k.agent, agent);
    let response = k.response;
    if let Some(text) = text(event.get(response))?.filter(|t| !t.is_empty()) {
        let dsn = port
            .regex("dsn")?
            .captures(text.as_bytes())
            .and_then(|c| c.get(1))
            .map(|m| s(&text[m.start()..m.end()]));
        let plain = text.replace("\\\"", "\"");
        event.set(response, V::Str(plain));
        if let Some(dsn) = dsn {
            event.set(k.dsn, dsn);
        }
    }
    Ok(())
}

/// `_reject`: `rejected RCPT <x>` / `rejected after DATA` / `rejected EHLO from H` ->
/// stage, recipient or sender; `temporarily rejected` -> action `defer`. Python's
/// short-circuits are kept: a field it does not pop stays in the event.
pub fn reject(port: &Port, event: &mut Obj) -> Result<(), NeedPython> {
    let k = keys();
    let target = pop(event, k.target);
    let bare = pop(event, k.bare);
    let target = if target.is_null() { bare } else { target };
    let stage = pop(event, k.stage);
    let after = pop(event, k.after);
    let hello_from = pop(event, k.hello_from);
    let client_from = pop(event, k.client_from);
    let stage_key = k.stage;
    if stage.truthy() {
        let stage = text(&stage)?.ok_or(NeedPython)?;
        let named = port.lookup("stages", stage).unwrap_or(Some(stage));
        event.set(stage_key, named.map_or(V::Null, s));
        if stage == "RCPT" {
            event.set(k.recipient, target.clone());
        } else if stage == "MAIL" && event.get(k.sender).is_null() && !target.is_null() {
            let target = text(&target)?.ok_or(NeedPython)?;
            event.set(k.sender, s(target.trim_matches(['<', '>'])));
        }
    } else if after.truthy() || pop(event, k.data_acl).truthy() {
        event.set(stage_key, s("DATA"));
    } else if pop(event, k.connection).truthy() {
        event.set(stage_key, s("CONNECT"));
    }
    if pop(event, k.hello).truthy() {
        event.set(stage_key, s("HELO"));
    }
    if !hello_from.is_null() || !client_from.is_null() {
        let from = if hello_from.truthy() {
            &hello_from
        } else {
            &client_from
        };
        let from = text(from)?.ok_or(NeedPython)?;
        let rx = port.regex("hello_from")?;
        if let Some(caps) = rx.captures(from.as_bytes()) {
            if event.get(k.client_ip).is_null() {
                for (g, name) in rx.capture_names().enumerate() {
                    if let (Some(name), Some(m)) = (name, caps.get(g)) {
                        let field = crate::correlate::value::key(name);
                        event.set(field, s(&from[m.start()..m.end()]));
                    }
                }
                match event.get(k.client_port) {
                    V::Str(p) if !p.is_empty() => {
                        let n = derive::int(p)?;
                        event.set(k.client_port, V::Int(n));
                    }
                    V::Str(_) | V::Null | V::Int(_) => {}
                    _ => return Err(NeedPython),
                }
            }
        }
    }
    if pop(event, k.temporarily).truthy() {
        event.set(k.action, s("defer"));
    }
    Ok(())
}
