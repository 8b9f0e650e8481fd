//! Proposals in charon's log notation: `IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024`.

use std::fmt;

/// What a transform does, told from its charon name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransformKind {
    /// Encryption algorithm (Phase 1/2 "Encryption Algorithm").
    Encryption,
    /// Integrity algorithm (pfSense's "Hash Algorithm").
    Integrity,
    /// Pseudo-random function (IKE only).
    Prf,
    /// Diffie-Hellman group / key exchange method (PFS in Phase 2).
    KeyExchange,
    /// Extended sequence numbers.
    Esn,
}

/// The parts of a proposal that pfSense and OPNsense show as one setting
/// each, and that a proposal mismatch is named by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attribute {
    /// Encryption Algorithm (and key length).
    Encryption,
    /// Hash Algorithm: integrity, and for IKE the PRF.
    Hash,
    /// DH Group (Phase 1) / PFS key group (Phase 2).
    DhGroup,
}

impl Attribute {
    /// The transform kinds the setting chooses.
    pub fn kinds(self) -> &'static [TransformKind] {
        match self {
            Attribute::Encryption => &[TransformKind::Encryption],
            Attribute::Hash => &[TransformKind::Integrity, TransformKind::Prf],
            Attribute::DhGroup => &[TransformKind::KeyExchange],
        }
    }

    /// The setting that chooses transforms of this kind (none chooses ESN).
    pub fn of_kind(kind: TransformKind) -> Option<Attribute> {
        match kind {
            TransformKind::Encryption => Some(Attribute::Encryption),
            TransformKind::Integrity | TransformKind::Prf => Some(Attribute::Hash),
            TransformKind::KeyExchange => Some(Attribute::DhGroup),
            TransformKind::Esn => None,
        }
    }
}

impl TransformKind {
    /// Classifies a transform name as charon prints it.
    pub fn of(name: &str) -> TransformKind {
        let upper = name.to_ascii_uppercase();
        if upper.starts_with("PRF_") {
            TransformKind::Prf
        } else if upper.ends_with("EXT_SEQ") {
            TransformKind::Esn
        } else if [
            "MODP_",
            "ECP_",
            "CURVE_",
            "ECP",
            "BRAINPOOL",
            "NTRU_",
            "NEWHOPE",
            "ML_KEM",
            "KE",
            "MLKEM",
        ]
        .iter()
        .any(|p| upper.starts_with(p))
        {
            TransformKind::KeyExchange
        } else if upper.starts_with("HMAC_")
            || upper.ends_with("_XCBC_96")
            || upper.ends_with("_CMAC_96")
            || upper.contains("GMAC")
            || upper == "AUTH_NONE"
        {
            TransformKind::Integrity
        } else {
            TransformKind::Encryption
        }
    }

    /// Parses the transform type named in `no acceptable X found`.
    pub fn from_transform_type(name: &str) -> Option<TransformKind> {
        Some(match name {
            "ENCRYPTION_ALGORITHM" => TransformKind::Encryption,
            "INTEGRITY_ALGORITHM" => TransformKind::Integrity,
            "PSEUDO_RANDOM_FUNCTION" => TransformKind::Prf,
            "DIFFIE_HELLMAN_GROUP" | "KEY_EXCHANGE_METHOD" => TransformKind::KeyExchange,
            "EXTENDED_SEQUENCE_NUMBERS" => TransformKind::Esn,
            _ => return None,
        })
    }

    /// The name operators know it by.
    pub fn label(self) -> &'static str {
        match self {
            TransformKind::Encryption => "encryption algorithm",
            TransformKind::Integrity => "hash (integrity) algorithm",
            TransformKind::Prf => "PRF",
            TransformKind::KeyExchange => "DH group",
            TransformKind::Esn => "extended sequence numbers",
        }
    }
}

/// One proposal: a protocol and its transforms, in the order charon printed them.
///
/// Kept as the one string charon wrote (`IKE:AES_CBC_128/HMAC_SHA1_96/...`):
/// busy logs print several proposals per line, and a string per transform
/// made parsing them an allocator benchmark.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Proposal {
    text: String,
    /// Where the `:` after the protocol is.
    colon: usize,
}

impl Proposal {
    /// Parses `IKE:AES_CBC_128/HMAC_SHA1_96/...`. Returns `None` for text that
    /// is not a proposal.
    pub fn parse(text: &str) -> Option<Proposal> {
        let text = text.trim();
        // One pass: the protocol, then transforms separated by `/`, each 1
        // to 64 of `[A-Za-z0-9_.-]`.
        let mut colon = None;
        let mut name_len = 0;
        for (i, b) in text.bytes().enumerate() {
            match b {
                b':' if colon.is_none() => {
                    colon = Some(i);
                    if !(1..=64).contains(&name_len) {
                        return None;
                    }
                    name_len = 0;
                }
                b'/' if colon.is_some() => {
                    if !(1..=64).contains(&name_len) {
                        return None;
                    }
                    name_len = 0;
                }
                _ if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') => name_len += 1,
                _ => return None,
            }
        }
        let colon = colon?;
        (1..=64).contains(&name_len).then(|| Proposal {
            text: text.to_owned(),
            colon,
        })
    }

    /// `IKE`, `ESP` or `AH`.
    pub fn protocol(&self) -> &str {
        &self.text[..self.colon]
    }

    /// Transform names, e.g. `AES_CBC_128`, `HMAC_SHA1_96`, `MODP_1024`.
    pub fn transforms(&self) -> std::str::Split<'_, char> {
        self.text[self.colon + 1..].split('/')
    }

    /// Parses charon's `%#P` list: proposals separated by `, `.
    pub fn parse_list(text: &str) -> Vec<Proposal> {
        let mut list = Vec::new();
        let mut rest = text;
        loop {
            let (item, after) = crate::charon::split_once_str(rest, ", ").unwrap_or((rest, ""));
            list.extend(Proposal::parse(item));
            if item.len() == rest.len() {
                return list;
            }
            rest = after;
        }
    }

    /// The transforms of one kind.
    pub fn of_kind(&self, kind: TransformKind) -> Vec<&str> {
        self.transforms()
            .filter(|t| TransformKind::of(t) == kind)
            .collect()
    }

    /// Encryption algorithms.
    pub fn encryption(&self) -> Vec<&str> {
        self.of_kind(TransformKind::Encryption)
    }

    /// Whether the proposal carries a DH group (for ESP: PFS is on).
    pub fn has_key_exchange(&self) -> bool {
        !self.of_kind(TransformKind::KeyExchange).is_empty()
    }
}

impl fmt::Display for Proposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Proposal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Proposal", 2)?;
        out.serialize_field("protocol", self.protocol())?;
        out.serialize_field("transforms", &self.transforms().collect::<Vec<_>>())?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_charon_transform_names() {
        for (name, kind) in [
            ("AES_CBC_256", TransformKind::Encryption),
            ("AES_GCM_16_128", TransformKind::Encryption),
            ("3DES_CBC", TransformKind::Encryption),
            ("CHACHA20_POLY1305", TransformKind::Encryption),
            ("HMAC_SHA2_512_256", TransformKind::Integrity),
            ("AES_XCBC_96", TransformKind::Integrity),
            ("PRF_HMAC_SHA1", TransformKind::Prf),
            ("MODP_1024", TransformKind::KeyExchange),
            ("ECP_256", TransformKind::KeyExchange),
            ("CURVE_25519", TransformKind::KeyExchange),
            ("NO_EXT_SEQ", TransformKind::Esn),
        ] {
            assert_eq!(TransformKind::of(name), kind, "{name}");
        }
    }

    #[test]
    fn parses_a_list_and_rejects_junk() {
        let list = Proposal::parse_list(
            "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024, IKE:AES_CBC_256/MODP_2048",
        );
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].to_string(), "IKE:AES_CBC_256/MODP_2048");
        assert_eq!(list[1].protocol(), "IKE");
        assert_eq!(
            list[1].transforms().collect::<Vec<_>>(),
            ["AES_CBC_256", "MODP_2048"]
        );
        assert!(Proposal::parse("not a proposal").is_none());
        assert!(Proposal::parse("IKE:AES CBC").is_none());
        for junk in [
            "IKE:",
            ":AES_CBC_128",
            "IKE:A//B",
            "IKE:A/",
            "IKE:A:B",
            "I/KE:A",
            "IKE:AÉS",
        ] {
            assert!(Proposal::parse(junk).is_none(), "{junk}");
        }
        let longest = format!("ESP:{}", "A".repeat(64));
        assert!(Proposal::parse(&longest).is_some());
        assert!(Proposal::parse(&format!("{longest}A")).is_none());
        assert_eq!(
            Proposal::parse(" ESP:AES_GCM_16_256/NO_EXT_SEQ ").map(|p| p.to_string()),
            Some("ESP:AES_GCM_16_256/NO_EXT_SEQ".to_owned())
        );
    }
}
