//! `asof_join`: each left row with the latest right row at or before its time.

use std::marker::PhantomData;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::mode::Mode;
use crate::ops::arrange::reduce;
use crate::order::{Total, Value};
use crate::panic::guarded;
use crate::schema::Row;
use crate::table::{Collection, Table};
use crate::time::Timestamp;

/// Two tables matched as of a time: each left row with the latest right row at or before
/// its time, waiting for [`AsofJoin::inner`] or [`AsofJoin::left`].
pub struct AsofJoin<'s, T: 'static, U: 'static, K, M> {
    left: Table<'s, T, M>,
    right: Table<'s, U, M>,
    left_time: Rc<dyn Fn(&T) -> Timestamp>,
    right_time: Rc<dyn Fn(&U) -> Timestamp>,
    left_key: Rc<dyn Fn(&T) -> K>,
    right_key: Rc<dyn Fn(&U) -> K>,
    mode: PhantomData<M>,
}

/// A row of either side, ordered so that at equal times right rows come first: a right row
/// at a left row's very time counts as "at or before" it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Side<T, U> {
    Right(U),
    Left(T),
}

/// A row of either side with its time.
type Timed<T, U> = (Timestamp, Side<T, U>);

impl<'s, T: Row, M: Mode> Table<'s, T, M> {
    /// Matches each row of this table with the latest row of `other` at or before its
    /// time (of equal times, the largest right row). Narrow the matches to equal keys with
    /// [`AsofJoin::on`]; finish with [`AsofJoin::inner`] or [`AsofJoin::left`].
    ///
    /// A change recomputes the matches of its key, in time order: keep keys small, such as
    /// one per instrument or sensor.
    ///
    /// ```
    /// use pathflow::prelude::*;
    ///
    /// type Trade = (String, Timestamp, i64); // (symbol, time, quantity)
    /// type Quote = (String, Timestamp, i64); // (symbol, time, price)
    ///
    /// /// Each trade at the price quoted last before it.
    /// fn priced<'s, M: Mode>(t: Table<'s, Trade, M>, q: Table<'s, Quote, M>) -> Table<'s, (String, i64, i64), M> {
    ///     t.asof_join(q, |t| t.1, |q| q.1)
    ///         .on(|t| t.0.clone(), |q| q.0.clone())
    ///         .inner(|t, q| (t.0.clone(), t.2, q.2))
    /// }
    /// ```
    pub fn asof_join<U: Row>(
        self,
        other: Table<'s, U, M>,
        left_time: impl Fn(&T) -> Timestamp + 'static,
        right_time: impl Fn(&U) -> Timestamp + 'static,
    ) -> AsofJoin<'s, T, U, (), M> {
        AsofJoin {
            left: self,
            right: other,
            left_time: Rc::new(left_time),
            right_time: Rc::new(right_time),
            left_key: Rc::new(|_| ()),
            right_key: Rc::new(|_| ()),
            mode: PhantomData,
        }
    }
}

impl<'s, T: Row, U: Row, K: Value, M: Mode> AsofJoin<'s, T, U, K, M> {
    /// Matches only rows whose keys are equal.
    pub fn on<J: Value>(
        self,
        left_key: impl Fn(&T) -> J + 'static,
        right_key: impl Fn(&U) -> J + 'static,
    ) -> AsofJoin<'s, T, U, J, M> {
        AsofJoin {
            left: self.left,
            right: self.right,
            left_time: self.left_time,
            right_time: self.right_time,
            left_key: Rc::new(left_key),
            right_key: Rc::new(right_key),
            mode: PhantomData,
        }
    }

    /// One row per left row that has a right row at or before its time.
    pub fn inner<O: Row>(self, f: impl Fn(&T, &U) -> O + 'static) -> Table<'s, O, M> {
        let rows = self
            .matches()
            .flat_map(move |(l, r)| r.map(|r| guarded("asof_join", &(&l, &r), || f(&l, &r))));
        Table::<T, M>::derived(rows)
    }

    /// One row per left row: with its right row, or with `None` when there is none.
    pub fn left<O: Row>(self, f: impl Fn(&T, Option<&U>) -> O + 'static) -> Table<'s, O, M> {
        let rows = self
            .matches()
            .map(move |(l, r)| guarded("asof_join", &(&l, &r), || f(&l, r.as_ref())));
        Table::<T, M>::derived(rows)
    }

    /// Every left row (each copy) with the latest right row at or before it, if any.
    fn matches(self) -> Collection<'s, (T, Option<U>)> {
        let (left_time, left_key) = (self.left_time, self.left_key);
        let (right_time, right_key) = (self.right_time, self.right_key);
        let left = self.left.rows.map(move |row| {
            guarded("asof_join", &row, || {
                (
                    Total(left_key(&row)),
                    (left_time(&row), Side::Left(row.clone())),
                )
            })
        });
        let right = self.right.rows.map(move |row| {
            guarded("asof_join", &row, || {
                (
                    Total(right_key(&row)),
                    (right_time(&row), Side::Right(row.clone())),
                )
            })
        });
        reduce(
            left.concat(right),
            "AsofJoin",
            |_key, rows: &[(&Timed<T, U>, isize)], output| {
                let mut latest: Option<&U> = None;
                for ((_, side), copies) in rows {
                    match side {
                        Side::Right(r) if *copies > 0 => latest = Some(r),
                        Side::Right(_) => {}
                        Side::Left(l) => output.push(((l.clone(), latest.cloned()), *copies)),
                    }
                }
            },
        )
        .map(|(_, matched)| matched)
    }
}
