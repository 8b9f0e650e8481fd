//! Combining diagnosers that read disjoint hosts of the same inputs.

use hashbrown::HashMap;
use std::sync::Arc;

use super::{state::host_key_of, Diagnoser, Limits};
use crate::report::UNREAD_SAMPLES;

impl Diagnoser {
    /// Combines diagnosers that each read some of the hosts of the same
    /// inputs (every line of a host went to one of them, in log order, with
    /// the same path and line number), into the diagnoser that would have
    /// read every line: hosts and findings are put back in the order of the
    /// lines that brought them. `inputs` lists the paths in reading order.
    /// Call [`Diagnoser::finish`] on the result: judging what is still open
    /// and correlating across hosts happen there.
    ///
    /// This is what lets a caller spread hosts over threads; the library
    /// itself starts none.
    pub fn merge(parts: Vec<Diagnoser>, inputs: &[&str]) -> Diagnoser {
        let rank: HashMap<&str, usize> = inputs
            .iter()
            .enumerate()
            .rev()
            .map(|(i, p)| (*p, i))
            .collect();
        let pos = |at: &Option<(Arc<str>, u64)>| match at {
            Some((path, line)) => (rank.get(&**path).copied().unwrap_or(usize::MAX), *line),
            None => (usize::MAX, u64::MAX),
        };
        let limits = parts.first().map_or_else(Limits::default, |p| p.limits);
        let mut out = Diagnoser::with_limits(limits);
        let mut hosts = Vec::new();
        let mut findings = Vec::new();
        let mut unread = Vec::new();
        for mut part in parts {
            out.sequence = out.sequence.max(part.sequence);
            out.unread_lines += part.unread_lines;
            out.ignored_daemon_lines += part.ignored_daemon_lines;
            unread.append(&mut part.unread_samples);
            for (path, interned) in part.paths.drain() {
                out.paths.entry(path).or_insert(interned);
            }
            for key in part.host_order {
                if let Some(host) = part.hosts.remove(&key) {
                    hosts.push((pos(&host.first_at), key, host));
                }
            }
            findings.extend(
                part.findings
                    .into_iter()
                    .zip(part.added_at)
                    .map(|(f, at)| (pos(&at), f, at)),
            );
        }
        unread.sort_by_key(|e| (rank.get(&*e.path).copied().unwrap_or(usize::MAX), e.line));
        unread.truncate(UNREAD_SAMPLES);
        out.unread_samples = unread;
        hosts.sort_by_key(|(p, _, _)| *p);
        for (_, key, host) in hosts {
            if !out.hosts.contains_key(&key) {
                out.host_order.push(key.clone());
                out.hosts.insert(key, host);
            }
        }
        findings.sort_by_key(|(p, _, _)| *p);
        for (_, finding, at) in findings {
            let key = (
                host_key_of(finding.host.as_deref(), &finding.origin),
                finding.tunnel.clone(),
                finding.id,
            );
            if let Some(&i) = out.finding_index.get(&key) {
                out.findings[i].occurrences += finding.occurrences;
                continue;
            }
            out.finding_index.insert(key, out.findings.len());
            out.findings.push(finding);
            out.added_at.push(at);
        }
        out
    }
}
