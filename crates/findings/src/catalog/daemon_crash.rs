//! `daemon-crash`: the IKE daemon itself crashed or aborted.

use ipsec_doctor_events::CharonEvent;

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "daemon-crash",
    family: "daemon-crash",
    severity: Severity::Error,
    title: "The IKE daemon crashed",
    explanation: "The IKE daemon itself stopped on an error of its own: charon received a fatal \
        signal and dumped its stack (\"dumping N stack frame addresses\"), or pluto aborted on a \
        failed assertion (\"ABORT: ASSERTION FAILED\"). No configuration of the peer causes this; \
        every tunnel of the host is down until the daemon is started again, and it will crash again \
        on the same input. Typical causes: a plugin or library left from an older version (after a \
        manual build or a partial upgrade), a library it was built against that was upgraded \
        underneath it (NSS, OpenSSL), or a bug of that version.",
    fix: &[
        "Upgrade to the distribution's current package, and remove leftovers of other builds \
         (/usr/local/lib/ipsec, /usr/lib/ipsec/plugins of another version; `ipsec --version`).",
        "If it persists, report it to the daemon's developers with the whole backtrace (charon: the \
         lines after \"dumping ... stack frame addresses\"; pluto: the ABORT line and \
         `coredumpctl info`).",
    ],
    see_also: &[],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let crash = neg.first(|e| matches!(e, CharonEvent::DaemonCrashed { .. }))?;
    let frames: Vec<_> = neg
        .entries
        .iter()
        .skip_while(|e| !std::ptr::eq(*e, crash))
        .take(4)
        .collect();
    Some(Detection::new(
        "charon crashed: its signal handler dumped the stack. The frames name the plugin or library \
         it crashed in."
            .to_owned(),
        evidence(std::iter::once(crash).chain(frames)),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn charon_dumps_its_stack() {
        // strongSwan 5.9.11 with an old connmark plugin (real-logs strongswan-05).
        let log = "Oct 17 02:53:55 08[LIB] <2>  dumping 11 stack frame addresses:\n\
                   Oct 17 02:53:55 08[LIB] <2>   /usr/lib/ipsec/plugins/libstrongswan-connmark.so @ 0x7f35da3bc000 [0x7f35da3bdfae]";
        assert_eq!(ids(&diagnose("l.log", log)), ["daemon-crash"]);
    }

    #[test]
    fn pluto_aborts_on_an_assertion() {
        // Openswan 2.6.47 on stderr (real-logs openswan-03): bare, but pluto's wording.
        let log = "ABORT at /build/openswan/src/openswan-2.6.47/programs/pluto/keys.c:488";
        assert_eq!(ids(&diagnose("l.log", log)), ["daemon-crash"]);
        let log = "Nov 27 00:00:00 gw pluto[7]: ABORT: ASSERTION FAILED: st != NULL (main_inI2_outR2() +61 /programs/pluto/ikev1_main.c)";
        assert_eq!(ids(&diagnose("l.log", log)), ["daemon-crash"]);
    }
}
