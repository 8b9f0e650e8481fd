//! Predicting IPsec failures from configurations.
//!
//! Logs tell what went wrong; configurations tell what will. This crate
//! takes the normalised tunnels of `ipsec-doctor-config` and applies the
//! rules strongSwan applies when two ends negotiate: IKE version and
//! Main/Aggressive mode, proposal selection (a proposal matches when every
//! transform type has an algorithm in common; IKEv2 ignores a CHILD SA's DH
//! group in IKE_AUTH and only uses it when rekeying), identities (including
//! an address identity seen through NAT), pre-shared keys, traffic selectors
//! (IKEv2 narrows to the intersection; IKEv1 needs the proposed networks
//! inside the responder's) and lifetimes. The outcome is a
//! [`ipsec_doctor_findings::Report`] with the same finding ids as log
//! diagnosis, so a prediction and a diagnosis of the same fault read the same.
//!
//! [`compare()`] predicts one tunnel between two configurations; [`check()`]
//! looks at one box's configuration alone for the troubleshooting guide's
//! configuration faults (overlapping networks, outbound NAT, VIPs, crypto
//! accelerators, MSS clamping, weak algorithms).
//!
//! Like every library of the workspace it does no I/O: the caller passes
//! each file's text (for evidence lines) and its parsed
//! [`ipsec_doctor_config::ConfigSet`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
mod compare;
mod evidence;
mod negotiate;

pub use check::check;
pub use compare::{compare, PredictError};

/// One configuration file as given to a prediction: its path, its text (for
/// quoting evidence lines) and its parsed [`ipsec_doctor_config::ConfigSet`].
pub type Side<'a> = ipsec_doctor_findings::ConfigFile<'a>;
