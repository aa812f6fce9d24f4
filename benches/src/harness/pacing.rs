//! Feeding input at a fixed rate, as a streaming source would receive it.

use std::time::{Duration, Instant};

/// When each of a source's events enters the system: event `k` of a share at
/// `start + k / rate`, or, unpaced, as fast as the system takes them.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// The moment event 0 is due.
    pub start: Instant,
    /// Events per second for this share; `None` pushes everything as fast as possible.
    pub rate: Option<f64>,
}

/// The most events one poll pushes, so an epoch stays bounded even when behind.
pub const MAX_BATCH: usize = 1 << 16;

impl Pacing {
    /// The pacing of one share of `share_of_total` (0..=1) of the events at `total_rate`.
    pub fn share(start: Instant, total_rate: Option<f64>, share_of_total: f64) -> Self {
        Pacing {
            start,
            rate: total_rate.map(|r| r * share_of_total),
        }
    }

    /// How many of `len` events are due by `now`.
    pub fn due(&self, now: Instant, len: usize) -> usize {
        match self.rate {
            None => len,
            Some(rate) => {
                let elapsed = now.saturating_duration_since(self.start).as_secs_f64();
                ((elapsed * rate) as usize).min(len)
            }
        }
    }

    /// The moment event `k` entered: its due time when paced, else `pushed`.
    pub fn entry(&self, k: usize, pushed: Instant) -> Instant {
        match self.rate {
            None => pushed,
            Some(rate) => self.start + Duration::from_secs_f64(k as f64 / rate),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_follows_the_rate() {
        let start = Instant::now();
        let pacing = Pacing::share(start, Some(1000.0), 0.5);
        assert_eq!(pacing.due(start + Duration::from_millis(100), 1_000), 50);
        assert_eq!(pacing.due(start + Duration::from_secs(10), 1_000), 1_000);
        assert_eq!(pacing.entry(50, start), start + Duration::from_millis(100));
        let unpaced = Pacing::share(start, None, 1.0);
        assert_eq!(unpaced.due(start, 7), 7);
    }
}
