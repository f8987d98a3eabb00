//! `IngestEngine`, the Python class of the compiled ingest engine: a batch of Postfix,
//! Exim or Sendmail lines (syslog, or Exim's own log) is parsed (the parse core's
//! `Engine`, GIL released), correlated in Rust (`rules.rs` with `arrival.rs`, `exim.rs`,
//! `sendmail.rs`) on the engine's correlation thread while the caller goes on with the
//! next batch (`worker.rs`), and its rows kept as Arrow column buffers
//! (`columns.rs`); the open state comes in and goes out in the checkpoint's format, so a
//! run can continue under the Python correlator (and the other way round). An event
//! whose pattern ends in a Python step (Exim's and Sendmail's selectors and `derive`
//! functions) is finished by that step's Rust port (`finish`, GIL released, a batch of
//! them at a time); only a pattern without a port, or a case its port leaves to Python,
//! is finished by the Python step, GIL held, before the batch is correlated.
//!
//! A batch holding an event these rules do not model (PHP's mail.log through syslog) is
//! not correlated here: the engine returns its events as Python dicts and the caller
//! hands the open state to the Python correlator from there on.

mod arrival;
mod columns;
mod exim;
mod ordmap;
mod rules;
mod sendmail;
mod state;
pub(crate) mod value;
mod worker;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::core::Core;
use crate::event::{Fields, NeedPython, Outcome, Val};
use crate::finish::{self, Finisher};
use columns::Table;
use ordmap::OrdMap;
use rules::{LocalIp, MsgKey, Rules, SessionKey, TABLES};
use value::{obj_from_py, parsed, Obj, ToPy, K, V};
use worker::{Batch, Pending, Worker};

/// (name, time column, [(column, type)]) of a table, from `analyzer.schema`
type TableSpec = (String, String, Vec<(String, String)>);

/// The MTAs whose events these rules correlate: a batch with another's (PHP's) event
/// goes to the Python correlator.
const FAMILIES: [&str; 3] = ["postfix", "exim", "sendmail"];

#[pyclass(module = "analyzer._core")]
pub struct IngestEngine {
    rules: Held,
    worker: Option<Worker>, // started with the first batch
    is_local: Arc<Py<PyAny>>,
    own_ips: Arc<HashSet<String>>,
}

/// Where the rules are: here, or with the worker correlating the last batch while the
/// next one is read and parsed; `Lost` once the worker failed.
enum Held {
    Here(Box<Rules>),
    Away,
    Lost,
}

/// `is_local_ip(ip, own)`: answered here for the run's own addresses and plain dotted
/// quads (one call into Python per client address cost ~4 % of a run), by Python
/// otherwise (IPv6, `localhost`, anything `ipaddress` might read differently).
struct AskPython<'a>(&'a Py<PyAny>, &'a HashSet<String>);

/// The first octet of `ip` when it is a dotted quad `ipaddress.IPv4Address` accepts:
/// four 1-3 digit decimal octets up to 255, no leading zero (its `is_loopback`:
/// 127.0.0.0/8).
fn dotted_quad_first(ip: &str) -> Option<u8> {
    let mut first = None;
    let mut parts = 0;
    for octet in ip.split('.') {
        let b = octet.as_bytes();
        let plain = (1..=3).contains(&b.len())
            && b.iter().all(u8::is_ascii_digit)
            && (b.len() == 1 || b[0] != b'0');
        let value: u8 = octet.parse().ok().filter(|_| plain)?;
        first.get_or_insert(value);
        parts += 1;
    }
    first.filter(|_| parts == 4)
}

fn answer_local(ip: &str, own: &HashSet<String>) -> Option<bool> {
    if own.contains(ip) {
        return Some(true);
    }
    dotted_quad_first(ip).map(|first| first == 127)
}

impl LocalIp for AskPython<'_> {
    fn is_local(&mut self, ip: &str) -> bool {
        if let Some(local) = answer_local(ip, self.1) {
            return local;
        }
        Python::attach(|py| {
            self.0
                .call1(py, (ip,))
                .and_then(|v| v.extract::<bool>(py))
                .unwrap_or(false)
        })
    }
}

fn err(e: impl std::fmt::Display) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}

/// A parsed line's event as the rules take it, made in `event` (the event before, done
/// with): without `pattern` (no rule or table reads it), which saves its copy. Its
/// fields' texts are copied into the strings the event before left at their place when
/// those fit (same keys and values as a new event, no allocation for most fields).
fn refill_event(
    event: &mut Obj,
    fields: &Fields<'_>,
    names: &[K],
    texts: &[String],
    fixed: &[V],
    unread: K,
) {
    let obj = &mut event.0;
    let mut n = 0;
    for (k, v) in &fields.0 {
        let name = names[*k];
        if name == unread {
            continue;
        }
        match obj.get_mut(n) {
            Some(slot) => {
                slot.0 = name;
                refill(&mut slot.1, *v, texts, fixed);
            }
            None => obj.push((name, parsed(*v, texts, fixed))),
        }
        n += 1;
    }
    obj.truncate(n);
}

/// Room a reused string may have beyond its text (a string moved from the event into
/// the open state keeps it).
const REUSE_SLACK: usize = 48;

/// `*slot = parsed(v)`, in the slot's string when its room fits.
#[inline]
fn refill(slot: &mut V, v: Val<'_>, texts: &[String], fixed: &[V]) {
    let text = match v {
        Val::Str(t) | Val::Lower(t) => t,
        Val::Name(i) => texts[i].as_str(),
        Val::Fixed(i) => match &fixed[i] {
            V::Str(t) => t.as_str(),
            _ => return *slot = parsed(v, texts, fixed),
        },
        _ => return *slot = parsed(v, texts, fixed),
    };
    match slot {
        V::Str(buf) if (text.len()..=text.len() + REUSE_SLACK).contains(&buf.capacity()) => {
            buf.clear();
            buf.push_str(text);
            if matches!(v, Val::Lower(_)) {
                buf.make_ascii_lowercase(); // as `parsed` (only ASCII lines are parsed in Rust)
            }
        }
        _ => *slot = parsed(v, texts, fixed),
    }
}

/// A per-entry part for `compiled._keyed`: (synced, entries [(key, value)], touched
/// keys, moved keys); the entries are all of them when `whole` or when the store does
/// not hold them all yet, else the changed ones.
fn keyed<'py, Key, P>(
    py: Python<'py>,
    to: &ToPy<'py>,
    m: &OrdMap<Key, Obj>,
    whole: bool,
    key_py: impl Fn(&Key) -> P,
) -> PyResult<Bound<'py, PyTuple>>
where
    Key: Eq + std::hash::Hash + Clone,
    P: IntoPyObject<'py>,
{
    let (touched, moved) = m.changes();
    let keys = if whole || !m.synced {
        m.keys_in_order()
    } else {
        touched.iter().chain(&moved).cloned().collect()
    };
    let entries = PyList::empty(py);
    for k in keys {
        if let Some(v) = m.peek(&k) {
            entries.append((key_py(&k), to.dict(v)?))?;
        }
    }
    let touched = PyList::new(py, touched.iter().map(&key_py))?;
    let moved = PyList::new(py, moved.iter().map(&key_py))?;
    (m.synced, entries, touched, moved).into_pyobject(py)
}

fn msg_key(k: &Bound<'_, PyAny>) -> PyResult<MsgKey> {
    Ok((k.get_item(0)?.extract()?, k.get_item(1)?.extract()?))
}

fn session_key(k: &Bound<'_, PyAny>) -> PyResult<SessionKey> {
    Ok((
        k.get_item(0)?.extract()?,
        k.get_item(1)?.extract()?,
        k.get_item(2)?.extract()?,
    ))
}

#[pymethods]
impl IngestEngine {
    /// `tables`: (name, time column, [(column, type)]) of every table the rules write;
    /// `is_local(ip)`: `correlate.common.is_local_ip` with the run's `--local-ip`s, which
    /// are `own_ips`.
    #[new]
    fn new(
        tables: Vec<TableSpec>,
        is_local: Py<PyAny>,
        own_ips: HashSet<String>,
    ) -> PyResult<IngestEngine> {
        let mut built = Vec::new();
        for want in TABLES {
            let (name, time, cols) = tables
                .iter()
                .find(|(n, _, _)| n == want)
                .ok_or_else(|| err(format!("no schema for {want}")))?;
            built.push(Table::new(name.clone(), time, cols.clone()).map_err(err)?);
        }
        Ok(IngestEngine {
            rules: Held::Here(Box::new(Rules::new(built))),
            worker: None,
            is_local: Arc::new(is_local),
            own_ips: Arc::new(own_ips),
        })
    }

    /// What the engine answers itself for `is_local_ip(ip, own)`; None: it asks Python.
    #[staticmethod]
    fn local_answer(ip: &str, own: HashSet<String>) -> Option<bool> {
        answer_local(ip, &own)
    }

    /// Take the open state (`checkpoint.open_parts`: every part, per-entry parts as
    /// `Keyed` dicts) of a run whose PHP parts are empty.
    fn load(&mut self, py: Python<'_>, state: &Bound<'_, PyDict>) -> PyResult<()> {
        let part = |k: &str| -> PyResult<Bound<'_, PyAny>> {
            state
                .get_item(k)?
                .ok_or_else(|| err(format!("open state without {k}")))
        };
        let r = self.rules(py)?;
        r.now = part("now")?.extract()?;
        let messages = part("messages")?;
        r.messages.synced = messages.getattr("synced")?.extract()?;
        for (k, v) in messages.cast::<PyDict>()?.iter() {
            let obj = obj_from_py(v.cast::<PyDict>()?).ok_or_else(|| err("an open message"))?;
            r.messages.load(msg_key(&k)?, obj);
        }
        let sessions = part("sessions")?;
        r.sessions.synced = sessions.getattr("synced")?.extract()?;
        for (k, v) in sessions.cast::<PyDict>()?.iter() {
            let key = session_key(&k)?;
            let obj = obj_from_py(v.cast::<PyDict>()?).ok_or_else(|| err("an open session"))?;
            r.sessions.load(key, obj);
        }
        for item in part("closing")?.try_iter()? {
            let item = item?; // [ts, [host, queue id]] (lists once read back from JSON)
            let ts: i64 = item.get_item(0)?.extract()?;
            let key = item.get_item(1)?;
            let (host, qid): (String, String) =
                (key.get_item(0)?.extract()?, key.get_item(1)?.extract()?);
            r.closing.push_back((ts, (host, qid)));
        }
        for item in part("filter_links")?.try_iter()? {
            let item = item?;
            let (host, qid, ts): (String, String, i64) = (
                item.get_item(0)?.extract()?,
                item.get_item(1)?.extract()?,
                item.get_item(2)?.extract()?,
            );
            let charge = item.get_item(3)?;
            let charge =
                obj_from_py(charge.cast::<PyDict>()?).ok_or_else(|| err("a filter link"))?;
            r.filter_links.load((host, qid), (ts, charge));
        }
        for (host, span) in part("mta_hosts")?.cast::<PyDict>()?.iter() {
            let (lo, hi): (i64, i64) = (span.get_item(0)?.extract()?, span.get_item(1)?.extract()?);
            r.mta_hosts.push((host.extract()?, [lo, hi]));
        }
        state::load(r, part)?;
        r.index_loaded();
        r.next_due = 0;
        Ok(())
    }

    /// Parse and correlate one batch (`data`: whole lines joined by `\n`, the first at
    /// byte `offset` of `source`) with the parse core `core`. Returns (handed_over,
    /// counts, rows) where counts is `Core.parse`'s tuple (events, unparsed, programs,
    /// beside, lines, beside_lines, last_ts, dated): with handed_over False its events
    /// are being correlated (on the engine's thread: the next call, or any other that
    /// reads the rules, waits for it; the list holds only what Python parsed, already
    /// taken) and rows are `take_rows(take_bytes)` of the batches before; with True
    /// nothing of the batch was correlated, the events are all there, for the Python
    /// correlator, and rows is empty.
    fn batch<'py>(
        &mut self,
        py: Python<'py>,
        core: &Bound<'py, Core>,
        data: &Bound<'py, PyBytes>,
        offset: i64,
        source: &Bound<'py, PyString>,
        take_bytes: usize,
    ) -> PyResult<(bool, Bound<'py, PyTuple>, Bound<'py, PyList>)> {
        let bytes = data.as_bytes();
        let mut core_ref = core.borrow_mut();
        let (names, texts, fixed) = finish::core_values(py, &core_ref);
        let engine = &mut core_ref.engine;
        let mut outcomes = py.detach(|| engine.parse_lines(bytes, offset));
        drop(core_ref);
        let core_ref = core.borrow();
        // the events in line order; those Python parsed are converted here (GIL held)
        if outcomes
            .iter()
            .any(|(_, _, o)| matches!(o, Outcome::Failed(_)))
        {
            return Ok((
                true,
                core_ref.build(py, outcomes, source)?,
                PyList::empty(py),
            )); // raises it
        }
        // the events of ported finishing steps (GIL released), by their place in the
        // batch: one batch (a 1 MB read) of them is held, so that an event its port leaves
        // to Python is finished there before anything of the batch is correlated
        let finisher = Finisher::new(&core_ref, &names, &texts, &fixed);
        let mut ported: VecDeque<(usize, Result<Obj, NeedPython>)> = py.detach(|| {
            let made = outcomes
                .iter()
                .enumerate()
                .filter_map(|(i, (_, _, o))| match o {
                    Outcome::Finish {
                        fields,
                        pattern,
                        message,
                        head,
                    } if finisher.has_port(*pattern) => {
                        Some((i, finisher.event(fields, *pattern, message, *head)))
                    }
                    _ => None,
                });
            made.collect()
        });
        let mut left = ported.iter().filter(|(_, e)| e.is_err()).map(|(i, _)| *i);
        let mut next_left = left.next();
        // then a pass that only looks (GIL held): is the batch all Postfix, Exim and
        // Sendmail, and which events did Python parse or finish (converted here, by their
        // place in the batch)
        let mut from_python: VecDeque<(usize, Obj)> = VecDeque::new();
        let mut foreign = false;
        let family_key = texts.iter().position(|t| t == "family");
        // (by name, once a batch: a string test per event cost more than the pass)
        let mta_names: Vec<bool> = texts
            .iter()
            .map(|t| FAMILIES.contains(&t.as_str()))
            .collect();
        // (the family is among the fields set last: looked for from the end)
        let mta = |f: &Fields<'_>| {
            let family = family_key.and_then(|k| f.0.iter().rev().find(|(n, _)| *n == k));
            matches!(family, Some((_, Val::Name(i))) if mta_names[*i])
        };
        for (i, (_, _, outcome)) in outcomes.iter().enumerate() {
            let event = match outcome {
                Outcome::Event { fields, .. } => {
                    if !mta(fields) {
                        foreign = true;
                        break;
                    }
                    continue;
                }
                // an Exim or Sendmail pattern whose last steps are ported: made above
                // (always an event of theirs, never `other`), unless the port left it to
                // Python
                Outcome::Finish { pattern, .. }
                    if finisher.has_port(*pattern) && next_left != Some(i) =>
                {
                    continue
                }
                // one whose last steps are Python's
                Outcome::Finish {
                    fields,
                    pattern,
                    message,
                    head,
                } => {
                    if next_left == Some(i) {
                        next_left = left.next();
                    }
                    core_ref.finished(py, fields, *pattern, message, *head)?
                }
                Outcome::Python(Some((_, event))) => event.bind(py).cast::<PyDict>()?.clone(),
                _ => continue,
            };
            let kind: Option<String> = event.get_item("event")?.and_then(|v| v.extract().ok());
            let family: Option<String> = event.get_item("family")?.and_then(|v| v.extract().ok());
            let kind = kind.unwrap_or_default();
            if kind == "unparsed" || family.is_none() || kind == "other" {
                continue; // counted by `build`, not correlated
            }
            if !FAMILIES.contains(&family.as_deref().unwrap_or_default()) || kind == "php_mail" {
                foreign = true;
                break;
            }
            match obj_from_py(&event) {
                Some(obj) => from_python.push_back((i, obj)),
                None => {
                    foreign = true;
                    break;
                }
            }
        }
        if foreign {
            return Ok((
                true,
                core_ref.build(py, outcomes, source)?,
                PyList::empty(py),
            ));
        }
        drop(left);
        // the batch's events in line order, for the worker to make (from their parsed
        // fields) and correlate while the caller writes rows and reads and parses the
        // next batch; the fields' lines are counted as `other` (no dict made)
        let mut events = Vec::with_capacity(outcomes.len());
        for (i, (_, _, outcome)) in outcomes.iter_mut().enumerate() {
            if ported.front().is_some_and(|(at, _)| *at == i) {
                if let Some((_, Ok(event))) = ported.pop_front() {
                    events.push(Pending::Made(event));
                    continue;
                } // else Python finished it: in `from_python`
            }
            if let Outcome::Event {
                fields,
                program,
                ts,
            } = outcome
            {
                let (fields, program, ts) = (std::mem::take(fields), *program, *ts);
                *outcome = Outcome::Other { program, ts };
                events.push(Pending::Parsed(fields));
            } else if from_python.front().is_some_and(|(at, _)| *at == i) {
                events.push(Pending::Made(
                    from_python.pop_front().expect("at the front").1,
                ));
            }
        }
        let batch = Batch::new(events, data, names, texts, fixed);
        let rows = self.take_rows(py, take_bytes)?; // waits for the last batch
        let Held::Here(rules) = std::mem::replace(&mut self.rules, Held::Lost) else {
            unreachable!("`take_rows` brought the rules back");
        };
        if self.worker.is_none() {
            let (is_local, own_ips) = (self.is_local.clone(), self.own_ips.clone());
            self.worker = Some(Worker::new(is_local, own_ips).map_err(err)?);
        }
        if !self.worker.as_ref().is_some_and(|w| w.start(rules, batch)) {
            return Err(err("the correlation thread failed"));
        }
        self.rules = Held::Away;
        // counted as `parse_batch` counts, without making the correlated events' dicts
        let outcomes = outcomes
            .into_iter()
            .map(|(pos, len, o)| match o {
                Outcome::Finish { head, .. } => (
                    pos,
                    len,
                    Outcome::Other {
                        program: head.program,
                        ts: head.ts,
                    },
                ),
                other => (pos, len, other),
            })
            .collect();
        Ok((false, core_ref.build(py, outcomes, source)?, rows))
    }

    /// The work whose log time has come (at a commit, see `Correlator.settle`).
    fn settle(&mut self, py: Python<'_>) -> PyResult<()> {
        let (is_local, own_ips) = (self.is_local.clone(), self.own_ips.clone());
        let rules = self.rules(py)?;
        py.detach(|| rules.catch_up(&mut AskPython(&is_local, &own_ips)));
        match rules.error.take() {
            Some(e) => Err(err(e)),
            None => Ok(()),
        }
    }

    /// The rows written since the last call: [(table, (rows, columns, days))] for
    /// `compiled.arrow_table`; tables without rows are left out.
    fn take_rows<'py>(
        &mut self,
        py: Python<'py>,
        min_bytes: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for table in &mut self.rules(py)?.tables {
            if table.rows > 0 && table.bytes() >= min_bytes {
                let name = table.name.clone();
                out.append((name, table.take(py)?))?;
            }
        }
        Ok(out)
    }

    /// The parts this engine holds of the open state, as `Correlator.state()` gives
    /// them: `now`, `closing`, `filter_links`, `mta_hosts`, Sendmail's `logins`,
    /// `auth_seen`, `held`, `handoffs`, Exim's `cwds`, and for `messages` and
    /// `sessions` (synced, entries [(key, value)], touched keys, moved keys) — every
    /// entry when `whole` or when the store does not hold them all yet, else only the
    /// changed ones. `saving`: the store saves this (the changes are then forgotten).
    fn state<'py>(
        &mut self,
        py: Python<'py>,
        whole: bool,
        saving: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let r = self.rules(py)?;
        let to = ToPy::new(py);
        let out = PyDict::new(py);
        out.set_item("now", r.now)?;
        let msg_key = |k: &MsgKey| (k.0.clone(), k.1.clone());
        out.set_item("messages", keyed(py, &to, &r.messages, whole, msg_key)?)?;
        let session_key = |k: &SessionKey| (k.0.clone(), k.1.clone(), k.2);
        out.set_item("sessions", keyed(py, &to, &r.sessions, whole, session_key)?)?;
        let closing = PyList::empty(py);
        for (ts, k) in &r.closing {
            closing.append((*ts, vec![k.0.as_str(), k.1.as_str()]))?;
        }
        out.set_item("closing", closing)?;
        let links = PyList::empty(py);
        for k in r.filter_links.keys_in_order() {
            let (ts, charge) = r.filter_links.peek(&k).expect("listed");
            links.append(
                (k.0.as_str(), k.1.as_str(), *ts, to.dict(charge)?)
                    .into_pyobject(py)?
                    .to_list(),
            )?;
        }
        out.set_item("filter_links", links)?;
        let hosts = PyDict::new(py);
        for (host, span) in &r.mta_hosts {
            hosts.set_item(host, vec![span[0], span[1]])?;
        }
        out.set_item("mta_hosts", hosts)?;
        state::save(r, &to, &out)?;
        if saving {
            r.messages.saved();
            r.sessions.saved();
        }
        Ok(out)
    }

    /// What the Python correlator needs besides the open state to go on exactly where
    /// this engine stopped: (events since the last stale sweep, the Message-ID index).
    fn carry_on<'py>(&mut self, py: Python<'py>) -> PyResult<(u64, Bound<'py, PyList>)> {
        let rules = self.rules(py)?;
        let index = PyList::empty(py);
        for ((host, mid), qid) in &rules.by_mid {
            index.append(((host.as_str(), mid.as_str()), qid.as_str()))?;
        }
        Ok((rules.since_sweep, index))
    }

    /// Ends the correlation thread once the batch in flight is correlated (its error, if
    /// any, is not raised: the run is over); a next batch would start another.
    fn close(&mut self, py: Python<'_>) {
        let _ = self.rules(py);
        self.worker = None;
    }

    /// Messages written that a content filter re-injected (the ingest summary's count).
    #[getter]
    fn reinjected(&mut self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.rules(py)?.reinjected)
    }
}

impl IngestEngine {
    /// The rules, once the batch in flight is correlated: waited for with the GIL
    /// released (the thread may ask Python about an address); its error, if any.
    fn rules(&mut self, py: Python<'_>) -> PyResult<&mut Rules> {
        if let (Held::Away, Some(worker)) = (&self.rules, &self.worker) {
            self.rules = match py.detach(|| worker.finish()) {
                Some((rules, _batch)) => Held::Here(rules), // its bytes freed, GIL held
                None => Held::Lost,
            };
        }
        let Held::Here(rules) = &mut self.rules else {
            return Err(err("the correlation thread failed in an earlier batch"));
        };
        match rules.error.take() {
            Some(e) => Err(err(e)),
            None => Ok(rules),
        }
    }
}
