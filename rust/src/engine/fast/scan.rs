//! A cursor over a line's bytes and the ASCII classes of the table's regexes (compiled
//! with `unicode(false)`: `\s \w \d` are ASCII there, and only ASCII lines get here).

/// A span of the line: (start, end) byte offsets, as `CaptureLocations::get` gives them.
pub type Span = Option<(usize, usize)>;

/// `\s` of the `regex` crate without Unicode.
pub fn space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `\w` without Unicode.
pub fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub fn digit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// A position in a text, moved only forwards by what matched there.
pub struct Cur<'a> {
    pub s: &'a [u8],
    pub i: usize,
}

impl<'a> Cur<'a> {
    pub fn new(s: &'a [u8]) -> Cur<'a> {
        Cur { s, i: 0 }
    }

    pub fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    pub fn end(&self) -> bool {
        self.i == self.s.len()
    }

    pub fn rest(&self) -> &'a [u8] {
        &self.s[self.i..]
    }

    /// The literal `text` here: consumed (true) or not (false, nothing moved).
    pub fn lit(&mut self, text: &[u8]) -> bool {
        if self.rest().starts_with(text) {
            self.i += text.len();
            true
        } else {
            false
        }
    }

    pub fn byte(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// The first of `texts` that is here, consumed (the alternatives of a lead).
    pub fn one_of(&mut self, texts: &[&[u8]]) -> bool {
        texts.iter().any(|t| self.lit(t))
    }

    /// `(?::(?P<port>CLASS+))?` where a run of `class` ends the port: taken where a
    /// port byte follows the `:` (a bare `:` is left for what follows: the group is
    /// skipped there).
    pub fn port(&mut self, class: fn(u8) -> bool) -> Span {
        if self.peek() == Some(b':') && self.s.get(self.i + 1).is_some_and(|b| class(*b)) {
            self.i += 1;
            return self.run1(class);
        }
        None
    }

    /// The longest run of bytes in `class` here (a greedy `[...]*`), consumed.
    pub fn run(&mut self, class: impl Fn(u8) -> bool) -> (usize, usize) {
        let start = self.i;
        while self.i < self.s.len() && class(self.s[self.i]) {
            self.i += 1;
        }
        (start, self.i)
    }

    /// A greedy `[...]+`: None (nothing moved) where the run is empty.
    pub fn run1(&mut self, class: impl Fn(u8) -> bool) -> Span {
        let (a, b) = self.run(class);
        if a == b {
            None
        } else {
            Some((a, b))
        }
    }
}

/// `[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}` (Postfix's queue id) when
/// a `:` follows it, as every pattern here has it: the id is then the whole run of
/// letters and digits before the `:` (no alternative can end elsewhere and meet it).
pub fn queue_id(c: &mut Cur) -> Span {
    // one pass: the run, and whether all of it is of each class
    let (a, mut short, mut long) = (c.i, true, true);
    let mut b = a;
    while let Some(x) = c.s.get(b).filter(|x| x.is_ascii_alphanumeric()) {
        short &= short_id(x);
        long &= long_id(x);
        b += 1;
    }
    let n = b - a;
    let fits = (short && (5..=20).contains(&n)) || (long && (10..=16).contains(&n));
    if fits && c.s.get(b) == Some(&b':') {
        c.i = b;
        Some((a, b))
    } else {
        None
    }
}

/// Postfix's short queue ids: upper-case hex.
fn short_id(b: &u8) -> bool {
    matches!(b, b'0'..=b'9' | b'A'..=b'F')
}

/// Postfix's long queue ids: digits and letters but vowels.
fn long_id(b: &u8) -> bool {
    b.is_ascii_digit()
        || (b.is_ascii_alphabetic() && !matches!(b | 0x20, b'a' | b'e' | b'i' | b'o' | b'u'))
}

/// `(?P<name>[^\s\[\]]*)\[(?P<ip>[^\]\s]*)\](?::(?P<port>\d+))?` (the table's CLIENT and
/// RELAY) -> (name, ip, port). A `:` not followed by a digit is left for the caller (the
/// port group is then skipped, as the regex skips it).
pub fn client(c: &mut Cur) -> Option<[Span; 3]> {
    let name = c.run(|b| !(space(b) || b == b'[' || b == b']'));
    if !c.byte(b'[') {
        return None;
    }
    let ip = c.run(|b| !(space(b) || b == b']'));
    if !c.byte(b']') {
        return None;
    }
    Some([Some(name), Some(ip), c.port(digit)])
}

/// `<?(?P<x>[^>,]*)>?` (Postfix's `to=`, `orig_to=`, `sasl_sender=`): the first choice
/// of each optional part. Taking the `<` or not ends the group at the same place, so
/// the rest of the line matches either way or neither way.
pub fn maybe_bracketed(c: &mut Cur) -> (usize, usize) {
    c.byte(b'<');
    let value = c.run(|b| b != b'>' && b != b',');
    c.byte(b'>');
    value
}
