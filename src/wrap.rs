//! Fitting text to a terminal's width: word wrap with hanging indents.
//!
//! Used by every text netlab prints for a person at a terminal: the
//! report of `netlab grade` and of a lab's `cargo test` (each failure's
//! story), `netlab demo`'s timeline and sentences, and the programs' own
//! lines quoted under `netlab trace`'s diagram. Generic: nothing
//! here knows a week or a report.
//!
//! - [`wrap`] cuts one text into pieces of at most N columns, at spaces
//!   when it can (a word longer than a line, a path say, is cut where it
//!   must be).
//! - [`fill`] wraps every line of a rendered text that is too wide, and
//!   continues it under where it *reads* from, so a story stays a story:
//!   `expected: …` continues under the text after `expected: `, step `2. …`
//!   under the text after `2. `, a check line under its title, a quoted
//!   program line (`| …`) behind its bar, anything else two columns in.
//! - [`stdout_columns`] is the width to fit to: the terminal's, or `None`
//!   when stdout is not a terminal. Off a terminal (a pipe, a file, CI)
//!   netlab does not wrap at all: one fact per line, the same bytes
//!   whatever the width of whoever reads it, so `grep observed:` finds a
//!   whole observation and two runs diff line by line.
//!
//! Colour escapes (`ESC [ … m`) take no columns and are never cut.

/// The narrowest width text is fitted to: a terminal reporting fewer
/// columns still gets 40 (below that no layout reads well).
pub const MIN_COLUMNS: usize = 40;

/// The terminal's width when stdout is a terminal (never less than
/// [`MIN_COLUMNS`]); `None` in a pipe or a file, where text is not wrapped.
pub fn stdout_columns() -> Option<usize> {
    columns_of(&console::Term::stdout())
}

/// [`stdout_columns`] for any stream (the class run draws on stderr).
pub fn columns_of(term: &console::Term) -> Option<usize> {
    if !term.is_term() {
        return None;
    }
    let columns = term.size_checked().map_or(80, |(_, c)| usize::from(c));
    Some(columns.max(MIN_COLUMNS))
}

/// One piece of a line: a colour escape (no columns), a run of spaces, or a
/// word (a run of anything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Escape(&'a str),
    Spaces(&'a str),
    Word(&'a str),
}

/// The length in bytes of the escape sequence at the start of `text`, if it
/// starts with one: CSI (`ESC [ params final`) or ESC and one character.
fn escape_len(text: &str) -> Option<usize> {
    let rest = text.strip_prefix('\u{1b}')?;
    if let Some(params) = rest.strip_prefix('[') {
        let end = params
            .char_indices()
            .find(|(_, c)| ('@'..='~').contains(c))
            .map_or(params.len(), |(i, c)| i + c.len_utf8());
        return Some(2 + end);
    }
    Some(1 + rest.chars().next().map_or(0, char::len_utf8))
}

fn tokens(line: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(n) = escape_len(rest) {
            out.push(Token::Escape(&rest[..n]));
            rest = &rest[n..];
            continue;
        }
        let spaces = rest.starts_with(' ');
        // Up to the next escape, or the next change between space and not.
        let end = rest
            .char_indices()
            .find(|&(i, c)| i > 0 && (c == '\u{1b}' || (c == ' ') != spaces))
            .map_or(rest.len(), |(i, _)| i);
        let (piece, tail) = rest.split_at(end);
        out.push(if spaces {
            Token::Spaces(piece)
        } else {
            Token::Word(piece)
        });
        rest = tail;
    }
    keep_short_groups_together(line, out)
}

/// Groups never broken, as (opening, closing, widest): a short aside
/// (`(103 ms)`), a quoted line the reader may copy (`` `[SERVER] Listening
/// on 127.0.0.1:PORT` ``), a quoted argument (`'bind186 port903'`). A longer
/// group breaks like any text.
const GROUPS: [(char, char, usize); 3] = [('(', ')', 12), ('`', '`', 48), ('\'', '\'', 40)];

/// The words of a short group (see [`GROUPS`]) become one word.
fn keep_short_groups_together<'a>(line: &'a str, tokens: Vec<Token<'a>>) -> Vec<Token<'a>> {
    let text = |t: &Token<'a>| match *t {
        Token::Escape(s) | Token::Spaces(s) | Token::Word(s) => s,
    };
    // Byte offset of a token inside `line` (tokens are slices of it).
    let at = |t: &Token<'a>| text(t).as_ptr() as usize - line.as_ptr() as usize;
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        // An opening that is not closed in its own word.
        let group = match tokens[i] {
            Token::Word(w) => GROUPS.iter().find(|(open, close, _)| {
                w.starts_with(*open) && !w[open.len_utf8()..].contains(*close)
            }),
            _ => None,
        };
        let close = group.and_then(|&(_, close, widest)| {
            let mut width = 0;
            (i..tokens.len())
                .find_map(|j| {
                    width += columns(text(&tokens[j]));
                    match tokens[j] {
                        _ if width > widest => Some(None),
                        Token::Word(w) if j > i && w.contains(close) => Some(Some(j)),
                        _ => None,
                    }
                })
                .flatten()
        });
        match close {
            Some(j) => {
                let (start, end) = (at(&tokens[i]), at(&tokens[j]) + text(&tokens[j]).len());
                out.push(Token::Word(&line[start..end]));
                i = j + 1;
            }
            None => {
                out.push(tokens[i]);
                i += 1;
            }
        }
    }
    out
}

fn columns(text: &str) -> usize {
    console::measure_text_width(text)
}

/// Lays out one line's tokens: the first row takes its own leading spaces,
/// every other row starts with `prefix`; no row is wider than `width`
/// (unless `prefix` alone is).
fn lay_out(line: &str, width: usize, prefix: &str) -> Vec<String> {
    let width = width.max(1);
    let prefix_width = columns(prefix);
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    // Something other than leading spaces is on the row.
    let mut has_word = false;
    // Spaces (and escapes) seen since the row's last word: written only
    // if another word follows on the same row.
    let mut pending = String::new();
    let mut pending_width = 0;
    for token in tokens(line) {
        match token {
            Token::Escape(e) if pending.is_empty() => row.push_str(e),
            Token::Escape(e) => pending.push_str(e),
            Token::Spaces(s) if !has_word && rows.is_empty() => {
                row.push_str(s);
                used += s.len();
            }
            Token::Spaces(s) => {
                pending.push_str(s);
                pending_width += s.len();
            }
            Token::Word(word) => {
                let w = columns(word);
                // A word no row could hold is cut from where it stands.
                let fits_a_row = w <= width.saturating_sub(prefix_width);
                if has_word && used + pending_width + w > width && fits_a_row {
                    rows.push(std::mem::take(&mut row));
                    // The spaces at the break go; the escapes stay.
                    row.push_str(prefix);
                    row.extend(escapes_of(&pending));
                    used = prefix_width;
                } else {
                    row.push_str(&pending);
                    used += pending_width;
                }
                pending.clear();
                pending_width = 0;
                has_word = true;
                if used + w <= width {
                    row.push_str(word);
                    used += w;
                    continue;
                }
                // A word longer than the room left: cut it where it must be.
                for c in word.chars() {
                    let cw = console::measure_text_width(c.encode_utf8(&mut [0; 4]));
                    if used + cw > width && used > prefix_width {
                        rows.push(std::mem::take(&mut row));
                        row.push_str(prefix);
                        used = prefix_width;
                    }
                    row.push(c);
                    used += cw;
                }
            }
        }
    }
    // Trailing escapes (a colour's reset) stay; trailing spaces go.
    row.extend(escapes_of(&pending));
    rows.push(row);
    rows
}

fn escapes_of(text: &str) -> impl Iterator<Item = &str> {
    tokens(text).into_iter().filter_map(|t| match t {
        Token::Escape(e) => Some(e),
        _ => None,
    })
}

/// Cuts `text` into pieces of at most `width` columns, at spaces when it
/// can; a word longer than `width` is cut where it must be. No indent:
/// each piece starts at its first word.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    lay_out(text.trim_start_matches(' '), width, "")
}

/// Where a wrapped line continues: the text its continuation rows start
/// with (spaces, or spaces and a quote bar). `visible` is the line without
/// colour escapes.
fn continuation(visible: &str, width: usize) -> String {
    let indent = visible.len() - visible.trim_start_matches(' ').len();
    let rest = &visible[indent..];
    let spaces = |n: usize| " ".repeat(n);
    let fallback = spaces((indent + 2).min(width / 2));
    // A program's own line, quoted: the bar goes on.
    if rest == "|" || rest.starts_with("| ") {
        let prefix = format!("{}|   ", spaces(indent));
        return if prefix.len() <= width / 2 {
            prefix
        } else {
            fallback
        };
    }
    let hang = numbered(rest)
        .or_else(|| labelled(rest))
        .or_else(|| columned(rest));
    match hang {
        // Too far right leaves too little room: two columns in instead.
        Some(at) if columns(&visible[..indent + at]) <= width / 2 => {
            spaces(columns(&visible[..indent + at]))
        }
        _ => fallback,
    }
}

/// `12. text`: where the text starts.
fn numbered(rest: &str) -> Option<usize> {
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    (digits > 0 && rest[digits..].starts_with(". ")).then_some(digits + 2)
}

/// `expected: text`, `on the wire: text` (a label of lowercase words, then
/// `: `): where the text starts.
fn labelled(rest: &str) -> Option<usize> {
    let (label, _) = rest.split_once(": ")?;
    let words = label.len() <= 24
        && label.starts_with(|c: char| c.is_ascii_lowercase())
        && !label.contains("  ")
        && label.chars().all(|c| c.is_ascii_lowercase() || c == ' ');
    words.then_some(label.len() + 2)
}

/// `✘ server-ack   title`, `stage 1  server  0/11`: a first column, two
/// or more spaces, then the text; where that text starts.
fn columned(rest: &str) -> Option<usize> {
    let gap = rest.find("  ")?;
    let after = gap + rest[gap..].len() - rest[gap..].trim_start_matches(' ').len();
    (gap > 0 && after < rest.len()).then_some(after)
}

/// `text` with every line wider than `width` wrapped, each continuing
/// under where it reads from (see the module's list). Lines that fit are
/// left as they are, byte for byte.
pub fn fill(text: &str, width: usize) -> String {
    let width = width.max(1);
    text.split('\n')
        .map(|line| {
            if columns(line) <= width {
                return line.to_string();
            }
            let visible = console::strip_ansi_codes(line);
            let prefix = continuation(&visible, width);
            lay_out(line, width, &prefix).join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(text: &str) -> usize {
        text.lines().map(columns).max().unwrap_or(0)
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("ab cd ef", 5), ["ab cd", "ef"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), [""]);
        assert_eq!(wrap("ab  cd", 10), ["ab  cd"]);
        // A short group stays whole; a long one may break.
        assert_eq!(wrap("check done (103 ms)", 15), ["check done", "(103 ms)"]);
        assert_eq!(
            wrap(
                "and to print `[SERVER] Listening on 127.0.0.1:PORT` now",
                50
            ),
            ["and to print", "`[SERVER] Listening on 127.0.0.1:PORT` now"]
        );
        assert_eq!(
            wrap(
                "start the client: client 'bind186 port903 accept899' (with",
                40
            ),
            [
                "start the client: client",
                "'bind186 port903 accept899' (with"
            ]
        );
        // An apostrophe inside a word opens nothing.
        assert_eq!(
            wrap("the grader's fake server", 12),
            ["the grader's", "fake server"]
        );
        assert_eq!(
            wrap("see (a long aside here)", 12),
            ["see (a long", "aside here)"]
        );
    }

    #[test]
    fn a_story_continues_under_where_each_line_reads_from() {
        let story = [
            "      expected: the reply `ERROR: Invalid UTF-8` and then the connection closed by the server",
            "        4. send 9 bytes, not UTF-8: [7a, 5a, 44, 63, 41, c3, 28, ff, fe] and then some more",
            "        | UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc3 in position 5: invalid",
            "  ✘ server-invalid-utf8          bytes that are not UTF-8, and a title long enough to wrap (91 ms)",
            "        3.081s 127.0.0.1:37203 → 127.0.0.1:59242 FIN-ACK: your server closed only after",
        ]
        .join("\n");
        let filled = fill(&story, 70);
        assert!(widest(&filled) <= 70, "{filled}");
        let rows: Vec<&str> = filled.lines().collect();
        let next_to = |start: &str| {
            let i = rows.iter().position(|r| r.starts_with(start)).unwrap();
            rows[i + 1]
        };
        // Continued exactly this many columns in (then a word).
        let hangs = |start: &str, n: usize| {
            let row = next_to(start);
            row.len() > n && row[..n].trim().is_empty() && !row[n..].starts_with(' ')
        };
        assert!(hangs("      expected:", 16), "{filled}");
        assert!(hangs("        4. send", 11), "{filled}");
        assert!(
            next_to("        | Unicode").starts_with("        |   "),
            "{filled}"
        );
        assert!(hangs("  ✘ server-invalid", 33), "{filled}");
        assert!(hangs("        3.081s", 10), "{filled}");
        // Every word is still there, in order.
        let words = |t: &str| {
            t.split_whitespace()
                .filter(|w| *w != "|")
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(words(&filled), words(&story));
    }

    #[test]
    fn lines_that_fit_are_left_alone_and_colour_takes_no_room() {
        let text = "  short line\n\n    indented: also short";
        assert_eq!(fill(text, 80), text);
        let bold = |t: &str| format!("\u{1b}[1m{t}\u{1b}[0m");
        let line = format!(
            "      {} {}",
            bold("observed:"),
            "word ".repeat(20).trim_end()
        );
        let filled = fill(&line, 40);
        assert!(widest(&filled) <= 40, "{filled:?}");
        // The escapes are whole and the label's reset stays on its row.
        assert!(filled.lines().next().unwrap().contains(&bold("observed:")));
        assert_eq!(
            console::strip_ansi_codes(&filled)
                .split_whitespace()
                .count(),
            21
        );
        // Continuation rows sit under the text after the label.
        assert!(filled.lines().nth(1).unwrap().starts_with(&" ".repeat(16)));
    }

    #[test]
    fn a_long_word_is_cut_and_a_far_hang_falls_back() {
        let path = format!("      stderr: {}", "/very/long/path".repeat(8));
        let filled = fill(&path, 40);
        assert!(widest(&filled) <= 40, "{filled}");
        assert_eq!(filled.replace(['\n', ' '], ""), path.replace(' ', ""));
        // A first column so wide its text starts past half the width:
        // continue two columns in instead.
        let wide = format!("  {}  then the text goes on and on", "x".repeat(30));
        let filled = fill(&wide, 40);
        assert!(
            filled.lines().nth(1).unwrap().starts_with("    t"),
            "{filled}"
        );
    }
}
