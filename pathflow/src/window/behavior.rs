//! When windows show results, which events are late, and what is kept: [`Behavior`] and
//! [`ExactlyOnce`].
//!
//! Everything here is measured against the *watermark* `W(e)` of an epoch `e`: the largest
//! event time among the rows the windowed table's input added in the epochs before `e`, over
//! all workers. A window's *boundary* is its end (a session's: its last event time plus the
//! gap). A window is *final* when `W ≥ boundary + delay`, and *closed* when
//! `W ≥ boundary + cutoff`: every event that could still change a closed window is late. At
//! the end of a bounded input every window is final.
//!
//! In a streaming run, the epoch right after one that raised the watermark (one millisecond
//! later) already sees the new watermark, so windows become final or close without waiting
//! for more input.

use crate::time::{Duration, Timestamp};

/// How a windowed table emits results as the watermark moves: as updates, optionally held
/// back by a `delay`, with late events cut off after `cutoff`.
///
/// The default shows every window's current result at once, accepts every event however
/// late, and keeps every window's state (memory grows with the number of windows). Set a
/// cutoff for an endless stream: state of closed windows is freed.
///
/// ```
/// use pathflow::prelude::*;
/// use pathflow::window::Behavior;
///
/// // Show a window once the watermark is 5 s past its end; ignore events more than a
/// // minute older than the watermark; forget windows a minute after they end.
/// let behavior = Behavior::default()
///     .delay(Duration::from_secs(5))
///     .cutoff(Duration::from_secs(60));
/// # let _ = behavior;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Behavior {
    delay: Option<Duration>,
    cutoff: Option<Duration>,
    keep_results: bool,
}

impl Default for Behavior {
    /// Results at once, no cutoff, results kept.
    fn default() -> Self {
        Behavior {
            delay: None,
            cutoff: None,
            keep_results: true,
        }
    }
}

impl Behavior {
    /// Holds each window's result back until the window is final: `W ≥ boundary + delay`
    /// (or the input ends). Fewer intermediate updates, later results.
    ///
    /// # Panics
    /// When `delay` is negative.
    pub fn delay(self, delay: Duration) -> Self {
        check_non_negative("delay", delay);
        Behavior {
            delay: Some(delay),
            ..self
        }
    }

    /// Ignores late events: in epoch `e`, an event whose time is below `W(e) − cutoff`. A late
    /// event is counted and written to the run's error log, and changes nothing. A window is
    /// forgotten (its state freed) once `W ≥ boundary + max(cutoff, delay)`, which keeps
    /// memory flat on an endless stream.
    ///
    /// Which events are late depends on how the input was cut into epochs, so with a cutoff
    /// a batch run and a streaming run agree when no event is late.
    ///
    /// # Panics
    /// When `cutoff` is negative.
    pub fn cutoff(self, cutoff: Duration) -> Self {
        check_non_negative("cutoff", cutoff);
        Behavior {
            cutoff: Some(cutoff),
            ..self
        }
    }

    /// Whether the results of closed windows stay (`true`, the default) or are retracted
    /// once `W ≥ boundary + cutoff`, so that the output holds only recent windows.
    ///
    /// Retracting makes a stream's history differ from a batch run's single result: the
    /// change stream shows each window and later its retraction. The final table agrees:
    /// at the end of the input both hold the windows not closed by the last watermark.
    /// Without a cutoff nothing closes and this has no effect.
    pub fn keep_results(self, keep: bool) -> Self {
        Behavior {
            keep_results: keep,
            ..self
        }
    }
}

/// Emits each window exactly once, when it closes (`W ≥ boundary + cutoff`) or the input
/// ends, and never changes it afterwards: every event that could change it is late by then.
///
/// The output is then an append-only log of final results, at the price of waiting for the
/// cutoff. Make one with [`Behavior::exactly_once`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExactlyOnce {
    cutoff: Duration,
}

impl Behavior {
    /// Each window emitted once, when it closes: see [`ExactlyOnce`]. Exactly-once emission
    /// needs the cutoff, as nothing else says when a window can no longer change.
    ///
    /// # Panics
    /// When `cutoff` is negative.
    pub fn exactly_once(cutoff: Duration) -> ExactlyOnce {
        check_non_negative("cutoff", cutoff);
        ExactlyOnce { cutoff }
    }
}

/// A way a windowed table treats time: [`Behavior`] or [`ExactlyOnce`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a window behavior",
    label = "expected a `Behavior` or an `ExactlyOnce`",
    note = "write `Behavior::default()`, optionally with `.delay(..)`, `.cutoff(..)` and `.keep_results(..)`, or `Behavior::exactly_once(cutoff)`"
)]
pub trait WindowBehavior: sealed::Sealed {
    /// The rules the window operator applies.
    #[doc(hidden)]
    fn policy(&self) -> Policy;
}

impl WindowBehavior for Behavior {
    fn policy(&self) -> Policy {
        Policy {
            delay: self.delay,
            cutoff: self.cutoff,
            keep_results: self.keep_results,
            exactly_once: false,
        }
    }
}

impl WindowBehavior for ExactlyOnce {
    fn policy(&self) -> Policy {
        Policy {
            delay: None,
            cutoff: Some(self.cutoff),
            keep_results: true,
            exactly_once: true,
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Behavior {}
    impl Sealed for super::ExactlyOnce {}
}

/// The rules derived from a behavior, as the window operator applies them.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    delay: Option<Duration>,
    cutoff: Option<Duration>,
    keep_results: bool,
    exactly_once: bool,
}

/// Where the watermark stands when the operator brings its output up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Clock {
    /// The watermark of the previous update.
    pub previous: Timestamp,
    /// The watermark now.
    pub now: Timestamp,
    /// Whether the input has ended: every window is final.
    pub ended: bool,
}

impl Clock {
    /// The watermark that decides finality: `now`, or the end of time once the input ended.
    pub fn emission(&self) -> Timestamp {
        if self.ended {
            Timestamp::MAX
        } else {
            self.now
        }
    }
}

impl Policy {
    /// Whether an event at `at` is late in an epoch whose watermark is `watermark`.
    pub(crate) fn is_late(&self, at: Timestamp, watermark: Timestamp) -> bool {
        self.cutoff.is_some_and(|cutoff| at < watermark - cutoff)
    }

    /// The cutoff, if events can be late.
    pub(crate) fn cutoff(&self) -> Option<Duration> {
        self.cutoff
    }

    /// Whether a non-empty window with this boundary shows its result at `clock`.
    pub(crate) fn shows(&self, boundary: Timestamp, clock: &Clock) -> bool {
        let closed = self
            .cutoff
            .is_some_and(|cutoff| clock.now >= boundary + cutoff);
        if self.exactly_once {
            return closed || clock.ended;
        }
        let is_final = self
            .delay
            .is_none_or(|delay| clock.emission() >= boundary + delay);
        is_final && (self.keep_results || !closed)
    }

    /// Whether a window with this boundary can be forgotten at `clock`: it is closed and
    /// final, so nothing can change it or its output any more.
    pub(crate) fn forgets(&self, boundary: Timestamp, clock: &Clock) -> bool {
        self.cutoff.is_some_and(|cutoff| {
            let after = self.delay.map_or(cutoff, |delay| delay.max(cutoff));
            clock.now >= boundary + after
        })
    }

    /// The offsets after a boundary at which a window's output can change without a new
    /// event: when it becomes final, and when it closes.
    pub(crate) fn thresholds(&self) -> impl Iterator<Item = Duration> {
        let delay = if self.exactly_once { None } else { self.delay };
        delay.into_iter().chain(self.cutoff)
    }
}

fn check_non_negative(what: &str, value: Duration) {
    assert!(
        value.millis() >= 0,
        "a window {what} must not be negative, but it is {} ms; use 0 for none",
        value.millis()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(previous: i64, now: i64, ended: bool) -> Clock {
        Clock {
            previous: Timestamp(previous),
            now: Timestamp(now),
            ended,
        }
    }

    #[test]
    fn default_shows_everything_at_once_and_never_forgets() {
        let policy = Behavior::default().policy();
        assert!(policy.shows(Timestamp(100), &clock(0, 0, false)));
        assert!(!policy.forgets(Timestamp(100), &clock(0, i64::MAX, false)));
        assert!(!policy.is_late(Timestamp(i64::MIN), Timestamp(i64::MAX)));
    }

    #[test]
    fn delay_holds_until_final_or_the_end() {
        let policy = Behavior::default().delay(Duration(5)).policy();
        assert!(!policy.shows(Timestamp(100), &clock(0, 104, false)));
        assert!(policy.shows(Timestamp(100), &clock(0, 105, false)));
        assert!(policy.shows(Timestamp(100), &clock(0, 0, true)));
    }

    #[test]
    fn cutoff_marks_late_events_and_closes_windows() {
        let policy = Behavior::default()
            .cutoff(Duration(10))
            .keep_results(false)
            .policy();
        assert!(policy.is_late(Timestamp(89), Timestamp(100)));
        assert!(!policy.is_late(Timestamp(90), Timestamp(100)));
        assert!(policy.shows(Timestamp(100), &clock(0, 109, false)));
        assert!(!policy.shows(Timestamp(100), &clock(0, 110, false)));
        assert!(policy.forgets(Timestamp(100), &clock(0, 110, false)));
        assert!(!policy.shows(Timestamp(100), &clock(0, 110, true)));
    }

    #[test]
    fn forgetting_waits_for_the_longer_of_delay_and_cutoff() {
        let policy = Behavior::default()
            .delay(Duration(30))
            .cutoff(Duration(10))
            .policy();
        assert!(!policy.forgets(Timestamp(100), &clock(0, 129, false)));
        assert!(policy.forgets(Timestamp(100), &clock(0, 130, false)));
    }

    #[test]
    fn exactly_once_shows_closed_windows_only() {
        let policy = Behavior::exactly_once(Duration(10)).policy();
        assert!(!policy.shows(Timestamp(100), &clock(0, 109, false)));
        assert!(policy.shows(Timestamp(100), &clock(0, 110, false)));
        assert!(policy.shows(Timestamp(100), &clock(0, 0, true)));
        assert_eq!(policy.thresholds().collect::<Vec<_>>(), vec![Duration(10)]);
    }

    #[test]
    #[should_panic(expected = "a window cutoff must not be negative")]
    fn negative_cutoff_is_refused() {
        let _ = Behavior::default().cutoff(Duration(-1));
    }
}
