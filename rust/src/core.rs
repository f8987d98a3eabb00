//! `Core`, the Python class: made once per reading setup from the pattern table (data
//! from Python, see `analyzer/parse/core_table.py`), it parses one batch at a time with
//! the GIL released (`Engine`), then makes the batch's Python objects (`objects.rs`).

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::clock::YearRule;
use crate::engine::{
    anchored, compile, value_err, Engine, EximReaders, FastMode, HourCache, Keys, Names, MARK,
};
use crate::event::Outcome;
use crate::finish::{Port, PortSpec};
use crate::patterns::{Derive, Family, Kind, Mode, Pattern};
use crate::years::Years;

#[pyclass(module = "analyzer._core")]
pub struct Core {
    /// lines of the last batch the Python parser read (the rest were parsed here)
    #[pyo3(get)]
    python_lines: u64,
    pub(crate) engine: Engine,
    pub(crate) py_names: Vec<Py<PyString>>,
    pub(crate) fixed: Vec<Py<PyAny>>,
    /// per pattern: its Python step (`_Alternative.complete`) where it finishes there
    pub(crate) finishers: Vec<Option<Py<PyAny>>>,
    /// per pattern: the Rust port of its Python step, where there is one
    pub(crate) ports: Vec<Option<Port>>,
}

/// One entry of the pattern table as Python hands it over (see `core_table.pattern_spec`).
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
    Option<String>,           // a negative lookahead's body, its place the group MARK
    // family ("postfix" | "exim" | "sendmail"), mode "fancy"'s exact regex (fancy-regex),
    // finish (its last steps are Python's: `finishers`)
    (String, Option<String>, bool),
);

#[pymethods]
impl Core {
    /// `header`: the syslog HEADER regex; `patterns`: the Postfix table (PatternSpec
    /// tuples); `field_types`: field -> "int" | "float"; `reason_classes`: (name, regex)
    /// searched case-insensitively; `anvil_kinds`, `seconds`: `_anvil`'s tables;
    /// `year_rule`: (reference year, (month, day) limit); `hour_start(y, m, d, h, utc)`:
    /// micros or None; `fallback(raw line)`: None for an empty line, else
    /// (decoded line, event dict) from the Python parser. `finishers`: per pattern, the
    /// Python step of one that finishes there (else None); `ports`: per pattern, the Rust
    /// port of that step (`finish::PortSpec`, see `core_table.finish_ports`) or None;
    /// `exim`: Exim's line readers
    /// (see `EximReaders`; without them Exim's lines go to Python); `host`: of lines that
    /// name none; `native`: the batch is a file of Exim's own log; `years`: `--year`'s
    /// state (BSD lines are dated by it instead of `year_rule`).
    #[new]
    #[pyo3(signature = (
        header, patterns, field_types, reason_classes, anvil_kinds, seconds, year_rule,
        hour_start, fallback, finishers=None, ports=None, exim=None, host=None, native=false,
        years=None
    ))]
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
        finishers: Option<Vec<Option<Py<PyAny>>>>,
        ports: Option<Vec<Option<PortSpec>>>,
        exim: Option<(String, String, String)>,
        host: Option<String>,
        native: bool,
        years: Option<PyRef<'_, Years>>,
        py: Python<'_>,
    ) -> PyResult<Core> {
        let mut names = Names::default();
        let mut fixed = Vec::new();
        let mut compiled = Vec::new();
        let mut pattern_ids = rustc_hash::FxHashMap::default();
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
                guard,
                (family, exact, finish),
            ) = spec;
            let regex = anchored(&source).map_err(|e| value_err(format!("pattern {name}: {e}")))?;
            let mark = regex.capture_names().position(|n| n == Some(MARK));
            let guard = match guard {
                Some(body) => match (mark, anchored(&body)) {
                    (Some(mark), Ok(body)) => Some((mark, body)),
                    _ => return Err(value_err(format!("pattern {name}: lookahead {body}"))),
                },
                None => None,
            };
            let family = match family.as_str() {
                "postfix" => Family::Postfix,
                "exim" => Family::Exim,
                "sendmail" => Family::Sendmail,
                other => return Err(value_err(format!("pattern {name}: family {other}"))),
            };
            let fancy = match (mode.as_str(), exact) {
                ("fancy", Some(exact)) => Some(
                    fancy_regex::Regex::new(&format!(r"\A(?:{exact})"))
                        .map_err(|e| value_err(format!("pattern {name}: {e}")))?,
                ),
                ("fancy", None) => return Err(value_err(format!("pattern {name}: no regex"))),
                _ => None,
            };
            let names_of: Vec<Option<String>> = match &fancy {
                Some(f) => f.capture_names().map(|n| n.map(str::to_owned)).collect(),
                None => regex
                    .capture_names()
                    .map(|n| n.map(str::to_owned))
                    .collect(),
            };
            let groups = names_of
                .iter()
                .map(|name| {
                    name.as_deref().filter(|n| *n != MARK).map(|n| {
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
                "fancy" => Mode::Fancy,
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
                guard,
                family,
                fancy,
                finish,
            });
        }
        let finishers = finishers.unwrap_or_else(|| compiled.iter().map(|_| None).collect());
        if finishers.len() != compiled.len()
            || compiled
                .iter()
                .zip(&finishers)
                .any(|(p, f)| p.finish != f.is_some())
        {
            return Err(value_err(
                "finishers: one per pattern, for the finishing ones",
            ));
        }
        let ports = match ports {
            Some(specs) if specs.len() == compiled.len() => specs
                .into_iter()
                .zip(&finishers)
                .map(|(spec, finisher)| match (spec, finisher) {
                    (Some(spec), Some(_)) => Port::new(spec, &field_types).map(Some),
                    (None, _) => Ok(None),
                    (Some(_), None) => Err("a port for a pattern that does not finish".into()),
                })
                .collect::<Result<Vec<_>, String>>()
                .map_err(value_err)?,
            Some(_) => return Err(value_err("ports: one per pattern")),
            None => compiled.iter().map(|_| None).collect(),
        };
        let exim = match exim {
            Some((native, lead, inner)) => Some(EximReaders {
                native: anchored(&native).map_err(value_err)?,
                lead: anchored(&lead).map_err(value_err)?,
                inner: anchored(&inner).map_err(value_err)?,
            }),
            None => None,
        };
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
            exim: names.id("exim"),
            sendmail: names.id("sendmail"),
            envelope: names.id("envelope"),
        };
        // lines that name no host borrow it for the Core's lifetime; one small string per
        // reading setup (Cores are cached per setup, never many)
        let host: &'static str = Box::leak(host.unwrap_or_default().into_boxed_str());
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
                    known: Default::default(),
                    last: None,
                },
                fallback,
                routes: Default::default(),
                exim,
                native,
                host,
                years: years.map(|y| y.state.clone()),
                fast: Default::default(),
            },
            py_names,
            fixed,
            finishers,
            ports,
        })
    }

    /// The fast paths ("on"; "off": the regexes only; "verify": both on every line a
    /// fast path answers, the regexes' result kept and differences noted).
    #[getter]
    fn fast_paths(&self) -> &'static str {
        self.engine.fast.mode.name()
    }

    #[setter]
    fn set_fast_paths(&mut self, mode: &str) -> PyResult<()> {
        let mode = FastMode::parse(mode).ok_or_else(|| value_err(format!("fast paths {mode}")))?;
        self.engine.fast.mode = mode;
        Ok(())
    }

    /// (the fast paths bound to this table, lines each answered, lines where one differs
    /// from the regexes in "verify" mode), for the tests.
    fn fast_report(&self) -> (Vec<&'static str>, HashMap<&'static str, u64>, Vec<String>) {
        let fast = &self.engine.fast;
        let counts = fast.counts.iter().map(|(k, v)| (*k, *v)).collect();
        (fast.bound_paths(), counts, fast.mismatches.clone())
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
        let outcomes = py.detach(|| engine.parse_lines(bytes, offset));
        self.python_lines = outcomes
            .iter()
            .filter(|(_, _, o)| matches!(o, Outcome::Python(_) | Outcome::Failed(_)))
            .count() as u64;
        self.build(py, outcomes, source)
    }
}
