//! `ipsec-doctor history`'s text and JSON forms.

use std::io::{self, Write};

use ipsec_doctor_render::escape;

use crate::time::format_rfc3339;
use crate::{Event, EventKind};

/// Writes `history --format text`: one line per event (UTC RFC 3339 time,
/// host, tunnel or `-`, what happened); under a raised finding, its fix
/// steps (`    fix: ...`) and evidence lines (`    path:line: text`).
/// Every text taken from the database, which came from logs, goes through
/// [`ipsec_doctor_render::escape`], so no stored line can move the cursor or
/// forge a line of the output.
pub fn write_text(events: &[Event], out: &mut dyn Write) -> io::Result<()> {
    for e in events {
        let tunnel = e.tunnel.as_deref().map_or("-".into(), escape);
        write!(
            out,
            "{} {} {} ",
            format_rfc3339(e.at_ms),
            escape(&e.host),
            tunnel
        )?;
        match &e.kind {
            EventKind::State { from, to } => {
                writeln!(out, "state {} -> {}", escape(from), escape(to))?;
            }
            EventKind::Raised {
                id,
                severity,
                summary,
                fix,
                evidence,
            } => {
                writeln!(
                    out,
                    "raised {} ({}): {}",
                    escape(id),
                    escape(severity),
                    escape(summary)
                )?;
                for step in fix {
                    writeln!(out, "    fix: {}", escape(step))?;
                }
                for line in evidence {
                    writeln!(
                        out,
                        "    {}:{}: {}",
                        escape(&line.path),
                        line.line,
                        escape(&line.text)
                    )?;
                }
            }
            EventKind::Resolved { id, severity } => {
                writeln!(out, "resolved {} ({})", escape(id), escape(severity))?;
            }
        }
    }
    Ok(())
}

/// Writes `history --format json`: `{"events": [...]}`, pretty, each event
/// as [`Event`] serialises (`at_ms`, `host`, `tunnel`, `event` and the
/// kind's fields).
pub fn write_json(events: &[Event], out: &mut dyn Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        events: &'a [Event],
    }
    serde_json::to_writer_pretty(&mut *out, &Doc { events }).map_err(io::Error::other)?;
    writeln!(out)
}
