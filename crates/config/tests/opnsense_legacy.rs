//! OPNsense config.xml with the legacy <ipsec> layout.
mod common;

use ipsec_doctor_config::{ConfigError, Format, IkeVersion};

#[test]
fn opnsense_legacy_phase1() {
    let set = common::load("opnsense_legacy.xml");
    assert_eq!(set.source, Format::OpnSense);
    let t = &set.tunnels[0];
    assert_eq!(t.ike_version, IkeVersion::V2);
    assert!(!t.nat_traversal);
    assert_eq!(t.local_addrs, ["203.0.113.50"]);
    // OPNsense builds one proposal per hash x dhgroup and reverses the list
    assert_eq!(
        t.ike_proposals_configured,
        ["aes256-sha512-modp2048", "aes256-sha256-modp2048"]
    );
    assert_eq!(t.ike_rekey_time, Some(28260));
    assert_eq!(set.host.tunables[0].name, "net.inet.ipsec.filtertunnel");
}

#[test]
fn opnsense_phase2_names() {
    let set = common::load("opnsense_legacy.xml");
    let c = &set.tunnels[0].children[0];
    assert_eq!(
        c.esp_proposals,
        [
            "ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ",
            "ESP:AES_GCM_16_128/MODP_2048/NO_EXT_SEQ"
        ]
    );
    assert_eq!(c.local_ts, ["10.60.0.0/24".parse().unwrap()]);
}

#[test]
fn mvc_swanctl_is_reported_unsupported() {
    let set = common::load("opnsense_legacy.xml");
    assert!(set
        .diagnostics
        .iter()
        .any(|d| matches!(d, ConfigError::Unsupported { .. })));
}
