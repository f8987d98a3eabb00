//! What a pattern's match must start with, read once from its regex: the literals every
//! match begins with (regex-syntax's prefix extraction), or, for a pattern that starts
//! with Postfix's queue id, the literals that follow it. Before a fast path's answer
//! stands, each pattern its route tries earlier must not match the line; a lead rules
//! most of them out with a few byte compares instead of a regex search.

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};
use regex_syntax::ParserBuilder;

/// The table's queue id group (`POSTFIX_QID`): letters and digits only.
const QUEUE_ID: &str = r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16})";

pub struct Lead {
    /// the literals follow the queue id, which is then the line's first run of letters
    /// and digits (every literal starts with another byte, where the id must end)
    after_id: bool,
    literals: Vec<Vec<u8>>,
    /// the literals' first bytes (most lines are ruled out by their first byte)
    firsts: [bool; 256],
}

/// `source` as `engine::compile` reads it (bytes, ASCII classes, case-sensitive).
fn parse(source: &str) -> Option<Hir> {
    ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(source)
        .ok()
}

/// The literals every match of `hir` starts with; None where that set is unbounded or
/// holds the empty string (then nothing is ruled out).
fn prefixes(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix);
    let seq = extractor.extract(hir);
    let literals = seq.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

impl Lead {
    /// The lead of a compiled regex of the table (`source`: as compiled, `\A(?:...)`).
    pub fn of(source: &str) -> Option<Lead> {
        let hir = parse(source)?;
        let parts: Vec<&Hir> = match hir.kind() {
            HirKind::Concat(parts) => parts.iter().collect(),
            _ => vec![&hir],
        };
        let first = parts
            .iter()
            .position(|h| !matches!(h.kind(), HirKind::Look(_)))?;
        let id = parse(QUEUE_ID)?;
        let starts_with_id = match (parts[first].kind(), id.kind()) {
            (HirKind::Capture(c), HirKind::Capture(want)) => {
                c.name.as_deref() == Some("queue_id") && c.sub == want.sub
            }
            _ => false,
        };
        let (after_id, literals) = if starts_with_id {
            let rest = Hir::concat(parts[first + 1..].iter().map(|h| (*h).clone()).collect());
            let literals = prefixes(&rest)?;
            let apart = literals.iter().all(|l| !l[0].is_ascii_alphanumeric());
            (true, apart.then_some(literals)?)
        } else {
            (false, prefixes(&hir)?)
        };
        let mut firsts = [false; 256];
        for l in &literals {
            firsts[usize::from(l[0])] = true;
        }
        Some(Lead {
            after_id,
            literals,
            firsts,
        })
    }

    /// Whether no match of the pattern can start `message`, whose first run of letters
    /// and digits ends at `id_end` (`id_end(message)`, found once for all patterns).
    pub fn rules_out(&self, message: &[u8], id_end: usize) -> bool {
        let rest = if self.after_id {
            &message[id_end..]
        } else {
            message
        };
        let Some(&first) = rest.first() else {
            return true; // (no literal is empty)
        };
        !self.firsts[usize::from(first)] || !self.literals.iter().any(|l| rest.starts_with(l))
    }
}

/// Where `message`'s first run of letters and digits ends (a queue id's end).
pub fn id_end(message: &[u8]) -> usize {
    message
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(message.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads_of_table_shapes() {
        let lead = Lead::of(r"\A(?:connect from (?P<n>[^\[]*)\[)").expect("a literal");
        assert!(!lead.rules_out(b"connect from x[", 0));
        assert!(lead.rules_out(b"disconnect from x[", 0));
        let queued = format!(r"\A(?:{QUEUE_ID}: from=<(?P<s>[^>]*)>)");
        let lead = Lead::of(&queued).expect("after the id");
        assert!(!lead.rules_out(b"4F2A11C0E3: from=<a>", 10));
        assert!(lead.rules_out(b"4F2A11C0E3: removed", 10));
        // a top-level alternative or an optional start: no lead, or one of each branch
        assert!(Lead::of(&format!(r"\A(?:{QUEUE_ID}: a|b)")).is_none());
        assert!(Lead::of(r"\A(?:(?:x: )?y)").is_some_and(|l| !l.rules_out(b"y", 1)));
        assert!(Lead::of(r"\A(?:.*)").is_none());
    }
}
