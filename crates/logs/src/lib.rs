//! Line framing for IPsec daemon logs.
//!
//! Operators hand over logs in many shapes: strongSwan's own file log, BSD
//! syslog as pfSense, OPNsense and rsyslog write it, RFC 5424 syslog,
//! `journalctl` in its `short`, `short-iso` and `json` forms, charon-systemd's
//! journal lines, `swanctl --log` output, log views copied out of a web GUI,
//! and bare messages pasted into a forum post. This crate looks at one line at
//! a time, without flags and without I/O, and says which daemon wrote it, on
//! which host, at what time, and what the daemon's message is.
//!
//! ```
//! use ipsec_doctor_logs::{frame, Daemon, Format};
//!
//! let line = "Nov 27 00:31:57 fw1 charon[4242]: 13[IKE] <con2000|1> no proposal found";
//! let framed = frame(line).expect("a charon line");
//! assert_eq!(framed.format, Format::BsdSyslog);
//! assert_eq!(framed.host.as_deref(), Some("fw1"));
//! assert_eq!(framed.daemon, Daemon::Charon);
//! assert_eq!(framed.thread, Some(13));
//! assert_eq!(framed.group.as_deref(), Some("IKE"));
//! assert_eq!(framed.ike_sa.map(|sa| (sa.name.into_owned(), sa.unique_id)), Some(("con2000".to_owned(), Some(1))));
//! assert_eq!(framed.message, "no proposal found");
//! ```
//!
//! Framing never fails on odd input: a line that fits no known shape comes back
//! as a [`Format::Bare`] message from an [`Daemon::Unknown`] program, and it is
//! for the next stage to decide whether the message means anything.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod frame;
mod order;
mod timestamp;

pub use frame::{frame, span_in, Daemon, Format, Framed, FramedSpans, IkeSaTag};
pub use order::{detect_order, LineOrder};
pub use timestamp::Timestamp;
