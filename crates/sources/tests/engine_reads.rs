//! What the engine (`ipsec-doctor-logs`) reads of the lines `normalise`
//! delivers: the sender as the host where the message named none, the
//! message's own host otherwise, and charon's message intact.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use ipsec_doctor_logs::{frame, Daemon};
use ipsec_doctor_sources::normalise;

fn sender() -> Option<IpAddr> {
    Some("192.0.2.7".parse().unwrap())
}

#[test]
fn the_engine_reads_the_host_and_the_message() {
    for (input, host) in [
        // OpenWrt: no host.
        (
            "<30>Dec  1 10:00:00 charon[12]: 13[IKE] initiating IKE_SA",
            Some("192.0.2.7"),
        ),
        (
            "<30>Dec  1 10:00:00 charon: 13[IKE] initiating IKE_SA",
            Some("192.0.2.7"),
        ),
        (
            "Dec  1 10:00:00 charon[12]: 13[IKE] initiating IKE_SA",
            Some("192.0.2.7"),
        ),
        (
            "<30>2026-12-01T10:00:00+01:00 charon[12]: 13[IKE] initiating IKE_SA",
            Some("192.0.2.7"),
        ),
        // No timestamp either.
        ("<30>charon: 13[IKE] initiating IKE_SA", Some("192.0.2.7")),
        (
            "<30>charon[12]: 13[IKE] initiating IKE_SA",
            Some("192.0.2.7"),
        ),
        // RFC 5424 with the NILVALUE host.
        (
            "<30>1 2026-12-01T10:00:01.000Z - charon 123 - - 13[IKE] initiating IKE_SA",
            Some("192.0.2.7"),
        ),
        // A host of its own: kept.
        (
            "<30>Dec  1 10:00:00 fw1 charon[12]: 13[IKE] initiating IKE_SA",
            Some("fw1"),
        ),
        (
            "<30>1 2026-12-01T10:00:01.000Z fw2 charon 123 - - 13[IKE] initiating IKE_SA",
            Some("fw2"),
        ),
    ] {
        let line = normalise(input.as_bytes(), sender());
        let framed = frame(&line).unwrap();
        assert_eq!(framed.host.as_deref(), host, "{line}");
        assert_eq!(framed.daemon, Daemon::Charon, "{line}");
        assert_eq!(framed.thread, Some(13), "{line}");
        assert_eq!(framed.message, "initiating IKE_SA", "{line}");
    }
}
