//! [`TumblingWindow`]: fixed-size windows that tile time, each event in exactly one.

use crate::time::{Duration, Timestamp};
use crate::window::shape::{check_positive, floor_to_grid};

/// Windows `[origin + k·size, origin + (k+1)·size)` for every integer `k`: each event falls
/// in exactly one.
///
/// Make one with [`Window::tumbling`](crate::window::Window::tumbling):
///
/// ```
/// use pathflow::prelude::*;
/// use pathflow::window::Window;
///
/// // Hourly windows starting on the half hour.
/// let hourly = Window::tumbling(Duration::from_secs(3600)).origin(Timestamp::from_millis(1_800_000));
/// assert_eq!(hourly.start_of(Timestamp::from_millis(1_800_000 + 5)), Timestamp::from_millis(1_800_000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TumblingWindow {
    size: Duration,
    origin: Timestamp,
}

impl TumblingWindow {
    /// Windows of `size`, aligned to the Unix epoch.
    ///
    /// # Panics
    /// When `size` is not positive.
    pub fn new(size: Duration) -> Self {
        check_positive(
            "a tumbling window's size",
            size,
            "Window::tumbling(Duration::from_secs(60))",
        );
        TumblingWindow {
            size,
            origin: Timestamp::from_millis(0),
        }
    }

    /// The same windows shifted so that one starts at `origin`.
    pub fn origin(self, origin: Timestamp) -> Self {
        TumblingWindow { origin, ..self }
    }

    /// The length of every window.
    pub fn size(&self) -> Duration {
        self.size
    }

    /// The start of the window holding `at`.
    pub fn start_of(&self, at: Timestamp) -> Timestamp {
        floor_to_grid(at, self.origin, self.size)
    }
}
