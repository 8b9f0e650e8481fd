//! `/`: the status page, one HTML page of every tunnel that reloads itself.
//!
//! Like the HTML report it has no script and loads nothing; the server
//! sends it with `Content-Security-Policy: default-src 'none'; style-src
//! 'unsafe-inline'` (see [`CSP`]), and every text from the logs goes
//! through [`escape_html`]. It reloads by `<meta http-equiv="refresh">`,
//! which needs no script. Tunnels that fail come first; on a phone the
//! wide columns drop.

use std::fmt::Write;

use ipsec_doctor_findings::Severity;
use ipsec_doctor_render::{escape_html, HTML_STYLE};

use crate::state::{Live, TunnelLive, TunnelState};
use crate::time::rfc3339;

/// The Content-Security-Policy the page is served with.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; frame-ancestors 'none'";

/// How often the page reloads itself, in seconds.
pub const REFRESH_SECONDS: u32 = 5;

fn rank(state: TunnelState) -> u8 {
    match state {
        TunnelState::Down => 0,
        TunnelState::Flapping => 1,
        TunnelState::Unknown => 2,
        TunnelState::Connecting => 3,
        TunnelState::Up => 4,
    }
}

fn class(state: TunnelState) -> &'static str {
    match state {
        TunnelState::Up => "up",
        TunnelState::Down => "down",
        TunnelState::Flapping => "flapping",
        TunnelState::Connecting | TunnelState::Unknown => "unknown",
    }
}

/// The page at `now_ms`.
pub fn page(live: &Live, now_ms: i64) -> String {
    let mut tunnels: Vec<&TunnelLive> = live.tunnels().collect();
    tunnels.sort_by(|a, b| {
        (rank(a.state), &a.host, &a.tunnel).cmp(&(rank(b.state), &b.host, &b.tunnel))
    });
    let count = |s: TunnelState| tunnels.iter().filter(|t| t.state == s).count();
    let standing: Vec<_> = live.active().collect();
    // Each tunnel's worst standing finding, found once.
    let mut worst_of: std::collections::HashMap<
        (&str, &str),
        (&crate::FindingKey, &crate::ActiveFinding),
    > = std::collections::HashMap::new();
    for &(key, active) in &standing {
        if let Some(tunnel) = key.1.as_deref() {
            let slot = worst_of
                .entry((key.0.as_str(), tunnel))
                .or_insert((key, active));
            if active.finding.severity < slot.1.finding.severity {
                *slot = (key, active);
            }
        }
    }
    let mut out = String::with_capacity(4096 + tunnels.len() * 400);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">\n\
         <title>ipsec-doctor watch</title>\n<style>{HTML_STYLE}</style>\n</head>\n<body>\n\
         <h1>ipsec-doctor watch</h1>\n",
        escape_html(CSP)
    );
    let _ = writeln!(
        out,
        "<p class=\"summary\" id=\"summary\">{} tunnel(s): {} up, {} down, {} flapping, {} connecting, {} unknown; {} finding(s) standing. <span class=\"where\">As of {}.</span></p>",
        tunnels.len(),
        count(TunnelState::Up),
        count(TunnelState::Down),
        count(TunnelState::Flapping),
        count(TunnelState::Connecting),
        count(TunnelState::Unknown),
        standing.len(),
        rfc3339(now_ms)
    );
    if tunnels.is_empty() {
        out.push_str("<p>No tunnel seen yet: waiting for IKE daemon lines.</p>\n");
    } else {
        out.push_str(
            "<div class=\"scroll\"><table id=\"tunnels\">\n<thead><tr><th>State</th><th>Host</th><th>Tunnel</th>\
             <th class=\"wide\">Local</th><th class=\"wide\">Remote</th><th class=\"wide\">Since</th><th>Finding</th></tr></thead>\n<tbody>\n",
        );
        for t in &tunnels {
            let (local, remote) = t.addresses();
            let worst = worst_of.get(&(t.host.as_str(), t.tunnel.as_str()));
            let _ = writeln!(
                out,
                "<tr class=\"tunnel\" data-state=\"{state}\"><td class=\"nowrap\"><span class=\"badge {class}\">{state}</span></td>\
                 <td class=\"wrap\">{host}</td><td class=\"wrap\">{tunnel}</td><td class=\"wide\">{local}</td><td class=\"wide\">{remote}</td>\
                 <td class=\"wide nowrap\">{since}</td><td class=\"wrap\">{finding}</td></tr>",
                state = t.state.as_str(),
                class = class(t.state),
                host = escape_html(&t.host),
                tunnel = escape_html(&t.tunnel),
                local = escape_html(local.unwrap_or("")),
                remote = escape_html(remote.unwrap_or("")),
                since = rfc3339(t.since_ms),
                finding = worst.map_or_else(String::new, |(_, a)| format!(
                    "<a href=\"#{}\">{}</a>",
                    anchor(a.finding.id, &t.host, &t.tunnel),
                    escape_html(a.finding.title)
                )),
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    if !standing.is_empty() {
        out.push_str("<h2>Standing findings</h2>\n");
    }
    let mut standing = standing;
    standing.sort_by_key(|(k, a)| (a.finding.severity, (*k).clone()));
    for (key, a) in standing {
        let f = &a.finding;
        let tunnel = key.1.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "<div class=\"end finding-card\" id=\"{}\"><h3><span class=\"badge {}\">{}</span> {} <code>{}</code></h3>\
             <p class=\"where\">{}{}{} · since {}</p><p>{}</p>",
            anchor(f.id, &key.0, tunnel),
            match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            },
            f.severity,
            escape_html(f.title),
            f.id,
            escape_html(&key.0),
            if tunnel.is_empty() { "" } else { " · " },
            escape_html(tunnel),
            rfc3339(a.since_ms),
            escape_html(&f.summary)
        );
        if !f.fix.is_empty() {
            out.push_str("<h4>Fix</h4><ol class=\"fix\">");
            for step in &f.fix {
                let _ = write!(out, "<li>{}</li>", escape_html(step));
            }
            out.push_str("</ol>\n");
        }
        if !f.evidence.is_empty() {
            out.push_str("<h4>Evidence</h4><ol class=\"evidence\">");
            let last = f.evidence.len() - 1;
            for (i, e) in f.evidence.iter().enumerate() {
                let _ = write!(
                    out,
                    "<li{}><span class=\"where\">{}:{}:</span> {}</li>",
                    if i == last { " class=\"deciding\"" } else { "" },
                    escape_html(&e.path),
                    e.line,
                    escape_html(&e.text)
                );
            }
            out.push_str("</ol>\n");
        }
        out.push_str("</div>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A fragment id from a finding's key: only `[a-z0-9-]`, so no text of the
/// log lands in it unescaped.
fn anchor(id: &str, host: &str, tunnel: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in host.bytes().chain([0]).chain(tunnel.bytes()) {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("f-{id}-{hash:016x}")
}
