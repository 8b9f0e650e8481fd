//! Reading: each line, framed, goes to the reader of its daemon, which
//! keeps what rules need in the line's host state.

use std::sync::{Arc, OnceLock};

use hashbrown::hash_map::EntryRef;
use hashbrown::HashMap;

use ipsec_doctor_events::{parse_kernel, parse_racoon, KernelEvent};
use ipsec_doctor_logs::{Daemon, Framed};

use super::state::{write_host_key, HostState};
use super::Diagnoser;
use crate::facts::HostFacts;
use crate::report::{Evidence, UNREAD_SAMPLES};
use crate::sieve::Literal;

mod charon;
mod kernel;
mod pluto;
mod racoon;

impl Diagnoser {
    /// [`Diagnoser::push_kept_line`] for a line already framed (by another
    /// thread, say: see [`ipsec_doctor_logs::FramedSpans`]); `framed` must
    /// be `frame(raw)`.
    pub fn push_framed(
        &mut self,
        path: &str,
        line_no: u64,
        raw: &str,
        framed: Framed<'_>,
        literal: Option<Literal>,
    ) {
        self.input_at(path, line_no);
        self.line_no = line_no;
        match framed.daemon {
            Daemon::Racoon => {
                let line = parse_racoon(&framed.message);
                self.push_racoon(&framed, path, line_no, raw, line);
                return;
            }
            Daemon::Pluto => {
                self.push_pluto(&framed, path, line_no, raw);
                return;
            }
            Daemon::Kernel => {
                let event = parse_kernel(&framed.message);
                if event != KernelEvent::Unrecognized {
                    self.push_kernel(&framed, path, line_no, raw, event);
                }
                return;
            }
            Daemon::Unknown | Daemon::Wrapper if !framed.message.is_empty() => {
                // racoon's own log file and pasted excerpts carry no program
                // name; a pasted crash dump carries nothing at all.
                let line = parse_racoon(&framed.message);
                if line.looks_like_racoon() && !self.another_daemons_input(&framed, path) {
                    self.push_racoon(&framed, path, line_no, raw, line);
                    return;
                }
                let event = parse_kernel(&framed.message);
                if event != KernelEvent::Unrecognized {
                    self.push_kernel(&framed, path, line_no, raw, event);
                    return;
                }
            }
            _ => {}
        }
        self.push_charon(&framed, path, line_no, raw, literal);
    }

    /// A line that mentions an IPsec daemon or IKE but is none of the
    /// daemons' messages ipsec-doctor reads: counted, and the first few
    /// kept, for saying why nothing could be diagnosed.
    pub(super) fn note_unread(&mut self, path: &str, line_no: u64, raw: &str) {
        if !mentions_ipsec(raw) {
            return;
        }
        self.unread_lines += 1;
        if self.unread_samples.len() < UNREAD_SAMPLES {
            let path = self.intern(path);
            let evidence = self.evidence_of(&path, line_no, raw);
            self.unread_samples.push(evidence);
        }
    }

    pub(super) fn intern(&mut self, path: &str) -> Arc<str> {
        if let Some(p) = &self.last_path {
            if &**p == path {
                return p.clone();
            }
        }
        let p = self.intern_slow(path);
        self.last_path = Some(p.clone());
        p
    }

    fn intern_slow(&mut self, path: &str) -> Arc<str> {
        if let Some(p) = self.paths.get(path) {
            return p.clone();
        }
        let p: Arc<str> = Arc::from(path);
        self.paths.insert(path.to_owned(), p.clone());
        p
    }

    pub(super) fn host_state(&mut self, framed: &Framed<'_>, path: &Arc<str>) -> &mut HostState {
        self.host_mut(framed, path)
    }

    pub(super) fn host_mut(&mut self, framed: &Framed<'_>, path: &Arc<str>) -> &mut HostState {
        let mut key = std::mem::take(&mut self.key_buf);
        write_host_key(&mut key, framed.host.as_deref(), path);
        let line_no = self.line_no;
        // One hash and probe per call: this runs for every line kept.
        let host = match self.hosts.entry_ref(key.as_str()) {
            EntryRef::Occupied(host) => host.into_mut(),
            EntryRef::Vacant(slot) => {
                self.host_order.push(key.clone());
                slot.insert(Box::new(HostState {
                    facts: HostFacts {
                        host: framed.host.as_deref().map(str::to_owned),
                        origin: path.clone(),
                        ..HostFacts::default()
                    },
                    open: HashMap::default(),
                    thread_key: HashMap::default(),
                    current_untagged: None,
                    lines: 0,
                    tunnels: HashMap::default(),
                    tunnel_order: Vec::new(),
                    racoon: None,
                    pluto: None,
                    crash_traces: 0,
                    history: HashMap::default(),
                    history_order: Vec::new(),
                    sent_to_ike_port: HashMap::default(),
                    first_at: Some((path.clone(), line_no)),
                    ts_anchor: None,
                }))
            }
        };
        self.key_buf = key;
        host
    }

    pub(super) fn evidence_of(&self, path: &Arc<str>, line_no: u64, raw: &str) -> Evidence {
        Evidence {
            path: path.clone(),
            line: line_no,
            text: clip(
                raw.trim_end_matches(['\r', '\n']),
                self.limits.max_evidence_len,
            ),
        }
    }
}

/// Whether a line names an IPsec daemon or IKE (for [`crate::Reading`]).
fn mentions_ipsec(raw: &str) -> bool {
    static WORDS: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    let words = WORDS.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "charon",
                "pluto",
                "racoon",
                "strongswan",
                "libreswan",
                "openswan",
                "IKE_SA",
                "ISAKMP",
                "ipsec",
                "IKEv1",
                "IKEv2",
            ])
            .ok()
    });
    words.as_ref().is_some_and(|w| w.is_match(raw))
}

pub(super) fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
