//! Picking, out of a buffer of whole log lines, the few that diagnosis needs,
//! without framing or even decoding the rest.
//!
//! A central syslog server's file is mostly other programs (firewall log,
//! sshd, DHCP) and charon's chatter that no rule looks at. [`Diagnoser`]
//! ignores a charon message unless it contains one of [`SIGNATURES`] (see
//! [`may_matter`]), and another program's line unless it is racoon, pluto,
//! the kernel or PHP's `xmlreader` warning. So in a log whose every line
//! carries a program name, a line that contains none of those literals can be
//! skipped unread: one Aho-Corasick pass over the whole buffer (SIMD-packed
//! for this few literals, as ripgrep does) finds the lines worth framing.
//!
//! Whether a log's lines carry program names is decided once per input from
//! its first lines. Logs without them (racoon's own log file, pasted
//! excerpts, crash dumps, journal JSON, web GUI exports) are small and go
//! through whole. The result is the same either way: the engine itself
//! counts a traffic selector item only within [`TS_WINDOW`] lines of its
//! host's previous header or item, and ignores other messages without
//! spaces; `tests/sieve.rs` checks the equivalence on every fixture and the
//! `sieve` fuzz target on arbitrary logs whose lines all name their program.
//! (A file that starts as syslog and later holds lines without a program
//! name, such as a pasted racoon log, is sieved as syslog.)
//!
//! [`Diagnoser`]: crate::Diagnoser
//! [`may_matter`]: ipsec_doctor_events::may_matter

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use ipsec_doctor_events::SIGNATURES;
use ipsec_doctor_logs::{frame, Daemon, Format};

/// Program names whose every line diagnosis reads (or may read, for PHP).
/// NetworkManager and its VPN plugins (`nm-...-service`) wrap charon's and
/// pluto's lines in their own ([`ipsec_doctor_logs::Daemon::Wrapper`]).
const PROGRAMS: &[&str] = &[
    "racoon",
    "pluto",
    "kernel",
    "xmlreader",
    "NetworkManager",
    "nm-",
];
/// charon prints traffic selectors one per line after a header containing
/// this; the items themselves hold no literal, so the lines that follow it
/// and look like one (`  10.1.0.0/24`, `dynamic`) are kept.
const TS_HEADER: &str = "traffic selectors";
/// Lines in a row after a traffic selector header or item that are not
/// items (other hosts' lines a busy syslog server wrote in between) before
/// the list is over.
pub(crate) const TS_WINDOW: usize = 32;
/// Lines framed at the start of an input to tell its shape.
const SAMPLE: usize = 64;

/// How an input's lines are picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing seen yet.
    Undecided,
    /// Every line carries a program name: only lines with a literal.
    Literals,
    /// Every line.
    Everything,
}

/// A line [`Sieve::lines`] keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptLine {
    /// The line's number in the buffer, counting from 0.
    pub index: usize,
    /// The line's bytes in the buffer, without its `\n`.
    pub range: Range<usize>,
    /// The first of [`SIGNATURES`] on the line, where the line was kept for
    /// one: handed on to [`Diagnoser::push_kept_line`], it spares the
    /// engine searching the message again.
    ///
    /// [`Diagnoser::push_kept_line`]: crate::Diagnoser::push_kept_line
    pub literal: Option<Literal>,
}

/// One of [`SIGNATURES`], found on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Literal {
    /// Its byte offset in the line.
    pub at: usize,
    /// The literal.
    pub text: &'static str,
}

/// Picks the lines of one input at a time that diagnosis needs. Call
/// [`Sieve::start_input`] before each input.
#[derive(Debug)]
pub struct Sieve {
    mode: Mode,
    /// Other lines still allowed before a traffic selector list is over.
    carry: usize,
}

impl Default for Sieve {
    fn default() -> Self {
        Self::new()
    }
}

impl Sieve {
    /// A sieve for a first input.
    pub fn new() -> Sieve {
        Sieve {
            mode: Mode::Undecided,
            carry: 0,
        }
    }

    /// Forgets the previous input's shape.
    pub fn start_input(&mut self) {
        *self = Sieve::new();
    }

    /// Calls `keep` for each line of `data` that diagnosis may need, in
    /// order. `data` holds whole lines of the current input, the last one
    /// perhaps without its `\n`.
    pub fn lines(&mut self, data: &[u8], mut keep: impl FnMut(KeptLine)) {
        if self.mode == Mode::Undecided {
            self.mode = decide(data);
        }
        match (self.mode, matcher()) {
            (Mode::Literals, Some(matcher)) => self.literal_lines(matcher, data, &mut keep),
            _ => every_line(data, &mut keep),
        }
    }

    fn literal_lines(&mut self, matcher: &Matcher, data: &[u8], keep: &mut impl FnMut(KeptLine)) {
        // `index` is the number of the line starting at `counted`.
        let mut index = 0;
        let mut counted = 0;
        let mut pos = 0;
        while pos < data.len() {
            let found = matcher.find(data, pos);
            let found_line = found.map_or(data.len(), |(at, _)| {
                memchr::memrchr(b'\n', &data[pos..at]).map_or(pos, |i| pos + i + 1)
            });
            // While a traffic selector list may go on, the lines before the
            // next literal are looked at one by one for its items.
            while self.carry > 0 && pos < found_line {
                let end = line_end(data, pos);
                if looks_like_ts_item(&data[pos..end]) {
                    index += newlines(&data[counted..pos]);
                    counted = pos;
                    self.keep_line(data, index, pos..end, None, keep);
                } else {
                    self.carry -= 1;
                }
                pos = end + 1;
            }
            let Some((at, literal)) = found else {
                break;
            };
            let end = line_end(data, found_line);
            index += newlines(&data[counted..found_line]);
            counted = found_line;
            let literal = literal.map(|text| Literal {
                at: at - found_line,
                text,
            });
            self.keep_line(data, index, found_line..end, literal, keep);
            pos = end + 1;
        }
    }

    fn keep_line(
        &mut self,
        data: &[u8],
        index: usize,
        line: Range<usize>,
        literal: Option<Literal>,
        keep: &mut impl FnMut(KeptLine),
    ) {
        let text = &data[line.clone()];
        if ts_header_finder().find(text).is_some() || (self.carry > 0 && looks_like_ts_item(text)) {
            self.carry = TS_WINDOW;
        } else {
            self.carry = self.carry.saturating_sub(1);
        }
        keep(KeptLine {
            index,
            range: line,
            literal,
        });
    }
}

fn every_line(data: &[u8], keep: &mut impl FnMut(KeptLine)) {
    let mut start = 0;
    let mut index = 0;
    while start < data.len() {
        let end = line_end(data, start);
        keep(KeptLine {
            index,
            range: start..end,
            literal: None,
        });
        index += 1;
        start = end + 1;
    }
}

/// Literals only when the first lines all carry a program name in a shape
/// whose message is written as is (not JSON, not a GUI's columns).
fn decide(data: &[u8]) -> Mode {
    let mut seen = 0;
    for line in data.split(|&b| b == b'\n') {
        if seen == SAMPLE {
            break;
        }
        let text = String::from_utf8_lossy(line);
        let Some(framed) = frame(&text) else { continue };
        seen += 1;
        let shape_ok = matches!(
            framed.format,
            Format::BsdSyslog | Format::Rfc5424 | Format::CharonFile | Format::ProgramPrefix
        );
        if !shape_ok || framed.daemon == Daemon::Unknown {
            return Mode::Everything;
        }
    }
    if seen == 0 {
        Mode::Undecided
    } else {
        Mode::Literals
    }
}

fn line_end(data: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &data[from..]).map_or(data.len(), |i| from + i)
}

fn newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// Whether a line ends in a lone token that may be a traffic selector: a
/// superset of what charon's parser takes for one.
fn looks_like_ts_item(line: &[u8]) -> bool {
    let line = line.trim_ascii_end();
    let token = memchr::memrchr(b' ', line).map_or(line, |i| &line[i + 1..]);
    token == b"dynamic" || memchr::memchr(b'/', token).is_some()
}

/// The literals' searcher: SIMD-packed (Teddy) where the CPU has it, else
/// an Aho-Corasick automaton.
enum Matcher {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Matcher {
    /// Where the first literal at or after `from` starts, and which of
    /// [`SIGNATURES`] it is (`None` for one of [`PROGRAMS`]).
    fn find(&self, data: &[u8], from: usize) -> Option<(usize, Option<&'static str>)> {
        match self {
            Matcher::Packed(s) => s.find_in(data, aho_corasick::Span::from(from..data.len())),
            Matcher::Automaton(a) => a.find(aho_corasick::Input::new(data).span(from..data.len())),
        }
        .map(|m| (m.start(), SIGNATURES.get(m.pattern().as_usize()).copied()))
    }
}

/// `None` only if no searcher can be built, and then every line is kept.
fn matcher() -> Option<&'static Matcher> {
    static MATCHER: OnceLock<Option<Matcher>> = OnceLock::new();
    MATCHER
        .get_or_init(|| {
            let literals = || SIGNATURES.iter().chain(PROGRAMS);
            aho_corasick::packed::Searcher::new(literals())
                .map(Matcher::Packed)
                .or_else(|| AhoCorasick::new(literals()).ok().map(Matcher::Automaton))
        })
        .as_ref()
}

fn ts_header_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new(TS_HEADER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(sieve: &mut Sieve, text: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        sieve.lines(text.as_bytes(), |k| {
            out.push((k.index, text[k.range].to_owned()))
        });
        out
    }

    #[test]
    fn syslog_keeps_only_lines_with_a_literal_and_numbers_them() {
        let log = "Nov 27 00:00:01 fw1 sshd[1]: Accepted publickey for admin\n\
                   Nov 27 00:00:02 fw1 charon[2]: 05[NET] sending packet: from 10.0.0.1[500] to 10.0.0.2[500] (200 bytes)\n\
                   Nov 27 00:00:03 fw1 charon[2]: 05[ENC] unknown attribute type INTERNAL_DNS_DOMAIN\n\
                   Nov 27 00:00:04 fw1 filterlog[3]: 5,,,1000000103,em0,match,block,in,4,0x0\n\
                   Nov 27 00:00:05 fw1 racoon[4]: INFO: unsupported PF_KEY message REGISTER";
        let mut sieve = Sieve::new();
        let lines = kept(&mut sieve, log);
        assert_eq!(lines.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 4]);
        assert!(lines[1].1.ends_with("REGISTER"));
    }

    #[test]
    fn traffic_selector_items_after_their_header_are_kept() {
        let log = "Nov 27 00:00:01 fw1 charon[2]: 05[CFG] proposing traffic selectors for us:\n\
                   Nov 27 00:00:01 fw1 charon[2]: 05[CFG]  10.1.0.0/24\n\
                   Nov 27 00:00:01 fw1 charon[2]: 05[CFG] proposing traffic selectors for other:\n\
                   Nov 27 00:00:01 fw1 charon[2]: 05[CFG]  10.2.0.0/24\n";
        let mut sieve = Sieve::new();
        assert_eq!(kept(&mut sieve, log).len(), 4);
    }

    #[test]
    fn a_kept_line_says_which_literal_kept_it_and_where() {
        let log = "Nov 27 00:00:01 fw1 sshd[1]: hello\n\
                   Nov 27 00:00:02 fw1 charon[2]: 05[IKE] sending DPD request\n\
                   Nov 27 00:00:03 fw1 racoon[4]: INFO: unsupported PF_KEY message REGISTER\n";
        let mut lines = Vec::new();
        Sieve::new().lines(log.as_bytes(), |k| lines.push(k));
        let dpd = &log[lines[0].range.clone()];
        let literal = lines[0].literal.expect("a literal");
        assert_eq!(literal.text, "DPD");
        assert_eq!(&dpd[literal.at..literal.at + 3], "DPD");
        // Kept for its program, not for a catalogue literal.
        assert_eq!(lines[1].literal, None);
    }

    #[test]
    fn lines_without_a_program_name_are_all_kept() {
        let log = "2014-02-25 10:00:00: INFO: @(#)ipsec-tools 0.8.0\nsomething else\n";
        let mut sieve = Sieve::new();
        assert_eq!(kept(&mut sieve, log).len(), 2);
    }

    #[test]
    fn the_literals_fit_the_simd_searcher() {
        // Teddy takes at most 64 literals; beyond, the slower automaton is used.
        assert!(SIGNATURES.len() + PROGRAMS.len() <= 64);
        assert!(aho_corasick::packed::Searcher::new(SIGNATURES.iter().chain(PROGRAMS)).is_some());
    }

    #[test]
    fn the_shape_is_decided_again_for_each_input() {
        let mut sieve = Sieve::new();
        assert!(kept(&mut sieve, "Nov 27 00:00:01 fw1 sshd[1]: hello\n").is_empty());
        sieve.start_input();
        assert_eq!(kept(&mut sieve, "no program here\n").len(), 1);
    }
}
