//! The report as Markdown, to paste into a forum thread, a GitHub issue or
//! a ticket: the summary, a table of every tunnel, then each finding of
//! what fails with its evidence in a fenced block and its fix as a list.
//!
//! Log text is untrusted here too. In running text and table cells every
//! character Markdown gives a meaning to is backslash-escaped (`<` and `&`
//! too, so no HTML tag or entity reaches a renderer that allows them; what
//! starts a list, heading or quote only at the start), and `@` is an
//! entity so that a peer identity such as `@east` mentions no one. Evidence
//! is in a fence longer than any run of backticks in it, so no line can
//! close it. Control characters are escaped as in the text report.

use std::io::{self, Write};

use ipsec_doctor_findings::{Finding, Report, TunnelSummary};

use crate::escape::{escape, escape_spaced};
use crate::view::{place_of, Place, Summary, Tunnels};

/// Writes the report as Markdown (CommonMark with GitHub's tables).
pub fn markdown(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## ipsec-doctor report")?;
    writeln!(out)?;
    if report.findings.is_empty() && report.tunnels.is_empty() {
        writeln!(out, "No IPsec negotiations found in the input.")?;
        return Ok(());
    }
    let summary = Summary::of(report);
    writeln!(out, "**{}.**", summary.line())?;
    writeln!(out)?;
    if !report.tunnels.is_empty() {
        write_table(&report.tunnels, out)?;
    }
    let tunnels = Tunnels::new(report);
    let mut current: Option<Place<'_>> = None;
    for f in report.findings.iter().filter(|f| tunnels.in_full(f)) {
        let place = place_of(f);
        if current != Some(place) {
            writeln!(out)?;
            let host = match f.host.as_deref() {
                Some(h) => format!("host {}", inline(h)),
                None => format!("file {}", inline(&f.origin)),
            };
            let tunnel = f.tunnel.as_deref().map_or_else(
                || "host-wide".to_owned(),
                |t| format!("tunnel {}", inline(t)),
            );
            let status = tunnels
                .of(f)
                .map(|t| format!(" ({})", t.status))
                .unwrap_or_default();
            writeln!(out, "### {host}, {tunnel}{status}")?;
            current = Some(place);
        }
        write_finding(f, out)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "_Written by ipsec-doctor; `ipsec-doctor explain ID` tells more about a finding._"
    )
}

fn write_table(tunnels: &[TunnelSummary], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "| Status | Host | Tunnel | Local | Remote | IKE | Negotiated | Findings |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |")?;
    for t in tunnels {
        let host = t.host.as_deref().unwrap_or(&t.origin);
        let findings: Vec<String> = t.findings.iter().map(|r| format!("`{}`", r.id)).collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            t.status,
            inline(host),
            inline(t.tunnel.as_deref().unwrap_or("")),
            inline(t.local.as_deref().unwrap_or("")),
            inline(t.remote.as_deref().unwrap_or("")),
            t.ike_version.unwrap_or(""),
            table_code(&t.negotiated.join(", ")),
            findings.join(" "),
        )?;
    }
    Ok(())
}

fn write_finding(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    let times = if f.occurrences > 1 {
        format!(" (seen {} times)", f.occurrences)
    } else {
        String::new()
    };
    writeln!(
        out,
        "**{}** `{}`: {}{times}",
        f.severity,
        f.id,
        inline(f.title)
    )?;
    writeln!(out)?;
    writeln!(out, "{}", inline(&f.summary))?;
    if !f.evidence.is_empty() {
        writeln!(out)?;
        writeln!(out, "Evidence:")?;
        writeln!(out)?;
        let lines: Vec<String> = f
            .evidence
            .iter()
            .map(|e| {
                format!(
                    "{}:{}: {}",
                    escape(&e.path),
                    e.line,
                    escape_spaced(e.text.trim_start())
                )
            })
            .collect();
        let fence = fence_for(&lines);
        writeln!(out, "{fence}text")?;
        for line in &lines {
            writeln!(out, "{line}")?;
        }
        writeln!(out, "{fence}")?;
    }
    if !f.fix.is_empty() {
        writeln!(out)?;
        writeln!(out, "Fix:")?;
        writeln!(out)?;
        for step in &f.fix {
            writeln!(out, "- {}", inline(step))?;
        }
    }
    Ok(())
}

/// A fence of backticks longer than any run of them in the lines.
fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`').map(str::len))
        .max()
        .unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// Text as a code span in a table cell: shown as written (GitHub's tables
/// take `\|` as a pipe inside code too), delimited by more backticks than
/// any run of them in it.
fn table_code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    // A backslash before a pipe would undo its escape and end the cell:
    // such text is written as running text instead.
    if text.contains(['\\', '|']) {
        return inline(text);
    }
    let text = escape_spaced(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let delimiter = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{delimiter}{pad}{text}{pad}{delimiter}")
}

/// Text as one line of Markdown that shows as written: control characters
/// escaped, Markdown's inline punctuation backslashed, HTML's as entities,
/// and what would start a list or heading escaped at the start.
fn inline(text: &str) -> String {
    let text = escape_spaced(text);
    let mut out = String::with_capacity(text.len() + 8);
    // A leading `1.` or `1)` and a blank is an ordered list item.
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let mut after = text.chars().skip(digits);
    let list_marker = digits > 0
        && matches!(after.next(), Some('.' | ')'))
        && matches!(after.next(), None | Some(' '));
    let chars: Vec<char> = text.chars().collect();
    let alphanumeric = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '@' => out.push_str("&#64;"),
            // Between letters or digits `_` starts no emphasis
            // (CommonMark's flanking rules): `AES_CBC_128` stays readable.
            '_' if alphanumeric(i.checked_sub(1)) && alphanumeric(Some(i + 1)) => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '<' | '&' => {
                out.push('\\');
                out.push(c);
            }
            // GitHub links `http://...`, `https://...` and `www.` by
            // themselves: an escaped `:` or `.` keeps them text.
            ':' if chars.get(i + 1..i + 3) == Some(&['/', '/']) => out.push_str("\\:"),
            '.' if i >= 3
                && chars
                    .get(i - 3..i)
                    .is_some_and(|w| w.iter().collect::<String>().eq_ignore_ascii_case("www")) =>
            {
                out.push_str("\\.")
            }
            '-' | '+' | '=' | '>' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if list_marker && i == digits => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_in_log_text_show_as_written() {
        assert_eq!(
            inline("<img src=x> *bold* [a](b) `c` | d &lt;"),
            "\\<img src=x> \\*bold\\* \\[a\\](b) \\`c\\` \\| d \\&lt;"
        );
    }

    #[test]
    fn underscores_inside_words_stay_as_they_are() {
        assert_eq!(inline("AES_CBC_128 _x_ a_"), "AES_CBC_128 \\_x\\_ a\\_");
    }

    #[test]
    fn urls_in_log_text_are_no_links() {
        assert_eq!(
            inline("see https://evil.example/x"),
            "see https\\://evil.example/x"
        );
        assert_eq!(inline("www.evil.example"), "www\\.evil.example");
    }

    #[test]
    fn an_identity_mentions_no_one() {
        assert_eq!(inline("'@east'"), "'&#64;east'");
    }

    #[test]
    fn a_line_start_cannot_become_a_list_or_heading() {
        assert_eq!(inline("- x"), "\\- x");
        assert_eq!(inline("# x"), "\\# x");
        assert_eq!(inline("> x"), "\\> x");
        assert_eq!(inline("1. x"), "1\\. x");
        assert_eq!(inline("192.0.2.1-x"), "192.0.2.1-x");
        assert_eq!(inline("x 192.0.2.1-x"), "x 192.0.2.1-x");
    }

    #[test]
    fn code_in_a_table_cell_keeps_its_pipes_and_backticks_inside() {
        assert_eq!(table_code("IKE:AES_CBC_128"), "`IKE:AES_CBC_128`");
        assert_eq!(table_code("a|b"), "a\\|b");
        assert_eq!(table_code("a\\|b"), "a\\\\\\|b");
        assert_eq!(table_code("`x``"), "``` `x`` ```");
        assert_eq!(table_code(""), "");
    }

    #[test]
    fn no_evidence_line_closes_its_fence() {
        let lines = vec!["a ```` b".to_owned()];
        assert_eq!(fence_for(&lines), "`````");
        assert_eq!(fence_for(&["plain".to_owned()]), "```");
    }

    #[test]
    fn control_characters_stay_escaped() {
        assert_eq!(inline("a\nb\u{1b}[2J"), "a\\\\nb\\\\x1b\\[2J");
    }
}
