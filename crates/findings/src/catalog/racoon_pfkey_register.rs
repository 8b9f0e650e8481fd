//! `racoon-pfkey-register`: racoon's "unsupported PF_KEY message REGISTER"
//! is normal.
//!
//! It appears every time racoon starts, in nearly every racoon log, so it is
//! reported only when it is the only racoon message this catalogue knows in
//! the host's log: then the operator most likely pasted it asking what it
//! means, and the answer is that it means nothing. Alongside anything else it
//! is left out. It is never a warning or an error.

use ipsec_doctor_events::RacoonEvent;

use crate::racoon::{evidence, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "racoon-pfkey-register",
    family: &RULE,
    severity: Severity::Info,
    title: "racoon: \"unsupported PF_KEY message REGISTER\" is normal",
    explanation: "racoon logs \"unsupported PF_KEY message REGISTER\" when it starts and registers with \
        the kernel's PF_KEY interface. This is a normal message and does not indicate any problem. \
        ipsec-doctor mentions it only when it is the only racoon message it recognises in the log; look \
        elsewhere for the cause of a failing tunnel.",
    fix: &[
        "Nothing to fix. If a tunnel fails, enable racoon's debug mode and look at the lines around the \
         failure (ipsec-doctor explain debugging).",
    ],
    see_also: &[SeeAlso::Guide("debugging")],
    scope: Scope::Racoon(detect),
    also: &[],
    explained_by: &[],
};

fn detect(log: &RacoonLog) -> Vec<TunnelDetection> {
    let Some(first) = log.all(|e| matches!(e, RacoonEvent::PfkeyRegister)).next() else {
        return Vec::new();
    };
    let anything_else = log.entries.iter().any(|e| {
        !matches!(
            e.event,
            RacoonEvent::PfkeyRegister | RacoonEvent::Unrecognized
        ) || e.level == Some(ipsec_doctor_events::RacoonLevel::Error)
    });
    if anything_else {
        return Vec::new();
    }
    vec![(
        None,
        Detection::new(
            "racoon registered with the kernel's PF_KEY interface, as it does at every start; the \
             \"unsupported PF_KEY message REGISTER\" message is normal and not a problem.",
            evidence([first]),
        ),
    )]
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};
    use crate::Severity;

    #[test]
    fn alone_it_is_explained_as_normal() {
        let report = diagnose(
            "s.log",
            include_str!("../../tests/fixtures/racoon/register.log"),
        );
        assert_eq!(ids(&report), ["racoon-pfkey-register"]);
        assert_eq!(report.findings[0].severity, Severity::Info);
        assert!(report.findings[0].summary.contains("normal"));
    }

    #[test]
    fn alongside_anything_else_it_is_left_out() {
        let log = "racoon: INFO: unsupported PF_KEY message REGISTER\n\
                   racoon: ERROR: failed to get sainfo.";
        assert_eq!(ids(&diagnose("s.log", log)), ["racoon-subnet-mismatch"]);
        let healthy = "racoon: INFO: unsupported PF_KEY message REGISTER\n\
                       racoon: INFO: ISAKMP-SA established 192.0.2.1[500]-198.51.100.2[500] spi:1:2";
        assert!(diagnose("s.log", healthy).findings.is_empty());
    }

    #[test]
    fn never_a_warning_however_often() {
        let log = "racoon: INFO: unsupported PF_KEY message REGISTER\n".repeat(500);
        let report = diagnose("s.log", &log);
        assert!(report.findings.iter().all(|f| f.severity == Severity::Info));
        assert!(!report.has_errors());
    }
}
