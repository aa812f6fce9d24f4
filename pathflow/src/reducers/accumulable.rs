//! `count`, `sum` and `avg`: kept in the difference type, O(1) per update.

use crate::position::Position;
use crate::reducers::{NoAcc, Reducer, Reducers, Summable};

/// The number of rows in the group.
#[derive(Clone, Copy, Debug)]
pub struct Count;

impl<T: 'static> Reducer<T> for Count {
    type Value = ();
    const ACCUMULABLE: bool = true;
    type Acc = NoAcc;
    type Output = u64;
    #[inline]
    fn value(&self, _row: &T, _position: &Position) {}
    #[inline]
    fn accumulate(&self, _row: &T, _diff: isize) -> NoAcc {
        NoAcc
    }
    fn finish<'a, I>(&self, _acc: &NoAcc, values: I) -> u64
    where
        I: Iterator<Item = (&'a (), isize)> + Clone,
    {
        values.map(|(_, count)| count.max(0) as u64).sum()
    }
}

/// The exact sum of a column; integers in `i128`, floats exactly and rounded once.
pub struct Sum<F>(F);

impl<T: 'static, V: Summable, F: Fn(&T) -> V + 'static> Reducer<T> for Sum<F> {
    type Value = ();
    const ACCUMULABLE: bool = true;
    type Acc = V::Acc;
    type Output = V;
    #[inline]
    fn value(&self, _row: &T, _position: &Position) {}
    #[inline]
    fn accumulate(&self, row: &T, diff: isize) -> V::Acc {
        (self.0)(row).accumulate(diff)
    }
    fn finish<'a, I>(&self, acc: &V::Acc, _values: I) -> V
    where
        I: Iterator<Item = (&'a (), isize)> + Clone,
    {
        V::total(acc)
    }
}

/// The mean of a column, as `f64`, from its exact sum.
pub struct Avg<F>(F);

impl<T: 'static, V: Summable, F: Fn(&T) -> V + 'static> Reducer<T> for Avg<F> {
    type Value = ();
    const ACCUMULABLE: bool = true;
    type Acc = V::Acc;
    type Output = f64;
    #[inline]
    fn value(&self, _row: &T, _position: &Position) {}
    #[inline]
    fn accumulate(&self, row: &T, diff: isize) -> V::Acc {
        (self.0)(row).accumulate(diff)
    }
    fn finish<'a, I>(&self, acc: &V::Acc, values: I) -> f64
    where
        I: Iterator<Item = (&'a (), isize)> + Clone,
    {
        let count: isize = values.map(|(_, count)| count).sum();
        V::mean(acc, count)
    }
}

impl<T> Reducers<T> {
    /// The number of rows in the group.
    pub fn count(&self) -> Count {
        Count
    }

    /// The exact sum of `f(row)` over the group: integers, floats or durations.
    pub fn sum<V: Summable, F: Fn(&T) -> V + 'static>(&self, f: F) -> Sum<F> {
        Sum(f)
    }

    /// The mean of `f(row)` over the group, as `f64`.
    pub fn avg<V: Summable, F: Fn(&T) -> V + 'static>(&self, f: F) -> Avg<F> {
        Avg(f)
    }
}
