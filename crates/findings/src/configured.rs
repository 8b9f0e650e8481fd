//! One configuration file as the rules' configuration matchers read it
//! (`ipsec-doctor check`): the parsed model of `ipsec-doctor-config`, and
//! the file's text, for quoting the lines a finding rests on.

use std::sync::Arc;

use ipnet::IpNet;
use ipsec_doctor_config::{ConfigSet, Tunnel};

use crate::report::Evidence;

/// One configuration file as given to a prediction or a check.
#[derive(Debug, Clone, Copy)]
pub struct ConfigFile<'a> {
    /// The path shown in evidence.
    pub path: &'a str,
    /// The file's text, for quoting evidence lines.
    pub text: &'a str,
    /// The parsed configuration.
    pub config: &'a ConfigSet,
}

impl ConfigFile<'_> {
    /// The line at or after `from_line` (1-based) that sets `key` (`key =`,
    /// `key=` or `<key>`), within the block that starts there; falls back
    /// to the line `from_line` itself.
    pub fn line_for(&self, from_line: u32, keys: &[&str]) -> Evidence {
        let start = from_line.max(1) as usize;
        let lines: Vec<&str> = self.text.lines().collect();
        let window = lines.iter().enumerate().skip(start - 1).take(200);
        for (i, line) in window {
            let t = line.trim_start();
            let hit = keys.iter().any(|k| {
                t.strip_prefix(k).is_some_and(|rest| {
                    let rest = rest.trim_start();
                    rest.starts_with('=') || rest.starts_with('>') || rest.starts_with(' ')
                }) || t.starts_with(&format!("<{k}>"))
            });
            if hit {
                return self.evidence_at(i + 1);
            }
        }
        self.evidence_at(start)
    }

    /// The line `line` (1-based).
    pub fn evidence_at(&self, line: usize) -> Evidence {
        let text = self
            .text
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .trim_end()
            .to_owned();
        Evidence {
            path: Arc::from(self.path),
            line: line as u64,
            text,
        }
    }

    /// The first line containing `needle`.
    pub fn find_text(&self, needle: &str) -> Option<Evidence> {
        self.text
            .lines()
            .position(|l| l.contains(needle))
            .map(|i| self.evidence_at(i + 1))
    }
}

/// Every proposal of a tunnel, IKE and ESP, configured and effective.
pub(crate) fn all_proposals(t: &Tunnel) -> Vec<String> {
    t.ike_proposals_configured
        .iter()
        .chain(t.ike_proposals.iter())
        .chain(t.children.iter().flat_map(|c| c.esp_proposals.iter()))
        .cloned()
        .collect()
}

/// Whether two networks overlap.
pub fn intersects(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}
