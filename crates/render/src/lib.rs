//! Renderers for ipsec-doctor reports.
//!
//! [`text()`] writes the human report: grouped by host, then tunnel, worst
//! first, with each finding's summary, evidence lines as `path:line: text`
//! and fix steps. It always writes ANSI styles; the caller decides whether a
//! terminal sees them (the CLI wraps its output in `anstream`, which strips
//! them when the output is not a terminal or `NO_COLOR` is set).
//! [`json`] writes the machine contract.
//!
//! Log text is untrusted: peer identities and proposal strings come from the
//! network. Everything taken from a log goes through [`escape()`] before it
//! reaches the text output, so no line can move the cursor, set a terminal
//! title or forge a line of the report. JSON escaping is serde_json's.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod escape;
mod text;

pub use escape::escape;
pub use text::text;

use ipsec_doctor_findings::Report;

/// Writes the report as one JSON object: `{"findings": [...], "tunnels": [...]}`.
pub fn json(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
    writeln!(out)
}
