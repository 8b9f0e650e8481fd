//! Framing by shape: every line of every recorded lab log (charon's and
//! pluto's), wrapped in prefixes that no format table knows (each timestamp
//! shape, facility and level columns, program tags with and without pids,
//! logcat columns, quote marks, line numbers, bold marks, indentation), must
//! give the same report as the bare line: the same findings for the same
//! hosts and tunnels, with the same summaries and the same evidence lines.
//! The wrappers are generated here, from each line's own time, so the lines
//! keep their order and their clock.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use ipsec_doctor_findings::{Diagnoser, Report};
use ipsec_doctor_logs::{frame, Daemon};
use ipsec_doctor_testkit::{all_scenarios, lab_dir};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// The lab's year for logs whose stamps have none.
const YEAR: i64 = 2026;

/// A wrapper: from the line's time (month, day, h, m, s), its program
/// (`charon`, `pluto`) and its daemon message, the wrapped line.
type Wrap = fn(&Time, &str, &str) -> String;

struct Time {
    month: u8,
    day: u8,
    clock: String,
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

impl Time {
    fn weekday(&self) -> &'static str {
        let days = days_from_civil(YEAR, i64::from(self.month), i64::from(self.day));
        WEEKDAYS[days.rem_euclid(7) as usize]
    }
    fn mon(&self) -> &'static str {
        MONTHS[usize::from(self.month - 1)]
    }
    /// Seconds since the epoch (UTC) in the lab's year.
    fn epoch(&self) -> i64 {
        let days = days_from_civil(YEAR, i64::from(self.month), i64::from(self.day));
        let mut parts = self.clock.split(':').map(|p| p.parse::<i64>().unwrap());
        let (h, m, s) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        days * 86_400 + h * 3600 + m * 60 + s
    }
}

const WRAPPERS: &[(&str, Wrap)] = &[
    ("openwrt logread", |t, p, m| {
        format!(
            "{} {} {:>2} {} {YEAR} daemon.info {p}: {m}",
            t.weekday(),
            t.mon(),
            t.day,
            t.clock
        )
    }),
    ("openwrt logread, empty tag", |t, _, m| {
        format!(
            "{} {} {:>2} {} {YEAR} authpriv.info : {m}",
            t.weekday(),
            t.mon(),
            t.day,
            t.clock
        )
    }),
    ("logcat threadtime", |t, p, m| {
        format!(
            "{:02}-{:02} {}.123  4242  4243 I {p}  : {m}",
            t.month, t.day, t.clock
        )
    }),
    ("rfc 2822 date", |t, p, m| {
        format!(
            "{}, {:02} {} {YEAR} {} +0000 gw1 {p}[4242]: {m}",
            t.weekday(),
            t.day,
            t.mon(),
            t.clock
        )
    }),
    ("gui row, tabs turned to spaces", |t, p, m| {
        format!("{} {:>2} {} {p} 4242 {m}", t.mon(), t.day, t.clock)
    }),
    ("gui row with | columns", |t, p, m| {
        format!(
            "{YEAR}-{:02}-{:02}T{} | Informational | {p} | {m}",
            t.month, t.day, t.clock
        )
    }),
    ("quoted syslog", |t, p, m| {
        format!("> {} {:>2} {} gw1 {p}[4242]: {m}", t.mon(), t.day, t.clock)
    }),
    ("numbered, bold syslog", |t, p, m| {
        format!("17: **{} {:>2} {} gw1 {p}: {m}", t.mon(), t.day, t.clock)
    }),
    ("journalctl short-precise", |t, p, m| {
        format!(
            "{} {:>2} {}.123456 gw1 {p}[4242]: {m}",
            t.mon(),
            t.day,
            t.clock
        )
    }),
    ("journalctl short-unix", |t, p, m| {
        format!("{}.123456 gw1 {p}[4242]: {m}", t.epoch())
    }),
    ("indented slashed date", |t, p, m| {
        format!(
            "    {YEAR}/{:02}/{:02} {} gw1 {p}[7]: {m}",
            t.month, t.day, t.clock
        )
    }),
];

/// The daemon message of a recorded line as the daemon writes it after its
/// program tag, with the line's time.
fn parts(line: &str) -> Option<(Time, &'static str, String)> {
    let framed = frame(line)?;
    let ts = framed.timestamp?;
    let clock = format!(
        "{:02}:{:02}:{:02}",
        ts.second_of_day / 3600,
        ts.second_of_day / 60 % 60,
        ts.second_of_day % 60
    );
    let time = Time {
        month: ts.month,
        day: ts.day,
        clock,
    };
    match framed.daemon {
        Daemon::Charon => {
            let thread = framed.thread.map(|t| format!("{t:02}")).unwrap_or_default();
            let group = framed.group.as_deref().unwrap_or("IKE");
            let tag = match &framed.ike_sa {
                Some(tag) => match tag.unique_id {
                    Some(id) if tag.name.is_empty() => format!("<{id}> "),
                    Some(id) => format!("<{}|{id}> ", tag.name),
                    None => String::new(),
                },
                None => String::new(),
            };
            Some((
                time,
                "charon",
                format!("{thread}[{group}] {tag}{}", framed.message),
            ))
        }
        Daemon::Pluto => Some((time, "pluto", framed.message.into_owned())),
        _ => None,
    }
}

/// The recorded log in the one host-less syslog shape the fast path knows,
/// and the same log in `wrap`; lines the test cannot take apart (none, in
/// the lab's logs) are left as they are in both.
fn rewrite(log: &str, wrap: Option<Wrap>) -> String {
    let mut out = String::new();
    for line in log.lines() {
        match parts(line) {
            Some((t, program, message)) => {
                let text = match wrap {
                    Some(w) => w(&t, program, &message),
                    None => format!(
                        "{} {:>2} {} gw1 {program}[4242]: {message}",
                        t.mon(),
                        t.day,
                        t.clock
                    ),
                };
                out.push_str(&text);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn diagnose(name: &str, text: &str) -> Report {
    let mut d = Diagnoser::new();
    for (i, line) in text.lines().enumerate() {
        d.push_line(name, i as u64 + 1, line);
    }
    d.finish()
}

/// What must not change: per finding its id, severity, tunnel, summary
/// and the line numbers of its evidence. (The host is the file when the
/// wrapper carries none; the evidence text is the wrapped line.)
fn essence(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| {
            let lines: Vec<u64> = f.evidence.iter().map(|e| e.line).collect();
            format!(
                "{} {} {:?} x{} {:?}: {}",
                f.id, f.severity, f.tunnel, f.occurrences, lines, f.summary
            )
        })
        .collect()
}

#[test]
fn every_lab_line_in_every_wrapper_gives_the_report_of_the_bare_line() {
    let scenarios = all_scenarios(&lab_dir());
    assert!(scenarios.len() >= 30);
    let mut failures = Vec::new();
    let mut lines = 0;
    for s in &scenarios {
        for (side, log) in [("left", &s.left), ("right", &s.right)] {
            let plain = essence(&diagnose("log", &rewrite(log, None)));
            for (name, wrap) in WRAPPERS {
                let wrapped = rewrite(log, Some(*wrap));
                lines += wrapped.lines().count();
                let report = diagnose("log", &wrapped);
                // The host, where the wrapper writes one, is read from it;
                // a column or a facility never is.
                let host = wrapped.contains(" gw1 ").then_some("gw1");
                for f in &report.findings {
                    if f.host.as_deref() != host {
                        failures.push(format!(
                            "{} {side} in {name}: host {:?}, expected {host:?}",
                            s.name, f.host
                        ));
                    }
                }
                let got = essence(&report);
                if got != plain {
                    failures.push(format!(
                        "{} {side} in {name}:\n  plain:   {plain:?}\n  wrapped: {got:?}",
                        s.name
                    ));
                }
            }
        }
    }
    println!("{lines} wrapped lines checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
