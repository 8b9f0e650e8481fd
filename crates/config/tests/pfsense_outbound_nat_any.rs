//! A box with an outbound NAT rule whose source is any, plus tunables.
mod common;

use ipsec_doctor_config::{AuthMethod, IdentityKind, IkeVersion};

#[test]
fn outbound_nat_rules() {
    let set = common::load("pfsense_nat_any.xml");
    let nat = &set.host.outbound_nat;
    assert_eq!(nat.mode.as_deref(), Some("hybrid"));
    assert_eq!(nat.rules.len(), 2);
    let r = &nat.rules[0];
    assert_eq!(r.source.as_deref(), Some("any"));
    assert_eq!(r.destination.as_deref(), Some("any"));
    assert_eq!(r.interface.as_deref(), Some("wan"));
    assert_eq!(r.target, None);
    assert!(r.static_port);
    assert!(!r.disabled);
    assert!(r.origin.line > 0);
    let r2 = &nat.rules[1];
    assert_eq!(r2.source.as_deref(), Some("10.1.1.0/24"));
    assert!(r2.destination_not);
    assert!(r2.disabled);
    assert_eq!(r2.target.as_deref(), Some("192.0.2.3"));
}

#[test]
fn tunables_and_mss_default() {
    let set = common::load("pfsense_nat_any.xml");
    let t = &set.host.tunables;
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].name, "net.inet.ipsec.async_crypto");
    assert_eq!(t[0].value, "1");
    assert_eq!(t[1].value, "default");
    assert!(set.host.mss_clamping.enabled);
    assert_eq!(set.host.mss_clamping.value, None, "pfSense then uses 1400");
}

#[test]
fn auto_version_cert_auth_and_gcm_auto() {
    let set = common::load("pfsense_nat_any.xml");
    let t = &set.tunnels[0];
    assert_eq!(t.ike_version, IkeVersion::Any);
    assert!(!t.aggressive);
    assert_eq!(t.local_auth, Some(AuthMethod::PubKey));
    assert_eq!(t.remote_id.as_ref().unwrap().kind, IdentityKind::UserFqdn);
    assert_eq!(
        t.ike_proposals,
        ["IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519"]
    );
    // auto version: rekey like IKEv2, no reauth by default
    assert_eq!(t.ike_rekey_time, Some(14400));
    let c = &t.children[0];
    assert_eq!(c.name, "con1_2", "auto (not ikev2) uses per-P2 children");
    assert_eq!(c.remote_ts, ["10.2.2.5/32".parse().unwrap()]);
    assert_eq!(
        c.esp_proposals,
        [
            "ESP:AES_GCM_16_256/CURVE_25519/NO_EXT_SEQ",
            "ESP:AES_GCM_12_256/CURVE_25519/NO_EXT_SEQ",
            "ESP:AES_GCM_8_256/CURVE_25519/NO_EXT_SEQ"
        ]
    );
    assert_eq!(c.pfs_groups, ["CURVE_25519"]);
    assert_eq!(c.lifetime, None);
}
