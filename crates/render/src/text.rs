//! The human report.

use std::collections::HashMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use ipsec_doctor_findings::{Finding, Report, Severity, TunnelSummary};

use crate::escape::{escape, escape_spaced};

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

/// Writes the report for people: grouped by host and tunnel, worst first.
pub fn text(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.findings.is_empty() {
        if report.tunnels.is_empty() && report.reading.negotiations > 0 {
            writeln!(
                out,
                "No findings: {} negotiation(s) read, none of them failed.",
                report.reading.negotiations
            )?;
        } else if report.tunnels.is_empty() {
            let daemon_lines = report.reading.daemon_lines + report.reading.ignored_daemon_lines;
            if daemon_lines > 0 {
                writeln!(
                    out,
                    "No IPsec negotiation in the input: {daemon_lines} line(s) of an IKE daemon, none \
                     of them part of a negotiation (more on stderr)."
                )?;
            } else {
                writeln!(out, "No IPsec negotiations found in the input.")?;
            }
        } else if report.reading.negotiations == 0 {
            // A configuration checked (`ipsec-doctor check`): no negotiation
            // was read, its tunnels were.
            writeln!(
                out,
                "No findings: {} tunnel(s) configured, none with a fault this check looks for.",
                report.tunnels.len()
            )?;
        } else {
            let negotiations: u64 = report.tunnels.iter().map(|t| t.negotiations).sum();
            writeln!(
                out,
                "No findings: {} negotiation(s) in {} tunnel(s).",
                negotiations,
                report.tunnels.len()
            )?;
        }
        return Ok(());
    }
    // Each finding's tunnel from an index built once: a scan of every
    // tunnel per finding is quadratic in a central syslog of thousands.
    let mut tunnels: HashMap<TunnelKey<'_>, &TunnelSummary> = HashMap::new();
    for t in &report.tunnels {
        tunnels
            .entry((t.host.as_deref(), &*t.origin, t.tunnel.as_deref()))
            .or_insert(t);
    }
    let mut current_host: Option<(Option<&str>, &str)> = None;
    let mut current_tunnel: Option<Option<&str>> = None;
    for finding in &report.findings {
        let host = (finding.host.as_deref(), &*finding.origin);
        let host_key = (host.0, if host.0.is_some() { "" } else { host.1 });
        if current_host != Some(host_key) {
            if current_host.is_some() {
                writeln!(out)?;
            }
            let label = match finding.host.as_deref() {
                Some(h) => format!("host {}", escape(h)),
                None => format!("file {}", escape(&finding.origin)),
            };
            writeln!(out, "{HEADER}{label}{HEADER:#}")?;
            current_host = Some(host_key);
            current_tunnel = None;
        }
        if current_tunnel != Some(finding.tunnel.as_deref()) {
            let key = (
                finding.host.as_deref(),
                &*finding.origin,
                finding.tunnel.as_deref(),
            );
            let tunnel = tunnels.get(&key).copied();
            writeln!(out, "  {}", tunnel_line(finding, tunnel))?;
            current_tunnel = Some(finding.tunnel.as_deref());
        }
        write_finding(finding, out)?;
    }
    writeln!(out)?;
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    writeln!(
        out,
        "{} error(s), {} warning(s), {} info in {} tunnel(s). `ipsec-doctor explain ID` tells more about a finding.",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
        report.tunnels.len()
    )
}

/// A tunnel by host name, file and tunnel name.
type TunnelKey<'a> = (Option<&'a str>, &'a str, Option<&'a str>);

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
