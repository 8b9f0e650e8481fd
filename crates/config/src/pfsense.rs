//! pfSense / OPNsense `config.xml` parser.
//!
//! Element names were confirmed against pfSense's own sources
//! (`src/etc/inc/ipsec.inc`, `src/usr/local/www/vpn_ipsec_phase1.php`,
//! `vpn_ipsec_phase2.php`, `src/etc/inc/filter.inc`, `openvpn.inc`,
//! `system.inc`, `interfaces.inc`, `pfsense-utils.inc`,
//! `upgrade_config.inc`, `system_advanced_firewall.php`) and OPNsense's
//! `src/etc/inc/plugins.inc.d/ipsec.inc`:
//!
//! * `<ipsec><phase1>`: `ikeid`, `iketype` (`ikev1`/`ikev2`/`auto`; empty
//!   means IKEv1), `mode` (`main`/`aggressive`, only used for IKEv1/auto),
//!   `interface` (`wan`, `opt1`, `_vip<uniqid>`), `remote-gateway`,
//!   `protocol` (`inet`/`inet6`/`both`), `myid_type`/`myid_data`,
//!   `peerid_type`/`peerid_data`, `authentication_method`,
//!   `pre-shared-key`, `encryption/item` (`encryption-algorithm/name`,
//!   `encryption-algorithm/keylen`, `hash-algorithm`, `prf-algorithm`,
//!   `dhgroup`; the PRF is only used when `prfselect_enable` is `yes`),
//!   `lifetime`, `rekey_time`, `reauth_time`, `nat_traversal`
//!   (`on`/`force`), `dpd_delay`, `dpd_maxfail`, `mobile`, `splitconn`,
//!   `disabled`, `descr`. Older pfSense releases and OPNsense keep
//!   `encryption-algorithm`, `hash-algorithm` and `dhgroup` (comma lists in
//!   OPNsense) directly in `<phase1>`; both layouts are read.
//! * `<ipsec><phase2>`: `ikeid`, `reqid`, `uniqid`, `mode`
//!   (`tunnel`/`tunnel6`/`transport`/`vti`; OPNsense also `route-based`),
//!   `localid`/`remoteid`/`natlocalid` with `type` (`address`, `network`,
//!   `none`, `mobile`, or an interface name meaning that interface's
//!   subnet), `address`, `netbits`; `protocol` (`esp`/`ah`), repeated
//!   `encryption-algorithm-option` (`name`, `keylen`, `keylen` may be
//!   `auto`), repeated `hash-algorithm-option` (`hmac_sha256`…), `pfsgroup`,
//!   `lifetime`, `rekey_time`, `pinghost`, `disabled`, `descr`.
//! * Proposal keywords are built like pfSense's
//!   `ipsec_setup_proposal_algo()`: `<name><keylen>-<hash>[-prf<prf>]-<modp>`
//!   with DH group numbers mapped by `ipsec_convert_to_modp()`; phase 2 AEAD
//!   ciphers are put first (pfSense issue 11078) and `keylen=auto` expands
//!   from the highest key size down.
//! * Connection names follow `ipsec_conid()`: `con<ikeid>` for the IKE SA;
//!   children are `con<ikeid>_<reqid>` for IKEv1 or split connections, and
//!   `con<ikeid>` otherwise (pfSense then merges all phase 2 entries into
//!   that one CHILD_SA; this model keeps one [`Child`] per phase 2).
//! * Host settings: `<interfaces>/<name>` (`if`, `descr`, `ipaddr`,
//!   `subnet`, `ipaddrv6`, `subnetv6`, `mtu`, `enable`),
//!   `<virtualip><vip>` (`mode`, `interface`, `subnet`, `subnet_bits`,
//!   `vhid`, `uniqid`, `descr`), `<openvpn><openvpn-server|openvpn-client>`
//!   (`vpnid`, `tunnel_network`, `tunnel_networkv6`, `disable`,
//!   `description`), `<nat><outbound><mode>` (`automatic`, `hybrid`,
//!   `advanced`, `disabled`) and `<rule>` (`interface`, `source/network` or
//!   `source/any`, `destination`, `target`, `staticnatport`, `nonat`,
//!   `disabled`, `descr`), `<sysctl><item>` (`tunable`, `value`),
//!   MSS clamping in `<system><maxmss_enable>`/`<system><maxmss>` (it is a
//!   System > Advanced > Firewall & NAT setting, *not* under `<ipsec>`;
//!   an `<ipsec>` copy is accepted as a fallback), and
//!   `<system><crypto_hardware>` (`aesni`, `cryptodev`, `aesni_cryptodev`,
//!   legacy `glxsb`).
//!
//! Not supported: OPNsense's newer MVC configuration
//! (`<OPNsense><Swanctl>` connections/children) — its presence is reported
//! as an [`ConfigError::Unsupported`] diagnostic; pfSense mobile client pools
//! (`<ipsec><client>`), certificates (`<cert>`, `<ca>`), `<ipsec><mobilekey>`
//! and per-user keys, hostname resolution of `remote-gateway`, and
//! interface addresses obtained by DHCP/PPPoE (those stay unresolved).

use crate::error::{check_size, ConfigError};
use crate::model::{
    parse_subnet, AuthMethod, Child, ChildMode, ConfigSet, Format, HostSettings, Identity,
    IkeVersion, Interface, MssClamping, OpenVpnNetwork, Origin, OutboundNat, OutboundNatRule,
    Tunable, Tunnel, VirtualIp,
};
use crate::proposal::{default_proposals, keyword_proposal_to_canonical, Protocol};
use ipnet::IpNet;
use roxmltree::{Document, Node, ParsingOptions};
use std::net::IpAddr;

/// Maximum number of XML nodes accepted (a large real config has well
/// under a million).
const MAX_NODES: u32 = 4_000_000;

struct Ctx<'a> {
    path: &'a str,
    /// Byte offsets at which each line starts (for O(log n) line lookup;
    /// `Document::text_pos_at` rescans from the start each time).
    line_starts: Vec<usize>,
    diags: Vec<ConfigError>,
    opnsense: bool,
}

impl<'a> Ctx<'a> {
    fn line(&self, n: Node<'_, '_>) -> u32 {
        let idx = self.line_starts.partition_point(|&s| s <= n.range().start);
        u32::try_from(idx).unwrap_or(u32::MAX)
    }
    fn origin(&self, n: Node<'_, '_>) -> Origin {
        Origin::new(self.path, self.line(n))
    }
    fn invalid(&mut self, n: Node<'_, '_>, key: &str, message: String) {
        let line = self.line(n);
        self.diags.push(ConfigError::InvalidValue {
            path: self.path.to_string(),
            line,
            key: key.to_string(),
            message,
        });
    }
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn node_text(n: Node<'_, '_>) -> String {
    n.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Trimmed, non-empty text of a child element.
fn text(n: Node<'_, '_>, name: &str) -> Option<String> {
    child(n, name).map(node_text).filter(|s| !s.is_empty())
}

/// pfSense booleans are "isset" flags: present means true, unless the text
/// explicitly says otherwise.
fn flag(n: Node<'_, '_>, name: &str) -> bool {
    match child(n, name) {
        None => false,
        Some(c) => !matches!(
            node_text(c).to_ascii_lowercase().as_str(),
            "false" | "no" | "0" | "off" | "disabled"
        ),
    }
}

fn num<T: std::str::FromStr>(ctx: &mut Ctx<'_>, n: Node<'_, '_>, name: &str) -> Option<T> {
    let t = text(n, name)?;
    match t.parse::<T>() {
        Ok(v) => Some(v),
        Err(_) => {
            if let Some(c) = child(n, name) {
                ctx.invalid(c, name, format!("'{t}' is not a number"));
            }
            None
        }
    }
}

/// pfSense's `ipsec_convert_to_modp()`.
pub fn dh_group_keyword(group: &str) -> Option<&'static str> {
    Some(match group.trim() {
        "1" => "modp768",
        "2" => "modp1024",
        "5" => "modp1536",
        "14" => "modp2048",
        "15" => "modp3072",
        "16" => "modp4096",
        "17" => "modp6144",
        "18" => "modp8192",
        "19" => "ecp256",
        "20" => "ecp384",
        "21" => "ecp521",
        "22" => "modp1024s160",
        "23" => "modp2048s224",
        "24" => "modp2048s256",
        "25" => "ecp192",
        "26" => "ecp224",
        "27" => "ecp224bp",
        "28" => "ecp256bp",
        "29" => "ecp384bp",
        "30" => "ecp512bp",
        "31" => "curve25519",
        "32" => "curve448",
        _ => return None,
    })
}

/// Build a strongSwan keyword proposal from pfSense GUI values, as
/// pfSense's `ipsec_setup_proposal_algo()` does: encryption name + key
/// length, `-hash` (with `hmac_` removed), `-prf<prf>`, `-<modp>`.
///
/// ```
/// use ipsec_doctor_config::pfsense::pfsense_proposal_keywords;
/// assert_eq!(
///     pfsense_proposal_keywords(Some("aes"), Some("256"), Some("sha256"), None, Some("14")),
///     "aes256-sha256-modp2048"
/// );
/// ```
pub fn pfsense_proposal_keywords(
    ealg: Option<&str>,
    keylen: Option<&str>,
    hash: Option<&str>,
    prf: Option<&str>,
    dhgroup: Option<&str>,
) -> String {
    let mut p = String::new();
    if let Some(e) = ealg.filter(|s| !s.is_empty()) {
        p.push_str(e);
    }
    if let Some(k) = keylen.filter(|s| !s.is_empty() && *s != "0") {
        p.push_str(k);
    }
    if let Some(h) = hash.filter(|s| !s.is_empty()) {
        if !p.is_empty() {
            p.push('-');
        }
        p.push_str(&h.replace("hmac_", ""));
    }
    if let Some(f) = prf.filter(|s| !s.is_empty()) {
        p.push_str("-prf");
        p.push_str(f);
    }
    if let Some(m) = dhgroup.and_then(dh_group_keyword) {
        p.push('-');
        p.push_str(m);
    }
    p
}

/// Key lengths pfSense tries for `keylen=auto` (`$p2_ealgos` keysel,
/// highest first).
fn auto_keylens(name: &str) -> Vec<&'static str> {
    match name {
        "aes" | "camellia" | "blowfish" => vec!["256", "192", "128"],
        "aes128gcm" | "aes192gcm" | "aes256gcm" => vec!["128", "96", "64"],
        _ => vec![""],
    }
}

fn parse_host(ctx: &mut Ctx<'_>, root: Node<'_, '_>) -> HostSettings {
    let mut h = HostSettings::default();
    let system = child(root, "system");
    if let Some(sys) = system {
        h.hostname = text(sys, "hostname");
        if let Some(hw) = text(sys, "crypto_hardware") {
            h.crypto_hardware = hw
                .split('_')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
        }
        if flag(sys, "glxsb_enable") && h.crypto_hardware.is_empty() {
            h.crypto_hardware.push("glxsb".into());
        }
    }
    let mss_from = |n: Node<'_, '_>, ctx: &mut Ctx<'_>| -> Option<MssClamping> {
        if child(n, "maxmss_enable").is_none() && child(n, "maxmss").is_none() {
            return None;
        }
        Some(MssClamping {
            enabled: flag(n, "maxmss_enable"),
            value: num(ctx, n, "maxmss"),
        })
    };
    let mut mss = system.and_then(|s| mss_from(s, ctx));
    if mss.is_none() {
        if let Some(ipsec) = child(root, "ipsec") {
            mss = mss_from(ipsec, ctx);
        }
    }
    h.mss_clamping = mss.unwrap_or_default();

    if let Some(ifs) = child(root, "interfaces") {
        for i in ifs.children().filter(|c| c.is_element()) {
            let ipaddr = text(i, "ipaddr");
            let subnet_bits: Option<u8> = num(ctx, i, "subnet");
            let network = match (&ipaddr, subnet_bits) {
                (Some(a), Some(b)) => a
                    .parse::<IpAddr>()
                    .ok()
                    .and_then(|a| IpNet::new(a, b).ok())
                    .map(|n| n.trunc()),
                _ => None,
            };
            h.interfaces.push(Interface {
                name: i.tag_name().name().to_string(),
                device: text(i, "if"),
                description: text(i, "descr"),
                ipaddr,
                subnet_bits,
                network,
                ipaddrv6: text(i, "ipaddrv6"),
                subnetv6_bits: num(ctx, i, "subnetv6"),
                mtu: num(ctx, i, "mtu"),
                enabled: flag(i, "enable"),
            });
        }
    }
    if let Some(v) = child(root, "virtualip") {
        for vip in children(v, "vip") {
            let address = text(vip, "subnet").and_then(|s| s.parse().ok());
            h.virtual_ips.push(VirtualIp {
                mode: text(vip, "mode").unwrap_or_default(),
                interface: text(vip, "interface").unwrap_or_default(),
                address,
                subnet_bits: num(ctx, vip, "subnet_bits"),
                vhid: num(ctx, vip, "vhid"),
                uniqid: text(vip, "uniqid"),
                description: text(vip, "descr"),
            });
        }
    }
    if let Some(ovpn) = child(root, "openvpn") {
        for (tag, role) in [("openvpn-server", "server"), ("openvpn-client", "client")] {
            for inst in children(ovpn, tag) {
                let net = |ctx: &mut Ctx<'_>, key: &str| {
                    let t = text(inst, key)?;
                    let first = t.split(',').next().unwrap_or("").trim().to_string();
                    match parse_subnet(&first) {
                        Some(n) => Some(n),
                        None => {
                            if let Some(c) = child(inst, key) {
                                ctx.invalid(c, key, format!("'{t}' is not a network"));
                            }
                            None
                        }
                    }
                };
                let v4 = net(ctx, "tunnel_network");
                let v6 = net(ctx, "tunnel_networkv6");
                h.openvpn.push(OpenVpnNetwork {
                    role: role.to_string(),
                    vpnid: text(inst, "vpnid"),
                    description: text(inst, "description"),
                    tunnel_network: v4,
                    tunnel_network_v6: v6,
                    disabled: flag(inst, "disable"),
                });
            }
        }
    }
    if let Some(nat) = child(root, "nat") {
        if let Some(ob) = child(nat, "outbound") {
            let mut on = OutboundNat {
                mode: text(ob, "mode"),
                rules: Vec::new(),
            };
            for r in children(ob, "rule") {
                let endpoint = |n: Option<Node<'_, '_>>| -> (Option<String>, bool) {
                    match n {
                        None => (None, false),
                        Some(n) => {
                            let not = flag(n, "not");
                            if child(n, "any").is_some() {
                                (Some("any".into()), not)
                            } else {
                                let net = text(n, "network").or_else(|| text(n, "address"));
                                (net, not)
                            }
                        }
                    }
                };
                let (source, _) = endpoint(child(r, "source"));
                let (destination, destination_not) = endpoint(child(r, "destination"));
                on.rules.push(OutboundNatRule {
                    interface: text(r, "interface"),
                    source,
                    destination,
                    destination_not,
                    target: text(r, "target"),
                    static_port: flag(r, "staticnatport"),
                    no_nat: flag(r, "nonat"),
                    disabled: flag(r, "disabled"),
                    description: text(r, "descr"),
                    origin: ctx.origin(r),
                });
            }
            h.outbound_nat = on;
        }
    }
    if let Some(sysctl) = child(root, "sysctl") {
        for item in children(sysctl, "item") {
            if let Some(name) = text(item, "tunable") {
                h.tunables.push(Tunable {
                    name,
                    value: text(item, "value").unwrap_or_default(),
                });
            }
        }
    }
    h
}

/// The address charon would bind for a phase 1 `interface` value, when
/// it can be known statically.
fn interface_address(host: &HostSettings, iface: &str, v6: bool) -> Option<String> {
    if let Some(uniq) = iface.strip_prefix("_vip") {
        return host
            .virtual_ips
            .iter()
            .find(|v| v.uniqid.as_deref() == Some(uniq))
            .and_then(|v| v.address)
            .map(|a| a.to_string());
    }
    let i = host.interface(iface)?;
    let a = if v6 {
        i.ipaddrv6.as_deref()
    } else {
        i.ipaddr.as_deref()
    }?;
    a.parse::<IpAddr>().ok().map(|a| a.to_string())
}

fn build_identity(
    id_type: Option<&str>,
    data: Option<&str>,
    addr: Option<&str>,
) -> Option<Identity> {
    let data = data.unwrap_or("").trim();
    let raw = match id_type.unwrap_or("") {
        "" => return None,
        "myaddress" | "peeraddress" => addr?.to_string(),
        "address" => data.to_string(),
        "fqdn" | "dyn_dns" => format!("fqdn:{data}"),
        "user_fqdn" | "userfqdn" | "email" => format!("userfqdn:{data}"),
        "asn1dn" => {
            if data.starts_with('#') {
                format!("asn1dn:{data}")
            } else {
                data.to_string()
            }
        }
        "keyid tag" | "keyid" => format!("keyid:{data}"),
        "any" => "%any".to_string(),
        _ => data.to_string(), // "auto" and unknown types: automatic parsing
    };
    if raw.is_empty() {
        return None;
    }
    Some(Identity::parse(&raw))
}

fn auth_methods(method: &str) -> (AuthMethod, AuthMethod) {
    match method {
        "pre_shared_key" => (AuthMethod::Psk, AuthMethod::Psk),
        "xauth_psk_server" => (AuthMethod::Psk, AuthMethod::Xauth(Some("psk".into()))),
        "cert" | "rsasig" | "pubkey" | "pkcs11" => (AuthMethod::PubKey, AuthMethod::PubKey),
        "xauth_cert_server" | "xauth_rsa_server" => {
            (AuthMethod::PubKey, AuthMethod::Xauth(Some("pubkey".into())))
        }
        "hybrid_cert_server" | "hybrid_rsa_server" => (AuthMethod::PubKey, AuthMethod::Xauth(None)),
        "eap-tls" => (AuthMethod::PubKey, AuthMethod::Eap(Some("tls".into()))),
        "psk_eap-tls" => (AuthMethod::Psk, AuthMethod::Eap(Some("tls".into()))),
        "eap-mschapv2" | "rsa_eap-mschapv2" => {
            (AuthMethod::PubKey, AuthMethod::Eap(Some("mschapv2".into())))
        }
        "eap-radius" => (AuthMethod::PubKey, AuthMethod::Eap(Some("radius".into()))),
        other => (
            AuthMethod::Other(other.to_string()),
            AuthMethod::Other(other.to_string()),
        ),
    }
}

fn ike_keywords(ctx: &Ctx<'_>, p1: Node<'_, '_>) -> Vec<String> {
    let prf_enabled = text(p1, "prfselect_enable").as_deref() == Some("yes");
    let mut out = Vec::new();
    if let Some(enc) = child(p1, "encryption") {
        for item in children(enc, "item") {
            let ea = child(item, "encryption-algorithm");
            let name = ea.and_then(|e| text(e, "name"));
            let keylen = ea.and_then(|e| text(e, "keylen"));
            let hash = text(item, "hash-algorithm");
            if name.is_none() || hash.is_none() {
                continue; // pfSense skips incomplete items
            }
            let prf = if prf_enabled {
                text(item, "prf-algorithm")
            } else {
                None
            };
            out.push(pfsense_proposal_keywords(
                name.as_deref(),
                keylen.as_deref(),
                hash.as_deref(),
                prf.as_deref(),
                text(item, "dhgroup").as_deref(),
            ));
        }
        return out;
    }
    // legacy layout (pfSense < 2.4.4, OPNsense)
    let ea = child(p1, "encryption-algorithm");
    let name = ea.and_then(|e| text(e, "name"));
    let keylen = ea.and_then(|e| text(e, "keylen"));
    let (Some(name), Some(hashes)) = (name, text(p1, "hash-algorithm")) else {
        return out;
    };
    let groups = text(p1, "dhgroup").unwrap_or_default();
    for h in hashes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let gs: Vec<&str> = groups
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if gs.is_empty() {
            out.push(pfsense_proposal_keywords(
                Some(&name),
                keylen.as_deref(),
                Some(h),
                None,
                None,
            ));
        }
        for g in gs {
            out.push(pfsense_proposal_keywords(
                Some(&name),
                keylen.as_deref(),
                Some(h),
                None,
                Some(g),
            ));
        }
    }
    if ctx.opnsense {
        out.reverse(); // OPNsense emits array_reverse($list)
    }
    out
}

fn esp_keywords(ctx: &Ctx<'_>, p2: Node<'_, '_>) -> Vec<String> {
    let pfs = text(p2, "pfsgroup");
    let pfs = pfs.as_deref().filter(|g| *g != "0");
    let hashes: Vec<String> = children(p2, "hash-algorithm-option")
        .map(node_text)
        .filter(|s| !s.is_empty())
        .collect();
    let protocol = text(p2, "protocol").unwrap_or_else(|| "esp".into());
    if protocol == "ah" {
        return hashes
            .iter()
            .map(|h| pfsense_proposal_keywords(None, None, Some(h), None, pfs))
            .collect();
    }
    let mut classic = Vec::new();
    let mut aead = Vec::new();
    for opt in children(p2, "encryption-algorithm-option") {
        let Some(name) = text(opt, "name") else {
            continue;
        };
        let keylen = text(opt, "keylen").unwrap_or_default();
        let pairs: Vec<(String, String)> = if ctx.opnsense && name == "aes" && keylen == "auto" {
            ["128", "192", "256"]
                .iter()
                .map(|k| (name.clone(), (*k).to_string()))
                .collect()
        } else if keylen == "auto" {
            auto_keylens(&name)
                .into_iter()
                .map(|k| (name.clone(), k.to_string()))
                .collect()
        } else {
            vec![(name.clone(), keylen)]
        };
        if name.contains("gcm") && !ctx.opnsense {
            aead.push(pairs);
        } else {
            classic.push(pairs);
        }
    }
    aead.reverse();
    let mut out = Vec::new();
    for pairs in aead.into_iter().chain(classic) {
        for (name, keylen) in pairs {
            let is_aead = name.contains("gcm") || name.starts_with("chacha20poly1305");
            if !hashes.is_empty() && !is_aead {
                for h in &hashes {
                    out.push(pfsense_proposal_keywords(
                        Some(&name),
                        Some(&keylen),
                        Some(h),
                        None,
                        pfs,
                    ));
                }
            } else {
                out.push(pfsense_proposal_keywords(
                    Some(&name),
                    Some(&keylen),
                    None,
                    None,
                    pfs,
                ));
            }
        }
    }
    out
}

fn canonicalise(
    ctx: &mut Ctx<'_>,
    n: Node<'_, '_>,
    protocol: Protocol,
    keywords: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let line = ctx.line(n);
    for k in keywords {
        match keyword_proposal_to_canonical(protocol, k) {
            Ok(c) => {
                if !out.contains(&c) {
                    out.push(c)
                }
            }
            Err(e) => ctx.diags.push(ConfigError::proposal(ctx.path, line, e)),
        }
    }
    out
}

/// Resolve a phase 2 `localid`/`remoteid` into subnets.
fn id_to_nets(
    ctx: &mut Ctx<'_>,
    host: &HostSettings,
    id: Node<'_, '_>,
    mode: &str,
    key: &str,
    nets: &mut Vec<IpNet>,
    other: &mut Vec<String>,
) {
    let ty = text(id, "type").unwrap_or_default();
    let address = text(id, "address");
    match ty.as_str() {
        "address" => match address.as_deref().and_then(parse_subnet) {
            Some(n) => nets.push(n),
            None => ctx.invalid(
                id,
                key,
                format!(
                    "address '{}' is not an IP address",
                    address.unwrap_or_default()
                ),
            ),
        },
        "network" => {
            let bits = text(id, "netbits").unwrap_or_default();
            let s = format!("{}/{}", address.clone().unwrap_or_default(), bits);
            match parse_subnet(&s) {
                Some(n) => nets.push(n),
                None => ctx.invalid(id, key, format!("'{s}' is not a network")),
            }
        }
        "none" | "mobile" => {
            if let Ok(n) = "0.0.0.0/0".parse() {
                nets.push(n);
            }
        }
        "" => ctx.invalid(id, key, "missing type".into()),
        iface => {
            // an interface name (lan, opt1, ...) means its subnet;
            // "<if>ip" means its address
            let v6 = mode == "tunnel6";
            let (name, addr_only) = match host.interface(iface) {
                Some(_) => (iface, false),
                None => match iface.strip_suffix("ip") {
                    Some(n) if host.interface(n).is_some() => (n, true),
                    _ => (iface, false),
                },
            };
            let resolved = host.interface(name).and_then(|i| {
                let (a, b) = if v6 {
                    (i.ipaddrv6.as_deref(), i.subnetv6_bits)
                } else {
                    (i.ipaddr.as_deref(), i.subnet_bits)
                };
                let a: IpAddr = a?.parse().ok()?;
                if addr_only {
                    return Some(IpNet::from(a));
                }
                IpNet::new(a, b?).ok().map(|n| n.trunc())
            });
            match resolved {
                Some(n) => nets.push(n),
                None => other.push(format!("{iface} (interface subnet, not statically known)")),
            }
        }
    }
}

fn parse_phase1(ctx: &mut Ctx<'_>, host: &HostSettings, p1: Node<'_, '_>) -> Tunnel {
    let ikeid = text(p1, "ikeid");
    let name = if flag(p1, "mobile") && !ctx.opnsense {
        "con-mobile".to_string()
    } else {
        format!("con{}", ikeid.clone().unwrap_or_default())
    };
    let mut t = Tunnel::new(name, ctx.origin(p1));
    t.ikeid = ikeid;
    t.description = text(p1, "descr");
    t.disabled = flag(p1, "disabled");
    t.mobile = flag(p1, "mobile");
    let iketype = text(p1, "iketype").unwrap_or_default();
    t.ike_version = if ctx.opnsense {
        if iketype == "ikev2" {
            IkeVersion::V2
        } else {
            IkeVersion::V1
        }
    } else {
        match iketype.as_str() {
            "ikev2" => IkeVersion::V2,
            "auto" => IkeVersion::Any,
            _ => IkeVersion::V1,
        }
    };
    t.aggressive =
        t.ike_version != IkeVersion::V2 && text(p1, "mode").as_deref() == Some("aggressive");
    let protocol = text(p1, "protocol").unwrap_or_else(|| "inet".into());
    let v6 = protocol == "inet6";
    t.interface = text(p1, "interface");
    if let Some(iface) = &t.interface {
        t.local_addrs = vec![interface_address(host, iface, v6).unwrap_or_else(|| iface.clone())];
    }
    let rg = text(p1, "remote-gateway");
    if t.mobile {
        t.remote_addrs = vec!["%any".into()];
    } else if let Some(rg) = &rg {
        if protocol == "both" && (rg == "0.0.0.0" || rg == "::") {
            t.remote_addrs = vec!["%any".into()];
        } else {
            t.remote_addrs = vec![rg.clone()];
        }
    }
    let local_addr = t
        .local_addrs
        .first()
        .filter(|a| a.parse::<IpAddr>().is_ok())
        .cloned();
    t.local_id = build_identity(
        text(p1, "myid_type").as_deref(),
        text(p1, "myid_data").as_deref(),
        local_addr.as_deref(),
    );
    let peer_addr = rg.filter(|a| a.parse::<IpAddr>().is_ok());
    t.remote_id = build_identity(
        text(p1, "peerid_type").as_deref(),
        text(p1, "peerid_data").as_deref(),
        peer_addr.as_deref(),
    );
    if let Some(m) = text(p1, "authentication_method") {
        let (l, r) = auth_methods(&m);
        t.local_auth = Some(l);
        t.remote_auth = Some(r);
    }
    t.psk = child(p1, "pre-shared-key")
        .map(node_text)
        .filter(|s| !s.is_empty());

    let keywords = ike_keywords(ctx, p1);
    if keywords.is_empty() {
        t.ike_proposals = default_proposals(Protocol::Ike);
        t.ike_proposals_configured = vec!["default".into()];
    } else {
        t.ike_proposals = canonicalise(ctx, p1, Protocol::Ike, &keywords);
        t.ike_proposals_configured = keywords;
    }
    t.ike_proposals_strict = true;

    match text(p1, "nat_traversal").as_deref() {
        Some("force") => t.encap_forced = true,
        Some("off") => t.nat_traversal = false,
        _ => {}
    }
    let dpd_delay: Option<u32> = num(ctx, p1, "dpd_delay");
    let dpd_maxfail: Option<u32> = num(ctx, p1, "dpd_maxfail");
    if let (Some(d), Some(m)) = (dpd_delay, dpd_maxfail) {
        if d > 0 && m > 0 {
            t.dpd_delay = Some(d);
            if t.ike_version == IkeVersion::V1 {
                t.dpd_timeout = Some(d.saturating_mul(m.saturating_add(1)));
            }
        }
    }
    let lifetime: Option<u32> = num(ctx, p1, "lifetime");
    let rekey: Option<u32> = num(ctx, p1, "rekey_time");
    let reauth: Option<u32> = num(ctx, p1, "reauth_time");
    if ctx.opnsense {
        let margin: Option<u32> = num(ctx, p1, "margintime");
        t.ike_lifetime = lifetime;
        if flag(p1, "rekey_enable") {
            t.ike_rekey_time = Some(0);
            t.ike_reauth_time = Some(0);
        } else if let (Some(l), Some(m)) = (lifetime, margin) {
            t.ike_rekey_time = Some(l.saturating_sub(m));
            if !flag(p1, "reauth_enable") {
                t.ike_reauth_time = Some(l.saturating_sub(m));
            }
        }
    } else {
        // ipsec_get_rekey_time / ipsec_get_reauth_time / ipsec_get_life_time
        let lt = lifetime.filter(|l| *l > 0);
        let rk = rekey.unwrap_or_else(|| lt.map(|l| l * 9 / 10).unwrap_or(14400));
        let ra = reauth.unwrap_or_else(|| match (lt, t.ike_version) {
            (Some(l), IkeVersion::V1) => l * 9 / 10,
            _ => 0,
        });
        if t.ike_version != IkeVersion::V1 {
            t.ike_rekey_time = Some(rk);
        }
        t.ike_reauth_time = Some(ra);
        t.ike_lifetime = Some(lt.unwrap_or_else(|| {
            let m = rk.max(ra);
            if m > 0 {
                (u64::from(m) * 10 / 9) as u32
            } else {
                16000
            }
        }));
    }
    t
}

fn parse_phase2(
    ctx: &mut Ctx<'_>,
    host: &HostSettings,
    p2: Node<'_, '_>,
    parent: &Tunnel,
    split: bool,
) -> Child {
    let reqid = text(p2, "reqid");
    let name = if parent.mobile && !ctx.opnsense {
        parent.name.clone()
    } else if parent.ike_version != IkeVersion::V2 || split {
        format!("{}_{}", parent.name, reqid.clone().unwrap_or_default())
    } else {
        parent.name.clone()
    };
    let mut c = Child::new(name, ctx.origin(p2));
    c.disabled = flag(p2, "disabled");
    let mode = text(p2, "mode").unwrap_or_else(|| "tunnel".into());
    c.mode = match mode.as_str() {
        "transport" => ChildMode::Transport,
        "vti" | "route-based" => ChildMode::Vti,
        _ => ChildMode::Tunnel,
    };
    // transport mode protects the tunnel endpoints themselves: no subnets
    if c.mode != ChildMode::Transport {
        if let Some(l) = child(p2, "localid") {
            id_to_nets(
                ctx,
                host,
                l,
                &mode,
                "localid",
                &mut c.local_ts,
                &mut c.ts_other,
            );
        }
        if let Some(r) = child(p2, "remoteid") {
            id_to_nets(
                ctx,
                host,
                r,
                &mode,
                "remoteid",
                &mut c.remote_ts,
                &mut c.ts_other,
            );
        }
    }
    let protocol = text(p2, "protocol").unwrap_or_else(|| "esp".into());
    c.ah = protocol == "ah";
    let keywords = esp_keywords(ctx, p2);
    let proto = if c.ah { Protocol::Ah } else { Protocol::Esp };
    if keywords.is_empty() {
        c.esp_proposals = default_proposals(proto);
        c.esp_proposals_configured = vec!["default".into()];
    } else {
        c.esp_proposals = canonicalise(ctx, p2, proto, &keywords);
        c.esp_proposals_configured = keywords;
    }
    c.esp_strict = true;
    c.derive_pfs_groups();
    let lifetime: Option<u32> = num(ctx, p2, "lifetime");
    let rekey: Option<u32> = num(ctx, p2, "rekey_time");
    if let Some(l) = lifetime.filter(|l| *l > 0) {
        c.lifetime = Some(l);
        c.rekey_time = Some(if ctx.opnsense {
            rekey.unwrap_or(l)
        } else {
            rekey.unwrap_or(l * 9 / 10)
        });
    } else if rekey.is_some() {
        c.rekey_time = rekey;
    }
    c.ping_host = text(p2, "pinghost").and_then(|p| p.parse().ok());
    c.start_action = text(p2, "startaction");
    c
}

/// Deepest element nesting accepted; real config.xml files nest about ten.
const MAX_XML_DEPTH: usize = 256;

/// The line where elements first nest deeper than `max`, found by a linear
/// scan that skips comments, CDATA, processing instructions, declarations
/// and quoted attribute values.
fn nested_too_deep(xml: &str, max: usize) -> Option<u32> {
    let b = xml.as_bytes();
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut i = 0;
    let skip_to = |from: usize, end: &[u8]| {
        b[from..]
            .windows(end.len())
            .position(|w| w == end)
            .map_or(b.len(), |p| from + p + end.len())
    };
    while i < b.len() {
        match b[i] {
            b'\n' => {
                line = line.saturating_add(1);
                i += 1;
            }
            b'<' => {
                let rest = &b[i..];
                let next = if rest.starts_with(b"<!--") {
                    skip_to(i + 4, b"-->")
                } else if rest.starts_with(b"<![CDATA[") {
                    skip_to(i + 9, b"]]>")
                } else if rest.starts_with(b"<?") {
                    skip_to(i + 2, b"?>")
                } else if rest.starts_with(b"<!") {
                    skip_to(i + 2, b">")
                } else if rest.starts_with(b"</") {
                    depth = depth.saturating_sub(1);
                    skip_to(i + 2, b">")
                } else {
                    // A start tag: to its `>`, outside quoted values.
                    let mut j = i + 1;
                    let mut quote = None;
                    while j < b.len() {
                        match (b[j], quote) {
                            (q @ (b'"' | b'\''), None) => quote = Some(q),
                            (c, Some(q)) if c == q => quote = None,
                            (b'>', None) => break,
                            _ => {}
                        }
                        j += 1;
                    }
                    if j < b.len() && b[j - 1] != b'/' {
                        depth += 1;
                        if depth > max {
                            return Some(line);
                        }
                    }
                    j + 1
                };
                line = line.saturating_add(
                    u32::try_from(
                        b[i..next.min(b.len())]
                            .iter()
                            .filter(|&&c| c == b'\n')
                            .count(),
                    )
                    .unwrap_or(u32::MAX),
                );
                i = next;
            }
            _ => i += 1,
        }
    }
    None
}

/// Parse a pfSense or OPNsense `config.xml`.
///
/// DTDs are rejected (so entity-expansion attacks fail immediately), inputs
/// above [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES) and documents with more
/// than 4 million nodes are refused.
pub fn parse_config_xml(path: &str, contents: &str) -> Result<ConfigSet, ConfigError> {
    check_size(path, contents)?;
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    // roxmltree's tokenizer recurses once per nesting level: a document
    // nested a few hundred thousand levels deep overflows the stack.
    if let Some(line) = nested_too_deep(contents, MAX_XML_DEPTH) {
        return Err(ConfigError::Xml {
            path: path.to_string(),
            line,
            message: format!("elements nested more than {MAX_XML_DEPTH} levels deep"),
        });
    }
    let doc = Document::parse_with_options(contents, opts).map_err(|e| {
        // roxmltree places a document cut short at 1:1; the file ends on
        // its last line, which is where the reader should look.
        let line = if matches!(e, roxmltree::Error::UnexpectedEndOfStream) {
            u32::try_from(contents.lines().count().max(1)).unwrap_or(u32::MAX)
        } else {
            e.pos().row
        };
        ConfigError::Xml {
            path: path.to_string(),
            line,
            message: e.to_string(),
        }
    })?;
    let root = doc.root_element();
    let format = match root.tag_name().name() {
        "pfsense" => Format::PfSense,
        "opnsense" => Format::OpnSense,
        other => {
            return Err(ConfigError::Xml {
                path: path.to_string(),
                line: doc.text_pos_at(root.range().start).row,
                message: format!("root element is <{other}>, expected <pfsense> or <opnsense>"),
            })
        }
    };
    let mut line_starts = vec![0usize];
    line_starts.extend(contents.match_indices('\n').map(|(i, _)| i + 1));
    let mut ctx = Ctx {
        path,
        line_starts,
        diags: Vec::new(),
        opnsense: format == Format::OpnSense,
    };
    let mut set = ConfigSet::new(format);
    set.host = parse_host(&mut ctx, root);
    if ctx.opnsense {
        if let Some(mvc) = child(root, "OPNsense").and_then(|o| child(o, "Swanctl")) {
            let has_conns = child(mvc, "Connections")
                .map(|c| c.children().any(|n| n.is_element()))
                .unwrap_or(false);
            if has_conns {
                ctx.diags.push(ConfigError::Unsupported {
                    path: path.to_string(),
                    message: "OPNsense <OPNsense><Swanctl> connections (new IPsec GUI) are not read; only the legacy <ipsec> phase1/phase2 tunnels are".into(),
                });
            }
        }
    }
    if let Some(ipsec) = child(root, "ipsec") {
        let mut tunnels: Vec<(Tunnel, bool)> = Vec::new();
        for p1 in children(ipsec, "phase1") {
            let t = parse_phase1(&mut ctx, &set.host, p1);
            tunnels.push((t, flag(p1, "splitconn")));
        }
        for p2 in children(ipsec, "phase2") {
            let ikeid = text(p2, "ikeid");
            let idx = tunnels
                .iter()
                .position(|(t, _)| t.ikeid.is_some() && t.ikeid == ikeid);
            match idx {
                Some(i) => {
                    let child = {
                        let (t, split) = &tunnels[i];
                        parse_phase2(&mut ctx, &set.host, p2, t, *split)
                    };
                    tunnels[i].0.children.push(child);
                }
                None => {
                    let line = ctx.line(p2);
                    ctx.diags.push(ConfigError::UnresolvedReference {
                        path: path.to_string(),
                        line,
                        message: format!(
                            "phase2 refers to ikeid {} which has no phase1",
                            ikeid.unwrap_or_default()
                        ),
                    });
                }
            }
        }
        set.tunnels = tunnels.into_iter().map(|(t, _)| t).collect();
    }
    set.diagnostics = ctx.diags;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords() {
        assert_eq!(
            pfsense_proposal_keywords(Some("aes"), Some("256"), Some("sha256"), None, Some("14")),
            "aes256-sha256-modp2048"
        );
        assert_eq!(
            pfsense_proposal_keywords(Some("aes128gcm"), Some("128"), None, None, Some("0")),
            "aes128gcm128"
        );
        assert_eq!(
            pfsense_proposal_keywords(Some("aes"), Some("128"), Some("hmac_sha1"), None, Some("2")),
            "aes128-sha1-modp1024"
        );
        assert_eq!(
            pfsense_proposal_keywords(
                Some("aes"),
                Some("256"),
                Some("sha256"),
                Some("sha512"),
                Some("31")
            ),
            "aes256-sha256-prfsha512-curve25519"
        );
        assert_eq!(
            pfsense_proposal_keywords(Some("3des"), None, Some("md5"), None, Some("2")),
            "3des-md5-modp1024"
        );
    }

    #[test]
    fn dtd_rejected() {
        let x = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><pfsense>&x;</pfsense>";
        assert!(matches!(
            parse_config_xml("c", x),
            Err(ConfigError::Xml { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_refused_before_the_recursive_parser() {
        let deep = format!(
            "<pfsense>\n{}{}</pfsense>",
            "<a x='>'>".repeat(300),
            "</a>".repeat(300)
        );
        let e = parse_config_xml("c", &deep).unwrap_err();
        assert!(e.to_string().contains("nested more than 256"), "{e}");
        assert_eq!(e.line(), Some(2));
        let ok = format!(
            "<pfsense><!-- <a><a> --><![CDATA[<b>]]>{}<br/>{}</pfsense>",
            "<a>".repeat(200),
            "</a>".repeat(200)
        );
        assert!(nested_too_deep(&ok, 256).is_none());
    }

    #[test]
    fn wrong_root() {
        assert!(matches!(
            parse_config_xml("c", "<foo/>"),
            Err(ConfigError::Xml { .. })
        ));
    }
}
