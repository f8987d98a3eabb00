//! The event a port finishes, before it becomes an `Obj`: its texts borrow the line, the
//! parse core's names and the fixed values, so a field the port pops or replaces costs
//! no copy; only what is left is copied, once, into the `Obj` the rules take. Keys keep
//! their insertion order, as a dict's (setting one that exists keeps its place).

use crate::correlate::value::{Obj, K, V};
use crate::event::NeedPython;

/// A field's value: borrowed text, a fixed value of the table, or one a port made.
#[derive(Debug, Clone)]
pub enum F<'a> {
    Null,
    Int(i64),
    Float(f64),
    Str(&'a str),
    Ref(&'a V),
    Own(V),
}

impl<'a> F<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, F::Null | F::Ref(V::Null) | F::Own(V::Null))
    }

    /// Python's truth value.
    pub fn truthy(&self) -> bool {
        match self {
            F::Null => false,
            F::Int(n) => *n != 0,
            F::Float(x) => *x != 0.0,
            F::Str(s) => !s.is_empty(),
            F::Ref(v) => v.truthy(),
            F::Own(v) => v.truthy(),
        }
    }

    /// A field that must be text or None (Python would raise on anything else); text a
    /// port made itself is not read again by the ports (Python decides if it were).
    pub fn text(&self) -> Result<Option<&'a str>, NeedPython> {
        match self {
            F::Str(s) => Ok(Some(s)),
            F::Ref(V::Str(s)) => Ok(Some(s.as_str())),
            F::Null | F::Ref(V::Null) | F::Own(V::Null) => Ok(None),
            _ => Err(NeedPython),
        }
    }

    /// The text, where it is text (else None).
    pub fn str(&self) -> Option<&'a str> {
        self.text().ok().flatten()
    }

    fn value(self) -> V {
        match self {
            F::Null => V::Null,
            F::Int(n) => V::Int(n),
            F::Float(x) => V::Float(x),
            F::Str(s) => V::Str(String::from(s)),
            F::Ref(v) => v.clone(),
            F::Own(v) => v,
        }
    }
}

static NULL: F<'static> = F::Null;

/// Key ids below this are tracked in the bitset (the registry holds ~150 names).
const TRACKED: usize = 512;

/// The fields in insertion order and which keys are there.
pub struct Ev<'a> {
    fields: Vec<(K, F<'a>)>,
    present: [u64; TRACKED / 64],
}

impl<'a> Ev<'a> {
    pub fn with_capacity(n: usize) -> Self {
        Ev {
            fields: Vec::with_capacity(n),
            present: [0; TRACKED / 64],
        }
    }

    fn mark(&mut self, k: K, on: bool) {
        if let Some(word) = self.present.get_mut(k as usize / 64) {
            let bit = 1u64 << (k % 64);
            if on {
                *word |= bit;
            } else {
                *word &= !bit;
            }
        }
    }

    /// Whether `k` may be there (false: surely not).
    fn maybe(&self, k: K) -> bool {
        self.present
            .get(k as usize / 64)
            .is_none_or(|w| w & (1u64 << (k % 64)) != 0)
    }

    fn slot(&self, k: K) -> Option<usize> {
        if !self.maybe(k) {
            return None;
        }
        self.fields.iter().position(|(key, _)| *key == k)
    }

    /// `d.get(k)`: Null when absent.
    pub fn get(&self, k: K) -> &F<'a> {
        self.slot(k).map_or(&NULL, |i| &self.fields[i].1)
    }

    /// Appends a field the event surely lacks (its groups, where no name repeats).
    pub fn push(&mut self, k: K, v: F<'a>) {
        self.mark(k, true);
        self.fields.push((k, v));
    }

    pub fn set(&mut self, k: K, v: F<'a>) {
        match self.slot(k) {
            Some(i) => self.fields[i].1 = v,
            None => self.push(k, v),
        }
    }

    /// `event.pop(k, None)`: the value, Null when absent; the others keep their order.
    pub fn pop(&mut self, k: K) -> F<'a> {
        match self.slot(k) {
            Some(i) => {
                self.mark(k, false);
                self.fields.remove(i).1
            }
            None => F::Null,
        }
    }

    pub fn str(&self, k: K) -> Option<&'a str> {
        self.get(k).str()
    }

    pub fn text(&self, k: K) -> Result<Option<&'a str>, NeedPython> {
        self.get(k).text()
    }

    pub fn truthy(&self, k: K) -> bool {
        self.get(k).truthy()
    }

    /// The event the rules take: what is left is copied once.
    pub fn into_obj(self) -> Obj {
        // (room for what the rules add: message_first_seen, identity, local_client)
        let mut out = Vec::with_capacity(self.fields.len() + 3);
        out.extend(self.fields.into_iter().map(|(k, v)| (k, v.value())));
        Obj(out)
    }
}
