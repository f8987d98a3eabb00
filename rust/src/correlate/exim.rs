//! Exim's concerns, ported from `analyzer/correlate/exim_cwd.py` (the `cwd=` lines: the
//! working directory of the process that submitted a local message) and the Exim part
//! of `filters.py` (a scanner router's re-injection `P=spam-scanned`, found by the
//! original's Message-ID or Exim's own `E<id>@host`). The `cwds` are kept as the Python
//! correlator keeps them, so the checkpoint part carries over between the two paths.

use std::collections::VecDeque;

use regex::Regex;

use super::ordmap::OrdMap;
use super::rules::{mkey, str_of, MsgKey, Rules, FILTER_US};
use super::value::*;

/// An Exim `cwd=` line without a message id belongs to the next local arrival of the
/// same process within this time (`exim_cwd.CWD_US`).
pub const CWD_US: i64 = 10 * 1_000_000;
/// Keep at most this many `cwd=` lines per process.
const CWDS_PER_PROCESS: usize = 64;
/// script sources (`common._CWD_NEAR`, `_CWD_ID`): a `cwd=` line matched by process,
/// one naming the message id
const CWD_NEAR: i64 = 2;
const CWD_ID: i64 = 3;

/// (host, pid) of the process whose `cwd=` lines wait for its arrival
pub type CwdKey = (String, Option<i64>);

pub struct EximState {
    pub cwds: OrdMap<CwdKey, VecDeque<(i64, String)>>,
    spool: Regex,
    scanned_proto: Regex,
    own_mid: Regex,
}

impl Default for EximState {
    fn default() -> Self {
        EximState {
            cwds: OrdMap::default(),
            spool: Regex::new(r"^/var/spool/exim[^/]*/?$|^/$").expect("regex"),
            scanned_proto: Regex::new(r"(?i)scanned|spam|virus|filter").expect("regex"),
            own_mid: Regex::new(r"^E([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})@")
                .expect("regex"),
        }
    }
}

/// `common._set_script`: the strongest source of a message's script wins.
fn set_script(msg: &mut Obj, path: &str, rank: i64) {
    if rank >= msg.int(SCRIPT_RANK).unwrap_or(0) {
        msg.set(SCRIPT_PATH, s(path));
        msg.set(SCRIPT, s(path));
        msg.set(SCRIPT_RANK, V::Int(rank));
    }
}

impl Rules {
    /// `_cwd`: a `cwd=` line, by message id or waiting for its process's arrival.
    pub fn cwd(&mut self, e: &Obj) {
        let path = str_of(e.get(SCRIPT_PATH));
        if self.exim.spool.is_match(path) {
            return; // a queue runner's delivery process: not the submitter's directory
        }
        let host = str_of(e.get(HOST));
        if e.truthy(QUEUE_ID) {
            // `-Mc <id>`: the delivery process the submitter started
            if let Some(msg) = self.messages.get_mut(&mkey(host, str_of(e.get(QUEUE_ID)))) {
                set_script(msg, path, CWD_ID);
            }
            return;
        }
        let key = (host.to_owned(), e.int(PID));
        let ts = e.int(TS).unwrap_or(0);
        let path = path.to_owned();
        let cwds = &mut self.exim.cwds;
        match cwds.get_mut(&key) {
            Some(pending) => pending.push_back((ts, path)),
            None => cwds.insert(key.clone(), VecDeque::from([(ts, path)])),
        }
        let pending = cwds.get_mut(&key).expect("added");
        while pending.len() > CWDS_PER_PROCESS {
            pending.pop_front();
        }
    }

    /// `_claim_cwd`: a local arrival takes its process's recent `cwd=` line.
    pub fn claim_cwd(&mut self, key: &MsgKey, pid: Option<i64>) {
        let ckey = (key.0.clone(), pid);
        let Some(pending) = self.exim.cwds.get_mut(&ckey) else {
            return;
        };
        let msg = self.messages.get_mut(key).expect("open message");
        let ts = msg.int(FIRST_SEEN).unwrap_or(0);
        while let Some((seen, path)) = pending.pop_front() {
            if ts - seen <= CWD_US {
                set_script(msg, &path, CWD_NEAR);
                break;
            }
        }
        if pending.is_empty() {
            self.exim.cwds.remove(&ckey);
        }
    }

    pub fn sweep_cwds(&mut self) {
        let cutoff = self.now - CWD_US;
        let cwds = &mut self.exim.cwds;
        for key in cwds.keys_in_order() {
            let old = cwds
                .peek(&key)
                .is_some_and(|q| q.back().is_none_or(|(ts, _)| *ts < cutoff));
            if old {
                cwds.remove(&key);
            }
        }
    }

    /// `_scanner_arrival`: an Exim arrival received by a scanner's protocol
    /// (`P=spam-scanned`, a scanner router's `exim -oMr spam-scanned -bS`) re-injects the
    /// open message with the same Message-ID (or the one Exim named it after,
    /// `E<message id>@host`) begun shortly before on this host.
    pub fn scanner_arrival(&mut self, key: &MsgKey, e: &Obj) {
        if e.str(FAMILY) != Some("exim")
            || !e.truthy(MESSAGE_ID)
            || !self.exim.scanned_proto.is_match(e.str(PROTO).unwrap_or(""))
        {
            return;
        }
        let msg = self.messages.peek(key).expect("open message");
        let mid = str_of(msg.get(MESSAGE_ID)).to_owned();
        let parent_id = match self.by_mid.get(&mkey(&key.0, &mid)) {
            Some(qid) => Some(qid.clone()),
            None => self.exim.own_mid.captures(&mid).map(|c| c[1].to_owned()),
        };
        let Some(parent_id) = parent_id.filter(|p| !p.is_empty()) else {
            return;
        };
        if parent_id == key.1 {
            return; // the message itself
        }
        let first_seen = msg.int(FIRST_SEEN).unwrap_or(0);
        if msg.truthy(FILTER_OF) {
            return;
        }
        let parent = mkey(&key.0, &parent_id);
        let Some(parent_first) = self.messages.peek(&parent).map(|p| p.int(FIRST_SEEN)) else {
            return;
        };
        if (0..=FILTER_US).contains(&(first_seen - parent_first.unwrap_or(0))) {
            self.link_filter(&parent, &key.1, first_seen);
        }
    }
}
