//! One parsed line before it becomes Python objects: the fields of an event in the order
//! Python's dict would have them, and what each line came to.

use pyo3::prelude::*;

/// A field value; strings borrow the batch's bytes (only ASCII lines are parsed here).
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    Str(&'a str),
    /// an interned name (pattern, event, family, reason class, anvil kind)
    Name(usize),
    Int(i64),
    Float(f64),
    /// a pattern's `fixed` value, a Python object kept as given
    Fixed(usize),
    /// text lower-cased when the dict is built (`recipient_domain`)
    Lower(&'a str),
    None,
}

/// Fields in insertion order; setting a field that exists keeps its place (as a dict).
#[derive(Debug, Default)]
pub struct Fields<'a>(pub Vec<(usize, Val<'a>)>);

impl<'a> Fields<'a> {
    pub fn set(&mut self, key: usize, value: Val<'a>) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn get(&self, key: usize) -> Option<Val<'a>> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The field as text: None when absent or None; `Err` when it is a Python object.
    pub fn text(&self, key: usize) -> Result<Option<&'a str>, NeedPython> {
        match self.get(key) {
            Some(Val::Str(s)) => Ok(Some(s)),
            None | Some(Val::None) => Ok(None),
            Some(_) => Err(NeedPython),
        }
    }
}

/// A step only Python can take for this line (a number too big for i64, an odd float,
/// a derive function's error case): the line is parsed by Python instead.
#[derive(Debug, Clone, Copy)]
pub struct NeedPython;

/// What an event says about its line besides the pattern's fields, set last (in
/// `LineParser._event`'s order): ts, host, program, pid, family, envelope.
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    pub ts: i64,
    pub host: &'a str,
    pub program: &'a str,
    pub pid: Option<i64>,
    /// the family's interned name
    pub family: usize,
    /// the interned envelope name (`exim` for Exim's own lines), None for syslog lines
    pub envelope: Option<usize>,
}

/// What one line came to in the Rust pass.
pub enum Outcome<'a> {
    /// an empty line (not counted)
    Skip,
    /// a line of a program beside the MTA: counted only
    Beside { program: &'a str, ts: i64 },
    /// a Postfix `other` event: counted only
    Other { program: &'a str, ts: i64 },
    /// a modelled event for the correlator
    Event {
        fields: Fields<'a>,
        program: &'a str,
        ts: i64,
    },
    /// a line with a header and no pattern (`program` set) or a bad timestamp (not)
    Unparsed {
        ts: Option<i64>,
        host: Option<&'a str>,
        program: Option<&'a str>,
        reason: usize,
        line: &'a str,
    },
    /// a modelled event whose pattern's last steps are Python code: `fields` holds the
    /// typed groups, the step's Rust port (`finish::Finisher`; else the Python step,
    /// `finishers[pattern]`) adds the rest from `message`, then `head`'s fields follow
    Finish {
        fields: Fields<'a>,
        pattern: usize,
        message: &'a str,
        head: Head<'a>,
    },
    /// the Python parser's result: (decoded line, event dict), None for an empty line
    Python(Option<(Py<PyAny>, Py<PyAny>)>),
    /// the Python parser raised: the batch raises it too
    Failed(PyErr),
}
