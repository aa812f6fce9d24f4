//! [`SessionWindow`]: a window per burst of activity, closed by a quiet gap.

use crate::time::Duration;
use crate::window::shape::check_positive;

/// Sessions: a maximal run of one instance's events in which consecutive event times differ
/// by less than `max_gap`.
///
/// A session's `window_start` is its first event's time and its `window_end` its last's. A
/// new event can extend a session, merge two into one, or (when retracted) split one.
///
/// ```
/// use pathflow::prelude::*;
/// use pathflow::window::Window;
///
/// let visits = Window::session(Duration::from_secs(30 * 60));
/// assert_eq!(visits.max_gap(), Duration::from_secs(1800));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionWindow {
    max_gap: Duration,
}

impl SessionWindow {
    /// Sessions split where consecutive events are `max_gap` or more apart.
    ///
    /// # Panics
    /// When `max_gap` is not positive.
    pub fn new(max_gap: Duration) -> Self {
        check_positive(
            "a session window's max_gap",
            max_gap,
            "Window::session(Duration::from_secs(1800))",
        );
        SessionWindow { max_gap }
    }

    /// Events this far apart or more are in different sessions.
    pub fn max_gap(&self) -> Duration {
        self.max_gap
    }
}
