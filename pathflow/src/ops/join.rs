//! Joins on a key: inner, left, right and full outer, and the semi- and antijoin filters.

use std::rc::Rc;

use crate::mode::Mode;
use crate::ops::arrange::{antijoin, by_key, join_map, semijoin};
use crate::ops::row_wise::{key_rows, row_wise};
use crate::ops::totals::distinct_total;
use crate::order::{Total, Value};
use crate::panic::guarded;
use crate::schema::Row;
use crate::table::{Collection, Table};

/// Two tables matched on a key, waiting for the kind of join and the output row.
pub struct Join<'s, T: 'static, U: 'static, K: 'static, M> {
    left: Collection<'s, (Total<K>, T)>,
    right: Collection<'s, (Total<K>, U)>,
    mode: std::marker::PhantomData<M>,
}

impl<'s, T: Row, M: Mode> Table<'s, T, M> {
    /// Matches rows of this table and `other` whose keys are equal; finish with
    /// [`Join::inner`], [`Join::left`], [`Join::right`] or [`Join::outer`]. See
    /// [`Table::join_split`] to join on a projection of wide rows.
    pub fn join<U: Row, K: Value>(
        self,
        other: Table<'s, U, M>,
        left_key: impl Fn(&T) -> K + 'static,
        right_key: impl Fn(&U) -> K + 'static,
    ) -> Join<'s, T, U, K, M> {
        Join {
            left: key_rows(self.rows, "join key", move |row| Total(left_key(row))),
            right: key_rows(other.rows, "join key", move |row| Total(right_key(row))),
            mode: std::marker::PhantomData,
        }
    }
}

impl<'s, T: Row, M: Mode> Table<'s, T, M> {
    /// Matches rows of this table and `other` on a key, like [`Table::join`], but keeps of
    /// each row only what `left` and `right` split off with its key: `(key, value)`. The
    /// join's arrangements hold the key once and the value beside it, so a join of wide rows
    /// on a narrow projection moves and merges only the projection (a `map` before
    /// [`Table::join`] would keep the key twice: inside the row and as the key).
    ///
    /// The finishing functions, and [`Join::semi`]/[`Join::anti`], see the values: keep in
    /// one of them what the output needs of the key.
    ///
    /// ```
    /// use pathflow::prelude::*;
    ///
    /// /// Each auction's bid prices: (auction, price), from auctions (id, seller) and bids
    /// /// (auction, bidder, price).
    /// fn prices<'s, M: Mode>(
    ///     auctions: Table<'s, (u64, u64), M>,
    ///     bids: Table<'s, (u64, u64, u64), M>,
    /// ) -> Table<'s, (u64, u64), M> {
    ///     auctions
    ///         .join_split(bids, |a| (a.0, a.0), |b| (b.0, b.2))
    ///         .inner(|&id, &price| (id, price))
    /// }
    /// ```
    pub fn join_split<U: Row, K: Value, V: Row, W: Row>(
        self,
        other: Table<'s, U, M>,
        left: impl Fn(&T) -> (K, V) + 'static,
        right: impl Fn(&U) -> (K, W) + 'static,
    ) -> Join<'s, V, W, K, M> {
        Join {
            left: split_rows(self.rows, left),
            right: split_rows(other.rows, right),
            mode: std::marker::PhantomData,
        }
    }
}

/// Each row of `rows` as `(key, value)`, by `split`.
fn split_rows<'s, T: Row, K: Value, V: Row>(
    rows: Collection<'s, T>,
    split: impl Fn(&T) -> (K, V) + 'static,
) -> Collection<'s, (Total<K>, V)> {
    row_wise(rows, "join key", move |row, epoch, diff, out| {
        let (key, value) = split(row);
        out.push(((Total(key), value), epoch, diff));
    })
}

impl<'s, T: Row, U: Row, K: Value, M: Mode> Join<'s, T, U, K, M> {
    /// One output row per matching pair.
    pub fn inner<O: Row>(self, f: impl Fn(&T, &U) -> O + 'static) -> Table<'s, O, M> {
        self.inner_filter_map(move |l, r| Some(f(l, r)))
    }

    /// One output row per matching pair for which `f` returns `Some`: a condition on the
    /// pair checked inside the join, so pairs that fail it are never materialised, as they
    /// are by `inner(..)` followed by `filter(..)`.
    ///
    /// ```
    /// use pathflow::prelude::*;
    ///
    /// /// Bids placed while their auction was open: (auction, price).
    /// fn in_time<'s, M: Mode>(
    ///     auctions: Table<'s, (u64, u64, u64), M>, // (id, opens, closes)
    ///     bids: Table<'s, (u64, u64, u64), M>,     // (auction, price, at)
    /// ) -> Table<'s, (u64, u64), M> {
    ///     auctions
    ///         .join(bids, |a| a.0, |b| b.0)
    ///         .inner_filter_map(|a, b| (a.1 <= b.2 && b.2 <= a.2).then_some((a.0, b.1)))
    /// }
    /// ```
    pub fn inner_filter_map<O: Row>(
        self,
        f: impl Fn(&T, &U) -> Option<O> + 'static,
    ) -> Table<'s, O, M> {
        let rows = by_key(self.left).join_core(by_key(self.right), move |_key, l, r| {
            guarded("join", &(l, r), || f(l, r))
        });
        Table::<T, M>::derived(rows)
    }

    /// The left rows with at least one match, each as often as it occurs on the left however
    /// many rows match it: SQL's `WHERE EXISTS`, a left semijoin. Only the right side's
    /// distinct keys are kept.
    ///
    /// ```
    /// use pathflow::prelude::*;
    ///
    /// /// The people who opened an auction: (id, name) by (seller, item).
    /// fn sellers<'s, M: Mode>(
    ///     people: Table<'s, (u64, String), M>,
    ///     auctions: Table<'s, (u64, String), M>,
    /// ) -> Table<'s, (u64, String), M> {
    ///     people.join(auctions, |p| p.0, |a| a.0).semi()
    /// }
    /// ```
    pub fn semi(self) -> Table<'s, T, M> {
        let right_keys = keys_of(&self.right);
        let rows = semijoin(self.left, right_keys).map(|(_, l)| l);
        Table::<T, M>::derived(rows)
    }

    /// The left rows with no match: SQL's `WHERE NOT EXISTS`, a left antijoin.
    pub fn anti(self) -> Table<'s, T, M> {
        let right_keys = keys_of(&self.right);
        let rows = antijoin(self.left, right_keys).map(|(_, l)| l);
        Table::<T, M>::derived(rows)
    }

    /// Every left row: with each matching right row, or once with `None`.
    pub fn left<O: Row>(self, f: impl Fn(&T, Option<&U>) -> O + 'static) -> Table<'s, O, M> {
        let f = Rc::new(f);
        let g = Rc::clone(&f);
        let right_keys = keys_of(&self.right);
        let matched = join_map(self.left.clone(), self.right, move |_key, l, r| {
            guarded("join", &(l, r), || g(l, Some(r)))
        });
        let unmatched =
            antijoin(self.left, right_keys).map(move |(_, l)| guarded("join", &l, || f(&l, None)));
        Table::<T, M>::derived(matched.concat(unmatched))
    }

    /// Every right row: with each matching left row, or once with `None`.
    pub fn right<O: Row>(self, f: impl Fn(Option<&T>, &U) -> O + 'static) -> Table<'s, O, M> {
        let f = Rc::new(f);
        let g = Rc::clone(&f);
        let left_keys = keys_of(&self.left);
        let matched = join_map(self.left, self.right.clone(), move |_key, l, r| {
            guarded("join", &(l, r), || g(Some(l), r))
        });
        let unmatched =
            antijoin(self.right, left_keys).map(move |(_, r)| guarded("join", &r, || f(None, &r)));
        Table::<T, M>::derived(matched.concat(unmatched))
    }

    /// Every matching pair, plus every unmatched row of either side with `None` for the other.
    pub fn outer<O: Row>(
        self,
        f: impl Fn(Option<&T>, Option<&U>) -> O + 'static,
    ) -> Table<'s, O, M> {
        let f = Rc::new(f);
        let (g, h) = (Rc::clone(&f), Rc::clone(&f));
        let left_keys = keys_of(&self.left);
        let right_keys = keys_of(&self.right);
        let matched = join_map(self.left.clone(), self.right.clone(), move |_key, l, r| {
            guarded("join", &(l, r), || g(Some(l), Some(r)))
        });
        let left_only = antijoin(self.left, right_keys)
            .map(move |(_, l)| guarded("join", &l, || h(Some(&l), None)));
        let right_only = antijoin(self.right, left_keys)
            .map(move |(_, r)| guarded("join", &r, || f(None, Some(&r))));
        Table::<T, M>::derived(matched.concat(left_only).concat(right_only))
    }
}

/// The distinct keys of one side of a join.
fn keys_of<'s, K: Value, X: Row>(side: &Collection<'s, (Total<K>, X)>) -> Collection<'s, Total<K>> {
    distinct_total(side.clone().map(|(key, _)| key))
}
