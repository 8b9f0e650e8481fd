//! Unix milliseconds as RFC 3339 (UTC), by the logs crate's calendar.

use ipsec_doctor_logs::Timestamp;

/// `2026-12-01T23:12:27.123Z` for unix ms (times before 1970 clamp to it).
pub fn rfc3339(ms: i64) -> String {
    let ms = ms.max(0);
    format!("{}.{:03}Z", Timestamp::from_unix(ms / 1000), ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_796_166_747_123), "2026-12-01T23:12:27.123Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00.000Z");
    }
}
