//! Joins on a key: inner, left, right and full outer.

use std::rc::Rc;

use crate::mode::Mode;
use crate::ops::row_wise::key_rows;
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
    /// [`Join::inner`], [`Join::left`], [`Join::right`] or [`Join::outer`].
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

impl<'s, T: Row, U: Row, K: Value, M: Mode> Join<'s, T, U, K, M> {
    /// One output row per matching pair.
    pub fn inner<O: Row>(self, f: impl Fn(&T, &U) -> O + 'static) -> Table<'s, O, M> {
        let rows = self.left.join_map(self.right, move |_key, l, r| {
            guarded("join", &(l, r), || f(l, r))
        });
        Table::<T, M>::derived(rows)
    }

    /// Every left row: with each matching right row, or once with `None`.
    pub fn left<O: Row>(self, f: impl Fn(&T, Option<&U>) -> O + 'static) -> Table<'s, O, M> {
        let f = Rc::new(f);
        let g = Rc::clone(&f);
        let right_keys = distinct_total(self.right.clone().map(|(key, _)| key));
        let matched = self.left.clone().join_map(self.right, move |_key, l, r| {
            guarded("join", &(l, r), || g(l, Some(r)))
        });
        let unmatched = self
            .left
            .antijoin(right_keys)
            .map(move |(_, l)| guarded("join", &l, || f(&l, None)));
        Table::<T, M>::derived(matched.concat(unmatched))
    }

    /// Every right row: with each matching left row, or once with `None`.
    pub fn right<O: Row>(self, f: impl Fn(Option<&T>, &U) -> O + 'static) -> Table<'s, O, M> {
        let f = Rc::new(f);
        let g = Rc::clone(&f);
        let left_keys = distinct_total(self.left.clone().map(|(key, _)| key));
        let matched = self.left.join_map(self.right.clone(), move |_key, l, r| {
            guarded("join", &(l, r), || g(Some(l), r))
        });
        let unmatched = self
            .right
            .antijoin(left_keys)
            .map(move |(_, r)| guarded("join", &r, || f(None, &r)));
        Table::<T, M>::derived(matched.concat(unmatched))
    }

    /// Every matching pair, plus every unmatched row of either side with `None` for the other.
    pub fn outer<O: Row>(
        self,
        f: impl Fn(Option<&T>, Option<&U>) -> O + 'static,
    ) -> Table<'s, O, M> {
        let f = Rc::new(f);
        let (g, h) = (Rc::clone(&f), Rc::clone(&f));
        let left_keys = distinct_total(self.left.clone().map(|(key, _)| key));
        let right_keys = distinct_total(self.right.clone().map(|(key, _)| key));
        let matched = self
            .left
            .clone()
            .join_map(self.right.clone(), move |_key, l, r| {
                guarded("join", &(l, r), || g(Some(l), Some(r)))
            });
        let left_only = self
            .left
            .antijoin(right_keys)
            .map(move |(_, l)| guarded("join", &l, || h(Some(&l), None)));
        let right_only = self
            .right
            .antijoin(left_keys)
            .map(move |(_, r)| guarded("join", &r, || f(None, Some(&r))));
        Table::<T, M>::derived(matched.concat(left_only).concat(right_only))
    }
}
