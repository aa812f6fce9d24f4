//! `group_by(..).reduce(..)`: aggregates per group, incrementally.

use std::marker::PhantomData;
use std::rc::Rc;

use differential_dataflow::difference::{Abelian, IsZero, Monoid, Semigroup};
use serde::{Deserialize, Serialize};

use crate::mode::Mode;
use crate::ops::arrange::reduce;
use crate::ops::combine::lift_and_combine;
use crate::ops::totals;
use crate::order::{Total, Value};
use crate::panic::guarded;
use crate::position::Position;
use crate::reducers::{Reducer, Reducers};
use crate::schema::Row;
use crate::table::{Collection, Table};

/// The difference type of a group's arrangement: how many rows, and their accumulators.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GroupDiff<A> {
    /// The number of rows.
    pub count: isize,
    /// The rows' accumulated state (sums).
    pub acc: A,
}

impl<A: IsZero> IsZero for GroupDiff<A> {
    #[inline]
    fn is_zero(&self) -> bool {
        self.count == 0 && self.acc.is_zero()
    }
}
impl<A: Semigroup> Semigroup for GroupDiff<A> {
    #[inline]
    fn plus_equals(&mut self, rhs: &Self) {
        self.count += rhs.count;
        self.acc.plus_equals(&rhs.acc);
    }
}
impl<A: Monoid> Monoid for GroupDiff<A> {
    fn zero() -> Self {
        GroupDiff {
            count: 0,
            acc: A::zero(),
        }
    }
}
impl<A: Abelian> Abelian for GroupDiff<A> {
    fn negate(&mut self) {
        self.count = -self.count;
        self.acc.negate();
    }
}

/// One lifted row: its group key and reducer values, with its count and accumulators.
type Lifted<K, V, A> = ((Total<K>, V), GroupDiff<A>);

/// A table grouped by a key, waiting for [`GroupBy::reduce`].
pub struct GroupBy<'s, T: 'static, K, M> {
    table: Table<'s, T, M>,
    key: Rc<dyn Fn(&T) -> K>,
    mode: PhantomData<M>,
}

impl<'s, T: Row, M: Mode> Table<'s, T, M> {
    /// Groups rows by `key(row)`; finish with [`GroupBy::reduce`].
    pub fn group_by<K: Value>(self, key: impl Fn(&T) -> K + 'static) -> GroupBy<'s, T, K, M> {
        GroupBy {
            table: self,
            key: Rc::new(key),
            mode: PhantomData,
        }
    }
}

impl<'s, T: Row, K: Value, M: Mode> GroupBy<'s, T, K, M> {
    /// One output row per group: `reducers` picks the aggregates (a reducer or a tuple of
    /// them), `build` makes the row from the group's key and the aggregates.
    ///
    /// `count`, `sum` and `avg` cost O(1) per update; the others read the group's distinct
    /// values. A group whose last row is retracted disappears.
    ///
    /// ```
    /// use pathflow::prelude::*;
    ///
    /// fn per_word<'s, M: Mode>(words: Table<'s, String, M>) -> Table<'s, (String, u64), M> {
    ///     words.group_by(|w| w.clone()).reduce(|r| r.count(), |w, n| (w.clone(), n))
    /// }
    /// ```
    pub fn reduce<R, U>(
        self,
        reducers: impl FnOnce(Reducers<T>) -> R,
        build: impl Fn(&K, R::Output) -> U + 'static,
    ) -> Table<'s, U, M>
    where
        R: Reducer<T>,
        U: Row,
    {
        let reducer = Rc::new(reducers(Reducers::new()));
        let key = self.key;
        let lifted: Collection<'s, _, GroupDiff<R::Acc>> = if R::NEEDS_POSITION {
            let reducer = Rc::clone(&reducer);
            lift_and_combine(
                self.table.positioned("reduce"),
                "GroupBy",
                "group_by",
                move |(row, position): &(T, Position), diff| {
                    lift(&*key, &*reducer, row, position, diff)
                },
            )
        } else {
            let reducer = Rc::clone(&reducer);
            lift_and_combine(
                self.table.rows,
                "GroupBy",
                "group_by",
                move |row: &T, diff| lift(&*key, &*reducer, row, &Position::default(), diff),
            )
        };
        let rows = if R::ACCUMULABLE {
            // One key per group: its running total, kept in a hash map, changes once per
            // epoch, with no history replay and no arrangement.
            totals::count_total(lifted).map(move |((key, value), diff)| {
                let aggregate = reducer.finish(&diff.acc, std::iter::once((&value, diff.count)));
                guarded("reduce", &key.0, || build(&key.0, aggregate))
            })
        } else {
            reduce(
                lifted,
                "Reduce",
                move |key: &Total<K>, group, output: &mut Vec<(U, isize)>| {
                    let mut acc = R::Acc::zero();
                    for (_, diff) in group.iter() {
                        acc.plus_equals(&diff.acc);
                    }
                    let values = group.iter().map(|(value, diff)| (*value, diff.count));
                    let aggregate = reducer.finish(&acc, values);
                    output.push((guarded("reduce", &key.0, || build(&key.0, aggregate)), 1));
                },
            )
            .map(|(_, row)| row)
        };
        Table::<T, M>::derived(rows)
    }
}

#[inline]
fn lift<T, K: Value, R: Reducer<T>>(
    key: &dyn Fn(&T) -> K,
    reducer: &R,
    row: &T,
    position: &Position,
    diff: isize,
) -> Lifted<K, R::Value, R::Acc>
where
    T: std::fmt::Debug,
{
    (
        (Total(key(row)), reducer.value(row, position)),
        GroupDiff {
            count: diff,
            acc: reducer.accumulate(row, diff),
        },
    )
}
