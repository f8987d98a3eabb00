//! Sendmail's concerns, ported from `analyzer/correlate/sessions.py` (the `AUTH=server`
//! login of an SMTP session, rejects held for the session's `from=` line, a session's
//! AUTH failures) and `sendmail_hop.py` (the MSP -> MTA hop of a local submission: two
//! queue ids become ONE message, charged to the submitting uid). The state is kept as
//! the Python correlator keeps it, so the checkpoint parts (`logins`, `auth_seen`,
//! `held`, `handoffs`) carry over between the two paths.

use std::collections::VecDeque;

use rustc_hash::FxHashMap as HashMap;

use regex::Regex;

use super::ordmap::OrdMap;
use super::rules::{
    add_rcpts, message_row, mkey, session_key, str_of, LocalIp, MsgKey, Rules, SessionKey,
    AUTH_FAILURES_T, GRACE_US, MESSAGES_T,
};
use super::value::*;

const S: i64 = 1_000_000;
/// A Sendmail SMTP session silent this long has ended (`common.SESSION_US`).
pub const SESSION_US: i64 = 3600 * S;
/// Sendmail rejects wait this long for the session's `from=` line (`sessions.HOLD_US`).
pub const HOLD_US: i64 = 10 * 60 * S;

/// Sendmail's open state besides messages and sessions.
pub struct SendmailState {
    /// (host, program, pid) -> the session's login {ts, last_seen, client_ip, sasl_*}
    pub logins: OrdMap<SessionKey, Obj>,
    /// (host, program, pid) -> time of the session's last individual AUTH failure
    pub auth_seen: OrdMap<SessionKey, i64>,
    /// rejects waiting for their session's `from=` line, and when each key was held
    pub held: HashMap<MsgKey, Vec<Obj>>,
    pub held_order: VecDeque<(i64, MsgKey)>,
    /// MSP messages handed to an MTA queue id not seen yet
    pub handoffs: HashMap<MsgKey, Obj>,
    pub handoff_order: VecDeque<(i64, MsgKey)>,
    handoff_rx: Regex,
}

impl Default for SendmailState {
    fn default() -> Self {
        SendmailState {
            logins: OrdMap::default(),
            auth_seen: OrdMap::default(),
            held: HashMap::default(),
            held_order: VecDeque::new(),
            handoffs: HashMap::default(),
            handoff_order: VecDeque::new(),
            handoff_rx: Regex::new(r"(?:\()?([0-9A-Za-z]{12,18}) Message accepted for delivery")
                .expect("regex"),
        }
    }
}

/// `common._authenticated_proto`: ESMTPA, ESMTPSA (RFC 3848).
pub fn authenticated_proto(proto: Option<&str>) -> bool {
    match proto {
        Some(p) if !p.is_empty() => {
            matches!(p.chars().last(), Some('A' | 'a')) && p.to_uppercase().contains("SMTP")
        }
        _ => false,
    }
}

/// `sendmail_hop._loopback_relay`
pub fn loopback_relay(relay: Option<&str>) -> bool {
    relay.is_some_and(|r| r.contains("127.0.0.1") || r.contains("[::1]") || r.contains("localhost"))
}

fn counter_of(status: Option<&str>) -> Option<K> {
    match status {
        Some("sent") => Some(SENT),
        Some("deferred") => Some(DEFERRED),
        Some("bounced") => Some(BOUNCED),
        _ => None,
    }
}

fn add_to(msg: &mut Obj, counter: K, n: i64) {
    let was = msg.int(counter).unwrap_or(0);
    msg.set(counter, V::Int(was + n));
}

impl Rules {
    // --- sessions.py: rejects ---------------------------------------------------------
    /// `_reject`'s Sendmail part: a reject naming a queue id waits for the session's
    /// `from=` line (it names sender and client). True when it was held.
    pub fn hold_reject(&mut self, e: &Obj) -> bool {
        if e.str(FAMILY) != Some("sendmail") || !e.truthy(QUEUE_ID) {
            return false;
        }
        let key = mkey(str_of(e.get(HOST)), str_of(e.get(QUEUE_ID)));
        let ts = e.int(TS).unwrap_or(0);
        let sm = &mut self.sendmail;
        if !sm.held.contains_key(&key) {
            sm.held.insert(key.clone(), Vec::new());
            sm.held_order.push_back((ts, key.clone()));
            self.schedule(ts + HOLD_US + 1);
        }
        self.sendmail
            .held
            .get_mut(&key)
            .expect("held")
            .push(e.clone());
        true
    }

    /// `_release`: write a session's held rejects, completed by its `from=` line.
    pub fn release(&mut self, key: &MsgKey, arrival: Option<&Obj>, ask: &mut dyn LocalIp) {
        let Some(held) = self.sendmail.held.remove(key) else {
            return;
        };
        for mut e in held {
            if let Some(a) = arrival {
                if e.get(SENDER).is_null() {
                    e.set(SENDER, a.get(SENDER).clone());
                }
                if e.get(CLIENT_IP).is_null() {
                    e.set(CLIENT_NAME, a.get(CLIENT_NAME).clone());
                    e.set(CLIENT_IP, a.get(CLIENT_IP).clone());
                }
                if e.get(SASL_USERNAME).is_null() {
                    e.set(SASL_USERNAME, a.get(SASL_USERNAME).clone());
                }
                if e.get(PROTO).is_null() {
                    e.set(PROTO, a.get(PROTO).clone());
                }
            }
            self.write_reject(&mut e, ask);
            if e.str(STAGE) == Some("DATA") && self.messages.contains(key) {
                self.messages
                    .get_mut(key)
                    .expect("open")
                    .set(REJECTED, V::Bool(true));
                self.finish(key, true);
            }
        }
    }

    pub fn due_held(&mut self, now: i64, ask: &mut dyn LocalIp) {
        while let Some((ts, _)) = self.sendmail.held_order.front() {
            if ts + HOLD_US >= now {
                break;
            }
            let (_, key) = self.sendmail.held_order.pop_front().expect("front");
            self.release(&key, None, ask);
        }
    }

    pub fn next_held(&self, due: i64) -> i64 {
        match self.sendmail.held_order.front() {
            Some((ts, _)) => due.min(ts + HOLD_US + 1),
            None => due,
        }
    }

    // --- sessions.py: the login of an SMTP session -------------------------------------
    pub fn authenticated(&mut self, e: &Obj) {
        let ts = e.get(TS).clone();
        let login = Obj(vec![
            (TS, ts.clone()),
            (LAST_SEEN, ts),
            (CLIENT_IP, e.get(CLIENT_IP).clone()),
            (SASL_METHOD, e.get(SASL_METHOD).clone()),
            (SASL_USERNAME, e.get(SASL_USERNAME).clone()),
        ]);
        self.sendmail.logins.insert(session_key(e), login);
    }

    /// `_session_login`: give a `from=` its session's login, or end a login that cannot
    /// be its session's (another client, too long a silence, an unauthenticated proto).
    pub fn session_login(&mut self, e: &mut Obj) {
        let key = session_key(e);
        let ts = e.int(TS).unwrap_or(0);
        let proto = e.str(PROTO).filter(|p| !p.is_empty());
        let over = proto.is_some() && !authenticated_proto(proto);
        let Some(login) = self.sendmail.logins.get_mut(&key) else {
            return;
        };
        let last_seen = login.int(LAST_SEEN).unwrap_or(0);
        if login.get(CLIENT_IP) != e.get(CLIENT_IP) || ts - last_seen > SESSION_US || over {
            self.sendmail.logins.remove(&key);
            return;
        }
        if ts > last_seen {
            login.set(LAST_SEEN, V::Int(ts));
        }
        let (user, method) = (
            login.get(SASL_USERNAME).clone(),
            login.get(SASL_METHOD).clone(),
        );
        e.set(SASL_USERNAME, user);
        e.set(SASL_METHOD, method);
    }

    /// `_session_over`: a line only a new connection logs ends the process's login.
    pub fn session_over(&mut self, e: &Obj) {
        self.sendmail.logins.remove(&session_key(e));
    }

    pub fn auth_failed(&mut self, e: &Obj) {
        if e.str(FAMILY) == Some("sendmail") {
            let key = session_key(e);
            let ts = e.int(TS).unwrap_or(0);
            if e.truthy(SUMMARY) {
                // `possible SMTP attack: command=AUTH, count=N` sums up the session's
                // attempts; with LogLevel >= 10 each failure was logged already
                if let Some(seen) = self.sendmail.auth_seen.peek(&key) {
                    if ts - seen <= SESSION_US {
                        return;
                    }
                }
            } else {
                self.sendmail.auth_seen.insert(key, ts);
                if !self.sendmail.logins.is_empty() {
                    self.session_over(e);
                }
            }
        }
        self.sink(AUTH_FAILURES_T, e);
    }

    /// `_sweep_sessions`' Sendmail part: logins and AUTH failures past a session's life.
    pub fn sweep_sendmail(&mut self) {
        let cutoff = self.now - SESSION_US;
        let sm = &mut self.sendmail;
        for key in sm.logins.keys_in_order() {
            if sm
                .logins
                .peek(&key)
                .is_some_and(|l| l.int(LAST_SEEN).unwrap_or(0) < cutoff)
            {
                sm.logins.remove(&key);
            }
        }
        for key in sm.auth_seen.keys_in_order() {
            if sm.auth_seen.peek(&key).is_some_and(|ts| *ts < cutoff) {
                sm.auth_seen.remove(&key);
            }
        }
    }

    /// The logins still live (`_live_logins`), in order.
    pub fn live_logins(&self) -> Vec<(SessionKey, &Obj)> {
        let cutoff = self.now - SESSION_US;
        let logins = &self.sendmail.logins;
        logins
            .keys_in_order()
            .into_iter()
            .filter_map(|k| {
                let v = logins.peek(&k)?;
                (v.int(LAST_SEEN).unwrap_or(0) >= cutoff).then_some((k, v))
            })
            .collect()
    }

    // --- messages.py: a Sendmail message is done when every recipient is final ----------
    pub fn final_status(&mut self, key: &MsgKey, e: &Obj) {
        let Some(msg) = self.messages.peek(key) else {
            return;
        };
        let nrcpt = msg.get(NRCPT);
        let done = msg.int(SENT).unwrap_or(0) + msg.int(BOUNCED).unwrap_or(0);
        let reached = match nrcpt {
            V::Int(n) => done >= *n,
            V::Float(x) => (done as f64) >= *x,
            _ => false,
        };
        if nrcpt.truthy() && msg.get(REMOVED_AT).is_null() && reached {
            let ts = e.int(TS).unwrap_or(0);
            self.removed(str_of(e.get(HOST)), str_of(e.get(QUEUE_ID)), ts);
        }
    }

    // --- sendmail_hop.py ---------------------------------------------------------------
    /// `_hop`: the MSP hands a local submission to the MTA on localhost. `stat=Sent (B
    /// Message accepted for delivery)` names the MTA's queue id B: message B takes over
    /// the submitter's identity and the MSP message is not written.
    pub fn hop(&mut self, key: &MsgKey, e: &Obj) {
        let recipients: Vec<V> = match e.get(RECIPIENTS) {
            V::List(l) if !l.is_empty() => l.clone(),
            _ => vec![e.get(RECIPIENT).clone()],
        };
        let status = e.str(STATUS);
        let named = if status == Some("sent") {
            self.sendmail
                .handoff_rx
                .captures(e.str(RESPONSE).unwrap_or(""))
                .map(|c| c[1].to_owned())
        } else {
            None
        };
        let msp = self.messages.get_mut(key).expect("open message");
        if !e.get(UID).is_null() && msp.get(UID).is_null() {
            msp.set(UID, e.get(UID).clone());
        }
        add_rcpts(msp, recipients.iter().filter(|r| r.truthy()));
        let n = recipients.len() as i64;
        let Some(target_id) = named else {
            // deferred, or accepted by something that does not name a queue id
            if let Some(c) = counter_of(status) {
                add_to(msp, c, n);
            }
            self.final_status(key, e);
            return;
        };
        add_to(msp, SENT, n);
        let msp = self.messages.remove(key).expect("open message");
        let target = mkey(&key.0, &target_id);
        if self.messages.contains(&target) {
            let mta = self.messages.get_mut(&target).expect("open");
            merge(&msp, mta);
        } else {
            // the MTA's from= line comes later (or in another file): wait for it
            let ts = e.int(TS).unwrap_or(0);
            self.sendmail.handoffs.insert(target.clone(), msp);
            self.sendmail.handoff_order.push_back((ts, target));
            self.schedule(ts + GRACE_US + 1);
        }
    }

    /// `_claim_handoff`: the MTA's message arrives; its MSP hop may have come first.
    pub fn claim_handoff(&mut self, key: &MsgKey) {
        if let Some(msp) = self.sendmail.handoffs.remove(key) {
            if let Some(mta) = self.messages.get_mut(key) {
                merge(&msp, mta);
            }
        }
    }

    pub fn due_handoffs(&mut self, now: i64) {
        while let Some((ts, _)) = self.sendmail.handoff_order.front() {
            if ts + GRACE_US >= now {
                break;
            }
            let (_, key) = self.sendmail.handoff_order.pop_front().expect("front");
            if let Some(mut msp) = self.sendmail.handoffs.remove(&key) {
                // the MTA's lines never came: the MSP message stands alone
                message_row(&mut msp, true);
                self.sink(MESSAGES_T, &msp);
            }
        }
    }

    pub fn next_handoff(&self, due: i64) -> i64 {
        match self.sendmail.handoff_order.front() {
            Some((ts, _)) => due.min(ts + GRACE_US + 1),
            None => due,
        }
    }
}

/// `SendmailHop._merge`: the MTA's message takes over the MSP message's identity.
fn merge(msp: &Obj, mta: &mut Obj) {
    mta.set(ORIGIN, s("local"));
    mta.set(SUBMISSION_QUEUE_ID, msp.get(QUEUE_ID).clone());
    mta.set(PROGRAM, msp.get(PROGRAM).clone());
    for name in [UID, USER, SCRIPT, SCRIPT_PATH, SCRIPT_RANK, SUBJECT] {
        if !msp.get(name).is_null() {
            mta.set(name, msp.get(name).clone());
        }
    }
    if let V::List(rcpts) = msp.get(RCPTS) {
        if !rcpts.is_empty() {
            add_rcpts(mta, rcpts);
        }
    }
    let delivered = [SENT, DEFERRED, BOUNCED]
        .iter()
        .map(|c| mta.int(*c).unwrap_or(0))
        .sum::<i64>();
    if delivered == 0 {
        // no delivery row names the MTA's first_seen yet: the message began at the MSP
        if let (Some(a), Some(b)) = (mta.int(FIRST_SEEN), msp.int(FIRST_SEEN)) {
            mta.set(FIRST_SEEN, V::Int(a.min(b)));
        }
    }
    for name in [CLIENT_NAME, CLIENT_IP, SASL_USERNAME, SASL_METHOD] {
        mta.set(name, V::Null); // localhost and an MSP's own AUTH were only the hop
    }
}
