//! The correlator's data: JSON-like values (`V`) and small insertion-ordered objects
//! (`Obj`) keyed by interned names, so that events, open messages and sessions keep the
//! exact shape the Python correlator's dicts have (the checkpoint stores them as JSON).

use rustc_hash::FxHashMap as HashMap;
use std::sync::{Mutex, OnceLock};

use pyo3::prelude::*;

use crate::event::Val;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

pub type K = u16;

#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<V>),
    Obj(Obj),
}

impl V {
    pub fn str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self) -> Option<i64> {
        match self {
            V::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, V::Null)
    }

    /// Python's truth value.
    pub fn truthy(&self) -> bool {
        match self {
            V::Null => false,
            V::Bool(b) => *b,
            V::Int(n) => *n != 0,
            V::Float(x) => *x != 0.0,
            V::Str(s) => !s.is_empty(),
            V::List(l) => !l.is_empty(),
            V::Obj(o) => !o.0.is_empty(),
        }
    }
}

pub fn s(text: &str) -> V {
    V::Str(String::from(text))
}

/// The text with its ASCII letters lowered, in its copy.
pub fn ascii_lower(text: &str) -> String {
    let mut low = String::from(text);
    low.make_ascii_lowercase();
    low
}

/// Python's `text.lower()`.
pub fn lower(text: &str) -> String {
    if text.is_ascii() {
        ascii_lower(text)
    } else {
        text.to_lowercase()
    }
}

/// A parsed line's field value (`texts`: the parse core's interned names, `fixed`: its
/// patterns' fixed values).
pub fn parsed(v: Val<'_>, texts: &[String], fixed: &[V]) -> V {
    match v {
        Val::Str(t) => s(t),
        Val::Name(i) => s(&texts[i]),
        Val::Int(n) => V::Int(n),
        Val::Float(x) => V::Float(x),
        Val::Fixed(i) => fixed[i].clone(),
        Val::Lower(t) => V::Str(ascii_lower(t)), // (only ASCII lines are parsed in Rust)
        Val::None => V::Null,
    }
}

/// The parts joined, as one text.
pub fn concat(parts: &[&str]) -> V {
    let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        text.push_str(part);
    }
    V::Str(text)
}

pub static NULL: V = V::Null;

/// A dict: keys in insertion order, setting an existing key keeps its place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Obj(pub Vec<(K, V)>);

impl Obj {
    /// `d.get(k)`: Null when absent.
    pub fn get(&self, k: K) -> &V {
        self.slot(k).map_or(&NULL, |i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, k: K) -> Option<&mut V> {
        self.slot(k).map(|i| &mut self.0[i].1)
    }

    /// The index of key `k` (keys are unique: `set` keeps them so). An open message has
    /// most of its fields at the index of their key id (the key ids' order, `keys!`):
    /// looked at first, which spares a search of its ~30 fields.
    fn slot(&self, k: K) -> Option<usize> {
        match self.0.get(k as usize) {
            Some((key, _)) if *key == k => Some(k as usize),
            _ => self.0.iter().position(|(key, _)| *key == k),
        }
    }

    /// `d.get(k)` of a dict done with afterwards: the value moves out (Null left).
    pub fn take(&mut self, k: K) -> V {
        self.get_mut(k)
            .map_or(V::Null, |v| std::mem::replace(v, V::Null))
    }

    pub fn has(&self, k: K) -> bool {
        self.slot(k).is_some()
    }

    pub fn set(&mut self, k: K, v: V) {
        match self.slot(k) {
            Some(i) => self.0[i].1 = v,
            None => self.0.push((k, v)),
        }
    }

    pub fn str(&self, k: K) -> Option<&str> {
        self.get(k).str()
    }

    pub fn int(&self, k: K) -> Option<i64> {
        self.get(k).int()
    }

    pub fn truthy(&self, k: K) -> bool {
        self.get(k).truthy()
    }

    /// `d.update(other)`
    pub fn update(&mut self, other: &Obj) {
        for (k, v) in &other.0 {
            self.set(*k, v.clone());
        }
    }

    /// `d.update(other)` with an `other` no longer needed: its values move.
    pub fn update_from(&mut self, other: Obj) {
        for (k, v) in other.0 {
            self.set(k, v);
        }
    }
}

// --- interned key names -------------------------------------------------------------
macro_rules! keys {
    ($($c:ident = $s:expr),* $(,)?) => {
        keys!(@each 0u16; $($c = $s),*);
        pub const KNOWN: &[&str] = &[$($s),*];
    };
    (@each $n:expr; $c:ident = $s:expr $(, $rc:ident = $rs:expr)*) => {
        pub const $c: K = $n;
        keys!(@each $n + 1u16; $($rc = $rs),*);
    };
    (@each $n:expr;) => {};
}

keys!(
    // an open message's fields first, in its order (`Rules::new_message`): there the
    // field of key id k is at index k, which `Obj::slot` looks at first
    HOST = "host",
    QUEUE_ID = "queue_id",
    FIRST_SEEN = "first_seen",
    LAST_SEEN = "last_seen",
    ORIGIN = "origin",
    PROGRAM = "program",
    SASL_METHOD = "sasl_method",
    SASL_USERNAME = "sasl_username",
    UID = "uid",
    USER = "user",
    SCRIPT = "script",
    SCRIPT_PATH = "script_path",
    CLIENT_NAME = "client_name",
    CLIENT_IP = "client_ip",
    SENDER = "sender",
    SIZE = "size",
    NRCPT = "nrcpt",
    MESSAGE_ID = "message_id",
    SUBJECT = "subject",
    SUBMISSION_QUEUE_ID = "submission_queue_id",
    FILTER_OF = "filter_of",
    SENT = "sent",
    DEFERRED = "deferred",
    BOUNCED = "bounced",
    EXPIRED = "expired",
    REJECTED = "rejected",
    REMOVED_AT = "removed_at",
    EVENT = "event",
    TS = "ts",
    PID = "pid",
    RCPTS = "rcpts",
    SCRIPT_RANK = "script_rank",
    FILTERED_AS = "filtered_as",
    BOUNCE_OF = "bounce_of",
    BOUNCE_IDENTITY = "bounce_identity",
    IDENTITY = "identity",
    COMPLETE = "complete",
    NEW_QUEUE_ID = "new_queue_id",
    ORIG_QUEUE_ID = "orig_queue_id",
    STATUS = "status",
    RELAY = "relay",
    RESPONSE = "response",
    RECIPIENT = "recipient",
    RECIPIENTS = "recipients",
    ORIG_RECIPIENT = "orig_recipient",
    RECIPIENT_DOMAIN = "recipient_domain",
    MESSAGE_FIRST_SEEN = "message_first_seen",
    STAGE = "stage",
    LOCAL_CLIENT = "local_client",
    MESSAGES = "messages",
    DISCONNECT_TS = "disconnect_ts",
    COUNTERS = "counters",
    AUTH_OK = "auth_ok",
    AUTH_TOTAL = "auth_total",
    COMMANDS_OK = "commands_ok",
    COMMANDS_TOTAL = "commands_total",
    DAY = "_day",
    FAMILY = "family",
    PROTO = "proto",
    AGENT = "agent",
    REASON = "reason",
    SUMMARY = "summary",
    PATTERN = "pattern",
);

struct Registry {
    index: HashMap<String, K>,
    names: Vec<String>,
}

fn registry() -> &'static Mutex<Registry> {
    static REG: OnceLock<Mutex<Registry>> = OnceLock::new();
    REG.get_or_init(|| {
        let names: Vec<String> = KNOWN.iter().map(|s| s.to_string()).collect();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as K))
            .collect();
        Mutex::new(Registry { index, names })
    })
}

/// The key id of a name (new names are registered).
pub fn key(name: &str) -> K {
    let mut reg = registry().lock().expect("registry");
    if let Some(&k) = reg.index.get(name) {
        return k;
    }
    let k = reg.names.len() as K;
    reg.names.push(name.to_owned());
    reg.index.insert(name.to_owned(), k);
    k
}

/// Every registered name, by key id.
pub fn names() -> Vec<String> {
    registry().lock().expect("registry").names.clone()
}

// --- Python <-> values ----------------------------------------------------------------

/// A JSON-like Python value (what events and the open state hold); None for anything
/// else (the caller leaves that work to Python).
pub fn from_py(obj: &Bound<'_, PyAny>) -> Option<V> {
    if obj.is_none() {
        return Some(V::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Some(V::Bool(b.is_true()));
    }
    if let Ok(n) = obj.cast::<PyInt>() {
        return n.extract::<i64>().ok().map(V::Int);
    }
    if let Ok(x) = obj.cast::<PyFloat>() {
        return Some(V::Float(x.value()));
    }
    if let Ok(t) = obj.cast::<PyString>() {
        return t.to_str().ok().map(s);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return obj_from_py(d).map(V::Obj);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l
            .iter()
            .map(|x| from_py(&x))
            .collect::<Option<Vec<_>>>()
            .map(V::List);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t
            .iter()
            .map(|x| from_py(&x))
            .collect::<Option<Vec<_>>>()
            .map(V::List);
    }
    None
}

pub fn obj_from_py(d: &Bound<'_, PyDict>) -> Option<Obj> {
    let mut o = Obj(Vec::with_capacity(d.len()));
    for (k, v) in d.iter() {
        let name = k.cast::<PyString>().ok()?.to_str().ok()?.to_owned();
        o.0.push((key(&name), from_py(&v)?));
    }
    Some(o)
}

/// Python objects of values, with the key names made once per call site.
pub struct ToPy<'py> {
    pub py: Python<'py>,
    pub names: Vec<Bound<'py, PyString>>,
}

impl<'py> ToPy<'py> {
    pub fn new(py: Python<'py>) -> Self {
        let names = names().iter().map(|n| PyString::intern(py, n)).collect();
        ToPy { py, names }
    }

    pub fn value(&self, v: &V) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match v {
            V::Null => py.None().into_bound(py),
            V::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
            V::Int(n) => n.into_pyobject(py)?.into_any(),
            V::Float(x) => x.into_pyobject(py)?.into_any(),
            V::Str(t) => PyString::new(py, t).into_any(),
            V::List(l) => {
                let out = PyList::empty(py);
                for x in l {
                    out.append(self.value(x)?)?;
                }
                out.into_any()
            }
            V::Obj(o) => self.dict(o)?.into_any(),
        })
    }

    pub fn dict(&self, o: &Obj) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(self.py);
        for (k, v) in &o.0 {
            d.set_item(&self.names[*k as usize], self.value(v)?)?;
        }
        Ok(d)
    }
}
