//! The engine's own tests; each rule's are in its catalog file.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use ipsec_doctor_events::{may_matter, parse_charon, CharonEvent};
use ipsec_doctor_logs::frame;

/// Asserts that no finding of `text` speaks of `daemon`.
fn no_finding_speaks_of(daemon: &str, text: &str) {
    let report = crate::catalog::testing::diagnose("x.log", text);
    let summaries: Vec<&String> = report.findings.iter().map(|f| &f.summary).collect();
    assert!(
        summaries.iter().all(|s| !s.contains(daemon)),
        "{summaries:?}"
    );
}

#[test]
fn bare_pluto_error_lines_are_not_taken_for_racoon_where_pluto_s_were_read() {
    // journalctl -o cat of Libreswan 5.2 (lab ikev1-pluto-healthy)
    no_finding_speaks_of(
        "racoon",
        "Starting Pluto (Libreswan Version 5.2 IKEv2 IKEv1 XFRM XFRMI esp-hw-offload FORK PTHREAD_SETSCHEDPRIO NSS (IPsec profile) (NSS-KDF) DNSSEC SYSTEMD_WATCHDOG LABELED_IPSEC (SELINUX) LIBCAP_NG LINUX_AUDIT AUTH_PAM NETWORKMANAGER CURL(non-NSS) LDAP(non-NSS) NFTABLES CAT NFLOG) pid:28798\n\
         operating system: Linux 6.18.44 [Linux 6.18.44-fc-v857 #1 SMP PREEMPT_DYNAMIC @0 x86_64]\n\
         pluto: warning: chdir(\"/run/pluto\") to dumpdir failed (2: No such file or directory)\n\
         ERROR: xfrmi is not supported, failed to create ipsec-interface ipsec1 bound to lo\n",
    );
}

#[test]
fn bare_charon_lines_are_not_taken_for_pluto_where_charon_s_were_read() {
    // journalctl -o cat of charon-systemd 6.0.1 (lab ikev2-eap-failure)
    no_finding_speaks_of(
        "pluto",
        "Starting charon-systemd IKE daemon (strongSwan 6.0.1, Linux 6.18.44, x86_64)\n\
         192.0.2.90 is initiating an IKE_SA\n\
         initiating EAP_IDENTITY method (id 0x00)\n",
    );
}

/// Every charon message that `parse_charon` recognises, in the lab's
/// logs and every fixture, passes the prefilter.
#[test]
fn the_prefilter_never_drops_a_message_that_parses() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![
        root.join("../../fixtures"),
        root.join("tests/fixtures"),
        root.join("../../examples"),
    ];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                files.push((p, text));
            }
        }
    }
    assert!(files.len() > 50, "fixtures not found");
    let mut missed = Vec::new();
    let mut checked = 0;
    for (path, text) in &files {
        for line in text.lines() {
            let Some(framed) = frame(line) else { continue };
            checked += 1;
            let event = parse_charon(&framed.message);
            if event != CharonEvent::Unrecognized && !may_matter(&framed.message) {
                missed.push(format!("{}: {line}", path.display()));
            }
        }
    }
    assert!(checked > 10_000);
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
