//! What Exim and Sendmail messages share, ported from `analyzer/correlate/messages.py`:
//! an `arrival` (Exim `<=`, Sendmail `from=`, a Sendmail DSN) starts a message with all
//! its line says at once, and a delivery of either MTA has its own steps (the Sendmail
//! MSP hop, `ctladdr=` uid, the transport's agent, a message complete when every
//! recipient is final).

use super::rules::{mkey, str_of, LocalIp, MsgKey, Rules, MAX_RCPTS};
use super::sendmail::{authenticated_proto, loopback_relay};
use super::value::*;

/// `messages._ARRIVAL_FIELDS`: what an arrival sets on its message (the last two, a
/// login, only for a local submission: there it is an identity).
const ARRIVAL_FIELDS: [K; 10] = [
    CLIENT_NAME,
    CLIENT_IP,
    SASL_METHOD,
    SASL_USERNAME,
    SIZE,
    NRCPT,
    MESSAGE_ID,
    SUBJECT,
    USER,
    UID,
];

/// `messages._origin_of`
fn origin_of(e: &Obj) -> &'static str {
    if e.truthy(SASL_USERNAME) {
        return "sasl";
    }
    // `proto.lower().startswith("local")`: no other character lowers to these letters
    let proto = e.str(PROTO).unwrap_or("").as_bytes();
    let local = proto
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"local"))
        || (e.truthy(USER) && !e.truthy(CLIENT_IP));
    if e.str(SENDER) == Some("") && (e.truthy(BOUNCE_OF) || local) {
        return "bounce"; // MTA-generated (Exim `<= <> R=<id>`, a bounce it made itself)
    }
    if local {
        "local"
    } else if e.truthy(CLIENT_IP) {
        "smtp"
    } else {
        "unknown"
    }
}

impl Rules {
    /// `_arrival`: a message arrives with everything its line says.
    pub fn arrival(&mut self, e: &mut Obj, ask: &mut dyn LocalIp) {
        let host = str_of(e.get(HOST)).to_owned();
        let key = mkey(&host, str_of(e.get(QUEUE_ID)));
        let family = e.str(FAMILY).unwrap_or("").to_owned();
        let sendmail = family == "sendmail";
        if sendmail {
            if !self.sendmail.logins.is_empty() && e.truthy(CLIENT_IP) && !e.truthy(SASL_USERNAME) {
                self.session_login(e);
            }
            if matches!(e.get(NRCPT), V::Int(0)) {
                // every recipient was refused: no message, only rejects
                self.release(&key, Some(e), ask);
                return;
            }
        }
        let mut origin = match e.str(ORIGIN) {
            Some(o) if !o.is_empty() => o.to_owned(),
            _ => origin_of(e).to_owned(),
        };
        if sendmail && origin == "smtp" && authenticated_proto(e.str(PROTO)) {
            origin = "sasl".to_owned(); // ESMTPA without its AUTH line in view
        }
        let local = origin == "local";
        let key = self.origin_message(e, &origin);
        let names = if local {
            &ARRIVAL_FIELDS[..]
        } else {
            &ARRIVAL_FIELDS[..ARRIVAL_FIELDS.len() - 2]
        };
        let msg = self.messages.get_mut(&key).expect("open message");
        for name in names {
            let value = e.get(*name);
            if !value.is_null() {
                msg.set(*name, value.clone());
            }
        }
        if !e.get(SENDER).is_null() {
            msg.set(SENDER, e.get(SENDER).clone());
        }
        if local {
            if let V::List(recipients) = e.get(RECIPIENTS) {
                if !recipients.is_empty() {
                    let lowered = recipients
                        .iter()
                        .take(MAX_RCPTS)
                        .map(|r| match r {
                            V::Str(t) => V::Str(lower(t)),
                            other => other.clone(),
                        })
                        .collect();
                    msg.set(RCPTS, V::List(lowered));
                }
            }
        }
        if !self.sendmail.handoffs.is_empty() {
            self.claim_handoff(&key); // its MSP hop was logged first
        }
        if !self.filter_links.is_empty() {
            self.claim_filter_link(&key, &V::Null);
        }
        self.scanner_arrival(&key, e);
        if e.truthy(MESSAGE_ID) {
            self.index_mid(&key);
        }
        if local
            && !self
                .messages
                .peek(&key)
                .is_some_and(|m| m.truthy(FILTER_OF))
            && family == "exim"
        {
            self.claim_cwd(&key, e.int(PID));
        }
        let expiry = e
            .str(REASON)
            .is_some_and(|r| r.starts_with("Cannot send message"));
        if e.truthy(BOUNCE_OF) && expiry {
            let original = mkey(&host, str_of(e.get(BOUNCE_OF)));
            if let Some(msg) = self.messages.get_mut(&original) {
                // Sendmail gave up on it: the DSN reports the expiry
                msg.set(EXPIRED, V::Bool(true));
                self.removed(&original.0, &original.1, e.int(TS).unwrap_or(0));
            }
        }
        if self.sendmail.held.contains_key(&key) {
            self.release(&key, Some(e), ask);
        }
    }

    /// `_delivery`'s steps for Exim and Sendmail before the counters; false when the
    /// line was the MSP's hand-over to the MTA (not a delivery).
    pub fn mta_delivery(&mut self, key: &MsgKey, e: &mut Obj) -> bool {
        let family = e.str(FAMILY).unwrap_or("").to_owned();
        let local = self
            .messages
            .peek(key)
            .is_some_and(|m| m.str(ORIGIN) == Some("local"));
        if family == "sendmail" && local {
            if loopback_relay(e.str(RELAY)) {
                self.hop(key, e); // the MSP hands the message to the MTA
                return false;
            }
            let msg = self.messages.get_mut(key).expect("open message");
            if !e.get(UID).is_null() && msg.get(UID).is_null() {
                msg.set(UID, e.get(UID).clone()); // `ctladdr=user (uid/gid)`
            }
        }
        if let Some(agent) = e.str(AGENT).filter(|a| !a.is_empty()) {
            let program = concat(&[str_of(e.get(PROGRAM)), "/", agent]);
            e.set(PROGRAM, program);
        }
        true
    }
}
