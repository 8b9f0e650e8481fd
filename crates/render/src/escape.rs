//! Making untrusted text safe for a terminal.

use std::borrow::Cow;
use std::fmt::Write;

/// Escapes everything a terminal would interpret: C0 and C1 control
/// characters (ESC, BEL, CR, LF, ...), DEL, and Unicode's bidirectional and
/// invisible formatting characters, which can reorder or hide text. Printable
/// text is returned unchanged without copying.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let code = u32::from(c);
                if code <= 0xff {
                    let _ = write!(out, "\\x{code:02x}");
                } else {
                    let _ = write!(out, "\\u{{{code:04x}}}");
                }
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for text shown as one line of a report: tabs and the other
/// blank controls (a GUI's pasted columns) become spaces. Line breaks stay
/// escaped (`\n`, `\r`), as every other control character: a newline in
/// a log line is a sign of forged text and is shown as such.
pub fn escape_spaced(text: &str) -> Cow<'_, str> {
    let is_space = |c: char| matches!(c, '\t' | '\u{0b}' | '\u{0c}');
    if !text.chars().any(is_space) {
        return escape(text);
    }
    let spaced: String = text
        .chars()
        .map(|c| if is_space(c) { ' ' } else { c })
        .collect();
    Cow::Owned(escape(&spaced).into_owned())
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width, LRM, RLM
            | '\u{2028}'..='\u{202e}' // line/paragraph separators, bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_in_a_report_line_are_spaces_and_escapes_still_escaped() {
        assert_eq!(escape_spaced("a\tb\u{1b}[31m"), "a b\\x1b[31m");
        assert_eq!(escape_spaced("plain"), "plain");
        assert_eq!(escape_spaced("x\u{0c}y\nz\r"), "x y\\nz\\r");
    }

    #[test]
    fn terminal_title_escape_is_neutralised() {
        assert_eq!(escape("\u{1b}]0;owned\u{7}"), "\\x1b]0;owned\\x07");
    }

    #[test]
    fn newlines_cannot_forge_report_lines() {
        assert_eq!(
            escape("id\nerror[psk-mismatch] fake"),
            "id\\nerror[psk-mismatch] fake"
        );
    }

    #[test]
    fn bidi_override_and_c1_controls() {
        assert_eq!(escape("a\u{202e}b\u{9b}c"), "a\\u{202e}b\\x9bc");
    }

    #[test]
    fn printable_text_is_borrowed() {
        assert!(matches!(
            escape("IKE:AES_CBC_128 für Zürich"),
            Cow::Borrowed(_)
        ));
    }
}
