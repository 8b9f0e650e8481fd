//! Kernel crash output (panics, backtraces): kept per host.

use ipsec_doctor_events::KernelEvent;
use ipsec_doctor_logs::Framed;

use crate::engine::Diagnoser;
use crate::facts::{CrashLine, MAX_CRASH_LINES};

impl Diagnoser {
    /// A line of kernel crash output: kept per host, split into crash reports
    /// at each header.
    pub(super) fn push_kernel(
        &mut self,
        framed: &Framed<'_>,
        path: &str,
        line_no: u64,
        raw: &str,
        event: KernelEvent,
    ) {
        let path = self.intern(path);
        let ev = self.evidence_of(&path, line_no, raw);
        let host = self.host_state(framed, &path);
        if matches!(event, KernelEvent::CrashHeader(_)) {
            host.crash_traces += 1;
        }
        if host.facts.crash.len() < MAX_CRASH_LINES {
            host.facts.crash.push(CrashLine {
                trace: host.crash_traces,
                event,
                evidence: ev,
            });
        }
    }
}
