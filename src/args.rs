//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};

/// Tells why an IPsec VPN tunnel does not work and what to change.
#[derive(Debug, Parser)]
#[command(name = "ipsec-doctor", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose IPsec logs (strongSwan charon in any common format; files,
    /// directories, .gz, or - for standard input).
    ///
    /// Exit status: 0 no error finding, 1 at least one error finding, 2 usage
    /// or input error (the readable inputs are still diagnosed).
    Diagnose {
        /// Log files or directories (read recursively); - reads standard input.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Colour: auto uses colour on a terminal unless NO_COLOR is set.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Print the documentation of a finding id or a guide (by id or keyword).
    Explain {
        /// A finding id (e.g. psk-mismatch) or a guide topic (e.g. mss).
        topic: String,
    },
    /// List every finding id and guide.
    Catalog {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For scripts: {"findings": [...], "tunnels": [...]}.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}
