//! FreeBSD kernel crash output: panic messages and backtrace frames, as the
//! console, a textdump (`ddb.txt`), `kgdb` or a syslog `kernel:` line prints
//! them.

/// One line of crash output, typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum KernelEvent {
    /// A line that starts a crash report: `panic: ...`, `Fatal trap 12: ...`,
    /// `Sleeping thread (tid 100066, pid 12) owns a non-sleepable lock`,
    /// `KDB: stack backtrace:`, `Tracing pid 12 tid 100066 td 0x...`.
    CrashHeader(String),
    /// One backtrace frame, by function name: `igb_mq_start() at
    /// igb_mq_start+0x224/frame 0x...`, `#5 0xffffffff80b1c2d3 at
    /// esp_input_cb+0x4ce`, or kgdb's `#5 0x... in esp_input_cb (...) at ...`.
    Frame {
        /// The function.
        function: String,
    },
    /// Anything else.
    Unrecognized,
}

/// Parses one line of kernel output (the message after `kernel:`, or a bare
/// line of a pasted crash dump).
pub fn parse_kernel(message: &str) -> KernelEvent {
    let m = message.trim();
    if m.starts_with("panic: ")
        || m.starts_with("Fatal trap ")
        || m.starts_with("KDB: stack backtrace")
        || m.starts_with("Tracing pid ")
        || (m.starts_with("Sleeping thread (") && m.contains("owns a non-sleepable lock"))
    {
        return KernelEvent::CrashHeader(m.chars().take(200).collect());
    }
    frame_function(m)
        .map(|function| KernelEvent::Frame {
            function: function.to_owned(),
        })
        .unwrap_or(KernelEvent::Unrecognized)
}

fn frame_function(m: &str) -> Option<&str> {
    // kgdb: `#5  0xffffffff80d3a2b4 in esp_input_cb (crp=...) at ...`.
    if let Some(rest) = m.strip_prefix('#') {
        let mut words = rest.split_whitespace();
        let _number = words.next()?.parse::<u32>().ok()?;
        let mut next = words.next()?;
        if next.starts_with("0x") {
            next = words.next()?;
        }
        let function = match next {
            "in" | "at" => words.next()?,
            other => other,
        };
        let function = function.split('+').next()?;
        return is_symbol(function).then_some(function);
    }
    // ddb: `igb_mq_start() at igb_mq_start+0x224/frame 0x...` (FreeBSD 10+),
    // `igb_mq_start(...) at igb_mq_start+0x224` (older).
    let (call, rest) = m.split_once(" at ")?;
    let function = call.split('(').next()?;
    if !call.contains('(') || !is_symbol(function) {
        return None;
    }
    let target = rest.split('+').next()?;
    (target == function && rest.contains("+0x")).then_some(function)
}

fn is_symbol(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && !s.as_bytes()[0].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(line: &str) -> Option<String> {
        match parse_kernel(line) {
            KernelEvent::Frame { function } => Some(function),
            _ => None,
        }
    }

    #[test]
    fn frames_in_every_shape() {
        assert_eq!(
            function("igb_mq_start() at igb_mq_start+0x224/frame 0xfffffe001c39ce10").as_deref(),
            Some("igb_mq_start")
        );
        assert_eq!(
            function("#12 0xffffffff80b1c2d3 at esp_input_cb+0x4ce").as_deref(),
            Some("esp_input_cb")
        );
        assert_eq!(
            function("#5  0xffffffff80d3a2b4 in ipsec4_common_input (m=0x0) at /usr/src/sys/netipsec/ipsec_input.c:340").as_deref(),
            Some("ipsec4_common_input")
        );
        assert_eq!(function("Accepted publickey for root at 10:00"), None);
        assert_eq!(function("esp_input() at 0x12"), None);
    }

    #[test]
    fn headers() {
        assert!(matches!(
            parse_kernel("Sleeping thread (tid 100066, pid 12) owns a non-sleepable lock"),
            KernelEvent::CrashHeader(_)
        ));
        assert!(matches!(
            parse_kernel("panic: page fault"),
            KernelEvent::CrashHeader(_)
        ));
        for text in ["#", "# 0x", "#1 in", "() at +0x", "a( at b+0x"] {
            let _ = parse_kernel(text);
        }
    }
}
