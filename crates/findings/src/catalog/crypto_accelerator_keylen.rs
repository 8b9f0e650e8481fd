//! `crypto-accelerator-keylen`: a crypto accelerator that cannot do the
//! configured key length makes the kernel refuse the SA.

use ipsec_doctor_events::RacoonEvent;

use crate::racoon::{about, evidence, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

use crate::configured::{all_proposals, ConfigFile};
use ipsec_doctor_config::Tunnel;
use ipsec_doctor_events::Proposal;

pub(crate) static RULE: Rule = Rule {
    id: "crypto-accelerator-keylen",
    family: &RULE,
    severity: Severity::Error,
    title: "Crypto accelerator does not support the configured key length",
    explanation: "racoon negotiated Phase 2, but the kernel refused to install the SAs (\"pfkey ADD \
        failed: Invalid argument\", \"pfkey UPDATE failed: Invalid argument\", with \"attribute has been \
        modified\"). With a cryptographic accelerator such as glxsb (the AMD Geode chip of ALIX boards) \
        enabled, FreeBSD's crypto(9) framework registers the chip for a whole algorithm family (AES) \
        although it handles only some key lengths: glxsb accelerates AES-128 only, so AES-256 or AES-192 \
        SAs fail. This is a limitation of crypto(9) upstream and is not expected to be fixed.",
    fix: &[
        "Use a key length the accelerator supports: VPN > IPsec > Phase 2 > Encryption algorithms: AES \
         128 bits (on both ends).",
        "Or disable the accelerator (pfSense 2.1 and older: System > Advanced > Miscellaneous > \
         Cryptographic Hardware Acceleration: none) and reboot so its module is unloaded; an add-in \
         accelerator board may have to be removed physically.",
        "References: pfSense ticket #2324 (https://redmine.pfsense.org/issues/2324); FreeBSD PR \
         kern/166508 (https://bugs.freebsd.org/bugzilla/show_bug.cgi?id=166508).",
    ],
    see_also: &[SeeAlso::Rule(&super::kernel_sa_install_failure::RULE)],
    scope: Scope::Racoon(detect),
    also: &[Scope::ConfigTunnel(40, config)],
    explained_by: &[],
};

fn detect(log: &RacoonLog) -> Vec<TunnelDetection> {
    let invalid = |e: &RacoonEvent| matches!(e, RacoonEvent::PfkeyAddUpdateFailed { reason, .. } if reason.contains("Invalid argument"));
    let mut out = Vec::new();
    for (tunnel, lines) in log.by_tunnel(invalid) {
        let Some(modified) =
            log.companion(&tunnel, |e| matches!(e, RacoonEvent::AttributeModified))
        else {
            continue;
        };
        let mut shown: Vec<_> = lines.into_iter().take(3).collect();
        shown.push(modified);
        let summary = format!(
            "The kernel refused the negotiated SAs{} with \"Invalid argument\" after racoon modified an \
             attribute: an enabled crypto accelerator (such as glxsb, AES-128 only) does not support the \
             configured cipher key length.",
            about(&tunnel)
        );
        out.push((tunnel, Detection::new(summary, evidence(shown))));
    }
    out
}

/// A glxsb accelerator, which only does AES-128, and a tunnel with longer
/// AES keys.
fn config(file: &ConfigFile<'_>, t: &Tunnel) -> Vec<Detection> {
    if !file
        .config
        .host
        .crypto_hardware
        .iter()
        .any(|c| c == "glxsb")
    {
        return Vec::new();
    }
    let long: Vec<String> = all_proposals(t)
        .iter()
        .filter_map(|p| Proposal::parse(p))
        .flat_map(|p| p.transforms().map(str::to_owned).collect::<Vec<_>>())
        .filter(|t| {
            t.starts_with("AES_")
                && !t.ends_with("_128")
                && !t.starts_with("AES_XCBC")
                && !t.starts_with("AES_CMAC")
        })
        .collect();
    let Some(first) = long.first() else {
        return Vec::new();
    };
    let mut ev = vec![file.line_for(t.origin.line, &["keylen", "encryption-algorithm"])];
    ev.extend(file.find_text("glxsb"));
    vec![Detection::new(
        format!("The glxsb accelerator only does AES-128, and this tunnel uses {first}."),
        ev,
    )]
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn seed_excerpt_and_racoon_own_log_file() {
        let seed = include_str!("../../tests/fixtures/racoon/crypto-accelerator-keylen.log");
        let report = diagnose("system.log", seed);
        assert_eq!(ids(&report), ["crypto-accelerator-keylen"]);
        assert_eq!(report.findings[0].evidence.len(), 3);
        assert!(report.findings[0]
            .fix
            .iter()
            .any(|f| f.contains("2324") && f.contains("166508")));
        let own = include_str!("../../tests/fixtures/racoon/racoon-own-log-file.log");
        let report = diagnose("racoon.log", own);
        assert_eq!(ids(&report), ["crypto-accelerator-keylen"]);
        assert_eq!(
            report.findings[0].tunnel.as_deref(),
            Some("peer 198.51.100.7")
        );
    }

    #[test]
    fn invalid_argument_alone_is_not_the_accelerator() {
        let log = "racoon: ERROR: pfkey ADD failed: Invalid argument";
        assert!(!ids(&diagnose("s.log", log)).contains(&"crypto-accelerator-keylen"));
    }
}
