//! Renderers for ipsec-doctor reports.
//!
//! Renderers are sinks: each takes a finished [`Report`] and writes it.
//!
//! [`text()`] writes the human report: what fails first and in full,
//! grouped by host, then tunnel, worst first, with each finding's summary,
//! evidence lines as `path:line: text` and fix steps; then one line per
//! healthy tunnel and a summary ([`Detail`]: `--verbose` shows every finding
//! in full, `--quiet` only what fails). It always writes ANSI styles; the
//! caller decides whether a terminal sees them (the CLI wraps its output in
//! `anstream`, which strips them when the output is not a terminal or
//! `NO_COLOR` is set).
//! [`markdown()`] writes a report to paste into a forum thread, an issue or
//! a ticket, [`html()`] one self-contained page, and [`json`] the machine
//! contract. What the three human forms share (which tunnel is healthy,
//! the summary's counts, which tunnels are both ends of one) is in `view`.
//! [`redact()`] returns a copy of a report with addresses, identities, host
//! and tunnel names replaced by consistent placeholders and secrets removed,
//! for a report to share (`--redact`).
//!
//! Log text is untrusted: peer identities and proposal strings come from the
//! network. Everything taken from a log goes through [`escape()`] before it
//! reaches the text output, so no line can move the cursor, set a terminal
//! title or forge a line of the report. JSON escaping is serde_json's.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod escape;
mod html;
mod markdown;
mod redact;
mod text;
mod view;

pub use escape::escape;
pub use html::{escape_html, html, STYLE as HTML_STYLE};
pub use markdown::markdown;
pub use redact::redact;
pub use text::{text, Detail};

use ipsec_doctor_findings::Report;

/// Writes the report as one JSON object: `{"findings": [...], "tunnels": [...]}`.
pub fn json(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
    writeln!(out)
}
