//! glxsb crypto hardware with AES-256, MSS clamping off, and a box with
//! weak algorithms (3DES/MD5/MODP1024, aggressive mode with PSK).
mod common;

use ipsec_doctor_config::{ConfigError, IdentityKind, IkeVersion, ProposalError};

#[test]
fn glxsb_with_aes256() {
    let set = common::load("pfsense_glxsb_aes256.xml");
    assert_eq!(set.host.crypto_hardware, ["glxsb"]);
    assert!(!set.host.mss_clamping.enabled);
    let t = &set.tunnels[0];
    assert_eq!(t.ike_version, IkeVersion::V1);
    assert_eq!(t.local_addrs, ["wan"], "PPPoE address is dynamic");
    assert_eq!(
        t.ike_proposals,
        ["IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048"]
    );
    assert_eq!(t.dpd_delay, Some(10));
    assert_eq!(t.dpd_timeout, Some(60), "IKEv1: delay * (maxfail + 1)");
    assert_eq!(t.ike_rekey_time, None, "no IKEv1 rekeying");
    assert_eq!(t.ike_reauth_time, Some(25920));
    let c = &t.children[0];
    assert_eq!(c.name, "con1_1");
    assert_eq!(
        c.esp_proposals,
        ["ESP:AES_CBC_256/HMAC_SHA1_96/MODP_2048/NO_EXT_SEQ"]
    );
}

#[test]
fn weak_legacy_layout() {
    let set = common::load("pfsense_weak_legacy.xml");
    let t = &set.tunnels[0];
    assert!(t.aggressive);
    assert_eq!(t.ike_version, IkeVersion::V1);
    assert_eq!(t.psk.as_deref(), Some("password"));
    assert_eq!(t.remote_id.as_ref().unwrap().kind, IdentityKind::KeyId);
    assert_eq!(t.ike_proposals_configured, ["3des-md5-modp1024"]);
    assert_eq!(
        t.ike_proposals,
        ["IKE:3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024"]
    );
    let c = &t.children[0];
    assert_eq!(
        c.esp_proposals,
        [
            "ESP:3DES_CBC/HMAC_MD5_96/MODP_1024/NO_EXT_SEQ",
            "ESP:BLOWFISH_CBC_128/HMAC_MD5_96/MODP_1024/NO_EXT_SEQ"
        ]
    );
    assert_eq!(c.lifetime, Some(28800));
}

#[test]
fn unknown_phase2_algorithm_is_diagnosed_and_skipped() {
    let set = common::load("pfsense_weak_legacy.xml");
    let c = &set.tunnels[0].children[1];
    assert!(c.esp_proposals.is_empty());
    assert!(set.diagnostics.iter().any(|d| matches!(
        d,
        ConfigError::UnknownProposalKeyword { keyword, source: ProposalError::UnknownKeyword { .. }, line, .. }
            if keyword == "rijndael" && *line > 0
    )), "{:?}", set.diagnostics);
}
