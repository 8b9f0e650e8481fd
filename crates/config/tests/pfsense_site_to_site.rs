//! Two pfSense boxes with a matching site-to-site tunnel.
mod common;

use ipsec_doctor_config::{AuthMethod, ChildMode, Format, IdentityKind, IkeVersion};

#[test]
fn site_a_phase1_is_normalised() {
    let set = common::load("pfsense_site_a.xml");
    assert_eq!(set.source, Format::PfSense);
    assert!(set.diagnostics.is_empty(), "{:?}", set.diagnostics);
    assert_eq!(set.tunnels.len(), 1);
    let t = &set.tunnels[0];
    assert_eq!(t.name, "con1");
    assert_eq!(t.ikeid.as_deref(), Some("1"));
    assert_eq!(t.description.as_deref(), Some("Site B"));
    assert_eq!(t.ike_version, IkeVersion::V2);
    assert!(!t.aggressive);
    assert_eq!(t.interface.as_deref(), Some("wan"));
    assert_eq!(t.local_addrs, ["203.0.113.10"]);
    assert_eq!(t.remote_addrs, ["198.51.100.20"]);
    assert!(matches!(
        t.local_id.as_ref().unwrap().kind,
        IdentityKind::Address(_)
    ));
    assert_eq!(t.remote_id.as_ref().unwrap().raw, "198.51.100.20");
    assert_eq!(t.local_auth, Some(AuthMethod::Psk));
    assert_eq!(t.remote_auth, Some(AuthMethod::Psk));
    assert_eq!(t.psk.as_deref(), Some("Correct-Horse-Battery-Staple"));
    // prf-algorithm is ignored unless prfselect_enable = yes
    assert_eq!(t.ike_proposals_configured, ["aes256-sha256-modp2048"]);
    assert_eq!(
        t.ike_proposals,
        ["IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"]
    );
    assert!(t.ike_proposals_strict);
    assert_eq!(t.dpd_delay, Some(10));
    assert_eq!(t.dpd_timeout, None, "IKEv2 uses retransmission timeouts");
    assert!(!t.encap_forced);
    assert!(t.nat_traversal);
    assert_eq!(t.ike_lifetime, Some(28800));
    assert_eq!(t.ike_rekey_time, Some(25920));
    assert_eq!(t.ike_reauth_time, Some(0));
}

#[test]
fn site_a_phase2_resolves_lan_and_orders_aead_first() {
    let set = common::load("pfsense_site_a.xml");
    let c = &set.tunnels[0].children[0];
    assert_eq!(c.name, "con1", "IKEv2 without split connections: one child");
    assert_eq!(c.mode, ChildMode::Tunnel);
    assert_eq!(c.local_ts, ["10.10.0.0/24".parse().unwrap()]);
    assert_eq!(c.remote_ts, ["10.20.0.0/24".parse().unwrap()]);
    assert_eq!(
        c.esp_proposals_configured,
        ["aes128gcm128-modp2048", "aes256-sha256-modp2048"]
    );
    assert_eq!(
        c.esp_proposals,
        [
            "ESP:AES_GCM_16_128/MODP_2048/NO_EXT_SEQ",
            "ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"
        ]
    );
    assert_eq!(c.pfs_groups, ["MODP_2048"]);
    assert_eq!(c.lifetime, Some(3600));
    assert_eq!(c.rekey_time, Some(3240));
    assert_eq!(c.ping_host, Some("10.20.0.1".parse().unwrap()));
}

#[test]
fn both_sides_mirror_each_other() {
    let a = common::load("pfsense_site_a.xml");
    let b = common::load("pfsense_site_b.xml");
    let (ta, tb) = (&a.tunnels[0], &b.tunnels[0]);
    assert_eq!(ta.local_addrs, tb.remote_addrs);
    assert_eq!(ta.remote_addrs, tb.local_addrs);
    assert_eq!(ta.ike_proposals, tb.ike_proposals);
    assert_eq!(ta.psk, tb.psk);
    let (ca, cb) = (&ta.children[0], &tb.children[0]);
    assert_eq!(ca.local_ts, cb.remote_ts);
    assert_eq!(ca.remote_ts, cb.local_ts);
    assert_eq!(ca.esp_proposals, cb.esp_proposals);
}

#[test]
fn host_settings_site_a() {
    let set = common::load("pfsense_site_a.xml");
    let h = &set.host;
    assert_eq!(h.hostname.as_deref(), Some("fw-a"));
    assert_eq!(h.crypto_hardware, ["aesni", "cryptodev"]);
    assert!(h.mss_clamping.enabled);
    assert_eq!(h.mss_clamping.value, Some(1350));
    let wan = h.interface("wan").unwrap();
    assert_eq!(wan.device.as_deref(), Some("igb0"));
    assert_eq!(wan.network, Some("203.0.113.0/24".parse().unwrap()));
    assert!(wan.enabled);
    assert_eq!(h.outbound_nat.mode.as_deref(), Some("automatic"));
    assert!(h.outbound_nat.rules.is_empty());
}

#[test]
fn model_serialises() {
    let set = common::load("pfsense_site_a.xml");
    let dbg = format!("{set:?}");
    assert!(dbg.contains("con1"));
}
