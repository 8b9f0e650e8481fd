//! A tunnel's status, derived in one place from the outcomes of its
//! negotiations: every report, count and renderer reads it from here.
//!
//! Each negotiation ends [`Outcome::Up`] (its CHILD SA, or for an IKE-only
//! exchange its IKE SA, established and nothing left undecided),
//! [`Outcome::Failed`] (an error finding) or [`Outcome::Undecided`] (the log
//! does not show how it ended). A tunnel is [`TunnelStatus::Up`] or
//! [`TunnelStatus::Down`] by its last decided negotiation,
//! [`TunnelStatus::Unknown`] while none is decided, and
//! [`TunnelStatus::Flapping`] while its outcomes keep changing.
//!
//! Flapping is detected the way Nagios does (its `flapping.c`, "percent
//! state change"): the last [`FLAP_WINDOW`] decided outcomes are kept; each
//! change between two neighbours counts with a weight rising linearly from
//! 0.75 for the oldest change to 1.25 for the newest, and the sum over the
//! 20 possible changes is a percentage. A tunnel starts flapping above
//! [`FLAP_HIGH`] percent and stops only below [`FLAP_LOW`] percent (the
//! hysteresis keeps it from flickering between the two states). As in
//! Nagios, a history shorter than the window counts as if its first outcome
//! had filled the rest, so three outcomes can never make a flap.

use serde::Serialize;

/// How one negotiation of a tunnel ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The tunnel came up.
    Up,
    /// It failed (an error finding).
    Failed,
    /// The log does not show how it ended.
    Undecided,
}

/// What a tunnel is, by its negotiations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelStatus {
    /// Its last decided negotiation established it.
    Up,
    /// Its last decided negotiation failed.
    Down,
    /// Its outcomes keep changing (see the module doc).
    Flapping,
    /// No negotiation of it shows how it ended.
    Unknown,
}

impl TunnelStatus {
    /// The word the reports use: `up`, `down`, `flapping`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            TunnelStatus::Up => "up",
            TunnelStatus::Down => "down",
            TunnelStatus::Flapping => "flapping",
            TunnelStatus::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for TunnelStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Decided outcomes kept for flap detection (Nagios' `MAX_STATE_HISTORY_ENTRIES`).
pub const FLAP_WINDOW: usize = 21;
/// Percent state change above which a tunnel starts flapping (Nagios'
/// default `high_service_flap_threshold`).
pub const FLAP_HIGH: f64 = 20.0;
/// Percent state change below which a flapping tunnel stops flapping
/// (Nagios' default `low_service_flap_threshold`).
pub const FLAP_LOW: f64 = 5.0;

/// A tunnel's outcomes as far as its status needs them: a few bytes, so
/// that a central syslog of many thousand tunnels costs nothing here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusHistory {
    /// The last decided outcomes, newest in bit 0 (1: up).
    bits: u32,
    /// How many of `bits` are outcomes (at most [`FLAP_WINDOW`]).
    len: u8,
    flapping: bool,
    /// Negotiations that established the tunnel.
    pub up: u64,
    /// Negotiations that failed.
    pub failed: u64,
    /// Negotiations whose end is not in the log.
    pub undecided: u64,
}

impl StatusHistory {
    /// Records the outcome of the tunnel's next negotiation.
    pub fn record(&mut self, outcome: Outcome) {
        let bit = match outcome {
            Outcome::Up => {
                self.up += 1;
                1
            }
            Outcome::Failed => {
                self.failed += 1;
                0
            }
            Outcome::Undecided => {
                self.undecided += 1;
                return;
            }
        };
        self.bits = ((self.bits << 1) | bit) & ((1 << FLAP_WINDOW) - 1);
        self.len = (usize::from(self.len) + 1).min(FLAP_WINDOW) as u8;
        let change = self.percent_state_change();
        if self.flapping && change < FLAP_LOW {
            self.flapping = false;
        } else if !self.flapping && change > FLAP_HIGH {
            self.flapping = true;
        }
    }

    /// The weighted percent of changes among the last decided outcomes.
    pub fn percent_state_change(&self) -> f64 {
        let len = usize::from(self.len);
        if len < 2 {
            return 0.0;
        }
        // Oldest first; a short history is padded with its first outcome,
        // which adds no change.
        let state = |i: usize| (self.bits >> (len - 1 - i)) & 1;
        let padding = FLAP_WINDOW - len;
        let mut weighted = 0.0;
        for i in 1..len {
            if state(i) != state(i - 1) {
                // x in Nagios: the position of the newer state in the window.
                let x = (padding + i) as f64;
                weighted += (x - 1.0) * (1.25 - 0.75) / (FLAP_WINDOW - 2) as f64 + 0.75;
            }
        }
        weighted * 100.0 / (FLAP_WINDOW - 1) as f64
    }

    /// The tunnel's status.
    pub fn status(&self) -> TunnelStatus {
        if self.flapping {
            TunnelStatus::Flapping
        } else if self.len == 0 {
            TunnelStatus::Unknown
        } else if self.bits & 1 == 1 {
            TunnelStatus::Up
        } else {
            TunnelStatus::Down
        }
    }

    /// The status, and the counts it agrees with, of a history that is one
    /// outcome.
    pub fn of(outcome: Outcome) -> StatusHistory {
        let mut h = StatusHistory::default();
        h.record(outcome);
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    fn history(outcomes: &[Outcome]) -> StatusHistory {
        let mut h = StatusHistory::default();
        for &o in outcomes {
            h.record(o);
        }
        h
    }

    #[test]
    fn no_decided_negotiation_is_unknown() {
        assert_eq!(history(&[]).status(), TunnelStatus::Unknown);
        assert_eq!(
            history(&[Undecided, Undecided]).status(),
            TunnelStatus::Unknown
        );
    }

    #[test]
    fn the_last_decided_negotiation_decides() {
        assert_eq!(history(&[Failed, Up]).status(), TunnelStatus::Up);
        assert_eq!(history(&[Up, Failed]).status(), TunnelStatus::Down);
        assert_eq!(history(&[Failed, Up, Undecided]).status(), TunnelStatus::Up);
    }

    #[test]
    fn counts_agree_with_the_outcomes() {
        let h = history(&[Failed, Up, Undecided, Up]);
        assert_eq!((h.up, h.failed, h.undecided), (2, 1, 1));
    }

    #[test]
    fn retries_that_finally_establish_are_not_flapping() {
        let h = history(&[Failed, Failed, Failed, Failed, Up, Up, Up]);
        assert_eq!(h.status(), TunnelStatus::Up);
        assert!(h.percent_state_change() < FLAP_HIGH);
    }

    #[test]
    fn up_and_down_in_turn_is_flapping() {
        let h = history(&[Up, Failed, Up, Failed, Up, Failed]);
        assert_eq!(h.status(), TunnelStatus::Flapping);
    }

    #[test]
    fn a_tunnel_that_settles_stops_flapping_only_below_the_low_threshold() {
        let mut h = history(&[Up, Failed, Up, Failed, Up, Failed, Up]);
        assert_eq!(h.status(), TunnelStatus::Flapping);
        let mut steady = 0;
        while h.status() == TunnelStatus::Flapping {
            h.record(Up);
            steady += 1;
            assert!(steady <= FLAP_WINDOW, "never settles");
        }
        // Between the thresholds it was still flapping: hysteresis.
        assert!(h.percent_state_change() < FLAP_LOW);
        assert!(steady > 1);
        assert_eq!(h.status(), TunnelStatus::Up);
    }

    #[test]
    fn weights_match_nagios_at_both_ends_of_the_window() {
        // One change, at the newest position of a full window: weight 1.25.
        let mut outcomes = vec![Up; FLAP_WINDOW - 1];
        outcomes.push(Failed);
        let newest = history(&outcomes).percent_state_change();
        assert!((newest - 1.25 * 100.0 / 20.0).abs() < 1e-9, "{newest}");
        // One change, at the oldest position: weight 0.75.
        let mut outcomes = vec![Failed];
        outcomes.extend(vec![Up; FLAP_WINDOW - 1]);
        let oldest = history(&outcomes).percent_state_change();
        assert!((oldest - 0.75 * 100.0 / 20.0).abs() < 1e-9, "{oldest}");
    }

    #[test]
    fn serialises_as_the_report_words() {
        assert_eq!(
            serde_json::to_string(&TunnelStatus::Flapping).unwrap(),
            "\"flapping\""
        );
    }
}
