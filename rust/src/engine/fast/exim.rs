//! Hand-written matchers of Exim's hottest patterns, the arrival (`<=`) and delivery
//! (`=>`, `->`, `*>`, `>>`) lines, each bound to the exact (fancy) regex of the table
//! (and the plain `Completed`, `cwd=` and session notice lines):
//! their possessive selector loops are read token by token (`selectors.rs`). What every
//! step here leans on: each part of these regexes after the sender or address begins
//! with a space or is the end, so a run a part takes (`\S+`, `\d+`, a name) is the whole
//! run (a shorter one would leave a character no next part can start with), and an
//! optional part is taken wherever its lead (` A=`, ` T="`...) is there. Where a part
//! whose lead is there cannot be read, the regex would skip it (and a loop would take its
//! text as a token): the matcher declines there rather than follow.

use super::scan::{space, Cur, Span};
use super::selectors::{client, delivery_head, field, queue_id, quoted_field, relay, skip};
use super::Matcher;

pub const MATCHERS: &[Matcher] = &[
    Matcher {
        pattern: "exim_arrival",
        source: r#"(?P<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) <= (?P<sender><>|\S*)(?: R=(?P<bounce_of>\S+))?(?: H=(?:(?P<client_name>[^\s\[\]()]+) )?(?:\((?P<helo>[^)]*)\) )?\[(?P<client_ip>[^\]\s]+)\](?::(?P<client_port>\d+))?)?(?: U=(?P<user>\S+))?(?: (?!P=)(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+ P=(?P<proto>\S+)(?: (?!A=|S=)(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+(?: A=(?P<sasl_method>[^\s:]+)(?::(?P<sasl_username>\S+))?)?(?: (?!S=)(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+ S=(?:(?P<size>\d+)|\S*)(?: (?!id=|T=|from <|for )(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+(?: id=(?P<message_id>\S*))?(?: (?!T=|from <|for )(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+(?: T="(?P<subject>[^"\\]*+(?:\\.[^"\\]*+)*+)")?(?: (?!from <|for )(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+(?: from <(?P<header_from>[^>]*)>)?(?: (?!for )(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+(?: for (?P<recipients>.+))?$"#,
        names: &[
            "queue_id",
            "sender",
            "bounce_of",
            "client_name",
            "helo",
            "client_ip",
            "client_port",
            "user",
            "proto",
            "sasl_method",
            "sasl_username",
            "size",
            "message_id",
            "subject",
            "header_from",
            "recipients",
        ],
        run: arrival,
    },
    Matcher {
        pattern: "exim_delivery",
        source: r#"(?P<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) (?P<flag>=>|->|\*>|>>) (?P<address>:blackhole:|>?[^\s<>]+|<[^>]*>)(?: <(?P<parent>[^>]*)>)?(?: (?!T=|H=|C=)(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+(?: T=(?P<transport>\S+))?(?: (?!H=|C=)(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+(?: H=(?:(?P<relay_name>[^\s\[\]]+) )?\[(?P<relay_ip>[^\]\s]+)\](?::(?P<relay_port>\w+))?\*?)?(?: (?!C=)(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+(?: C="(?P<response>[^"\\]*+(?:\\.[^"\\]*+)*+)")?(?: (?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++))*+$"#,
        names: &[
            "queue_id",
            "flag",
            "address",
            "parent",
            "transport",
            "relay_name",
            "relay_ip",
            "relay_port",
            "response",
        ],
        run: delivery,
    },
    Matcher {
        pattern: "exim_completed",
        source: r"(?P<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) (?:Completed|removed by \S+|cancelled by \S+)(?: QT=\S+)?$",
        names: &["queue_id"],
        run: completed,
    },
    Matcher {
        pattern: "exim_cwd",
        source: r"cwd=(?P<script_path>.*?) (?P<argc>\d+) args: (?P<args>.*?)(?: -M[c] (?P<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}))?$",
        names: &["script_path", "argc", "args", "queue_id"],
        run: cwd,
    },
    Matcher {
        pattern: "exim_smtp_notice",
        source: r#"(?:(?P<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(?:SMTP connection (?:Ci=\S+ )?from |no MAIL in SMTP connection from |(?:overlong|ridiculously long) message header (?:line )?received from |VRFY failed for \S+ |SMTP protocol error in \"[^\"]*\" (?=U=)|SMTP command timeout on (?:TLS )?connection from |SMTP data timeout \(message abandoned\) on connection from |unexpected disconnection while reading SMTP command from |TLS error on connection from |SMTP call from |SMTP syntax error in \"[^\"]*\" |SMTP protocol synchronization error \([^)]*\): rejected (?:connection from |\"[^\"]*\" ))(?:(?:H=)?(?:(?P<client_name>[^\s\[\]()]+) )?(?:\((?P<helo>[^)]*)\) )?\[(?P<client_ip>[^\]\s]+)\](?::(?P<client_port>\d+))?|U=\S+|[\w.-]+(?: \([^)]*\))?)(?:[ :].*)?$"#,
        names: &[],
        run: smtp_notice,
    },
];

fn not_space(b: u8) -> bool {
    !space(b)
}

/// Where a part ends, the next must be a space or the end (see the module's comment).
fn boundary(c: &Cur) -> bool {
    c.peek().is_none_or(space)
}

fn arrival(m: &[u8], spans: &mut [Span]) -> bool {
    arrival_parts(m, spans).is_some()
}

fn arrival_parts(m: &[u8], spans: &mut [Span]) -> Option<()> {
    let mut c = Cur::new(m);
    spans[0] = Some(queue_id(&mut c)?);
    if !c.lit(b" <= ") {
        return None;
    }
    // `<>|\S*`: `<>` only where the run is just that, so the run either way
    spans[1] = Some(c.run(not_space));
    spans[2] = field(&mut c, b" R=")?;
    spans[3..7].fill(None);
    if c.lit(b" H=") {
        spans[3..7].copy_from_slice(&client(&mut c)?);
    }
    spans[7] = field(&mut c, b" U=")?;
    skip(&mut c, &[b"P="]);
    if !c.lit(b" P=") {
        return None;
    }
    spans[8] = Some(c.run1(not_space)?);
    skip(&mut c, &[b"A=", b"S="]);
    spans[9] = None;
    spans[10] = None;
    if c.lit(b" A=") {
        spans[9] = Some(c.run1(|b| !space(b) && b != b':')?);
        if c.byte(b':') {
            spans[10] = Some(c.run1(not_space)?);
        }
    }
    skip(&mut c, &[b"S="]);
    if !c.lit(b" S=") {
        return None;
    }
    // `(?:(?P<size>\d+)|\S*)`: digits where the whole run is digits
    let (a, b) = c.run(not_space);
    spans[11] = (a < b && m[a..b].iter().all(u8::is_ascii_digit)).then_some((a, b));
    skip(&mut c, &[b"id=", b"T=", b"from <", b"for "]);
    spans[12] = None;
    if c.lit(b" id=") {
        spans[12] = Some(c.run(not_space));
    }
    skip(&mut c, &[b"T=", b"from <", b"for "]);
    spans[13] = quoted_field(&mut c, b" T=\"")?;
    skip(&mut c, &[b"from <", b"for "]);
    spans[14] = None;
    if c.lit(b" from <") {
        spans[14] = Some(c.run(|b| b != b'>'));
        if !c.byte(b'>') {
            return None;
        }
    }
    skip(&mut c, &[b"for "]);
    spans[15] = None;
    if c.lit(b" for ") {
        // `.+$`: the rest, not empty (no newline in a line)
        if c.end() {
            return None;
        }
        spans[15] = Some((c.i, m.len()));
        return Some(());
    }
    c.end().then_some(())
}

fn delivery(m: &[u8], spans: &mut [Span]) -> bool {
    delivery_parts(m, spans).is_some()
}

/// `:blackhole:|>?[^\s<>]+|<[^>]*>`: each alternative needs a boundary after it (so one
/// that ends elsewhere fails and the next is the regex's).
fn recipient(c: &mut Cur) -> Span {
    let start = c.i;
    if c.lit(b":blackhole:") && boundary(c) {
        return Some((start, c.i));
    }
    c.i = start;
    c.byte(b'>');
    if c.run1(|b| !(space(b) || b == b'<' || b == b'>')).is_some() && boundary(c) {
        return Some((start, c.i));
    }
    c.i = start;
    if c.byte(b'<') {
        c.run(|b| b != b'>');
        if c.byte(b'>') && boundary(c) {
            return Some((start, c.i));
        }
    }
    None
}

fn delivery_parts(m: &[u8], spans: &mut [Span]) -> Option<()> {
    let mut c = Cur::new(m);
    delivery_head(&mut c, &[b"=>", b"->", b"*>", b">>"], recipient, spans)?;
    skip(&mut c, &[b"T=", b"H=", b"C="]);
    spans[4] = field(&mut c, b" T=")?;
    skip(&mut c, &[b"H=", b"C="]);
    spans[5..8].fill(None);
    if c.lit(b" H=") {
        spans[5..8].copy_from_slice(&relay(&mut c)?);
    }
    skip(&mut c, &[b"C="]);
    spans[8] = quoted_field(&mut c, b" C=\"")?;
    skip(&mut c, &[]);
    c.end().then_some(())
}

fn completed(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    let Some(id) = queue_id(&mut c) else {
        return false;
    };
    spans[0] = Some(id);
    c.byte(b' ');
    let done = c.lit(b"Completed")
        || ((c.lit(b"removed by ") || c.lit(b"cancelled by ")) && c.run1(not_space).is_some());
    // `(?: QT=\S+)?$`: a run ends at a space, so only ` QT=...` or the end may follow
    done && (c.end() || (c.lit(b" QT=") && c.run1(not_space).is_some() && c.end()))
}

fn cwd(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    if !c.lit(b"cwd=") {
        return false;
    }
    // `(?P<script_path>.*?) (?P<argc>\d+) args: `: the first place that shape starts (the
    // lazy args after it always match)
    let start = c.i;
    let Some((end, argc)) = (start..m.len()).find_map(|q| {
        let mut t = Cur { s: m, i: q };
        t.byte(b' ').then_some(())?;
        let argc = t.run1(|b| b.is_ascii_digit())?;
        t.lit(b" args: ").then_some((q, argc))
    }) else {
        return false;
    };
    spans[0] = Some((start, end));
    spans[1] = Some(argc);
    let args = argc.1 + 7;
    // `(?P<args>.*?)(?: -M[c] (?P<queue_id>...))?$`: the id group can only end the line,
    // so the args stop before it where the line ends with one, else run to the end
    let id = m.iter().rposition(|b| *b == b' ').and_then(|at| {
        let lead = at.checked_sub(4)?;
        let mut t = Cur { s: m, i: at + 1 };
        (lead >= args && &m[lead..=at] == b" -Mc " && whole_id(&mut t)).then_some((lead, at + 1))
    });
    spans[2] = Some((args, id.map_or(m.len(), |(lead, _)| lead)));
    spans[3] = id.map(|(_, at)| (at, m.len()));
    true
}

/// A queue id that runs to the end of the text (`...{2,4}$`).
fn whole_id(c: &mut Cur) -> bool {
    let part = |c: &mut Cur, min: usize, max: usize| {
        let (a, b) = c.run(|x| x.is_ascii_alphanumeric());
        (min..=max).contains(&(b - a))
    };
    part(c, 6, 6) && c.byte(b'-') && part(c, 6, 11) && c.byte(b'-') && part(c, 2, 4) && c.end()
}

/// An `other` event: true only where the regex matches (the plain leads of the session
/// notices, a host after them, then the end, a space or a colon).
fn smtp_notice(m: &[u8], _spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    if queue_id(&mut c).is_some() {
        c.byte(b' ');
    }
    let leads = [
        &b"no MAIL in SMTP connection from "[..],
        b"SMTP connection from ",
        b"SMTP command timeout on connection from ",
        b"SMTP command timeout on TLS connection from ",
        b"unexpected disconnection while reading SMTP command from ",
        b"TLS error on connection from ",
        b"SMTP call from ",
    ];
    if !c.one_of(&leads) {
        if !c.lit(b"SMTP protocol synchronization error (") {
            return false;
        }
        c.run(|b| b != b')');
        if !c.lit(b"): rejected connection from ") {
            return false;
        }
    }
    c.lit(b"H=");
    client(&mut c).is_some() && (c.end() || matches!(c.peek(), Some(b' ' | b':')))
}
