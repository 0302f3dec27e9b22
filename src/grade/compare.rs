//! Near misses: when an expected console line is missing, find the line the
//! program printed instead and show both, aligned, with the difference
//! marked and named (case, spelling, a Python tuple address, port 0).
//!
//! Generic: it compares text with text and knows no week's lines.

/// Edit distance (insertions, deletions, substitutions) between two texts,
/// counted in characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Is the printed `line` the expected `want`? The same text, or the same
/// with `want`'s characters outside ASCII written as escapes, in any of
/// the forms programs print them ([`wide_escapes_undone`]: a program may
/// escape everything outside printable ASCII to escape control
/// characters). Escapes of ASCII characters are not undone: `\x41` is not
/// `A`.
pub fn same_shown(line: &str, want: &str) -> bool {
    line == want || (!want.is_ascii() && line.contains('\\') && wide_escapes_undone(line) == want)
}

/// `line` with each escape of a character outside ASCII replaced by that
/// character; everything else as it was. A run of byte escapes (`\xHH`,
/// or C's octal `\ooo`) that spells UTF-8 is that text (C's way: each
/// byte that is not printable escaped, `é` as `\xc3\xa9`); a `\xHH` that
/// does not is a code point (Python's `unicode_escape`: `é` as `\xe9`).
/// `\uHHHH` pairs of UTF-16 halves are one character (Java, JSON: `🙂` as
/// `\ud83d\ude42`); `\u{H..}`, `\x{H..}` (Perl) and `\UHHHHHHHH` are code
/// points.
fn wide_escapes_undone(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // A run of byte escapes that spells text outside ASCII.
        let mut bytes = Vec::new();
        let mut used = 0;
        while let Some((Escape::Byte(b), n)) = escape_at(&rest[used..]) {
            bytes.push(b);
            used += n;
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if !text.is_ascii() {
                out.push_str(text);
                rest = &rest[used..];
                continue;
            }
        }
        let wide = match escape_at(rest) {
            Some((Escape::Byte(b), n)) if b >= 0x80 && rest.as_bytes()[1] == b'x' => {
                Some((char::from(b), n))
            }
            Some((Escape::Unit(high @ 0xD800..=0xDBFF), n)) => match escape_at(&rest[n..]) {
                Some((Escape::Unit(low @ 0xDC00..=0xDFFF), m)) => {
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                        .map(|c| (c, n + m))
                }
                _ => None,
            },
            Some((Escape::Unit(code) | Escape::Point(code), n)) => {
                char::from_u32(code).map(|c| (c, n))
            }
            _ => None,
        };
        match wide.filter(|(c, _)| !c.is_ascii()) {
            Some((c, n)) => {
                out.push(c);
                rest = &rest[n..];
            }
            None => {
                out.push('\\');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One escape, as [`escape_at`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// `\xHH` or `\ooo`: a byte (or, alone, Latin-1's code point).
    Byte(u8),
    /// `\uHHHH`: a UTF-16 unit.
    Unit(u32),
    /// `\u{H..}`, `\x{H..}`, `\UHHHHHHHH`: a code point.
    Point(u32),
}

/// The escape at the start of `text` (which starts with a backslash), and
/// how many bytes of `text` it takes.
fn escape_at(text: &str) -> Option<(Escape, usize)> {
    let hex = |digits: &str| {
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(digits, 16).ok())
            .flatten()
    };
    let after = text.strip_prefix('\\')?;
    let kind = *after.as_bytes().first()?;
    if matches!(kind, b'x' | b'u') && after.as_bytes().get(1) == Some(&b'{') {
        let end = after.find('}').filter(|&e| e <= 10)?;
        return Some((Escape::Point(hex(&after[2..end])?), end + 2));
    }
    match kind {
        b'x' => {
            let b = u8::try_from(hex(after.get(1..3)?)?).ok()?;
            Some((Escape::Byte(b), 4))
        }
        b'u' => Some((Escape::Unit(hex(after.get(1..5)?)?), 6)),
        b'U' => Some((Escape::Point(hex(after.get(1..9)?)?), 10)),
        b'0'..=b'3' => {
            let digits = after.get(..3)?;
            let b = u8::from_str_radix(digits, 8).ok()?;
            digits
                .bytes()
                .all(|d| (b'0'..=b'7').contains(&d))
                .then_some((Escape::Byte(b), 4))
        }
        _ => None,
    }
}

/// The printed line most like `want`, if one is close enough to be a near
/// miss: the same words in other case or spelling, extra words around the
/// right text, another way of writing an address.
pub fn closest<'a>(want: &str, lines: &'a [String]) -> Option<&'a str> {
    let want_lower = want.to_lowercase();
    let want_words = words(&want_lower);
    let want_label = label(&want_lower);
    let want_addresses = addresses(&want_lower);
    // The ports of those addresses: a line naming one, in any form
    // (`Server started on port 46297`), tells of the same socket.
    let want_ports: Vec<&str> = want_addresses
        .iter()
        .filter_map(|a| a.rsplit_once(':').map(|(_, port)| port))
        .filter(|port| port.len() >= 4)
        .collect();
    let want_way = want_label.and_then(way);
    lines
        .iter()
        .map(|line| line.trim_end())
        .filter(|line| !line.is_empty())
        // Far longer than the line wanted: no near miss, however many of
        // its words it shares (and their comparisons cost the grader CPU
        // in proportion: hostile round 34).
        .filter(|line| line.len() <= want.len() * 4 + 200)
        .filter_map(|line| {
            let lower = line.to_lowercase();
            let (want_len, line_len) = (want.chars().count(), line.chars().count());
            let longest = want_len.max(line_len).max(1);
            // An edit distance is at least the lengths' difference: where
            // that alone is too far to be near as a whole, it stands in
            // for the distance (quadratic: 2 MiB of long lines took one
            // check from 54 ms to 1.7 s of the grader's CPU, hostile round
            // 34).
            let apart = want_len.abs_diff(line_len);
            let distance = if apart * 10 > longest * 4 {
                apart
            } else {
                levenshtein(&want_lower, &lower)
            };
            // Share at least two words (allowing a typo each), or be close
            // as a whole. Numbers do not count as shared words: any line
            // with an address in it shares `127` and a port-like number
            // (`Client connected: ('127.0.0.1', 46310)` is no Listening line).
            let shared = words(&lower)
                .iter()
                .filter(|w| {
                    w.len() > 2
                        && !w.bytes().all(|b| b.is_ascii_digit())
                        && want_words
                            .iter()
                            .any(|v| v == *w || (v.len() > 4 && akin(v, w)))
                })
                .count();
            let same_port = !want_ports.is_empty()
                && lower
                    .split(|c: char| !c.is_ascii_digit())
                    .any(|number| want_ports.contains(&number));
            let near = distance * 10 <= longest * 4 || shared >= 2 || (same_port && shared >= 1);
            // A line of the same kind first (its words up to the first
            // colon: `[CLIENT] Received:`), then the most shared words,
            // then the smallest edit: the message's words alone made a
            // `[CLIENT] Sending: <message>` line the near miss of the
            // Received line the client also printed (blind round 27).
            let same_kind = want_label.is_some() && label(&lower) == want_label;
            // Then a line naming the same address (`Connected by
            // 127.0.0.1:60488` for `Connection from 127.0.0.1:60488`: blind
            // round 30 was shown `Closed connection`, which shares two
            // words and no address).
            // (Or its port alone: blind round 68 was shown `[SERVER]
            // Connection from 127.0.0.1:36082` for the Listening line over
            // `Server started on port 46297`.)
            let same_address = want_addresses.iter().any(|a| lower.contains(a)) || same_port;
            // Then a line that does not tell of the other direction
            // (`Sent: ACK: <message>` for `Received: <message>`: blind round
            // 46 was shown it over `Got message: <message>`, the same words
            // and a longer edit).
            let other_way = matches!(
                (want_way, label(&lower).and_then(way)),
                (Some(a), Some(b)) if a != b
            );
            near.then_some((
                std::cmp::Reverse((same_kind, same_address, !other_way)),
                std::cmp::Reverse(shared),
                distance,
                line,
            ))
        })
        .min_by_key(|(kind, shared, distance, _)| (*kind, *shared, *distance))
        .map(|(_, _, _, line)| line)
}

/// Two words alike enough to count as one: a typo or two apart, or one
/// stem in two forms (`connected`, `connection`).
fn akin(a: &str, b: &str) -> bool {
    let stem = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    // Lengths more than 2 apart are more than 2 edits apart: not computed.
    let apart = a.chars().count().abs_diff(b.chars().count()) > 2;
    stem >= 6 || (!apart && levenshtein(a, b) <= 2)
}

/// The addresses with a port in a line (`127.0.0.1:60488`, `[::1]:5000`):
/// its words that hold a colon followed by digits, with a dot or a
/// bracket before it.
fn addresses(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .map(|w| w.trim_end_matches([',', ')', '.', ';']))
        .filter(|w| {
            w.rsplit_once(':').is_some_and(|(host, port)| {
                !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit())
                    && (host.contains('.') || host.ends_with(']'))
            })
        })
        .collect()
}

/// Which way a console line's label (`[server] received:`) says its bytes
/// went: `Some(true)` for received (`got`, `recv`, `incoming`), `Some(false)`
/// for sent (`sent`, `sending`, `reply`); `None` when it says neither.
fn way(label: &str) -> Option<bool> {
    let words = words(label);
    let any = |these: &[&str]| words.iter().any(|w| these.contains(w));
    match (
        any(&[
            "received",
            "receive",
            "receiving",
            "recv",
            "got",
            "incoming",
            "read",
        ]),
        any(&[
            "sent", "send", "sending", "reply", "replied", "replying", "wrote",
        ]),
    ) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// A console line's kind: its text up to the first colon that ends a
/// word (a space or the line's end after it), when that comes early
/// (`[client] received:`, `[server] 127.0.0.1:42880 got message:`);
/// `None` for a line without one. Trap: an address's colon is no label's
/// (blind round 53: with the client's address first, `Sent: ACK: <message>`
/// was shown over `Got message: <message>` again).
fn label(line: &str) -> Option<&str> {
    let colon = line
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| line[i + 1..].chars().next().is_none_or(char::is_whitespace))?;
    (colon <= 56).then(|| &line[..=colon])
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// What a check reports when `want` is not among `lines`: `no such line`
/// (then `when`, said of the lines), and the closest line printed, shown
/// under `want`, if any line comes close.
pub fn no_such_line(want: &str, lines: &[String], when: &str) -> String {
    if let Some(line) = ran_on(want, lines) {
        return format!("no such line{when}: {}", ran_on_text(&[want], line));
    }
    match closest(want, lines) {
        Some(seen) => format!(
            "no such line{when}; the closest line printed:\n{}",
            show_near_miss(want, seen)
        ),
        None => format!("no such line{when}"),
    }
}

/// The line in which `want` was printed whole but with no line end, what
/// came next run into it (another tag, an ACK, a prompt): blind round 32,
/// Java's print() for println(), shown as a near miss with a caret under a
/// hundred characters.
pub fn ran_on<'a>(want: &str, lines: &'a [String]) -> Option<&'a String> {
    lines.iter().find(|l| {
        l.match_indices(want).any(|(at, _)| {
            let rest = &l[at + want.len()..];
            ["[CLIENT]", "[SERVER]", "[ACK", "Enter message"]
                .iter()
                .any(|next| rest.starts_with(next))
        })
    })
}

/// What [`ran_on`] found for the lines `wants`, all in `line`, in words.
pub fn ran_on_text(wants: &[&str], line: &str) -> String {
    let named: Vec<String> = wants.iter().map(|w| format!("`{w}`")).collect();
    let (what, was) = match named.len() {
        1 => (named[0].clone(), "was"),
        n => (
            format!("{} and {}", named[..n - 1].join(", "), named[n - 1]),
            "were",
        ),
    };
    format!(
        "{what} {was} printed with no line end, and what came next ran into it on the same line: `{}` (end each line: println, not print; in Python, not `print(..., end=\"\")`)",
        shown(line)
    )
}

/// The hint of a failure whose only fault is [`ran_on`]'s (blind round
/// 33: output-format's general hint, about prefixes and spaces, did not
/// fit).
pub const RAN_ON_HINT: &str = "End every line you print: `println` (Java), `print(...)` with its default end (Python: not `end=\"\"`), `console.log` or `\\n` at the end of `process.stdout.write` (Node), `puts` or a `\\n` in `printf` (C). Without it the next line runs into this one, and whoever reads your output line by line (the grader, a log, a person) sees one line where you meant several.";

/// `want` and `seen` one above the other, with `^` under the part that
/// differs, and what the difference looks like in words.
pub fn show_near_miss(want: &str, seen: &str) -> String {
    // A line longer than a report quotes is cut first, so that the marks
    // stay under what is shown.
    let (want, seen) = (&shown(want), &shown(seen));
    let mut a: Vec<char> = want.chars().collect();
    let b: Vec<char> = seen.chars().collect();
    // A clock where the template has `HH:MM:SS` is no difference: marked,
    // it read as one (blind round 78).
    if let Some(at) = want.find("HH:MM:SS").map(|at| want[..at].chars().count()) {
        let clock = b.get(at..at + 8).is_some_and(|c| {
            c.iter().enumerate().all(|(i, ch)| {
                if i % 3 == 2 {
                    *ch == ':'
                } else {
                    ch.is_ascii_digit()
                }
            })
        });
        if clock {
            a[at..at + 8].copy_from_slice(&b[at..at + 8]);
        }
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let width = (a.len() - prefix - suffix)
        .max(b.len() - prefix - suffix)
        .max(1);
    // Both lines start at the same column, so the marks fall under the
    // difference: 8 spaces, a 9-character label, a backtick.
    let marks = format!("{}{}", " ".repeat(8 + 10 + prefix), "^".repeat(width));
    let mut text = format!("        expected `{want}`\n        printed  `{seen}`\n{marks}");
    let why = what_differs(want, seen);
    if !why.is_empty() {
        text.push_str(&format!("\n        ({})", why.join("; ")));
    }
    text
}

/// `line` as a report quotes it: at most 160 characters.
fn shown(line: &str) -> String {
    super::harness::truncate(line, 160)
}

/// Names the usual differences between an expected line and a near miss.
pub fn what_differs(want: &str, seen: &str) -> Vec<String> {
    let mut why = Vec::new();
    if want != seen && want.eq_ignore_ascii_case(seen) {
        why.push("only upper/lower case differs".to_string());
        return why;
    }
    if seen.contains("('") && seen.contains("',") {
        why.push(
            "an address written as a Python tuple: write HOST:PORT, e.g. f\"{host}:{port}\""
                .to_string(),
        );
    }
    if python_bytes(seen) && !python_bytes(want) {
        why.push(
            "a Python bytes object printed as it is (b'...'): decode() it to text before printing it"
                .to_string(),
        );
    }
    if let Some(quoted) = quotes_added(want, seen) {
        why.push(format!(
            "quotes added around `{quoted}`: print the text as it is (Python's repr() and `{{!r}}`, Rust's `{{:?}}` and JSON encoders add them)"
        ));
    }
    let want_port = trailing_port(want);
    let seen_port = trailing_port(seen);
    if let (Some(w), Some(0)) = (want_port, seen_port) {
        if w != 0 {
            why.push(format!(
                "port 0 instead of the real port {w}: port 0 only asks the system for a free port; ask the socket which one it got (getsockname() / local_addr())"
            ));
        }
    }
    // C's `addr.sin_port` printed as it is: the port in network byte
    // order, read on a little-endian machine.
    if let (Some(w), Some(s)) = (want_port, seen_port) {
        if s != w && s == w.swap_bytes() {
            why.push(format!(
                "port {s} is {w} with its two bytes swapped: the port is stored in network byte order; convert it with ntohs() before printing it"
            ));
        }
    }
    // A tag such as `[SERVER] ` that starts the expected line: named when
    // it is missing (the words alone would not say where it belongs).
    if let Some(tag) = leading_tag(want) {
        if !seen.starts_with(tag) && !seen.to_lowercase().starts_with(&tag.to_lowercase()) {
            why.push(format!("the line must start with the tag `{tag}`"));
        }
    }
    // A line end shown escaped at the end (the text printed had one of its
    // own): not the word `n` (blind round 5 read it so).
    if let Some(end) = ["\\r\\n", "\\n", "\\r"]
        .into_iter()
        .find(|end| seen.trim_end().ends_with(end) && !want.ends_with(end))
    {
        why.push(format!(
            "it ends in `{end}`: the text it printed had a line end of its own, shown escaped"
        ));
    }
    let want_lower = want.to_lowercase();
    let seen_lower = seen.to_lowercase();
    let want_words = words(&want_lower);
    let seen_words = words(&seen_lower);
    // (Words without digits only: a number is not misspelt, `44188` is
    // not `40108` spelled wrong, nor `router124` `router123`.)
    for w in seen_words
        .iter()
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
    {
        if w.len() > 4 && !want_words.contains(w) {
            if let Some(v) = want_words
                .iter()
                .find(|v| v.len() > 4 && levenshtein(v, w) <= 2)
            {
                let (w, v) = (
                    as_written(seen, &seen_words, &[w])[0],
                    as_written(want, &want_words, &[v])[0],
                );
                why.push(format!("`{w}` is spelled `{v}`"));
            }
        }
    }
    let extra: Vec<&&str> = seen_words
        .iter()
        .filter(|w| {
            w.chars().any(char::is_alphabetic)
                && !want_words.contains(w)
                && !want_words.iter().any(|v| levenshtein(v, w) <= 2)
        })
        .collect();
    // Other words and missing ones only when nothing above explains
    // the difference better.
    let plain = why.is_empty();
    if !extra.is_empty() && plain {
        let extra = as_written(seen, &seen_words, &extra);
        why.push(format!("other words: {}", backticked(&extra)));
    }
    let missing: Vec<&&str> = want_words
        .iter()
        .filter(|w| {
            w.chars().any(char::is_alphabetic)
                && !seen_words.contains(w)
                && !seen_words.iter().any(|v| levenshtein(v, w) <= 2)
                && !leading_tag(want).is_some_and(|tag| tag.to_lowercase().contains(**w))
                && !in_capitals(want, w)
        })
        .collect();
    if !missing.is_empty() && plain {
        let missing = as_written(want, &want_words, &missing);
        why.push(format!("missing: {}", backticked(&missing)));
    }
    why
}

/// The text `seen` put between a pair of quotes that `want` does not
/// have, when that pair is its only difference (blind round 80:
/// `Received: "hi"`, marked whole and left unnamed).
fn quotes_added<'a>(want: &str, seen: &'a str) -> Option<&'a str> {
    ['"', '\''].into_iter().find_map(|q| {
        let first = seen.find(q)?;
        let last = seen.rfind(q)?;
        let only_two = last > first + 1 && seen.matches(q).count() == 2;
        (only_two && !want.contains(q) && seen.replace(q, "") == want)
            .then(|| &seen[first + 1..last])
    })
}

/// `picked`, words of `lower` (the words of `text` in lower case), as
/// `text` writes them: a word the program printed as `Server` is shown so
/// (blind round 74: "other words: `server`"). As they are where lower case
/// changed how the text splits into words.
fn as_written<'a>(text: &'a str, lower: &[&str], picked: &[&&'a str]) -> Vec<&'a str> {
    let written = words(text);
    picked
        .iter()
        .map(|w| {
            lower
                .iter()
                .position(|l| l == *w)
                .filter(|_| written.len() == lower.len())
                .map_or(**w, |i| written[i])
        })
        .collect()
}

/// Is `word` written in capitals in `want` (a placeholder such as `HH`,
/// `MM`, `SS`, `PORT`, or the protocol's `ACK`)? Not a word a student
/// left out (blind round 7: "missing: `hh`, `mm`, `ss`" read as "print
/// the letters HH").
fn in_capitals(want: &str, word: &str) -> bool {
    want.split(|c: char| !c.is_ascii_alphanumeric()).any(|t| {
        t.len() >= 2 && t.chars().all(|c| c.is_ascii_uppercase()) && t.eq_ignore_ascii_case(word)
    })
}

/// `` `a`, `b` ``.
fn backticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `[WORD] ` a line starts with, if any.
fn leading_tag(line: &str) -> Option<&str> {
    let end = line.find("] ")?;
    let tag = &line[..end + 2];
    let inner = tag.strip_prefix('[')?.strip_suffix("] ")?;
    (!inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric())).then_some(tag)
}

/// Does `line` hold the repr of Python bytes, `b'...'` or `b"..."`?
fn python_bytes(line: &str) -> bool {
    ["b'", "b\""].iter().any(|open| {
        line.match_indices(open).any(|(at, _)| {
            line[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric() && c != '_')
        })
    })
}

fn trailing_port(line: &str) -> Option<u16> {
    let digits: String = line
        .trim_end()
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let before = line.trim_end().strip_suffix(digits.as_str())?;
    if before.ends_with(':') {
        digits.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Characters outside ASCII may be printed as themselves or escaped
    /// (Python's `unicode_escape`); nothing else is forgiven.
    #[test]
    fn wide_characters_may_be_shown_escaped() {
        let want = "[CLIENT] Received: ACK: café € 数据包 🙂";
        assert!(same_shown(want, want));
        assert!(same_shown(
            r"[CLIENT] Received: ACK: caf\xe9 \u20ac \u6570\u636e\u5305 \U0001f642",
            want
        ));
        assert!(same_shown(
            r"[CLIENT] Received: ACK: caf\u{e9} \u{20ac} 数据包 🙂",
            want
        ));
        // C's escape of each byte that is not printable: UTF-8, spelled out.
        assert!(same_shown(
            r"[CLIENT] Received: ACK: caf\xc3\xa9 \xe2\x82\xac \xe6\x95\xb0据包 🙂",
            want
        ));
        // Java's and JSON's UTF-16 halves; Perl's `\x{..}`; C's octal bytes.
        assert!(same_shown(
            r"[CLIENT] Received: ACK: caf\u00e9 \u20ac \u6570\u636e\u5305 \ud83d\ude42",
            want
        ));
        assert!(same_shown(
            r"[CLIENT] Received: ACK: caf\x{e9} \x{20ac} 数据包 \x{1f642}",
            want
        ));
        assert!(same_shown(
            r"[CLIENT] Received: ACK: caf\303\251 \342\202\254 数据包 \360\237\231\202",
            want
        ));
        // A lone half is no character.
        assert!(!same_shown(
            r"[CLIENT] Received: ACK: café € 数据包 \ud83d",
            want
        ));
        // Latin-1's reading of the UTF-8 bytes, a bytes repr, a cut: wrong.
        assert!(!same_shown(
            "[CLIENT] Received: ACK: cafÃ© € 数据包 🙂",
            want
        ));
        assert!(!same_shown(
            r"[CLIENT] Received: b'ACK: caf\xc3\xa9 € 数据包 🙂'",
            want
        ));
        assert!(!same_shown("[CLIENT] Received: ACK: café € 数据", want));
        // An ASCII text is compared as it is: `\x41` is not `A`.
        assert!(!same_shown(
            r"[CLIENT] Received: ACK: \x41",
            "[CLIENT] Received: ACK: A"
        ));
        // Escapes that are not whole stay as they are.
        assert_eq!(
            wide_escapes_undone(r"a\u{zz} \x4 \u12 \"),
            r"a\u{zz} \x4 \u12 \"
        );
    }

    #[test]
    fn a_line_sharing_only_numbers_is_no_near_miss() {
        let lines = vec!["Client connected: ('127.0.0.1', 46310)".to_string()];
        assert_eq!(
            closest("[SERVER] Listening on 127.0.0.1:46379", &lines),
            None
        );
        let lines = vec!["[server] listening on 127.0.0.1:0".to_string()];
        assert!(closest("[SERVER] Listening on 127.0.0.1:46379", &lines).is_some());
    }

    /// The line naming the port, in words of its own, over a line of the
    /// same shape about another socket (blind round 68).
    #[test]
    fn a_line_naming_the_same_port_is_the_near_miss() {
        let printed = lines(&[
            "Server started on port 46297",
            "[SERVER] Connection from 127.0.0.1:36082",
        ]);
        assert_eq!(
            closest("[SERVER] Listening on 127.0.0.1:46297", &printed),
            Some("Server started on port 46297")
        );
        // The port alone, no word shared: still no near miss.
        let printed = lines(&["ready 46297"]);
        assert_eq!(
            closest("[SERVER] Listening on 127.0.0.1:46297", &printed),
            None
        );
    }

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    /// Blind round 32: ACKs printed with print() ran together on one line,
    /// shown as a near miss with a hundred carets.
    #[test]
    fn a_line_with_no_line_end_is_said_so() {
        let printed = lines(&["[CLIENT] [ACK @10:00:00] a[CLIENT] [ACK @10:00:01] b"]);
        let said = no_such_line("[CLIENT] [ACK @10:00:00] a", &printed, "");
        assert!(said.contains("was printed with no line end"), "{said}");
        // A longer line that merely starts the same is a near miss.
        let printed = lines(&["[CLIENT] [ACK @10:00:00] ab"]);
        let said = no_such_line("[CLIENT] [ACK @10:00:00] a", &printed, "");
        assert!(!said.contains("no line end"), "{said}");
    }

    /// Blind round 30: `Closed connection` (two words shared) was shown
    /// for `Connection from ADDRESS` over the line naming that address.
    #[test]
    fn the_line_naming_the_same_address_is_the_nearer_miss() {
        let want = "[SERVER] Connection from 127.0.0.1:60488";
        let printed = lines(&[
            "[SERVER] Listening on 127.0.0.1:40000",
            "[SERVER] Connected by 127.0.0.1:60488",
            "[SERVER] Closed connection",
        ]);
        assert_eq!(
            closest(want, &printed),
            Some("[SERVER] Connected by 127.0.0.1:60488")
        );
        assert_eq!(
            addresses("from [::1]:5000, and 10.0.0.1:80."),
            ["[::1]:5000", "10.0.0.1:80"]
        );
        assert!(addresses("Received: a:1 b:").is_empty());
    }

    /// Blind round 53: the same as below, with the client's address
    /// before the label (its colon is no label's).
    #[test]
    fn a_line_of_the_other_direction_is_the_farther_miss_after_an_address() {
        let seen = lines(&[
            "[SERVER] 127.0.0.1:42880 Got message: port687 router93",
            "[SERVER] 127.0.0.1:42880 Sent: ACK: port687 router93",
        ]);
        for order in [seen.clone(), seen.iter().rev().cloned().collect()] {
            assert_eq!(
                closest(
                    "[SERVER] 127.0.0.1:42880 Received: port687 router93",
                    &order
                ),
                Some("[SERVER] 127.0.0.1:42880 Got message: port687 router93")
            );
        }
    }

    /// Blind round 46: for a Received line, the line of what the server
    /// sent (`Sent: ACK: <message>`) was shown over the one of what it got
    /// (`Got message: <message>`): the same words, and a shorter edit.
    #[test]
    fn a_line_of_the_other_direction_is_the_farther_miss() {
        let want = "[SERVER] Received: hello router42";
        let printed = lines(&[
            "[SERVER] Listening on 127.0.0.1:40000",
            "Got message: hello router42",
            "Sent: ACK: hello router42",
        ]);
        assert_eq!(closest(want, &printed), Some("Got message: hello router42"));
        let want = "[SERVER] Sent: ACK: hello router42";
        assert_eq!(closest(want, &printed), Some("Sent: ACK: hello router42"));
        // Alone, the other direction's line is still a near miss.
        let printed = lines(&["Sent: ACK: hello router42"]);
        assert!(closest("[SERVER] Received: hello router42", &printed).is_some());
    }

    #[test]
    fn a_line_end_shown_escaped_is_named_not_read_as_a_word() {
        let want = "[CLIENT] Received: ACK: hello there";
        let seen = "[CLIENT] Received: ACK: hello there\\n";
        let said = show_near_miss(want, seen);
        assert!(said.contains("it ends in `\\n`"), "{said}");
        assert!(!said.contains("other words"), "{said}");
    }

    #[test]
    fn finds_and_names_the_usual_near_misses() {
        let want = "[SERVER] Received: hello";
        let printed = lines(&["[SERVER] Connection from x", "[SERVER] Recieved: hello"]);
        let seen = closest(want, &printed).expect("a near miss");
        assert_eq!(seen, "[SERVER] Recieved: hello");
        assert!(show_near_miss(want, seen).contains("`Recieved` is spelled `Received`"));

        let want = "[SERVER] Listening on 127.0.0.1:41000";
        let seen = "[SERVER] Persistent server listening on 127.0.0.1:0";
        assert_eq!(closest(want, &lines(&[seen])), Some(seen));
        assert!(what_differs(want, seen)
            .iter()
            .any(|w| w.contains("port 0 instead of the real port 41000")));

        let seen = "[server] listening on 127.0.0.1:41000";
        assert_eq!(what_differs(want, seen), ["only upper/lower case differs"]);

        let want = "[SERVER] Connection from 127.0.0.1:5000";
        let seen = "[SERVER] Connection from ('127.0.0.1', 5000)";
        assert!(what_differs(want, seen)[0].contains("Python tuple"));
        let shown = show_near_miss(want, seen);
        let marks = shown.lines().nth(2).unwrap();
        assert_eq!(marks.find('^'), Some(8 + 10 + 25), "{shown}");

        assert_eq!(closest(want, &lines(&["something else entirely"])), None);
    }

    #[test]
    fn python_bytes_printed_as_they_are_are_named() {
        let want = "[CLIENT] Received: ACK: hi";
        let seen = "[CLIENT] Received: b'ACK: hi'";
        assert_eq!(
            what_differs(want, seen),
            ["a Python bytes object printed as it is (b'...'): decode() it to text before printing it"]
        );
        // Not a word ending in b before a quote.
        assert!(!python_bytes("[CLIENT] Received: 'Bob's reply'"));
        assert!(!python_bytes("[CLIENT] the lab's notes"));
        assert!(python_bytes("[CLIENT] Received: (b\"ACK: hi\", 5)"));
    }

    #[test]
    fn quotes_added_around_a_message_are_named() {
        let want = "[SERVER] Received: Hello Server";
        assert_eq!(
            what_differs(want, "[SERVER] Received: \"Hello Server\""),
            ["quotes added around `Hello Server`: print the text as it is (Python's repr() and `{!r}`, Rust's `{:?}` and JSON encoders add them)"]
        );
        assert!(what_differs(want, "[SERVER] Received: 'Hello Server'")[0]
            .starts_with("quotes added around `Hello Server`"));
        // A quote the contract has, or quotes with other changes, are not.
        assert!(quotes_added(
            "[CLIENT] Received: ACK: it's",
            "[CLIENT] Received: 'ACK: it's'"
        )
        .is_none());
        assert!(quotes_added(want, "[SERVER] Got: \"Hello Server\"").is_none());
    }

    #[test]
    fn a_port_in_network_byte_order_is_named_and_not_a_spelling() {
        let want = "[SERVER] Connection from 127.0.0.1:40108";
        // 40108 is 0x9cac; 0xac9c is 44188.
        let seen = "[SERVER] Connection from 127.0.0.1:44188";
        let why = what_differs(want, seen);
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(why[0].contains("40108 with its two bytes swapped") && why[0].contains("ntohs()"));
        // Another port altogether: no byte order, and no spelling either.
        let seen = "[SERVER] Connection from 127.0.0.1:40109";
        assert_eq!(what_differs(want, seen), Vec::<String>::new());
    }

    #[test]
    fn a_missing_tag_or_word_is_named() {
        let want = "[SERVER] Listening on 127.0.0.1:41000";
        let seen = "Listening on 127.0.0.1:41000";
        assert_eq!(
            what_differs(want, seen),
            ["the line must start with the tag `[SERVER] `"]
        );
        let shown = show_near_miss(want, seen);
        let marks = shown.lines().nth(2).unwrap();
        assert_eq!(marks.trim(), "^^^^^^^^^", "{shown}");

        // A clock under the template's `HH:MM:SS` is not marked.
        let shown = show_near_miss(
            "[CLIENT] [ACK @HH:MM:SS] packet691",
            "[CLIENT] [ACK @19:16:12] frame600",
        );
        let marks = shown.lines().nth(2).unwrap();
        assert_eq!(marks.trim_start().len(), "packet691".len(), "{shown}");
        assert_eq!(marks.len() - marks.trim_start().len(), 18 + 25, "{shown}");

        let want = "[CLIENT] Received: ACK: hello";
        let seen = "[CLIENT] ACK: hello";
        assert_eq!(what_differs(want, seen), ["missing: `Received`"]);
        // Words shown as the lines write them (blind round 74).
        assert_eq!(
            what_differs(want, "[CLIENT] Server replied: ACK: hello"),
            ["other words: `Server`, `replied`", "missing: `Received`"]
        );
        // A placeholder or the protocol's capitals are not words to print.
        let template = "[CLIENT] [ACK @HH:MM:SS] hello there";
        assert_eq!(
            what_differs(template, "[CLIENT] there"),
            ["missing: `hello`"]
        );
        // A misspelt word is named as such, not as missing.
        let seen = "[CLIENT] Recieved: ACK: hello";
        assert_eq!(
            what_differs(want, seen),
            ["`Recieved` is spelled `Received`"]
        );
    }
}
