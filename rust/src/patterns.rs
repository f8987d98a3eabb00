//! The Postfix pattern table, received as data from Python, and the routes that try it
//! per program the way `analyzer.parse.events._Route` does (specific patterns sorted by
//! hits on the same schedule, fallbacks in declaration order), so that even a line two
//! specific patterns match gets the pattern Python picks.

use std::collections::HashMap;

use regex::bytes::{CaptureLocations, Regex};

/// How the Rust side may use a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Its regex compiles here and means the same: matched and converted in Rust.
    Rust,
    /// Its regex needs a Python feature (a lookahead); `regex` is a superset (lookahead
    /// removed): no match there means no match in Python, a match sends the line to Python.
    Gate,
}

/// A field conversion of `FIELD_TYPES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Float,
}

/// Fields computed after the groups (`DERIVED` and pattern `derive` functions ported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derive {
    None,
    RecipientDomain,
    CommandCounters,
    Anvil,
}

pub struct Pattern {
    pub name: usize, // index in the name table (pattern names are interned with fields)
    pub event: usize,
    pub regex: Regex,
    pub mode: Mode,
    pub daemons: Option<Vec<String>>,
    /// (field, index of the Python object in the fixed-value table)
    pub fixed: Vec<(usize, usize)>,
    pub fallback: bool,
    /// per capture group (by index): the field name and its conversion
    pub groups: Vec<Option<(usize, Option<Kind>)>>,
    pub classify: bool,
    pub client: bool,
    pub derive: Derive,
    pub other: bool,
    /// a negative lookahead ported (`core_table.guarded`): the capture group marking its
    /// place and its body; where the match went through the mark and the body matches
    /// there, Python's lookahead fails: the line is Python's
    pub guard: Option<(usize, Regex)>,
}

/// One program's candidates, with the hit counts that order them.
pub struct Route {
    specific: Vec<usize>,
    fallbacks: Vec<usize>,
    hits: HashMap<usize, u64>,
    lines: u64,
}

/// What trying a route came to.
pub enum Found {
    Match(usize),
    NoMatch,
    Python,
}

impl Route {
    pub fn new(patterns: &[Pattern], daemon: &str) -> Route {
        let chosen = (0..patterns.len()).filter(|&i| {
            patterns[i]
                .daemons
                .as_ref()
                .is_none_or(|d| d.iter().any(|x| x == daemon))
        });
        let (fallbacks, specific): (Vec<usize>, Vec<usize>) =
            chosen.partition(|&i| patterns[i].fallback);
        Route {
            specific,
            fallbacks,
            hits: HashMap::new(),
            lines: 0,
        }
    }

    /// `_Route.find`'s bookkeeping before matching: count the line, sort on schedule.
    /// Sorting twice at one count is harmless (a stable sort by unchanged hits), which
    /// lets a line sent to Python be counted again from its result.
    fn tick(&mut self) -> u64 {
        let lines = self.lines + 1;
        if lines & 0x3FFF == 0 || lines == 512 {
            let hits = &self.hits;
            self.specific
                .sort_by_key(|i| std::cmp::Reverse(hits.get(i).copied().unwrap_or(0)));
        }
        lines
    }

    /// Record a line's outcome (also for lines Python parsed: `pattern` is what it found).
    pub fn record(&mut self, patterns: &[Pattern], pattern: Option<usize>) {
        self.lines = self.tick();
        if let Some(p) = pattern {
            if !patterns[p].fallback {
                *self.hits.entry(p).or_insert(0) += 1;
            }
        }
    }

    /// The pattern Python would pick for `message`, with its captures in `locs`; or
    /// `Found::Python` where only Python can tell. The caller records the outcome
    /// (`record`) once it knows the line is parsed here.
    pub fn find(
        &mut self,
        patterns: &[Pattern],
        message: &str,
        locs: &mut [CaptureLocations],
    ) -> Found {
        self.tick();
        for &i in self.specific.iter().chain(self.fallbacks.iter()) {
            let p = &patterns[i];
            // captures only for the events whose fields are read (or the guard's mark)
            let hit = if p.mode == Mode::Gate || (p.other && p.guard.is_none()) {
                p.regex.is_match(message.as_bytes())
            } else {
                p.regex
                    .captures_read(&mut locs[i], message.as_bytes())
                    .is_some()
            };
            if !hit {
                continue;
            }
            if let Some((mark, body)) = &p.guard {
                if let Some((at, _)) = locs[i].get(*mark) {
                    if body.is_match(&message.as_bytes()[at..]) {
                        return Found::Python;
                    }
                }
            }
            return match p.mode {
                Mode::Gate => Found::Python,
                Mode::Rust => Found::Match(i),
            };
        }
        Found::NoMatch
    }
}

/// `family_of`: only Postfix is parsed here; other MTAs' lines go to Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Postfix,
    Beside,
    Python,
}

pub fn family_of(program: &str) -> Family {
    if program.starts_with("postfix") {
        Family::Postfix
    } else if program.starts_with("exim")
        || program.starts_with("sm-")
        || program.starts_with("php")
        || program == "sendmail"
    {
        // exim, sendmail, PHP (and any `php...` name, whose test Python makes)
        Family::Python
    } else {
        Family::Beside
    }
}
