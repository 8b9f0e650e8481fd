//! Error and diagnostic types.

use crate::proposal::ProposalError;

/// Largest input (in bytes) any parser accepts: 64 MiB. Real gateway
/// configurations are far smaller; the cap bounds memory and time on hostile
/// input.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Most files one configuration may include in all (counting every
/// inclusion, so a file included twice counts twice).
pub const MAX_INCLUDED_FILES: usize = 1024;

/// Everything that can go wrong while reading a configuration.
///
/// Fatal errors are returned as `Err(ConfigError)` by the parse functions.
/// Recoverable problems (an unknown proposal keyword, an unparsable subnet,
/// a missing include) are collected in
/// [`ConfigSet::diagnostics`](crate::model::ConfigSet::diagnostics) and the
/// affected item is skipped, so one bad line does not hide the rest of the
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Malformed text: unterminated brace or quote, stray token, bad line.
    #[error("{path}:{line}: syntax error: {message}")]
    Syntax {
        /// Display path of the file.
        path: String,
        /// 1-based line number.
        line: u32,
        /// What is wrong.
        message: String,
    },
    /// The input exceeds [`MAX_INPUT_BYTES`].
    #[error("{path}: input of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Display path of the file.
        path: String,
        /// Size of the input in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The XML could not be parsed (malformed, DTD/entities, too deep...).
    #[error("{path}:{line}: XML error: {message}")]
    Xml {
        /// Display path of the file.
        path: String,
        /// 1-based line number (0 when unknown).
        line: u32,
        /// Parser message.
        message: String,
    },
    /// A proposal contains a keyword strongSwan does not know, or is
    /// otherwise invalid (recoverable: collected as a diagnostic).
    #[error("{path}:{line}: {source}")]
    UnknownProposalKeyword {
        /// Display path of the file.
        path: String,
        /// 1-based line number (0 when unknown).
        line: u32,
        /// The offending keyword (or whole proposal for structural errors).
        keyword: String,
        /// The underlying proposal error.
        source: ProposalError,
    },
    /// A value could not be interpreted (recoverable: collected as a
    /// diagnostic), e.g. a traffic selector that is not a subnet.
    #[error("{path}:{line}: invalid value for '{key}': {message}")]
    InvalidValue {
        /// Display path of the file.
        path: String,
        /// 1-based line number (0 when unknown).
        line: u32,
        /// The setting name.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// An included file could not be resolved (recoverable).
    #[error("{path}:{line}: include '{pattern}' matched no file")]
    IncludeNotFound {
        /// Display path of the including file.
        path: String,
        /// 1-based line of the include statement.
        line: u32,
        /// The include pattern.
        pattern: String,
    },
    /// Includes nest too deeply (probably a loop).
    #[error("{path}:{line}: includes nested more than {depth} levels deep")]
    IncludeDepth {
        /// Display path of the including file.
        path: String,
        /// 1-based line of the include statement.
        line: u32,
        /// The depth limit.
        depth: u32,
    },
    /// More files were included, in all, than a configuration can sensibly
    /// have: includes that fan out (each file including several others,
    /// several levels deep) would otherwise multiply without end.
    #[error("{path}:{line}: more than {limit} files included in all (includes fan out too far)")]
    TooManyIncludes {
        /// The file holding the include that went over the limit.
        path: String,
        /// Its line.
        line: u32,
        /// The limit.
        limit: usize,
    },
    /// A reference to something that does not exist, e.g. `also=` naming an
    /// unknown conn, or a phase 2 whose ikeid has no phase 1 (recoverable).
    #[error("{path}:{line}: {message}")]
    UnresolvedReference {
        /// Display path of the file.
        path: String,
        /// 1-based line number (0 when unknown).
        line: u32,
        /// What could not be resolved.
        message: String,
    },
    /// Something recognised but deliberately not supported (recoverable),
    /// e.g. OPNsense's MVC `<Swanctl>` configuration.
    #[error("{path}: unsupported: {message}")]
    Unsupported {
        /// Display path of the file.
        path: String,
        /// What is not supported.
        message: String,
    },
    /// The format of the input could not be recognised.
    #[error("{path}: unrecognised configuration format (expected swanctl.conf, ipsec.conf or pfSense/OPNsense config.xml)")]
    UnknownFormat {
        /// Display path of the file.
        path: String,
    },
}

impl ConfigError {
    /// The display path the error refers to.
    pub fn path(&self) -> &str {
        match self {
            ConfigError::Syntax { path, .. }
            | ConfigError::TooLarge { path, .. }
            | ConfigError::Xml { path, .. }
            | ConfigError::UnknownProposalKeyword { path, .. }
            | ConfigError::InvalidValue { path, .. }
            | ConfigError::IncludeNotFound { path, .. }
            | ConfigError::IncludeDepth { path, .. }
            | ConfigError::TooManyIncludes { path, .. }
            | ConfigError::UnresolvedReference { path, .. }
            | ConfigError::Unsupported { path, .. }
            | ConfigError::UnknownFormat { path } => path,
        }
    }

    /// The 1-based line the error refers to, if known.
    pub fn line(&self) -> Option<u32> {
        match self {
            ConfigError::Syntax { line, .. }
            | ConfigError::Xml { line, .. }
            | ConfigError::UnknownProposalKeyword { line, .. }
            | ConfigError::InvalidValue { line, .. }
            | ConfigError::IncludeNotFound { line, .. }
            | ConfigError::IncludeDepth { line, .. }
            | ConfigError::TooManyIncludes { line, .. }
            | ConfigError::UnresolvedReference { line, .. } => {
                if *line == 0 {
                    None
                } else {
                    Some(*line)
                }
            }
            _ => None,
        }
    }

    pub(crate) fn proposal(path: &str, line: u32, e: ProposalError) -> Self {
        let keyword = match &e {
            ProposalError::UnknownKeyword { keyword, .. } => keyword.clone(),
            ProposalError::MissingEncryption { proposal, .. }
            | ProposalError::MissingIntegrity { proposal, .. }
            | ProposalError::MissingPrf { proposal }
            | ProposalError::MissingKeyExchange { proposal }
            | ProposalError::MixedAead { proposal, .. } => proposal.clone(),
            ProposalError::Empty => String::new(),
        };
        ConfigError::UnknownProposalKeyword {
            path: path.to_string(),
            line,
            keyword,
            source: e,
        }
    }
}

/// Reject inputs above [`MAX_INPUT_BYTES`].
pub(crate) fn check_size(path: &str, contents: &str) -> Result<(), ConfigError> {
    if contents.len() > MAX_INPUT_BYTES {
        return Err(ConfigError::TooLarge {
            path: path.to_string(),
            size: contents.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}
