//! Event-time windows, by mapping each event to the start(s) of its window(s).
//!
//! q5, q7 and q8 group by window start in every system (pathflow, dd, Pathway), so the
//! systems run the same plan. That is exact for a batch run and for any streaming run's
//! final result; it keeps every window's state open forever, which pathflow's event-time
//! window operators (`pathflow::window`) would free once a window closes.

/// Tumbling and sliding windows are 10 seconds long.
pub const SIZE_MS: u64 = 10_000;

/// Sliding windows advance every 2 seconds.
pub const HOP_MS: u64 = 2_000;

/// The start of the tumbling window of `size` milliseconds that holds `time`.
pub fn tumbling(time: u64, size: u64) -> u64 {
    time / size * size
}

/// The starts of every sliding window of `size`, advancing by `hop`, that holds `time`.
pub fn sliding(time: u64, size: u64, hop: u64) -> impl Iterator<Item = u64> {
    let last = time / hop * hop;
    (0..size.div_ceil(hop))
        .map(move |k| k * hop)
        .take_while(move |back| *back <= last && last - back + size > time)
        .map(move |back| last - back)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_hold_their_times() {
        assert_eq!(tumbling(12_345, 10_000), 10_000);
        let starts: Vec<u64> = sliding(12_345, 10_000, 2_000).collect();
        assert_eq!(starts, vec![12_000, 10_000, 8_000, 6_000, 4_000]);
        let starts: Vec<u64> = sliding(4_000, 10_000, 2_000).collect();
        assert_eq!(starts, vec![4_000, 2_000, 0]);
        for start in sliding(98_765, SIZE_MS, HOP_MS) {
            assert!(start <= 98_765 && 98_765 < start + SIZE_MS);
        }
    }
}
