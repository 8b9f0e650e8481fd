//! The finding catalogue: one module per finding, each holding its
//! documentation, every matcher of it and its tests. Adding a finding means
//! adding a module here, one line to [`CATALOG`] and one to [`rules`] (see
//! CONTRIBUTING.md); `ipsec-doctor explain ID` and `ipsec-doctor catalog`
//! read from the same table.

pub(crate) mod certs;
pub(crate) mod common;
pub(crate) mod lost_after_init;

mod aggressive_main_mismatch;
mod cert_expired;
mod cert_id_mismatch;
mod cert_key_missing;
mod cert_revoked;
mod cert_untrusted;
mod config_load_error;
mod crypto_accelerator_keylen;
mod daemon_crash;
mod disappearing_traffic;
mod dpd_drop_embedded;
mod dpd_timeout;
mod eap_failure;
mod fragmentation_mtu;
mod ike_version_mismatch;
mod ike_version_not_built;
mod invalid_payload_type;
mod kernel_sa_install_failure;
mod lifetime_mismatch;
mod logging_insufficient;
mod mss_clamping;
mod nat_id_mismatch;
mod nat_t_blocked;
mod negotiation_cap_reached;
mod negotiation_incomplete;
mod negotiation_not_in_log;
mod nic_driver_panic;
mod outbound_nat_any;
mod p1_auth_failed;
mod p1_dh_group_mismatch;
mod p1_encryption_mismatch;
mod p1_hash_mismatch;
mod p1_id_mismatch;
mod p1_proposal_mismatch;
mod p2_encryption_mismatch;
mod p2_hash_mismatch;
mod p2_no_response;
mod p2_pfs_mismatch;
mod p2_proposal_mismatch;
mod p2_ts_mismatch;
mod peer_unreachable;
mod psk_mismatch;
mod racoon_pfkey_align;
mod racoon_pfkey_delete;
mod racoon_pfkey_register;
mod racoon_send_error;
mod racoon_stuck_phase1;
mod racoon_subnet_mismatch;
mod renegotiation_failure;
mod tunnel_established;
mod weak_crypto;
mod wrong_destination_address;
mod xauth_failure;
mod xmlreader_status_page;

#[cfg(test)]
pub(crate) mod testing;

use std::sync::OnceLock;

use ipsec_doctor_config::Tunnel;

use crate::configured::ConfigFile;
use crate::facts::{AcrossHosts, HostFacts, Place, TunnelFacts};
use crate::negotiation::Negotiation;
use crate::pluto::{PlutoConnection, PlutoLog};
use crate::racoon::RacoonLog;
use crate::report::{Finding, TunnelSummary};
use crate::rule::{Detection, Reinterpretation, Rule, Scope, TunnelDetection};

/// Every rule by name, for referring to a finding as a typed value rather
/// than by its id (`rules::PSK_MISMATCH`, never `"psk-mismatch"`): a
/// misspelt name does not compile.
pub mod rules {
    use crate::rule::Rule;

    /// `aggressive-main-mismatch`.
    pub static AGGRESSIVE_MAIN_MISMATCH: &Rule = &super::aggressive_main_mismatch::RULE;
    /// `cert-expired`.
    pub static CERT_EXPIRED: &Rule = &super::cert_expired::RULE;
    /// `cert-id-mismatch`.
    pub static CERT_ID_MISMATCH: &Rule = &super::cert_id_mismatch::RULE;
    /// `cert-key-missing`.
    pub static CERT_KEY_MISSING: &Rule = &super::cert_key_missing::RULE;
    /// `cert-revoked`.
    pub static CERT_REVOKED: &Rule = &super::cert_revoked::RULE;
    /// `cert-untrusted`.
    pub static CERT_UNTRUSTED: &Rule = &super::cert_untrusted::RULE;
    /// `config-load-error`.
    pub static CONFIG_LOAD_ERROR: &Rule = &super::config_load_error::RULE;
    /// `crypto-accelerator-keylen`.
    pub static CRYPTO_ACCELERATOR_KEYLEN: &Rule = &super::crypto_accelerator_keylen::RULE;
    /// `daemon-crash`.
    pub static DAEMON_CRASH: &Rule = &super::daemon_crash::RULE;
    /// `disappearing-traffic`.
    pub static DISAPPEARING_TRAFFIC: &Rule = &super::disappearing_traffic::RULE;
    /// `dpd-drop-embedded`.
    pub static DPD_DROP_EMBEDDED: &Rule = &super::dpd_drop_embedded::RULE;
    /// `dpd-timeout`.
    pub static DPD_TIMEOUT: &Rule = &super::dpd_timeout::RULE;
    /// `eap-failure`.
    pub static EAP_FAILURE: &Rule = &super::eap_failure::RULE;
    /// `fragmentation-mtu`.
    pub static FRAGMENTATION_MTU: &Rule = &super::fragmentation_mtu::RULE;
    /// `ike-version-mismatch`.
    pub static IKE_VERSION_MISMATCH: &Rule = &super::ike_version_mismatch::RULE;
    /// `ike-version-not-built`.
    pub static IKE_VERSION_NOT_BUILT: &Rule = &super::ike_version_not_built::RULE;
    /// `invalid-payload-type`.
    pub static INVALID_PAYLOAD_TYPE: &Rule = &super::invalid_payload_type::RULE;
    /// `kernel-sa-install-failure`.
    pub static KERNEL_SA_INSTALL_FAILURE: &Rule = &super::kernel_sa_install_failure::RULE;
    /// `lifetime-mismatch`.
    pub static LIFETIME_MISMATCH: &Rule = &super::lifetime_mismatch::RULE;
    /// `logging-insufficient`.
    pub static LOGGING_INSUFFICIENT: &Rule = &super::logging_insufficient::RULE;
    /// `mss-clamping`.
    pub static MSS_CLAMPING: &Rule = &super::mss_clamping::RULE;
    /// `nat-id-mismatch`.
    pub static NAT_ID_MISMATCH: &Rule = &super::nat_id_mismatch::RULE;
    /// `nat-t-blocked`.
    pub static NAT_T_BLOCKED: &Rule = &super::nat_t_blocked::RULE;
    /// `negotiation-cap-reached`.
    pub static NEGOTIATION_CAP_REACHED: &Rule = &super::negotiation_cap_reached::RULE;
    /// `negotiation-incomplete`.
    pub static NEGOTIATION_INCOMPLETE: &Rule = &super::negotiation_incomplete::RULE;
    /// `negotiation-not-in-log`.
    pub static NEGOTIATION_NOT_IN_LOG: &Rule = &super::negotiation_not_in_log::RULE;
    /// `nic-driver-panic`.
    pub static NIC_DRIVER_PANIC: &Rule = &super::nic_driver_panic::RULE;
    /// `outbound-nat-any`.
    pub static OUTBOUND_NAT_ANY: &Rule = &super::outbound_nat_any::RULE;
    /// `p1-auth-failed`.
    pub static P1_AUTH_FAILED: &Rule = &super::p1_auth_failed::RULE;
    /// `p1-dh-group-mismatch`.
    pub static P1_DH_GROUP_MISMATCH: &Rule = &super::p1_dh_group_mismatch::RULE;
    /// `p1-encryption-mismatch`.
    pub static P1_ENCRYPTION_MISMATCH: &Rule = &super::p1_encryption_mismatch::RULE;
    /// `p1-hash-mismatch`.
    pub static P1_HASH_MISMATCH: &Rule = &super::p1_hash_mismatch::RULE;
    /// `p1-id-mismatch`.
    pub static P1_ID_MISMATCH: &Rule = &super::p1_id_mismatch::RULE;
    /// `p1-proposal-mismatch`.
    pub static P1_PROPOSAL_MISMATCH: &Rule = &super::p1_proposal_mismatch::RULE;
    /// `p2-encryption-mismatch`.
    pub static P2_ENCRYPTION_MISMATCH: &Rule = &super::p2_encryption_mismatch::RULE;
    /// `p2-hash-mismatch`.
    pub static P2_HASH_MISMATCH: &Rule = &super::p2_hash_mismatch::RULE;
    /// `p2-no-response`.
    pub static P2_NO_RESPONSE: &Rule = &super::p2_no_response::RULE;
    /// `p2-pfs-mismatch`.
    pub static P2_PFS_MISMATCH: &Rule = &super::p2_pfs_mismatch::RULE;
    /// `p2-proposal-mismatch`.
    pub static P2_PROPOSAL_MISMATCH: &Rule = &super::p2_proposal_mismatch::RULE;
    /// `p2-ts-mismatch`.
    pub static P2_TS_MISMATCH: &Rule = &super::p2_ts_mismatch::RULE;
    /// `peer-unreachable`.
    pub static PEER_UNREACHABLE: &Rule = &super::peer_unreachable::RULE;
    /// `psk-mismatch`.
    pub static PSK_MISMATCH: &Rule = &super::psk_mismatch::RULE;
    /// `racoon-pfkey-align`.
    pub static RACOON_PFKEY_ALIGN: &Rule = &super::racoon_pfkey_align::RULE;
    /// `racoon-pfkey-delete`.
    pub static RACOON_PFKEY_DELETE: &Rule = &super::racoon_pfkey_delete::RULE;
    /// `racoon-pfkey-register`.
    pub static RACOON_PFKEY_REGISTER: &Rule = &super::racoon_pfkey_register::RULE;
    /// `racoon-send-error`.
    pub static RACOON_SEND_ERROR: &Rule = &super::racoon_send_error::RULE;
    /// `racoon-stuck-phase1`.
    pub static RACOON_STUCK_PHASE1: &Rule = &super::racoon_stuck_phase1::RULE;
    /// `racoon-subnet-mismatch`.
    pub static RACOON_SUBNET_MISMATCH: &Rule = &super::racoon_subnet_mismatch::RULE;
    /// `renegotiation-failure`.
    pub static RENEGOTIATION_FAILURE: &Rule = &super::renegotiation_failure::RULE;
    /// `tunnel-established`.
    pub static TUNNEL_ESTABLISHED: &Rule = &super::tunnel_established::RULE;
    /// `weak-crypto`.
    pub static WEAK_CRYPTO: &Rule = &super::weak_crypto::RULE;
    /// `wrong-destination-address`.
    pub static WRONG_DESTINATION_ADDRESS: &Rule = &super::wrong_destination_address::RULE;
    /// `xauth-failure`.
    pub static XAUTH_FAILURE: &Rule = &super::xauth_failure::RULE;
    /// `xmlreader-status-page`.
    pub static XMLREADER_STATUS_PAGE: &Rule = &super::xmlreader_status_page::RULE;
}

/// Every finding, in the order `ipsec-doctor catalog` lists them and the
/// order in which matchers of one scope run (pluto's and the configuration
/// matchers run by their rank).
#[rustfmt::skip]
pub static CATALOG: &[&Rule] = &[
    &tunnel_established::RULE,
    &aggressive_main_mismatch::RULE,
    &nat_id_mismatch::RULE,
    &p1_id_mismatch::RULE,
    &psk_mismatch::RULE,
    &cert_untrusted::RULE,
    &cert_revoked::RULE,
    &cert_expired::RULE,
    &cert_id_mismatch::RULE,
    &cert_key_missing::RULE,
    &eap_failure::RULE,
    &xauth_failure::RULE,
    &p1_auth_failed::RULE,
    &p1_encryption_mismatch::RULE,
    &p1_hash_mismatch::RULE,
    &p1_dh_group_mismatch::RULE,
    &p1_proposal_mismatch::RULE,
    &p2_encryption_mismatch::RULE,
    &p2_hash_mismatch::RULE,
    &p2_pfs_mismatch::RULE,
    &p2_proposal_mismatch::RULE,
    &p2_ts_mismatch::RULE,
    &p2_no_response::RULE,
    &peer_unreachable::RULE,
    &fragmentation_mtu::RULE,
    &nat_t_blocked::RULE,
    &dpd_timeout::RULE,
    &kernel_sa_install_failure::RULE,
    &config_load_error::RULE,
    &daemon_crash::RULE,
    &renegotiation_failure::RULE,
    &wrong_destination_address::RULE,
    &lifetime_mismatch::RULE,
    &outbound_nat_any::RULE,
    &dpd_drop_embedded::RULE,
    &racoon_subnet_mismatch::RULE,
    &racoon_stuck_phase1::RULE,
    &racoon_send_error::RULE,
    &crypto_accelerator_keylen::RULE,
    &invalid_payload_type::RULE,
    &racoon_pfkey_align::RULE,
    &racoon_pfkey_delete::RULE,
    &racoon_pfkey_register::RULE,
    &nic_driver_panic::RULE,
    &xmlreader_status_page::RULE,
    &logging_insufficient::RULE,
    &negotiation_cap_reached::RULE,
    &negotiation_incomplete::RULE,
    &negotiation_not_in_log::RULE,
    &ike_version_mismatch::RULE,
    &ike_version_not_built::RULE,
    &disappearing_traffic::RULE,
    &mss_clamping::RULE,
    &weak_crypto::RULE,
];

/// A matcher of one scope with the rule it belongs to.
pub type Matcher<F> = (&'static Rule, F);
type OfNegotiation = fn(&Negotiation) -> Option<Detection>;
type OfHost = fn(&HostFacts) -> Option<Detection>;
type OfTunnel = fn(&TunnelFacts) -> Option<Detection>;
type OfRacoon = fn(&RacoonLog) -> Vec<TunnelDetection>;
type OfPluto = fn(&PlutoConnection<'_>) -> Option<Detection>;
type OfPlutoLog = fn(&PlutoLog) -> Option<Detection>;
type OfAcrossHosts = fn(&AcrossHosts<'_>) -> Vec<(Place, Detection)>;
type OfReinterprets = fn(&[Finding], &[TunnelSummary]) -> Vec<Reinterpretation>;
type OfConfigTunnel = fn(&ConfigFile<'_>, &Tunnel) -> Vec<Detection>;
type OfConfigBox = fn(&ConfigFile<'_>) -> Vec<Detection>;

/// The catalogue's matchers by scope (see [`Scope`]), in catalogue order
/// (each rule's in the order it lists them), built once: a pass runs only
/// its own, rather than going through every rule's scopes for every
/// negotiation and host. The ranked ones are by rank, then in catalogue
/// order.
pub struct Matchers {
    /// [`Scope::Negotiation`].
    pub negotiation: Vec<Matcher<OfNegotiation>>,
    /// [`Scope::Host`].
    pub host: Vec<Matcher<OfHost>>,
    /// [`Scope::Tunnel`].
    pub tunnel: Vec<Matcher<OfTunnel>>,
    /// [`Scope::Racoon`].
    pub racoon: Vec<Matcher<OfRacoon>>,
    /// [`Scope::Pluto`], by rank.
    pub pluto: Vec<(u16, Matcher<OfPluto>)>,
    /// [`Scope::PlutoLog`].
    pub pluto_log: Vec<Matcher<OfPlutoLog>>,
    /// [`Scope::AcrossHosts`].
    pub across_hosts: Vec<Matcher<OfAcrossHosts>>,
    /// [`Scope::Reinterprets`].
    pub reinterprets: Vec<Matcher<OfReinterprets>>,
    /// [`Scope::ConfigTunnel`], by rank.
    pub config_tunnel: Vec<(u16, Matcher<OfConfigTunnel>)>,
    /// [`Scope::ConfigBox`], by rank.
    pub config_box: Vec<(u16, Matcher<OfConfigBox>)>,
}

/// The catalogue's matchers by scope.
pub fn matchers() -> &'static Matchers {
    static MATCHERS: OnceLock<Matchers> = OnceLock::new();
    MATCHERS.get_or_init(|| {
        let mut m = Matchers {
            negotiation: Vec::new(),
            host: Vec::new(),
            tunnel: Vec::new(),
            racoon: Vec::new(),
            pluto: Vec::new(),
            pluto_log: Vec::new(),
            across_hosts: Vec::new(),
            reinterprets: Vec::new(),
            config_tunnel: Vec::new(),
            config_box: Vec::new(),
        };
        for rule in CATALOG {
            for scope in rule.scopes() {
                match scope {
                    Scope::Negotiation(f) => m.negotiation.push((rule, f)),
                    Scope::Host(f) => m.host.push((rule, f)),
                    Scope::Tunnel(f) => m.tunnel.push((rule, f)),
                    Scope::Racoon(f) => m.racoon.push((rule, f)),
                    Scope::Pluto(rank, f) => m.pluto.push((rank, (rule, f))),
                    Scope::PlutoLog(f) => m.pluto_log.push((rule, f)),
                    Scope::AcrossHosts(f) => m.across_hosts.push((rule, f)),
                    Scope::Reinterprets(f) => m.reinterprets.push((rule, f)),
                    Scope::ConfigTunnel(rank, f) => m.config_tunnel.push((rank, (rule, f))),
                    Scope::ConfigBox(rank, f) => m.config_box.push((rank, (rule, f))),
                }
            }
        }
        // Stable: equal ranks stay in catalogue order.
        m.pluto.sort_by_key(|(rank, _)| *rank);
        m.config_tunnel.sort_by_key(|(rank, _)| *rank);
        m.config_box.sort_by_key(|(rank, _)| *rank);
        m
    })
}

/// The catalogue by family: each family's head (the rule its members name,
/// following a family's own family up to the rule that heads itself) with
/// its members, the head first; families in the order their first rule
/// stands in [`CATALOG`], members in catalogue order.
pub fn families() -> Vec<(&'static Rule, Vec<&'static Rule>)> {
    let mut out: Vec<(&'static Rule, Vec<&'static Rule>)> = Vec::new();
    for rule in CATALOG.iter().copied() {
        let mut head = rule;
        // Families are a few levels deep at most; the bound guards a cycle.
        for _ in 0..CATALOG.len() {
            if !head.is_specific() {
                break;
            }
            head = head.family;
        }
        match out.iter_mut().find(|(h, _)| *h == head) {
            Some((_, members)) => members.push(rule),
            None => out.push((head, vec![rule])),
        }
    }
    for (head, members) in &mut out {
        members.sort_by_key(|m| *m != *head);
    }
    out
}

/// Whether the rule's finding says that the log does not show the outcome
/// or its cause (exit code 1: not a failure named, but no all-clear
/// either). For the diagnoser's "only when nothing else explains it", only
/// the two negotiation findings count (`is_fallback`).
pub fn is_undecided(rule: &Rule) -> bool {
    is_fallback(rule) || std::ptr::eq(rule, &logging_insufficient::RULE)
}

/// The findings given only when no other explains the negotiation.
pub(crate) fn is_fallback(rule: &Rule) -> bool {
    std::ptr::eq(rule, &negotiation_incomplete::RULE)
        || std::ptr::eq(rule, &negotiation_not_in_log::RULE)
}

/// The catalogue entry with this id.
pub fn rule_by_id(id: &str) -> Option<&'static Rule> {
    CATALOG.iter().copied().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_hold_every_rule_once_under_its_head() {
        let groups = families();
        let listed: Vec<&str> = groups
            .iter()
            .flat_map(|(_, members)| members.iter().map(|r| r.id))
            .collect();
        assert_eq!(listed.len(), CATALOG.len());
        for (head, members) in &groups {
            assert_eq!(members.first(), Some(head), "{} first", head.id);
            assert!(!head.is_specific(), "{} heads a family", head.id);
        }
        let group_of = |id: &str| {
            groups
                .iter()
                .find(|(_, m)| m.iter().any(|r| r.id == id))
                .map(|(h, _)| h.id)
        };
        assert_eq!(group_of("psk-mismatch"), Some("p1-auth-failed"));
        assert_eq!(
            group_of("ike-version-not-built"),
            Some("p1-proposal-mismatch")
        );
        assert_eq!(group_of("p2-ts-mismatch"), Some("p2-ts-mismatch"));
    }

    #[test]
    fn ids_are_unique_kebab_case_and_families_exist() {
        let mut seen = std::collections::HashSet::new();
        for rule in CATALOG {
            assert!(seen.insert(rule.id), "duplicate id {}", rule.id);
            assert!(
                rule.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                rule.id
            );
            assert!(
                CATALOG.contains(&rule.family),
                "{} names family {}, which is not in the catalogue",
                rule.id,
                rule.family.id
            );
            assert!(!rule.fix.is_empty(), "{} has no fix", rule.id);
            assert!(
                rule.explanation.len() > 80,
                "{} explanation too short",
                rule.id
            );
        }
    }
}
