//! The `ipsec-doctor` binary end to end: inputs, output contract, exit codes.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::ids;

const EXAMPLE: &str = "examples/pfsense-central-syslog.log";
const SEED: &str = "crates/findings/tests/fixtures/seed";
const LAB: &str = "fixtures/lab";

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("valid JSON")
}

#[test]
fn json_output_keeps_the_public_contract() {
    let o = run(&["diagnose", "--format", "json", EXAMPLE]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["findings", "tunnels"]);
    for f in v["findings"].as_array().unwrap() {
        for key in [
            "id", "family", "severity", "host", "tunnel", "title", "summary", "fix", "evidence",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        let evidence = f["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty(), "finding without evidence: {f}");
        for e in evidence {
            assert!(
                e["path"].is_string() && e["line"].is_u64() && e["text"].is_string(),
                "{e}"
            );
        }
    }
    let hosts: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["host"].as_str())
        .collect();
    assert!(hosts.contains(&"fw-hq") && hosts.contains(&"fw-branch1"));
    for t in v["tunnels"].as_array().unwrap() {
        for key in [
            "host",
            "tunnel",
            "local",
            "remote",
            "ike_version",
            "status",
            "negotiations",
            "established",
            "failed",
            "negotiated",
            "timeline",
            "findings",
        ] {
            assert!(t.get(key).is_some(), "tunnel lacks {key}: {t}");
        }
        // The status agrees with the counts it is derived from.
        let (up, failed) = (t["established"].as_u64(), t["failed"].as_u64());
        match t["status"].as_str().unwrap() {
            "up" => assert!(up > Some(0), "{t}"),
            "down" => assert!(failed > Some(0), "{t}"),
            other => panic!("unexpected status {other} in the example: {t}"),
        }
        for beat in t["timeline"].as_array().unwrap() {
            assert!(
                beat["outcome"].is_string() && beat["line"].is_u64(),
                "{beat}"
            );
        }
    }
}

#[test]
fn exit_code_zero_for_a_healthy_tunnel() {
    let o = run(&[
        "diagnose",
        &format!("{LAB}/ikev2-healthy/left.log"),
        &format!("{LAB}/ikev2-healthy/right.log"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn a_missing_file_is_named_and_the_rest_still_diagnosed() {
    let o = run(&[
        "diagnose",
        "--format",
        "json",
        "no/such/file.log",
        &format!("{SEED}/psk-mismatch/initiator.log"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no/such/file.log: no such file or directory")
    );
    assert_eq!(ids(&json(&o)), ["psk-mismatch"]);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["diagnose"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run(&["diagnose", "--format", "xml", EXAMPLE]).status.code(),
        Some(2)
    );
}

#[test]
fn standard_input_with_dash() {
    let mut child = bin()
        .args(["diagnose", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read(format!(
        "{env}/{SEED}/p1-dh-group-mismatch/responder.log",
        env = env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let o = child.wait_with_output().unwrap();
    let v = json(&o);
    assert_eq!(ids(&v), ["p1-dh-group-mismatch"]);
    assert_eq!(v["findings"][0]["evidence"][0]["path"], "-");
}

#[test]
fn gzip_logs_are_read_transparently_and_directories_recursively() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("rotated/2026");
    std::fs::create_dir_all(&nested).unwrap();
    let log = std::fs::read(format!(
        "{}/{LAB}/ikev2-p1-encryption-mismatch/right.log",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(nested.join("charon.log.1.gz")).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&log).unwrap();
    gz.finish().unwrap();
    let o = run(&["diagnose", "--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(ids(&json(&o)), ["p1-encryption-mismatch"]);
}

#[test]
fn a_truncated_gzip_is_an_error_naming_file_and_line_after_diagnosing_what_was_readable() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::read(format!(
        "{}/{LAB}/ikev2-p1-encryption-mismatch/right.log",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&log).unwrap();
    let bytes = gz.finish().unwrap();
    let path = dir.path().join("cut.log.gz");
    std::fs::write(&path, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let o = run(&["diagnose", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.contains("cut.log.gz:") && err.contains("gzip data is corrupt or truncated"),
        "{err}"
    );
    json(&o);
}

#[test]
fn newest_first_gui_export_is_read_backwards() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::read_to_string(format!(
        "{}/{LAB}/ikev1-p2-ts-mismatch/left.log",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let export =
        ipsec_doctor_testkit::render(&log, ipsec_doctor_testkit::LogFormat::GuiExport, "", 4242);
    let path = dir.path().join("ipsec-gui.txt");
    std::fs::write(&path, export).unwrap();
    let o = run(&["diagnose", "--format", "json", path.to_str().unwrap()]);
    let v = json(&o);
    assert_eq!(ids(&v), ["p2-ts-mismatch"]);
    let summary = v["findings"][0]["summary"].as_str().unwrap();
    assert!(summary.contains("192.168.48.0/24"), "{summary}");
}

#[test]
fn hostile_identity_cannot_reach_the_terminal_or_forge_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.log");
    let evil = "Nov 27 10:00:00 12[CFG] <3> looking for peer configs matching 192.0.2.74[right]...192.0.2.90[\u{1b}]0;owned\u{7}\nerror[psk-mismatch] forged]\n\
                Nov 27 10:00:00 12[CFG] <3> no matching peer config found\n";
    std::fs::write(&path, evil).unwrap();
    let o = run(&["diagnose", "--color", "always", path.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(
        !out.contains("\u{1b}]0;"),
        "raw OSC sequence reached the output"
    );
    assert!(!out.contains('\u{7}'));
    assert!(out.contains("\\x1b]0;owned\\x07"), "{out}");
    assert_eq!(
        out.lines()
            .filter(|l| l.trim_start().starts_with("error[psk-mismatch]"))
            .count(),
        0,
        "{out}"
    );
    let j = run(&["diagnose", "--format", "json", path.to_str().unwrap()]);
    let v = json(&j);
    assert!(v["findings"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("\u{1b}]0;owned"));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = run(&["diagnose", EXAMPLE]);
    assert!(
        !stdout(&plain).contains('\u{1b}'),
        "piped output must be plain"
    );
    let forced = run(&["diagnose", "--color", "always", EXAMPLE]);
    assert!(stdout(&forced).contains("\u{1b}["));
    let no_color = bin()
        .args(["diagnose", "--color", "auto", EXAMPLE])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&no_color).contains('\u{1b}'));
}

#[test]
fn explain_finds_by_keyword_in_any_case_and_names_near_misses() {
    let one = run(&["explain", "PSK"]);
    assert_eq!(one.status.code(), Some(0));
    assert!(
        stdout(&one).starts_with("psk-mismatch  (error"),
        "{}",
        stdout(&one)
    );
    let several = run(&["explain", "cert"]);
    assert_eq!(several.status.code(), Some(0));
    let listed = stdout(&several);
    assert!(listed.starts_with("5 topics match 'cert':"), "{listed}");
    assert!(
        listed
            .lines()
            .filter(|l| l.trim_start().starts_with("cert-"))
            .count()
            == 5
    );
    let near = run(&["explain", "psk-mismach"]);
    assert_eq!(near.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&near.stderr).contains("Did you mean: psk-mismatch?"));
    // Untrusted text asked for is shown escaped.
    let hostile = run(&["explain", "\u{1b}[31mx"]);
    assert!(!String::from_utf8_lossy(&hostile.stderr).contains('\u{1b}'));
}

#[test]
fn explain_prints_a_finding_doc_and_catalog_lists_every_id() {
    let o = run(&["explain", "p2-pfs-mismatch"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("PFS key group"));
    assert_eq!(run(&["explain", "no-such-thing"]).status.code(), Some(2));
    let catalog = stdout(&run(&["catalog"]));
    for id in [
        "tunnel-established",
        "aggressive-main-mismatch",
        "p1-id-mismatch",
        "psk-mismatch",
        "nat-id-mismatch",
        "p1-auth-failed",
        "p1-encryption-mismatch",
        "p1-hash-mismatch",
        "p1-dh-group-mismatch",
        "p1-proposal-mismatch",
        "p2-encryption-mismatch",
        "p2-hash-mismatch",
        "p2-pfs-mismatch",
        "p2-proposal-mismatch",
        "p2-ts-mismatch",
        "peer-unreachable",
        "dpd-timeout",
        "kernel-sa-install-failure",
        "renegotiation-failure",
        "wrong-destination-address",
        "lifetime-mismatch",
        "xmlreader-status-page",
        "logging-insufficient",
    ] {
        // One line each, indented under its family's heading where it has one.
        assert!(
            catalog
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{id} "))),
            "catalog lacks {id}"
        );
    }
}

#[test]
fn binary_and_invalid_utf8_input_does_not_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.bin");
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    bytes.extend_from_slice(b"\ncharon: 12[CFG] looking for peer configs matching 192.0.2.74[r]...192.0.2.90[\xff\xfeid\xe9]\n");
    bytes.extend_from_slice(b"\x00\x00charon: 12[CFG] no matching peer config found\n");
    std::fs::write(&path, bytes).unwrap();
    let o = run(&["diagnose", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(ids(&v), ["p1-id-mismatch"]);
    assert!(v["findings"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("\u{fffd}\u{fffd}id\u{fffd}"));
}

#[test]
fn compare_predicts_the_lab_failure_from_both_configurations() {
    let dir = format!("{LAB}/ikev2-p1-encryption-mismatch");
    let o = run(&[
        "compare",
        "--format",
        "json",
        &format!("{dir}/left.swanctl.conf"),
        &format!("{dir}/right.swanctl.conf"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(ids(&json(&o)), ["p1-encryption-mismatch"]);
    let healthy = format!("{LAB}/ikev2-healthy");
    let o = run(&[
        "compare",
        &format!("{healthy}/left.swanctl.conf"),
        &format!("{healthy}/right.swanctl.conf"),
    ]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn compare_with_an_unknown_tunnel_name_lists_the_tunnels() {
    let healthy = format!("{LAB}/ikev2-healthy");
    let o = run(&[
        "compare",
        "--left-tunnel",
        "nope",
        &format!("{healthy}/left.swanctl.conf"),
        &format!("{healthy}/right.swanctl.conf"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no tunnel named 'nope' (tunnels: gw-gw)"));
}

#[test]
fn check_reports_configuration_faults_and_a_syntax_error_names_file_and_line() {
    let o = run(&[
        "check",
        "--format",
        "json",
        "crates/config/tests/fixtures/pfsense_openvpn_overlap.xml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(ids(&json(&o)).contains(&"disappearing-traffic".to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("swanctl.conf");
    std::fs::write(&broken, "connections {\n  gw {\n    version = 2\n").unwrap();
    let o = run(&["check", broken.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(err.contains("swanctl.conf:"), "{err}");
}

/// Runs with stdout a pipe that is closed after `keep` bytes, as `| head -c`.
fn run_into_closed_pipe(args: &[&str], keep: usize) -> Output {
    use std::io::Read;
    let mut child = bin()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = vec![0u8; keep];
    out.read_exact(&mut first).expect("first bytes");
    drop(out);
    child.wait_with_output().expect("exits")
}

#[test]
fn a_closed_pipe_keeps_the_diagnosis_exit_code_and_says_nothing() {
    let o = run_into_closed_pipe(&["diagnose", "examples/pfsense-central-syslog.log"], 10);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
    let o = run_into_closed_pipe(&["catalog", "--format", "json"], 10);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}

#[test]
fn nothing_ipsec_in_the_input_exits_3_and_says_why_on_stderr() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sshd.log");
    std::fs::write(
        &path,
        "Here is my log:\n\
         Nov 27 00:31:58 fw1 ipsec-helper[7]: ipsec status requested by cron\n",
    )
    .expect("write");
    let o = run(&["diagnose", path.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no IPsec negotiation could be read"), "{err}");
    assert!(
        err.contains("sshd.log:2:"),
        "the line that mentions IPsec: {err}"
    );
}

#[test]
fn a_cut_off_negotiation_is_no_all_clear() {
    let o = bin()
        .args(["diagnose", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(
                b"I/charon  (14804): 13[IKE] initiating IKE_SA android[7] to 198.51.100.4\n",
            )?;
            child.wait_with_output()
        })
        .expect("runs");
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("negotiation-incomplete"));
}

/// Rotated logs, gzipped, are read several at a time (each on its own
/// thread) and handed on in order: a tunnel whose lines span three files
/// is diagnosed as from one file, a corrupt file between them is named,
/// and one diagnosis thread or two give the same report.
#[test]
fn rotated_gzip_files_read_at_once_are_diagnosed_in_order() {
    use ipsec_doctor_testkit::{merge_by_time, render, LogFormat};
    let read = |side: &str| {
        std::fs::read_to_string(format!(
            "{}/{LAB}/ikev2-psk-mismatch/{side}.log",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let central = merge_by_time(&[
        render(&read("left"), LogFormat::BsdSyslog, "fw-left", 11),
        render(&read("right"), LogFormat::BsdSyslog, "fw-right", 12),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.log");
    std::fs::write(&whole, &central).unwrap();
    let rotated = dir.path().join("rotated");
    std::fs::create_dir(&rotated).unwrap();
    let lines: Vec<&str> = central.lines().collect();
    let third = lines.len() / 3 + 1;
    for (i, part) in lines.chunks(third).enumerate() {
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(rotated.join(format!("central-{i}.log.gz"))).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all((part.join("\n") + "\n").as_bytes()).unwrap();
        gz.finish().unwrap();
    }
    std::fs::write(rotated.join("central-1b.log.gz"), [0x1f, 0x8b, 8, 0, 0]).unwrap();
    let one = run(&["diagnose", "--format", "json", whole.to_str().unwrap()]);
    let split = |threads: &str| {
        run(&[
            "diagnose",
            "--threads",
            threads,
            "--format",
            "json",
            rotated.to_str().unwrap(),
        ])
    };
    let (a, b) = (split("1"), split("2"));
    assert_eq!(a.stdout, b.stdout, "one thread and two");
    assert_eq!(ids(&json(&a)), ids(&json(&one)));
    assert_eq!(ids(&json(&a)), ["psk-mismatch"]);
    assert_eq!(a.status.code(), Some(2), "the corrupt file is an I/O error");
    let err = String::from_utf8_lossy(&a.stderr).into_owned();
    assert!(err.contains("central-1b.log.gz"), "{err}");
}

#[test]
fn check_of_a_clean_configuration_speaks_of_tunnels_not_negotiations() {
    let o = run(&["check", "crates/config/tests/fixtures/pfsense_site_a.xml"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(text.contains("1 tunnel(s) configured"), "{text}");
    assert!(!text.contains("negotiation"), "{text}");
}

#[test]
fn tabs_of_a_gui_paste_show_as_spaces_in_the_evidence() {
    // pfSense's GUI log view copies its columns with tabs.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gui.log");
    std::fs::write(
        &path,
        "Nov 27 10:00:00\tcharon\t14[CFG] received proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024\n\
         Nov 27 10:00:00\tcharon\t14[CFG] configured proposals: IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024\n\
         Nov 27 10:00:00\tcharon\t14[IKE] no proposal found\n",
    )
    .unwrap();
    let o = run(&["diagnose", "--color", "never", path.to_str().unwrap()]);
    let text = stdout(&o);
    assert!(text.contains("p1-encryption-mismatch"), "{text}");
    assert!(!text.contains("\\t"), "{text}");
    assert!(
        text.contains("Nov 27 10:00:00 charon 14[IKE] no proposal found"),
        "{text}"
    );
}

#[test]
fn compare_refuses_to_predict_a_libreswan_end_and_names_the_setting() {
    let mut refused = 0;
    for entry in std::fs::read_dir(LAB).unwrap() {
        let dir = entry.unwrap().path();
        for (this, other) in [("left", "right"), ("right", "left")] {
            let pluto = dir.join(format!("{this}.ipsec.conf"));
            let peer = dir.join(format!("{other}.swanctl.conf"));
            if !pluto.exists() || !peer.exists() {
                continue;
            }
            let o = run(&["compare", pluto.to_str().unwrap(), peer.to_str().unwrap()]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{}: {err}", pluto.display());
            assert!(err.contains("is Libreswan's ipsec.conf"), "{err}");
            assert!(o.stdout.is_empty(), "no prediction: {}", stdout(&o));
            refused += 1;
        }
    }
    assert!(refused >= 20, "only {refused} Libreswan ends in the lab");
    // strongSwan's own ipsec.conf is still predicted.
    let strongswan = "crates/config/tests/fixtures/ipsec/ipsec.conf";
    let o = run(&["compare", strongswan, strongswan]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("Libreswan"), "{err}");
}
