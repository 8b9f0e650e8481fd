//! IKE notify types as charon names them.

use std::fmt;

/// A notify message type. charon prints the long name in sentences
/// (`received NO_PROPOSAL_CHOSEN error notify`) and a short one in payload
/// lists (`[ N(NO_PROP) ]`); both parse to the same value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Notify {
    /// No proposal was acceptable.
    NoProposalChosen,
    /// Authentication failed.
    AuthenticationFailed,
    /// IKEv1: the proposed IDs (traffic selectors) were not acceptable.
    InvalidIdInformation,
    /// IKEv2: the traffic selectors were not acceptable.
    TsUnacceptable,
    /// IKEv2: the responder wants another key exchange method.
    InvalidKePayload,
    /// The peer could not parse the message.
    InvalidSyntax,
    /// IKEv1 against IKEv2.
    InvalidMajorVersion,
    /// IKEv1: a payload of an unknown type (NAT-T draft confusion).
    InvalidPayloadType,
    /// Any other notify, by name.
    Other(String),
}

impl Notify {
    /// Parses a long or short charon notify name.
    pub fn from_name(name: &str) -> Notify {
        Notify::known(name).unwrap_or_else(|| Notify::Other(name.to_owned()))
    }

    /// The error notify `name` stands for, `None` for any other.
    fn known(name: &str) -> Option<Notify> {
        Some(match name {
            "NO_PROPOSAL_CHOSEN" | "NO_PROP" => Notify::NoProposalChosen,
            "AUTHENTICATION_FAILED" | "AUTH_FAILED" => Notify::AuthenticationFailed,
            "INVALID_ID_INFORMATION" | "INVAL_ID" => Notify::InvalidIdInformation,
            "TS_UNACCEPTABLE" | "TS_UNACCEPT" => Notify::TsUnacceptable,
            "INVALID_KE_PAYLOAD" | "INVAL_KE" => Notify::InvalidKePayload,
            "INVALID_SYNTAX" | "INVAL_SYN" => Notify::InvalidSyntax,
            "INVALID_MAJOR_VERSION" | "INVAL_MAJOR" => Notify::InvalidMajorVersion,
            "INVALID_PAYLOAD_TYPE" | "INVAL_PAYLOAD" => Notify::InvalidPayloadType,
            _ => return None,
        })
    }

    /// Whether `name` (full or abbreviated, as charon prints it) names this
    /// notify: `from_name(name) == *self`, without allocating.
    pub fn is_named(&self, name: &str) -> bool {
        match (self, Notify::known(name)) {
            (Notify::Other(other), None) => other == name,
            (_, known) => known.as_ref() == Some(self),
        }
    }

    /// Whether the notify reports an error that ends a negotiation.
    pub fn is_error(&self) -> bool {
        !matches!(self, Notify::Other(_))
    }
}

impl fmt::Display for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Notify::NoProposalChosen => "NO_PROPOSAL_CHOSEN",
            Notify::AuthenticationFailed => "AUTHENTICATION_FAILED",
            Notify::InvalidIdInformation => "INVALID_ID_INFORMATION",
            Notify::TsUnacceptable => "TS_UNACCEPTABLE",
            Notify::InvalidKePayload => "INVALID_KE_PAYLOAD",
            Notify::InvalidSyntax => "INVALID_SYNTAX",
            Notify::InvalidMajorVersion => "INVALID_MAJOR_VERSION",
            Notify::InvalidPayloadType => "INVALID_PAYLOAD_TYPE",
            Notify::Other(name) => name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Notify;

    #[test]
    fn is_named_agrees_with_from_name() {
        let names = [
            "NO_PROP",
            "NO_PROPOSAL_CHOSEN",
            "AUTH_FAILED",
            "TS_UNACCEPT",
            "INVAL_MAJOR",
            "NATD_S_IP",
            "",
        ];
        for a in names {
            for b in names {
                let notify = Notify::from_name(a);
                assert_eq!(
                    notify.is_named(b),
                    notify == Notify::from_name(b),
                    "{a} / {b}"
                );
            }
        }
    }
}
