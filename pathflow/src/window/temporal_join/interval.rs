//! `interval_join`: pairs of rows whose event times differ by a bounded interval.

use std::marker::PhantomData;
use std::rc::Rc;

use crate::mode::Mode;
use crate::ops::arrange::join_map;
use crate::order::{Total, Value};
use crate::panic::guarded;
use crate::schema::Row;
use crate::table::Table;
use crate::time::{Duration, Timestamp};
use crate::window::temporal_join::matches::Matches;

/// How far a right row's time may be from a left row's to match it: the right time minus
/// the left time lies in `[lower, upper]`, both ends included.
///
/// ```
/// use pathflow::prelude::*;
/// use pathflow::window::temporal_join::Interval;
///
/// // A right row at most 5 s before or 10 s after the left row.
/// let around = Interval::new(Duration::from_secs(-5), Duration::from_secs(10));
/// assert_eq!(around.lower(), Duration::from_millis(-5_000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Interval {
    lower: Duration,
    upper: Duration,
}

impl Interval {
    /// Matches when `right_time − left_time` is in `[lower, upper]`.
    ///
    /// # Panics
    /// When `lower` is after `upper`.
    pub fn new(lower: Duration, upper: Duration) -> Self {
        assert!(
            lower <= upper,
            "an interval's lower end ({} ms) must not be above its upper end ({} ms); \
             write e.g. `Interval::new(Duration::from_secs(-5), Duration::from_secs(5))`",
            lower.millis(),
            upper.millis()
        );
        Interval { lower, upper }
    }

    /// The least `right_time − left_time` that matches.
    pub fn lower(&self) -> Duration {
        self.lower
    }

    /// The greatest `right_time − left_time` that matches.
    pub fn upper(&self) -> Duration {
        self.upper
    }

    /// Whether a right row at `right` matches a left row at `left`.
    fn holds(&self, left: Timestamp, right: Timestamp) -> bool {
        let difference = right - left;
        self.lower <= difference && difference <= self.upper
    }
}

/// Two tables matched by event time within an [`Interval`], waiting for the kind of join.
pub struct IntervalJoin<'s, T: 'static, U: 'static, K, M> {
    left: Table<'s, T, M>,
    right: Table<'s, U, M>,
    left_time: Rc<dyn Fn(&T) -> Timestamp>,
    right_time: Rc<dyn Fn(&U) -> Timestamp>,
    interval: Interval,
    left_key: Rc<dyn Fn(&T) -> K>,
    right_key: Rc<dyn Fn(&U) -> K>,
    mode: PhantomData<M>,
}

impl<'s, T: Row, M: Mode> Table<'s, T, M> {
    /// Matches each row of this table with the rows of `other` whose time is within
    /// `interval` of its own: `right_time − left_time ∈ [lower, upper]`. Narrow the matches
    /// to equal keys with [`IntervalJoin::on`]; finish with [`IntervalJoin::inner`],
    /// [`IntervalJoin::left`], [`IntervalJoin::right`] or [`IntervalJoin::outer`].
    ///
    /// Rows are bucketed by time, so a row meets only the rows of at most two buckets of
    /// the other side, not all of them.
    pub fn interval_join<U: Row>(
        self,
        other: Table<'s, U, M>,
        left_time: impl Fn(&T) -> Timestamp + 'static,
        right_time: impl Fn(&U) -> Timestamp + 'static,
        interval: Interval,
    ) -> IntervalJoin<'s, T, U, (), M> {
        IntervalJoin {
            left: self,
            right: other,
            left_time: Rc::new(left_time),
            right_time: Rc::new(right_time),
            interval,
            left_key: Rc::new(|_| ()),
            right_key: Rc::new(|_| ()),
            mode: PhantomData,
        }
    }
}

impl<'s, T: Row, U: Row, K: Value, M: Mode> IntervalJoin<'s, T, U, K, M> {
    /// Matches only rows whose keys are equal, as well as close in time.
    pub fn on<J: Value>(
        self,
        left_key: impl Fn(&T) -> J + 'static,
        right_key: impl Fn(&U) -> J + 'static,
    ) -> IntervalJoin<'s, T, U, J, M> {
        IntervalJoin {
            left: self.left,
            right: self.right,
            left_time: self.left_time,
            right_time: self.right_time,
            interval: self.interval,
            left_key: Rc::new(left_key),
            right_key: Rc::new(right_key),
            mode: PhantomData,
        }
    }

    /// One output row per matching pair.
    pub fn inner<O: Row>(self, f: impl Fn(&T, &U) -> O + 'static) -> Table<'s, O, M> {
        Table::<T, M>::derived(self.matches().inner(f))
    }

    /// Every left row: with each matching right row, or once with `None`.
    pub fn left<O: Row>(self, f: impl Fn(&T, Option<&U>) -> O + 'static) -> Table<'s, O, M> {
        Table::<T, M>::derived(self.matches().left(f))
    }

    /// Every right row: with each matching left row, or once with `None`.
    pub fn right<O: Row>(self, f: impl Fn(Option<&T>, &U) -> O + 'static) -> Table<'s, O, M> {
        Table::<T, M>::derived(self.matches().right(f))
    }

    /// Every matching pair, plus every unmatched row of either side with `None` for the other.
    pub fn outer<O: Row>(
        self,
        f: impl Fn(Option<&T>, Option<&U>) -> O + 'static,
    ) -> Table<'s, O, M> {
        Table::<T, M>::derived(self.matches().outer(f))
    }

    /// The matching pairs: joined on key and time bucket, then checked exactly.
    fn matches(self) -> Matches<'s, T, U> {
        let interval = self.interval;
        let width = interval
            .upper
            .millis()
            .saturating_sub(interval.lower.millis())
            .max(1);
        let bucket = move |at: Timestamp| at.millis().div_euclid(width);
        let (left_time, right_time) = (self.left_time, self.right_time);
        let (left_key, right_key) = (self.left_key, self.right_key);
        let right = self.right.rows.clone().map(move |row| {
            let (key, at) = guarded("interval_join", &row, || {
                (Total(right_key(&row)), right_time(&row))
            });
            ((key, bucket(at)), (at, row))
        });
        let left = self.left.rows.clone().flat_map(move |row| {
            let (key, at) = guarded("interval_join", &row, || {
                (Total(left_key(&row)), left_time(&row))
            });
            let buckets = bucket(at + interval.lower)..=bucket(at + interval.upper);
            buckets.map(move |b| ((key.clone(), b), (at, row.clone())))
        });
        let pairs = join_map(left, right, move |_, (left_at, l), (right_at, r)| {
            interval
                .holds(*left_at, *right_at)
                .then(|| (l.clone(), r.clone()))
        });
        Matches {
            left: self.left.rows,
            right: self.right.rows,
            pairs: pairs.flat_map(|pair| pair),
        }
    }
}
