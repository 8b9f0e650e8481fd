//! charon's lines: routed to the negotiation (IKE SA) they belong to.

use ipsec_doctor_events::{may_matter, parse_charon, parse_pluto, CharonEvent, PlutoEvent};
use ipsec_doctor_logs::{span_in, Daemon, Framed};
use std::sync::{Arc, OnceLock};

use super::clip;
use crate::engine::state::{host_key_of, write_host_key, SaKey};
use crate::engine::Diagnoser;
use crate::expiry::Queued;
use crate::negotiation::Negotiation;
use crate::report::Evidence;
use crate::sieve::{Literal, TS_WINDOW};

impl Diagnoser {
    /// The rest of [`Diagnoser::push_framed`] for a line that may be charon's.
    pub(super) fn push_charon(
        &mut self,
        framed: &Framed<'_>,
        path: &str,
        line_no: u64,
        raw: &str,
        literal: Option<Literal>,
    ) {
        let xmlreader = || xmlreader_finder().find(raw.as_bytes()).is_some();
        let interesting = match framed.daemon {
            Daemon::Charon | Daemon::CharonSystemd | Daemon::Unknown | Daemon::Wrapper => true,
            Daemon::Php | Daemon::Other => xmlreader(),
            _ => false,
        };
        if !interesting {
            self.note_unread(path, line_no, raw);
            return;
        }
        // The bulk of a charon log means nothing to diagnosis and is not
        // even counted, so that a reader may skip it unseen (crate::sieve).
        if framed.daemon.is_charon()
            && !literal.is_some_and(|l| literal_in_message(raw, &framed.message, l))
            && !may_matter(&framed.message)
            && !xmlreader()
        {
            self.ignored_daemon_lines += 1;
            return;
        }
        let path = self.intern(path);
        let xmlreader_warning = xmlreader() && raw.contains("Illegal string offset");
        let event = if xmlreader_warning {
            CharonEvent::Unrecognized
        } else {
            parse_charon(&framed.message)
        };
        // A message without spaces means something only as an item of a
        // traffic selector list that has just been printed; otherwise it is
        // not even counted, like the lines without a literal.
        let counts = match &event {
            CharonEvent::Unrecognized => xmlreader_warning || framed.message.trim().contains(' '),
            CharonEvent::TsListItem(_) => self.ts_list_open(framed, &path, line_no),
            _ => true,
        };
        if !counts {
            return;
        }
        self.at = Some((path.clone(), line_no));
        let evidence = || Evidence {
            path: path.clone(),
            line: line_no,
            text: clip(
                raw.trim_end_matches(['\r', '\n']),
                self.limits.max_evidence_len,
            ),
        };
        if xmlreader_warning {
            let ev = evidence();
            let host = self.host_state(framed, &path);
            host.facts.xmlreader_warning.push(ev);
            return;
        }
        let known_charon = framed.daemon.is_charon();
        let recognised = match &event {
            CharonEvent::Unrecognized => false,
            // A bare address/prefix means something only inside charon's
            // traffic selector lists.
            CharonEvent::TsListItem(_) => known_charon,
            _ => true,
        };
        if !known_charon && !recognised {
            // A bare pluto message pasted without its prefix (`Oakley
            // Transform [...] refused`): charon's reading went first.
            // Not where the same input's bare lines have been charon's and
            // none pluto's: `journalctl -o cat` of charon-systemd gives
            // charon's messages with no prefix at all, and charon's
            // "initiating EAP_IDENTITY method" is no pluto initiation
            // (recorded with strongSwan 6.0.1 in the lab).
            if matches!(framed.daemon, Daemon::Unknown | Daemon::Wrapper)
                && parse_pluto(&framed.message).event != PlutoEvent::Unrecognized
            {
                let host = self.host_state(framed, &path);
                if host.facts.charon_lines == 0 || host.pluto.is_some() {
                    self.push_pluto(framed, &path, line_no, raw);
                    return;
                }
            }
            self.note_unread(&path, line_no, raw);
            return;
        }
        let ev = evidence();
        let limits = self.limits;
        self.sequence += 1;
        let sequence = self.sequence;
        // This line's place in the input, for judging what it leaves behind.
        let pos = self.clock.pos();
        let host = self.host_state(framed, &path);
        host.lines += 1;
        host.facts.charon_lines += 1;
        host.facts.daemon_line("charon", &ev);
        if host.facts.first_charon_line.is_none() {
            host.facts.first_charon_line = Some(ev.clone());
        }
        if framed.group.as_deref() == Some("CFG") || shows_cfg_detail(&event) {
            host.facts.cfg_detail = true;
        }
        if known_charon
            && matches!(
                event,
                CharonEvent::TsListHeader { .. } | CharonEvent::TsListItem(_)
            )
        {
            host.ts_anchor = Some((path.clone(), line_no));
        }
        if !recognised {
            return;
        }
        if matches!(event, CharonEvent::DaemonStarting) {
            // Unique ids start again at 1: nothing open can continue.
            let mut open: Vec<Negotiation> = host.open.drain().map(|(_, n)| *n).collect();
            // In the order they started, not the hash map's (random) order,
            // so that the report is the same at every run.
            open.sort_by_key(|n| n.started);
            host.thread_key.clear();
            host.current_untagged = None;
            for neg in open {
                self.judge(neg);
            }
            return;
        }
        let key = host.route(framed, &event);
        if !host.open.contains_key(&key) {
            if host.open.len() >= limits.open_negotiations_per_host {
                host.facts.negotiations_evicted += 1;
                host.facts.open_negotiations_cap = limits.open_negotiations_per_host;
                if host.facts.first_eviction.is_none() {
                    host.facts.first_eviction = Some(ev.clone());
                }
                if let Some(quietest) = host
                    .open
                    .iter()
                    .min_by_key(|(_, n)| (n.last_activity, n.started))
                    .map(|(k, _)| k.clone())
                {
                    if let Some(neg) = host.open.remove(&quietest) {
                        self.judge(*neg);
                    }
                }
            }
            let host = self.host_mut(framed, &path);
            host.open.insert(
                key.clone(),
                Box::new(Negotiation::new(
                    host.facts.host.clone(),
                    path.clone(),
                    sequence,
                )),
            );
            self.expiry.push(Queued {
                pos,
                started: sequence,
                host: host_key_of(framed.host.as_deref(), &path),
                key: key.clone(),
            });
        }
        let host = self.host_mut(framed, &path);
        let now = host.lines;
        let established = matches!(event, CharonEvent::IkeSaEstablished { .. });
        let Some(neg) = host.open.get_mut(&key) else {
            return;
        };
        neg.last_activity = now;
        neg.last_pos = pos;
        if neg.tag_conn.is_none() {
            if let Some(tag) = framed.ike_sa.as_ref().filter(|t| !t.name.is_empty()) {
                neg.tag_conn = Some(tag.name.clone().into_owned());
            }
        }
        neg.record(event, ev, limits.entries_per_negotiation);
        if established {
            if let Some(name) = neg.tunnel_name() {
                let started = neg.started;
                host.tunnel(&name).first_up.get_or_insert(started);
            }
        }
        if now.is_multiple_of(1024) {
            let quiet: Vec<SaKey> = host
                .open
                .iter()
                .filter(|(_, n)| now.saturating_sub(n.last_activity) >= limits.quiet_after_lines)
                .map(|(k, _)| k.clone())
                .collect();
            let mut judged: Vec<Negotiation> = quiet
                .iter()
                .filter_map(|k| host.open.remove(k))
                .map(|n| *n)
                .collect();
            judged.sort_by_key(|n| n.started);
            for neg in judged {
                self.judge(neg);
            }
        }
    }

    /// Whether a traffic selector item on this line may belong to a list:
    /// within [`TS_WINDOW`] lines of the host's last header or item.
    fn ts_list_open(&mut self, framed: &Framed<'_>, path: &Arc<str>, line_no: u64) -> bool {
        let mut key = std::mem::take(&mut self.key_buf);
        write_host_key(&mut key, framed.host.as_deref(), path);
        let open = self
            .hosts
            .get(key.as_str())
            .and_then(|host| host.ts_anchor.as_ref())
            .is_some_and(|(p, line)| p == path && line_no.abs_diff(*line) <= TS_WINDOW as u64);
        self.key_buf = key;
        open
    }
}

fn xmlreader_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new("xmlreader.inc"))
}

fn shows_cfg_detail(event: &CharonEvent) -> bool {
    matches!(
        event,
        CharonEvent::Proposals { .. }
            | CharonEvent::LookingForPeerConfigs { .. }
            | CharonEvent::LookingForChildConfig { .. }
            | CharonEvent::TsListHeader { .. }
            | CharonEvent::SelectedPeerConfig(_)
            | CharonEvent::MatchedIkeConfig { .. }
    )
}

/// Whether `literal`, found in `raw`, lies within `message`, framed out of
/// `raw`: then [`may_matter`] is true without searching. The literal's
/// bytes are checked, since `raw` may be a decoded copy of the line the sieve
/// saw; a message that is not a slice of `raw` (journal JSON) never holds it.
fn literal_in_message(raw: &str, message: &str, literal: Literal) -> bool {
    let end = literal.at + literal.text.len();
    raw.as_bytes().get(literal.at..end) == Some(literal.text.as_bytes())
        && span_in(raw, message).is_some_and(|m| m.start <= literal.at && end <= m.end)
}
