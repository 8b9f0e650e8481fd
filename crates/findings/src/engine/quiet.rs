//! Judging what the input has left behind (see `expiry.rs`).

use std::sync::Arc;

use super::Diagnoser;
use crate::expiry::{Pos, Queued};

impl Diagnoser {
    /// Tells the diagnoser that the reading has reached `line_no` of `path`:
    /// negotiations the input has left behind are judged at the checkpoints
    /// passed, as they are by a diagnoser that reads every line (see
    /// `expiry.rs`). Lines pushed tell it themselves. A reader that hands
    /// out the lines to several diagnosers tells each of them where every
    /// chunk of lines begins and ends, the first line of each file before
    /// any line of it: positions count from there.
    pub fn input_at(&mut self, path: &str, line_no: u64) {
        let path = self.intern(path);
        let Some(crossed) = self.clock.advance(&path, line_no) else {
            return;
        };
        let (every, limit) = (self.clock.every(), self.limits.quiet_after_input_lines);
        let mut from = crossed.from;
        // Only the checkpoints at which something is quiet: the others
        // would judge nothing.
        while let Some(read) = self
            .expiry
            .next_quiet_checkpoint(crossed.file, from, every, limit)
            .filter(|&c| c <= crossed.to)
        {
            let at = Pos {
                file: crossed.file,
                read,
            };
            let line = self.clock.line_of(read);
            self.judge_left_behind(at, &path, line);
            from = read.saturating_add(every);
            if read == crossed.to {
                break;
            }
        }
    }

    /// Judges the negotiations quiet at checkpoint `at` (line `line` of
    /// `path`), in the order they started.
    fn judge_left_behind(&mut self, at: Pos, path: &Arc<str>, line: u64) {
        let limit = self.limits.quiet_after_input_lines;
        let mut quiet = Vec::new();
        while let Some(q) = self.expiry.pop_quiet(at, limit) {
            let Some(host) = self.hosts.get_mut(&q.host) else {
                continue;
            };
            let Some(neg) = host.open.get(&q.key).filter(|n| n.started == q.started) else {
                continue;
            };
            if neg.last_pos.quiet_at(at, limit) {
                quiet.extend(host.open.remove(&q.key).map(|n| *n));
            } else {
                // It went on since it was queued.
                let pos = neg.last_pos;
                self.expiry.push(Queued { pos, ..q });
            }
        }
        if quiet.is_empty() {
            return;
        }
        quiet.sort_by_key(|n| n.started);
        let reading = self.at.replace((path.clone(), line));
        for neg in quiet {
            self.judge(neg);
        }
        self.at = reading;
    }
}
