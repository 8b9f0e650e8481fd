//! `kernel-sa-install-failure`: IKE succeeded but the kernel refused the SA.

use ipsec_doctor_events::CharonEvent;

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "kernel-sa-install-failure",
    family: "kernel-sa-install-failure",
    severity: Severity::Error,
    title: "IPsec SA could not be installed in the kernel",
    explanation: "Both ends agreed on everything, but installing the negotiated IPsec SA or policy in \
        the kernel failed (\"unable to install ... (SAD|SPD) in kernel\"). The configuration is not at \
        fault: the kernel lacks IPsec support or a module for the negotiated algorithm (xfrm/esp4 on \
        Linux, ipsec on FreeBSD), a cryptographic accelerator does not support the key length, a \
        conflicting policy already exists, or the daemon lacks the privilege to change the kernel's SA \
        database (containers).",
    fix: &[
        "Linux: load the modules (modprobe af_key xfrm_user esp4 esp6 and the algorithm's module), check \
         dmesg, and ip xfrm state / ip xfrm policy for conflicts; in containers grant CAP_NET_ADMIN or use \
         strongSwan's kernel-libipsec plugin.",
        "pfSense/OPNsense: with a crypto accelerator (System > Advanced > Miscellaneous > Cryptographic \
         Hardware), choose a key length it supports (glxsb: AES-128 only) or disable it and reboot \
         (ipsec-doctor explain crypto-accelerator-keylen).",
    ],
    see_also: &["crypto-accelerator-keylen"],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    if let Some(missing) =
        neg.first(|e| matches!(e, CharonEvent::KernelInterfaceUnavailable { .. }))
    {
        let CharonEvent::KernelInterfaceUnavailable { what } = &missing.event else {
            return None;
        };
        return Some(Detection::new(
            format!(
                "charon started without a usable kernel IPsec interface (\"{what}\"): no SA can be \
                 installed on this host, whatever the configuration. In a container this means the \
                 NET_ADMIN capability (or the host's network namespace) is missing."
            ),
            evidence([missing]),
        ));
    }
    let failed = neg.first(|e| matches!(e, CharonEvent::SaInstallFailed { .. }))?;
    let CharonEvent::SaInstallFailed { what } = &failed.event else {
        return None;
    };
    let mut lines = vec![failed];
    lines.extend(neg.first(|e| matches!(e, CharonEvent::IkeSaEstablished { .. })));
    lines.extend(neg.first(|e| {
        matches!(
            e,
            CharonEvent::Proposals {
                list: ipsec_doctor_events::ProposalList::Selected,
                ..
            }
        )
    }));
    Some(Detection::new(
        format!(
            "The negotiation with {} succeeded, then charon logged \"{what}\".",
            neg.remote.as_deref().unwrap_or("the peer")
        ),
        evidence(lines),
    )
    .for_peer(format!(
        "The peer negotiated successfully, then could not install the SA in its kernel (\"{what}\") and \
         answered NO_PROPOSAL_CHOSEN: the proposals are not at fault; the peer's kernel or crypto support is."
    )))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn no_kernel_interface_at_start_in_a_container() {
        // strongSwan 5.3.5 in Docker without NET_ADMIN (real-logs strongswan-07).
        let log = "Mar 17 15:46:19 00[DMN] Starting IKE charon daemon (strongSwan 5.3.5, Linux 4.4.5, x86_64)\n\
                   Mar 17 15:46:19 00[KNL] unable to create netlink socket\n\
                   Mar 17 15:46:19 00[LIB] feature CUSTOM:libcharon in critical plugin 'charon' has unmet dependency: CUSTOM:kernel-ipsec";
        assert_eq!(ids(&diagnose("l.log", log)), ["kernel-sa-install-failure"]);
    }

    #[test]
    fn sad_install_failure() {
        let log = "charon: 09[IKE] unable to install inbound and outbound IPsec SA (SAD) in kernel";
        assert_eq!(ids(&diagnose("l.log", log)), ["kernel-sa-install-failure"]);
    }
}
