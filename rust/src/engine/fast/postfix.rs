//! Hand-written matchers of Postfix's hottest patterns, each for one exact regex source
//! of the table (`Matcher::source`; how a matcher follows its regex: `super::Matcher`).

use super::scan::{client, digit, maybe_bracketed, queue_id, space, word, Cur, Span};
use super::Matcher;

const CLIENT: [&str; 3] = ["client_name", "client_ip", "client_port"];

pub const MATCHERS: &[Matcher] = &[
    Matcher {
        pattern: "smtpd_connect",
        source: r"connect from (?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?$",
        names: &CLIENT,
        run: connect,
    },
    Matcher {
        pattern: "smtpd_disconnect",
        source: r"disconnect from (?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?(?: (?P<counters>.*))?$",
        names: &["client_name", "client_ip", "client_port", "counters"],
        run: disconnect,
    },
    Matcher {
        pattern: "smtpd_client",
        source: r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}): client=(?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?(?:, sasl_method=(?P<sasl_method>[^,]*), sasl_username=(?P<sasl_username>[^,]*))?(?:, sasl_sender=<?(?P<sasl_sender>[^>,]*)>?)?(?:, orig_queue_id=(?P<orig_queue_id>[0-9A-Za-z]+))?(?:, .*)?$",
        names: &[
            "queue_id",
            "client_name",
            "client_ip",
            "client_port",
            "sasl_method",
            "sasl_username",
            "sasl_sender",
            "orig_queue_id",
        ],
        run: smtpd_client,
    },
    Matcher {
        pattern: "cleanup_message_id",
        source: r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}): (?:resent-)?message-id=<?(?P<message_id>[^>]*)>?$",
        names: &["queue_id", "message_id"],
        run: message_id,
    },
    Matcher {
        pattern: "qmgr_queued",
        source: r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}): from=<(?P<sender>[^>]*)>, size=(?P<size>\d+), nrcpt=(?P<nrcpt>\d+) \(queue active\)$",
        names: &["queue_id", "sender", "size", "nrcpt"],
        run: queued,
    },
    Matcher {
        pattern: "qmgr_removed",
        source: r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}): removed$",
        names: &["queue_id"],
        run: removed,
    },
    Matcher {
        pattern: "delivery",
        source: r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}): to=<?(?P<recipient>[^>,]*)>?,(?: orig_to=<?(?P<orig_recipient>[^>,]*)>?,)? relay=(?P<relay>[^,]+),(?: conn_use=\d+,?)? delay=(?P<delay>[\d.]+),(?: delays=[\d./]+,)?(?: (?:[^\Wd]\w*|d(?:[^\Ws]\w*)?|ds(?:[^\Wn]\w*)?|dsn\w+)=[^,\s]*,)*(?: dsn=(?P<dsn>[\d.]+),)? status=(?P<status>[\w-]+)(?: \((?P<response>.*?)\)?)?$",
        names: &[
            "queue_id",
            "recipient",
            "orig_recipient",
            "relay",
            "delay",
            "dsn",
            "status",
            "response",
        ],
        run: delivery,
    },
    Matcher {
        pattern: "pickup",
        source: r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}): uid=(?P<uid>\d+) from=<(?P<sender>[^>]*)>$",
        names: &["queue_id", "uid", "sender"],
        run: pickup,
    },
    Matcher {
        pattern: "anvil_client_rate",
        source: r"statistics: max (?P<kind>connection rate|connection count|message rate|recipient rate|newtls request rate) (?P<figure>\d+)(?:/(?P<period>\d*[smhd]?))? for \((?P<service>.+?):(?P<client_ip>[\d.]+|[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)\) at .*$",
        names: &["kind", "figure", "period", "service", "client_ip"],
        run: anvil,
    },
    Matcher {
        pattern: "postscreen_connect",
        source: r"CONNECT from (?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))? to \[[^\]]*\]:\d+$",
        names: &[],
        run: postscreen_connect,
    },
    Matcher {
        pattern: "postscreen_verdict",
        source: r"(?:PASS (?:NEW|OLD)|DISCONNECT|WHITELISTED|ALLOWLISTED|WHITELIST VETO|ALLOWLIST VETO|BLACKLISTED|DENYLISTED|DNSBL rank \d+ for) (?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?$",
        names: &[],
        run: postscreen_verdict,
    },
    Matcher {
        pattern: "tls_and_transport",
        source: r"(?:(?:(?:Anonymous|Trusted|Untrusted|Verified) )?TLS connection established (?:from|to) |(?:\S+: )?SASL (?:\[CACHED\] )?authentication failed; (?:server|cannot authenticate)|SSL_connect error to |setting up TLS connection |discarding EHLO keywords|proxy-(?:accept|reject): |Server certificate not|certificate verification failed|(?:Dis)?connected to \S+ |host \S+ said: |\S+: TLS is required|\S+: passing <).*",
        names: &[],
        run: tls_and_transport,
    },
];

/// The queue id (into spans[0]) and the text `then` after it: the cursor after both.
fn queue_id_then<'m>(m: &'m [u8], spans: &mut [Span], then: &[u8]) -> Option<Cur<'m>> {
    let mut c = Cur::new(m);
    spans[0] = Some(queue_id(&mut c)?);
    c.lit(then).then_some(c)
}

/// `{CLIENT}` into spans[at..at + 3], then the rest must be `$`.
fn client_then_end(c: &mut Cur, spans: &mut [Span], at: usize) -> bool {
    let Some(found) = client(c) else {
        return false;
    };
    spans[at..at + 3].copy_from_slice(&found);
    c.end()
}

fn connect(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    c.lit(b"connect from ") && client_then_end(&mut c, spans, 0)
}

fn disconnect(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    if !c.lit(b"disconnect from ") {
        return false;
    }
    let Some(found) = client(&mut c) else {
        return false;
    };
    spans[..3].copy_from_slice(&found);
    if c.byte(b' ') {
        spans[3] = Some((c.i, m.len())); // `.*`: the rest (no newline in a line)
        return true;
    }
    spans[3] = None;
    c.end()
}

fn smtpd_client(m: &[u8], spans: &mut [Span]) -> bool {
    let Some(mut c) = queue_id_then(m, spans, b": client=") else {
        return false;
    };
    let Some(found) = client(&mut c) else {
        return false;
    };
    spans[1..4].copy_from_slice(&found);
    spans[4..8].fill(None);
    // each optional part taken where it matches whole ([^,]* runs end at a comma only)
    let at = c.i;
    if c.lit(b", sasl_method=") {
        let method = c.run(|b| b != b',');
        if c.lit(b", sasl_username=") {
            spans[4] = Some(method);
            spans[5] = Some(c.run(|b| b != b','));
        } else {
            c.i = at;
        }
    }
    if c.lit(b", sasl_sender=") {
        spans[6] = Some(maybe_bracketed(&mut c));
    }
    if c.lit(b", orig_queue_id=") {
        let Some(id) = c.run1(|b| b.is_ascii_alphanumeric()) else {
            return false;
        };
        spans[7] = Some(id);
    }
    // `(?:, .*)?$`
    c.end() || c.rest().starts_with(b", ")
}

fn message_id(m: &[u8], spans: &mut [Span]) -> bool {
    let Some(mut c) = queue_id_then(m, spans, b": ") else {
        return false;
    };
    c.lit(b"resent-");
    if !c.lit(b"message-id=") {
        return false;
    }
    c.byte(b'<');
    spans[1] = Some(c.run(|b| b != b'>'));
    c.byte(b'>');
    c.end()
}

fn queued(m: &[u8], spans: &mut [Span]) -> bool {
    let Some(mut c) = queue_id_then(m, spans, b": from=<") else {
        return false;
    };
    spans[1] = Some(c.run(|b| b != b'>'));
    if !c.lit(b">, size=") {
        return false;
    }
    spans[2] = c.run1(digit);
    if spans[2].is_none() || !c.lit(b", nrcpt=") {
        return false;
    }
    spans[3] = c.run1(digit);
    spans[3].is_some() && c.lit(b" (queue active)") && c.end()
}

fn removed(m: &[u8], spans: &mut [Span]) -> bool {
    queue_id_then(m, spans, b": removed").is_some_and(|c| c.end())
}

fn delivery(m: &[u8], spans: &mut [Span]) -> bool {
    let Some(mut c) = queue_id_then(m, spans, b": to=") else {
        return false;
    };
    spans[1] = Some(maybe_bracketed(&mut c));
    if !c.byte(b',') {
        return false;
    }
    spans[2] = None;
    if c.lit(b" orig_to=") {
        spans[2] = Some(maybe_bracketed(&mut c));
        if !c.byte(b',') {
            return false;
        }
    }
    if !c.lit(b" relay=") {
        return false;
    }
    spans[3] = c.run1(|b| b != b',');
    if spans[3].is_none() || !c.byte(b',') {
        return false;
    }
    if c.lit(b" conn_use=") {
        if c.run1(digit).is_none() {
            return false;
        }
        c.byte(b',');
    }
    if !c.lit(b" delay=") {
        return false;
    }
    spans[4] = c.run1(|b| digit(b) || b == b'.');
    if spans[4].is_none() || !c.byte(b',') {
        return false;
    }
    let at = c.i;
    if c.lit(b" delays=")
        && (c.run1(|b| digit(b) || b == b'.' || b == b'/').is_none() || !c.byte(b','))
    {
        c.i = at; // the group is skipped; the loop below may take the text
    }
    // `(?: word=[^,\s]*,)*` with any word but `dsn`: as many as match whole
    loop {
        let at = c.i;
        let ok = c.byte(b' ') && {
            let w = c.run1(word);
            w.is_some_and(|(a, b)| &m[a..b] != b"dsn") && c.byte(b'=') && {
                c.run(|b| b != b',' && !space(b));
                c.byte(b',')
            }
        };
        if !ok {
            c.i = at;
            break;
        }
    }
    spans[5] = None;
    let at = c.i;
    if c.lit(b" dsn=") {
        let dsn = c.run1(|b| digit(b) || b == b'.');
        if dsn.is_some() && c.byte(b',') {
            spans[5] = dsn;
        } else {
            c.i = at;
        }
    }
    if !c.lit(b" status=") {
        return false;
    }
    spans[6] = c.run1(|b| word(b) || b == b'-');
    if spans[6].is_none() {
        return false;
    }
    spans[7] = None;
    if c.end() {
        return true;
    }
    if !c.lit(b" (") {
        return false;
    }
    // `(?P<response>.*?)\)?$`: the shortest text that leaves `\)?$`: all but a last `)`
    let end = if m.ends_with(b")") {
        m.len() - 1
    } else {
        m.len()
    };
    spans[7] = Some((c.i, end.max(c.i)));
    true
}

fn postscreen_connect(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    if !c.lit(b"CONNECT from ") || client(&mut c).is_none() || !c.lit(b" to [") {
        return false;
    }
    let _ = spans;
    c.run(|b| b != b']');
    c.lit(b"]:") && c.run1(digit).is_some() && c.end()
}

fn postscreen_verdict(m: &[u8], _spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    let lead = [
        &b"PASS NEW "[..],
        b"PASS OLD ",
        b"DISCONNECT ",
        b"WHITELISTED ",
        b"ALLOWLISTED ",
        b"WHITELIST VETO ",
        b"ALLOWLIST VETO ",
        b"BLACKLISTED ",
        b"DENYLISTED ",
    ];
    // the alternatives are exclusive here (`WHITELISTED ` and `WHITELIST VETO ` differ
    // at their 10th byte); `DNSBL rank \d+ for`: the whole digit run (a shorter one is
    // followed by a digit)
    let dnsbl = |c: &mut Cur| c.lit(b"DNSBL rank ") && c.run1(digit).is_some() && c.lit(b" for ");
    if !c.one_of(&lead) && !dnsbl(&mut c) {
        return false;
    }
    client(&mut c).is_some() && c.end()
}

/// Only the branches that are plain text then `.*`: a line starting with one matches.
fn tls_and_transport(m: &[u8], _spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    for adjective in [&b"Anonymous "[..], b"Trusted ", b"Untrusted ", b"Verified "] {
        if c.lit(adjective) {
            break;
        }
    }
    if c.lit(b"TLS connection established from ") || c.lit(b"TLS connection established to ") {
        return true;
    }
    [&b"SSL_connect error to "[..], b"setting up TLS connection "]
        .iter()
        .any(|l| m.starts_with(l))
}

fn pickup(m: &[u8], spans: &mut [Span]) -> bool {
    let Some(mut c) = queue_id_then(m, spans, b": uid=") else {
        return false;
    };
    spans[1] = c.run1(digit);
    if spans[1].is_none() || !c.lit(b" from=<") {
        return false;
    }
    spans[2] = Some(c.run(|b| b != b'>'));
    c.byte(b'>') && c.end()
}

fn hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

fn anvil(m: &[u8], spans: &mut [Span]) -> bool {
    let mut c = Cur::new(m);
    if !c.lit(b"statistics: max ") {
        return false;
    }
    let kinds = [
        &b"connection rate"[..],
        b"connection count",
        b"message rate",
        b"recipient rate",
        b"newtls request rate",
    ];
    let at = c.i;
    if !c.one_of(&kinds) {
        return false;
    }
    spans[0] = Some((at, c.i));
    if !c.byte(b' ') {
        return false;
    }
    spans[1] = c.run1(digit);
    if spans[1].is_none() {
        return false;
    }
    spans[2] = None;
    if c.byte(b'/') {
        let (a, _) = c.run(digit);
        if matches!(c.peek(), Some(b's' | b'm' | b'h' | b'd')) {
            c.i += 1;
        }
        spans[2] = Some((a, c.i));
    }
    if !c.lit(b" for (") {
        return false;
    }
    // `(?P<service>.+?):`: the shortest service first, so up to the first `:` after one
    // byte; where the address does not follow it there, a longer one is the regex's
    let start = c.i;
    let Some(colon) = m
        .get(start + 1..)
        .and_then(|r| r.iter().position(|b| *b == b':'))
    else {
        return false;
    };
    spans[3] = Some((start, start + 1 + colon));
    let ip = start + 2 + colon;
    // `[\d.]+` first, then the IPv6 shape; each must meet `\) at `
    let mut v4 = Cur { s: m, i: ip };
    if v4.run1(|b| digit(b) || b == b'.').is_some() && v4.lit(b") at ") {
        spans[4] = Some((ip, v4.i - 5));
        return true;
    }
    let mut v6 = Cur { s: m, i: ip };
    v6.run(hex);
    let ok = v6.byte(b':') && {
        v6.run(hex);
        v6.byte(b':')
    };
    if !ok {
        return false;
    }
    v6.run(|b| hex(b) || b == b':' || b == b'.');
    let end = v6.i;
    if !v6.lit(b") at ") {
        return false;
    }
    spans[4] = Some((ip, end));
    true
}
