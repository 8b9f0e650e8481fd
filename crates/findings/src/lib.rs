//! The diagnosis engine and the finding catalogue.
//!
//! Lines go in one at a time through [`Diagnoser::push_line`]; each is framed
//! (see `ipsec-doctor-logs`), typed (see `ipsec-doctor-events`) and routed to
//! the negotiation it belongs to: per host (the syslog host name, or the file
//! when lines carry none), then per IKE SA (charon's `<name|id>` tag, or, in
//! logs without one, the peer address last seen on the same worker thread).
//! When a negotiation goes quiet or the input ends, every rule of the
//! [`CATALOG`] looks at it. [`Diagnoser::finish`] then pairs the two ends of a
//! tunnel where both logs are present, so that the side that only saw
//! `NO_PROPOSAL_CHOSEN` learns from the other side exactly what differed.
//!
//! A large log is first passed through the [`Sieve`], which keeps only the
//! lines diagnosis can need; they go in through
//! [`Diagnoser::push_kept_line`] with the literal the sieve found, and the
//! report is the same as from every line.
//!
//! racoon's lines (pfSense 2.1 and older) are kept per host in a
//! [`RacoonLog`], since racoon seldom names the tunnel; kernel crash output
//! (panics and backtraces, from `kernel:` lines or a pasted dump) is kept per
//! host in its [`HostFacts`]; each tunnel's history across negotiations (DPD
//! teardowns, re-establishments, IKE ports) is kept in its [`TunnelFacts`].
//!
//! ```
//! use ipsec_doctor_findings::Diagnoser;
//!
//! let mut diagnoser = Diagnoser::new();
//! for (n, line) in [
//!     "charon: 14[CFG] received proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
//!     "charon: 14[CFG] configured proposals: IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
//!     "charon: 14[IKE] no proposal found",
//! ]
//! .iter()
//! .enumerate()
//! {
//!     diagnoser.push_line("responder.log", n as u64 + 1, line);
//! }
//! let report = diagnoser.finish();
//! assert_eq!(report.findings[0].id, "p1-encryption-mismatch");
//! assert!(report.findings[0].summary.contains("AES_CBC_128"));
//! ```
//!
//! Memory is bounded by the number of negotiations open at once, not by the
//! size of the input: quiet negotiations are judged and dropped as the input
//! goes on, and repeated findings are counted rather than stored again.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalog;
mod configured;
mod correlate;
mod engine;
mod expiry;
mod facts;
pub mod guides;
mod negotiation;
mod pluto;
mod racoon;
mod report;
mod rule;
mod sieve;
pub mod status;
mod topics;

pub use catalog::{families, matchers, rule_by_id, rules, Matcher, Matchers, CATALOG};
pub use configured::{intersects, ConfigFile};
pub use engine::{Diagnoser, Limits, QUIET_AFTER_INPUT_LINES};
pub use facts::{
    AcrossHosts, CrashLine, HostFacts, Initiations, Moment, MomentKind, Place, TunnelFacts,
};
/// The catalogue's signature strings: every charon message that can matter
/// contains one of them (see `ipsec_doctor_events::SIGNATURES`).
pub use ipsec_doctor_events::SIGNATURES;
pub use negotiation::{unnamed_tunnel, Entry, IkeVersion, Negotiation, Phase, Role};
pub use pluto::{PlutoConnection, PlutoEntry, PlutoLog};
pub use racoon::{RacoonEntry, RacoonLog};
pub use report::{Beat, Evidence, Finding, Reading, Report, Severity, TunnelSummary};
pub use rule::{Detection, ExplainedBy, Explainer, Reinterpretation, Rule, Scope, TunnelDetection};
pub use sieve::{KeptLine, Literal, Sieve};
pub use status::{Outcome, StatusHistory, TunnelStatus};
pub use topics::{find_topic, Found, Topic};
