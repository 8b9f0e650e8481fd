//! The human report.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use ipsec_doctor_findings::catalog::rules;
use ipsec_doctor_findings::{Finding, Report, Severity, TunnelSummary};

use crate::escape::{escape, escape_spaced};
use crate::view::{host_of, is_healthy, Summary, Tunnels};

const WIDTH: usize = 100;

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Error => AnsiColor::Red.on_default().bold(),
        Severity::Warning => AnsiColor::Yellow.on_default().bold(),
        Severity::Info => AnsiColor::Green.on_default(),
    }
}

const HEADER: Style = Style::new().bold().underline();
const DIM: Style = Style::new().dimmed();

/// How much of the report the text shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Failing tunnels and host-wide findings in full, then one line per
    /// healthy tunnel, then the summary.
    #[default]
    Normal,
    /// Every finding in full, healthy tunnels included.
    Verbose,
    /// Failing tunnels and host-wide findings only, then the summary.
    Quiet,
}

/// Writes the report for people: grouped by host and tunnel, worst first;
/// how much of it by `detail`.
pub fn text(report: &Report, detail: Detail, out: &mut dyn Write) -> io::Result<()> {
    if report.findings.is_empty() {
        return nothing_found(report, out);
    }
    let tunnels = Tunnels::new(report);
    let in_full = |f: &Finding| match detail {
        Detail::Verbose => true,
        Detail::Normal => tunnels.in_full(f),
        // Only what fails: no information, even host-wide.
        Detail::Quiet => tunnels.in_full(f) && f.severity != Severity::Info,
    };
    let mut current_host: Option<(Option<&str>, &str)> = None;
    let mut current_tunnel: Option<Option<&str>> = None;
    let mut shown = 0usize;
    for finding in report.findings.iter().filter(|f| in_full(f)) {
        shown += 1;
        let host_key = host_of(finding.host.as_deref(), &finding.origin);
        if current_host != Some(host_key) {
            if current_host.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{HEADER}{}{HEADER:#}", host_label(finding))?;
            current_host = Some(host_key);
            current_tunnel = None;
        }
        if current_tunnel != Some(finding.tunnel.as_deref()) {
            writeln!(out, "  {}", tunnel_line(finding, tunnels.of(finding)))?;
            current_tunnel = Some(finding.tunnel.as_deref());
        }
        write_finding(finding, out)?;
    }
    if detail == Detail::Normal {
        let healthy: Vec<&TunnelSummary> = report
            .tunnels
            .iter()
            .filter(|t| is_healthy(t) || t.findings.is_empty())
            .collect();
        if !healthy.is_empty() {
            if shown > 0 {
                writeln!(out)?;
            }
            write_one_liners(&healthy, out)?;
        }
    }
    writeln!(out)?;
    write_summary(report, detail, out)
}

/// The report of an input without findings.
fn nothing_found(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.tunnels.is_empty() && report.reading.negotiations > 0 {
        writeln!(
            out,
            "No findings: {} negotiation(s) read, none of them failed.",
            report.reading.negotiations
        )
    } else if report.tunnels.is_empty() {
        let daemon_lines = report.reading.daemon_lines + report.reading.ignored_daemon_lines;
        if daemon_lines > 0 {
            writeln!(
                out,
                "No IPsec negotiation in the input: {daemon_lines} line(s) of an IKE daemon, none \
                 of them part of a negotiation (more on stderr)."
            )
        } else {
            writeln!(out, "No IPsec negotiations found in the input.")
        }
    } else if report.reading.negotiations == 0 {
        // A configuration checked (`ipsec-doctor check`): no negotiation
        // was read, its tunnels were.
        writeln!(
            out,
            "No findings: {} tunnel(s) configured, none with a fault this check looks for.",
            report.tunnels.len()
        )
    } else {
        let negotiations: u64 = report.tunnels.iter().map(|t| t.negotiations).sum();
        writeln!(
            out,
            "No findings: {} negotiation(s) in {} tunnel(s).",
            negotiations,
            report.tunnels.len()
        )
    }
}

fn host_label(finding: &Finding) -> String {
    match finding.host.as_deref() {
        Some(h) => format!("host {}", escape(h)),
        None => format!("file {}", escape(&finding.origin)),
    }
}

/// One line per tunnel, in columns: status, host, tunnel, addresses,
/// version, the algorithms negotiated.
fn write_one_liners(tunnels: &[&TunnelSummary], out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<[String; 5]> = tunnels
        .iter()
        .map(|t| {
            let host = t
                .host
                .as_deref()
                .map_or_else(|| escape(&t.origin), escape)
                .into_owned();
            let name = t
                .tunnel
                .as_deref()
                .map_or_else(String::new, |n| escape(n).into_owned());
            let addresses = match (&t.local, &t.remote) {
                (Some(l), Some(r)) => format!("{} <-> {}", escape(l), escape(r)),
                _ => String::new(),
            };
            let mut rest = t.ike_version.unwrap_or("").to_owned();
            if !t.negotiated.is_empty() {
                rest.push_str("  ");
                rest.push_str(&escape(&t.negotiated.join(", ")));
            }
            let also: Vec<&str> = t
                .findings
                .iter()
                .filter(|r| **r != rules::TUNNEL_ESTABLISHED)
                .map(|r| r.id)
                .collect();
            if !also.is_empty() {
                rest.push_str(&format!("  (also {})", also.join(", ")));
            }
            [t.status.to_string(), host, name, addresses, rest]
        })
        .collect();
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .max()
            .unwrap_or(0)
            .min(COLUMN)
    };
    let widths = [width(0), width(1), width(2), width(3)];
    for [status, host, name, addresses, rest] in &rows {
        let style = status_style(status);
        let line = format!(
            "  {style}{status:<w0$}{style:#}  {host:<w1$}  {name:<w2$}  {addresses:<w3$}  {rest}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Columns of the one-line form are as wide as their widest cell, up to this.
const COLUMN: usize = 32;

fn status_style(status: &str) -> Style {
    match status {
        "up" => AnsiColor::Green.on_default(),
        "down" => AnsiColor::Red.on_default().bold(),
        _ => AnsiColor::Yellow.on_default().bold(),
    }
}

/// The last line: hosts, tunnels by status, findings by severity.
fn write_summary(report: &Report, detail: Detail, out: &mut dyn Write) -> io::Result<()> {
    let summary = Summary::of(report);
    let mut line = summary.line();
    if detail == Detail::Verbose {
        line.push_str(&format!(", {} info", summary.infos));
    }
    line.push_str(". `ipsec-doctor explain ID` tells more about a finding");
    if detail != Detail::Verbose {
        line.push_str("; --verbose shows every finding in full");
    }
    writeln!(out, "{line}.")
}

fn tunnel_line(finding: &Finding, tunnel: Option<&TunnelSummary>) -> String {
    let name = finding
        .tunnel
        .as_deref()
        .map(|t| format!("tunnel {}", escape(t)))
        .unwrap_or_else(|| "host-wide".to_owned());
    let mut line = format!("{HEADER}{name}{HEADER:#}");
    if let Some(t) = tunnel {
        if let (Some(l), Some(r)) = (&t.local, &t.remote) {
            line.push_str(&format!("  {} <-> {}", escape(l), escape(r)));
        }
        if let Some(v) = t.ike_version {
            line.push_str(&format!("  {v}"));
        }
        line.push_str(&format!("  {}", t.status));
    }
    line
}

fn write_finding(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    let style = severity_style(f.severity);
    let times = if f.occurrences > 1 {
        format!(" {DIM}(seen {} times){DIM:#}", f.occurrences)
    } else {
        String::new()
    };
    writeln!(
        out,
        "    {style}{}[{}]{style:#} {}{times}",
        f.severity, f.id, f.title
    )?;
    for line in wrap(&escape_spaced(&f.summary), WIDTH - 6) {
        writeln!(out, "      {line}")?;
    }
    writeln!(out, "      {DIM}evidence:{DIM:#}")?;
    for e in &f.evidence {
        writeln!(
            out,
            "        {DIM}{}:{}:{DIM:#} {}",
            escape(&e.path),
            e.line,
            escape_spaced(e.text.trim_start())
        )?;
    }
    writeln!(out, "      {DIM}fix:{DIM:#}")?;
    for step in &f.fix {
        let mut lines = wrap(&escape(step), WIDTH - 10).into_iter();
        if let Some(first) = lines.next() {
            writeln!(out, "        - {first}")?;
        }
        for rest in lines {
            writeln!(out, "          {rest}")?;
        }
    }
    Ok(())
}

/// Greedy word wrap; words longer than the width stay whole.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
