//! Hand-written matchers of Postfix's reject lines and the notices beside them: smtpd's
//! and postscreen's `reject:` with its envelope tail, cleanup's PHP script header, bounce
//! notifications and postscreen's protocol complaints (how a matcher follows its regex:
//! `super::Matcher`).

use memchr::{memchr2_iter, memchr_iter, memmem};

use super::scan::{client, digit, queue_id, word, Cur, Span};
use super::Matcher;

pub const MATCHERS: &[Matcher] = &[
    Matcher {
        pattern: "smtpd_noqueue_reject",
        source: r"(?:(?:NOQUEUE|(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16})): )?(?:reject|defer|reject_warning): (?P<stage>[A-Z]+(?:-[A-Z]+)*) from (?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?: (?:(?P<code>\d{3})(?: (?P<dsn>\d\.\d{1,3}\.\d{1,3}))? )?(?P<reason>.*?)(?:;? from=<(?P<sender>.*?)>,?)?(?: to=<(?P<recipient>.*?)>,?)?(?: proto=(?P<proto>[A-Z]+),?)?(?: helo=<?(?P<helo>.*?)>?)?$",
        names: &[
            "queue_id",
            "stage",
            "client_name",
            "client_ip",
            "client_port",
            "code",
            "dsn",
            "reason",
            "sender",
            "recipient",
            "proto",
            "helo",
        ],
        run: reject,
    },
    Matcher {
        pattern: "cleanup_php_script",
        source: r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}): (?:warning|info): header X-PHP-Originating-Script: (?P<uid>\d+):(?P<script>.+?) from (?:local|(?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?);(?: from=<[^>]*>)?(?: to=<(?P<recipient>[^>]*)>)?.*$",
        names: &[
            "queue_id",
            "uid",
            "script",
            "client_name",
            "client_ip",
            "client_port",
            "recipient",
        ],
        run: php_script,
    },
    Matcher {
        pattern: "bounce_notification",
        source: r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}): (?:sender|postmaster) (?:non-delivery|delay|delivery status|success) notification: (?P<new_queue_id>\w+)$",
        names: &["queue_id", "new_queue_id"],
        run: bounce,
    },
    Matcher {
        pattern: "postscreen_protocol",
        source: r"(?:PREGREET \d+ after [\d.]+|HANGUP after [\d.]+|BARE NEWLINE|COMMAND (?:PIPELINING|TIME LIMIT|COUNT LIMIT|LENGTH LIMIT)|NON-SMTP COMMAND)(?: after [\d.]+)? from (?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?.*$",
        names: &[],
        run: postscreen_protocol,
    },
];

/// How many tail positions a reject line may try before the regex is left to decide (a
/// hostile line full of `>` and `; from=<` would otherwise cost a cube of its length).
const BUDGET: usize = 4096;

/// `[\d.]+` for times and versions.
fn dotted(b: u8) -> bool {
    digit(b) || b == b'.'
}

/// `\d{1,3}` then `then`: the whole digit run (a shorter one is followed by a digit).
fn upto3(c: &mut Cur, then: u8) -> bool {
    let (a, b) = c.run(digit);
    (1..=3).contains(&(b - a)) && c.peek() == Some(then)
}

/// `\d\.\d{1,3}\.\d{1,3}` where a space follows it, else None (nothing moved).
fn dsn(c: &mut Cur) -> Span {
    let start = c.i;
    let first = c.peek().is_some_and(digit);
    c.i += usize::from(first);
    if first && c.byte(b'.') && upto3(c, b'.') && c.byte(b'.') && upto3(c, b' ') {
        return Some((start, c.i));
    }
    c.i = start;
    None
}

/// The captures of the envelope tail, and the work left before declining.
struct Tail {
    sender: Span,
    recipient: Span,
    proto: Span,
    helo: Span,
    budget: usize,
}

impl Tail {
    /// `(?: helo=<?(?P<helo>.*?)>?)?$` at `p`: the helo (its `<?` always taken: the lazy
    /// value then runs to the end but a last `>`), or the end.
    fn helo(&mut self, m: &[u8], p: usize) -> bool {
        self.helo = None;
        if p == m.len() {
            return true;
        }
        if !m[p..].starts_with(b" helo=") {
            return false;
        }
        let mut s = p + 6;
        if m.get(s) == Some(&b'<') {
            s += 1;
        }
        let end = if m.last() == Some(&b'>') && m.len() > s {
            m.len() - 1
        } else {
            m.len()
        };
        self.helo = Some((s, end));
        true
    }

    /// `(?: proto=(?P<proto>[A-Z]+),?)?` then the helo part at `p`. The protocol is its
    /// whole run (a shorter one is followed by a letter), a `,` after it taken (not taking
    /// it leaves a `,` where a space or the end must be).
    fn proto(&mut self, m: &[u8], p: usize) -> bool {
        if m[p..].starts_with(b" proto=") {
            let mut c = Cur { s: m, i: p + 7 };
            if let Some(run) = c.run1(|b| b.is_ascii_uppercase()) {
                c.byte(b',');
                if self.helo(m, c.i) {
                    self.proto = Some(run);
                    return true;
                }
            }
        }
        self.proto = None;
        self.helo(m, p)
    }

    /// `.*?>,?` from `s` then `rest`: the address ends at the first `>` after which
    /// `rest` matches (lazy; a `,` there is taken: not taking it leaves a `,` where a
    /// space or the end must be). Err: out of budget.
    fn address(
        &mut self,
        m: &[u8],
        s: usize,
        rest: impl Fn(&mut Tail, usize) -> Option<bool>,
    ) -> Result<Span, ()> {
        for e in memchr_iter(b'>', &m[s..]).map(|k| s + k) {
            self.budget = self.budget.checked_sub(1).ok_or(())?;
            let q = if m.get(e + 1) == Some(&b',') {
                e + 2
            } else {
                e + 1
            };
            if rest(self, q).ok_or(())? {
                return Ok(Some((s, e)));
            }
        }
        Ok(None)
    }

    /// `(?: to=<(?P<recipient>.*?)>,?)?` then the rest at `p`: the address where it
    /// matches, else the group is skipped.
    fn to(&mut self, m: &[u8], p: usize) -> Option<bool> {
        if m[p..].starts_with(b" to=<") {
            let found = self.address(m, p + 5, |t, q| Some(t.proto(m, q))).ok()?;
            if found.is_some() {
                self.recipient = found;
                return Some(true);
            }
        }
        self.recipient = None;
        Some(self.proto(m, p))
    }

    /// `(?:;? from=<(?P<sender>.*?)>,?)?` then the rest at `p` (as `to`).
    fn from(&mut self, m: &[u8], p: usize) -> Option<bool> {
        let at = if m.get(p) == Some(&b';') { p + 1 } else { p };
        if m[at..].starts_with(b" from=<") {
            let found = self.address(m, at + 7, |t, q| t.to(m, q)).ok()?;
            if found.is_some() {
                self.sender = found;
                return Some(true);
            }
        }
        self.sender = None;
        self.to(m, p)
    }
}

fn reject(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    // `(?:(?:NOQUEUE|QID): )?`: neither `NOQUEUE` nor a queue id can be `reject` or
    // `defer` (vowels, lower case), so where one is here it must be taken
    if !c.lit(b"NOQUEUE: ") {
        if let Some(id) = queue_id(&mut c) {
            if !c.lit(b": ") {
                return false;
            }
            spans[0] = Some(id);
        }
    }
    if !c.one_of(&[&b"reject: "[..], b"defer: ", b"reject_warning: "]) {
        return false;
    }
    // `[A-Z]+(?:-[A-Z]+)*` then ` from `: the whole run of letters and dashes
    let stage = c.run(|b| b.is_ascii_uppercase() || b == b'-');
    let text = &m[stage.0..stage.1];
    if text.is_empty()
        || text[0] == b'-'
        || text.ends_with(b"-")
        || memmem::find(text, b"--").is_some()
    {
        return false;
    }
    spans[1] = Some(stage);
    if !c.lit(b" from ") {
        return false;
    }
    let Some(found) = client(&mut c) else {
        return false;
    };
    spans[2..5].copy_from_slice(&found);
    if !c.lit(b": ") {
        return false;
    }
    // `(?:(?P<code>\d{3})(?: (?P<dsn>...))? )?`: taken wherever it matches (the lazy
    // reason after it matches any text)
    let at = c.i;
    let three = c.rest().len() >= 3 && c.rest()[..3].iter().all(|b| digit(*b));
    if three {
        c.i += 3;
        let code = (at, c.i);
        let back = c.i;
        let dsn = if c.byte(b' ') { dsn(&mut c) } else { None };
        if dsn.is_none() {
            c.i = back;
        }
        if c.byte(b' ') {
            spans[5] = Some(code);
            spans[6] = dsn;
        } else {
            c.i = at;
        }
    }
    // `(?P<reason>.*?)` then the tail: the first place where the tail matches the rest;
    // it starts with `;` or a space, or is empty at the end
    let start = c.i;
    let mut tail = Tail {
        sender: None,
        recipient: None,
        proto: None,
        helo: None,
        budget: BUDGET,
    };
    let places = memchr2_iter(b';', b' ', &m[start..]).map(|k| start + k);
    for r in places.chain(std::iter::once(m.len())) {
        match tail.from(m, r) {
            None => return false,
            Some(false) => continue,
            Some(true) => {
                spans[7] = Some((start, r));
                spans[8] = tail.sender;
                spans[9] = tail.recipient;
                spans[10] = tail.proto;
                spans[11] = tail.helo;
                return true;
            }
        }
    }
    false // (the end always matches: not reached)
}

/// The queue id (into spans[0]) and one of `leads` after it: the cursor after both.
fn queue_id_then_one_of<'m>(m: &'m [u8], spans: &mut [Span], leads: &[&[u8]]) -> Option<Cur<'m>> {
    let mut c = Cur::new(m);
    spans[0] = Some(queue_id(&mut c)?);
    c.one_of(leads).then_some(c)
}

fn php_script(m: &[u8], spans: &mut [Span]) -> bool {
    let lead = [
        &b": warning: header X-PHP-Originating-Script: "[..],
        b": info: header X-PHP-Originating-Script: ",
    ];
    let Some(mut c) = queue_id_then_one_of(m, spans, &lead) else {
        return false;
    };
    spans[1] = c.run1(digit);
    if spans[1].is_none() || !c.byte(b':') {
        return false;
    }
    // `(?P<script>.+?) from (?:local|CLIENT);`: the script ends at the first ` from `
    // (after one byte) where `local;` or a client then `;` follows
    let s = c.i;
    let Some(after) = m.get(s + 1..) else {
        return false;
    };
    // (each place in turn: ` from ` may overlap itself, `find_iter` would skip one)
    let mut next = 0;
    while let Some(k) = memmem::find(&after[next..], b" from ") {
        let e = s + 1 + next + k;
        next += k + 1;
        let mut t = Cur { s: m, i: e + 6 };
        let mut hit = t.lit(b"local;");
        if hit {
            spans[3..6].fill(None);
        } else if let Some(found) = client(&mut t) {
            hit = t.byte(b';');
            spans[3..6].copy_from_slice(&found);
        }
        if !hit {
            continue;
        }
        spans[2] = Some((s, e));
        // `(?: from=<[^>]*>)?(?: to=<(?P<recipient>[^>]*)>)?.*$`: each taken where it
        // matches whole (the `.*$` after them matches any rest)
        let at = t.i;
        if !(t.lit(b" from=<") && {
            t.run(|b| b != b'>');
            t.byte(b'>')
        }) {
            t.i = at;
        }
        spans[6] = None;
        if t.lit(b" to=<") {
            let to = t.run(|b| b != b'>');
            if t.byte(b'>') {
                spans[6] = Some(to);
            }
        }
        return true;
    }
    false
}

fn bounce(m: &[u8], spans: &mut [Span]) -> bool {
    let kinds = [
        &b": sender non-delivery notification: "[..],
        b": sender delay notification: ",
        b": sender delivery status notification: ",
        b": sender success notification: ",
        b": postmaster non-delivery notification: ",
        b": postmaster delay notification: ",
        b": postmaster delivery status notification: ",
        b": postmaster success notification: ",
    ];
    let Some(mut c) = queue_id_then_one_of(m, spans, &kinds) else {
        return false;
    };
    spans[1] = c.run1(word);
    spans[1].is_some() && c.end()
}

/// Only the leads of fixed text or one number (`HANGUP after` and the others are left to
/// the regex); the optional `after` then the client, then anything.
fn postscreen_protocol(m: &[u8], _spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    let lead = c.lit(b"PREGREET ")
        && c.run1(digit).is_some()
        && c.lit(b" after ")
        && c.run1(dotted).is_some();
    if !lead {
        return false;
    }
    // `(?: after [\d.]+)?` then ` from `: a bare ` after ` fails both ways
    if c.lit(b" after ") && c.run1(dotted).is_none() {
        return false;
    }
    c.lit(b" from ") && client(&mut c).is_some()
}
