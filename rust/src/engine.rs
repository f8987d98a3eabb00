//! The pass over a batch's lines with the GIL released (`Engine`): header, time, route,
//! pattern, fields; the GIL is taken again only for a line Python must parse and once
//! per new hour of log (its zone offset). Postfix, Exim (syslog and its own log lines)
//! and Sendmail lines are parsed here. The fast paths (`fast/`: the header read by hand,
//! matchers of Postfix's hottest patterns) are tried before the regexes.

mod fast;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use rustc_hash::FxHashMap;

use crate::clock::{self, Hours, Stamp, YearRule};
use crate::derive;
use crate::event::{Fields, Head, NeedPython, Outcome, Val};
use crate::patterns::{family_of, Derive, Family, Found, Pattern, Route, Slots};
use crate::years;
pub use fast::{Fast, Header, Mode as FastMode};

/// the group `core_table.guarded` puts where a negative lookahead stood (not a field)
pub const MARK: &str = "__lookahead";

/// Names used as dict keys and interned values, made into Python strings once.
#[derive(Default)]
pub struct Names {
    pub index: FxHashMap<String, usize>,
    pub list: Vec<String>,
}

impl Names {
    pub fn id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.list.push(name.to_owned());
        self.index.insert(name.to_owned(), self.list.len() - 1);
        self.list.len() - 1
    }
}

/// Keys every event or row has.
pub struct Keys {
    pub event: usize,
    pub pattern: usize,
    pub ts: usize,
    pub host: usize,
    pub program: usize,
    pub pid: usize,
    pub family: usize,
    pub postfix: usize,
    pub reason: usize,
    pub reason_class: usize,
    pub client_name: usize,
    pub recipient: usize,
    pub recipient_domain: usize,
    pub counters: usize,
    pub counts: [usize; 4], // auth_ok, auth_total, commands_ok, commands_total
    pub kind: usize,
    pub period: usize,
    pub no_pattern: usize,
    pub bad_timestamp: usize,
    pub row: [usize; 5], // source, offset, line, line_length, _day
    pub exim: usize,
    pub sendmail: usize,
    pub envelope: usize,
}

/// Exim's own log lines (`header.EXIM_NATIVE` without its message group), what their
/// message mostly starts with (`_EXIM_LEAD`), and the time and `[pid]` Exim repeats
/// inside a syslog message (`_EXIM_INNER`, matches any text).
pub struct EximReaders {
    pub native: Regex,
    pub lead: Regex,
    pub inner: Regex,
}

/// The route key of Exim's own lines (Python's `LineParser._native_exim`): no program
/// name holds a NUL (`ascii_line` lets none through).
const NATIVE_EXIM: &str = "\0exim";

/// An hour of log: (year, month, day, hour, utc).
pub type Hour = (i32, u32, u32, u32, bool);

/// The hour cache, filled from Python's own zone arithmetic (`hour_start`).
pub struct HourCache {
    pub hour_start: Py<PyAny>,
    pub known: FxHashMap<Hour, Option<i64>>,
    /// the hour asked last (lines come in time order: most lines are in it)
    pub last: Option<(Hour, Option<i64>)>,
}

impl Hours for HourCache {
    fn start(&mut self, year: i32, month: u32, day: u32, hour: u32, utc: bool) -> Option<i64> {
        let key = (year, month, day, hour, utc);
        if let Some((last, v)) = self.last {
            if last == key {
                return v;
            }
        }
        if let Some(v) = self.known.get(&key) {
            self.last = Some((key, *v));
            return *v;
        }
        let value = Python::attach(|py| {
            self.hour_start
                .call1(py, (year, month, day, hour, utc))
                .and_then(|v| v.extract::<Option<i64>>(py))
        })
        .unwrap_or(None);
        self.known.insert(key, value);
        self.last = Some((key, value));
        value
    }
}

pub struct Engine {
    pub header: Regex,
    pub patterns: Vec<Pattern>,
    pub reason_classes: Vec<(usize, Regex)>,
    pub anvil_kinds: FxHashMap<String, usize>,
    pub seconds: Vec<(u8, i64)>,
    pub pattern_ids: FxHashMap<String, usize>,
    pub names: Names,
    pub keys: Keys,
    pub rule: YearRule,
    pub hours: HourCache,
    pub fallback: Py<PyAny>,
    pub routes: Routes,
    /// None: no Exim readers were given (Exim's own lines go to Python)
    pub exim: Option<EximReaders>,
    /// a file of Exim's own log: its reader first (`events._EximFirst`)
    pub native: bool,
    /// the host of lines that name none (Exim's own lines): the Core's for its lifetime
    pub host: &'static str,
    /// `--year`: the BSD year state shared with the Python parser (else `rule` dates)
    pub years: Option<years::Shared>,
    /// the hand-written header reader and matchers tried before the regexes
    pub fast: Fast,
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
    // a fold without an early exit: the compiler checks many bytes at a time
    raw.iter().fold(true, |ok, &b| {
        ok & ((b' '..=0x7f).contains(&b) | matches!(b, b'\t' | b'\r' | b'\x0b' | b'\x0c'))
    })
}

/// A regex of the table, compiled for the lines the Rust pass reads (`ascii_line`):
/// byte regexes with ASCII classes. On ASCII text `\w \d \s \b .` and case folding mean
/// what Python's Unicode ones do, and the automata are far smaller than Unicode's.
pub fn compile(source: &str, case_insensitive: bool) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source)
        .unicode(false)
        .case_insensitive(case_insensitive)
        .build()
}

/// `re.match`: anchored at the start only.
pub fn anchored(source: &str) -> Result<Regex, regex::Error> {
    compile(&format!(r"\A(?:{source})"), false)
}

pub fn value_err(e: impl std::fmt::Display) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}

impl Engine {
    /// The route under `key` (a program, or `NATIVE_EXIM`) of a `family` program, made on
    /// its first line (split borrow: the table is read while the route changes).
    fn route_of(&mut self, key: &str, family: Family) -> (&mut Route, &[Pattern]) {
        let patterns = &self.patterns;
        let at = self.routes.at(patterns, key, family);
        (&mut self.routes.list[at], patterns)
    }

    /// Count a line Python parsed in the route it went through, so that the order of
    /// patterns stays the one a pure-Python run has.
    fn record_python(&mut self, event: &Bound<'_, PyAny>) -> PyResult<()> {
        let family: Option<String> = event.get_item("family")?.extract()?;
        let family = match family.as_deref() {
            Some("postfix") => Family::Postfix,
            Some("exim") => Family::Exim,
            Some("sendmail") => Family::Sendmail,
            _ => return Ok(()),
        };
        let program: String = event.get_item("program")?.extract()?;
        // Exim's own lines go through the parser's one native route
        let envelope = event.get_item("envelope").ok();
        let native = match envelope {
            Some(e) => e.extract::<Option<String>>()?.as_deref() == Some("exim"),
            None => false,
        };
        let key = if native {
            NATIVE_EXIM
        } else {
            program.as_str()
        };
        let pattern: Option<String> = event.get_item("pattern")?.extract()?;
        let pattern = pattern.and_then(|p| self.pattern_ids.get(&p).copied());
        let (route, patterns) = self.route_of(key, family);
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

    /// Every line of a batch (`bytes`: whole lines joined by `\n`, the first at byte
    /// `offset` of its source) -> (offset, length, outcome), in line order. Python's
    /// parse_batch stops at an exception: so does this pass, so that the routes' state is
    /// the one the Python stage is left with.
    pub fn parse_lines<'a>(
        &mut self,
        bytes: &'a [u8],
        offset: i64,
    ) -> Vec<(i64, usize, Outcome<'a>)> {
        let names = &self.names.list;
        self.fast
            .bind(&self.header, &self.patterns, |i| names[i].clone());
        let mut locs = Locs::new(self);
        let mut outcomes = Vec::with_capacity(bytes.len() / 96 + 1);
        let (mut start, mut pos) = (0usize, offset);
        for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
            let raw = &bytes[start..end];
            let outcome = self.parse_line(raw, &mut locs);
            let failed = matches!(outcome, Outcome::Failed(_));
            outcomes.push((pos, raw.len(), outcome));
            if failed {
                break;
            }
            pos += raw.len() as i64 + 1;
            start = end + 1;
        }
        self.fast.tally();
        outcomes
    }

    pub fn parse_line<'a>(&mut self, raw: &'a [u8], locs: &mut Locs) -> Outcome<'a> {
        if raw.is_empty() {
            return Outcome::Skip;
        }
        if !ascii_line(raw) {
            return self.python(raw);
        }
        // SAFETY: `ascii_line` let through ASCII bytes only, which are UTF-8 (checking
        // them again cost 3 % of the pass)
        let line = unsafe { std::str::from_utf8_unchecked(raw) };
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
        if self.native {
            if let Some(outcome) = self.exim_first(line, locs)? {
                return Ok(outcome);
            }
        }
        let header = match self.fast.header(line, &self.header, &mut locs.header) {
            Some(header) => header,
            None => {
                let h = &mut locs.header;
                // the message is the rest of the line (see `core_table.header_regex`)
                let Some(end) = self
                    .header
                    .captures_read(h, line.as_bytes())
                    .map(|m| m.end())
                else {
                    return Err(NeedPython); // Exim's, PHP's, journald's and odd syslog lines
                };
                Header {
                    groups: [h.get(1), h.get(2), h.get(3), h.get(4), h.get(5)],
                    end,
                }
            }
        };
        let group = |i: usize| header.groups[i - 1].map(|(a, b)| &line[a..b]);
        let end = header.end;
        let (bsd, iso, pid) = (group(1), group(2), group(5));
        let (host, program) = (group(3).ok_or(NeedPython)?, group(4).ok_or(NeedPython)?);
        let message = &line[end..];
        let stamp = match (bsd, iso) {
            (Some(text), _) => match &self.years {
                Some(state) => clock::bsd_in_year(text, &mut years::lock(state), &mut self.hours),
                None => locs
                    .last_bsd
                    .stamp(text.as_bytes(), self.rule, &mut self.hours),
            },
            // `2013-12-30 00:24:50 X Y: ...` may be Exim's own line: Python decides
            (None, Some(text)) if text.as_bytes().get(10) == Some(&b' ') => Stamp::Python,
            (None, Some(text)) => clock::iso(text.as_bytes(), &mut self.hours),
            (None, None) => Stamp::Python,
        };
        let ts = match stamp {
            Stamp::At(ts) => ts,
            Stamp::Bad => return Ok(self.bad_timestamp(line)),
            Stamp::Python => return Err(NeedPython),
        };
        let message = message.trim_end_matches(|c: char| is_space(c as u8));
        let family = family_of(program);
        match family {
            Family::Python => Err(NeedPython),
            // PHP's mail.log under any program name is PHP's: Python parses it
            Family::Beside if message.starts_with("mail() on [") => Err(NeedPython),
            Family::Beside => Ok(Outcome::Beside { program, ts }),
            Family::Exim if self.exim.is_none() => Err(NeedPython),
            Family::Postfix | Family::Exim | Family::Sendmail => {
                let pid = pid.map(derive::int).transpose()?;
                let head = self.head(ts, host, program, pid, family, None);
                self.mta(program, family, line, message, head, locs)
            }
        }
    }

    fn head<'a>(
        &self,
        ts: i64,
        host: &'a str,
        program: &'a str,
        pid: Option<i64>,
        family: Family,
        envelope: Option<usize>,
    ) -> Head<'a> {
        let k = &self.keys;
        let family = match family {
            Family::Exim => k.exim,
            Family::Sendmail => k.sendmail,
            _ => k.postfix,
        };
        Head {
            ts,
            host,
            program,
            pid,
            family,
            envelope,
        }
    }

    fn bad_timestamp<'a>(&self, line: &'a str) -> Outcome<'a> {
        Outcome::Unparsed {
            ts: None,
            host: None,
            program: None,
            reason: self.keys.bad_timestamp,
            line,
        }
    }

    /// `_EximFirst.parse` on a file of Exim's own log: its line read here, or None where
    /// the line is not one of Exim's own (then it is read as syslog).
    fn exim_first<'a>(
        &mut self,
        line: &'a str,
        locs: &mut Locs,
    ) -> Result<Option<Outcome<'a>>, NeedPython> {
        let Some(exim) = &self.exim else {
            return Err(NeedPython);
        };
        let Some(native) = self
            .fast
            .exim_native(line, &exim.native, &exim.lead, &mut locs.exim)
        else {
            return Ok(None);
        };
        let message = &line[native.end..];
        if !native.lead {
            // `2019-10-22 03:39:17 mx1 exim[29786]: ...` is syslog
            if self
                .header
                .captures_read(&mut locs.header, line.as_bytes())
                .is_some()
            {
                let program = locs.header.get(4).map(|(a, b)| &line[a..b]);
                match program.map(family_of) {
                    Some(Family::Beside) | None => {}
                    Some(Family::Python) => return Err(NeedPython),
                    Some(_) => return Ok(None),
                }
            }
        }
        let group = |i: usize| native.groups[i - 1].map(|(a, b)| &line.as_bytes()[a..b]);
        let ts = match clock::exim(
            group(1).ok_or(NeedPython)?,
            group(2),
            group(3),
            &mut self.hours,
        ) {
            Stamp::At(ts) => ts,
            Stamp::Bad => return Ok(Some(self.bad_timestamp(line))),
            Stamp::Python => return Err(NeedPython),
        };
        let pid = native.groups[3]
            .map(|(a, b)| derive::int(&line[a..b]))
            .transpose()?;
        let message = message.trim_end_matches(|c: char| is_space(c as u8));
        let head = self.head(
            ts,
            self.host,
            "exim",
            pid,
            Family::Exim,
            Some(self.keys.exim),
        );
        self.mta(NATIVE_EXIM, Family::Exim, line, message, head, locs)
            .map(Some)
    }

    /// An MTA line's event: the route of `key` tried on its message (`LineParser._event`).
    fn mta<'a>(
        &mut self,
        key: &str,
        family: Family,
        line: &'a str,
        message: &'a str,
        head: Head<'a>,
        locs: &mut Locs,
    ) -> Result<Outcome<'a>, NeedPython> {
        // Exim under syslog may repeat its time and `[pid]` first (`_EximRoute.prepare`)
        let text = match (&self.exim, family, head.envelope) {
            (Some(exim), Family::Exim, None) => {
                let first = message.as_bytes().first().copied();
                if first == Some(b'[')
                    || (first.is_some_and(|b| b.is_ascii_digit())
                        && message.as_bytes().get(4) == Some(&b'-'))
                {
                    let skip = exim.inner.find(message.as_bytes()).map_or(0, |m| m.end());
                    &message[skip..]
                } else {
                    message
                }
            }
            _ => message,
        };
        let fast = &mut self.fast;
        let patterns = &self.patterns;
        let at = self.routes.at(patterns, key, family);
        let route = &mut self.routes.list[at];
        let by_hand = fast.find(route, patterns, text, &mut locs.fast);
        let found = match by_hand {
            Some(i) if fast.mode == FastMode::On => Found::Match(i),
            _ => {
                let leads = fast.leads_on(text.as_bytes());
                let ruled_out = |j: usize| leads.as_ref().is_some_and(|l| l.rules_out(j));
                let found = route.find_in(
                    patterns,
                    text,
                    &mut locs.patterns,
                    &mut locs.slots,
                    ruled_out,
                );
                if let (Some(i), FastMode::Verify) = (by_hand, fast.mode) {
                    let picked = match found {
                        Found::Match(j) => Some(j),
                        _ => None,
                    };
                    fast.check(
                        Some(i),
                        picked,
                        &patterns[i],
                        &locs.patterns[i],
                        &locs.fast,
                        line,
                    );
                }
                found
            }
        };
        let by_hand = by_hand.is_some() && self.fast.mode == FastMode::On;
        // a line sent to Python is counted in its route from Python's result
        let (outcome, matched) = match found {
            Found::Python => return Err(NeedPython),
            Found::NoMatch => (
                Outcome::Unparsed {
                    ts: Some(head.ts),
                    host: Some(head.host),
                    program: Some(head.program),
                    reason: self.keys.no_pattern,
                    line,
                },
                None,
            ),
            Found::Match(i) if self.patterns[i].other => (
                Outcome::Other {
                    program: head.program,
                    ts: head.ts,
                },
                Some(i),
            ),
            Found::Match(i) => {
                let p = &self.patterns[i];
                let (rust, fancy, hand) = (&locs.patterns[i], &locs.slots[i], &locs.fast);
                let caps = |g: usize| match p.fancy {
                    _ if by_hand => hand.get(g).copied().flatten(),
                    Some(_) => fancy.get(g).copied().flatten(),
                    None => rust.get(g),
                };
                let outcome = if p.finish {
                    Outcome::Finish {
                        fields: self.groups(i, text, &caps)?,
                        pattern: i,
                        message,
                        head,
                    }
                } else {
                    Outcome::Event {
                        fields: self.fields(i, text, &caps, head, locs.head_free[i])?,
                        program: head.program,
                        ts: head.ts,
                    }
                };
                (outcome, Some(i))
            }
        };
        self.routes.list[at].record(&self.patterns, matched);
        Ok(outcome)
    }

    /// The pattern's named groups, typed (`FIELD_TYPES`), in the regex's order.
    fn groups<'a>(
        &self,
        i: usize,
        message: &'a str,
        caps: &dyn Fn(usize) -> Option<(usize, usize)>,
    ) -> Result<Fields<'a>, NeedPython> {
        let p = &self.patterns[i];
        let mut f = Fields(Vec::with_capacity(p.groups.len() + 12));
        for (g, slot) in p.groups.iter().enumerate() {
            if let Some((name, kind)) = slot {
                let value = match caps(g) {
                    Some((a, b)) => derive::typed(&message[a..b], *kind)?,
                    None => Val::None,
                };
                f.0.push((*name, value));
            }
        }
        Ok(f)
    }

    /// The event's fields, in the order `LineParser._event` sets them (`head_free`: the
    /// pattern sets none of the fields set last, which are then appended).
    fn fields<'a>(
        &self,
        i: usize,
        message: &'a str,
        caps: &dyn Fn(usize) -> Option<(usize, usize)>,
        head: Head<'a>,
        head_free: bool,
    ) -> Result<Fields<'a>, NeedPython> {
        let p = &self.patterns[i];
        let k = &self.keys;
        let mut f = self.groups(i, message, caps)?;
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
        if head_free {
            f.0.push((k.event, Val::Name(p.event)));
            f.0.push((k.pattern, Val::Name(p.name)));
            push_head(&mut f, k, head);
        } else {
            f.set(k.event, Val::Name(p.event));
            f.set(k.pattern, Val::Name(p.name));
            set_head(&mut f, k, head);
        }
        Ok(f)
    }
}

/// The routes by key (a program, or `NATIVE_EXIM`): one lookup per line finds its place.
#[derive(Default)]
pub struct Routes {
    index: FxHashMap<String, usize>,
    pub list: Vec<Route>,
}

impl Routes {
    /// The place of the route of a `family` program under `key`, made on its first line
    /// (the key is allocated once per program, not per line).
    fn at(&mut self, patterns: &[Pattern], key: &str, family: Family) -> usize {
        if let Some(&at) = self.index.get(key) {
            return at;
        }
        let program = if key == NATIVE_EXIM { "exim" } else { key };
        let daemon = program.rsplit('/').next().unwrap_or(program);
        self.list.push(Route::of(patterns, family, daemon));
        self.index.insert(key.to_owned(), self.list.len() - 1);
        self.list.len() - 1
    }
}

/// The fields every event ends with (`LineParser._event`).
pub fn set_head<'a>(f: &mut Fields<'a>, k: &Keys, head: Head<'a>) {
    f.set(k.ts, Val::Int(head.ts));
    f.set(k.host, Val::Str(head.host));
    f.set(k.program, Val::Str(head.program));
    f.set(k.pid, head.pid.map_or(Val::None, Val::Int));
    f.set(k.family, Val::Name(head.family));
    if let Some(envelope) = head.envelope {
        f.set(k.envelope, Val::Name(envelope));
    }
}

/// `set_head` on fields that hold none of its keys (nor `event`, `pattern`): appended.
fn push_head<'a>(f: &mut Fields<'a>, k: &Keys, head: Head<'a>) {
    f.0.extend([
        (k.ts, Val::Int(head.ts)),
        (k.host, Val::Str(head.host)),
        (k.program, Val::Str(head.program)),
        (k.pid, head.pid.map_or(Val::None, Val::Int)),
        (k.family, Val::Name(head.family)),
    ]);
    if let Some(envelope) = head.envelope {
        f.0.push((k.envelope, Val::Name(envelope)));
    }
}

/// The hour of the last BSD time read (its text up to the minutes, `Mar  7 02:`) and
/// where that hour starts: lines come in time order, most lines are in the hour of the
/// line before, whose time is then read from its `mm:ss` alone (`clock::bsd_hour` is a
/// function of the text within a batch: its rule and hours do not change).
#[derive(Default)]
pub struct LastBsd {
    hour: [u8; 16],
    len: usize,
    base: Option<i64>,
}

impl LastBsd {
    fn stamp(&mut self, text: &[u8], rule: YearRule, hours: &mut HourCache) -> Stamp {
        let cut = text.len().saturating_sub(5);
        let (hour, minutes_seconds) = text.split_at(cut);
        if let Some(base) = self.base {
            if self.hour[..self.len] == *hour {
                return clock::bsd_in_hour(base, minutes_seconds);
            }
        }
        match clock::bsd_hour(text, rule, hours) {
            Ok((base, seconds)) => {
                // (only a good whole time vouches for its hour's text)
                if hour.len() <= self.hour.len() {
                    self.len = hour.len();
                    self.hour[..self.len].copy_from_slice(hour);
                    self.base = Some(base);
                }
                Stamp::At(base + seconds * 1_000_000)
            }
            Err(stamp) => stamp,
        }
    }
}

/// Capture slots, one per regex, reused across lines.
pub struct Locs {
    pub header: CaptureLocations,
    pub patterns: Vec<CaptureLocations>,
    /// fancy patterns' captures
    pub slots: Vec<Slots>,
    /// Exim's own line reader's
    pub exim: CaptureLocations,
    /// a fast path's captures (by group of its pattern)
    pub fast: Vec<fast::Span>,
    /// per pattern: it sets none of the fields an event ends with (`push_head`)
    pub head_free: Vec<bool>,
    pub last_bsd: LastBsd,
}

impl Locs {
    pub fn new(engine: &Engine) -> Locs {
        Locs {
            header: engine.header.capture_locations(),
            patterns: engine
                .patterns
                .iter()
                .map(|p| p.regex.capture_locations())
                .collect(),
            slots: vec![Vec::new(); engine.patterns.len()],
            exim: engine.exim.as_ref().map_or_else(
                || engine.header.capture_locations(),
                |e| e.native.capture_locations(),
            ),
            fast: Vec::new(),
            head_free: engine
                .patterns
                .iter()
                .map(|p| head_free(p, &engine.keys))
                .collect(),
            last_bsd: LastBsd::default(),
        }
    }
}

/// Whether none of pattern `p`'s groups and fixed fields is a field every event ends with.
fn head_free(p: &Pattern, k: &Keys) -> bool {
    let last = [
        k.event, k.pattern, k.ts, k.host, k.program, k.pid, k.family, k.envelope,
    ];
    let groups = p.groups.iter().flatten().map(|(name, _)| *name);
    let fixed = p.fixed.iter().map(|(name, _)| *name);
    !groups.chain(fixed).any(|name| last.contains(&name))
}
