//! [`Matches`]: matched pairs completed into an inner, left, right or full outer join.

use std::rc::Rc;

use crate::ops::arrange::antijoin;
use crate::ops::totals::distinct_total;
use crate::panic::guarded;
use crate::schema::Row;
use crate::table::Collection;

/// The rows of two sides and the pairs that matched, from which the four kinds of join are
/// made: a row of one side without any pair is paired with `None`.
pub(crate) struct Matches<'s, A: 'static, B: 'static> {
    pub left: Collection<'s, A>,
    pub right: Collection<'s, B>,
    pub pairs: Collection<'s, (A, B)>,
}

impl<'s, A: Row, B: Row> Matches<'s, A, B> {
    /// One row per matched pair.
    pub fn inner<O: Row>(self, f: impl Fn(&A, &B) -> O + 'static) -> Collection<'s, O> {
        self.pairs
            .map(move |(a, b)| guarded("join", &(&a, &b), || f(&a, &b)))
    }

    /// The pairs, and every left row without one.
    pub fn left<O: Row>(self, f: impl Fn(&A, Option<&B>) -> O + 'static) -> Collection<'s, O> {
        let f = Rc::new(f);
        let g = Rc::clone(&f);
        let lonely = unmatched(self.left, self.pairs.clone().map(|(a, _)| a));
        self.pairs
            .map(move |(a, b)| guarded("join", &(&a, &b), || g(&a, Some(&b))))
            .concat(lonely.map(move |a| guarded("join", &a, || f(&a, None))))
    }

    /// The pairs, and every right row without one.
    pub fn right<O: Row>(self, f: impl Fn(Option<&A>, &B) -> O + 'static) -> Collection<'s, O> {
        let f = Rc::new(f);
        let g = Rc::clone(&f);
        let lonely = unmatched(self.right, self.pairs.clone().map(|(_, b)| b));
        self.pairs
            .map(move |(a, b)| guarded("join", &(&a, &b), || g(Some(&a), &b)))
            .concat(lonely.map(move |b| guarded("join", &b, || f(None, &b))))
    }

    /// The pairs, and every row of either side without one.
    pub fn outer<O: Row>(
        self,
        f: impl Fn(Option<&A>, Option<&B>) -> O + 'static,
    ) -> Collection<'s, O> {
        let f = Rc::new(f);
        let (g, h) = (Rc::clone(&f), Rc::clone(&f));
        let lonely_left = unmatched(self.left, self.pairs.clone().map(|(a, _)| a));
        let lonely_right = unmatched(self.right, self.pairs.clone().map(|(_, b)| b));
        self.pairs
            .map(move |(a, b)| guarded("join", &(&a, &b), || g(Some(&a), Some(&b))))
            .concat(lonely_left.map(move |a| guarded("join", &a, || h(Some(&a), None))))
            .concat(lonely_right.map(move |b| guarded("join", &b, || f(None, Some(&b)))))
    }
}

/// The rows of `all` (with their multiplicities) that are not among `matched`.
fn unmatched<'s, A: Row>(all: Collection<'s, A>, matched: Collection<'s, A>) -> Collection<'s, A> {
    antijoin(all.map(|a| (a, ())), distinct_total(matched)).map(|(a, ())| a)
}
