//! The reports people read and share, end to end through the binary: text
//! (default, `--verbose`, `--quiet`), Markdown and HTML, as snapshots, for
//! the bundled example, a central syslog of many healthy tunnels and two
//! failing ones, and both ends of a failing tunnel given as two files.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use ipsec_doctor_testkit::{lab_dir, merge_by_time, render, LogFormat};

const EXAMPLE: &str = "examples/pfsense-central-syslog.log";
const PSK_LEFT: &str = "fixtures/lab/ikev2-psk-mismatch/left.log";
const PSK_RIGHT: &str = "fixtures/lab/ikev2-psk-mismatch/right.log";

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

/// A central syslog of 30 sites, each a pair of firewalls with a healthy
/// tunnel (the lab's IKEv1 and IKEv2 recordings, by turns), and two pairs
/// whose tunnels fail (a PSK and a traffic selector mismatch). Every pair
/// gets its own host names and addresses, as a real MSP's log has them.
fn many_healthy_tunnels() -> String {
    let lab = lab_dir();
    let read = |scenario: &str, side: &str| {
        std::fs::read_to_string(lab.join(scenario).join(format!("{side}.log"))).unwrap()
    };
    let mut inputs = Vec::new();
    let mut site = |n: usize, scenario: &str| {
        // The lab's two ends, 192.0.2.74 and 192.0.2.90.
        let readdress = |text: String| {
            text.replace("192.0.2.74", &format!("198.18.{n}.1"))
                .replace("192.0.2.90", &format!("198.19.{n}.1"))
        };
        for (side, host, pid) in [("left", "a", 1001), ("right", "b", 1002)] {
            let log = render(
                &read(scenario, side),
                LogFormat::BsdSyslog,
                &format!("site{n:02}-{host}"),
                pid,
            );
            inputs.push(readdress(log));
        }
    };
    for n in 1..=30 {
        site(
            n,
            if n % 2 == 0 {
                "ikev2-healthy"
            } else {
                "ikev1-healthy"
            },
        );
    }
    site(31, "ikev2-psk-mismatch");
    site(32, "ikev2-p2-ts-mismatch");
    merge_by_time(&inputs)
}

#[test]
fn bundled_example_text_lists_failures_in_full_and_healthy_tunnels_on_one_line() {
    let o = run(&["diagnose", EXAMPLE], None);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("example_text", stdout(&o));
}

#[test]
fn bundled_example_verbose_text_shows_every_finding_in_full() {
    let o = run(&["diagnose", "--verbose", EXAMPLE], None);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("info[tunnel-established]"));
    insta::assert_snapshot!("example_text_verbose", text);
}

#[test]
fn bundled_example_quiet_text_shows_only_what_fails() {
    let o = run(&["diagnose", "--quiet", EXAMPLE], None);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(!text.contains("tunnel-established"));
    assert!(!text.contains("\n  up "));
    insta::assert_snapshot!("example_text_quiet", text);
}

#[test]
fn bundled_example_markdown() {
    let o = run(&["diagnose", "--format", "markdown", EXAMPLE], None);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("example_markdown", stdout(&o));
}

#[test]
fn bundled_example_html() {
    let o = run(&["diagnose", "--format", "html", EXAMPLE], None);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("example_html", stdout(&o));
}

#[test]
fn many_healthy_tunnels_take_one_line_each_and_the_failing_ones_come_first() {
    let log = many_healthy_tunnels();
    let o = run(&["diagnose", "-"], Some(&log));
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    // Every healthy tunnel is one line; the two failing pairs come first.
    let up_lines = text.lines().filter(|l| l.starts_with("  up ")).count();
    assert_eq!(up_lines, 60, "{text}");
    let first_up = text.find("\n  up ").unwrap();
    assert!(text.find("psk-mismatch").unwrap() < first_up);
    assert!(text.find("p2-ts-mismatch").unwrap() < first_up);
    assert!(
        text.contains("64 host(s), 64 tunnel(s): 60 up, 4 down, 0 unknown"),
        "{text}"
    );
    insta::assert_snapshot!("many_healthy_text", text);
}

#[test]
fn many_healthy_tunnels_quiet_is_the_failing_ones_only() {
    let log = many_healthy_tunnels();
    let o = run(&["diagnose", "--quiet", "-"], Some(&log));
    let text = stdout(&o);
    assert!(!text.contains("\n  up "), "{text}");
    assert_eq!(text.matches("error[").count(), 4, "{text}");
    assert!(text.contains("60 up, 4 down"), "{text}");
    insta::assert_snapshot!("many_healthy_text_quiet", text);
}

#[test]
fn many_healthy_tunnels_markdown_and_html() {
    let log = many_healthy_tunnels();
    let md = stdout(&run(&["diagnose", "--format", "markdown", "-"], Some(&log)));
    // The table has every tunnel; only the failing ones have sections.
    assert_eq!(md.lines().filter(|l| l.starts_with("| up |")).count(), 60);
    assert_eq!(md.lines().filter(|l| l.starts_with("### ")).count(), 4);
    insta::assert_snapshot!("many_healthy_markdown", md);
    let html = stdout(&run(&["diagnose", "--format", "html", "-"], Some(&log)));
    assert_eq!(html.matches("<tr class=\"tunnel\"").count(), 64);
    insta::assert_snapshot!("many_healthy_html", html);
}

#[test]
fn both_ends_as_two_files_pair_in_every_format() {
    let o = run(&["diagnose", PSK_LEFT, PSK_RIGHT], None);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("both_ends_text", stdout(&o));
    let md = stdout(&run(
        &["diagnose", "--format", "markdown", PSK_LEFT, PSK_RIGHT],
        None,
    ));
    insta::assert_snapshot!("both_ends_markdown", md);
    let html = stdout(&run(
        &["diagnose", "--format", "html", PSK_LEFT, PSK_RIGHT],
        None,
    ));
    // Both ends side by side.
    assert_eq!(html.matches("<div class=\"pair\">").count(), 1, "{html}");
    insta::assert_snapshot!("both_ends_html", html);
}

#[test]
fn verbose_and_quiet_exclude_each_other() {
    let o = run(&["diagnose", "--verbose", "--quiet", EXAMPLE], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_exit_status_is_the_same_in_every_format() {
    for format in ["text", "json", "markdown", "html"] {
        let o = run(&["diagnose", "--format", format, EXAMPLE], None);
        assert_eq!(o.status.code(), Some(1), "{format}");
        let o = run(
            &[
                "diagnose",
                "--format",
                format,
                "fixtures/lab/ikev2-healthy/left.log",
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(0), "{format}");
    }
}

#[test]
fn hostile_log_text_is_inert_in_markdown_and_html() {
    let log = "Nov 27 10:00:00 fw1 charon[1]: 09[IKE] <gw|1> IDir '<script>alert(1)</script>@x' does not match to '[a](javascript:x) `b` | c'\n";
    let html = stdout(&run(&["diagnose", "--format", "html", "-"], Some(log)));
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    let md = stdout(&run(&["diagnose", "--format", "markdown", "-"], Some(log)));
    // Outside the evidence's fences (code: shown as written) no markup
    // of the log survives.
    let mut in_fence = false;
    for line in md.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence {
            // Every `<` backslashed: CommonMark shows it, starts no tag.
            let raw_lt = line
                .char_indices()
                .filter(|&(i, c)| c == '<' && !line[..i].ends_with('\\'))
                .count();
            assert_eq!(raw_lt, 0, "an unescaped < in: {line}");
            assert!(!line.contains("[a](javascript"), "{line}");
            assert!(!line.contains("@x"), "a mention: {line}");
        }
    }
}

/// One host's tunnel that comes up and fails by turns: the lab's healthy
/// and PSK-mismatch negotiations of the same connection, renumbered as
/// successive IKE SAs a minute apart.
fn up_and_down_by_turns(rounds: usize) -> String {
    let lab = lab_dir();
    let tagged = |scenario: &str| -> Vec<String> {
        std::fs::read_to_string(lab.join(scenario).join("left.log"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("<gw-gw|1>"))
            .map(str::to_owned)
            .collect()
    };
    let (up, failed) = (tagged("ikev2-healthy"), tagged("ikev2-psk-mismatch"));
    let mut log = String::new();
    for k in 1..=rounds {
        for line in if k % 2 == 1 { &up } else { &failed } {
            // "Nov 27 HH:MM:SS rest": a minute per round.
            let (_, rest) = line.split_at(15);
            let seconds = &line[13..15];
            let line = rest
                .replace("|1>", &format!("|{k}>"))
                .replace("gw-gw[1]", &format!("gw-gw[{k}]"))
                .replace("gw-gw{1}", &format!("gw-gw{{{k}}}"));
            log.push_str(&format!("Nov 27 10:{k:02}:{seconds}{line}\n"));
        }
    }
    log
}

#[test]
fn a_tunnel_that_fails_and_comes_back_by_turns_is_flapping() {
    let o = run(
        &["diagnose", "--format", "json", "-"],
        Some(&up_and_down_by_turns(8)),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let t = &v["tunnels"][0];
    assert_eq!(t["status"], "flapping", "{t}");
    assert_eq!(
        (t["established"].as_u64(), t["failed"].as_u64()),
        (Some(4), Some(4))
    );
    let outcomes: Vec<&str> = t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["up", "failed", "up", "failed", "up", "failed", "up", "failed"]
    );
    let text = stdout(&run(&["diagnose", "-"], Some(&up_and_down_by_turns(8))));
    assert!(
        text.contains("0 up, 0 down, 1 flapping, 0 unknown"),
        "{text}"
    );
    // Up, down and up again is a failure and a recovery, not a flap.
    let o = run(
        &["diagnose", "--format", "json", "-"],
        Some(&up_and_down_by_turns(3)),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tunnels"][0]["status"], "up");
}

/// Whether `value` stands in `text` as a whole token (a host named `left`
/// is not in `leftcert=`, nor `192.0.2.1` in `192.0.2.10`).
fn contains_token(text: &str, value: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    text.match_indices(value).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + value.len()..].chars().next();
        !before.is_some_and(word)
            && !after.is_some_and(|c| {
                word(c)
                    || (c == '.'
                        && text[at + value.len() + 1..].starts_with(|d: char| d.is_ascii_digit()))
            })
    })
}

/// Every IPv4 address in a text.
fn ipv4_addresses(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
        let parts: Vec<&str> = word.split('.').collect();
        if parts.len() == 4
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.parse::<u8>().is_ok())
        {
            found.push(word.to_owned());
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn redact_leaves_no_address_host_or_tunnel_name_of_the_input_in_any_format() {
    let cert = "fixtures/lab/ikev2-cert-id-mismatch";
    let inputs: Vec<(Vec<String>, Option<String>)> = vec![
        (vec![EXAMPLE.to_owned()], None),
        (vec!["-".to_owned()], Some(many_healthy_tunnels())),
        (
            vec![format!("{cert}/left.log"), format!("{cert}/right.log")],
            None,
        ),
        // Libreswan with @FQDN identities.
        (vec!["fixtures/real-logs/libreswan-32.log".to_owned()], None),
        (
            vec!["fixtures/lab/ikev2-pluto-responder-cert-expired/left.log".to_owned()],
            None,
        ),
    ];
    let mut shown_in_all = 0;
    for (paths, stdin) in &inputs {
        let mut input = stdin.clone().unwrap_or_default();
        for p in paths.iter().filter(|p| *p != "-") {
            input.push_str(
                &std::fs::read_to_string(format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap(),
            );
        }
        let args = |extra: &[&str]| -> Vec<String> {
            let mut a = vec!["diagnose".to_owned()];
            a.extend(extra.iter().map(|s| (*s).to_owned()));
            a.extend(paths.iter().cloned());
            a
        };
        let plain = run(
            &args(&["--format", "json"])
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            stdin.as_deref(),
        );
        let report: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
        // What must not be shown: every address of the input, and the
        // names of its hosts and tunnels (the tunnel named after its peer
        // keeps its word "peer").
        let mut secret: Vec<String> = ipv4_addresses(&input);
        for t in report["tunnels"].as_array().unwrap() {
            for key in ["host", "tunnel"] {
                if let Some(name) = t[key].as_str() {
                    secret.push(name.trim_start_matches("peer ").to_owned());
                }
            }
        }
        // `@fqdn` identities and e-mail addresses, as the words holding
        // an `@` between letters, without their quotes and brackets.
        for word in input.split(|c: char| c.is_whitespace() || "'\"[]<>(),;".contains(c)) {
            let word = word.trim_end_matches(['.', ':']);
            if let Some(at) = word.find('@') {
                let domain = &word[at + 1..];
                if domain.contains('.') && domain.chars().any(|c| c.is_ascii_alphabetic()) {
                    secret.push(if at == 0 {
                        domain.to_owned()
                    } else {
                        word.to_owned()
                    });
                }
            }
        }
        // Certificate subjects' common names and identities.
        for line in input.lines() {
            if let Some(at) = line.find("CN=") {
                let cn: String = line[at + 3..]
                    .chars()
                    .take_while(|c| !matches!(c, '"' | '\'' | ',' | ']'))
                    .collect();
                secret.push(cn);
            }
        }
        secret.sort();
        secret.dedup();
        // Not vacuous: unredacted, the report shows most of them.
        let plain_text = String::from_utf8(plain.stdout.clone()).unwrap();
        let shown = secret
            .iter()
            .filter(|v| plain_text.contains(v.as_str()))
            .count();
        assert!(shown > 0, "{paths:?}: none of the values is in the report");
        shown_in_all += shown;
        for format in ["text", "json", "markdown", "html"] {
            let o = run(
                &args(&[
                    "--redact",
                    "--color",
                    "never",
                    "--verbose",
                    "--format",
                    format,
                ])
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
                stdin.as_deref(),
            );
            assert_eq!(o.status.code(), plain.status.code(), "{paths:?} {format}");
            let out = stdout(&o);
            // Paths are the user's own and kept; everything else is checked.
            // The page's own style sheet is no output of the input.
            let body = out.split_once("</style>").map_or(out.as_str(), |(_, b)| b);
            let checked: String = body
                .lines()
                .map(|l| {
                    let mut l = l.to_owned();
                    for p in paths {
                        l = l.replace(p.as_str(), "PATH");
                    }
                    l
                })
                .collect::<Vec<_>>()
                .join("\n");
            for value in &secret {
                assert!(
                    !contains_token(&checked, value),
                    "{paths:?} {format}: {value:?} shown: {}",
                    checked
                        .lines()
                        .find(|l| contains_token(l, value))
                        .unwrap_or_default()
                );
            }
        }
    }
    assert!(shown_in_all > 50, "only {shown_in_all} values checked");
}

#[test]
fn redacted_markdown_of_the_bundled_example() {
    let o = run(
        &["diagnose", "--format", "markdown", "--redact", EXAMPLE],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("example_markdown_redacted", stdout(&o));
}

#[test]
fn hostile_tunnel_names_are_inert_in_tables_headings_and_attributes() {
    let log = "Nov 27 10:00:00 fw1 charon[1]: 09[IKE] <a[x](javascript:y)\"><b>t</b>|1> IDir 'x' does not match to 'y'\n";
    let html = stdout(&run(&["diagnose", "--format", "html", "-"], Some(log)));
    assert!(!html.contains("<b>t"), "{html}");
    assert!(!html.contains("\"><b>"), "an attribute closed: {html}");
    let md = stdout(&run(&["diagnose", "--format", "markdown", "-"], Some(log)));
    let outside_fences: Vec<&str> = md.split("```").step_by(2).collect();
    for part in outside_fences {
        // Backslashed, CommonMark shows these as text.
        let unescaped = part.replace("\\[", "").replace("\\<", "");
        assert!(!unescaped.contains("[x](javascript"), "{md}");
        assert!(!unescaped.contains("<b>"), "{md}");
    }
}
