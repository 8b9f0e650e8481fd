//! `--redact` end to end: every bundled example, lab recording and real log
//! is diagnosed, redacted and rendered as text and JSON, and no address,
//! host name, tunnel name, identity or secret of the input may be left in
//! the output.
//!
//! The sensitive values are read from the input here, with this file's own
//! simple patterns, not with the redaction's: a value the redaction misses
//! fails the test.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use ipsec_doctor_findings::{rules, Detection, Diagnoser, Evidence, Finding, Report};
use ipsec_doctor_render::{json, redact, text, Detail};
use regex::Regex;

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).to_path_buf()
}

fn sorted(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// The scenario directories of the lab: `fixtures/lab/*/` and the
/// recordings of other daemon versions one level further down.
fn lab_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for d in sorted(&root().join("fixtures/lab")) {
        if !d.is_dir() {
            continue;
        }
        if d.join("left.log").exists() || d.join("right.log").exists() {
            dirs.push(d);
        } else {
            dirs.extend(sorted(&d).into_iter().filter(|s| s.is_dir()));
        }
    }
    dirs
}

/// Every log input: the bundled example, the lab's left and right logs,
/// the real logs.
fn inputs() -> Vec<PathBuf> {
    let mut v = vec![root().join("examples/pfsense-central-syslog.log")];
    for d in lab_dirs() {
        for side in ["left.log", "right.log"] {
            let p = d.join(side);
            if p.exists() {
                v.push(p);
            }
        }
    }
    v.extend(
        sorted(&root().join("fixtures/real-logs"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "log")),
    );
    v
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&fs::read(path).unwrap()).into_owned()
}

fn diagnose(name: &str, text: &str) -> Report {
    let mut d = Diagnoser::new();
    for (i, line) in text.lines().enumerate() {
        d.push_line(name, i as u64 + 1, line);
    }
    d.finish()
}

/// The report as the user would share it: text (every finding in full) and
/// JSON.
fn rendered(report: &Report) -> String {
    let mut out = Vec::new();
    text(report, Detail::Verbose, &mut out).unwrap();
    json(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// A value's kind, which says how it stands in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Sort {
    Address,
    Name,
    Secret,
}

/// Whether `value` stands in `hay` as itself: an address not inside a
/// longer dotted number, a name not inside a longer word or dotted name.
fn appears(hay: &str, value: &str, sort: Sort) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    hay.match_indices(value).any(|(i, _)| {
        let before: Vec<char> = hay[..i].chars().rev().take(2).collect();
        let after: Vec<char> = hay[i + value.len()..].chars().take(2).collect();
        match sort {
            Sort::Secret => true,
            Sort::Address => {
                let digit_before = before.first().is_some_and(|c| c.is_ascii_digit())
                    || (before.first() == Some(&'.')
                        && before.get(1).is_some_and(|c| c.is_ascii_digit()));
                let digit_after = after.first().is_some_and(|c| c.is_ascii_digit())
                    || (after.first() == Some(&'.')
                        && after.get(1).is_some_and(|c| c.is_ascii_digit()));
                !digit_before && !digit_after
            }
            Sort::Name => {
                let glued = |edge: Option<char>, next: &[char]| {
                    edge.is_some_and(word)
                        && (next.first().is_some_and(|&c| word(c))
                            || (next.first() == Some(&'.')
                                && next.get(1).is_some_and(|c| c.is_alphanumeric())))
                };
                !glued(value.chars().next(), &before) && !glued(value.chars().next_back(), &after)
            }
        }
    })
}

/// Values users mask themselves before posting (`x.x.x.x`, `XXX.XXX...`,
/// `<masked host IP>`, `${USER}`): nothing of theirs to leak, and often
/// left as they are by design (they are neither addresses nor names).
fn masked_by_user(v: &str) -> bool {
    static LETTERS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z](\.[a-z])+$").unwrap());
    let l = v.to_ascii_lowercase();
    l.chars().all(|c| matches!(c, 'x' | '.' | '*' | '#'))
        || LETTERS.is_match(&l)
        || l.contains("xxx")
        || l.contains("masked")
        || l.contains("${")
        || l.contains("snip")
        || l.starts_with('<')
}

/// The sensitive values of one input: every IPv4 address of its lines, and
/// the identities its daemon wordings quote.
fn values_of_input(input: &str) -> BTreeSet<(Sort, String)> {
    let mut out = BTreeSet::new();
    static IPV4: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}").unwrap());
    let ipv4 = &*IPV4;
    for m in ipv4.find_iter(input) {
        let v = m.as_str();
        let octets_ok = v
            .split('.')
            .all(|o| o.parse::<u16>().is_ok_and(|n| n <= 255));
        // Kept by design: the unspecified address and netmasks name no host.
        if octets_ok && v != "0.0.0.0" && !v.starts_with("255.") {
            // Part of a longer dotted number (a version, an OID): not an address.
            let before = &input[..m.start()];
            let after = &input[m.end()..];
            let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
            let mut b = before.chars().rev();
            let mut a = after.chars();
            let (b1, b2, a1, a2) = (b.next(), b.next(), a.next(), a.next());
            let longer = digit(b1)
                || (b1 == Some('.') && digit(b2))
                || digit(a1)
                || (a1 == Some('.') && digit(a2));
            if !longer {
                out.insert((Sort::Address, v.to_owned()));
            }
        }
    }
    static IDENTITIES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"authentication of '([^'\n]+)'",
            r"\bIDi '([^'\n]+)'",
            r"\bIDr '([^'\n]+)'",
            r"\bIDir '([^'\n]+)'",
            r"does not match to '([^'\n]+)'",
            r"\bID_[A-Z0-9_]+:? '([^'\n]+)'",
            r"(?i)peer ID is (?:ID_[A-Z0-9_]+: )?'([^'\n]+)'",
            r"\bidentity ?'([^'\n]+)'",
            r"shared key for '([^'\n]+)' - '([^'\n]+)'",
            r"secrets? for '([^'\n]+)' - '([^'\n]+)'",
            r"CN=([^,\x22'\]\n/]+)",
            r"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})",
            r"matching [^\s\[]+\[([^\]\n]+)\]\.\.\.[^\s\[]+\[([^\]\n]+)\]",
            r"username=([^\s},;]+)",
        ]
        .iter()
        .map(|p| Regex::new(p).unwrap())
        .collect()
    });
    for re in IDENTITIES.iter() {
        for c in re.captures_iter(input) {
            for g in c.iter().skip(1).flatten() {
                let v = g.as_str().trim();
                if v.is_empty() || v.starts_with('%') || v == "(null)" || masked_by_user(v) {
                    continue;
                }
                if ipv4.is_match(v) && ipv4.find(v).is_some_and(|m| m.as_str() == v) {
                    if v != "0.0.0.0" {
                        out.insert((Sort::Address, v.to_owned()));
                    }
                } else {
                    out.insert((Sort::Name, v.to_owned()));
                }
            }
        }
    }
    out.retain(|(_, v)| !masked_by_user(v));
    out
}

/// The host and tunnel names of the report before redaction.
fn names_of_report(report: &Report) -> BTreeSet<(Sort, String)> {
    let mut out = BTreeSet::new();
    let mut add = |v: &str| {
        let v = v.trim();
        let v = v.strip_prefix("peer ").unwrap_or(v);
        // Too short or a bare number: not looked for as a name.
        if v.chars().count() < 2 || v.chars().all(|c| c.is_ascii_digit()) || masked_by_user(v) {
            return;
        }
        out.insert((Sort::Name, v.to_owned()));
    };
    for f in &report.findings {
        f.host.as_deref().map(&mut add);
        f.tunnel.as_deref().map(&mut add);
    }
    for t in &report.tunnels {
        t.host.as_deref().map(&mut add);
        t.tunnel.as_deref().map(&mut add);
        t.local.as_deref().map(&mut add);
        t.remote.as_deref().map(&mut add);
    }
    out
}

/// The ids, evidence counts, paths and line numbers: what redaction must not
/// change.
/// One finding as redaction must leave it: id, evidence places, count.
type Shape = (&'static str, Vec<(String, u64)>, u64);

fn shape(report: &Report) -> Vec<Shape> {
    report
        .findings
        .iter()
        .map(|f| {
            let lines = f
                .evidence
                .iter()
                .map(|e| (e.path.to_string(), e.line))
                .collect();
            (f.id, lines, f.occurrences)
        })
        .collect()
}

struct Tally {
    inputs: usize,
    checked: usize,
    shown_before: usize,
}

/// Asserts that none of `values` is in the redacted output; counts those
/// the unredacted output showed.
fn check(
    name: &str,
    report: &Report,
    values: &BTreeSet<(Sort, String)>,
    tally: &mut Tally,
) -> Vec<String> {
    let redacted = redact(report);
    let before = rendered(report);
    let after = rendered(&redacted);
    let mut leaks = Vec::new();
    for (sort, v) in values {
        // The placeholder's own words are not the input's.
        static PLACEHOLDER: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"^(?:IPv4|IPv6|HOST|TUNNEL|ID)-[0-9]+$").unwrap());
        if PLACEHOLDER.is_match(v) {
            continue;
        }
        tally.checked += 1;
        // JSON writes a backslash or quote escaped.
        let escaped = v.replace('\\', "\\\\").replace('"', "\\\"");
        if appears(&before, v, *sort) || appears(&before, &escaped, *sort) {
            tally.shown_before += 1;
        }
        if appears(&after, v, *sort) || appears(&after, &escaped, *sort) {
            let line = after
                .lines()
                .find(|l| appears(l, v, *sort) || appears(l, &escaped, *sort))
                .unwrap_or("");
            leaks.push(format!("{name}: {sort:?} {v:?} left in: {}", line.trim()));
        }
    }
    assert_eq!(
        shape(&redacted),
        shape(report),
        "{name}: redaction changed the diagnosis"
    );
    assert_eq!(
        rendered(&redact(&redacted)),
        after,
        "{name}: redacting the redacted report changed it"
    );
    assert_eq!(redacted.tunnels.len(), report.tunnels.len(), "{name}");
    for (a, b) in redacted.tunnels.iter().zip(&report.tunnels) {
        assert_eq!(
            (a.ike_version, a.negotiations, a.established, &a.findings),
            (b.ike_version, b.negotiations, b.established, &b.findings),
            "{name}"
        );
    }
    tally.inputs += 1;
    leaks
}

#[test]
fn redacted_reports_of_every_log_hold_no_address_name_or_identity_of_the_input() {
    let mut tally = Tally {
        inputs: 0,
        checked: 0,
        shown_before: 0,
    };
    let mut leaks = Vec::new();
    for path in inputs() {
        let name = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let input = read(&path);
        let report = diagnose(&name, &input);
        let mut values = values_of_input(&input);
        values.extend(names_of_report(&report));
        leaks.extend(check(&name, &report, &values, &mut tally));
    }
    eprintln!(
        "redact: {} inputs, {} values checked, {} of them shown by the unredacted reports",
        tally.inputs, tally.checked, tally.shown_before
    );
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    assert!(tally.inputs >= 150, "inputs: {}", tally.inputs);
    // The check is not vacuous: the unredacted reports show many of them.
    assert!(
        tally.shown_before >= 300,
        "shown before: {}",
        tally.shown_before
    );
}

/// The lab's configurations, quoted line by line as evidence (as a report
/// of `ipsec-doctor check` or a pasted config would quote them): their
/// secrets, identities and addresses must go.
#[test]
fn redacted_configurations_hold_no_secret_identity_or_address() {
    let secret_swanctl = Regex::new(r#"\bsecret\s*=\s*(?:"([^"]*)"|(\S+))"#).unwrap();
    let secret_file = Regex::new(r#":\s*(?:PSK|XAUTH|EAP)\s+(?:"([^"]*)"|(\S+))"#).unwrap();
    let id =
        Regex::new(r#"(?m)^\s*(?:id|leftid|rightid|eap_id|xauth_id)\s*=\s*(?:"([^"]*)"|(\S+))"#)
            .unwrap();
    let mut tally = Tally {
        inputs: 0,
        checked: 0,
        shown_before: 0,
    };
    let mut secrets = 0;
    let mut leaks = Vec::new();
    for dir in lab_dirs() {
        for file in sorted(&dir) {
            let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
            if !(file_name.ends_with(".conf") || file_name.ends_with(".secrets")) {
                continue;
            }
            let name = file
                .strip_prefix(root())
                .unwrap_or(&file)
                .display()
                .to_string();
            let input = read(&file);
            let origin: Arc<str> = Arc::from(name.as_str());
            let evidence = input
                .lines()
                .enumerate()
                .map(|(i, l)| Evidence {
                    path: origin.clone(),
                    line: i as u64 + 1,
                    text: l.to_owned(),
                })
                .collect();
            let report = Report {
                findings: vec![Finding::new(
                    rules::PSK_MISMATCH,
                    Some("left".to_owned()),
                    Some("gw-gw".to_owned()),
                    origin.clone(),
                    Detection::new("The configuration as loaded.", evidence),
                )],
                ..Report::default()
            };
            let mut values = values_of_input(&input);
            for re in [&secret_swanctl, &secret_file] {
                for c in re.captures_iter(&input) {
                    if let Some(v) = c.get(1).or(c.get(2)) {
                        values.insert((Sort::Secret, v.as_str().to_owned()));
                        secrets += 1;
                    }
                }
            }
            for c in id.captures_iter(&input) {
                if let Some(v) = c.get(1).or(c.get(2)) {
                    let v = v.as_str();
                    if !v.starts_with('%') {
                        let sort = if v.parse::<std::net::Ipv4Addr>().is_ok() {
                            Sort::Address
                        } else {
                            Sort::Name
                        };
                        values.insert((sort, v.to_owned()));
                    }
                }
            }
            leaks.extend(check(&name, &report, &values, &mut tally));
        }
    }
    eprintln!(
        "redact: {} configurations, {} values checked ({} secrets), {} of them shown unredacted",
        tally.inputs, tally.checked, secrets, tally.shown_before
    );
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    assert!(
        secrets >= 50,
        "secrets found in the lab's configurations: {secrets}"
    );
    assert!(
        tally.shown_before >= secrets,
        "shown before: {}",
        tally.shown_before
    );
}

/// The secrets of a scenario's configuration never reach its logs' reports
/// (charon and pluto do not log them; a redacted report could not show them
/// either).
#[test]
fn lab_secrets_are_in_no_report_of_their_scenario() {
    let secret = Regex::new(r#"(?:\bsecret\s*=\s*|:\s*PSK\s+)(?:"([^"]*)"|(\S+))"#).unwrap();
    let mut checked = 0;
    for dir in lab_dirs() {
        let mut secrets = BTreeSet::new();
        for file in sorted(&dir) {
            let n = file.file_name().unwrap().to_string_lossy().into_owned();
            if n.ends_with("swanctl.conf") || n.ends_with("ipsec.secrets") {
                for c in secret.captures_iter(&read(&file)) {
                    if let Some(v) = c.get(1).or(c.get(2)) {
                        secrets.insert(v.as_str().to_owned());
                    }
                }
            }
        }
        for side in ["left.log", "right.log"] {
            let path = dir.join(side);
            if !path.exists() {
                continue;
            }
            let report = diagnose(side, &read(&path));
            let out = rendered(&redact(&report));
            for s in &secrets {
                checked += 1;
                assert!(
                    !out.contains(s.as_str()),
                    "{}: secret {s:?} shown",
                    path.display()
                );
            }
        }
    }
    eprintln!(
        "redact: {} lab scenarios, {checked} (secret, log) pairs checked",
        lab_dirs().len()
    );
    assert!(checked >= 100, "secrets checked: {checked}");
}
