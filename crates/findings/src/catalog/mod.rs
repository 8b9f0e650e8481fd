//! The finding catalogue: one module per finding, each holding its
//! documentation, its matcher and its tests. Adding a finding means adding a
//! module here and one line to [`CATALOG`]; `ipsec-doctor explain ID` and
//! `ipsec-doctor catalog` read from the same table.

pub(crate) mod certs;
pub(crate) mod common;
pub(crate) mod lost_after_init;

mod aggressive_main_mismatch;
mod cert_expired;
mod cert_id_mismatch;
mod cert_key_missing;
mod cert_revoked;
mod cert_untrusted;
pub(crate) mod config_load_error;
mod crypto_accelerator_keylen;
mod daemon_crash;
mod disappearing_traffic;
mod dpd_drop_embedded;
mod dpd_timeout;
mod eap_failure;
mod fragmentation_mtu;
mod ike_version_mismatch;
pub(crate) mod ike_version_not_built;
mod invalid_payload_type;
mod kernel_sa_install_failure;
mod lifetime_mismatch;
mod logging_insufficient;
mod mss_clamping;
mod nat_id_mismatch;
mod nat_t_blocked;
mod negotiation_cap_reached;
pub(crate) mod negotiation_incomplete;
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

use crate::rule::Rule;

/// Every finding, in the order matchers run and `ipsec-doctor catalog` lists them.
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
                rule_by_id(rule.family).is_some(),
                "{} names unknown family {}",
                rule.id,
                rule.family
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
