//! Legacy ipsec.conf with %default, also=, strict '!', include and
//! ipsec.secrets.
mod common;

use ipsec_doctor_config::ipsec_conf::parse_ipsec_conf_with_secrets;
use ipsec_doctor_config::{AuthMethod, ConfigError, Format, IdentityKind, IkeVersion};

fn load() -> ipsec_doctor_config::ConfigSet {
    let fs = common::fixture_fs();
    parse_ipsec_conf_with_secrets(
        "ipsec/ipsec.conf",
        &common::read("ipsec/ipsec.conf"),
        Some(("ipsec/ipsec.secrets", &common::read("ipsec/ipsec.secrets"))),
        &fs,
    )
    .expect("ipsec.conf fixture parses")
}

#[test]
fn detects_format_and_lists_conns() {
    let set = common::load("ipsec/ipsec.conf");
    assert_eq!(set.source, Format::IpsecConf);
    let names: Vec<&str> = set.tunnels.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["common-crypto", "site-b", "legacy-v1", "cert-peer"]);
}

#[test]
fn default_and_also_and_strict() {
    let set = load();
    let t = set.tunnel("site-b").unwrap();
    assert_eq!(t.origin.line, 21);
    assert_eq!(t.ike_version, IkeVersion::V2);
    assert_eq!(t.local_addrs, ["192.0.2.1"]);
    assert_eq!(t.remote_addrs, ["198.51.100.20"]);
    assert_eq!(t.local_id.as_ref().unwrap().kind, IdentityKind::Fqdn);
    assert!(t.ike_proposals_strict);
    assert_eq!(
        t.ike_proposals,
        ["IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"]
    );
    assert_eq!(t.local_auth, Some(AuthMethod::Psk));
    assert_eq!(t.psk.as_deref(), Some("site-b-secret"));
    assert_eq!(t.dpd_delay, Some(30));
    assert_eq!(t.ike_lifetime, Some(10800));
    assert_eq!(t.ike_reauth_time, Some(10260));
    let c = &t.children[0];
    assert!(c.esp_strict);
    assert_eq!(
        c.esp_proposals,
        ["ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"]
    );
    assert_eq!(c.local_ts, ["10.1.0.0/16".parse().unwrap()]);
    assert_eq!(c.remote_ts.len(), 2);
    assert_eq!(c.lifetime, Some(3600));
    assert_eq!(c.rekey_time, Some(3060));
    assert_eq!(c.dpd_action.as_deref(), Some("restart"));
    assert_eq!(c.start_action.as_deref(), Some("start"));
}

#[test]
fn non_strict_appends_defaults() {
    let set = load();
    let t = set.tunnel("legacy-v1").unwrap();
    assert_eq!(t.ike_version, IkeVersion::V1);
    assert!(t.aggressive);
    assert!(t.encap_forced);
    assert!(!t.ike_proposals_strict);
    assert_eq!(
        t.ike_proposals[0],
        "IKE:3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024"
    );
    assert_eq!(
        t.ike_proposals.len(),
        3,
        "configured + default + default AEAD"
    );
    assert_eq!(t.psk.as_deref(), Some("legacy"), "0x hex decoded");
    let c = &t.children[0];
    assert!(!c.esp_strict);
    assert_eq!(c.esp_proposals[0], "ESP:3DES_CBC/HMAC_MD5_96/NO_EXT_SEQ");
    assert_eq!(c.esp_proposals.len(), 3);
}

#[test]
fn included_conn_and_unresolved_also() {
    let set = load();
    let t = set.tunnel("cert-peer").unwrap();
    assert_eq!(t.origin.path, "ipsec/ipsec.d/cert.conf");
    assert_eq!(t.ike_version, IkeVersion::Any);
    assert_eq!(t.local_auth, Some(AuthMethod::PubKey));
    assert_eq!(
        t.local_id.as_ref().unwrap().raw,
        "C=CH, O=strongSwan, CN=moon"
    );
    assert_eq!(t.remote_id.as_ref().unwrap().kind, IdentityKind::Any);
    assert_eq!(
        t.ike_proposals,
        ["IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519"]
    );
    assert_eq!(
        t.children[0].esp_proposals,
        ["ESP:AES_GCM_16_128/NO_EXT_SEQ"]
    );
    assert_eq!(t.children[0].lifetime, Some(7200));
    assert_eq!(t.psk, None);
    assert!(set.diagnostics.iter().any(|d| matches!(
        d,
        ConfigError::UnresolvedReference { message, line: 12, .. } if message.contains("missing-section")
    )));
}
