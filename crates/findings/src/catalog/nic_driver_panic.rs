//! `nic-driver-panic`: a FreeBSD kernel crash whose backtrace runs through
//! both a NIC driver and the IPsec input path.

use ipsec_doctor_events::KernelEvent;

use crate::facts::{CrashLine, HostFacts};
use crate::report::{Evidence, Severity};
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "nic-driver-panic",
    family: &RULE,
    severity: Severity::Error,
    title: "Kernel crash in a NIC driver with IPsec in the backtrace",
    explanation: "The kernel crashed (a panic, or a \"sleeping thread owns a non-sleepable lock\" report) \
        and the backtrace holds both network driver frames (igb, em, ix, ixl, bge, re, vmx, ...) and \
        IPsec frames (ipsec4_common_input, esp_input, esp_input_cb, crypto_dispatch, ...). Decrypted \
        packets are handed straight back into the network stack from the driver's receive path \
        (direct dispatch), so IPsec processing runs inside the driver's interrupt or queue context; with \
        some drivers that ends in a lock-order crash. Queueing IPsec input instead (netisr) avoids it.",
    fix: &[
        "pfSense: System > Advanced > System Tunables: add net.inet.ipsec.directdispatch with value 0 \
         (Save, then Apply; it takes effect at once, no reboot needed).",
        "Plain FreeBSD: sysctl net.inet.ipsec.directdispatch=0, and add it to /etc/sysctl.conf.",
        "Accepted input: the console's crash output, a textdump's ddb.txt, kgdb's bt, or syslog kernel: \
         lines from the boot after the crash.",
    ],
    see_also: &[],
    scope: Scope::Host(detect),
    also: &[],
    explained_by: &[],
};

/// Driver prefixes of FreeBSD NIC drivers (and iflib, which runs them since FreeBSD 12).
const NIC_PREFIXES: &[&str] = &[
    "igb_",
    "em_",
    "lem_",
    "ix_",
    "ixgbe_",
    "ixl_",
    "ixv_",
    "ice_",
    "bge_",
    "bce_",
    "bxe_",
    "re_",
    "rl_",
    "vmx_",
    "vtnet_",
    "msk_",
    "sk_",
    "fxp_",
    "xl_",
    "nfe_",
    "alc_",
    "ale_",
    "age_",
    "jme_",
    "sis_",
    "vr_",
    "mlx4_",
    "mlx5e_",
    "cxgbe_",
    "t4_",
    "iflib_",
    "_task_fn_rx",
    "hn_",
    "ae_",
];

fn is_nic(function: &str) -> bool {
    NIC_PREFIXES.iter().any(|p| function.starts_with(p))
}

fn is_ipsec(function: &str) -> bool {
    function.starts_with("ipsec")
        || function.starts_with("esp_")
        || function.starts_with("ah_input")
        || function.starts_with("ah_output")
        || function.starts_with("crypto_dispatch")
        || function.starts_with("crypto_done")
}

fn frame(line: &CrashLine) -> Option<&str> {
    match &line.event {
        KernelEvent::Frame { function } => Some(function),
        _ => None,
    }
}

fn detect(facts: &HostFacts) -> Option<Detection> {
    let mut traces: Vec<u32> = facts.crash.iter().map(|l| l.trace).collect();
    traces.dedup();
    for trace in traces {
        let lines: Vec<&CrashLine> = facts.crash.iter().filter(|l| l.trace == trace).collect();
        let nic: Vec<&CrashLine> = lines
            .iter()
            .copied()
            .filter(|l| frame(l).is_some_and(is_nic))
            .collect();
        let ipsec: Vec<&CrashLine> = lines
            .iter()
            .copied()
            .filter(|l| frame(l).is_some_and(is_ipsec))
            .collect();
        let (Some(first_nic), Some(first_ipsec)) = (nic.first(), ipsec.first()) else {
            continue;
        };
        // The header of this report, or of the one just before (a panic
        // message followed by `KDB: stack backtrace:`).
        let header = facts
            .crash
            .iter()
            .filter(|l| l.trace <= trace && matches!(l.event, KernelEvent::CrashHeader(_)))
            .filter(|l| l.trace + 1 >= trace)
            .map(|l| &l.evidence)
            .next();
        let mut evidence: Vec<Evidence> = header.into_iter().cloned().collect();
        evidence.extend(nic.iter().take(2).map(|l| l.evidence.clone()));
        evidence.extend(ipsec.iter().take(3).map(|l| l.evidence.clone()));
        evidence.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        evidence.dedup();
        let driver = frame(first_nic)
            .and_then(|f| f.split('_').find(|p| !p.is_empty()))
            .unwrap_or("the NIC");
        let ipsec_fn = frame(first_ipsec).unwrap_or("IPsec");
        return Some(Detection::new(
            format!(
                "The kernel crashed with the {driver} driver and IPsec ({ipsec_fn}) in the same backtrace: \
                 set the tunable net.inet.ipsec.directdispatch=0."
            ),
            evidence,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn seed_backtrace_pasted_bare() {
        let dump = include_str!("../../tests/fixtures/system/nic-driver-panic.txt");
        let report = diagnose("crash.txt", dump);
        assert_eq!(ids(&report), ["nic-driver-panic"]);
        let f = &report.findings[0];
        assert!(f.summary.contains("igb"), "{}", f.summary);
        assert!(f.evidence[0].text.contains("Sleeping thread"));
        assert!(f.fix[0].contains("net.inet.ipsec.directdispatch"));
    }

    #[test]
    fn kernel_syslog_lines_and_textdump() {
        for (name, text) in [
            (
                "syslog",
                include_str!("../../tests/fixtures/system/nic-driver-panic-syslog.log"),
            ),
            (
                "ddb.txt",
                include_str!("../../tests/fixtures/system/nic-driver-panic-textdump.txt"),
            ),
        ] {
            assert_eq!(ids(&diagnose(name, text)), ["nic-driver-panic"], "{name}");
        }
    }

    #[test]
    fn a_driver_crash_without_ipsec_is_not_this() {
        let dump = include_str!("../../tests/fixtures/system/panic-without-ipsec.txt");
        assert!(diagnose("crash.txt", dump).findings.is_empty());
    }
}
