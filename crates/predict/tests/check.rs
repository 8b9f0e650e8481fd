//! `check` on pfSense sample configurations, one per fault the
//! troubleshooting guide locates in configuration.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use ipsec_doctor_config::{parse, NoIncludes};
use ipsec_doctor_findings::{Finding, Report, Severity};
use ipsec_doctor_predict::{check, compare, Side};

fn fixture(name: &str) -> (String, String) {
    let path = format!(
        "{}/../config/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    (name.to_owned(), std::fs::read_to_string(path).unwrap())
}

fn check_fixture(name: &str) -> Report {
    let (path, text) = fixture(name);
    let config = parse(&path, &text, &NoIncludes).unwrap();
    check(Side {
        path: &path,
        text: &text,
        config: &config,
    })
}

/// The report's finding with this id; the test fails without one.
fn finding<'r>(report: &'r Report, id: &str) -> &'r Finding {
    report
        .findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", ids(report)))
}

fn ids(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.id).collect()
}

#[test]
fn openvpn_tunnel_network_overlapping_a_phase2_remote_network() {
    let r = check_fixture("pfsense_openvpn_overlap.xml");
    let f = finding(&r, "disappearing-traffic");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.summary.contains("OpenVPN"), "{}", f.summary);
    assert!(
        f.evidence.len() >= 2,
        "both the Phase 2 and the OpenVPN network are quoted"
    );
}

#[test]
fn outbound_nat_rule_with_source_any() {
    let r = check_fixture("pfsense_nat_any.xml");
    assert!(ids(&r).contains(&"outbound-nat-any"), "{:?}", ids(&r));
}

#[test]
fn phase1_on_an_interface_with_a_carp_vip() {
    let r = check_fixture("pfsense_carp_vip.xml");
    let f = finding(&r, "wrong-destination-address");
    assert!(f.summary.contains("carp"), "{}", f.summary);
}

#[test]
fn glxsb_accelerator_with_aes_256() {
    let r = check_fixture("pfsense_glxsb_aes256.xml");
    let f = finding(&r, "crypto-accelerator-keylen");
    assert!(f.summary.contains("AES_CBC_256"), "{}", f.summary);
}

#[test]
fn weak_algorithms_and_aggressive_psk() {
    let r = check_fixture("pfsense_weak_legacy.xml");
    let f = finding(&r, "weak-crypto");
    assert_eq!(f.severity, Severity::Warning);
    for weak in ["3DES_CBC", "MODP_1024"] {
        assert!(f.summary.contains(weak), "{weak} not named: {}", f.summary);
    }
}

#[test]
fn mss_clamping_off_is_a_warning_and_on_is_quiet() {
    assert!(ids(&check_fixture("pfsense_openvpn_overlap.xml")).contains(&"mss-clamping"));
    assert!(!ids(&check_fixture("pfsense_site_a.xml")).contains(&"mss-clamping"));
}

#[test]
fn a_clean_site_has_no_findings() {
    assert!(check_fixture("pfsense_site_a.xml").findings.is_empty());
}

#[test]
fn two_pfsense_boxes_with_mirrored_tunnels_establish() {
    let (ap, at) = fixture("pfsense_site_a.xml");
    let (bp, bt) = fixture("pfsense_site_b.xml");
    let (a, b) = (
        parse(&ap, &at, &NoIncludes).unwrap(),
        parse(&bp, &bt, &NoIncludes).unwrap(),
    );
    let r = compare(
        Side {
            path: &ap,
            text: &at,
            config: &a,
        },
        Side {
            path: &bp,
            text: &bt,
            config: &b,
        },
        None,
        None,
    )
    .unwrap();
    assert_eq!(ids(&r), ["tunnel-established"]);
    assert_eq!(r.tunnels[0].status, ipsec_doctor_findings::TunnelStatus::Up);
    // An establishment predicted from files says what files cannot show.
    let summary = &r.findings[0].summary;
    assert!(
        summary.contains("Not checked") && summary.contains("reachability"),
        "{summary}"
    );
}

#[test]
fn a_pfsense_box_against_a_swanctl_peer_with_another_phase1_cipher() {
    let (ap, at) = fixture("pfsense_site_a.xml");
    let a = parse(&ap, &at, &NoIncludes).unwrap();
    let tunnel = &a.tunnels[0];
    let peer = format!(
        "connections {{\n  peer {{\n    version = 2\n    local_addrs = {remote}\n    remote_addrs = {local}\n    proposals = aes128-sha1-modp1024\n    local {{ auth = psk }}\n    remote {{ auth = psk }}\n    children {{ net {{ local_ts = 10.20.0.0/24\n remote_ts = 10.10.0.0/24 }} }}\n  }}\n}}\n",
        remote = tunnel.remote_addrs[0],
        local = tunnel.local_addrs[0],
    );
    let b = parse("peer.conf", &peer, &NoIncludes).unwrap();
    let r = compare(
        Side {
            path: &ap,
            text: &at,
            config: &a,
        },
        Side {
            path: "peer.conf",
            text: &peer,
            config: &b,
        },
        None,
        None,
    )
    .unwrap();
    assert!(ids(&r).contains(&"p1-encryption-mismatch"), "{:?}", ids(&r));
    assert!(r.has_errors());
}
