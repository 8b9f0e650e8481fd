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
    /// Diagnose IPsec logs (strongSwan charon, Libreswan/Openswan pluto,
    /// racoon, in any wrapper; files, directories, .gz, or - for standard
    /// input).
    ///
    /// Exit status: 0 read and no failure, 1 problems (an error finding, or a
    /// negotiation whose outcome or cause is not in the log), 2 usage or input error
    /// (the readable inputs are still diagnosed), 3 no IPsec negotiation
    /// could be read at all (stderr says why).
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
        /// Threads to diagnose with: hosts are spread over them (default: all
        /// cores; 1 reads and diagnoses on one thread).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
    },
    /// Predict the outcome of a tunnel from both ends' configurations
    /// (pfSense/OPNsense config.xml, swanctl.conf, ipsec.conf, in any mix),
    /// with the same findings and exit status as diagnose.
    Compare {
        /// This end's configuration.
        left: String,
        /// The other end's configuration.
        right: String,
        /// The tunnel of LEFT to compare (name, description or ikeid); by
        /// default tunnels are paired by mirrored addresses and subnets.
        #[arg(long, value_name = "NAME")]
        left_tunnel: Option<String>,
        /// The tunnel of RIGHT to compare.
        #[arg(long, value_name = "NAME")]
        right_tunnel: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Colour: auto uses colour on a terminal unless NO_COLOR is set.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Check one box's configuration for faults the logs cannot show
    /// (overlapping networks, outbound NAT, VIPs, accelerators, MSS clamping,
    /// weak algorithms).
    Check {
        /// The configuration (config.xml, swanctl.conf or ipsec.conf).
        config: String,
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
