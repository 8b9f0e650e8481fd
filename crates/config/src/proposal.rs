//! Conversion of strongSwan proposal keyword strings (`aes256-sha1-modp1024`)
//! into the canonical notation charon prints in its `configured proposals:`
//! log lines (`IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024`).
//!
//! The keyword table mirrors strongSwan's
//! `src/libstrongswan/crypto/proposal/proposal_keywords_static.txt`; the
//! printed names mirror the transform name tables
//! (`encryption_algorithm_names`, `integrity_algorithm_names`,
//! `pseudo_random_function_names`, `key_exchange_method_names`,
//! `extended_sequence_numbers_names`). The normalisation rules (PRF derived
//! from the integrity algorithm for IKE, PRFs dropped from ESP/AH, integrity
//! dropped from AEAD proposals, `NO_EXT_SEQ` added to ESP/AH, `KE_NONE`
//! dropped from IKE, print order ENCR/INTEG/PRF/KE/ESN/KEx) mirror
//! `check_proposal()` and `proposal_printf_hook()` in `proposal.c`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The protocol a proposal is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Protocol {
    /// IKE SA proposal (`proposals` in swanctl, `ike=` in ipsec.conf).
    Ike,
    /// ESP CHILD_SA proposal (`esp_proposals`, `esp=`).
    Esp,
    /// AH CHILD_SA proposal (`ah_proposals`, `ah=`).
    Ah,
}

impl Protocol {
    /// The prefix charon prints (`IKE`, `ESP`, `AH`).
    pub fn log_name(self) -> &'static str {
        match self {
            Protocol::Ike => "IKE",
            Protocol::Esp => "ESP",
            Protocol::Ah => "AH",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.log_name())
    }
}

/// Why a proposal keyword string could not be converted.
///
/// Each variant corresponds to a reason for which charon itself would reject
/// the proposal when loading the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProposalError {
    /// The proposal string was empty.
    #[error("empty proposal")]
    Empty,
    /// A keyword is not known to strongSwan ("algorithm '…' not recognized").
    #[error("algorithm '{keyword}' not recognized in proposal '{proposal}'")]
    UnknownKeyword {
        /// The offending keyword.
        keyword: String,
        /// The whole proposal string.
        proposal: String,
    },
    /// No encryption algorithm in an IKE/ESP proposal.
    #[error("an encryption algorithm is mandatory in {protocol} proposals ('{proposal}')")]
    MissingEncryption {
        /// Protocol of the proposal.
        protocol: Protocol,
        /// The whole proposal string.
        proposal: String,
    },
    /// No integrity algorithm where one is required.
    #[error("an integrity algorithm is mandatory in {protocol} proposal '{proposal}'")]
    MissingIntegrity {
        /// Protocol of the proposal.
        protocol: Protocol,
        /// The whole proposal string.
        proposal: String,
    },
    /// IKE proposal without PRF that could not be derived.
    #[error("a PRF algorithm is mandatory in IKE proposals ('{proposal}')")]
    MissingPrf {
        /// The whole proposal string.
        proposal: String,
    },
    /// IKE proposal without key exchange method.
    #[error("a DH group is mandatory in IKE proposals ('{proposal}')")]
    MissingKeyExchange {
        /// The whole proposal string.
        proposal: String,
    },
    /// AEAD and classic ciphers mixed in one proposal.
    #[error("classic and combined-mode (AEAD) encryption algorithms can't be contained in the same {protocol} proposal ('{proposal}')")]
    MixedAead {
        /// Protocol of the proposal.
        protocol: Protocol,
        /// The whole proposal string.
        proposal: String,
    },
}

/// Transform types in charon's print order (`type_for_sort` swaps PRF and
/// integrity so integrity is printed before the PRF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Encr,
    Integ,
    Prf,
    Ke,
    Esn,
    /// Additional key exchange 1..=7 (`keX_` prefix, strongSwan 6).
    AddKe(u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Transform {
    kind: Kind,
    name: &'static str,
    key_size: u16,
}

/// `(keyword, kind, printed name, key size)`, from
/// `proposal_keywords_static.txt` plus the name tables.
const KEYWORDS: &[(&str, Kind, &str, u16)] = &[
    ("null", Kind::Encr, "NULL", 0),
    ("des", Kind::Encr, "DES_CBC", 0),
    ("3des", Kind::Encr, "3DES_CBC", 0),
    ("aes", Kind::Encr, "AES_CBC", 128),
    ("aes128", Kind::Encr, "AES_CBC", 128),
    ("aes192", Kind::Encr, "AES_CBC", 192),
    ("aes256", Kind::Encr, "AES_CBC", 256),
    ("aes128ctr", Kind::Encr, "AES_CTR", 128),
    ("aes192ctr", Kind::Encr, "AES_CTR", 192),
    ("aes256ctr", Kind::Encr, "AES_CTR", 256),
    ("aes128ccm8", Kind::Encr, "AES_CCM_8", 128),
    ("aes128ccm64", Kind::Encr, "AES_CCM_8", 128),
    ("aes128ccm12", Kind::Encr, "AES_CCM_12", 128),
    ("aes128ccm96", Kind::Encr, "AES_CCM_12", 128),
    ("aes128ccm16", Kind::Encr, "AES_CCM_16", 128),
    ("aes128ccm128", Kind::Encr, "AES_CCM_16", 128),
    ("aes128ccm", Kind::Encr, "AES_CCM_16", 128),
    ("aes192ccm8", Kind::Encr, "AES_CCM_8", 192),
    ("aes192ccm64", Kind::Encr, "AES_CCM_8", 192),
    ("aes192ccm12", Kind::Encr, "AES_CCM_12", 192),
    ("aes192ccm96", Kind::Encr, "AES_CCM_12", 192),
    ("aes192ccm16", Kind::Encr, "AES_CCM_16", 192),
    ("aes192ccm128", Kind::Encr, "AES_CCM_16", 192),
    ("aes192ccm", Kind::Encr, "AES_CCM_16", 192),
    ("aes256ccm8", Kind::Encr, "AES_CCM_8", 256),
    ("aes256ccm64", Kind::Encr, "AES_CCM_8", 256),
    ("aes256ccm12", Kind::Encr, "AES_CCM_12", 256),
    ("aes256ccm96", Kind::Encr, "AES_CCM_12", 256),
    ("aes256ccm16", Kind::Encr, "AES_CCM_16", 256),
    ("aes256ccm128", Kind::Encr, "AES_CCM_16", 256),
    ("aes256ccm", Kind::Encr, "AES_CCM_16", 256),
    ("aes128gcm8", Kind::Encr, "AES_GCM_8", 128),
    ("aes128gcm64", Kind::Encr, "AES_GCM_8", 128),
    ("aes128gcm12", Kind::Encr, "AES_GCM_12", 128),
    ("aes128gcm96", Kind::Encr, "AES_GCM_12", 128),
    ("aes128gcm16", Kind::Encr, "AES_GCM_16", 128),
    ("aes128gcm128", Kind::Encr, "AES_GCM_16", 128),
    ("aes128gcm", Kind::Encr, "AES_GCM_16", 128),
    ("aes192gcm8", Kind::Encr, "AES_GCM_8", 192),
    ("aes192gcm64", Kind::Encr, "AES_GCM_8", 192),
    ("aes192gcm12", Kind::Encr, "AES_GCM_12", 192),
    ("aes192gcm96", Kind::Encr, "AES_GCM_12", 192),
    ("aes192gcm16", Kind::Encr, "AES_GCM_16", 192),
    ("aes192gcm128", Kind::Encr, "AES_GCM_16", 192),
    ("aes192gcm", Kind::Encr, "AES_GCM_16", 192),
    ("aes256gcm8", Kind::Encr, "AES_GCM_8", 256),
    ("aes256gcm64", Kind::Encr, "AES_GCM_8", 256),
    ("aes256gcm12", Kind::Encr, "AES_GCM_12", 256),
    ("aes256gcm96", Kind::Encr, "AES_GCM_12", 256),
    ("aes256gcm16", Kind::Encr, "AES_GCM_16", 256),
    ("aes256gcm128", Kind::Encr, "AES_GCM_16", 256),
    ("aes256gcm", Kind::Encr, "AES_GCM_16", 256),
    ("aes128gmac", Kind::Encr, "NULL_AES_GMAC", 128),
    ("aes192gmac", Kind::Encr, "NULL_AES_GMAC", 192),
    ("aes256gmac", Kind::Encr, "NULL_AES_GMAC", 256),
    ("chacha20poly1305", Kind::Encr, "CHACHA20_POLY1305", 0),
    (
        "chacha20poly1305compat",
        Kind::Encr,
        "CHACHA20_POLY1305",
        256,
    ),
    ("blowfish", Kind::Encr, "BLOWFISH_CBC", 128),
    ("blowfish128", Kind::Encr, "BLOWFISH_CBC", 128),
    ("blowfish192", Kind::Encr, "BLOWFISH_CBC", 192),
    ("blowfish256", Kind::Encr, "BLOWFISH_CBC", 256),
    ("camellia", Kind::Encr, "CAMELLIA_CBC", 128),
    ("camellia128", Kind::Encr, "CAMELLIA_CBC", 128),
    ("camellia192", Kind::Encr, "CAMELLIA_CBC", 192),
    ("camellia256", Kind::Encr, "CAMELLIA_CBC", 256),
    ("camellia128ctr", Kind::Encr, "CAMELLIA_CTR", 128),
    ("camellia192ctr", Kind::Encr, "CAMELLIA_CTR", 192),
    ("camellia256ctr", Kind::Encr, "CAMELLIA_CTR", 256),
    ("camellia128ccm8", Kind::Encr, "CAMELLIA_CCM_8", 128),
    ("camellia128ccm64", Kind::Encr, "CAMELLIA_CCM_8", 128),
    ("camellia128ccm12", Kind::Encr, "CAMELLIA_CCM_12", 128),
    ("camellia128ccm96", Kind::Encr, "CAMELLIA_CCM_12", 128),
    ("camellia128ccm16", Kind::Encr, "CAMELLIA_CCM_16", 128),
    ("camellia128ccm128", Kind::Encr, "CAMELLIA_CCM_16", 128),
    ("camellia192ccm8", Kind::Encr, "CAMELLIA_CCM_8", 192),
    ("camellia192ccm64", Kind::Encr, "CAMELLIA_CCM_8", 192),
    ("camellia192ccm12", Kind::Encr, "CAMELLIA_CCM_12", 192),
    ("camellia192ccm96", Kind::Encr, "CAMELLIA_CCM_12", 192),
    ("camellia192ccm16", Kind::Encr, "CAMELLIA_CCM_16", 192),
    ("camellia192ccm128", Kind::Encr, "CAMELLIA_CCM_16", 192),
    ("camellia256ccm8", Kind::Encr, "CAMELLIA_CCM_8", 256),
    ("camellia256ccm64", Kind::Encr, "CAMELLIA_CCM_8", 256),
    ("camellia256ccm12", Kind::Encr, "CAMELLIA_CCM_12", 256),
    ("camellia256ccm96", Kind::Encr, "CAMELLIA_CCM_12", 256),
    ("camellia256ccm16", Kind::Encr, "CAMELLIA_CCM_16", 256),
    ("camellia256ccm128", Kind::Encr, "CAMELLIA_CCM_16", 256),
    ("cast128", Kind::Encr, "CAST_CBC", 128),
    ("serpent", Kind::Encr, "SERPENT_CBC", 128),
    ("serpent128", Kind::Encr, "SERPENT_CBC", 128),
    ("serpent192", Kind::Encr, "SERPENT_CBC", 192),
    ("serpent256", Kind::Encr, "SERPENT_CBC", 256),
    ("twofish", Kind::Encr, "TWOFISH_CBC", 128),
    ("twofish128", Kind::Encr, "TWOFISH_CBC", 128),
    ("twofish192", Kind::Encr, "TWOFISH_CBC", 192),
    ("twofish256", Kind::Encr, "TWOFISH_CBC", 256),
    ("sha", Kind::Integ, "HMAC_SHA1_96", 0),
    ("sha1", Kind::Integ, "HMAC_SHA1_96", 0),
    ("sha1_160", Kind::Integ, "HMAC_SHA1_160", 0),
    ("sha256", Kind::Integ, "HMAC_SHA2_256_128", 0),
    ("sha2_256", Kind::Integ, "HMAC_SHA2_256_128", 0),
    ("sha256_96", Kind::Integ, "HMAC_SHA2_256_96", 0),
    ("sha2_256_96", Kind::Integ, "HMAC_SHA2_256_96", 0),
    ("sha384", Kind::Integ, "HMAC_SHA2_384_192", 0),
    ("sha2_384", Kind::Integ, "HMAC_SHA2_384_192", 0),
    ("sha512", Kind::Integ, "HMAC_SHA2_512_256", 0),
    ("sha2_512", Kind::Integ, "HMAC_SHA2_512_256", 0),
    ("md5", Kind::Integ, "HMAC_MD5_96", 0),
    ("md5_128", Kind::Integ, "HMAC_MD5_128", 0),
    ("aesxcbc", Kind::Integ, "AES_XCBC_96", 0),
    ("camelliaxcbc", Kind::Integ, "CAMELLIA_XCBC_96", 0),
    ("aescmac", Kind::Integ, "AES_CMAC_96", 0),
    ("prfsha1", Kind::Prf, "PRF_HMAC_SHA1", 0),
    ("prfsha256", Kind::Prf, "PRF_HMAC_SHA2_256", 0),
    ("prfsha384", Kind::Prf, "PRF_HMAC_SHA2_384", 0),
    ("prfsha512", Kind::Prf, "PRF_HMAC_SHA2_512", 0),
    ("prfmd5", Kind::Prf, "PRF_HMAC_MD5", 0),
    ("prfaesxcbc", Kind::Prf, "PRF_AES128_XCBC", 0),
    ("prfcamelliaxcbc", Kind::Prf, "PRF_CAMELLIA128_XCBC", 0),
    ("prfaescmac", Kind::Prf, "PRF_AES128_CMAC", 0),
    ("none", Kind::Ke, KE_NONE, 0),
    ("modpnone", Kind::Ke, KE_NONE, 0),
    ("modpnull", Kind::Ke, "MODP_NULL", 0),
    ("modp768", Kind::Ke, "MODP_768", 0),
    ("modp1024", Kind::Ke, "MODP_1024", 0),
    ("modp1536", Kind::Ke, "MODP_1536", 0),
    ("modp2048", Kind::Ke, "MODP_2048", 0),
    ("modp3072", Kind::Ke, "MODP_3072", 0),
    ("modp4096", Kind::Ke, "MODP_4096", 0),
    ("modp6144", Kind::Ke, "MODP_6144", 0),
    ("modp8192", Kind::Ke, "MODP_8192", 0),
    ("ecp192", Kind::Ke, "ECP_192", 0),
    ("ecp224", Kind::Ke, "ECP_224", 0),
    ("ecp256", Kind::Ke, "ECP_256", 0),
    ("ecp384", Kind::Ke, "ECP_384", 0),
    ("ecp521", Kind::Ke, "ECP_521", 0),
    ("modp1024s160", Kind::Ke, "MODP_1024_160", 0),
    ("modp2048s224", Kind::Ke, "MODP_2048_224", 0),
    ("modp2048s256", Kind::Ke, "MODP_2048_256", 0),
    ("ecp224bp", Kind::Ke, "ECP_224_BP", 0),
    ("ecp256bp", Kind::Ke, "ECP_256_BP", 0),
    ("ecp384bp", Kind::Ke, "ECP_384_BP", 0),
    ("ecp512bp", Kind::Ke, "ECP_512_BP", 0),
    ("curve25519", Kind::Ke, "CURVE_25519", 0),
    ("x25519", Kind::Ke, "CURVE_25519", 0),
    ("curve448", Kind::Ke, "CURVE_448", 0),
    ("x448", Kind::Ke, "CURVE_448", 0),
    ("gost256", Kind::Ke, "GOST3410_256", 0),
    ("gost512", Kind::Ke, "GOST3410_512", 0),
    ("mlkem512", Kind::Ke, "ML_KEM_512", 0),
    ("mlkem768", Kind::Ke, "ML_KEM_768", 0),
    ("mlkem1024", Kind::Ke, "ML_KEM_1024", 0),
    // strongSwan 5.9 only (removed in 6.0)
    ("ntru112", Kind::Ke, "NTRU_112", 0),
    ("ntru128", Kind::Ke, "NTRU_128", 0),
    ("ntru192", Kind::Ke, "NTRU_192", 0),
    ("ntru256", Kind::Ke, "NTRU_256", 0),
    ("newhope128", Kind::Ke, "NEWHOPE_128", 0),
    ("noesn", Kind::Esn, "NO_EXT_SEQ", 0),
    ("esn", Kind::Esn, "EXT_SEQ", 0),
];

const KE_NONE: &str = "KE_NONE";

/// `integ_prf_map` from proposal.c: PRF derived from an integrity algorithm.
const INTEG_PRF: &[(&str, &str)] = &[
    ("HMAC_SHA1_96", "PRF_HMAC_SHA1"),
    ("HMAC_SHA1_160", "PRF_HMAC_SHA1"),
    ("HMAC_SHA2_256_128", "PRF_HMAC_SHA2_256"),
    ("HMAC_SHA2_384_192", "PRF_HMAC_SHA2_384"),
    ("HMAC_SHA2_512_256", "PRF_HMAC_SHA2_512"),
    ("HMAC_MD5_96", "PRF_HMAC_MD5"),
    ("HMAC_MD5_128", "PRF_HMAC_MD5"),
    ("AES_XCBC_96", "PRF_AES128_XCBC"),
    ("CAMELLIA_XCBC_96", "PRF_CAMELLIA128_XCBC"),
    ("AES_CMAC_96", "PRF_AES128_CMAC"),
];

fn is_aead(name: &str) -> bool {
    name.starts_with("AES_CCM_")
        || name.starts_with("AES_GCM_")
        || name.starts_with("CAMELLIA_CCM_")
        || name == "NULL_AES_GMAC"
        || name == "CHACHA20_POLY1305"
}

fn lookup(keyword: &str) -> Option<Transform> {
    let lower = keyword.to_ascii_lowercase();
    // strongSwan 6 additional key exchanges: ke1_ .. ke7_ prefixes
    if let Some(rest) = lower.strip_prefix("ke") {
        let mut chars = rest.chars();
        if let (Some(d), Some('_')) = (chars.next(), chars.next()) {
            if let Some(n) = d.to_digit(10).filter(|n| (1..=7).contains(n)) {
                let inner = &rest[2..];
                return KEYWORDS
                    .iter()
                    .find(|(k, kind, _, _)| *k == inner && *kind == Kind::Ke)
                    .map(|(_, _, name, ks)| Transform {
                        kind: Kind::AddKe(n as u8),
                        name,
                        key_size: *ks,
                    });
            }
        }
    }
    KEYWORDS
        .iter()
        .find(|(k, _, _, _)| *k == lower)
        .map(|(_, kind, name, ks)| Transform {
            kind: *kind,
            name,
            key_size: *ks,
        })
}

/// Returns true if `keyword` is a single algorithm keyword strongSwan knows
/// (e.g. `aes256`, `sha1`, `modp2048`, `ke1_mlkem768`).
pub fn is_known_keyword(keyword: &str) -> bool {
    lookup(keyword).is_some()
}

/// Convert one proposal keyword string (dash separated, no commas, no
/// trailing `!`) into charon's canonical log notation, e.g.
/// `aes256-sha1-modp1024` → `IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024`.
///
/// The special value `default` is *not* accepted here (it expands to more
/// than one proposal); use [`expand_proposals`] for that.
///
/// ```
/// use ipsec_doctor_config::proposal::{keyword_proposal_to_canonical, Protocol};
/// assert_eq!(
///     keyword_proposal_to_canonical(Protocol::Esp, "aes128-sha1").unwrap(),
///     "ESP:AES_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ"
/// );
/// ```
pub fn keyword_proposal_to_canonical(protocol: Protocol, s: &str) -> Result<String, ProposalError> {
    let proposal = s.trim();
    if proposal.is_empty() {
        return Err(ProposalError::Empty);
    }
    let mut transforms: Vec<Transform> = Vec::new();
    for tok in proposal.split('-').map(str::trim).filter(|t| !t.is_empty()) {
        match lookup(tok) {
            Some(t) => transforms.push(t),
            None => {
                return Err(ProposalError::UnknownKeyword {
                    keyword: tok.to_string(),
                    proposal: proposal.to_string(),
                })
            }
        }
    }
    if transforms.is_empty() {
        return Err(ProposalError::Empty);
    }
    let has = |ts: &[Transform], k: Kind| ts.iter().any(|t| t.kind == k);

    if protocol == Protocol::Ike {
        if !has(&transforms, Kind::Prf) {
            let derived: Vec<Transform> = transforms
                .iter()
                .filter(|t| t.kind == Kind::Integ)
                .filter_map(|t| {
                    INTEG_PRF
                        .iter()
                        .find(|(i, _)| *i == t.name)
                        .map(|(_, p)| Transform {
                            kind: Kind::Prf,
                            name: p,
                            key_size: 0,
                        })
                })
                .collect();
            transforms.extend(derived);
        }
        if !has(&transforms, Kind::Prf) {
            return Err(ProposalError::MissingPrf {
                proposal: proposal.to_string(),
            });
        }
        transforms.retain(|t| !(t.kind == Kind::Ke && t.name == KE_NONE));
        if !has(&transforms, Kind::Ke) {
            return Err(ProposalError::MissingKeyExchange {
                proposal: proposal.to_string(),
            });
        }
    } else {
        transforms.retain(|t| t.kind != Kind::Prf);
    }

    if protocol == Protocol::Ike || protocol == Protocol::Esp {
        let encs: Vec<&Transform> = transforms.iter().filter(|t| t.kind == Kind::Encr).collect();
        if encs.is_empty() {
            return Err(ProposalError::MissingEncryption {
                protocol,
                proposal: proposal.to_string(),
            });
        }
        let any_aead = encs.iter().any(|t| is_aead(t.name));
        let all_aead = encs.iter().all(|t| is_aead(t.name));
        if any_aead && !all_aead {
            return Err(ProposalError::MixedAead {
                protocol,
                proposal: proposal.to_string(),
            });
        } else if all_aead {
            transforms.retain(|t| t.kind != Kind::Integ);
        } else if protocol == Protocol::Ike && !has(&transforms, Kind::Integ) {
            return Err(ProposalError::MissingIntegrity {
                protocol,
                proposal: proposal.to_string(),
            });
        }
    } else {
        // AH: GMAC is parsed as encryption and mapped to integrity
        let mut out = Vec::with_capacity(transforms.len());
        for t in transforms {
            if t.kind == Kind::Encr {
                if t.name == "NULL_AES_GMAC" {
                    let name = match t.key_size {
                        128 => Some("AES_128_GMAC"),
                        192 => Some("AES_192_GMAC"),
                        256 => Some("AES_256_GMAC"),
                        _ => None,
                    };
                    if let Some(name) = name {
                        out.push(Transform {
                            kind: Kind::Integ,
                            name,
                            key_size: 0,
                        });
                    }
                }
                continue;
            }
            out.push(t);
        }
        transforms = out;
        if !has(&transforms, Kind::Integ) {
            return Err(ProposalError::MissingIntegrity {
                protocol,
                proposal: proposal.to_string(),
            });
        }
    }

    if (protocol == Protocol::Esp || protocol == Protocol::Ah) && !has(&transforms, Kind::Esn) {
        transforms.push(Transform {
            kind: Kind::Esn,
            name: "NO_EXT_SEQ",
            key_size: 0,
        });
    }
    Ok(render(protocol, &transforms))
}

fn render(protocol: Protocol, transforms: &[Transform]) -> String {
    let mut kinds: Vec<Kind> = transforms.iter().map(|t| t.kind).collect();
    kinds.sort();
    kinds.dedup();
    let mut parts: Vec<String> = Vec::with_capacity(transforms.len());
    for k in kinds {
        for t in transforms.iter().filter(|t| t.kind == k) {
            let mut s = String::new();
            if let Kind::AddKe(n) = t.kind {
                s.push_str(&format!("KE{n}_"));
            }
            s.push_str(t.name);
            if t.key_size != 0 {
                s.push_str(&format!("_{}", t.key_size));
            }
            parts.push(s);
        }
    }
    format!("{}:{}", protocol.log_name(), parts.join("/"))
}

/// The proposals strongSwan 5.9 uses for the special value `default` (and,
/// for ipsec.conf, appends to non-strict lists), in canonical notation.
///
/// charon builds the default IKE proposals from the algorithms its loaded
/// crypto plugins provide, so the exact list varies between builds. This
/// returns the list for a typical distribution build with the default
/// plugin set plus `openssl` (which adds Camellia, ECP, Brainpool, Curve448
/// and ChaCha20-Poly1305); it follows the selection rounds of
/// `proposal_add_supported_ike()` (no DES/MD5/MODP_1024/MODP_1536, 3DES and
/// SHA1 last). Treat the IKE defaults as an approximation when the peer's
/// build is unknown. ESP defaults are fixed in
/// `proposal_create_default()` and do not depend on plugins. For IKE the
/// classic proposal comes first, then the AEAD one; for ESP (swanctl) the
/// AEAD proposal comes first ("We currently prefer AEAD for ESP but not for
/// IKE", `vici_config.c`). See [`default_proposals_ipsec_conf`] for the
/// ipsec.conf/stroke order.
pub fn default_proposals(protocol: Protocol) -> Vec<String> {
    match protocol {
        Protocol::Ike => vec![DEFAULT_IKE.to_string(), DEFAULT_IKE_AEAD.to_string()],
        Protocol::Esp => vec![DEFAULT_ESP_AEAD.to_string(), DEFAULT_ESP.to_string()],
        Protocol::Ah => vec![DEFAULT_AH.to_string()],
    }
}

/// Default proposals as appended by the stroke plugin (ipsec.conf): the
/// classic proposal first and then the AEAD one, for IKE and ESP alike.
pub fn default_proposals_ipsec_conf(protocol: Protocol) -> Vec<String> {
    match protocol {
        Protocol::Ike => vec![DEFAULT_IKE.to_string(), DEFAULT_IKE_AEAD.to_string()],
        Protocol::Esp => vec![DEFAULT_ESP.to_string(), DEFAULT_ESP_AEAD.to_string()],
        Protocol::Ah => vec![DEFAULT_AH.to_string()],
    }
}

const DEFAULT_IKE: &str = concat!(
    "IKE:AES_CBC_128/AES_CBC_192/AES_CBC_256/CAMELLIA_CBC_128/CAMELLIA_CBC_192/CAMELLIA_CBC_256/",
    "AES_CTR_128/AES_CTR_192/AES_CTR_256/CAMELLIA_CTR_128/CAMELLIA_CTR_192/CAMELLIA_CTR_256/3DES_CBC/",
    "HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/AES_CMAC_96/",
    "PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/PRF_AES128_XCBC/PRF_AES128_CMAC/PRF_HMAC_SHA1/",
    "ECP_256/ECP_384/ECP_521/ECP_256_BP/ECP_384_BP/ECP_512_BP/CURVE_25519/CURVE_448/",
    "MODP_3072/MODP_4096/MODP_6144/MODP_8192/MODP_2048"
);
const DEFAULT_IKE_AEAD: &str = concat!(
    "IKE:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/CHACHA20_POLY1305/",
    "AES_CCM_16_128/AES_CCM_16_192/AES_CCM_16_256/",
    "AES_GCM_12_128/AES_GCM_12_192/AES_GCM_12_256/AES_GCM_8_128/AES_GCM_8_192/AES_GCM_8_256/",
    "AES_CCM_12_128/AES_CCM_12_192/AES_CCM_12_256/AES_CCM_8_128/AES_CCM_8_192/AES_CCM_8_256/",
    "PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/PRF_AES128_XCBC/PRF_AES128_CMAC/PRF_HMAC_SHA1/",
    "ECP_256/ECP_384/ECP_521/ECP_256_BP/ECP_384_BP/ECP_512_BP/CURVE_25519/CURVE_448/",
    "MODP_3072/MODP_4096/MODP_6144/MODP_8192/MODP_2048"
);
const DEFAULT_ESP: &str = "ESP:AES_CBC_128/AES_CBC_192/AES_CBC_256/HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/NO_EXT_SEQ";
const DEFAULT_ESP_AEAD: &str = "ESP:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/NO_EXT_SEQ";
const DEFAULT_AH: &str =
    "AH:HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/NO_EXT_SEQ";

/// Expand a comma separated list of proposals (swanctl style, `default`
/// allowed, whitespace ignored) into canonical proposals. Errors are
/// collected per proposal so that the valid ones are still returned.
pub fn expand_proposals(protocol: Protocol, list: &str) -> (Vec<String>, Vec<ProposalError>) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for p in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if p.eq_ignore_ascii_case("default") {
            out.extend(default_proposals(protocol));
            continue;
        }
        match keyword_proposal_to_canonical(protocol, p) {
            Ok(c) => out.push(c),
            Err(e) => errs.push(e),
        }
    }
    (out, errs)
}

/// Key exchange methods (DH groups) named in a canonical proposal, e.g.
/// `["MODP_2048"]` for `ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ`.
/// `KE_NONE` is included when present (it makes PFS optional).
pub fn key_exchange_methods(canonical: &str) -> Vec<String> {
    let body = canonical
        .split_once(':')
        .map(|(_, b)| b)
        .unwrap_or(canonical);
    body.split('/')
        .filter(|n| {
            KEYWORDS
                .iter()
                .any(|(_, kind, name, _)| *kind == Kind::Ke && name == n)
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ike(s: &str) -> String {
        keyword_proposal_to_canonical(Protocol::Ike, s).unwrap()
    }
    fn esp(s: &str) -> String {
        keyword_proposal_to_canonical(Protocol::Esp, s).unwrap()
    }

    #[test]
    fn ike_classic_with_derived_prf() {
        assert_eq!(
            ike("aes256-sha1-modp1024"),
            "IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024"
        );
        assert_eq!(
            ike("aes128-sha1-modp1024"),
            "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024"
        );
        assert_eq!(
            ike("aes256-sha256-modp2048"),
            "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"
        );
        assert_eq!(
            ike("3des-md5-modp1024"),
            "IKE:3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024"
        );
        assert_eq!(
            ike("aes-aesxcbc-modp2048"),
            "IKE:AES_CBC_128/AES_XCBC_96/PRF_AES128_XCBC/MODP_2048"
        );
    }

    #[test]
    fn ike_explicit_prf_and_order() {
        // PRF given before integrity is still printed after it
        assert_eq!(
            ike("aes256-prfsha384-sha256-ecp384"),
            "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_384/ECP_384"
        );
        // key exchange before cipher: printing order is by type
        assert_eq!(
            ike("x25519-aes128-sha256"),
            "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519"
        );
    }

    #[test]
    fn ike_aead() {
        assert_eq!(
            ike("aes128gcm16-prfsha256-ecp256"),
            "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256"
        );
        assert_eq!(
            ike("chacha20poly1305-prfsha512-x448"),
            "IKE:CHACHA20_POLY1305/PRF_HMAC_SHA2_512/CURVE_448"
        );
        // integrity dropped for AEAD, but PRF derived from it first
        assert_eq!(
            ike("aes256gcm16-sha384-modp3072"),
            "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/MODP_3072"
        );
        assert_eq!(
            ike("aes256gcm128-sha256-ecp256"),
            "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256"
        );
    }

    #[test]
    fn ike_multiple_algorithms() {
        assert_eq!(
            ike("aes128-aes256-sha256-sha1-modp2048-modp1024"),
            "IKE:AES_CBC_128/AES_CBC_256/HMAC_SHA2_256_128/HMAC_SHA1_96/PRF_HMAC_SHA2_256/PRF_HMAC_SHA1/MODP_2048/MODP_1024"
        );
    }

    #[test]
    fn esp_examples() {
        assert_eq!(
            esp("aes128-sha1"),
            "ESP:AES_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ"
        );
        assert_eq!(
            esp("aes256-sha256-modp2048"),
            "ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"
        );
        assert_eq!(
            esp("aes256-sha512"),
            "ESP:AES_CBC_256/HMAC_SHA2_512_256/NO_EXT_SEQ"
        );
        assert_eq!(
            esp("aes256-sha1-modp2048"),
            "ESP:AES_CBC_256/HMAC_SHA1_96/MODP_2048/NO_EXT_SEQ"
        );
        assert_eq!(esp("aes128gcm16"), "ESP:AES_GCM_16_128/NO_EXT_SEQ");
        assert_eq!(esp("3des-md5"), "ESP:3DES_CBC/HMAC_MD5_96/NO_EXT_SEQ");
        assert_eq!(
            esp("aes256gcm16-ecp256-esn"),
            "ESP:AES_GCM_16_256/ECP_256/EXT_SEQ"
        );
        assert_eq!(
            esp("aes128-sha256-esn-noesn"),
            "ESP:AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ/NO_EXT_SEQ"
        );
        // PRF removed from ESP
        assert_eq!(
            esp("aes128-sha256-prfsha256"),
            "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"
        );
        // ESP without integrity is accepted (charon does not require it)
        assert_eq!(esp("aes128"), "ESP:AES_CBC_128/NO_EXT_SEQ");
        // KE_NONE is kept for ESP
        assert_eq!(
            esp("aes128-sha256-modp2048-none"),
            "ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/KE_NONE/NO_EXT_SEQ"
        );
    }

    #[test]
    fn single_keyword_names() {
        assert_eq!(esp("aes128gcm16"), "ESP:AES_GCM_16_128/NO_EXT_SEQ");
        assert_eq!(esp("3des-sha1"), "ESP:3DES_CBC/HMAC_SHA1_96/NO_EXT_SEQ");
        assert!(ike("aes128-sha256-x25519").ends_with("/CURVE_25519"));
        assert!(ike("aes128-sha256-ecp256").ends_with("/ECP_256"));
        assert!(ike("aes128-prfsha256-sha256-modp2048").contains("PRF_HMAC_SHA2_256"));
        assert_eq!(
            esp("chacha20poly1305compat"),
            "ESP:CHACHA20_POLY1305_256/NO_EXT_SEQ"
        );
        assert_eq!(
            esp("blowfish-md5"),
            "ESP:BLOWFISH_CBC_128/HMAC_MD5_96/NO_EXT_SEQ"
        );
        assert_eq!(
            esp("cast128-sha1"),
            "ESP:CAST_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ"
        );
        assert_eq!(esp("null-sha256"), "ESP:NULL/HMAC_SHA2_256_128/NO_EXT_SEQ");
        assert_eq!(esp("aes256gmac"), "ESP:NULL_AES_GMAC_256/NO_EXT_SEQ");
    }

    #[test]
    fn case_insensitive_and_whitespace() {
        assert_eq!(
            ike(" AES256-SHA256-MODP2048 "),
            "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"
        );
    }

    #[test]
    fn ah_proposals() {
        assert_eq!(
            keyword_proposal_to_canonical(Protocol::Ah, "sha256-modp2048").unwrap(),
            "AH:HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"
        );
        assert_eq!(
            keyword_proposal_to_canonical(Protocol::Ah, "aes128gmac").unwrap(),
            "AH:AES_128_GMAC/NO_EXT_SEQ"
        );
        assert!(matches!(
            keyword_proposal_to_canonical(Protocol::Ah, "aes128"),
            Err(ProposalError::MissingIntegrity { .. })
        ));
    }

    #[test]
    fn truncated_sha256_has_no_prf() {
        // charon has no PRF mapping for HMAC_SHA2_256_96
        assert!(matches!(
            keyword_proposal_to_canonical(Protocol::Ike, "aes128-sha256_96-modp2048"),
            Err(ProposalError::MissingPrf { .. })
        ));
    }

    #[test]
    fn additional_key_exchanges() {
        assert_eq!(
            ike("aes256-sha384-x25519-ke1_mlkem768"),
            "IKE:AES_CBC_256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/CURVE_25519/KE1_ML_KEM_768"
        );
    }

    #[test]
    fn unknown_keyword_is_named() {
        let e = keyword_proposal_to_canonical(Protocol::Ike, "aes256-sha999-modp2048").unwrap_err();
        assert_eq!(
            e,
            ProposalError::UnknownKeyword {
                keyword: "sha999".into(),
                proposal: "aes256-sha999-modp2048".into()
            }
        );
        assert!(e.to_string().contains("sha999"));
        assert!(matches!(
            keyword_proposal_to_canonical(Protocol::Esp, "default"),
            Err(ProposalError::UnknownKeyword { .. })
        ));
    }

    #[test]
    fn invalid_combinations() {
        assert!(matches!(
            keyword_proposal_to_canonical(Protocol::Ike, "aes128-sha256"),
            Err(ProposalError::MissingKeyExchange { .. })
        ));
        assert!(matches!(
            keyword_proposal_to_canonical(Protocol::Ike, "aes128-sha256-none"),
            Err(ProposalError::MissingKeyExchange { .. })
        ));
        assert!(matches!(
            keyword_proposal_to_canonical(Protocol::Ike, "aes128gcm16-modp2048"),
            Err(ProposalError::MissingPrf { .. })
        ));
        assert!(matches!(
            keyword_proposal_to_canonical(Protocol::Ike, "sha256-modp2048"),
            Err(ProposalError::MissingEncryption { .. })
        ));
        assert!(matches!(
            keyword_proposal_to_canonical(Protocol::Ike, "aes128-prfsha256-modp2048"),
            Err(ProposalError::MissingIntegrity { .. })
        ));
        assert!(matches!(
            keyword_proposal_to_canonical(Protocol::Esp, "aes128-aes128gcm16-sha256"),
            Err(ProposalError::MixedAead { .. })
        ));
        assert_eq!(
            keyword_proposal_to_canonical(Protocol::Esp, "   "),
            Err(ProposalError::Empty)
        );
        assert_eq!(
            keyword_proposal_to_canonical(Protocol::Esp, "--"),
            Err(ProposalError::Empty)
        );
        assert!(keyword_proposal_to_canonical(Protocol::Esp, "ke9_modp2048-aes128").is_err());
    }

    #[test]
    fn defaults_expand() {
        let (ps, errs) = expand_proposals(Protocol::Esp, "aes128-sha1, default");
        assert!(errs.is_empty());
        assert_eq!(ps.len(), 3);
        assert_eq!(
            ps[1],
            "ESP:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/NO_EXT_SEQ"
        );
        assert!(ps[2].starts_with("ESP:AES_CBC_128/AES_CBC_192/AES_CBC_256/HMAC_SHA2_256_128"));
        let ike = default_proposals(Protocol::Ike);
        assert!(ike[0].starts_with("IKE:AES_CBC_128/"));
        assert!(ike[1].starts_with("IKE:AES_GCM_16_128/"));
        assert!(!ike[0].contains("MODP_1024"));
        let (ps, errs) =
            expand_proposals(Protocol::Ike, "aes128-sha1-modp1024,bogus-sha1-modp1024");
        assert_eq!(ps.len(), 1);
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn ke_extraction() {
        assert_eq!(
            key_exchange_methods("ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"),
            vec!["MODP_2048"]
        );
        assert!(key_exchange_methods("ESP:AES_CBC_256/HMAC_SHA1_96/NO_EXT_SEQ").is_empty());
        assert_eq!(
            key_exchange_methods("IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/ECP_256/CURVE_25519"),
            vec!["ECP_256", "CURVE_25519"]
        );
    }

    #[test]
    fn every_keyword_converts_in_some_protocol() {
        for (k, kind, _, _) in KEYWORDS {
            let s = match kind {
                Kind::Encr => format!("{k}-sha256-modp2048"),
                Kind::Integ => format!("aes128-{k}-prfsha256-modp2048"),
                Kind::Prf => format!("aes128-sha256-{k}-modp2048"),
                Kind::Ke if *k == "none" || *k == "modpnone" => continue,
                Kind::Ke => format!("aes128-sha256-{k}"),
                Kind::Esn | Kind::AddKe(_) => continue,
            };
            let r = keyword_proposal_to_canonical(Protocol::Ike, &s);
            assert!(r.is_ok(), "{s}: {r:?}");
        }
    }
}
