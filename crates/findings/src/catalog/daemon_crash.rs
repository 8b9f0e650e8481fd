//! `daemon-crash`: the IKE daemon itself crashed or aborted.

use ipsec_doctor_events::{CharonEvent, PlutoEvent};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, PlutoLog, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "daemon-crash",
    family: &RULE,
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
    also: &[Scope::Pluto(10, pluto), Scope::PlutoLog(pluto_restarts)],
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

/// pluto aborted on a failed assertion (not where it has no kernel
/// interface at all: that abort is the kernel's).
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let a = c.find(|e| matches!(e, PlutoEvent::DaemonCrashed { .. }))?;
    if c.any(|e| matches!(e, PlutoEvent::KernelInterfaceFailed { .. })) {
        return None;
    }
    Some(Detection::new(
        format!(
            "pluto aborted on a failed assertion while handling {}: a fault of pluto \
             itself (or of a library it was built against), not of the configuration. \
             {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(a)]),
    ))
}

/// Restarts within this many seconds make a crash loop.
const CRASH_LOOP_SECONDS: i64 = 15 * 60;

/// pluto started again and again within minutes: three process ids or
/// more in a quarter of an hour (with no timestamps, in the same log).
fn pluto_restarts(log: &PlutoLog) -> Option<Detection> {
    if log.starts.len() < 3 {
        return None;
    }
    let first = log.starts.first()?;
    let last = log.starts.last()?;
    let span = match (first.1.timestamp(), last.1.timestamp()) {
        (Some(a), Some(b)) => Some(b.sort_key() - a.sort_key()),
        _ => None,
    };
    if span.is_some_and(|s| !(0..=CRASH_LOOP_SECONDS).contains(&s)) {
        return None;
    }
    let pids: Vec<String> = log.starts.iter().map(|(p, _)| p.to_string()).collect();
    let within = span.map_or_else(String::new, |s| format!(" within {} minute(s)", s / 60 + 1));
    Some(
        Detection::new(
            format!(
                "pluto started {} times{within} (process ids {}): unless someone restarted it by \
                 hand, it crashes and its supervisor starts it again. The last lines before each \
                 new process id are what it crashed on. {RUNS_PLUTO}",
                log.starts.len(),
                pids.join(", ")
            ),
            log.starts.iter().take(4).map(|(_, e)| e.clone()).collect(),
        )
        .with_fix(
            "Libreswan: `journalctl -u ipsec` (or /var/log/messages) shows 'Segmentation fault', \
             'ABORT' or a core dump next to each restart; upgrade Libreswan, and report the crash \
             with that line and the log before it."
                .to_owned(),
        ),
    )
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
