//! `Core`: the Python class. Built once per source kind from the pattern table (data from
//! Python), it parses one batch at a time: a pass over the lines with the GIL released
//! (re-taken only for the rare line Python must parse and once per new hour of log), then
//! the Python objects and the counts, in line order, as `parse_batch` makes them.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

use crate::clock::{self, Hours, Stamp, YearRule};
use crate::derive;
use crate::event::{Fields, NeedPython, Outcome, Val};
use crate::patterns::{family_of, Derive, Family, Found, Kind, Mode, Pattern, Route};

const UNPARSED_TEXT_LIMIT: usize = 8192;
const DAY_US: i64 = 86_400_000_000;

/// Names used as dict keys and interned values, made into Python strings once.
#[derive(Default)]
struct Names {
    index: HashMap<String, usize>,
    list: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.list.push(name.to_owned());
        self.index.insert(name.to_owned(), self.list.len() - 1);
        self.list.len() - 1
    }
}

/// Keys every event or row has.
struct Keys {
    event: usize,
    pattern: usize,
    ts: usize,
    host: usize,
    program: usize,
    pid: usize,
    family: usize,
    postfix: usize,
    reason: usize,
    reason_class: usize,
    client_name: usize,
    recipient: usize,
    recipient_domain: usize,
    counters: usize,
    counts: [usize; 4], // auth_ok, auth_total, commands_ok, commands_total
    kind: usize,
    period: usize,
    no_pattern: usize,
    bad_timestamp: usize,
    row: [usize; 5], // source, offset, line, line_length, _day
}

/// The hour cache, filled from Python's own zone arithmetic (`hour_start`).
struct HourCache {
    hour_start: Py<PyAny>,
    known: HashMap<(i32, u32, u32, u32, bool), Option<i64>>,
}

impl Hours for HourCache {
    fn start(&mut self, year: i32, month: u32, day: u32, hour: u32, utc: bool) -> Option<i64> {
        let key = (year, month, day, hour, utc);
        if let Some(v) = self.known.get(&key) {
            return *v;
        }
        let value = Python::attach(|py| {
            self.hour_start
                .call1(py, (year, month, day, hour, utc))
                .and_then(|v| v.extract::<Option<i64>>(py))
        })
        .unwrap_or(None);
        self.known.insert(key, value);
        value
    }
}

struct Engine {
    header: Regex,
    patterns: Vec<Pattern>,
    reason_classes: Vec<(usize, Regex)>,
    anvil_kinds: HashMap<String, usize>,
    seconds: Vec<(u8, i64)>,
    pattern_ids: HashMap<String, usize>,
    names: Names,
    keys: Keys,
    rule: YearRule,
    hours: HourCache,
    fallback: Py<PyAny>,
    routes: HashMap<String, Route>,
}

#[pyclass(module = "analyzer._core")]
pub struct Core {
    /// lines of the last batch the Python parser read (the rest were parsed here)
    #[pyo3(get)]
    python_lines: u64,
    engine: Engine,
    py_names: Vec<Py<PyString>>,
    fixed: Vec<Py<PyAny>>,
}

/// Python's `\s` on the characters let through by `ascii_line` (and `str.isspace`).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

/// Lines the Rust pass may parse: printable ASCII, tab, CR, VT, FF. On those, Python's
/// `str` regexes (Unicode `\w \d \s`, `re.I`) and the `regex` crate agree; the other
/// controls (`\x1c`-`\x1f` are `\s` in Python only) and anything non-ASCII (decoding,
/// Unicode classes, digit values) are left to Python.
fn ascii_line(raw: &[u8]) -> bool {
    raw.iter()
        .all(|&b| (b' '..=0x7f).contains(&b) || matches!(b, b'\t' | b'\r' | b'\x0b' | b'\x0c'))
}

/// A regex of the table, compiled for the lines the Rust pass reads (`ascii_line`):
/// byte regexes with ASCII classes. On ASCII text `\w \d \s \b .` and case folding mean
/// what Python's Unicode ones do, and the automata are far smaller than Unicode's.
fn compile(source: &str, case_insensitive: bool) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source)
        .unicode(false)
        .case_insensitive(case_insensitive)
        .build()
}

/// `re.match`: anchored at the start only.
fn anchored(source: &str) -> Result<Regex, regex::Error> {
    compile(&format!(r"\A(?:{source})"), false)
}

fn value_err(e: impl std::fmt::Display) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}

impl Engine {
    /// The route of a program, made on its first line (split borrow: the table is read
    /// while the route changes).
    fn route(&mut self, program: &str) -> (&mut Route, &[Pattern]) {
        let patterns = &self.patterns;
        if !self.routes.contains_key(program) {
            // looked up first: the key is allocated once per program, not per line
            let daemon = program.rsplit('/').next().unwrap_or(program);
            self.routes
                .insert(program.to_owned(), Route::new(patterns, daemon));
        }
        (
            self.routes.get_mut(program).expect("inserted above"),
            patterns,
        )
    }

    /// Count a line Python parsed in the route it went through, so that the order of
    /// patterns stays the one a pure-Python run has.
    fn record_python(&mut self, event: &Bound<'_, PyAny>) -> PyResult<()> {
        let family: Option<String> = event.get_item("family")?.extract()?;
        if family.as_deref() != Some("postfix") {
            return Ok(());
        }
        let program: String = event.get_item("program")?.extract()?;
        let pattern: Option<String> = event.get_item("pattern")?.extract()?;
        let pattern = pattern.and_then(|p| self.pattern_ids.get(&p).copied());
        let (route, patterns) = self.route(&program);
        route.record(patterns, pattern);
        Ok(())
    }

    fn python(&mut self, raw: &[u8]) -> Outcome<'static> {
        let result = Python::attach(|py| -> PyResult<Option<(Py<PyAny>, Py<PyAny>)>> {
            let got = self.fallback.call1(py, (PyBytes::new(py, raw),))?;
            let got = got.bind(py);
            if got.is_none() {
                return Ok(None);
            }
            let pair = got.cast::<PyTuple>()?;
            let (line, event) = (pair.get_item(0)?, pair.get_item(1)?);
            self.record_python(&event)?;
            Ok(Some((line.unbind(), event.unbind())))
        });
        match result {
            Ok(pair) => Outcome::Python(pair),
            // the Python parser raised: raise it from here too (on the way out)
            Err(e) => Outcome::Failed(e),
        }
    }

    fn parse_line<'a>(&mut self, raw: &'a [u8], locs: &mut Locs) -> Outcome<'a> {
        if raw.is_empty() {
            return Outcome::Skip;
        }
        if !ascii_line(raw) {
            return self.python(raw);
        }
        let line = std::str::from_utf8(raw).expect("ASCII");
        match self.parse_ascii(line, locs) {
            Ok(outcome) => outcome,
            Err(NeedPython) => self.python(raw),
        }
    }

    fn parse_ascii<'a>(
        &mut self,
        line: &'a str,
        locs: &mut Locs,
    ) -> Result<Outcome<'a>, NeedPython> {
        let h = &mut locs.header;
        // the message is the rest of the line (see `core_table.header_regex`)
        let Some(end) = self
            .header
            .captures_read(h, line.as_bytes())
            .map(|m| m.end())
        else {
            return Err(NeedPython); // Exim's, PHP's, journald's and odd syslog lines
        };
        let group = |i: usize| h.get(i).map(|(a, b)| &line[a..b]);
        let (bsd, iso, pid) = (group(1), group(2), group(5));
        let (host, program) = (group(3).ok_or(NeedPython)?, group(4).ok_or(NeedPython)?);
        let message = &line[end..];
        let stamp = match (bsd, iso) {
            (Some(text), _) => clock::bsd(text.as_bytes(), self.rule, &mut self.hours),
            // `2013-12-30 00:24:50 X Y: ...` may be Exim's own line: Python decides
            (None, Some(text)) if text.as_bytes().get(10) == Some(&b' ') => Stamp::Python,
            (None, Some(text)) => clock::iso(text.as_bytes(), &mut self.hours),
            (None, None) => Stamp::Python,
        };
        let ts = match stamp {
            Stamp::At(ts) => ts,
            Stamp::Bad => {
                return Ok(Outcome::Unparsed {
                    ts: None,
                    host: None,
                    program: None,
                    reason: self.keys.bad_timestamp,
                    line,
                })
            }
            Stamp::Python => return Err(NeedPython),
        };
        let message = message.trim_end_matches(|c: char| is_space(c as u8));
        match family_of(program) {
            Family::Python => Err(NeedPython),
            // PHP's mail.log under any program name is PHP's: Python parses it
            Family::Beside if message.starts_with("mail() on [") => Err(NeedPython),
            Family::Beside => Ok(Outcome::Beside { program, ts }),
            Family::Postfix => {
                let pid = pid.map(derive::int).transpose()?;
                let (route, patterns) = self.route(program);
                let found = route.find(patterns, message, &mut locs.patterns);
                // a line sent to Python is counted in its route from Python's result
                let (outcome, matched) = match found {
                    Found::Python => return Err(NeedPython),
                    Found::NoMatch => (
                        Outcome::Unparsed {
                            ts: Some(ts),
                            host: Some(host),
                            program: Some(program),
                            reason: self.keys.no_pattern,
                            line,
                        },
                        None,
                    ),
                    Found::Match(i) if self.patterns[i].other => {
                        (Outcome::Other { program, ts }, Some(i))
                    }
                    Found::Match(i) => {
                        let fields =
                            self.fields(i, message, &locs.patterns[i], ts, host, program, pid)?;
                        (
                            Outcome::Event {
                                fields,
                                program,
                                ts,
                            },
                            Some(i),
                        )
                    }
                };
                let (route, patterns) = self.route(program);
                route.record(patterns, matched);
                Ok(outcome)
            }
        }
    }

    /// The event's fields, in the order `LineParser._event` sets them.
    #[allow(clippy::too_many_arguments)]
    fn fields<'a>(
        &self,
        i: usize,
        message: &'a str,
        caps: &CaptureLocations,
        ts: i64,
        host: &'a str,
        program: &'a str,
        pid: Option<i64>,
    ) -> Result<Fields<'a>, NeedPython> {
        let p = &self.patterns[i];
        let k = &self.keys;
        let mut f = Fields(Vec::with_capacity(p.groups.len() + 12));
        for (g, slot) in p.groups.iter().enumerate() {
            if let Some((name, kind)) = slot {
                let value = match caps.get(g) {
                    Some((a, b)) => derive::typed(&message[a..b], *kind)?,
                    None => Val::None,
                };
                f.0.push((*name, value));
            }
        }
        for (name, obj) in &p.fixed {
            f.set(*name, Val::Fixed(*obj));
        }
        if p.derive == Derive::Anvil {
            let kind = f.text(k.kind)?.ok_or(NeedPython)?;
            let kind = *self.anvil_kinds.get(kind).ok_or(NeedPython)?;
            f.set(k.kind, Val::Name(kind));
            if let Some(period) = f.text(k.period)? {
                f.set(
                    k.period,
                    Val::Int(derive::anvil_period(period, &self.seconds)?),
                );
            }
        }
        if p.classify {
            let reason = f.text(k.reason)?.unwrap_or("");
            let class = self
                .reason_classes
                .iter()
                .find(|(_, rx)| !reason.is_empty() && rx.is_match(reason.as_bytes()))
                .map_or(self.names.index["other"], |(name, _)| *name);
            f.set(k.reason_class, Val::Name(class));
        }
        if p.client && f.text(k.client_name)?.is_none_or(str::is_empty) {
            f.set(k.client_name, Val::None);
        }
        match p.derive {
            Derive::RecipientDomain => {
                // the domain is lower-cased: a new string, made when the dict is built
                let domain = derive::recipient_domain(f.text(k.recipient)?);
                f.set(k.recipient_domain, domain.map_or(Val::None, Val::Lower));
            }
            Derive::CommandCounters => {
                let (auth, commands) = derive::command_counters(f.text(k.counters)?)?;
                for (pair, keys) in [(auth, &k.counts[..2]), (commands, &k.counts[2..])] {
                    let (ok, total) =
                        pair.map_or((Val::None, Val::None), |(o, t)| (Val::Int(o), Val::Int(t)));
                    f.set(keys[0], ok);
                    f.set(keys[1], total);
                }
            }
            Derive::None | Derive::Anvil => {}
        }
        f.set(k.event, Val::Name(p.event));
        f.set(k.pattern, Val::Name(p.name));
        f.set(k.ts, Val::Int(ts));
        f.set(k.host, Val::Str(host));
        f.set(k.program, Val::Str(program));
        f.set(k.pid, pid.map_or(Val::None, Val::Int));
        f.set(k.family, Val::Name(k.postfix));
        Ok(f)
    }
}

/// Capture slots, one per regex, reused across lines.
struct Locs {
    header: CaptureLocations,
    patterns: Vec<CaptureLocations>,
}

/// One entry of the pattern table as Python hands it over (see `rust_batch._table`).
#[derive(FromPyObject)]
struct PatternSpec(
    String,                   // name
    String,                   // event
    String,                   // regex
    String,                   // mode: "rust" | "gate"
    Option<Vec<String>>,      // daemons
    Vec<(String, Py<PyAny>)>, // fixed
    bool,                     // fallback
    bool,                     // classify (reason_class)
    bool,                     // client (`[ip]` without a name -> None)
    String,                   // derive: "" | "recipient_domain" | "command_counters" | "anvil"
);

#[pymethods]
impl Core {
    /// `header`: the syslog HEADER regex; `patterns`: the Postfix table (PatternSpec
    /// tuples); `field_types`: field -> "int" | "float"; `reason_classes`: (name, regex)
    /// searched case-insensitively; `anvil_kinds`, `seconds`: `_anvil`'s tables;
    /// `year_rule`: (reference year, (month, day) limit); `hour_start(y, m, d, h, utc)`:
    /// micros or None; `fallback(raw line)`: None for an empty line, else
    /// (decoded line, event dict) from the Python parser.
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        header: &str,
        patterns: Vec<PatternSpec>,
        field_types: HashMap<String, String>,
        reason_classes: Vec<(String, String)>,
        anvil_kinds: HashMap<String, String>,
        seconds: HashMap<String, i64>,
        year_rule: (i32, (u32, u32)),
        hour_start: Py<PyAny>,
        fallback: Py<PyAny>,
        py: Python<'_>,
    ) -> PyResult<Core> {
        let mut names = Names::default();
        let mut fixed = Vec::new();
        let mut compiled = Vec::new();
        let mut pattern_ids = HashMap::new();
        let reason = names.id("reason");
        for (i, spec) in patterns.into_iter().enumerate() {
            let PatternSpec(
                name,
                event,
                source,
                mode,
                daemons,
                fixed_items,
                fallback,
                classify,
                client,
                derive,
            ) = spec;
            let regex = anchored(&source).map_err(|e| value_err(format!("pattern {name}: {e}")))?;
            let groups = regex
                .capture_names()
                .map(|name| {
                    name.map(|n| {
                        let kind = match field_types.get(n).map(String::as_str) {
                            Some("int") => Some(Kind::Int),
                            Some("float") => Some(Kind::Float),
                            _ => None,
                        };
                        (names.id(n), kind)
                    })
                })
                .collect();
            let mode = match mode.as_str() {
                "rust" => Mode::Rust,
                "gate" => Mode::Gate,
                other => return Err(value_err(format!("pattern {name}: mode {other}"))),
            };
            let derive = match derive.as_str() {
                "" => Derive::None,
                "recipient_domain" => Derive::RecipientDomain,
                "command_counters" => Derive::CommandCounters,
                "anvil" => Derive::Anvil,
                other => return Err(value_err(format!("pattern {name}: derive {other}"))),
            };
            let mut fixed_ids = Vec::new();
            for (key, value) in fixed_items {
                fixed_ids.push((names.id(&key), fixed.len()));
                fixed.push(value);
            }
            pattern_ids.insert(name.clone(), i);
            compiled.push(Pattern {
                name: names.id(&name),
                other: event == "other",
                event: names.id(&event),
                regex,
                mode,
                daemons,
                fixed: fixed_ids,
                fallback,
                groups,
                classify,
                client,
                derive,
            });
        }
        let reason_classes = reason_classes
            .into_iter()
            .map(|(name, rx)| {
                let regex = compile(&rx, true).map_err(value_err)?;
                Ok((names.id(&name), regex))
            })
            .collect::<PyResult<Vec<_>>>()?;
        names.id("other");
        let anvil_kinds = anvil_kinds
            .into_iter()
            .map(|(text, kind)| (text, names.id(&kind)))
            .collect();
        let mut seconds: Vec<(u8, i64)> = seconds
            .into_iter()
            .filter(|(unit, _)| unit.len() == 1)
            .map(|(unit, s)| (unit.as_bytes()[0], s))
            .collect();
        seconds.sort_unstable();
        let keys = Keys {
            event: names.id("event"),
            pattern: names.id("pattern"),
            ts: names.id("ts"),
            host: names.id("host"),
            program: names.id("program"),
            pid: names.id("pid"),
            family: names.id("family"),
            postfix: names.id("postfix"),
            reason,
            reason_class: names.id("reason_class"),
            client_name: names.id("client_name"),
            recipient: names.id("recipient"),
            recipient_domain: names.id("recipient_domain"),
            counters: names.id("counters"),
            counts: [
                names.id("auth_ok"),
                names.id("auth_total"),
                names.id("commands_ok"),
                names.id("commands_total"),
            ],
            kind: names.id("kind"),
            period: names.id("period"),
            no_pattern: names.id("no pattern"),
            bad_timestamp: names.id("bad timestamp"),
            row: [
                names.id("source"),
                names.id("offset"),
                names.id("line"),
                names.id("line_length"),
                names.id("_day"),
            ],
        };
        let py_names = names
            .list
            .iter()
            .map(|n| PyString::intern(py, n).unbind())
            .collect();
        let (year, limit) = year_rule;
        Ok(Core {
            python_lines: 0,
            engine: Engine {
                header: anchored(header).map_err(value_err)?,
                patterns: compiled,
                reason_classes,
                anvil_kinds,
                seconds,
                pattern_ids,
                names,
                keys,
                rule: YearRule { year, limit },
                hours: HourCache {
                    hour_start,
                    known: HashMap::new(),
                },
                fallback,
                routes: HashMap::new(),
            },
            py_names,
            fixed,
        })
    }

    /// Parse one batch (`data`: whole lines joined by `\n`, the first at byte `offset`
    /// of `source`) -> (events, unparsed rows, programs, beside, lines, beside_lines,
    /// last_ts, dated), as `parse_batch` counts them.
    fn parse<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyBytes>,
        offset: i64,
        source: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let bytes = data.as_bytes();
        let engine = &mut self.engine;
        let outcomes = py.detach(|| {
            let mut locs = Locs {
                header: engine.header.capture_locations(),
                patterns: engine
                    .patterns
                    .iter()
                    .map(|p| p.regex.capture_locations())
                    .collect(),
            };
            let mut outcomes = Vec::new();
            let (mut start, mut pos) = (0usize, offset);
            for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
                let raw = &bytes[start..end];
                let outcome = engine.parse_line(raw, &mut locs);
                // Python's parse_batch stops at an exception: so does this pass, so that
                // the routes' state is the one the Python stage is left with
                let failed = matches!(outcome, Outcome::Failed(_));
                outcomes.push((pos, raw.len(), outcome));
                if failed {
                    break;
                }
                pos += raw.len() as i64 + 1;
                start = end + 1;
            }
            outcomes
        });
        self.python_lines = outcomes
            .iter()
            .filter(|(_, _, o)| matches!(o, Outcome::Python(_) | Outcome::Failed(_)))
            .count() as u64;
        self.build(py, outcomes, source)
    }
}

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

    fn build<'py>(
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
