//! The fuzz targets' bodies and the checks they share. `fuzz_targets/*.rs`
//! call one function each; `tests/fuzz_regressions.rs` replays the inputs in
//! `fuzz/regressions/TARGET/` through the same functions under `cargo test`.

#![allow(dead_code)]

use ipsec_doctor_events::{parse_charon, parse_kernel, parse_racoon, CharonEvent, Proposal};
use ipsec_doctor_findings::{Diagnoser, Limits, Report};
use ipsec_doctor_logs::{detect_order, Format};

/// Renders the report in every format, redacted and not, and checks that
/// no untrusted byte got through raw: the text output (at every detail)
/// holds no control character but the newlines and the SGR colour
/// sequences the renderer writes itself, Markdown and HTML none but
/// newlines, and the JSON output is one valid JSON document.
pub fn check_report(report: &Report) {
    check_rendered(report);
    check_rendered(&ipsec_doctor_render::redact(report));
}

fn check_rendered(report: &Report) {
    use ipsec_doctor_render::Detail;
    for detail in [Detail::Normal, Detail::Verbose, Detail::Quiet] {
        check_text(report, detail);
    }
    for render in [ipsec_doctor_render::markdown, ipsec_doctor_render::html] {
        let mut out = Vec::new();
        render(report, &mut out).expect("renders");
        assert_safe(&String::from_utf8(out).expect("UTF-8 output"));
    }
    let mut out = Vec::new();
    ipsec_doctor_render::html(report, &mut out).expect("html renders");
    let html = String::from_utf8(out).expect("UTF-8 output");
    // No markup of the input: the page's own script-free elements only.
    assert!(!html.contains("<script"), "a script element in the HTML");

    let mut json = Vec::new();
    ipsec_doctor_render::json(report, &mut json).expect("json renders");
    let value: serde_json::Value = serde_json::from_slice(&json).expect("valid JSON");
    assert!(value.get("findings").is_some());
}

fn check_text(report: &Report, detail: ipsec_doctor_render::Detail) {
    let mut text = Vec::new();
    ipsec_doctor_render::text(report, detail, &mut text).expect("text renders");
    let text = String::from_utf8(text).expect("text output is UTF-8");
    let mut rest = text.as_str();
    while let Some(esc) = rest.find('\u{1b}') {
        assert_safe(&rest[..esc]);
        let after = &rest[esc + 1..];
        let body = after.strip_prefix('[').expect("only CSI sequences");
        let end = body
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .expect("terminated CSI");
        assert_eq!(&body[end..end + 1], "m", "only SGR sequences: {text:?}");
        rest = &body[end + 1..];
    }
    assert_safe(rest);
}

fn assert_safe(text: &str) {
    for c in text.chars() {
        assert!(
            c == '\n' || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "raw control character {c:?} in text output"
        );
    }
}

/// Splits fuzz input into up to four files at NUL bytes: the first is the
/// main file, the others are what `include` statements can reach.
pub fn files(data: &[u8]) -> (String, std::collections::BTreeMap<String, String>) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\0');
    let main = parts.next().unwrap_or("").to_owned();
    let mut others = std::collections::BTreeMap::new();
    for (i, part) in parts.enumerate() {
        others.insert(format!("/etc/fuzz/inc{i}.conf"), part.to_owned());
    }
    // The main file can include itself.
    others.insert("/etc/fuzz/main.conf".to_owned(), main.clone());
    (main, others)
}

/// A parser's result: its diagnostics and error render, and a parsed
/// configuration goes through `check` and `compare`.
fn parsed(
    path: &str,
    text: &str,
    result: Result<ipsec_doctor_config::ConfigSet, ipsec_doctor_config::ConfigError>,
) {
    match result {
        Ok(set) => {
            for d in &set.diagnostics {
                let _ = d.to_string();
            }
            predict(path, text, &set);
        }
        Err(e) => {
            let _ = (e.to_string(), e.path(), e.line());
        }
    }
}

/// `check` on one configuration and `compare` of it with itself.
pub fn predict(path: &str, text: &str, config: &ipsec_doctor_config::ConfigSet) {
    let side = || ipsec_doctor_predict::Side { path, text, config };
    check_report(&ipsec_doctor_predict::check(side()));
    if let Ok(report) = ipsec_doctor_predict::compare(side(), side(), None, None) {
        check_report(&report);
    }
    if let Some(t) = config.tunnels.first() {
        let _ = ipsec_doctor_predict::compare(side(), side(), Some(&t.name), Some(&t.name));
    }
}

/// Line-format detection and framing (crates/logs): any line, any bytes.
pub fn frame(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut keys = Vec::new();
    for line in text.split('\n') {
        let Some(framed) = ipsec_doctor_logs::frame(line) else {
            assert!(line
                .trim_matches(|c: char| c.is_whitespace() || c == '\0' || c == '\u{feff}')
                .is_empty());
            continue;
        };
        if framed.format != Format::JournalJson {
            // Framing only takes prefixes off.
            assert!(framed.message.len() <= line.len());
        }
        // Another thread takes the framing up from its spans.
        if let Some(spans) = framed.spans(line) {
            let copy = line.to_owned();
            assert_eq!(spans.framed(&copy).as_ref(), Some(&framed));
        }
        if let Some(ts) = framed.timestamp {
            let _ = ts.to_string();
            keys.push(ts.sort_key());
        }
    }
    let _ = detect_order(keys);
}

/// strongSwan charon message parser (crates/events): messages typed from
/// whatever a peer and a log can hold, and proposals round-trip.
pub fn charon(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let message = ipsec_doctor_logs::frame(line)
            .map(|f| f.message.into_owned())
            .unwrap_or_default();
        for m in [line, message.as_str()] {
            if let CharonEvent::Proposals { proposals, .. } = parse_charon(m) {
                for p in proposals {
                    assert_eq!(Proposal::parse(&p.to_string()).as_ref(), Some(&p));
                }
            }
        }
    }
}

/// racoon and kernel crash-dump message parsers (crates/events).
pub fn racoon(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let parsed = parse_racoon(line);
        assert!(parsed.tags.len() <= 4);
        let _ = (
            parsed.peer(),
            parsed.description(),
            parsed.looks_like_racoon(),
        );
        let _ = parsed.event.is_problem();
        let _ = parse_kernel(line);
    }
}

/// The whole log pipeline: framing, parsing, routing with tight limits (so
/// every cap is reached), judging, pairing, and both renderers, whose output
/// must stay free of raw control characters and valid JSON.
pub fn diagnose(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut d = Diagnoser::with_limits(Limits {
        entries_per_negotiation: 8,
        open_negotiations_per_host: 3,
        quiet_after_lines: 16,
        quiet_after_input_lines: 32,
        evidence_per_finding: 4,
        max_evidence_len: 256,
    });
    // Two files, so findings of both ends get paired.
    for (n, line) in text.split('\n').enumerate() {
        let path = if n % 7 == 6 { "b.log" } else { "a.log" };
        d.push_line(path, n as u64 + 1, line);
    }
    let report = d.finish();
    check_report(&report);
}

/// The sieve (crates/findings/src/sieve.rs): where every line names its
/// program in a shape whose message is written as is (the sieve's
/// precondition), diagnosing only the lines it keeps, in buffers of any
/// size, gives the report of every line.
pub fn sieve(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let tagged = lines
        .iter()
        .all(|line| match ipsec_doctor_logs::frame(line) {
            None => true,
            Some(f) => {
                matches!(
                    f.format,
                    Format::BsdSyslog
                        | Format::Rfc5424
                        | Format::CharonFile
                        | Format::ProgramPrefix
                ) && f.daemon != ipsec_doctor_logs::Daemon::Unknown
            }
        });
    if !tagged {
        return;
    }
    let mut whole = Diagnoser::new();
    for (n, line) in lines.iter().enumerate() {
        whole.push_line("a.log", n as u64 + 1, line);
    }
    let whole = serde_json::to_string(&whole.finish()).expect("serialises");
    let bytes = text.as_bytes();
    // Buffers of whole lines, about as large as the input's first byte says.
    let size = usize::from(bytes.first().copied().unwrap_or(0)).max(1) * 16;
    let mut sieved = Diagnoser::new();
    let mut sieve = ipsec_doctor_findings::Sieve::new();
    let (mut start, mut first_line) = (0, 1u64);
    while start < bytes.len() {
        let mut end = (start + size).min(bytes.len());
        while end < bytes.len() && bytes[end - 1] != b'\n' {
            end += 1;
        }
        let chunk = &bytes[start..end];
        sieve.lines(chunk, |kept| {
            let line = std::str::from_utf8(&chunk[kept.range]).expect("whole lines of UTF-8");
            sieved.push_kept_line(
                "a.log",
                first_line + kept.index as u64,
                line.trim_end_matches('\r'),
                kept.literal,
            );
        });
        first_line += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        start = end;
    }
    let sieved = serde_json::to_string(&sieved.finish()).expect("serialises");
    assert_eq!(whole, sieved, "the sieve changed the report");
}

/// swanctl.conf parser with includes (which may include each other), then
/// `check` and `compare` on the result.
pub fn swanctl(data: &[u8]) {
    let (main, includes) = files(data);
    let _ = ipsec_doctor_config::detect_format(&main);
    let path = "/etc/fuzz/main.conf";
    parsed(
        path,
        &main,
        ipsec_doctor_config::swanctl::parse_swanctl(path, &main, &includes),
    );
}

/// ipsec.conf parser (with `also=`, `%default`, includes and an
/// ipsec.secrets), then `check` and `compare` on the result.
pub fn ipsec_conf(data: &[u8]) {
    let (main, includes) = files(data);
    let _ = ipsec_doctor_config::detect_format(&main);
    let path = "/etc/fuzz/main.conf";
    let secrets = includes.get("/etc/fuzz/inc0.conf").cloned();
    let result = ipsec_doctor_config::ipsec_conf::parse_ipsec_conf_with_secrets(
        path,
        &main,
        secrets.as_deref().map(|s| ("/etc/fuzz/ipsec.secrets", s)),
        &includes,
    );
    parsed(path, &main, result);
}

/// pfSense/OPNsense config.xml parser, then `check` and `compare`.
pub fn pfsense(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = ipsec_doctor_config::detect_format(&text);
    let path = "/conf/config.xml";
    parsed(
        path,
        &text,
        ipsec_doctor_config::pfsense::parse_config_xml(path, &text),
    );
}
