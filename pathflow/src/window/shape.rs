//! [`Window`]: which windows an event belongs to, whatever their kind.

use crate::time::{Duration, Timestamp};
use crate::window::{SessionWindow, SlidingWindow, TumblingWindow};

/// The kind and size of the windows a table is grouped into.
///
/// ```
/// use pathflow::prelude::*;
/// use pathflow::window::Window;
///
/// let minutes = Window::tumbling(Duration::from_secs(60));
/// let overlapping = Window::sliding(Duration::from_secs(60), Duration::from_secs(300));
/// let visits = Window::session(Duration::from_secs(1800));
/// # let _: [Window; 3] = [minutes.into(), overlapping.into(), visits.into()];
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    /// Fixed windows that tile time.
    Tumbling(TumblingWindow),
    /// Fixed windows starting every hop, overlapping when the hop is below the size.
    Sliding(SlidingWindow),
    /// Bursts of events separated by a quiet gap.
    Session(SessionWindow),
}

impl Window {
    /// Windows `[k·size, (k+1)·size)`; shift them with [`TumblingWindow::origin`].
    ///
    /// # Panics
    /// When `size` is not positive.
    pub fn tumbling(size: Duration) -> TumblingWindow {
        TumblingWindow::new(size)
    }

    /// Windows `[k·hop, k·hop + size)`; shift them with [`SlidingWindow::origin`].
    ///
    /// # Panics
    /// When `hop` or `size` is not positive.
    pub fn sliding(hop: Duration, size: Duration) -> SlidingWindow {
        SlidingWindow::new(hop, size)
    }

    /// Sessions split where consecutive events are `max_gap` or more apart.
    ///
    /// # Panics
    /// When `max_gap` is not positive.
    pub fn session(max_gap: Duration) -> SessionWindow {
        SessionWindow::new(max_gap)
    }
}

impl From<TumblingWindow> for Window {
    fn from(window: TumblingWindow) -> Self {
        Window::Tumbling(window)
    }
}

impl From<SlidingWindow> for Window {
    fn from(window: SlidingWindow) -> Self {
        Window::Sliding(window)
    }
}

impl From<SessionWindow> for Window {
    fn from(window: SessionWindow) -> Self {
        Window::Session(window)
    }
}

/// Panics with a message saying what to write when `value` is not positive.
pub(crate) fn check_positive(what: &str, value: Duration, example: &str) {
    assert!(
        value.millis() > 0,
        "{what} must be a positive duration, but it is {} ms; write for example `{example}`",
        value.millis()
    );
}

/// The largest `origin + k·step` at or before `at`, saturating at the ends of time.
pub(crate) fn floor_to_grid(at: Timestamp, origin: Timestamp, step: Duration) -> Timestamp {
    let offset = i128::from(at.millis()) - i128::from(origin.millis());
    let start = i128::from(origin.millis())
        + offset.div_euclid(i128::from(step.millis())) * i128::from(step.millis());
    Timestamp::from_millis(start.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t: i64) -> Timestamp {
        Timestamp::from_millis(t)
    }

    #[test]
    fn grid_floors_toward_negative_infinity() {
        let step = Duration::from_millis(10);
        assert_eq!(floor_to_grid(ms(0), ms(0), step), ms(0));
        assert_eq!(floor_to_grid(ms(9), ms(0), step), ms(0));
        assert_eq!(floor_to_grid(ms(10), ms(0), step), ms(10));
        assert_eq!(floor_to_grid(ms(-1), ms(0), step), ms(-10));
        assert_eq!(floor_to_grid(ms(7), ms(3), step), ms(3));
        assert_eq!(floor_to_grid(ms(2), ms(3), step), ms(-7));
        assert_eq!(floor_to_grid(Timestamp::MIN, ms(5), step), Timestamp::MIN);
        assert_eq!(floor_to_grid(Timestamp::MAX, ms(0), step).millis() % 10, 0);
    }

    #[test]
    fn sliding_windows_hold_the_event() {
        for (hop, size) in [(3, 10), (10, 10), (10, 3), (1, 1), (4, 9)] {
            let window = Window::sliding(Duration::from_millis(hop), Duration::from_millis(size))
                .origin(ms(2));
            for at in -40..40 {
                let starts: Vec<i64> = window.starts_of(ms(at)).map(Timestamp::millis).collect();
                let expected: Vec<i64> = (-100..100)
                    .map(|k| 2 + k * hop)
                    .filter(|s| *s <= at && at < s + size)
                    .collect();
                assert_eq!(starts, expected, "hop {hop} size {size} at {at}");
            }
        }
    }

    #[test]
    fn tumbling_windows_hold_the_event() {
        let window = Window::tumbling(Duration::from_millis(7)).origin(ms(-3));
        for at in -50..50 {
            let start = window.start_of(ms(at)).millis();
            assert!(
                start <= at && at < start + 7,
                "{at} in [{start}, {})",
                start + 7
            );
            assert_eq!((start + 3).rem_euclid(7), 0);
        }
    }

    #[test]
    #[should_panic(expected = "must be a positive duration, but it is 0 ms")]
    fn zero_size_is_refused() {
        let _ = Window::tumbling(Duration::from_millis(0));
    }
}
