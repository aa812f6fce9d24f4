//! [`SlidingWindow`]: windows of one size starting every hop; an event is in every window that
//! covers it.

use crate::time::{Duration, Timestamp};
use crate::window::shape::{check_positive, floor_to_grid};

/// Windows `[origin + k·hop, origin + k·hop + size)` for every integer `k`.
///
/// With `hop < size` windows overlap and an event is in about `size / hop` of them; with
/// `hop > size` there are gaps, and an event in a gap is in none. Each window an event is in
/// costs one update, so keep `size / hop` small.
///
/// ```
/// use pathflow::prelude::*;
/// use pathflow::window::Window;
///
/// // Ten-minute windows every five minutes.
/// let w = Window::sliding(Duration::from_secs(300), Duration::from_secs(600));
/// let starts: Vec<i64> = w.starts_of(Timestamp::from_millis(400_000)).map(|t| t.millis()).collect();
/// assert_eq!(starts, vec![0, 300_000]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlidingWindow {
    hop: Duration,
    size: Duration,
    origin: Timestamp,
}

impl SlidingWindow {
    /// Windows of `size` starting every `hop`, aligned to the Unix epoch.
    ///
    /// # Panics
    /// When `hop` or `size` is not positive.
    pub fn new(hop: Duration, size: Duration) -> Self {
        let example = "Window::sliding(Duration::from_secs(60), Duration::from_secs(300))";
        check_positive("a sliding window's hop", hop, example);
        check_positive("a sliding window's size", size, example);
        SlidingWindow {
            hop,
            size,
            origin: Timestamp::from_millis(0),
        }
    }

    /// The same windows shifted so that one starts at `origin`.
    pub fn origin(self, origin: Timestamp) -> Self {
        SlidingWindow { origin, ..self }
    }

    /// The time between the starts of consecutive windows.
    pub fn hop(&self) -> Duration {
        self.hop
    }

    /// The length of every window.
    pub fn size(&self) -> Duration {
        self.size
    }

    /// The starts of the windows holding `at`, in increasing order.
    pub fn starts_of(&self, at: Timestamp) -> impl Iterator<Item = Timestamp> {
        let last = floor_to_grid(at, self.origin, self.hop);
        let (hop, size) = (self.hop.millis(), self.size.millis());
        // Window `last - i·hop` holds `at` while its end is past `at`.
        let behind = (i128::from(at.millis()) - i128::from(last.millis())) as i64;
        let count = if behind >= size {
            0
        } else {
            (size - behind - 1) / hop + 1
        };
        (0..count).rev().map(move |i| {
            Timestamp::from_millis(last.millis().saturating_sub(i.saturating_mul(hop)))
        })
    }
}
