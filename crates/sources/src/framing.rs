//! Frames out of a byte stream, with a bounded buffer: newline-delimited
//! lines (TCP syslog, files, standard input) and RFC 6587 octet counting
//! (TCP syslog). Pure: fed bytes, they hand back frames, so every case is
//! tested without a socket.

use std::mem;

/// One frame cut out of the stream.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The frame's bytes without its terminator, at most the framer's
    /// maximum (cut at a UTF-8 character boundary when it was longer).
    pub bytes: Vec<u8>,
    /// Whether the frame was longer than the maximum and was cut.
    pub cut: bool,
    /// Index in the chunk just pushed right after this frame (after its
    /// terminator): how far the stream has been consumed with it.
    pub end: usize,
}

/// Newline-delimited frames: LF ends a frame (and NUL too when asked). A
/// line longer than the maximum keeps its first `max` bytes; the rest is
/// skipped up to its terminator, never buffered.
#[derive(Debug)]
pub(crate) struct LineFramer {
    buf: Vec<u8>,
    max: usize,
    cut: bool,
    nul_ends: bool,
}

impl LineFramer {
    /// Lines of at most `max` bytes; `nul_ends`: NUL ends a line too.
    pub fn new(max: usize, nul_ends: bool) -> LineFramer {
        LineFramer {
            buf: Vec::new(),
            max,
            cut: false,
            nul_ends,
        }
    }

    /// Feeds `data`; every line it completes is pushed to `out`.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<Frame>) {
        let nul_ends = self.nul_ends;
        let mut start = 0;
        while start < data.len() {
            let rest = &data[start..];
            match rest
                .iter()
                .position(|&b| b == b'\n' || (nul_ends && b == 0))
            {
                Some(i) => {
                    self.append(&rest[..i]);
                    start += i + 1;
                    out.push(self.finish(start));
                }
                None => {
                    self.append(rest);
                    break;
                }
            }
        }
    }

    /// Whether part of a line is held (received, not yet terminated).
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty() || self.cut
    }

    /// The unterminated rest, as a frame (`end` 0), if there is one.
    pub fn take_partial(&mut self) -> Option<Frame> {
        self.has_partial().then(|| self.finish(0))
    }

    fn append(&mut self, part: &[u8]) {
        let room = self.max.saturating_sub(self.buf.len());
        if part.len() > room {
            self.buf.extend_from_slice(&part[..room]);
            self.cut = true;
        } else {
            self.buf.extend_from_slice(part);
        }
    }

    fn finish(&mut self, end: usize) -> Frame {
        let cut = mem::replace(&mut self.cut, false);
        let mut bytes = mem::take(&mut self.buf);
        if cut {
            trim_incomplete_char(&mut bytes);
        }
        Frame { bytes, cut, end }
    }
}

/// The largest octet count taken (nine digits, just under 1 GB): a longer
/// count is no syslog frame but a sender out of step.
pub(crate) const MAX_OCTET_COUNT: u64 = 999_999_999;

/// An octet count that is no count (RFC 6587 `MSG-LEN SP`): the stream
/// cannot be framed any further.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct InvalidFrame;

#[derive(Debug, Clone, Copy)]
enum Octet {
    /// Before a count: blanks (LF, CR, space, NUL) some senders put
    /// between frames are skipped.
    Between,
    Count {
        value: u64,
        digits: u8,
    },
    Body {
        remaining: u64,
    },
}

/// RFC 6587 octet counting: `MSG-LEN SP MSG`, several per read or one over
/// many. A frame longer than the maximum keeps its first `max` bytes; the
/// rest is counted off, never buffered.
#[derive(Debug)]
pub(crate) struct OctetFramer {
    state: Octet,
    buf: Vec<u8>,
    max: usize,
    cut: bool,
}

impl OctetFramer {
    pub fn new(max: usize) -> OctetFramer {
        OctetFramer {
            state: Octet::Between,
            buf: Vec::new(),
            max,
            cut: false,
        }
    }

    /// Feeds `data`; every frame it completes is pushed to `out`. After an
    /// error nothing more can be framed.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<Frame>) -> Result<(), InvalidFrame> {
        let mut i = 0;
        while i < data.len() {
            match self.state {
                Octet::Between => {
                    let b = data[i];
                    if b.is_ascii_digit() {
                        self.state = Octet::Count {
                            value: 0,
                            digits: 0,
                        };
                    } else if matches!(b, b'\n' | b'\r' | b' ' | 0) {
                        i += 1;
                    } else {
                        return Err(InvalidFrame);
                    }
                }
                Octet::Count { value, digits } => {
                    let b = data[i];
                    i += 1;
                    if b.is_ascii_digit() {
                        let value = value * 10 + u64::from(b - b'0');
                        if digits >= 9 || value > MAX_OCTET_COUNT {
                            return Err(InvalidFrame);
                        }
                        self.state = Octet::Count {
                            value,
                            digits: digits + 1,
                        };
                    } else if b == b' ' && value > 0 {
                        self.state = Octet::Body { remaining: value };
                    } else {
                        return Err(InvalidFrame);
                    }
                }
                Octet::Body { remaining } => {
                    let available = data.len() - i;
                    let n = if remaining < available as u64 {
                        remaining as usize
                    } else {
                        available
                    };
                    self.append(&data[i..i + n]);
                    i += n;
                    let remaining = remaining - n as u64;
                    if remaining == 0 {
                        let cut = mem::replace(&mut self.cut, false);
                        let mut bytes = mem::take(&mut self.buf);
                        if cut {
                            trim_incomplete_char(&mut bytes);
                        }
                        out.push(Frame { bytes, cut, end: i });
                        self.state = Octet::Between;
                    } else {
                        self.state = Octet::Body { remaining };
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether a frame (its count or its body) has begun and not ended.
    pub fn mid_frame(&self) -> bool {
        !matches!(self.state, Octet::Between)
    }

    fn append(&mut self, part: &[u8]) {
        let room = self.max.saturating_sub(self.buf.len());
        if part.len() > room {
            self.buf.extend_from_slice(&part[..room]);
            self.cut = true;
        } else {
            self.buf.extend_from_slice(part);
        }
    }
}

/// TCP syslog framing, decided per connection by its first byte: a digit
/// means octet counting, anything else newline-delimited (LF or NUL).
#[derive(Debug)]
pub(crate) enum StreamFramer {
    Undecided { max: usize },
    Lines(LineFramer),
    Octets(OctetFramer),
}

impl StreamFramer {
    pub fn new(max: usize) -> StreamFramer {
        StreamFramer::Undecided { max }
    }

    /// Feeds `data`; every frame it completes is pushed to `out`.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<Frame>) -> Result<(), InvalidFrame> {
        if let StreamFramer::Undecided { max } = *self {
            match data.first() {
                None => return Ok(()),
                Some(b) if b.is_ascii_digit() => {
                    *self = StreamFramer::Octets(OctetFramer::new(max))
                }
                Some(_) => *self = StreamFramer::Lines(LineFramer::new(max, true)),
            }
        }
        match self {
            StreamFramer::Undecided { .. } => Ok(()),
            StreamFramer::Lines(lines) => {
                lines.push(data, out);
                Ok(())
            }
            StreamFramer::Octets(octets) => octets.push(data, out),
        }
    }

    /// Whether a frame has begun and not ended (what a disconnect loses).
    pub fn mid_frame(&self) -> bool {
        match self {
            StreamFramer::Undecided { .. } => false,
            StreamFramer::Lines(lines) => lines.has_partial(),
            StreamFramer::Octets(octets) => octets.mid_frame(),
        }
    }
}

/// Drops the bytes of a character that a cut split (one to three bytes of
/// an incomplete UTF-8 sequence at the end), so the cut falls on a
/// character boundary.
pub(crate) fn trim_incomplete_char(bytes: &mut Vec<u8>) {
    let len = bytes.len();
    for back in 1..=len.min(3) {
        let b = bytes[len - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let needed = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        if needed > back {
            bytes.truncate(len - back);
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn lines(framer: &mut LineFramer, data: &[u8]) -> Vec<(String, bool, usize)> {
        let mut out = Vec::new();
        framer.push(data, &mut out);
        out.into_iter()
            .map(|f| (String::from_utf8(f.bytes).unwrap(), f.cut, f.end))
            .collect()
    }

    #[test]
    fn line_framing_with_offsets() {
        let mut f = LineFramer::new(100, false);
        assert_eq!(
            lines(&mut f, b"ab\ncd\nef"),
            vec![("ab".into(), false, 3), ("cd".into(), false, 6)]
        );
        assert!(f.has_partial());
        assert_eq!(lines(&mut f, b"g\n"), vec![("efg".into(), false, 2)]);
        assert!(!f.has_partial());
        assert_eq!(f.take_partial(), None);
        // NUL is data unless asked.
        assert_eq!(lines(&mut f, b"a\0b\n"), vec![("a\0b".into(), false, 4)]);
        let mut f = LineFramer::new(100, true);
        assert_eq!(
            lines(&mut f, b"a\0b\n"),
            vec![("a".into(), false, 2), ("b".into(), false, 4)]
        );
    }

    #[test]
    fn long_line_is_cut_and_skipped_to_its_end() {
        let mut f = LineFramer::new(4, false);
        assert_eq!(lines(&mut f, b"abcdef"), vec![]);
        assert_eq!(lines(&mut f, b"ghij"), vec![]);
        assert_eq!(f.buf.len(), 4);
        assert_eq!(
            lines(&mut f, b"kl\nxy\n"),
            vec![("abcd".into(), true, 3), ("xy".into(), false, 6)]
        );
    }

    #[test]
    fn cut_falls_on_a_character_boundary() {
        // "aé€" = 61 C3A9 E282AC; cut at 4 bytes splits the euro sign.
        let mut f = LineFramer::new(4, false);
        assert_eq!(
            lines(&mut f, "aé€\n".as_bytes()),
            vec![("aé".into(), true, 7)]
        );
        let mut v = vec![b'a', 0xF0, 0x9F, 0x98];
        trim_incomplete_char(&mut v);
        assert_eq!(v, b"a");
        let mut v = "a😀".as_bytes().to_vec();
        trim_incomplete_char(&mut v);
        assert_eq!(v, "a😀".as_bytes());
        let mut v = vec![0x80, 0x80, 0x80, 0x80];
        trim_incomplete_char(&mut v);
        assert_eq!(v.len(), 4);
    }

    fn octets(f: &mut OctetFramer, data: &[u8]) -> Result<Vec<(String, bool)>, InvalidFrame> {
        let mut out = Vec::new();
        f.push(data, &mut out)?;
        Ok(out
            .into_iter()
            .map(|f| (String::from_utf8(f.bytes).unwrap(), f.cut))
            .collect())
    }

    #[test]
    fn octet_counting() {
        let mut f = OctetFramer::new(100);
        assert_eq!(
            octets(&mut f, b"3 abc5 hello\n2 xy").unwrap(),
            vec![
                ("abc".into(), false),
                ("hello".into(), false),
                ("xy".into(), false)
            ]
        );
        assert!(!f.mid_frame());
        assert_eq!(octets(&mut f, b"1").unwrap(), vec![]);
        assert!(f.mid_frame());
        assert_eq!(octets(&mut f, b"1 hello").unwrap(), vec![]);
        assert_eq!(
            octets(&mut f, b" world").unwrap(),
            vec![("hello world".into(), false)]
        );
    }

    #[test]
    fn octet_counting_cuts_without_buffering() {
        let mut f = OctetFramer::new(8);
        assert_eq!(octets(&mut f, b"20 0123456789").unwrap(), vec![]);
        assert_eq!(f.buf.len(), 8);
        assert_eq!(
            octets(&mut f, b"abcdefghij3 end").unwrap(),
            vec![("01234567".into(), true), ("end".into(), false)]
        );
    }

    #[test]
    fn invalid_counts() {
        for bad in [&b"12x"[..], b"0 ", b"1234567890 x", b"x", b"5\n", b"3 abcQ"] {
            let mut f = OctetFramer::new(100);
            assert_eq!(octets(&mut f, bad), Err(InvalidFrame), "{bad:?}");
        }
        let mut f = OctetFramer::new(100);
        assert!(octets(&mut f, b"999999999 ").is_ok());
    }

    #[test]
    fn stream_framer_decides_on_first_byte() {
        let mut f = StreamFramer::new(100);
        let mut out = Vec::new();
        f.push(b"", &mut out).unwrap();
        f.push(b"3 abc", &mut out).unwrap();
        assert!(matches!(f, StreamFramer::Octets(_)));
        assert_eq!(out[0].bytes, b"abc");
        let mut f = StreamFramer::new(100);
        let mut out = Vec::new();
        f.push(b"<30>a\n<30>b\0<30>c", &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert!(f.mid_frame());
    }
}
