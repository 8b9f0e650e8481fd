//! A box with a CARP VIP on WAN, one phase 1 on the WAN interface and one
//! on the VIP.
mod common;

use ipsec_doctor_config::ConfigError;

#[test]
fn vips_are_extracted() {
    let set = common::load("pfsense_carp_vip.xml");
    let v = &set.host.virtual_ips;
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].mode, "carp");
    assert_eq!(v[0].interface, "wan");
    assert_eq!(v[0].address, Some("203.0.113.1".parse().unwrap()));
    assert_eq!(v[0].subnet_bits, Some(28));
    assert_eq!(v[0].vhid, Some(1));
    assert_eq!(v[0].uniqid.as_deref(), Some("61e5c3b1a9f0e"));
    assert_eq!(v[1].mode, "ipalias");
}

#[test]
fn phase1_on_wan_uses_interface_address_not_vip() {
    let set = common::load("pfsense_carp_vip.xml");
    let wan = set.tunnel("con7").unwrap();
    assert_eq!(wan.interface.as_deref(), Some("wan"));
    assert_eq!(wan.local_addrs, ["203.0.113.2"]);
    let vip = set.tunnel("con8").unwrap();
    assert_eq!(vip.interface.as_deref(), Some("_vip61e5c3b1a9f0e"));
    assert_eq!(vip.local_addrs, ["203.0.113.1"]);
    assert!(vip.children.is_empty());
}

#[test]
fn split_connections_children_and_lanip() {
    let set = common::load("pfsense_carp_vip.xml");
    let wan = set.tunnel("con7").unwrap();
    assert_eq!(wan.children.len(), 2);
    assert_eq!(wan.children[0].name, "con7_11");
    assert_eq!(wan.children[1].name, "con7_12");
    assert_eq!(wan.children[1].local_ts, ["10.30.0.2/32".parse().unwrap()]);
    assert!(wan.children[1].disabled);
    assert_eq!(
        wan.ike_proposals,
        ["IKE:AES_CBC_256/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/ECP_521"]
    );
}

#[test]
fn orphan_phase2_is_a_diagnostic() {
    let set = common::load("pfsense_carp_vip.xml");
    assert_eq!(set.diagnostics.len(), 1);
    match &set.diagnostics[0] {
        ConfigError::UnresolvedReference { line, message, .. } => {
            assert!(*line > 100);
            assert!(message.contains("99"));
        }
        other => panic!("unexpected {other:?}"),
    }
}
