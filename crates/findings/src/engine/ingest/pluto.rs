//! pluto's lines: kept in the host's pluto log, per connection.

use ipsec_doctor_events::parse_pluto;
use ipsec_doctor_logs::Framed;

use crate::engine::Diagnoser;
use crate::pluto::PlutoLog;

impl Diagnoser {
    /// A line of Libreswan's pluto: kept in the host's pluto log, per
    /// connection, and judged when the input has ended.
    pub(super) fn push_pluto(&mut self, framed: &Framed<'_>, path: &str, line_no: u64, raw: &str) {
        let path = self.intern(path);
        self.at = Some((path.clone(), line_no));
        let ev = self.evidence_of(&path, line_no, raw);
        let line = parse_pluto(&framed.message);
        let host = self.host_state(framed, &path);
        host.facts.daemon_line("pluto", &ev);
        host.pluto
            .get_or_insert_with(|| Box::new(PlutoLog::new(host.facts.host.clone(), path.clone())))
            .record(line, ev, framed.pid);
    }

    /// Whether the input of a bare line (no program name) has shown pluto's
    /// or charon's lines and none of racoon's: `journalctl -o cat` of pluto
    /// gives pluto's `ERROR: ...` lines with no prefix, which racoon's level
    /// prefix would otherwise claim (Libreswan 5.2, lab).
    pub(super) fn another_daemons_input(&mut self, framed: &Framed<'_>, path: &str) -> bool {
        let path = self.intern(path);
        let host = self.host_state(framed, &path);
        host.racoon.is_none() && (host.pluto.is_some() || host.facts.charon_lines > 0)
    }
}
