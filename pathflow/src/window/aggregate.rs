//! [`Aggregate`]: the reducer state of one window (or one instant of a session).

use std::collections::BTreeMap;

use differential_dataflow::difference::{IsZero, Monoid, Semigroup};

use crate::ops::GroupDiff;
use crate::reducers::Reducer;

/// What a window holds for its reducers: the row count, the accumulable state (sums) and the
/// distinct values with their multiplicities (for `min`, `max`, …).
pub(crate) struct Aggregate<T, R: Reducer<T>> {
    count: isize,
    acc: R::Acc,
    values: BTreeMap<R::Value, isize>,
}

impl<T, R: Reducer<T>> Default for Aggregate<T, R> {
    fn default() -> Self {
        Aggregate {
            count: 0,
            acc: R::Acc::zero(),
            values: BTreeMap::new(),
        }
    }
}

impl<T, R: Reducer<T>> Aggregate<T, R> {
    /// Adds an update: `diff.count` rows of `value` with accumulated state `diff.acc`.
    pub fn add(&mut self, value: &R::Value, diff: &GroupDiff<R::Acc>) {
        self.count += diff.count;
        self.acc.plus_equals(&diff.acc);
        if diff.count != 0 {
            let copies = self.values.entry(value.clone()).or_insert(0);
            *copies += diff.count;
            if *copies == 0 {
                self.values.remove(value);
            }
        }
    }

    /// Adds everything `other` holds.
    pub fn merge(&mut self, other: &Self) {
        self.count += other.count;
        self.acc.plus_equals(&other.acc);
        for (value, copies) in &other.values {
            let total = self.values.entry(value.clone()).or_insert(0);
            *total += copies;
            if *total == 0 {
                self.values.remove(value);
            }
        }
    }

    /// Whether rows are present: the window has a result.
    pub fn has_rows(&self) -> bool {
        self.count > 0
    }

    /// Whether nothing at all is held, so the state can be dropped.
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.values.is_empty() && self.acc.is_zero()
    }

    /// The reducers' result over the rows held.
    pub fn finish(&self, reducer: &R) -> R::Output {
        reducer.finish(
            &self.acc,
            self.values.iter().map(|(value, copies)| (value, *copies)),
        )
    }
}
