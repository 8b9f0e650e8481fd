//! Judging a negotiation once the *input* has moved on, not only its host.
//!
//! A host that logs fewer lines than [`crate::Limits::quiet_after_lines`]
//! would keep every negotiation open until the end of the input; with tens
//! of thousands of hosts in one central syslog that is most of the input
//! held in memory. So a negotiation is also judged once the input has moved
//! [`crate::Limits::quiet_after_input_lines`] lines past its last line.
//!
//! The rule is on fixed positions of the input, so that a diagnoser reading
//! every line and several reading a share of the hosts each (see
//! [`crate::Diagnoser::merge`]) judge the same negotiations, with the same
//! lines, in the same order per host: the input is cut into checkpoints
//! every [`CHECKPOINT`] lines of each file, counted from the file's first
//! position, and at each checkpoint the negotiations quiet for longer than
//! the limit are judged, in the order they started, as of that checkpoint.
//! A diagnoser crosses a checkpoint at its first position past it: a line
//! it reads, or a position a reader reports ([`crate::Diagnoser::input_at`])
//! for the lines it did not get.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// Lines of a file between two checkpoints, at most: a quarter of the
/// limit below that (small limits, in tests).
pub(crate) const CHECKPOINT: u64 = 4096;

/// The checkpoint interval for a limit.
pub(crate) fn checkpoint_every(limit: u64) -> u64 {
    (limit / 4).clamp(1, CHECKPOINT)
}

/// A position in the input: the file (in the order this diagnoser met
/// them) and the lines read of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub file: u32,
    pub read: u64,
}

impl Pos {
    /// Whether a negotiation last seen at `self` has been quiet for more
    /// than `limit` lines at checkpoint `at`. A file read since then counts
    /// from its own first line on.
    pub fn quiet_at(self, at: Pos, limit: u64) -> bool {
        if self.file < at.file {
            at.read > limit
        } else {
            at.read.saturating_sub(self.read) > limit
        }
    }
}

/// Where the reading is, and the checkpoints it has crossed.
#[derive(Debug, Clone)]
pub(crate) struct InputClock {
    every: u64,
    path: Option<Arc<str>>,
    file: u32,
    /// The file's first position (its first line number, or its last for a
    /// newest-first file read backwards).
    start: u64,
    descending: Option<bool>,
    read: u64,
    next_checkpoint: u64,
}

impl InputClock {
    /// A clock with checkpoints for the limit `limit` (see [`checkpoint_every`]).
    pub fn new(limit: u64) -> InputClock {
        InputClock {
            every: checkpoint_every(limit),
            path: None,
            file: 0,
            start: 0,
            descending: None,
            read: 0,
            next_checkpoint: 0,
        }
    }

    /// Moves to `line_no` of `path`; returns the checkpoints crossed, if
    /// any: those of the current file from `from` to `to` lines read, every
    /// [`InputClock::every`] lines.
    pub fn advance(&mut self, path: &Arc<str>, line_no: u64) -> Option<Crossed> {
        let same_file = self
            .path
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(p, path) || **p == **path);
        if !same_file {
            if self.path.is_some() {
                self.file += 1;
            }
            self.path = Some(path.clone());
            self.start = line_no;
            self.descending = None;
            self.read = 0;
            self.next_checkpoint = self.every;
        }
        if line_no != self.start && self.descending.is_none() {
            self.descending = Some(line_no < self.start);
        }
        self.read = self.read.max(line_no.abs_diff(self.start));
        if self.next_checkpoint > self.read {
            return None;
        }
        let from = self.next_checkpoint;
        let to = self.read - self.read % self.every;
        self.next_checkpoint = to.saturating_add(self.every);
        Some(Crossed {
            file: self.file,
            from,
            to,
        })
    }

    /// Lines between checkpoints.
    pub fn every(&self) -> u64 {
        self.every
    }

    /// The line number of the current file that `read` lines stand for.
    pub fn line_of(&self, read: u64) -> u64 {
        if self.descending == Some(true) {
            self.start.saturating_sub(read)
        } else {
            self.start.saturating_add(read)
        }
    }

    /// The current position.
    pub fn pos(&self) -> Pos {
        Pos {
            file: self.file,
            read: self.read,
        }
    }
}

/// The checkpoints a move crossed: `from` to `to` lines read of file
/// `file`, both checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Crossed {
    pub file: u32,
    pub from: u64,
    pub to: u64,
}

/// One open negotiation in the queue: where it was last seen (when it was
/// queued), and how to find it again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Queued<K> {
    pub pos: Pos,
    /// The negotiation's `started`: a later one of the same key is another.
    pub started: u64,
    pub host: String,
    pub key: K,
}

/// Open negotiations by the position they were last seen at (as of their
/// queueing: one that went on since is queued again when it comes up).
#[derive(Debug, Clone)]
pub(crate) struct ExpiryQueue<K: Ord> {
    heap: BinaryHeap<Reverse<Queued<K>>>,
}

impl<K: Ord> Default for ExpiryQueue<K> {
    fn default() -> Self {
        ExpiryQueue {
            heap: BinaryHeap::new(),
        }
    }
}

impl<K: Ord> ExpiryQueue<K> {
    pub fn push(&mut self, q: Queued<K>) {
        self.heap.push(Reverse(q));
    }

    /// The first checkpoint (a multiple of `every`, at least `from`, of
    /// file `file`) at which the first queued negotiation is quiet: the
    /// checkpoints before it would judge nothing, so a long jump in line
    /// numbers costs the sweeps that judge, not one per checkpoint.
    pub fn next_quiet_checkpoint(
        &self,
        file: u32,
        from: u64,
        every: u64,
        limit: u64,
    ) -> Option<u64> {
        let Reverse(top) = self.heap.peek()?;
        let quiet_from = if top.pos.file < file {
            limit.saturating_add(1)
        } else {
            top.pos.read.saturating_add(limit).saturating_add(1)
        };
        let rounded = quiet_from.div_ceil(every).saturating_mul(every);
        Some(rounded.max(from))
    }

    /// The next queued negotiation quiet at `at`, if any.
    pub fn pop_quiet(&mut self, at: Pos, limit: u64) -> Option<Queued<K>> {
        let Reverse(top) = self.heap.peek()?;
        if !top.pos.quiet_at(at, limit) {
            return None;
        }
        self.heap.pop().map(|Reverse(q)| q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_are_counted_from_each_file_s_first_position() {
        let a: Arc<str> = "a.log".into();
        let b: Arc<str> = "b.log".into();
        let mut clock = InputClock::new(1_000_000);
        assert_eq!(clock.advance(&a, 1), None);
        let crossed = clock.advance(&a, 2 * CHECKPOINT + 5);
        assert_eq!(
            crossed,
            Some(Crossed {
                file: 0,
                from: CHECKPOINT,
                to: 2 * CHECKPOINT
            })
        );
        assert_eq!(clock.line_of(CHECKPOINT), CHECKPOINT + 1);
        assert_eq!(clock.advance(&a, 2 * CHECKPOINT + 9), None);
        // A newest-first file, read backwards from its last line.
        assert_eq!(clock.advance(&b, 10 * CHECKPOINT), None);
        let crossed = clock.advance(&b, 9 * CHECKPOINT - 1);
        assert_eq!(
            crossed,
            Some(Crossed {
                file: 1,
                from: CHECKPOINT,
                to: CHECKPOINT
            })
        );
        assert_eq!(clock.line_of(CHECKPOINT), 9 * CHECKPOINT);
    }

    #[test]
    fn a_jump_to_a_huge_line_number_crosses_its_checkpoints_at_once() {
        let a: Arc<str> = "a.log".into();
        let mut clock = InputClock::new(1_000_000);
        clock.advance(&a, 1);
        let crossed = clock.advance(&a, u64::MAX).map(|c| c.to);
        assert_eq!(crossed, Some(u64::MAX - 1 - (u64::MAX - 1) % CHECKPOINT));
        assert_eq!(clock.advance(&a, u64::MAX), None);
    }

    #[test]
    fn a_negotiation_of_an_earlier_file_is_quiet_once_the_new_one_is_long_enough() {
        let old = Pos {
            file: 0,
            read: 999_999,
        };
        assert!(!old.quiet_at(Pos { file: 1, read: 100 }, 1000));
        assert!(old.quiet_at(
            Pos {
                file: 1,
                read: 1001
            },
            1000
        ));
        let same = Pos { file: 1, read: 5 };
        assert!(!same.quiet_at(
            Pos {
                file: 1,
                read: 1005
            },
            1000
        ));
        assert!(same.quiet_at(
            Pos {
                file: 1,
                read: 1006
            },
            1000
        ));
    }
}
