//! `kernel-sa-install-failure`: IKE succeeded but the kernel refused the SA.

use ipsec_doctor_events::{CharonEvent, PlutoEvent};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, PEER_RUNS_PLUTO, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "kernel-sa-install-failure",
    family: &RULE,
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
    see_also: &[SeeAlso::Rule(&super::crypto_accelerator_keylen::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(30, pluto_no_interface), Scope::Pluto(40, pluto_refused)],
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

/// pluto has no kernel interface at all: nothing can be installed.
fn pluto_no_interface(c: &PlutoConnection<'_>) -> Option<Detection> {
    let k = c.find(|e| matches!(e, PlutoEvent::KernelInterfaceFailed { .. }))?;
    let PlutoEvent::KernelInterfaceFailed { reason } = &k.event else {
        return None;
    };
    let last = c.last(|e| matches!(e, PlutoEvent::KernelInterfaceFailed { .. }));
    Some(
        Detection::new(
            format!(
                "pluto could not open the kernel's IPsec interface and stopped (\"{reason}\"): no \
                 SA can be installed on this host. The kernel lacks XFRM support, or pluto runs \
                 without the privilege to use it (a container or VPS without NET_ADMIN, an \
                 OpenVZ/LXC guest). {RUNS_PLUTO}"
            ),
            pluto::evidence(&[Some(k), last]),
        )
        .with_fix(
            "Libreswan: check `ipsec verify` and `lsmod | grep xfrm`; load xfrm_user, esp4 and \
             af_key (modprobe), or run in a VM/container that may manage XFRM (CAP_NET_ADMIN)."
                .to_owned(),
        ),
    )
}

/// The kernel refused the SA after a successful negotiation: never a
/// configuration fault of either side.
fn pluto_refused(c: &PlutoConnection<'_>) -> Option<Detection> {
    let k = c.find(|e| matches!(e, PlutoEvent::KernelSaFailed { .. }))?;
    let reason = c.entries.iter().find_map(|e| match &e.event {
        PlutoEvent::KernelSaFailed { reason } if !reason.is_empty() => Some(reason.clone()),
        _ => None,
    });
    let conn = &c.conn;
    let summary =
        format!(
        "pluto negotiated {conn}{} but the kernel refused to install its IPsec SA{}: the peers \
         agree, this host's kernel IPsec (XFRM/ESP support, modules) is at fault. {RUNS_PLUTO}",
        if c.established.is_some() {
            " (IKE SA established)"
        } else {
            ""
        },
        reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default(),
    );
    let for_peer = format!(
        "The peer's pluto negotiated {conn} but its kernel refused to install the IPsec SA{}, so \
         it refused this side's request (Libreswan answers TS_UNACCEPTABLE or nothing): the \
         configurations agree; the peer's kernel IPsec (XFRM/ESP support, modules) is at fault. \
         {PEER_RUNS_PLUTO}",
        reason.map(|r| format!(" ({r})")).unwrap_or_default(),
    );
    Some(
        Detection::new(summary, pluto::evidence(&[c.established, Some(k)]))
            .for_peer(for_peer)
            .explains_peer_refusal(),
    )
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

    #[test]
    fn kernel_refusal_after_negotiation_is_never_a_config_fault() {
        let report = diagnose(
            "pluto.log",
            "Nov 27 02:33:55 gw pluto[1234]: \"site\" #1: initiator established IKE SA; authenticated peer using authby=secret and ID_IPV4_ADDR '192.0.2.74'\n\
             Nov 27 02:33:55 gw pluto[1234]: ERROR: \"site\" #2: netlink response for Add SA esp.cdd70c9c@192.0.2.74: Protocol not supported (errno 93)\n\
             Nov 27 02:33:55 gw pluto[1234]: \"site\" #2: CHILD SA encountered fatal error: INVALID_SYNTAX\n",
        );
        assert_eq!(ids(&report), ["kernel-sa-install-failure"]);
        assert!(report.findings[0].summary.contains("errno 93"));
    }

    /// A one-line charon excerpt whose IKE SA came up without a CHILD SA
    /// (undecided from this side: `negotiation-incomplete`) becomes the
    /// peer's kernel refusal once paired, an error read from a fragment,
    /// and says so like every other one.
    #[test]
    fn a_fragment_explained_by_the_peer_s_kernel_refusal_says_it_is_a_fragment() {
        let report = crate::catalog::testing::diagnose_files(&[
            (
                "left.log",
                "Nov 27 02:33:55 left charon: 09[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[left]...192.0.2.74[right]\n",
            ),
            (
                "right.log",
                "Nov 27 02:33:55 right pluto[1234]: \"site\" #1: responder established IKE SA; authenticated peer using authby=secret and ID_IPV4_ADDR '192.0.2.90'\n\
                 Nov 27 02:33:56 right pluto[1234]: ERROR: \"site\" #2: netlink response for Add SA esp.cdd70c9c@192.0.2.90: Protocol not supported (errno 93)\n",
            ),
        ]);
        let left = report
            .findings
            .iter()
            .find(|f| f.host.as_deref() == Some("left"))
            .expect("left's finding");
        assert_eq!(left.id, "kernel-sa-install-failure");
        assert!(!left.undecided());
        assert!(
            left.summary.contains("from the peer's log"),
            "{}",
            left.summary
        );
        assert!(
            left.summary.contains("Read from 1 line(s) only"),
            "{}",
            left.summary
        );
    }
}
