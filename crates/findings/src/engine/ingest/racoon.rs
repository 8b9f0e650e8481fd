//! racoon's lines: kept in the host's racoon log; DPD teardowns and Phase 1
//! establishments also go to the tunnel's history.

use ipsec_doctor_events::{RacoonEvent, RacoonLine};
use ipsec_doctor_logs::Framed;

use crate::engine::Diagnoser;
use crate::facts::{Moment, MomentKind, MAX_MOMENTS};
use crate::racoon::RacoonLog;

impl Diagnoser {
    /// A racoon line: kept in the host's racoon log; DPD teardowns and
    /// Phase 1 establishments also go to the tunnel's history.
    pub(super) fn push_racoon(
        &mut self,
        framed: &Framed<'_>,
        path: &str,
        line_no: u64,
        raw: &str,
        line: RacoonLine,
    ) {
        let path = self.intern(path);
        let ev = self.evidence_of(&path, line_no, raw);
        let at = framed.timestamp.map(|t| t.sort_key());
        let moment = match &line.event {
            RacoonEvent::DpdDead => Some(MomentKind::DpdDrop),
            RacoonEvent::IsakmpSaEstablished { .. } => Some(MomentKind::Up),
            _ => None,
        };
        let remote = line.peer().map(str::to_owned);
        let is_debug = line.level == Some(ipsec_doctor_events::RacoonLevel::Debug);
        let recognised = line.event != RacoonEvent::Unrecognized;
        let host = self.host_state(framed, &path);
        host.facts.racoon_lines += 1;
        host.facts.daemon_line("racoon", &ev);
        // racoon names no SA on most lines: any line it is understood to
        // say about an exchange shows that one took place.
        if recognised && host.facts.negotiations == 0 {
            host.facts.negotiations = 1;
        }
        if is_debug {
            host.facts.racoon_debug_lines += 1;
        }
        let log = host
            .racoon
            .get_or_insert_with(|| Box::new(RacoonLog::new(host.facts.host.clone(), path.clone())));
        let tunnel = log.record(line, at, ev.clone());
        if let Some(kind) = moment {
            let name = tunnel.unwrap_or_default();
            let facts = host.history(&name, &path);
            if facts.remote.is_none() {
                facts.remote = remote;
            }
            if facts.moments.len() < MAX_MOMENTS {
                facts.moments.push(Moment {
                    kind,
                    at,
                    evidence: ev,
                });
            }
        }
    }
}
