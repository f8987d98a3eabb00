//! Fast paths of the parse pass: the syslog header read by hand (`header.rs`) and
//! hand-written matchers of the hottest patterns of Postfix (`postfix.rs`,
//! `postfix_session.rs`, `postfix_reject.rs`), Exim
//! (`exim.rs`, with its selector tokenizer in `selectors.rs`, `exim_auth.rs`, `exim_failed.rs`, and its own
//! line's header in `exim_native.rs`) and Sendmail
//! (`sendmail.rs`, `sendmail_session.rs`, `sendmail_rest.rs`), tried before the regexes. Each applies only to the exact regex source
//! it was written for (a fancy pattern's exact regex, not its superset) and declines
//! wherever it is not sure; the regex then decides, so the table stays the truth.
//! `Mode::Verify` runs both on every line a fast path answers and keeps the lines where
//! they differ (the differential tests require none).

mod exim;
mod exim_auth;
mod exim_failed;
mod exim_native;
mod exim_reject;
mod header;
mod leads;
mod postfix;
mod postfix_reject;
mod postfix_session;
mod scan;
mod selectors;
mod sendmail;
mod sendmail_rest;
mod sendmail_session;

use regex::bytes::{CaptureLocations, Regex};
use rustc_hash::FxHashMap;

use crate::patterns::{Mode as PatternMode, Pattern, Route};
pub use header::Header;
use leads::Lead;
pub use scan::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    On,
    Off,
    Verify,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "on" => Some(Mode::On),
            "off" => Some(Mode::Off),
            "verify" => Some(Mode::Verify),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::On => "on",
            Mode::Off => "off",
            Mode::Verify => "verify",
        }
    }
}

/// A hand-written matcher of one exact regex source (`source`, as the table gives it;
/// for a fancy pattern its exact regex). A matcher follows the one path a backtracking
/// engine tries first (greedy runs as long as they go, an optional part taken where it
/// can start); where that path fails it declines instead of backtracking, and the regex
/// decides. So where it answers, it answers what the regex's leftmost-first match would:
/// the same groups at the same places. `run(message, spans)` fills `spans` (one per name
/// of `names`, in that order) and says whether the pattern matches; false means "not
/// decided here".
pub struct Matcher {
    pub pattern: &'static str,
    pub source: &'static str,
    pub names: &'static [&'static str],
    pub run: fn(&[u8], &mut [Span]) -> bool,
}

/// Every matcher, of every family (a pattern name and its source pick one).
fn matchers() -> impl Iterator<Item = &'static Matcher> {
    postfix::MATCHERS
        .iter()
        .chain(postfix_session::MATCHERS)
        .chain(postfix_reject::MATCHERS)
        .chain(exim::MATCHERS)
        .chain(exim_auth::MATCHERS)
        .chain(exim_failed::MATCHERS)
        .chain(exim_reject::MATCHERS)
        .chain(sendmail::MATCHERS)
        .chain(sendmail_session::MATCHERS)
        .chain(sendmail_rest::MATCHERS)
}

/// A matcher bound to its pattern: the regex group of each of its names.
struct Bound {
    matcher: &'static Matcher,
    groups: Vec<usize>,
}

/// The leads of a table against one message (`Fast::leads_on`).
pub struct LeadCheck<'m> {
    leads: &'m [Option<Lead>],
    message: &'m [u8],
    id_end: usize,
}

impl LeadCheck<'_> {
    /// Whether pattern `j` cannot match the message (its lead says so).
    pub fn rules_out(&self, j: usize) -> bool {
        self.leads
            .get(j)
            .and_then(Option::as_ref)
            .is_some_and(|l| l.rules_out(self.message, self.id_end))
    }
}

/// How many mismatches `Verify` keeps (each is a test failure; a few say enough).
const KEEP: usize = 20;

/// The fast paths of one engine, bound to its tables on the first batch.
pub struct Fast {
    pub mode: Mode,
    ready: bool,
    header: bool,
    bound: Vec<Option<Bound>>,
    /// some pattern has a bound matcher
    any_bound: bool,
    /// per pattern: what its match must start with, where that can be read off its regex
    leads: Vec<Option<Lead>>,
    /// lines each fast path answered (by path name), for the tests
    pub counts: FxHashMap<&'static str, u64>,
    /// the lines of this batch each bound matcher answered (by pattern) and the header's:
    /// added to `counts` once a batch (a map entry per line cost 3 % of the pass)
    answered: Vec<u64>,
    headers: u64,
    /// `Verify`: lines where a fast path and the regex differ
    pub mismatches: Vec<String>,
    /// Exim's own line header read by hand (`exim_native.rs`)
    exim_native: exim_native::Binding,
    spans: Vec<Span>,
    /// the patterns of a route tried before a matcher's pick that no lead ruled out
    unsure: Vec<usize>,
    /// `Verify`: the message the last fast answer was for (a fancy pattern's captures
    /// are read again from its exact regex)
    message: String,
}

impl Default for Fast {
    fn default() -> Fast {
        Fast {
            mode: Mode::On,
            ready: false,
            header: false,
            bound: Vec::new(),
            any_bound: false,
            leads: Vec::new(),
            counts: FxHashMap::default(),
            answered: Vec::new(),
            headers: 0,
            mismatches: Vec::new(),
            exim_native: exim_native::Binding::default(),
            spans: vec![None; 8],
            unsure: Vec::new(),
            message: String::new(),
        }
    }
}

/// A regex's source as the table gave it (`engine::anchored` wraps it in `\A(?:...)`).
fn source_of(regex: &Regex) -> &str {
    unwrap(regex.as_str())
}

/// A fancy pattern's exact source as the table gave it (`core.rs` wraps it the same way).
fn fancy_source(regex: &fancy_regex::Regex) -> &str {
    unwrap(regex.as_str())
}

fn unwrap(s: &str) -> &str {
    s.strip_prefix(r"\A(?:")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(s)
}

impl Fast {
    /// Bind the fast paths whose regex source is the table's (once).
    pub fn bind(
        &mut self,
        header: &Regex,
        patterns: &[Pattern],
        name_of: impl Fn(usize) -> String,
    ) {
        if self.ready {
            return;
        }
        self.ready = true;
        self.header = source_of(header) == header::SOURCE;
        self.bound = patterns
            .iter()
            .map(|p| {
                // a fancy pattern's matcher follows its exact regex (its superset is
                // only a pre-test)
                let source = match (&p.mode, &p.fancy) {
                    (PatternMode::Fancy, Some(f)) => fancy_source(f),
                    _ => source_of(&p.regex),
                };
                let m = matchers().find(|m| m.pattern == name_of(p.name) && m.source == source)?;
                // the matcher's names must be the pattern's groups (all of them)
                let names: Vec<Option<&str>> = p.regex.capture_names().collect();
                let groups: Option<Vec<usize>> = m
                    .names
                    .iter()
                    .map(|n| names.iter().position(|g| *g == Some(n)))
                    .collect();
                // (a matcher naming the guard's mark declines where its body stands there)
                let exact = (p.guard.is_none() || m.names.contains(&crate::engine::MARK))
                    && match p.mode {
                        PatternMode::Rust => p.fancy.is_none(),
                        // (the exact regex numbers its groups as the superset does)
                        PatternMode::Fancy => p
                            .fancy
                            .as_ref()
                            .is_some_and(|f| f.capture_names().eq(p.regex.capture_names())),
                        PatternMode::Gate => false,
                    };
                // (an `other` event's fields are not read: its matcher need not capture)
                let all = (p.other && m.names.is_empty())
                    || names.iter().flatten().count() == m.names.len();
                let groups = groups?;
                (exact && all).then_some(Bound { matcher: m, groups })
            })
            .collect();
        self.any_bound = self.bound.iter().any(Option::is_some);
        self.answered = vec![0; self.bound.len()];
        self.leads = patterns
            .iter()
            .map(|p| Lead::of(p.regex.as_str()))
            .collect();
    }

    /// Names of the bound fast paths ("header" and pattern names), for the tests.
    pub fn bound_paths(&self) -> Vec<&'static str> {
        let header = self.header.then_some("header");
        header
            .into_iter()
            .chain(self.bound.iter().flatten().map(|b| b.matcher.pattern))
            .collect()
    }

    /// Add the batch's answers to `counts` (at the end of each batch).
    pub fn tally(&mut self) {
        if self.headers > 0 {
            *self.counts.entry("header").or_insert(0) += std::mem::take(&mut self.headers);
        }
        for (n, b) in self.answered.iter_mut().zip(&self.bound) {
            if let (Some(b), true) = (b, *n > 0) {
                *self.counts.entry(b.matcher.pattern).or_insert(0) += std::mem::take(n);
            }
        }
    }

    fn mismatch(&mut self, what: &str, line: &str) {
        if self.mismatches.len() < KEEP {
            self.mismatches.push(format!("{what}: {line}"));
        }
    }

    /// The header of `line` read by hand, or None (then the regex reads it). In `Verify`
    /// mode None always, after checking the hand reading against `regex`'s.
    pub fn header(
        &mut self,
        line: &str,
        regex: &Regex,
        locs: &mut CaptureLocations,
    ) -> Option<Header> {
        if self.mode == Mode::Off || !self.header {
            return None;
        }
        let found = header::read(line.as_bytes())?;
        self.headers += 1;
        if self.mode == Mode::Verify {
            let same = regex.captures_read(locs, line.as_bytes()).is_some_and(|m| {
                m.end() == found.end && (1..=5).all(|g| locs.get(g) == found.groups[g - 1])
            });
            if !same {
                self.mismatch("header", line);
            }
            return None;
        }
        Some(found)
    }

    /// The pattern `route` picks for `message` where a matcher decides it: its index, with
    /// the capture of each regex group in `caps` (by group). `route` is ticked as `search`
    /// ticks it (so its order is this line's); the caller records the line. One walk of
    /// the route: a pattern whose lead rules the line out is passed over (its regex, and
    /// so its matcher, cannot match), the first matcher that answers is the pick unless
    /// a pattern tried before it, not ruled out, matches (supersets say no too).
    pub fn find(
        &mut self,
        route: &mut Route,
        patterns: &[Pattern],
        message: &str,
        caps: &mut Vec<Span>,
    ) -> Option<usize> {
        if self.mode == Mode::Off || !self.any_bound {
            return None;
        }
        let bytes = message.as_bytes();
        route.tick();
        let id_end = leads::id_end(bytes);
        let (bound, leads, spans, unsure) =
            (&self.bound, &self.leads, &mut self.spans, &mut self.unsure);
        unsure.clear();
        let mut pick = None;
        for j in route.members() {
            if leads[j]
                .as_ref()
                .is_some_and(|l| l.rules_out(bytes, id_end))
            {
                continue;
            }
            if let Some(b) = &bound[j] {
                spans.clear();
                spans.resize(b.matcher.names.len(), None);
                if (b.matcher.run)(bytes, spans) {
                    pick = Some(j);
                    break;
                }
            }
            unsure.push(j);
        }
        let i = pick?;
        if unsure.iter().any(|&j| patterns[j].regex.is_match(bytes)) {
            return None;
        }
        let b = self.bound[i].as_ref()?;
        caps.clear();
        caps.resize(patterns[i].regex.captures_len(), None);
        for (k, &g) in b.groups.iter().enumerate() {
            caps[g] = self.spans[k];
        }
        self.answered[i] += 1;
        if self.mode == Mode::Verify {
            self.message.clear();
            self.message.push_str(message);
        }
        Some(i)
    }

    /// `On` mode: the leads of the table's patterns read against `message`, for the
    /// regex route to pass over the patterns they rule out (`Off` and `Verify` try every
    /// regex).
    pub fn leads_on<'m>(&'m self, message: &'m [u8]) -> Option<LeadCheck<'m>> {
        (self.mode == Mode::On && self.ready).then(|| LeadCheck {
            leads: &self.leads,
            message,
            id_end: leads::id_end(message),
        })
    }

    /// `Verify`: the regex route's result (`found`, captures in `locs`) against the fast
    /// path's (`fast`, captures in `caps`).
    pub fn check(
        &mut self,
        fast: Option<usize>,
        found: Option<usize>,
        pattern: &Pattern,
        locs: &CaptureLocations,
        caps: &[Span],
        line: &str,
    ) {
        let Some(i) = fast else { return };
        let same = found == Some(i)
            && (pattern.other
                || match &pattern.fancy {
                    // the route read only the superset: the exact regex's captures here
                    Some(f) => f.captures(&self.message).ok().flatten().is_some_and(|m| {
                        (1..caps.len()).all(|g| m.get(g).map(|x| (x.start(), x.end())) == caps[g])
                    }),
                    None => (1..caps.len()).all(|g| locs.get(g) == caps[g]),
                });
        if !same {
            self.mismatch("pattern", line);
        }
    }
}
