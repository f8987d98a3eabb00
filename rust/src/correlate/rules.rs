//! The Postfix correlation rules, ported line for line from `analyzer/correlate/`
//! (core.py, messages.py, sessions.py, filters.py, `dataset/carried.message_row`,
//! `identity.identity_of`): events in, rows out, the open state kept as the Python
//! correlator keeps it. Exim's and Sendmail's own steps are in `exim.rs`, `sendmail.rs`
//! and `arrival.rs`; the engine hands a run to the Python correlator before any event
//! of another kind (PHP's, see `mod.rs`).

use std::collections::VecDeque;

use regex::Regex;
use rustc_hash::FxHashMap as HashMap;

use super::columns::Table;
use super::exim::EximState;
use super::ordmap::OrdMap;
use super::sendmail::SendmailState;
use super::value::*;

const S: i64 = 1_000_000;
pub const GRACE_US: i64 = 30 * S;
pub const STALE_US: i64 = 7 * 86_400 * S;
pub const SWEEP_EVERY: u64 = 200_000;
pub const FILTER_US: i64 = 10 * 60 * S;
const HEADER_RANK: i64 = 1;
pub const MAX_RCPTS: usize = 50;
/// An open message's fields at its start and room for those its later lines add
/// (`filtered_as`, `rcpts`, `identity`, ...), so that adding them moves nothing.
const MESSAGE_ROOM: usize = 36;

pub type MsgKey = (String, String);
pub type SessionKey = (String, String, Option<i64>);

/// The tables the rules write (indexes into `Rules::tables`).
pub const MESSAGES_T: usize = 0;
pub const DELIVERIES_T: usize = 1;
pub const REJECTS_T: usize = 2;
pub const AUTH_FAILURES_T: usize = 3;
pub const CONNECTIONS_T: usize = 4;
pub const NOTICES_T: usize = 5;
pub const CLIENT_RATES_T: usize = 6;
pub const TABLES: [&str; 7] = [
    "messages",
    "deliveries",
    "rejects",
    "auth_failures",
    "connections",
    "notices",
    "client_rates",
];

/// The events with a handler (`Correlator.handlers`, all but PHP's).
#[derive(Clone, Copy)]
enum Kind {
    Connect,
    Disconnect,
    Client,
    Pickup,
    ScriptHeader,
    MessageId,
    Queued,
    Delivery,
    Removed,
    Expired,
    Reject,
    AuthFailed,
    BounceNotice,
    Notice,
    ClientRate,
    Arrival,
    Authenticated,
    Cwd,
}

impl Kind {
    fn of(event: &str) -> Option<Kind> {
        Some(match event {
            "connect" => Kind::Connect,
            "disconnect" => Kind::Disconnect,
            "client" => Kind::Client,
            "pickup" => Kind::Pickup,
            "script_header" => Kind::ScriptHeader,
            "message_id" => Kind::MessageId,
            "queued" => Kind::Queued,
            "delivery" => Kind::Delivery,
            "removed" => Kind::Removed,
            "expired" => Kind::Expired,
            "reject" => Kind::Reject,
            "auth_failed" => Kind::AuthFailed,
            "bounce_notice" => Kind::BounceNotice,
            "notice" => Kind::Notice,
            "client_rate" => Kind::ClientRate,
            "arrival" => Kind::Arrival,
            "authenticated" => Kind::Authenticated,
            "cwd" => Kind::Cwd,
            _ => return None,
        })
    }
}

/// Is an IP local (`common.is_local_ip` with the run's `--local-ip`s), asked once per IP.
pub trait LocalIp {
    fn is_local(&mut self, ip: &str) -> bool;
}

pub struct Rules {
    pub now: i64,
    pub next_due: i64,
    pub since_sweep: u64,
    pub messages: OrdMap<MsgKey, Obj>,
    pub sessions: OrdMap<SessionKey, Obj>,
    pub closing: VecDeque<(i64, MsgKey)>,
    pub filter_links: OrdMap<MsgKey, (i64, Obj)>,
    pub by_mid: HashMap<MsgKey, String>,
    pub mta_hosts: Vec<(String, [i64; 2])>,
    pub local: HashMap<String, bool>,
    pub tables: Vec<Table>,
    pub sendmail: SendmailState,
    pub exim: EximState,
    pub reinjected: u64,
    pub error: Option<String>,
    /// the buffers of the last lookup key given back (`key_of`, `session_key_of`)
    spare_key: MsgKey,
    spare_session: SessionKey,
    reinjected_rx: Regex,
}

pub fn mkey(host: &str, qid: &str) -> MsgKey {
    (host.to_owned(), qid.to_owned())
}

/// `identity.identity_of`
pub fn identity_of(msg: &Obj) -> V {
    if msg.truthy(BOUNCE_IDENTITY) {
        return msg.get(BOUNCE_IDENTITY).clone();
    }
    if let V::Str(u) = msg.get(SASL_USERNAME) {
        if !u.is_empty() {
            return concat(&["sasl:", u]);
        }
    }
    match msg.get(UID) {
        V::Null => {}
        V::Int(n) => return V::Str(format!("uid:{n}")),
        V::Str(t) => return concat(&["uid:", t]),
        V::Bool(b) => return s(if *b { "uid:True" } else { "uid:False" }),
        _ => {}
    }
    if let V::Str(u) = msg.get(USER) {
        if !u.is_empty() {
            return concat(&["user:", u]);
        }
    }
    if let V::Str(ip) = msg.get(CLIENT_IP) {
        if !ip.is_empty() {
            return concat(&["ip:", ip]);
        }
    }
    V::Null
}

/// `dataset.carried.message_row`
pub fn message_row(msg: &mut Obj, complete: bool) {
    if msg.str(ORIGIN) == Some("unknown") && msg.str(SENDER) == Some("") {
        msg.set(ORIGIN, s("bounce"));
    }
    let identity = identity_of(msg);
    msg.set(IDENTITY, identity);
    msg.set(COMPLETE, V::Bool(complete));
}

/// `common._add_rcpts`
pub fn add_rcpts<'a>(msg: &mut Obj, recipients: impl IntoIterator<Item = &'a V>) {
    if msg.get(RCPTS).is_null() {
        msg.set(RCPTS, V::List(Vec::new()));
    }
    let Some(V::List(rcpts)) = msg.get_mut(RCPTS) else {
        return;
    };
    for r in recipients {
        if !r.truthy() {
            continue;
        }
        let Some(r) = r.str() else { continue };
        if rcpts.len() >= MAX_RCPTS {
            continue;
        }
        let r = V::Str(lower(r));
        if !rcpts.contains(&r) {
            rcpts.push(r);
        }
    }
}

/// `filters._CHARGED`: what a re-injected message takes over from the original
const CHARGED: [K; 12] = [
    ORIGIN,
    SASL_METHOD,
    SASL_USERNAME,
    UID,
    USER,
    SCRIPT,
    SCRIPT_PATH,
    SCRIPT_RANK,
    CLIENT_NAME,
    CLIENT_IP,
    BOUNCE_OF,
    BOUNCE_IDENTITY,
];

fn charge_of(parent: &Obj) -> Obj {
    let mut charge = Vec::with_capacity(CHARGED.len() + 1);
    charge.extend(CHARGED.iter().map(|k| (*k, parent.get(*k).clone())));
    let mut charge = Obj(charge);
    charge.set(FILTER_OF, parent.get(QUEUE_ID).clone());
    charge
}

const SESSION_COUNTERS: [K; 5] = [COUNTERS, AUTH_OK, AUTH_TOTAL, COMMANDS_OK, COMMANDS_TOTAL];
/// A session's fields at its start and those its disconnect adds.
const SESSION_ROOM: usize = 16;

impl Rules {
    pub fn new(tables: Vec<Table>) -> Rules {
        Rules {
            now: 0,
            next_due: 0,
            since_sweep: 0,
            messages: OrdMap::default(),
            sessions: OrdMap::default(),
            closing: VecDeque::new(),
            filter_links: OrdMap::default(),
            by_mid: HashMap::default(),
            mta_hosts: Vec::new(),
            local: HashMap::default(),
            tables,
            sendmail: SendmailState::default(),
            exim: EximState::default(),
            reinjected: 0,
            error: None,
            spare_key: MsgKey::default(),
            spare_session: SessionKey::default(),
            reinjected_rx: Regex::new(
                r"queued as ([0-9A-Za-z]{5,20})\b|\bid=([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})\b",
            )
            .expect("regex"),
        }
    }

    pub fn sink(&mut self, table: usize, row: &Obj) {
        if table == MESSAGES_T && row.truthy(FILTER_OF) {
            self.reinjected += 1;
        }
        if let Err(e) = self.tables[table].push(row) {
            self.error.get_or_insert(e);
        }
    }

    fn local_ip(&mut self, ip: &V, ask: &mut dyn LocalIp) -> bool {
        match ip.str() {
            Some(ip) => self.local_text(ip, ask),
            None => false,
        }
    }

    fn local_text(&mut self, ip: &str, ask: &mut dyn LocalIp) -> bool {
        if ip.is_empty() {
            return false;
        }
        if let Some(&known) = self.local.get(ip) {
            return known;
        }
        let known = ask.is_local(ip);
        self.local.insert(ip.to_owned(), known);
        known
    }

    // --- core.py ----------------------------------------------------------------------
    /// `Correlator.feed` for an MTA's event.
    pub fn feed(&mut self, mut e: Obj, ask: &mut dyn LocalIp) {
        let Some(kind) = e.str(EVENT).and_then(Kind::of) else {
            return; // no handler: not an event of a table (as in Python)
        };
        let ts = e.int(TS).unwrap_or(0);
        if ts > self.now {
            self.now = ts;
        }
        self.catch_up(ask);
        match kind {
            Kind::Connect => self.connect(&mut e),
            Kind::Disconnect => self.disconnect(&mut e),
            Kind::Client => self.client(&mut e),
            Kind::Pickup => self.pickup(&e),
            Kind::ScriptHeader => self.script_header(&e),
            Kind::MessageId => self.message_id(&mut e),
            Kind::Queued => self.queued(&e),
            Kind::Delivery => self.delivery(&mut e, ask),
            Kind::Removed => self.removed(str_of(e.get(HOST)), str_of(e.get(QUEUE_ID)), ts),
            Kind::Expired => self.expired(&e),
            Kind::Reject => self.reject(&mut e, ask),
            Kind::AuthFailed => self.auth_failed(&e),
            Kind::BounceNotice => self.bounce_notice(&e),
            Kind::Notice => self.sink(NOTICES_T, &e),
            Kind::ClientRate => self.sink(CLIENT_RATES_T, &e),
            Kind::Arrival => self.arrival(&mut e, ask),
            Kind::Authenticated => self.authenticated(&e),
            Kind::Cwd => self.cwd(&e),
        }
        self.since_sweep += 1;
        if self.since_sweep >= SWEEP_EVERY {
            self.since_sweep = 0;
            self.sweep_stale();
        }
    }

    /// Removed messages past their grace, then the rarer timed work whose log time has
    /// come (`_due`: held Sendmail rejects, MSP hand-overs; PHP joins are Python's).
    pub fn catch_up(&mut self, ask: &mut dyn LocalIp) {
        while let Some((ts, _)) = self.closing.front() {
            if ts + GRACE_US >= self.now {
                break;
            }
            let (_, key) = self.closing.pop_front().expect("front");
            self.finish(&key, true);
        }
        if self.now >= self.next_due {
            let now = self.now;
            self.due_held(now, ask);
            self.due_handoffs(now);
            self.next_due = self.next_handoff(self.next_held(STALE_US + now));
        }
    }

    /// `_schedule`: timed work due at `due`.
    pub fn schedule(&mut self, due: i64) {
        if due < self.next_due {
            self.next_due = due;
        }
    }

    pub fn sweep_stale(&mut self) {
        let cutoff = self.now - STALE_US;
        for key in self.messages.keys_in_order() {
            let stale = self
                .messages
                .peek(&key)
                .is_some_and(|m| m.int(LAST_SEEN).is_some_and(|t| t < cutoff));
            if stale {
                self.finish(&key, false);
            }
        }
        for key in self.sessions.keys_in_order() {
            let stale = self
                .sessions
                .peek(&key)
                .is_some_and(|m| m.int(LAST_SEEN).is_some_and(|t| t < cutoff));
            if stale {
                self.end_session(&key, None);
            }
        }
        self.sweep_sendmail();
        self.sweep_cwds();
        let limit = self.now - FILTER_US;
        for key in self.filter_links.keys_in_order() {
            if self
                .filter_links
                .peek(&key)
                .is_some_and(|(ts, _)| *ts < limit)
            {
                self.filter_links.remove(&key);
            }
        }
    }

    // --- php.py: the MTA hosts' time spans ----------------------------------------------
    fn saw_mta_host(&mut self, host: &str, ts: i64) {
        match self.mta_hosts.iter_mut().find(|(h, _)| h == host) {
            None => self.mta_hosts.push((host.to_owned(), [ts, ts])),
            Some((_, span)) => {
                if ts > span[1] {
                    span[1] = ts;
                } else if ts < span[0] {
                    span[0] = ts;
                }
            }
        }
    }

    // --- messages.py ------------------------------------------------------------------
    fn new_message(&mut self, host: &str, qid: &str, ts: i64, origin: &str) -> Obj {
        self.saw_mta_host(host, ts);
        let n = V::Null;
        let mut fields = Vec::with_capacity(MESSAGE_ROOM);
        fields.extend([
            (HOST, s(host)),
            (QUEUE_ID, s(qid)),
            (FIRST_SEEN, V::Int(ts)),
            (LAST_SEEN, V::Int(ts)),
            (ORIGIN, s(origin)),
            (PROGRAM, n.clone()),
            (SASL_METHOD, n.clone()),
            (SASL_USERNAME, n.clone()),
            (UID, n.clone()),
            (USER, n.clone()),
            (SCRIPT, n.clone()),
            (SCRIPT_PATH, n.clone()),
            (CLIENT_NAME, n.clone()),
            (CLIENT_IP, n.clone()),
            (SENDER, n.clone()),
            (SIZE, n.clone()),
            (NRCPT, n.clone()),
            (MESSAGE_ID, n.clone()),
            (SUBJECT, n.clone()),
            (SUBMISSION_QUEUE_ID, n.clone()),
            (FILTER_OF, n.clone()),
            (SENT, V::Int(0)),
            (DEFERRED, V::Int(0)),
            (BOUNCED, V::Int(0)),
            (EXPIRED, V::Bool(false)),
            (REJECTED, V::Bool(false)),
            (REMOVED_AT, n),
        ]);
        Obj(fields)
    }

    /// The key of `host`, `qid` in the buffers of the last key given back: most lines
    /// look up a message that is open already, and then allocate nothing for it.
    fn key_of(&mut self, host: &str, qid: &str) -> MsgKey {
        let mut key = std::mem::take(&mut self.spare_key);
        key.0.clear();
        key.0.push_str(host);
        key.1.clear();
        key.1.push_str(qid);
        key
    }

    /// A key no longer needed, its buffers kept for `key_of`.
    fn give_back(&mut self, key: MsgKey) {
        self.spare_key = key;
    }

    /// `session_key(e)` in the buffers of the last session key given back.
    fn session_key_of(&mut self, e: &Obj) -> SessionKey {
        let mut key = std::mem::take(&mut self.spare_session);
        key.0.clear();
        key.0.push_str(str_of(e.get(HOST)));
        key.1.clear();
        key.1.push_str(str_of(e.get(PROGRAM)));
        key.2 = e.int(PID);
        key
    }

    /// `_message`: the open message of this queue id, created on first sight.
    fn message(&mut self, host: &str, qid: &str, ts: i64) -> MsgKey {
        let key = self.key_of(host, qid);
        match self.messages.get_mut(&key) {
            Some(msg) => {
                if msg.int(LAST_SEEN).is_some_and(|last| ts > last) {
                    msg.set(LAST_SEEN, V::Int(ts));
                }
            }
            None => {
                let mut msg = self.new_message(host, qid, ts, "unknown");
                if !self.filter_links.is_empty() {
                    if let Some((_, charge)) = self.filter_links.peek(&key) {
                        msg.update(charge);
                    }
                }
                self.messages.insert(key.clone(), msg);
            }
        }
        key
    }

    fn msg(&mut self, key: &MsgKey) -> &mut Obj {
        self.messages.get_mut(key).expect("open message")
    }

    /// `_message` of the event's queue id, for a line that only changes its message.
    fn event_msg(&mut self, e: &Obj) -> &mut Obj {
        let key = self.event_message(e);
        let msg = self.messages.get_mut(&key).expect("open message");
        self.spare_key = key;
        msg
    }

    /// `_origin_message`: a message-starting line; a queue id that already had its start
    /// is being reused, so the earlier lifecycle ends here.
    pub fn origin_message(&mut self, e: &Obj, origin: &str) -> MsgKey {
        let (host, qid, ts) = (
            str_of(e.get(HOST)),
            str_of(e.get(QUEUE_ID)),
            e.int(TS).unwrap_or(0),
        );
        let key = self.key_of(host, qid);
        let ended = self.messages.get_mut(&key).map(|msg| {
            let removed = !msg.get(REMOVED_AT).is_null();
            let restart =
                (msg.str(ORIGIN) != Some("unknown") && !msg.get(PROGRAM).is_null()) || removed;
            (restart, removed)
        });
        let exists = match ended {
            Some((true, removed)) => {
                self.finish(&key, removed);
                false
            }
            Some((false, _)) => true,
            None => false,
        };
        if !exists {
            let msg = self.new_message(host, qid, ts, origin);
            self.messages.insert(key.clone(), msg);
        }
        let program = e.get(PROGRAM).clone();
        let msg = self.msg(&key);
        msg.set(ORIGIN, s(origin));
        msg.set(PROGRAM, program);
        if msg.int(FIRST_SEEN).is_some_and(|first| ts < first) {
            msg.set(FIRST_SEEN, V::Int(ts));
        }
        key
    }

    /// (The client's name and address move from the event: nothing reads them after.)
    fn client(&mut self, e: &mut Obj) {
        let origin = if e.truthy(SASL_USERNAME) {
            "sasl"
        } else {
            "smtp"
        };
        let key = self.origin_message(e, origin);
        let msg = self.msg(&key);
        msg.set(CLIENT_NAME, e.take(CLIENT_NAME));
        msg.set(CLIENT_IP, e.take(CLIENT_IP));
        msg.set(SASL_METHOD, e.get(SASL_METHOD).clone());
        msg.set(SASL_USERNAME, e.get(SASL_USERNAME).clone());
        if e.truthy(ORIG_QUEUE_ID) || !self.filter_links.is_empty() {
            self.claim_filter_link(&key, e.get(ORIG_QUEUE_ID));
        }
        self.give_back(key);
        self.session_message(e);
    }

    fn pickup(&mut self, e: &Obj) {
        let key = self.origin_message(e, "local");
        let msg = self.messages.get_mut(&key).expect("open message");
        self.spare_key = key;
        msg.set(UID, e.get(UID).clone());
        if msg.get(SENDER).is_null() {
            msg.set(SENDER, e.get(SENDER).clone());
        }
        // (`_local_submission` waits for PHP entries only once one was seen: never here)
    }

    fn script_header(&mut self, e: &Obj) {
        let msg = self.event_msg(e);
        if msg.get(UID).is_null() {
            msg.set(UID, e.get(UID).clone());
        }
        if msg.get(SCRIPT).is_null() {
            msg.set(SCRIPT, e.get(SCRIPT).clone());
            msg.set(SCRIPT_RANK, V::Int(HEADER_RANK));
        }
        if e.truthy(RECIPIENT) {
            add_rcpts(msg, [e.get(RECIPIENT)]);
        }
    }

    fn event_message(&mut self, e: &Obj) -> MsgKey {
        let (host, qid) = (str_of(e.get(HOST)), str_of(e.get(QUEUE_ID)));
        self.message(host, qid, e.int(TS).unwrap_or(0))
    }

    fn bounce_notice(&mut self, e: &Obj) {
        let host = str_of(e.get(HOST));
        let original = mkey(host, str_of(e.get(QUEUE_ID)));
        let had_original = self.messages.get_mut(&original).is_some();
        let notice = self.message(host, str_of(e.get(NEW_QUEUE_ID)), e.int(TS).unwrap_or(0));
        self.msg(&notice).set(BOUNCE_OF, e.get(QUEUE_ID).clone());
        if had_original {
            if let Some(orig) = self.messages.peek(&original) {
                let identity = identity_of(orig);
                self.msg(&notice).set(BOUNCE_IDENTITY, identity);
            }
        }
    }

    fn message_id(&mut self, e: &mut Obj) {
        let key = self.event_message(e);
        let named = e.truthy(MESSAGE_ID);
        // moved, not copied: the event is done with after this
        let mid = e.take(MESSAGE_ID);
        self.msg(&key).set(MESSAGE_ID, mid);
        if named {
            self.index_mid(&key);
        }
        self.give_back(key);
    }

    fn queued(&mut self, e: &Obj) {
        let msg = self.event_msg(e);
        msg.set(SENDER, e.get(SENDER).clone());
        msg.set(SIZE, e.get(SIZE).clone());
        msg.set(NRCPT, e.get(NRCPT).clone());
    }

    fn delivery(&mut self, e: &mut Obj, ask: &mut dyn LocalIp) {
        let key = self.event_message(e);
        if e.str(STATUS) == Some("sent") && self.filter_hop(&key, e, ask) {
            e.set(STATUS, s("filtered"));
        }
        let family = e.str(FAMILY);
        let sendmail = family == Some("sendmail");
        if family != Some("postfix") && !self.mta_delivery(&key, e) {
            return; // the Sendmail MSP's hand-over to the MTA
        }
        // taken out of the event: no table has the list as a column, and no later step
        // reads it
        let recipients = match e.get_mut(RECIPIENTS) {
            Some(V::List(l)) if !l.is_empty() => Some(std::mem::take(l)),
            _ => None,
        };
        let counter = match e.str(STATUS) {
            Some("sent") => Some(SENT),
            Some("deferred") => Some(DEFERRED),
            Some("bounced") => Some(BOUNCED),
            _ => None,
        };
        let msg = self.msg(&key);
        let local = msg.str(ORIGIN) == Some("local");
        if let Some(c) = counter {
            let add = recipients.as_ref().map_or(1, |r| r.len() as i64);
            let n = msg.int(c).unwrap_or(0);
            msg.set(c, V::Int(n + add));
        }
        if local {
            match &recipients {
                Some(r) => add_rcpts(msg, r),
                None => add_rcpts(msg, [e.get(RECIPIENT)]),
            }
            if e.truthy(ORIG_RECIPIENT) {
                add_rcpts(msg, [e.get(ORIG_RECIPIENT)]);
            }
        }
        let first_seen = msg.get(FIRST_SEEN).clone();
        let identity = identity_of(msg);
        e.set(MESSAGE_FIRST_SEEN, first_seen);
        e.set(IDENTITY, identity);
        match recipients {
            None => self.sink(DELIVERIES_T, e),
            Some(list) => {
                // one row per recipient: the event with that recipient (set in place,
                // each row's fields are those of a copy of the event)
                for recipient in list {
                    let domain = match recipient.str() {
                        Some(r) => match r.rfind('@') {
                            Some(at) => V::Str(lower(&r[at + 1..])),
                            None => V::Null,
                        },
                        None => V::Null,
                    };
                    e.set(RECIPIENT, recipient);
                    e.set(RECIPIENT_DOMAIN, domain);
                    self.sink(DELIVERIES_T, e);
                }
            }
        }
        if sendmail {
            self.final_status(&key, e);
        }
        self.give_back(key);
    }

    fn expired(&mut self, e: &Obj) {
        let msg = self.event_msg(e);
        msg.set(EXPIRED, V::Bool(true));
        if msg.get(SENDER).is_null() {
            msg.set(SENDER, e.get(SENDER).clone());
        }
    }

    pub fn removed(&mut self, host: &str, qid: &str, ts: i64) {
        let key = self.message(host, qid, ts);
        let msg = self.msg(&key);
        if msg.get(REMOVED_AT).is_null() {
            msg.set(REMOVED_AT, V::Int(ts));
            self.closing.push_back((ts, key));
        } else {
            self.give_back(key);
        }
    }

    pub fn finish(&mut self, key: &MsgKey, removed: bool) {
        if let Some(mut msg) = self.messages.remove(key) {
            if msg.truthy(MESSAGE_ID) {
                self.unindex_mid(&msg);
            }
            message_row(&mut msg, removed);
            self.sink(MESSAGES_T, &msg);
        }
    }

    // --- sessions.py --------------------------------------------------------------------
    fn reject(&mut self, e: &mut Obj, ask: &mut dyn LocalIp) {
        if !self.sendmail.logins.is_empty() && e.str(STAGE) == Some("CONNECT") {
            self.session_over(e);
        }
        if e.get(SASL_USERNAME).is_null() {
            let skey = self.session_key_of(e);
            let login = self
                .sessions
                .get_mut(&skey)
                .map_or(V::Null, |s| s.get(SASL_USERNAME).clone());
            self.spare_session = skey;
            e.set(SASL_USERNAME, login);
        }
        if self.hold_reject(e) {
            return; // until the session's from= line names sender and client
        }
        self.write_reject(e, ask);
        // A message rejected at DATA or after has no `removed` line: it ends here.
        if e.truthy(QUEUE_ID) && matches!(e.str(STAGE), Some("DATA" | "END-OF-MESSAGE")) {
            let key = mkey(str_of(e.get(HOST)), str_of(e.get(QUEUE_ID)));
            if self.messages.contains(&key) {
                self.msg(&key).set(REJECTED, V::Bool(true));
                self.finish(&key, true);
            }
        }
    }

    pub fn write_reject(&mut self, e: &mut Obj, ask: &mut dyn LocalIp) {
        let local = self.local_ip(e.get(CLIENT_IP), ask);
        e.set(LOCAL_CLIENT, V::Bool(local));
        self.sink(REJECTS_T, e);
    }

    /// A session opens (its fields move from the event: what reads the event after
    /// this, a disconnect's counters, is not among them).
    fn connect(&mut self, e: &mut Obj) {
        let key = session_key(e);
        if self.sessions.contains(&key) {
            self.end_session(&key, None); // its disconnect was lost
        }
        let ts = e.get(TS).clone();
        let mut session = Vec::with_capacity(SESSION_ROOM);
        session.extend([
            (TS, ts.clone()),
            (HOST, e.take(HOST)),
            (PROGRAM, e.take(PROGRAM)),
            (PID, e.get(PID).clone()),
            (CLIENT_NAME, e.take(CLIENT_NAME)),
            (CLIENT_IP, e.take(CLIENT_IP)),
            (SASL_METHOD, V::Null),
            (SASL_USERNAME, V::Null),
            (MESSAGES, V::Int(0)),
            (LAST_SEEN, ts),
        ]);
        self.sessions.insert(key, Obj(session));
    }

    fn disconnect(&mut self, e: &mut Obj) {
        let key = self.session_key_of(e);
        if !self.sessions.contains(&key) {
            self.connect(e); // connected before the logs began
        }
        self.end_session(&key, Some(e));
        self.spare_session = key;
    }

    fn end_session(&mut self, key: &SessionKey, disconnect: Option<&mut Obj>) {
        let Some(mut session) = self.sessions.remove(key) else {
            return;
        };
        if let Some(d) = disconnect {
            session.set(DISCONNECT_TS, d.get(TS).clone());
            for name in SESSION_COUNTERS {
                session.set(name, d.take(name));
            }
        }
        self.sink(CONNECTIONS_T, &session);
    }

    fn session_message(&mut self, e: &Obj) {
        let key = self.session_key_of(e);
        if let Some(session) = self.sessions.get_mut(&key) {
            let n = session.int(MESSAGES).unwrap_or(0);
            session.set(MESSAGES, V::Int(n + 1));
            if e.truthy(SASL_USERNAME) {
                session.set(SASL_METHOD, e.get(SASL_METHOD).clone());
                session.set(SASL_USERNAME, e.get(SASL_USERNAME).clone());
            }
        }
        self.spare_session = key;
    }

    // --- filters.py ---------------------------------------------------------------------
    pub fn index_mid(&mut self, key: &MsgKey) {
        if let Some(msg) = self.messages.peek(key) {
            if let Some(mid) = msg.str(MESSAGE_ID) {
                self.by_mid.insert(mkey(&key.0, mid), key.1.clone());
            }
        }
    }

    fn unindex_mid(&mut self, msg: &Obj) {
        let (Some(host), Some(mid)) = (msg.str(HOST), msg.str(MESSAGE_ID)) else {
            return;
        };
        let mid_key = mkey(host, mid);
        if self.by_mid.get(&mid_key).map(String::as_str) == msg.str(QUEUE_ID) {
            self.by_mid.remove(&mid_key);
        }
    }

    /// `_filter_hop`: is this `sent` delivery the hand-over to a content filter that
    /// re-injected the message here?
    fn filter_hop(&mut self, key: &MsgKey, e: &Obj, ask: &mut dyn LocalIp) -> bool {
        if e.str(FAMILY) == Some("sendmail") {
            return false; // milters filter in-line; the MSP -> MTA hop is `hop`
        }
        // the group is the match less its literal prefix: a search without captures
        // finds it (and is the cheaper search)
        let relay_ip = bracketed(e.str(RELAY).unwrap_or(""));
        let own = match relay_ip {
            Some(ip) => self.local_text(ip, ask),
            None => false,
        };
        let response = e.str(RESPONSE).unwrap_or("");
        let named = self.reinjected_rx.find(response).map(|m| {
            let found = m.as_str();
            found
                .strip_prefix("queued as ")
                .or_else(|| found.strip_prefix("id="))
                .unwrap_or("")
        });
        let host = &key.0;
        let child_id;
        if let Some(named) = named {
            if named == key.1 {
                return false;
            }
            let child_key = self.key_of(host, named);
            let child = self.messages.get_mut(&child_key);
            // (the client's address as `V`'s equality compares it: None equals None)
            let same_client = child.is_some_and(|c| match (c.get(CLIENT_IP), relay_ip) {
                (V::Str(ip), Some(relay)) => ip == relay,
                (V::Null, None) => true,
                _ => false,
            });
            self.give_back(child_key);
            if !own && !same_client {
                return false; // a remote server's queue id
            }
            child_id = named.to_owned();
        } else if own && response.contains("from MTA(") {
            let msg = self.messages.peek(key).expect("open message");
            let (first_seen, parent_qid) = (msg.int(FIRST_SEEN).unwrap_or(0), key.1.clone());
            let found = msg
                .str(MESSAGE_ID)
                .filter(|m| !m.is_empty())
                .and_then(|mid| self.by_mid.get(&mkey(host, mid)).cloned());
            let Some(found) = found else { return false };
            let Some(child) = self.messages.get_mut(&mkey(host, &found)) else {
                return false;
            };
            let child_first = child.int(FIRST_SEEN).unwrap_or(0);
            let ts = e.int(TS).unwrap_or(0);
            let filter_of = child.get(FILTER_OF).clone();
            let child_ip = child.get(CLIENT_IP).clone();
            if found == key.1
                || child_first < first_seen
                || !(0..=FILTER_US).contains(&(ts - child_first))
                || !(filter_of.is_null() || filter_of.str() == Some(parent_qid.as_str()))
                || !self.local_ip(&child_ip, ask)
            {
                return false;
            }
            child_id = found;
        } else {
            // Exim's scanner router pipes to `exim -bS`: a delivery without a remote host
            // of a message already re-injected (see `scanner_arrival`)
            let filtered = self
                .messages
                .peek(key)
                .is_some_and(|m| m.truthy(FILTERED_AS));
            return filtered && e.str(FAMILY) == Some("exim") && relay_ip.is_none();
        }
        self.link_filter(key, &child_id, e.int(TS).unwrap_or(0));
        true
    }

    pub fn link_filter(&mut self, parent: &MsgKey, child_id: &str, ts: i64) {
        let msg = self.msg(parent);
        if msg.get(FILTERED_AS).is_null() && !msg.has(FILTERED_AS) {
            msg.set(FILTERED_AS, V::List(Vec::new()));
        }
        if let Some(V::List(children)) = msg.get_mut(FILTERED_AS) {
            let id = s(child_id);
            if !children.contains(&id) {
                children.push(id);
            }
        }
        let charge = charge_of(msg);
        let key = self.key_of(&parent.0, child_id);
        match self.messages.get_mut(&key) {
            Some(child) => {
                child.update_from(charge);
                self.give_back(key);
            }
            None => self.filter_links.insert(key, (ts, charge)),
        }
    }

    /// `_claim_filter_link`: a filter hop named this message already, or its client line
    /// names the message it re-injects (`orig_queue_id=`).
    pub fn claim_filter_link(&mut self, key: &MsgKey, orig_queue_id: &V) {
        if let Some((_, charge)) = self.filter_links.remove(key) {
            self.msg(key).update_from(charge);
        } else if orig_queue_id.truthy() {
            let Some(orig) = orig_queue_id.str() else {
                return;
            };
            let parent = mkey(&key.0, orig);
            if parent != *key && self.messages.get_mut(&parent).is_some() {
                let first_seen = self.msg(key).int(FIRST_SEEN).unwrap_or(0);
                self.link_filter(&parent, &key.1.clone(), first_seen);
            }
        }
    }

    /// `_load_filters`: the open messages indexed by Message-ID, oldest first.
    pub fn index_loaded(&mut self) {
        let mut keys: Vec<(i64, MsgKey)> = self
            .messages
            .keys_in_order()
            .into_iter()
            .filter_map(|k| {
                let m = self.messages.peek(&k)?;
                Some((m.int(FIRST_SEEN).unwrap_or(0), k))
            })
            .collect();
        keys.sort_by_key(|(first, _)| *first); // stable: dict order among equals
        for (_, k) in keys {
            if self.messages.peek(&k).is_some_and(|m| m.truthy(MESSAGE_ID)) {
                self.index_mid(&k);
            }
        }
    }
}

/// `re.search(r"\[([^\]\s]+)\]", text)`'s group: the text after the first `[` whose
/// run of other characters (no `]`, no white space) is not empty and ends at a `]`.
fn bracketed(text: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(open) = text[from..].find('[') {
        let start = from + open + 1;
        let rest = &text[start..];
        let run = rest
            .find(|c: char| c == ']' || c.is_whitespace())
            .unwrap_or(rest.len());
        if run > 0 && rest[run..].starts_with(']') {
            return Some(&rest[..run]);
        }
        from = start;
    }
    None
}

pub fn str_of(v: &V) -> &str {
    v.str().unwrap_or("")
}

pub fn session_key(e: &Obj) -> SessionKey {
    (
        str_of(e.get(HOST)).to_owned(),
        str_of(e.get(PROGRAM)).to_owned(),
        e.int(PID),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketed_is_the_regex_search() {
        let rx = Regex::new(r"\[([^\]\s]+)\]").unwrap();
        for text in [
            "",
            "[",
            "]",
            "[]",
            "a[b]c",
            "x[1.2.3.4]:25",
            "[a b][c]",
            "[[a]",
            "[a[b]]",
            "[ ]x[y]",
            "h[\u{2003}]z[k]",
            "[\u{e9}t\u{e9}]",
            "none[]then[ip]",
            "[a]b[c]",
        ] {
            let want = rx.captures(text).map(|c| c.get(1).unwrap().as_str());
            assert_eq!(bracketed(text), want, "{text:?}");
        }
    }
}
