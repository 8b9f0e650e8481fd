//! Test support for ipsec-doctor.
//!
//! The lab records real charon file logs (`fixtures/lab/<scenario>/`). The
//! same daemon messages reach operators in many shapes, so [`render`] turns a
//! recorded file log into each [`LogFormat`] that `diagnose` reads, and
//! [`merge_by_time`] interleaves several hosts' lines the way a central
//! syslog server writes them. Only the framing changes; every daemon message
//! stays exactly as charon printed it.

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used)] // Test support: a broken fixture should fail loudly.

use std::fs;
use std::path::{Path, PathBuf};

use ipsec_doctor_logs::{frame, Timestamp};

/// The year given to file-log timestamps, which carry none.
const YEAR: i32 = 2026;

/// A shape in which operators hand over logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// charon's file log, as recorded.
    FileLog,
    /// BSD syslog with host and pid: `Nov 27 00:31:57 HOST charon[4242]: 13[IKE] <c|1> ...`.
    BsdSyslog,
    /// pfSense's older form as in the troubleshooting guide: `charon: 13[IKE] ...`, no time, no connection prefix.
    PfSenseOld,
    /// RFC 5424: `<30>1 2026-11-27T00:31:57Z HOST charon 4242 - - 13[IKE] ...`.
    Rfc5424,
    /// `journalctl -o short-iso`.
    JournalShortIso,
    /// `journalctl -o json` from charon-systemd, with its structured fields.
    JournalJson,
    /// charon-systemd's journal lines: `... charon-systemd[1158]: message` with no prefix at all.
    CharonSystemd,
    /// A pfSense GUI log view copied out: tab-separated, newest first.
    GuiExport,
}

impl LogFormat {
    /// Every format.
    pub const ALL: [LogFormat; 8] = [
        LogFormat::FileLog,
        LogFormat::BsdSyslog,
        LogFormat::PfSenseOld,
        LogFormat::Rfc5424,
        LogFormat::JournalShortIso,
        LogFormat::JournalJson,
        LogFormat::CharonSystemd,
        LogFormat::GuiExport,
    ];

    /// Whether lines of this format name their host.
    pub fn has_host(self) -> bool {
        matches!(
            self,
            LogFormat::BsdSyslog
                | LogFormat::Rfc5424
                | LogFormat::JournalShortIso
                | LogFormat::JournalJson
                | LogFormat::CharonSystemd
        )
    }
}

/// One line of a charon file log, taken apart.
struct FileLine<'a> {
    /// `pluto` for Libreswan's syslog lines (the lab records pluto's log as
    /// syslog), else `charon`.
    program: &'static str,
    timestamp: Option<Timestamp>,
    thread: Option<u16>,
    group: Option<String>,
    tag: Option<String>,
    tag_name: Option<String>,
    tag_id: Option<u32>,
    message: &'a str,
}

fn parse_file_line(line: &str) -> Option<FileLine<'_>> {
    let framed = frame(line)?;
    let tag = framed.ike_sa.as_ref().map(|t| match t.unique_id {
        Some(id) if !t.name.is_empty() => format!("<{}|{}>", t.name, id),
        Some(id) => format!("<{id}>"),
        None => String::new(),
    });
    // The message borrows from `line` in file-log framing.
    let message_start = line.len() - framed.message.len();
    let message = line.get(message_start..).unwrap_or("");
    let program = if framed.daemon == ipsec_doctor_logs::Daemon::Pluto {
        "pluto"
    } else {
        "charon"
    };
    Some(FileLine {
        program,
        timestamp: framed.timestamp,
        thread: framed.thread,
        group: framed.group.as_ref().map(|g| g.to_string()),
        tag,
        tag_name: framed
            .ike_sa
            .as_ref()
            .map(|t| t.name.to_string())
            .filter(|n| !n.is_empty()),
        tag_id: framed.ike_sa.as_ref().and_then(|t| t.unique_id),
        message,
    })
}

/// Renders a recorded charon file log in `format`, as host `host` with
/// process id `pid`. A recorded pluto log (syslog lines) is rendered with
/// the program `pluto` instead; charon-systemd's prefix-less journal lines
/// become plain syslog lines for it, as pluto has no such flavour.
pub fn render(file_log: &str, format: LogFormat, host: &str, pid: u32) -> String {
    let mut lines: Vec<String> = Vec::new();
    for raw in file_log.lines() {
        let Some(l) = parse_file_line(raw) else {
            continue;
        };
        let ts = l.timestamp.unwrap_or(Timestamp {
            year: None,
            month: 1,
            day: 1,
            second_of_day: 0,
        });
        let bsd = bsd_time(&ts);
        let iso = iso_time(&ts);
        let prefix = match (l.thread, &l.group) {
            (Some(t), Some(g)) => format!("{t:02}[{g}] "),
            _ => String::new(),
        };
        let tag = l.tag.as_ref().map(|t| format!("{t} ")).unwrap_or_default();
        let msg = l.message;
        let program = l.program;
        if program == "pluto" {
            lines.push(match format {
                LogFormat::FileLog => raw.to_owned(),
                LogFormat::BsdSyslog | LogFormat::CharonSystemd => {
                    format!("{bsd} {host} pluto[{pid}]: {msg}")
                }
                LogFormat::PfSenseOld => format!("pluto: {msg}"),
                LogFormat::Rfc5424 => format!("<30>1 {iso}Z {host} pluto {pid} - - {msg}"),
                LogFormat::JournalShortIso => format!("{iso}+0000 {host} pluto[{pid}]: {msg}"),
                LogFormat::JournalJson => serde_json::json!({
                    "__REALTIME_TIMESTAMP": (unix_seconds(&ts) * 1_000_000).to_string(),
                    "_HOSTNAME": host,
                    "SYSLOG_IDENTIFIER": "pluto",
                    "_PID": pid.to_string(),
                    "MESSAGE": msg,
                    "PRIORITY": "6",
                })
                .to_string(),
                LogFormat::GuiExport => format!("{bsd}\tpluto\t{pid}\t{msg}"),
            });
            continue;
        }
        let line = match format {
            LogFormat::FileLog => raw.to_owned(),
            LogFormat::BsdSyslog => format!("{bsd} {host} charon[{pid}]: {prefix}{tag}{msg}"),
            LogFormat::PfSenseOld => format!("charon: {prefix}{msg}"),
            LogFormat::Rfc5424 => {
                format!("<30>1 {iso}Z {host} charon {pid} - - {prefix}{tag}{msg}")
            }
            LogFormat::JournalShortIso => {
                format!("{iso}+0000 {host} charon[{pid}]: {prefix}{tag}{msg}")
            }
            LogFormat::JournalJson => {
                let mut object = serde_json::json!({
                    "__REALTIME_TIMESTAMP": (unix_seconds(&ts) * 1_000_000).to_string(),
                    "_HOSTNAME": host,
                    "SYSLOG_IDENTIFIER": "charon-systemd",
                    "_PID": pid.to_string(),
                    "MESSAGE": msg,
                    "PRIORITY": "6",
                });
                if let Some(t) = l.thread {
                    object["THREAD"] = t.to_string().into();
                }
                if let Some(g) = &l.group {
                    object["GROUP"] = g.clone().into();
                }
                if let Some(id) = l.tag_id {
                    object["IKE_SA_UNIQUE_ID"] = id.to_string().into();
                    if let Some(name) = &l.tag_name {
                        object["IKE_SA_NAME"] = name.clone().into();
                    }
                }
                object.to_string()
            }
            LogFormat::CharonSystemd => format!("{bsd} {host} charon-systemd[{pid}]: {msg}"),
            LogFormat::GuiExport => format!("{bsd}\tcharon\t{pid}\t{prefix}{tag}{msg}"),
        };
        lines.push(line);
    }
    if format == LogFormat::GuiExport {
        lines.reverse();
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// One central syslog file holding every scenario's two hosts, named
/// `<scenario>-left` and `<scenario>-right`, interleaved by time.
pub fn central_syslog(scenarios: &[Scenario]) -> String {
    let mut inputs = Vec::new();
    for s in scenarios {
        inputs.push(render(
            &s.left,
            LogFormat::BsdSyslog,
            &format!("{}-left", s.name),
            1001,
        ));
        inputs.push(render(
            &s.right,
            LogFormat::BsdSyslog,
            &format!("{}-right", s.name),
            1002,
        ));
    }
    merge_by_time(&inputs)
}

/// Interleaves several hosts' rendered lines by time, as a central syslog
/// server writes them; ties keep each input's order.
pub fn merge_by_time(inputs: &[String]) -> String {
    let mut keyed: Vec<(i64, usize, usize, &str)> = Vec::new();
    for (i, text) in inputs.iter().enumerate() {
        for (n, line) in text.lines().enumerate() {
            let key = frame(line)
                .and_then(|f| f.timestamp)
                .map_or(0, |t| t.sort_key());
            keyed.push((key, i, n, line));
        }
    }
    keyed.sort_by_key(|(key, i, n, _)| (*key, *n, *i));
    let mut out = String::new();
    for (_, _, _, line) in keyed {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn bsd_time(ts: &Timestamp) -> String {
    Timestamp { year: None, ..*ts }.to_string()
}

fn iso_time(ts: &Timestamp) -> String {
    Timestamp {
        year: Some(ts.year.unwrap_or(YEAR)),
        ..*ts
    }
    .to_string()
}

fn unix_seconds(ts: &Timestamp) -> i64 {
    Timestamp {
        year: Some(ts.year.unwrap_or(YEAR)),
        ..*ts
    }
    .sort_key()
}

/// One recorded lab scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The directory name, e.g. `ikev2-psk-mismatch`.
    pub name: String,
    /// The left host's log (charon's file log, or pluto's syslog lines).
    pub left: String,
    /// The right host's log.
    pub right: String,
    /// Expected ids for `left`, `right` and `both`.
    pub expected: Expected,
}

/// Expected finding ids per side; `None` means no finding at all.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// Diagnosing the left log alone.
    pub left: Vec<String>,
    /// Diagnosing the right log alone.
    pub right: Vec<String>,
    /// Diagnosing both logs together.
    pub both: Vec<String>,
}

/// The repository's `fixtures/lab` directory.
pub fn lab_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lab")
}

/// Every recorded scenario with an `expected` file between two strongSwan
/// daemons (both `left.swanctl.conf` and `right.swanctl.conf` recorded),
/// sorted by name: the ones whose configurations can be compared.
pub fn scenarios(dir: &Path) -> Vec<Scenario> {
    all_scenarios(dir)
        .into_iter()
        .filter(|s| {
            ["left.swanctl.conf", "right.swanctl.conf"]
                .iter()
                .all(|f| dir.join(&s.name).join(f).is_file())
        })
        .collect()
}

/// Every recorded scenario with an `expected` file, sorted by name,
/// including those with a Libreswan pluto host (`*-pluto-*`, whose logs are
/// pluto's syslog lines and whose configuration is `ipsec.conf`).
pub fn all_scenarios(dir: &Path) -> Vec<Scenario> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let Ok(expected) = fs::read_to_string(d.join("expected")) else {
            continue;
        };
        let read = |f: &str| fs::read_to_string(d.join(f)).unwrap_or_default();
        out.push(Scenario {
            name: d.file_name().unwrap().to_string_lossy().into_owned(),
            left: read("left.log"),
            right: read("right.log"),
            expected: parse_expected(&expected),
        });
    }
    out
}

/// Parses `left: a, b` / `right: none` / `both: c` lines; `#` starts a comment.
pub fn parse_expected(text: &str) -> Expected {
    let mut e = Expected::default();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((side, ids)) = line.split_once(':') else {
            continue;
        };
        let mut ids: Vec<String> = ids
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty() && s != "none")
            .collect();
        ids.sort();
        match side.trim() {
            "left" => e.left = ids,
            "right" => e.right = ids,
            "both" => e.both = ids,
            _ => {}
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "Nov 27 02:33:55 13[IKE] <gw-gw|1> IKE_SA gw-gw[1] established between 192.0.2.74[192.0.2.74]...192.0.2.90[192.0.2.90]";

    #[test]
    fn renders_each_format_and_keeps_the_message() {
        for format in LogFormat::ALL {
            let out = render(LINE, format, "gw-right", 4242);
            assert!(
                out.contains("established between 192.0.2.74[192.0.2.74]...192.0.2.90[192.0.2.90]"),
                "{format:?}: {out}"
            );
            let framed = frame(out.trim_end()).unwrap();
            assert!(
                framed.message.contains("IKE_SA gw-gw[1] established")
                    || format == LogFormat::JournalJson,
                "{format:?}"
            );
            if format.has_host() {
                assert_eq!(framed.host.as_deref(), Some("gw-right"), "{format:?}");
            }
        }
    }

    #[test]
    fn expected_file_parsing() {
        let e = parse_expected("left: b, a\nright: none\n# note: x\nboth: c # trailing");
        assert_eq!(e.left, ["a", "b"]);
        assert!(e.right.is_empty());
        assert_eq!(e.both, ["c"]);
    }
}
