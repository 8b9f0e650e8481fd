//! `ipsec-doctor`: tells why an IPsec tunnel does not work and what to change.
//!
//! This crate is the command line only: argument parsing, reading files
//! (directories, `.gz`, standard input) and choosing a renderer. Everything
//! else lives in the library crates under `crates/`.

#![forbid(unsafe_code)]

mod args;
mod config_input;
mod input;
mod parallel;
mod watch;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use ipsec_doctor_findings::{families, find_topic, guides, Found, Report, Topic, CATALOG};

use args::{Cli, ColorChoice, Command, Format, Output, ReportFormat, WatchCli};

/// Exit codes are a public contract: monitoring depends on them.
const EXIT_OK: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_TROUBLE: u8 = 2;
/// `diagnose` read no IPsec negotiation at all.
const EXIT_NOTHING_READ: u8 = 3;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_TROUBLE
            } else {
                EXIT_OK
            });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("ipsec-doctor: {e:#}");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(io::ErrorKind::BrokenPipe)
    })
}

/// Output to a closed pipe (`| head`) ends quietly: the exit status is
/// still the diagnosis's.
fn quiet_on_closed_pipe(result: anyhow::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Diagnose {
            paths,
            output,
            threads,
        } => diagnose(&paths, &output, threads),
        Command::Compare {
            left,
            right,
            left_tunnel,
            right_tunnel,
            output,
        } => compare(
            &left,
            &right,
            left_tunnel.as_deref(),
            right_tunnel.as_deref(),
            &output,
        ),
        Command::Check { config, output } => check(&config, &output),
        Command::Watch(w) => {
            let WatchCli {
                inputs,
                follow,
                syslog,
                http,
                db,
                retain,
                max_hosts,
                alertmanager,
                http_token_file,
                vici,
                vici_host,
                vici_poll,
                tls_cert,
                tls_key,
            } = *w;
            let stdin = inputs.iter().any(|p| p == "-");
            let follow = inputs
                .into_iter()
                .filter(|p| p != "-")
                .chain(follow)
                .map(std::path::PathBuf::from)
                .collect();
            watch::run(watch::WatchArgs {
                follow,
                syslog,
                stdin,
                http,
                db,
                retain,
                max_hosts: usize::try_from(max_hosts).unwrap_or(usize::MAX),
                alertmanager,
                http_token_file,
                vici,
                vici_host,
                vici_poll: std::time::Duration::from_secs(vici_poll),
                tls: tls_cert.zip(tls_key),
            })
        }
        Command::History {
            db,
            host,
            tunnel,
            since,
            format,
        } => history(&db, host, tunnel, since.as_deref(), format),
        Command::Explain { topic } => explain(&topic),
        Command::Catalog { format } => catalog(format),
    }
}

fn stdout(color: ColorChoice) -> anstream::AutoStream<io::StdoutLock<'static>> {
    let choice = match color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    anstream::AutoStream::new(io::stdout().lock(), choice)
}

fn diagnose(paths: &[String], output: &Output, threads: Option<u16>) -> anyhow::Result<u8> {
    let threads = threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let mut input_errors = 0usize;
    let report = parallel::diagnose(paths, threads, &mut |err| {
        input_errors += 1;
        eprintln!(
            "ipsec-doctor: {}",
            ipsec_doctor_render::escape(&err.to_string())
        );
    });
    let code = render(&report, output, input_errors > 0)?;
    let nothing = report.read_nothing();
    // An input that could not be read has said so already (exit 2).
    if nothing && code != EXIT_TROUBLE {
        // Its samples of unread lines are the input's too.
        if output.redact {
            explain_nothing_read(&ipsec_doctor_render::redact(&report), paths);
        } else {
            explain_nothing_read(&report, paths);
        }
        return Ok(EXIT_NOTHING_READ);
    }
    Ok(code)
}

/// Says on stderr why nothing could be diagnosed, and what to give instead.
fn explain_nothing_read(report: &Report, paths: &[String]) {
    use ipsec_doctor_render::escape;
    let reading = &report.reading;
    let mut msg = format!(
        "ipsec-doctor: no IPsec negotiation could be read in {}{} (exit code 3).\n",
        match paths {
            [one] => escape(one).into_owned(),
            _ => format!("{} inputs", paths.len()),
        },
        match reading.lines {
            0 => String::new(),
            n => format!(" ({n} line(s) read)"),
        }
    );
    let daemon_lines = reading.daemon_lines + reading.ignored_daemon_lines;
    if daemon_lines > 0 {
        msg.push_str(&format!(
            "  {daemon_lines} line(s) of an IKE daemon were read, but none is part of a negotiation \
             (start-up, plugin or configuration output only).\n"
        ));
    }
    if reading.unread_lines > 0 {
        msg.push_str(&format!(
            "  {} line(s) mention IPsec but are in no shape ipsec-doctor reads, for example:\n",
            reading.unread_lines
        ));
        for e in &reading.unread_samples {
            msg.push_str(&format!(
                "    {}:{}: {}\n",
                escape(&e.path),
                e.line,
                escape(&e.text)
            ));
        }
    }
    msg.push_str(
        "  Give the IKE daemon's own lines around the failure: charon's (\"13[IKE] ...\", in syslog, \
         journalctl, swanctl --log or the GUI's IPsec log), Libreswan's pluto (\"\\\"conn\\\" #1: ...\", \
         /var/log/secure, /var/log/auth.log, journalctl -u ipsec) or racoon's; start the tunnel while \
         the log is captured (ipsec-doctor explain debugging).\n",
    );
    // A closed stderr is no reason to panic: the exit code says it.
    let _ = io::stderr().write_all(msg.as_bytes());
}

/// Writes a report; the exit status follows from it and from input errors.
fn render(report: &Report, output: &Output, input_errors: bool) -> anyhow::Result<u8> {
    let redacted;
    let shown = if output.redact {
        redacted = ipsec_doctor_render::redact(report);
        &redacted
    } else {
        report
    };
    quiet_on_closed_pipe(write_report(shown, output))?;
    Ok(if input_errors {
        EXIT_TROUBLE
    } else if report.has_problems() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

fn write_report(report: &Report, output: &Output) -> anyhow::Result<()> {
    let detail = if output.verbose {
        ipsec_doctor_render::Detail::Verbose
    } else if output.quiet {
        ipsec_doctor_render::Detail::Quiet
    } else {
        ipsec_doctor_render::Detail::Normal
    };
    if output.format == ReportFormat::Text {
        let mut out = stdout(output.color);
        ipsec_doctor_render::text(report, detail, &mut out)?;
        return Ok(out.flush()?);
    }
    // No colour to strip, and every other renderer escapes for its own
    // format; buffered, since stdout alone flushes at every line.
    let mut out = io::BufWriter::new(io::stdout().lock());
    match output.format {
        ReportFormat::Markdown => ipsec_doctor_render::markdown(report, &mut out)?,
        ReportFormat::Html => ipsec_doctor_render::html(report, &mut out)?,
        ReportFormat::Json | ReportFormat::Text => ipsec_doctor_render::json(report, &mut out)?,
    }
    Ok(out.flush()?)
}

/// Loads a configuration, reporting its recoverable problems on stderr.
fn load_config(path: &str) -> Option<config_input::LoadedConfig> {
    match config_input::load(path) {
        Ok(loaded) => {
            for problem in &loaded.config.diagnostics {
                eprintln!(
                    "ipsec-doctor: warning: {}",
                    ipsec_doctor_render::escape(&problem.to_string())
                );
            }
            Some(loaded)
        }
        Err(e) => {
            eprintln!("ipsec-doctor: {}", ipsec_doctor_render::escape(&e));
            None
        }
    }
}

fn side(loaded: &config_input::LoadedConfig) -> ipsec_doctor_predict::Side<'_> {
    ipsec_doctor_predict::Side {
        path: &loaded.path,
        text: &loaded.text,
        config: &loaded.config,
    }
}

fn compare(
    left: &str,
    right: &str,
    left_tunnel: Option<&str>,
    right_tunnel: Option<&str>,
    output: &Output,
) -> anyhow::Result<u8> {
    let (Some(l), Some(r)) = (load_config(left), load_config(right)) else {
        return Ok(EXIT_TROUBLE);
    };
    // A prediction is read in full: its summary says what was predicted
    // and on what grounds, also for a pair predicted to establish.
    let output = Output {
        verbose: !output.quiet,
        ..output.clone()
    };
    match ipsec_doctor_predict::compare(side(&l), side(&r), left_tunnel, right_tunnel) {
        Ok(report) => render(&report, &output, false),
        Err(e) => {
            eprintln!(
                "ipsec-doctor: {}",
                ipsec_doctor_render::escape(&e.to_string())
            );
            Ok(EXIT_TROUBLE)
        }
    }
}

fn check(path: &str, output: &Output) -> anyhow::Result<u8> {
    let Some(loaded) = load_config(path) else {
        return Ok(EXIT_TROUBLE);
    };
    render(&ipsec_doctor_predict::check(side(&loaded)), output, false)
}

fn history(
    db: &std::path::Path,
    host: Option<String>,
    tunnel: Option<String>,
    since: Option<&str>,
    format: Format,
) -> anyhow::Result<u8> {
    use ipsec_doctor_history::{parse_since, History, Query};
    if !db.exists() {
        eprintln!(
            "ipsec-doctor: no history at {} (`ipsec-doctor watch --db {}` writes it)",
            ipsec_doctor_render::escape(&db.display().to_string()),
            ipsec_doctor_render::escape(&db.display().to_string())
        );
        return Ok(EXIT_TROUBLE);
    }
    let since_ms = match since.map(|s| parse_since(s, watch::now_ms())).transpose() {
        Ok(ms) => ms,
        Err(e) => {
            eprintln!("ipsec-doctor: --since: {}", ipsec_doctor_render::escape(&e));
            return Ok(EXIT_TROUBLE);
        }
    };
    let history = History::open(db)?;
    let events = history.events(&Query {
        host,
        tunnel,
        since_ms,
        limit: None,
    })?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    quiet_on_closed_pipe(
        match format {
            Format::Text => ipsec_doctor_history::write_text(&events, &mut out),
            Format::Json => ipsec_doctor_history::write_json(&events, &mut out),
        }
        .and_then(|()| out.flush())
        .map_err(Into::into),
    )?;
    Ok(EXIT_OK)
}

fn explain(topic: &str) -> anyhow::Result<u8> {
    quiet_on_closed_pipe(explain_to(topic))
        .map(|()| EXIT_OK)
        .or_else(|e| {
            if e.is::<UnknownTopic>() {
                Ok(EXIT_TROUBLE)
            } else {
                Err(e)
            }
        })
}

/// `explain` of a topic that names nothing (its message is already printed).
#[derive(Debug)]
struct UnknownTopic;

impl std::fmt::Display for UnknownTopic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unknown topic")
    }
}

impl std::error::Error for UnknownTopic {}

fn explain_to(asked: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    let shown = ipsec_doctor_render::escape(asked);
    match find_topic(asked) {
        Found::One(Topic::Rule(rule)) => write!(out, "{}", rule.doc())?,
        Found::One(Topic::Guide(guide)) => {
            writeln!(out, "{}  (guide)\n", guide.id)?;
            write!(out, "{}", guide.text)?;
        }
        Found::Several(topics) => {
            writeln!(out, "{} topics match '{shown}':", topics.len())?;
            for topic in &topics {
                let kind = match topic {
                    Topic::Rule(rule) => rule.severity.to_string(),
                    Topic::Guide(_) => "guide".to_owned(),
                };
                writeln!(out, "  {:<28} {:<8} {}", topic.id(), kind, topic.title())?;
            }
            writeln!(out, "`ipsec-doctor explain ID` shows one.")?;
        }
        Found::NearMisses(ids) => {
            eprintln!(
                "ipsec-doctor: no finding or guide named '{shown}'. Did you mean: {}?",
                ids.join(", ")
            );
            return Err(UnknownTopic.into());
        }
        Found::Nothing => {
            eprintln!(
                "ipsec-doctor: no finding or guide named '{shown}'; `ipsec-doctor catalog` lists them all."
            );
            return Err(UnknownTopic.into());
        }
    }
    Ok(())
}

fn catalog(format: Format) -> anyhow::Result<u8> {
    quiet_on_closed_pipe(catalog_to(format)).map(|()| EXIT_OK)
}

fn catalog_to(format: Format) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match format {
        Format::Text => {
            // Grouped by family: a family of one is a line of its own.
            for (head, members) in families() {
                let indent = if members.len() > 1 {
                    writeln!(out, "{} family:", head.id)?;
                    "  "
                } else {
                    ""
                };
                for rule in members {
                    writeln!(
                        out,
                        "{indent}{:<28} {:<8} {}",
                        rule.id,
                        rule.severity.to_string(),
                        rule.title
                    )?;
                }
            }
            writeln!(out, "guides:")?;
            for guide in guides::GUIDES {
                writeln!(out, "  {:<28} {:<8} {}", guide.id, "guide", guide.title)?;
            }
        }
        Format::Json => {
            let rules: Vec<_> = CATALOG
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "family": r.family.id, "severity": r.severity,
                        "title": r.title, "explanation": r.explanation, "fix": r.fix,
                    })
                })
                .collect();
            let guides: Vec<_> = guides::GUIDES
                .iter()
                .map(|g| serde_json::json!({"id": g.id, "title": g.title, "keywords": g.keywords}))
                .collect();
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"findings": rules, "guides": guides}),
            )?;
            writeln!(out)?;
        }
    }
    Ok(())
}
