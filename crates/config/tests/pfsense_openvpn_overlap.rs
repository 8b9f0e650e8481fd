//! A box whose OpenVPN tunnel network overlaps a phase 2 remote network.
mod common;

use ipsec_doctor_config::{IdentityKind, IkeVersion};

#[test]
fn openvpn_networks_are_extracted() {
    let set = common::load("pfsense_openvpn_overlap.xml");
    let ov = &set.host.openvpn;
    assert_eq!(ov.len(), 2);
    assert_eq!(ov[0].role, "server");
    assert_eq!(
        ov[0].tunnel_network,
        Some("172.16.10.0/24".parse().unwrap())
    );
    assert_eq!(ov[0].tunnel_network_v6, None);
    assert!(!ov[0].disabled);
    assert_eq!(ov[1].role, "client");
    assert!(ov[1].disabled);
}

#[test]
fn overlap_is_visible_in_the_model() {
    let set = common::load("pfsense_openvpn_overlap.xml");
    let remote = set.tunnels[0].children[0].remote_ts[0];
    let ovpn = set.host.openvpn[0].tunnel_network.unwrap();
    assert_eq!(remote, "172.16.0.0/16".parse().unwrap());
    assert!(remote.contains(&ovpn));
}

#[test]
fn fqdn_ids_multiple_p1_items_and_auto_keylen() {
    let set = common::load("pfsense_openvpn_overlap.xml");
    let t = &set.tunnels[0];
    assert_eq!(t.ike_version, IkeVersion::V2);
    assert_eq!(t.local_addrs, ["wan"], "DHCP WAN address is not static");
    assert_eq!(t.remote_addrs, ["vpn.partner.example"]);
    assert_eq!(t.local_id.as_ref().unwrap().kind, IdentityKind::Fqdn);
    assert_eq!(t.local_id.as_ref().unwrap().value, "fw-ovpn.example.net");
    assert_eq!(
        t.remote_id.as_ref().unwrap().raw,
        "fqdn:vpn.partner.example"
    );
    assert!(t.encap_forced);
    assert_eq!(
        t.ike_proposals,
        [
            "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384",
            "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256"
        ]
    );
    let c = &t.children[0];
    assert_eq!(c.local_ts, ["192.168.50.0/24".parse().unwrap()]);
    assert_eq!(
        c.esp_proposals_configured,
        [
            "aes256-sha256",
            "aes256-sha1",
            "aes192-sha256",
            "aes192-sha1",
            "aes128-sha256",
            "aes128-sha1"
        ]
    );
    assert_eq!(
        c.esp_proposals[0],
        "ESP:AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ"
    );
    assert!(c.pfs_groups.is_empty(), "pfsgroup 0 means no PFS");
}
