//! `history --format text` and `--format json`, and `--since` / `--retain`.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use ipsec_doctor_history::{
    parse_duration, parse_since, write_json, write_text, Event, EventKind, EvidenceLine,
};

/// 2026-12-01T10:00:00Z.
const T: i64 = 1_796_119_200_000;

fn events() -> Vec<Event> {
    vec![
        Event {
            at_ms: T,
            host: "gw-a".into(),
            tunnel: Some("site-b".into()),
            kind: EventKind::State {
                from: "connecting".into(),
                to: "up".into(),
            },
        },
        Event {
            at_ms: T + 1_500,
            host: "gw-a".into(),
            tunnel: None,
            kind: EventKind::Raised {
                id: "no-proposal-chosen".into(),
                severity: "error".into(),
                summary: "no shared IKE proposal".into(),
                fix: vec!["add aes256-sha256-modp2048".into()],
                evidence: vec![EvidenceLine {
                    path: "/var/log/charon.log".into(),
                    line: 7,
                    text: "peer id \x1b[31mred\x1b[0m\rforged line\nsecond".into(),
                }],
            },
        },
        Event {
            at_ms: T + 60_000,
            host: "gw-\x1b]0;title\x07a".into(),
            tunnel: Some("site-b".into()),
            kind: EventKind::Resolved {
                id: "no-proposal-chosen".into(),
                severity: "error".into(),
            },
        },
    ]
}

#[test]
fn text_is_one_line_per_event_with_details_indented_and_escaped() {
    let mut out = Vec::new();
    write_text(&events(), &mut out).unwrap();
    assert!(!out.contains(&0x1b), "raw ESC in output");
    assert!(!out.contains(&b'\r'), "raw CR in output");
    assert!(!out.contains(&0x07), "raw BEL in output");
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "2026-12-01T10:00:00Z gw-a site-b state connecting -> up\n\
         2026-12-01T10:00:01.500Z gw-a - raised no-proposal-chosen (error): no shared IKE proposal\n\
         \x20   fix: add aes256-sha256-modp2048\n\
         \x20   /var/log/charon.log:7: peer id \\x1b[31mred\\x1b[0m\\rforged line\\nsecond\n\
         2026-12-01T10:01:00Z gw-\\x1b]0;title\\x07a site-b resolved no-proposal-chosen (error)\n"
    );
}

#[test]
fn json_is_an_events_object() {
    let mut out = Vec::new();
    write_json(&events(), &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let e = &v["events"];
    assert_eq!(e.as_array().unwrap().len(), 3);
    assert_eq!(e[0]["event"], "state");
    assert_eq!(e[0]["at_ms"], T);
    assert_eq!(e[0]["tunnel"], "site-b");
    assert_eq!(e[0]["to"], "up");
    assert_eq!(e[1]["event"], "raised");
    assert_eq!(e[1]["tunnel"], serde_json::Value::Null);
    assert_eq!(e[1]["evidence"][0]["line"], 7);
    assert_eq!(e[1]["fix"][0], "add aes256-sha256-modp2048");
    assert_eq!(e[2]["event"], "resolved");
    assert_eq!(e[2]["id"], "no-proposal-chosen");
    assert!(out.ends_with(b"}\n"));
    let mut empty = Vec::new();
    write_json(&[], &mut empty).unwrap();
    assert_eq!(
        String::from_utf8(empty).unwrap(),
        "{\n  \"events\": []\n}\n"
    );
}

#[test]
fn durations() {
    let secs = |t: &str| parse_duration(t).unwrap().as_secs();
    assert_eq!(secs("45s"), 45);
    assert_eq!(secs("30m"), 1_800);
    assert_eq!(secs("2h"), 7_200);
    assert_eq!(secs("90d"), 7_776_000);
    assert_eq!(secs("1w"), 604_800);
    assert_eq!(secs("1h30m"), 5_400);
    assert_eq!(secs(" 0s "), 0);
    assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
    for bad in [
        "",
        "90",
        "d",
        "2x",
        "1.5h",
        "-1h",
        "2 h",
        "h2",
        "99999999999999999999s",
        "9999999999999999w",
    ] {
        let err = parse_duration(bad).unwrap_err();
        assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
    }
    assert!(parse_duration("90").unwrap_err().contains("no unit"));
}

#[test]
fn since() {
    let now = T + 7_200_000;
    assert_eq!(parse_since("2h", now), Ok(T));
    assert_eq!(parse_since("90d", now), Ok(now - 90 * 86_400_000));
    assert_eq!(parse_since("1w", now), Ok(now - 7 * 86_400_000));
    assert_eq!(parse_since("2026-12-01", 0), Ok(T - 10 * 3_600_000));
    assert_eq!(parse_since("2026-12-01T10:00:00Z", 0), Ok(T));
    assert_eq!(parse_since("2026-12-01t10:00:00z", 0), Ok(T));
    assert_eq!(parse_since("2026-12-01 10:00:00Z", 0), Ok(T));
    assert_eq!(parse_since("2026-12-01T10:00:00.25Z", 0), Ok(T + 250));
    assert_eq!(parse_since("2026-12-01T12:00:00+02:00", 0), Ok(T));
    assert_eq!(parse_since("2026-12-01T05:30:00-04:30", 0), Ok(T));
    assert_eq!(parse_since("1970-01-01", 0), Ok(0));
    assert_eq!(parse_since("2024-02-29", 0), Ok(1_709_164_800_000));
    assert_eq!(parse_since("9999w", 0).map(|ms| ms < 0), Ok(true));
    for bad in [
        "",
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "2025-02-29",
        "2026-12-01T10:00:00",
        "2026-12-01T24:00:00Z",
        "2026-12-01T10:00Z",
        "2026-12-01T10:00:00+2:00",
        "26-12-01",
        "2026-12-01T10:00:00.Z",
        "２０２６-12-01",
        "5",
        "2h ago",
    ] {
        let err = parse_since(bad, T).unwrap_err();
        assert!(
            err.contains(&format!("{bad:?}")) && err.contains("2026-12-01"),
            "{bad}: {err}"
        );
    }
}
