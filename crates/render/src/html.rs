//! The report as one self-contained HTML page: to attach to a ticket, mail
//! to a colleague or open on a phone, offline.
//!
//! The page has no script and loads nothing: its style is inline, and a
//! Content-Security-Policy (`default-src 'none'`) keeps a browser from
//! running or fetching anything even if some text were to slip through.
//! None does: every text of the report goes through [`crate::escape()`]'s
//! rules for control characters and then HTML escaping (`&`, `<`, `>`,
//! quotes), attributes included.
//!
//! It holds the summary; the table of every tunnel with a timeline of its
//! last negotiations; then what fails, tunnel by tunnel, each finding with
//! its evidence (the deciding line highlighted: the one that ended the
//! negotiation in the tunnel's timeline, else the finding's last) and its
//! fix; where both ends of a tunnel are in the input, the two side by side.

use std::collections::HashSet;
use std::io::{self, Write};

use ipsec_doctor_findings::{Finding, Outcome, Report};

use crate::escape::escape_spaced;
use crate::view::{is_healthy, other_ends, place_of, Place, Summary, Tunnels};

/// The report's style sheet, shared with `watch`'s status page.
pub const STYLE: &str = "
:root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fafafa; }
body { margin: 0 auto; max-width: 1400px; padding: 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0 0 .4rem; }
.summary { font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
td.wrap { overflow-wrap: anywhere; min-width: 14rem; }
.badge, td.nowrap { white-space: nowrap; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .6rem; color: #fff; font-weight: 600; }
.error, .down, .failed { background: #c62828; }
.warning, .flapping { background: #ef6c00; }
.info, .up { background: #2e7d32; }
.unknown, .undecided { background: #6d6d6d; }
ol.timeline { list-style: none; display: flex; flex-wrap: wrap; gap: 2px; margin: 0; padding: 0; }
ol.timeline li { width: .8rem; height: .8rem; border-radius: 2px; }
ol.beats { margin: .2rem 0 .6rem; padding-left: 1.2rem; font-size: .9rem; }
ol.beats .outcome { color: #fff; padding: 0 .3rem; border-radius: .3rem; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1rem; margin-bottom: 1rem; }
.end { background: #fff; border: 1px solid #ddd; border-radius: .4rem; padding: .7rem; margin-bottom: 1rem; min-width: 0; }
.pair .end { margin-bottom: 0; }
.finding { border-top: 1px solid #eee; padding-top: .5rem; margin-top: .5rem; }
.finding h4 { margin: 0 0 .3rem; font-size: .95rem; }
ol.evidence { font-family: ui-monospace, monospace; font-size: .8rem; padding-left: 0; list-style: none; overflow-x: auto; }
ol.evidence li { white-space: pre-wrap; overflow-wrap: anywhere; padding: .1rem .3rem; }
ol.evidence li.deciding { background: #fff3c4; border-left: 3px solid #c62828; }
.where { color: #555; }
.finding p, .end h3 { overflow-wrap: anywhere; }
@media (max-width: 800px) {
  .pair { grid-template-columns: minmax(0, 1fr); }
  body { padding: .5rem; }
  .wide { display: none; }
}
";

/// Writes the report as one HTML page.
pub fn html(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\"><head><meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )?;
    writeln!(out, "<title>ipsec-doctor report</title>")?;
    writeln!(out, "<style>{STYLE}</style></head><body>")?;
    writeln!(out, "<header><h1>ipsec-doctor report</h1>")?;
    let summary = Summary::of(report);
    if report.findings.is_empty() && report.tunnels.is_empty() {
        writeln!(
            out,
            "<p class=\"summary\">No IPsec negotiations found in the input.</p></header>"
        )?;
        return writeln!(out, "</body></html>");
    }
    writeln!(
        out,
        "<p class=\"summary\" id=\"summary\">{}.</p></header>",
        escape_html(&summary.line())
    )?;
    let tunnels = Tunnels::new(report);
    let anchors = Anchors::new(report, &tunnels);
    write_table(report, &anchors, out)?;
    write_failures(report, &tunnels, out)?;
    writeln!(
        out,
        "<footer><p>Written by ipsec-doctor; <code>ipsec-doctor explain ID</code> tells more about a finding.</p></footer>"
    )?;
    writeln!(out, "</body></html>")
}

/// The anchor of each finding and tunnel, by position.
struct Anchors {
    /// Per tunnel, the position of its first finding.
    first_finding: Vec<Option<usize>>,
}

impl Anchors {
    fn new(report: &Report, tunnels: &Tunnels<'_>) -> Anchors {
        let mut first_finding = vec![None; report.tunnels.len()];
        for (n, f) in report.findings.iter().enumerate() {
            if let Some(slot) = tunnels.index_of(f).and_then(|i| first_finding.get_mut(i)) {
                slot.get_or_insert(n);
            }
        }
        Anchors { first_finding }
    }
}

fn write_table(report: &Report, anchors: &Anchors, out: &mut dyn Write) -> io::Result<()> {
    if report.tunnels.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section id=\"tunnels\"><h2>Tunnels</h2><div class=\"scroll\"><table>"
    )?;
    writeln!(
        out,
        "<thead><tr><th>Status</th><th>Host</th><th>Tunnel</th><th class=\"wide\">Local</th>\
         <th class=\"wide\">Remote</th><th class=\"wide\">IKE</th><th class=\"wide\">Negotiated</th>\
         <th>Last negotiations</th><th>Findings</th></tr></thead><tbody>"
    )?;
    for (i, t) in report.tunnels.iter().enumerate() {
        let host = t.host.as_deref().unwrap_or(&t.origin);
        write!(
            out,
            "<tr class=\"tunnel\" id=\"t-{i}\"><td><span class=\"badge {status}\">{status}</span></td>\
             <td class=\"nowrap\">{}</td><td>{}</td><td class=\"nowrap wide\">{}</td>\
             <td class=\"nowrap wide\">{}</td><td class=\"wide\">{}</td><td class=\"wrap wide\">{}</td><td>",
            escape_html(host),
            escape_html(t.tunnel.as_deref().unwrap_or("")),
            escape_html(t.local.as_deref().unwrap_or("")),
            escape_html(t.remote.as_deref().unwrap_or("")),
            t.ike_version.unwrap_or(""),
            escape_html(&t.negotiated.join(", ")),
            status = t.status,
        )?;
        if !t.timeline.is_empty() {
            write!(out, "<ol class=\"timeline\">")?;
            for beat in &t.timeline {
                let at = beat.at.map(|a| a.to_string()).unwrap_or_default();
                let finding = beat.rule.map(|r| r.id).unwrap_or("");
                write!(
                    out,
                    "<li class=\"{}\" title=\"{} {} {}\"></li>",
                    outcome_class(beat.outcome),
                    escape_html(&at),
                    outcome_class(beat.outcome),
                    finding
                )?;
            }
            write!(out, "</ol>")?;
        }
        write!(out, "</td><td>")?;
        let ids: Vec<&str> = t.findings.iter().map(|r| r.id).collect();
        match anchors.first_finding.get(i).copied().flatten() {
            Some(n) if !is_healthy(t) => write!(out, "<a href=\"#f-{n}\">{}</a>", ids.join(" "))?,
            _ => write!(out, "{}", ids.join(" "))?,
        }
        writeln!(out, "</td></tr>")?;
    }
    writeln!(out, "</tbody></table></div></section>")
}

fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Up => "up",
        Outcome::Failed => "failed",
        Outcome::Undecided => "undecided",
    }
}

/// One host's tunnel (or its host-wide findings) and its findings in full.
struct Group<'r> {
    tunnel: Option<usize>,
    findings: Vec<(usize, &'r Finding)>,
}

fn write_failures(report: &Report, tunnels: &Tunnels<'_>, out: &mut dyn Write) -> io::Result<()> {
    // The groups in report order (worst first).
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut current: Option<Place<'_>> = None;
    for (n, f) in report.findings.iter().enumerate() {
        if !tunnels.in_full(f) {
            continue;
        }
        let place = place_of(f);
        if current != Some(place) {
            groups.push(Group {
                tunnel: tunnels.index_of(f),
                findings: Vec::new(),
            });
            current = Some(place);
        }
        if let Some(g) = groups.last_mut() {
            g.findings.push((n, f));
        }
    }
    if groups.is_empty() {
        return Ok(());
    }
    let ends = other_ends(report);
    let group_of_tunnel: std::collections::HashMap<usize, usize> = groups
        .iter()
        .enumerate()
        .filter_map(|(g, group)| Some((group.tunnel?, g)))
        .collect();
    writeln!(out, "<section id=\"failures\"><h2>What fails</h2>")?;
    let mut done: HashSet<usize> = HashSet::new();
    for (g, group) in groups.iter().enumerate() {
        if !done.insert(g) {
            continue;
        }
        let other = group.tunnel.and_then(|t| ends.get(t).copied().flatten());
        match other {
            Some(o) => {
                writeln!(out, "<div class=\"pair\">")?;
                write_group(report, group, out)?;
                match group_of_tunnel.get(&o) {
                    Some(&h) => {
                        done.insert(h);
                        write_group(report, &groups[h], out)?;
                    }
                    None => write_group(
                        report,
                        &Group {
                            tunnel: Some(o),
                            findings: Vec::new(),
                        },
                        out,
                    )?,
                }
                writeln!(out, "</div>")?;
            }
            None => write_group(report, group, out)?,
        }
    }
    writeln!(out, "</section>")
}

fn write_group(report: &Report, group: &Group<'_>, out: &mut dyn Write) -> io::Result<()> {
    let tunnel = group.tunnel.and_then(|i| report.tunnels.get(i));
    writeln!(out, "<article class=\"end\">")?;
    let first = group.findings.first().map(|(_, f)| *f);
    let host = tunnel
        .map(|t| t.host.as_deref().unwrap_or(&t.origin))
        .or_else(|| first.map(|f| f.host.as_deref().unwrap_or(&f.origin)))
        .unwrap_or("");
    let name = match (tunnel, first) {
        (Some(t), _) => t.tunnel.as_deref().map_or_else(
            || "host-wide".to_owned(),
            |n| format!("tunnel {}", escape_html(n)),
        ),
        (None, Some(f)) => f.tunnel.as_deref().map_or_else(
            || "host-wide".to_owned(),
            |n| format!("tunnel {}", escape_html(n)),
        ),
        (None, None) => String::new(),
    };
    write!(out, "<h3>host {} &middot; {name}", escape_html(host))?;
    if let Some(t) = tunnel {
        if let (Some(l), Some(r)) = (&t.local, &t.remote) {
            write!(
                out,
                " &middot; {} &harr; {}",
                escape_html(l),
                escape_html(r)
            )?;
        }
        write!(out, " <span class=\"badge {0}\">{0}</span>", t.status)?;
    }
    writeln!(out, "</h3>")?;
    let deciding: HashSet<(&str, u64)> = tunnel
        .map(|t| {
            t.timeline
                .iter()
                .map(|b| (&*b.path, b.line))
                .collect::<HashSet<_>>()
        })
        .unwrap_or_default();
    if let Some(t) = tunnel {
        if !t.timeline.is_empty() {
            writeln!(out, "<ol class=\"beats\">")?;
            for beat in &t.timeline {
                let at = beat.at.map(|a| a.to_string()).unwrap_or_default();
                write!(
                    out,
                    "<li>{} <span class=\"outcome {1}\">{1}</span>",
                    escape_html(&at),
                    outcome_class(beat.outcome)
                )?;
                if let Some(rule) = beat.rule {
                    write!(out, " <code>{}</code>", rule.id)?;
                }
                writeln!(
                    out,
                    " <span class=\"where\">{}:{}</span></li>",
                    escape_html(&beat.path),
                    beat.line
                )?;
            }
            writeln!(out, "</ol>")?;
        }
    }
    if group.findings.is_empty() {
        let ids: Vec<&str> = tunnel
            .map(|t| t.findings.iter().map(|r| r.id).collect())
            .unwrap_or_default();
        writeln!(
            out,
            "<p>Nothing fails on this end{}.</p>",
            if ids.is_empty() {
                String::new()
            } else {
                format!(" ({})", ids.join(", "))
            }
        )?;
    }
    for &(n, f) in &group.findings {
        write_finding(n, f, &deciding, out)?;
    }
    writeln!(out, "</article>")
}

fn write_finding(
    n: usize,
    f: &Finding,
    deciding: &HashSet<(&str, u64)>,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "<div class=\"finding\" id=\"f-{n}\"><h4><span class=\"badge {0}\">{0}</span> <code>{1}</code> {2}{3}</h4>",
        f.severity,
        f.id,
        escape_html(f.title),
        if f.occurrences > 1 {
            format!(" (seen {} times)", f.occurrences)
        } else {
            String::new()
        }
    )?;
    writeln!(out, "<p>{}</p>", escape_html(&f.summary))?;
    if !f.evidence.is_empty() {
        let marked: Vec<bool> = f
            .evidence
            .iter()
            .map(|e| deciding.contains(&(&*e.path, e.line)))
            .collect();
        let none_marked = !marked.iter().any(|m| *m);
        writeln!(out, "<ol class=\"evidence\">")?;
        for (i, e) in f.evidence.iter().enumerate() {
            let class = if marked[i] || (none_marked && i + 1 == f.evidence.len()) {
                " class=\"deciding\""
            } else {
                ""
            };
            writeln!(
                out,
                "<li{class}><span class=\"where\">{}:{}:</span> {}</li>",
                escape_html(&e.path),
                e.line,
                escape_html(e.text.trim_start())
            )?;
        }
        writeln!(out, "</ol>")?;
    }
    if !f.fix.is_empty() {
        writeln!(out, "<h5>Fix</h5><ul class=\"fix\">")?;
        for step in &f.fix {
            writeln!(out, "<li>{}</li>", escape_html(step))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</div>")
}

/// Text for HTML, as element content or a quoted attribute: control
/// characters shown escaped, as in the text report, then `&`, `<`, `>` and
/// both quotes as entities.
pub fn escape_html(text: &str) -> String {
    let text = escape_spaced(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_log_text_is_text() {
        assert_eq!(
            escape_html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(escape_html("a\u{1b}]0;t\u{7}"), "a\\x1b]0;t\\x07");
    }
}
