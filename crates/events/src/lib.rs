//! Typed IKE daemon messages.
//!
//! The framing crate strips a log line down to the daemon's message; this
//! crate says what the message means. strongSwan's charon prints a few hundred
//! distinct messages; the ones that matter for diagnosis become variants of
//! [`CharonEvent`] with their fields parsed (proposals, notifies, addresses,
//! identities, traffic selectors). Everything else is
//! [`CharonEvent::Unrecognized`], and the caller decides whether to keep it.
//!
//! ```
//! use ipsec_doctor_events::{parse_charon, CharonEvent, ProposalList};
//!
//! let event = parse_charon("received proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024");
//! let CharonEvent::Proposals { list, proposals } = event else { panic!() };
//! assert_eq!(list, ProposalList::Received);
//! assert_eq!(proposals[0].encryption(), vec!["AES_CBC_128"]);
//! ```
//!
//! Log text is untrusted: identities and proposal strings come from the
//! network. Parsers here never panic and never trust a length or a count in a
//! message beyond what the text itself holds.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod charon;
mod kernel;
mod notify;
mod pluto;
mod prefilter;
mod proposal;
mod racoon;

pub use charon::{
    config_load_failure, libreswan_config_load_failure, packet_bytes, parse_charon, CharonEvent,
    ConfigPart, Direction, EapFailureKind, Endpoint, ExchangeMode, IdEndpoint, Payloads,
    ProposalList, SaName,
};
pub use kernel::{parse_kernel, KernelEvent};
pub use notify::Notify;
pub use pluto::{parse_pluto, PlutoEvent, PlutoLine};
pub use prefilter::{may_matter, SIGNATURES};
pub use proposal::{Attribute, Proposal, TransformKind};
pub use racoon::{parse_racoon, RacoonEvent, RacoonLevel, RacoonLine};
