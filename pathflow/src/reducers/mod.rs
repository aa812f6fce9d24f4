//! Reducers: what `group_by(..).reduce(..)` computes per group.
//!
//! A reducer splits its work in two. The *accumulable* part (`count`, `sum`, `avg`) lives in
//! the difference type, so an update costs O(1) whatever the group's size, and is combined on
//! each worker before the exchange. The *value* part (`min`, `max`, `collect`, …) keeps the
//! group's distinct values in an arrangement and reads them when the group changes.
//! A tuple of reducers is a reducer; its parts are combined into one pass.

mod accumulable;
mod positional;
mod sets;
mod sum;
mod tuples;

use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

use differential_dataflow::difference::{Abelian, IsZero, Monoid, Semigroup};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::position::Position;

pub use accumulable::{Avg, Count, Sum};
pub use positional::{Any, Earliest, Latest};
pub use sets::{ArgMax, ArgMin, Collect, CountDistinct, Max, Min};
pub use sum::Summable;
pub use tuples::Accs;

/// An accumulable state: added up, negated, and zero when a group is empty.
pub trait Accumulator:
    Semigroup + Monoid + Abelian + Ord + Hash + Debug + Serialize + DeserializeOwned + Send + 'static
{
}
impl<A> Accumulator for A where
    A: Semigroup
        + Monoid
        + Abelian
        + Ord
        + Hash
        + Debug
        + Serialize
        + DeserializeOwned
        + Send
        + 'static
{
}

/// A value a reducer keeps in the group's arrangement.
pub trait GroupValue:
    Ord + Hash + Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}
impl<V> GroupValue for V where
    V: Ord + Hash + Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

/// The accumulator of a reducer that keeps none.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct NoAcc;

impl IsZero for NoAcc {
    fn is_zero(&self) -> bool {
        true
    }
}
impl Semigroup for NoAcc {
    fn plus_equals(&mut self, _rhs: &Self) {}
}
impl Monoid for NoAcc {
    fn zero() -> Self {
        NoAcc
    }
}
impl Abelian for NoAcc {
    fn negate(&mut self) {}
}

/// Computes one aggregate of a group of rows of type `T`.
///
/// Make reducers with the methods of [`Reducers`]; a tuple of reducers is a reducer.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a reducer over rows of type `{T}`",
    label = "expected reducers built from the `Reducers<{T}>` given to this closure",
    note = "build reducers with the closure's argument, e.g. `|r| (r.sum(|row| row.amount), r.count())`"
)]
pub trait Reducer<T>: 'static {
    /// What the reducer keeps per distinct value (`()` for accumulable reducers).
    type Value: GroupValue;
    /// What the reducer accumulates in the difference type ([`NoAcc`] for value reducers).
    type Acc: Accumulator;
    /// The aggregate.
    type Output;
    /// Whether the reducer needs rows' positions (`earliest`, `latest`).
    const NEEDS_POSITION: bool = false;
    /// Whether the reducer lives entirely in its accumulator (`count`, `sum`, `avg`): its
    /// `Value` has one value, so a group is one key whose accumulated difference is all
    /// there is to read, and `reduce` runs a cheaper operator.
    const ACCUMULABLE: bool = false;

    /// The value kept for `row`.
    fn value(&self, row: &T, position: &Position) -> Self::Value;
    /// The accumulator for `diff` copies of `row`.
    fn accumulate(&self, row: &T, diff: isize) -> Self::Acc;
    /// The aggregate of a non-empty group: its accumulated state and its distinct values
    /// with their multiplicities, in order.
    fn finish<'a, I>(&self, acc: &Self::Acc, values: I) -> Self::Output
    where
        I: Iterator<Item = (&'a Self::Value, isize)> + Clone,
        Self::Value: 'a;
}

/// Builds reducers over rows of type `T`; `group_by(..).reduce(..)` hands you one.
///
/// Its methods take closures over `&T`, so their parameter types are inferred.
///
/// ```ignore
/// orders.group_by(|o| o.customer.clone()).reduce(
///     |r| (r.sum(|o| o.amount), r.count()),
///     |customer, (total, orders)| CustomerTotal { customer: customer.clone(), total, orders },
/// )
/// ```
pub struct Reducers<T>(PhantomData<fn(&T)>);

impl<T> Reducers<T> {
    pub(crate) fn new() -> Self {
        Reducers(PhantomData)
    }
}

impl<T> Clone for Reducers<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Reducers<T> {}
