//! swanctl.conf with include, secrets, defaults and recoverable errors.
mod common;

use ipsec_doctor_config::{
    parse, AuthMethod, ChildMode, ConfigError, Format, IdentityKind, IkeVersion, NoIncludes,
};

#[test]
fn main_connection() {
    let set = common::load("swanctl/swanctl.conf");
    assert_eq!(set.source, Format::Swanctl);
    let t = set.tunnel("hq-dc").unwrap();
    assert_eq!(t.origin.path, "swanctl/swanctl.conf");
    assert_eq!(t.origin.line, 5);
    assert_eq!(t.ike_version, IkeVersion::V2);
    assert_eq!(t.remote_addrs, ["198.51.100.10", "dc.example.org"]);
    assert_eq!(
        t.ike_proposals,
        [
            "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384",
            "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"
        ]
    );
    assert!(t.encap_forced);
    assert_eq!(t.dpd_delay, Some(30));
    assert_eq!(t.ike_rekey_time, Some(14400));
    assert_eq!(t.ike_lifetime, Some(15000));
    assert_eq!(t.local_auth, Some(AuthMethod::PubKey));
    assert_eq!(t.local_id.as_ref().unwrap().kind, IdentityKind::Asn1Dn);
    assert_eq!(t.remote_id.as_ref().unwrap().kind, IdentityKind::Fqdn);
    assert_eq!(t.psk, None);

    let c = &t.children[0];
    assert_eq!(c.name, "dc-net");
    assert_eq!(c.local_ts.len(), 2);
    assert_eq!(c.remote_ts, ["10.2.0.0/16".parse().unwrap()]);
    assert_eq!(c.pfs_groups, ["ECP_384", "MODP_2048"]);
    assert_eq!(c.rekey_time, Some(3600));
    assert_eq!(c.lifetime, Some(3960));
    assert_eq!(c.start_action.as_deref(), Some("trap"));
    assert_eq!(c.dpd_action.as_deref(), Some("restart"));

    let h = &t.children[1];
    assert_eq!(h.mode, ChildMode::Transport);
    assert!(h.local_ts.is_empty(), "dynamic");
    assert_eq!(h.remote_ts, ["10.2.5.5/32".parse().unwrap()]);
    assert_eq!(
        h.esp_proposals[0],
        "ESP:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/NO_EXT_SEQ"
    );
    assert_eq!(h.esp_proposals.len(), 2);
}

#[test]
fn included_connection_and_secret() {
    let set = common::load("swanctl/swanctl.conf");
    let t = set.tunnel("branch").unwrap();
    assert_eq!(t.origin.path, "swanctl/conf.d/branch.conf");
    assert_eq!(t.origin.line, 2);
    assert_eq!(t.ike_version, IkeVersion::V1);
    assert!(t.aggressive);
    assert_eq!(t.remote_addrs, ["%any"]);
    assert_eq!(
        t.ike_proposals,
        ["IKE:3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024"]
    );
    assert_eq!(t.local_auth, Some(AuthMethod::Psk));
    assert_eq!(
        t.psk.as_deref(),
        Some("Branch-Secret"),
        "0s base64 decoded, best id match"
    );
    let c = &t.children[0];
    assert_eq!(
        c.esp_proposals,
        [
            "ESP:AES_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ",
            "ESP:3DES_CBC/HMAC_MD5_96/NO_EXT_SEQ"
        ]
    );
}

#[test]
fn typo_connection_keeps_valid_parts_and_reports_errors() {
    let set = common::load("swanctl/swanctl.conf");
    let t = set.tunnel("typo").unwrap();
    assert_eq!(t.ike_version, IkeVersion::Any);
    assert_eq!(
        t.ike_proposals,
        ["IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519"]
    );
    assert_eq!(
        t.psk.as_deref(),
        Some("fallback secret"),
        "secret without ids"
    );
    let sha265 = set.diagnostics.iter().find_map(|d| match d {
        ConfigError::UnknownProposalKeyword {
            keyword,
            path,
            line,
            ..
        } if keyword == "sha265" => Some((path.clone(), *line)),
        _ => None,
    });
    assert_eq!(sha265, Some(("swanctl/conf.d/typo.conf".to_string(), 4)));
    // swanctl has no '!' strict marker: it is an unknown keyword there
    assert!(set.diagnostics.iter().any(|d| matches!(
        d,
        ConfigError::UnknownProposalKeyword { keyword, .. } if keyword == "modp3072!"
    )));
    assert!(set.diagnostics.iter().any(|d| matches!(
        d,
        ConfigError::InvalidValue { key, .. } if key == "remote_ts"
    )));
    assert_eq!(t.children[0].remote_ts, ["10.77.0.0/16".parse().unwrap()]);
}

#[test]
fn missing_include_is_a_diagnostic() {
    let conf = "connections {\n  a {\n    remote_addrs = 1.2.3.4\n  }\n}\ninclude /etc/swanctl/extra.conf\n";
    let set = parse("/etc/swanctl/swanctl.conf", conf, &NoIncludes).unwrap();
    assert_eq!(set.tunnels.len(), 1);
    assert!(matches!(
        &set.diagnostics[0],
        ConfigError::IncludeNotFound { line: 6, pattern, .. } if pattern == "/etc/swanctl/extra.conf"
    ));
    // default proposals when none configured
    assert_eq!(set.tunnels[0].ike_proposals.len(), 2);
}

#[test]
fn include_loop_is_bounded() {
    let f = |p: &str| (p == "/a.conf").then(|| "include /a.conf\n".to_string());
    let e = parse("/a.conf", "connections {\n}\ninclude /a.conf\n", &f).unwrap_err();
    assert!(matches!(e, ConfigError::IncludeDepth { .. }));
}

#[test]
fn closure_resolver_and_relative_include() {
    let f = |p: &str| {
        (p == "/etc/swanctl/conf.d/x.conf")
            .then(|| "connections {\n x {\n  version = 2\n }\n}\n".to_string())
    };
    let set = parse(
        "/etc/swanctl/swanctl.conf",
        "connections {\n}\ninclude conf.d/x.conf\n",
        &f,
    )
    .unwrap();
    assert_eq!(set.tunnels[0].name, "x");
    assert_eq!(set.tunnels[0].origin.path, "/etc/swanctl/conf.d/x.conf");
}
