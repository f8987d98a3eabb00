//! The batch's Python objects, in line order, counted as `parse_batch` counts them:
//! event dicts, `unparsed` rows, the programs' counts, the last time.

use rustc_hash::FxHashMap as HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::core::Core;
use crate::correlate::value::ToPy;
use crate::engine::set_head;
use crate::event::{Fields, Head, Outcome, Val};
use crate::finish::{self, Finisher};

const UNPARSED_TEXT_LIMIT: usize = 8192;
const DAY_US: i64 = 86_400_000_000;

/// Counts by program in first-seen order (as Python's `Counter` keeps them).
#[derive(Default)]
struct Tally {
    index: HashMap<String, usize>,
    counts: Vec<(String, i64)>,
}

impl Tally {
    fn add(&mut self, program: &str) {
        match self.index.get(program) {
            Some(&i) => self.counts[i].1 += 1,
            None => {
                self.index.insert(program.to_owned(), self.counts.len());
                self.counts.push((program.to_owned(), 1));
            }
        }
    }

    fn dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (program, n) in &self.counts {
            d.set_item(program, n)?;
        }
        Ok(d)
    }
}

/// The last dated line's time: the Rust pass's, or a Python event's (any int).
enum LastTs {
    Rust(i64),
    Python(Py<PyAny>),
}

impl Core {
    fn value<'py>(&self, py: Python<'py>, value: Val<'_>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match value {
            Val::Str(s) => PyString::new(py, s).into_any(),
            Val::Name(i) => self.py_names[i].bind(py).clone().into_any(),
            Val::Int(n) => n.into_pyobject(py)?.into_any(),
            Val::Float(x) => x.into_pyobject(py)?.into_any(),
            Val::Fixed(i) => self.fixed[i].bind(py).clone(),
            Val::Lower(s) => PyString::new(py, &s.to_ascii_lowercase()).into_any(),
            Val::None => py.None().into_bound(py),
        })
    }

    fn dict<'py>(&self, py: Python<'py>, fields: &Fields<'_>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (key, value) in &fields.0 {
            d.set_item(self.py_names[*key].bind(py), self.value(py, *value)?)?;
        }
        Ok(d)
    }

    /// The event of a pattern whose last steps are Python's: its typed groups, then its
    /// Python step (`finishers[pattern]`) on the message, then the header's fields.
    pub(crate) fn finished<'py>(
        &self,
        py: Python<'py>,
        fields: &Fields<'_>,
        pattern: usize,
        message: &str,
        head: Head<'_>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let event = self.dict(py, fields)?;
        let finish = self.finishers[pattern]
            .as_ref()
            .expect("a finishing pattern");
        finish.call1(py, (&event, message))?;
        let mut tail = Fields::default();
        set_head(&mut tail, &self.engine.keys, head);
        for (key, value) in &tail.0 {
            event.set_item(self.py_names[*key].bind(py), self.value(py, *value)?)?;
        }
        Ok(event)
    }

    /// A row of the `unparsed` table, keys in `parse_batch`'s order.
    #[allow(clippy::too_many_arguments)]
    fn row<'py>(
        &self,
        py: Python<'py>,
        head: [Bound<'py, PyAny>; 4], // ts, host, program, source
        offset: i64,
        reason: Bound<'py, PyAny>,
        line: Bound<'py, PyAny>,
        length: usize,
        last_ts: &Option<LastTs>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let k = &self.engine.keys;
        let name = |i: usize| self.py_names[i].bind(py);
        let [ts, host, program, source] = head;
        d.set_item(name(k.ts), ts)?;
        d.set_item(name(k.host), host)?;
        d.set_item(name(k.program), program)?;
        d.set_item(name(k.row[0]), source)?;
        d.set_item(name(k.row[1]), offset)?;
        d.set_item(name(k.reason), reason)?;
        d.set_item(name(k.row[2]), line)?;
        d.set_item(name(k.row[3]), length)?;
        let day = match last_ts {
            Some(LastTs::Rust(ts)) => ts.div_euclid(DAY_US).into_pyobject(py)?.into_any(),
            Some(LastTs::Python(ts)) => ts.bind(py).call_method1("__floordiv__", (DAY_US,))?,
            None => py.None().into_bound(py),
        };
        d.set_item(name(k.row[4]), day)?;
        Ok(d)
    }

    pub(crate) fn build<'py>(
        &self,
        py: Python<'py>,
        outcomes: Vec<(i64, usize, Outcome<'_>)>,
        source: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let events = pyo3::types::PyList::empty(py);
        let unparsed = pyo3::types::PyList::empty(py);
        let (mut programs, mut beside) = (Tally::default(), Tally::default());
        let (mut lines, mut beside_lines, mut dated) = (0i64, 0i64, 0i64);
        let mut last_ts: Option<LastTs> = None;
        let none = || py.None().into_bound(py);
        let text = |s: &str| PyString::new(py, s).into_any();
        // events of ported finishing patterns are made in Rust, then converted
        let ported = outcomes.iter().any(
            |(_, _, o)| matches!(o, Outcome::Finish { pattern, .. } if self.ports[*pattern].is_some()),
        );
        let (names, texts, fixed) = if ported {
            finish::core_values(py, self)
        } else {
            Default::default()
        };
        let finisher = Finisher::new(self, &names, &texts, &fixed);
        let to = ported.then(|| ToPy::new(py));
        for (offset, length, outcome) in outcomes {
            match outcome {
                Outcome::Skip | Outcome::Python(None) => continue,
                Outcome::Failed(e) => return Err(e),
                Outcome::Beside { program, ts } => {
                    programs.add(program);
                    beside.add(program);
                    beside_lines += 1;
                    last_ts = Some(LastTs::Rust(ts));
                    dated += 1;
                }
                Outcome::Other { program, ts } => {
                    programs.add(program);
                    last_ts = Some(LastTs::Rust(ts));
                    dated += 1;
                }
                Outcome::Event {
                    fields,
                    program,
                    ts,
                } => {
                    programs.add(program);
                    last_ts = Some(LastTs::Rust(ts));
                    dated += 1;
                    events.append(self.dict(py, &fields)?)?;
                }
                Outcome::Finish {
                    fields,
                    pattern,
                    message,
                    head,
                } => {
                    programs.add(head.program);
                    last_ts = Some(LastTs::Rust(head.ts));
                    dated += 1;
                    let made = match &to {
                        Some(to) if finisher.has_port(pattern) => {
                            finisher.event(&fields, pattern, message, head).ok()
                        }
                        _ => None,
                    };
                    match (made, &to) {
                        (Some(event), Some(to)) => events.append(to.dict(&event)?)?,
                        _ => events.append(self.finished(py, &fields, pattern, message, head)?)?,
                    }
                }
                Outcome::Unparsed {
                    ts,
                    host,
                    program,
                    reason,
                    line,
                } => {
                    if let Some(ts) = ts {
                        dated += 1;
                        if program.is_some() {
                            last_ts = Some(LastTs::Rust(ts));
                        }
                    }
                    if let Some(p) = program {
                        programs.add(p);
                    }
                    let cut = &line[..line.len().min(UNPARSED_TEXT_LIMIT)];
                    let head = [
                        ts.map_or_else(none, |t| t.into_pyobject(py).expect("int").into_any()),
                        host.map_or_else(none, text),
                        program.map_or_else(none, text),
                        source.clone().into_any(),
                    ];
                    let reason = self.py_names[reason].bind(py).clone().into_any();
                    unparsed.append(self.row(
                        py,
                        head,
                        offset,
                        reason,
                        text(cut),
                        length,
                        &last_ts,
                    )?)?;
                }
                Outcome::Python(Some((line, event))) => {
                    let event = event.bind(py);
                    let ts = event.get_item("ts")?;
                    if !ts.is_none() {
                        dated += 1;
                    }
                    let program = event.get_item("program")?;
                    let name: Option<String> = program.extract()?;
                    if let Some(p) = &name {
                        programs.add(p);
                        last_ts = Some(LastTs::Python(ts.clone().unbind()));
                    }
                    if event.get_item("event")?.extract::<String>()? == "unparsed" {
                        let head = [
                            ts,
                            event.get_item("host")?,
                            program,
                            source.clone().into_any(),
                        ];
                        let reason = event.get_item("reason")?;
                        let row = self.row(
                            py,
                            head,
                            offset,
                            reason,
                            line.into_bound(py),
                            length,
                            &last_ts,
                        )?;
                        unparsed.append(row)?;
                    } else if event.get_item("family")?.is_none() {
                        beside.add(name.as_deref().unwrap_or_default());
                        beside_lines += 1;
                    } else if event.get_item("event")?.extract::<String>()? != "other" {
                        events.append(event)?;
                    }
                }
            }
            lines += 1;
        }
        let last = match last_ts {
            Some(LastTs::Rust(ts)) => ts.into_pyobject(py)?.into_any(),
            Some(LastTs::Python(ts)) => ts.into_bound(py),
            None => none(),
        };
        (
            events,
            unparsed,
            programs.dict(py)?,
            beside.dict(py)?,
            lines,
            beside_lines,
            last,
            dated,
        )
            .into_pyobject(py)
    }
}
