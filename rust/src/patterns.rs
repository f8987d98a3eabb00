//! The pattern tables (Postfix, Exim, Sendmail), received as data from Python, and the
//! routes that try them per program the way `analyzer.parse.events._Route` does (specific patterns sorted by
//! hits on the same schedule, fallbacks in declaration order), so that even a line two
//! specific patterns match gets the pattern Python picks.

use regex::bytes::{CaptureLocations, Regex};

/// How the Rust side may use a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Its regex compiles here and means the same: matched and converted in Rust.
    Rust,
    /// Its regex needs a Python feature (a lookahead); `regex` is a superset (lookahead
    /// removed): no match there means no match in Python, a match sends the line to Python.
    Gate,
    /// Its regex needs a backtracking engine (lookarounds, possessive loops): `regex` is a
    /// superset tried first, `Pattern::fancy` the exact regex (fancy-regex).
    Fancy,
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
    /// the MTA family whose table holds it
    pub family: Family,
    /// `Mode::Fancy`: the exact regex
    pub fancy: Option<fancy_regex::Regex>,
    /// its steps after the typed groups are Python code (`_Alternative.complete`)
    pub finish: bool,
}

/// Capture positions of a fancy-regex match (per pattern, reused across lines).
pub type Slots = Vec<Option<(usize, usize)>>;

/// One program's candidates, with the hit counts that order them.
pub struct Route {
    specific: Vec<usize>,
    fallbacks: Vec<usize>,
    /// hits per pattern of the table (by index)
    hits: Vec<u64>,
    lines: u64,
}

/// What trying a route came to.
pub enum Found {
    Match(usize),
    NoMatch,
    Python,
}

impl Route {
    /// A Postfix program's route.
    #[allow(dead_code)] // the Postfix API other modules of the crate build on
    pub fn new(patterns: &[Pattern], daemon: &str) -> Route {
        Route::of(patterns, Family::Postfix, daemon)
    }

    /// The route of a program of `family` (`daemon`: the last part of its name).
    pub fn of(patterns: &[Pattern], family: Family, daemon: &str) -> Route {
        let chosen = (0..patterns.len()).filter(|&i| {
            patterns[i].family == family
                && patterns[i]
                    .daemons
                    .as_ref()
                    .is_none_or(|d| d.iter().any(|x| x == daemon))
        });
        let (fallbacks, specific): (Vec<usize>, Vec<usize>) =
            chosen.partition(|&i| patterns[i].fallback);
        Route {
            specific,
            fallbacks,
            hits: vec![0; patterns.len()],
            lines: 0,
        }
    }

    /// `_Route.find`'s bookkeeping before matching: count the line, sort on schedule.
    /// Sorting twice at one count is harmless (a stable sort by unchanged hits), which
    /// lets a line sent to Python be counted again from its result.
    pub fn tick(&mut self) -> u64 {
        let lines = self.lines + 1;
        if lines & 0x3FFF == 0 || lines == 512 {
            let hits = &self.hits;
            self.specific.sort_by_key(|i| std::cmp::Reverse(hits[*i]));
        }
        lines
    }

    /// Record a line's outcome (also for lines Python parsed: `pattern` is what it found).
    pub fn record(&mut self, patterns: &[Pattern], pattern: Option<usize>) {
        self.lines = self.tick();
        if let Some(p) = pattern {
            if !patterns[p].fallback {
                self.hits[p] += 1;
            }
        }
    }

    /// The route's patterns in the order a line tries them now.
    pub fn members(&self) -> impl Iterator<Item = usize> + '_ {
        self.specific.iter().chain(self.fallbacks.iter()).copied()
    }

    /// The pattern Python would pick for `message`, with its captures in `locs`; or
    /// `Found::Python` where only Python can tell. The caller records the outcome
    /// (`record`) once it knows the line is parsed here. (Fancy patterns need
    /// `find_in`'s slots: here a match of theirs is Python's.)
    #[allow(dead_code)] // the Postfix API other modules of the crate build on
    pub fn find(
        &mut self,
        patterns: &[Pattern],
        message: &str,
        locs: &mut [CaptureLocations],
    ) -> Found {
        self.search(patterns, message, locs, None, |_| false)
    }

    /// `find` for every mode: fancy patterns' captures go to `slots`.
    /// (`ruled_out(i)`: pattern i cannot match the message, known without its regex)
    pub fn find_in(
        &mut self,
        patterns: &[Pattern],
        message: &str,
        locs: &mut [CaptureLocations],
        slots: &mut [Slots],
        ruled_out: impl Fn(usize) -> bool,
    ) -> Found {
        self.search(patterns, message, locs, Some(slots), ruled_out)
    }

    fn search(
        &mut self,
        patterns: &[Pattern],
        message: &str,
        locs: &mut [CaptureLocations],
        mut slots: Option<&mut [Slots]>,
        ruled_out: impl Fn(usize) -> bool,
    ) -> Found {
        self.tick();
        for &i in self.specific.iter().chain(self.fallbacks.iter()) {
            if ruled_out(i) {
                continue;
            }
            let p = &patterns[i];
            // captures only for the events whose fields are read (or the guard's mark)
            // (a fancy pattern's superset is only tried: its captures come from fancy-regex)
            let hit = if p.mode != Mode::Rust || (p.other && p.guard.is_none()) {
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
            match p.mode {
                Mode::Gate => return Found::Python,
                Mode::Rust => return Found::Match(i),
                Mode::Fancy => {
                    let (Some(fancy), Some(slots)) = (&p.fancy, slots.as_deref_mut()) else {
                        return Found::Python;
                    };
                    match fancy_match(fancy, message, p.other, &mut slots[i]) {
                        Ok(true) => return Found::Match(i),
                        Ok(false) => continue, // the superset matched, the pattern not
                        Err(()) => return Found::Python, // fancy-regex gave up (backtrack limit)
                    }
                }
            }
        }
        Found::NoMatch
    }
}

/// The exact match of a fancy pattern; its captures in `slots` unless only the match is
/// wanted (`other` events). `Err`: fancy-regex gave up, Python decides.
fn fancy_match(
    fancy: &fancy_regex::Regex,
    message: &str,
    other: bool,
    slots: &mut Slots,
) -> Result<bool, ()> {
    if other {
        return fancy.is_match(message).map_err(|_| ());
    }
    match fancy.captures(message) {
        Ok(Some(caps)) => {
            slots.clear();
            slots.extend((0..caps.len()).map(|g| caps.get(g).map(|m| (m.start(), m.end()))));
            Ok(true)
        }
        Ok(None) => Ok(false),
        Err(_) => Err(()),
    }
}

/// `family_of`: the MTA families parsed here, programs beside the MTA, and PHP (whose
/// lines go to Python).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Postfix,
    Beside,
    Python,
    Exim,
    Sendmail,
}

pub fn family_of(program: &str) -> Family {
    if program.starts_with("postfix") {
        Family::Postfix
    } else if program.starts_with("exim") {
        Family::Exim
    } else if program == "sendmail" || program.starts_with("sm-") {
        // `sm-mta`, `sm-msp-queue`, `sm-acceptingconnections` and any other `sm-` name
        Family::Sendmail
    } else if program.starts_with("php") {
        // PHP (and any `php...` name, whose test Python makes)
        Family::Python
    } else {
        Family::Beside
    }
}
