//! Log views exported from pfSense's and OPNsense's web GUI list the newest
//! line first. Reading such a file top to bottom would put every effect before
//! its cause, so the order is detected from the timestamps and the caller
//! reads the file backwards.

/// The order of a file's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOrder {
    /// Oldest first, as daemons write.
    Forward,
    /// Newest first, as web GUIs show.
    Reversed,
}

/// Decides the order from the sort keys of the timestamped lines at the start
/// of a file (see [`crate::Timestamp::sort_key`]). A file is reversed only
/// when clearly more steps go back in time than forward, so a forward log that
/// crosses midnight of New Year's Eve or has a few out-of-order lines from
/// several threads stays forward.
pub fn detect_order(keys: impl IntoIterator<Item = i64>) -> LineOrder {
    let mut previous: Option<i64> = None;
    let (mut forward, mut backward) = (0usize, 0usize);
    for key in keys {
        if let Some(previous) = previous {
            match key.cmp(&previous) {
                std::cmp::Ordering::Greater => forward += 1,
                std::cmp::Ordering::Less => backward += 1,
                std::cmp::Ordering::Equal => {}
            }
        }
        previous = Some(key);
    }
    if backward >= 2 && backward > forward * 3 {
        LineOrder::Reversed
    } else {
        LineOrder::Forward
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descending_keys_are_reversed() {
        assert_eq!(detect_order([50, 40, 40, 30, 10]), LineOrder::Reversed);
    }

    #[test]
    fn ascending_keys_with_one_step_back_stay_forward() {
        assert_eq!(detect_order([10, 20, 19, 30, 40]), LineOrder::Forward);
    }

    #[test]
    fn too_few_lines_stay_forward() {
        assert_eq!(detect_order([10]), LineOrder::Forward);
        assert_eq!(detect_order([20, 10]), LineOrder::Forward);
    }
}
