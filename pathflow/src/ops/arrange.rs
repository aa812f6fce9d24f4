//! Arrangements, and the keyed operators built on them (`join_map`, `semijoin`,
//! `antijoin`, `reduce`), with a chunker that keeps the merge batcher's chunks full.
//!
//! An arrangement sorts its input into chunks and merges the chunks in a ladder of chains.
//! differential-dataflow 0.26's `ContainerChunker` sizes its pending chunk once per input
//! container: once it hands a full chunk on, the rest of that container goes into chunks of
//! four updates (a fresh `Vec`'s first allocation). pathflow's containers hold up to 32 KiB
//! of rows where a chunk holds 8 KiB, so most of every container became four-update chains:
//! on Nexmark q7, 12 times the merges of the same arrangement fed chunk-sized containers, and
//! a fifth more merge work. [`Chunker`] sizes every chunk, whatever the containers it is fed.
//! Every arrangement pathflow makes goes through this module.

use std::collections::VecDeque;

use differential_dataflow::batcher::merge::vec::VecMerger;
use differential_dataflow::batcher::merge::MergeBatcher;
use differential_dataflow::consolidation::consolidate_updates;
use differential_dataflow::difference::Semigroup;
use differential_dataflow::hashable::Hashable;
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::trace::implementations::{KeyBuilder, KeySpine, ValBuilder, ValSpine};
use differential_dataflow::{Data, ExchangeData};
use timely::container::{ContainerBuilder, PushInto};

use crate::table::{Collection, Epoch};

/// Sorted, consolidated chunks of updates for a merge batcher, each filled to timely's
/// preferred container capacity however large the containers it is given.
pub(crate) struct Chunker<D, T, R> {
    /// Updates waiting to fill a chunk; always reserved to a chunk's capacity.
    pending: Vec<(D, T, R)>,
    /// Chunks ready for the batcher.
    ready: VecDeque<Vec<(D, T, R)>>,
    /// The chunk most recently handed out by `extract`/`finish`.
    handed: Vec<(D, T, R)>,
}

impl<D, T, R> Default for Chunker<D, T, R> {
    fn default() -> Self {
        Chunker {
            pending: Vec::new(),
            ready: VecDeque::new(),
            handed: Vec::new(),
        }
    }
}

impl<D: Ord, T: Ord, R: Semigroup> Chunker<D, T, R> {
    /// How many updates a chunk holds: the capacity timely prefers for them (8 KiB).
    fn capacity() -> usize {
        timely::container::buffer::default_capacity::<(D, T, R)>()
    }

    /// Consolidates the pending updates; if that leaves more than half a chunk, they become
    /// a chunk of their own, otherwise they stay to be topped up.
    fn seal_pending(&mut self) {
        consolidate_updates(&mut self.pending);
        if self.pending.len() > Self::capacity() / 2 {
            let next = Vec::with_capacity(Self::capacity());
            self.ready
                .push_back(std::mem::replace(&mut self.pending, next));
        }
    }
}

impl<D: Ord, T: Ord, R: Semigroup> PushInto<&mut Vec<(D, T, R)>> for Chunker<D, T, R> {
    fn push_into(&mut self, container: &mut Vec<(D, T, R)>) {
        let capacity = Self::capacity();
        if self.pending.capacity() < capacity {
            self.pending.reserve_exact(capacity - self.pending.len());
        }
        let mut updates = container.drain(..);
        loop {
            let room = capacity - self.pending.len();
            self.pending.extend(updates.by_ref().take(room));
            if self.pending.len() < capacity {
                break;
            }
            self.seal_pending();
        }
    }
}

impl<D: Ord, T: Ord, R: Semigroup> ContainerBuilder for Chunker<D, T, R> {
    type Container = Vec<(D, T, R)>;

    fn extract(&mut self) -> Option<&mut Self::Container> {
        self.handed = self.ready.pop_front()?;
        Some(&mut self.handed)
    }

    fn finish(&mut self) -> Option<&mut Self::Container> {
        if !self.pending.is_empty() {
            consolidate_updates(&mut self.pending);
            if !self.pending.is_empty() {
                self.ready.push_back(std::mem::take(&mut self.pending));
            }
        }
        self.extract()
    }
}

/// The merge batcher of an arrangement of `(key, value)` pairs, fed by [`Chunker`].
type ValBatcher<K, V, R> = MergeBatcher<
    Chunker<(K, V), Epoch, R>,
    VecMerger<(K, V), Epoch, R>,
    ValBuilder<K, V, Epoch, R>,
>;
/// The merge batcher of an arrangement of keys, fed by [`Chunker`].
type KeyBatcher<K, R> =
    MergeBatcher<Chunker<(K, ()), Epoch, R>, VecMerger<(K, ()), Epoch, R>, KeyBuilder<K, Epoch, R>>;

/// An arrangement of `(key, value)` pairs by key.
pub(crate) type ByKey<'s, K, V, R> = Arranged<'s, TraceAgent<ValSpine<K, V, Epoch, R>>>;
/// An arrangement of keys.
pub(crate) type BySelf<'s, K, R> = Arranged<'s, TraceAgent<KeySpine<K, Epoch, R>>>;

/// Arranges `(key, value)` pairs by key.
pub(crate) fn by_key<'s, K, V, R>(pairs: Collection<'s, (K, V), R>) -> ByKey<'s, K, V, R>
where
    K: ExchangeData + Hashable,
    V: ExchangeData,
    R: ExchangeData + Semigroup,
{
    pairs.arrange_named::<ValBatcher<K, V, R>, ValSpine<K, V, Epoch, R>>(
        "ArrangeByKey",
        MergeBatcher::new,
    )
}

/// Arranges keys.
pub(crate) fn by_self<'s, K, R>(keys: Collection<'s, K, R>) -> BySelf<'s, K, R>
where
    K: ExchangeData + Hashable,
    R: ExchangeData + Semigroup,
{
    keys.map(|key| (key, ()))
        .arrange_named::<KeyBatcher<K, R>, KeySpine<K, Epoch, R>>(
            "ArrangeBySelf",
            MergeBatcher::new,
        )
}

/// `logic(key, left, right)` for every pair of `left` and `right` with equal keys.
pub(crate) fn join_map<'s, K, V, W, O, L>(
    left: Collection<'s, (K, V)>,
    right: Collection<'s, (K, W)>,
    mut logic: L,
) -> Collection<'s, O>
where
    K: ExchangeData + Hashable,
    V: ExchangeData,
    W: ExchangeData,
    O: Data,
    L: FnMut(&K, &V, &W) -> O + 'static,
{
    by_key(left).join_core(by_key(right), move |key, l, r| Some(logic(key, l, r)))
}

/// The pairs of `pairs` whose key is in `keys`, multiplied by the key's count there.
pub(crate) fn semijoin<'s, K, V>(
    pairs: Collection<'s, (K, V)>,
    keys: Collection<'s, K>,
) -> Collection<'s, (K, V)>
where
    K: ExchangeData + Hashable,
    V: ExchangeData,
{
    by_key(pairs).join_core(by_self(keys), |key, value, &()| {
        Some((key.clone(), value.clone()))
    })
}

/// The pairs of `pairs` whose key is not in `keys` (which must be distinct).
pub(crate) fn antijoin<'s, K, V>(
    pairs: Collection<'s, (K, V)>,
    keys: Collection<'s, K>,
) -> Collection<'s, (K, V)>
where
    K: ExchangeData + Hashable,
    V: ExchangeData,
{
    pairs.clone().concat(semijoin(pairs, keys).negate())
}

/// Per key, `logic(key, values, output)` over the key's values (sorted, with their
/// differences); the output is `(key, value)` pairs.
pub(crate) fn reduce<'s, K, V, R, O, L>(
    pairs: Collection<'s, (K, V), R>,
    name: &str,
    logic: L,
) -> Collection<'s, (K, O)>
where
    K: ExchangeData + Hashable,
    V: ExchangeData,
    R: ExchangeData + Semigroup,
    O: Data,
    L: FnMut(&K, &[(&V, R)], &mut Vec<(O, isize)>) + 'static,
{
    by_key(pairs)
        .reduce_abelian::<_, ValBuilder<_, _, _, _>, ValSpine<K, O, Epoch, isize>, _, _>(
            name,
            logic,
            |buffer, key, updates| {
                buffer.clear();
                buffer.extend(
                    updates
                        .drain(..)
                        .map(|(value, time, diff)| ((key.clone(), value), time, diff)),
                );
            },
        )
        .as_collection(|key, value| (key.clone(), value.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Update = (u64, u64, isize);

    /// Feeds `containers` to a chunker and returns the chunks it makes.
    fn chunks(containers: Vec<Vec<Update>>) -> Vec<Vec<Update>> {
        let mut chunker = Chunker::<u64, u64, isize>::default();
        let mut out = Vec::new();
        for mut container in containers {
            chunker.push_into(&mut container);
            while let Some(chunk) = chunker.extract() {
                out.push(std::mem::take(chunk));
            }
        }
        while let Some(chunk) = chunker.finish() {
            out.push(std::mem::take(chunk));
        }
        out
    }

    #[test]
    fn large_containers_make_full_chunks() {
        let capacity = Chunker::<u64, u64, isize>::capacity();
        let n = capacity * 10 + 7;
        // Containers of 3.5 chunks each, distinct updates in descending order.
        let updates: Vec<Update> = (0..n as u64).rev().map(|x| (x, 0, 1)).collect();
        let containers: Vec<Vec<Update>> = updates
            .chunks(capacity * 7 / 2)
            .map(|c| c.to_vec())
            .collect();
        let made = chunks(containers);
        assert_eq!(made.len(), 11, "ten full chunks and the remainder");
        assert!(made[..10].iter().all(|c| c.len() == capacity));
        assert_eq!(made[10].len(), 7);
        for chunk in &made {
            assert!(chunk.windows(2).all(|w| w[0] < w[1]), "each chunk sorted");
        }
        let mut all: Vec<Update> = made.concat();
        all.sort();
        let mut expected = updates;
        expected.sort();
        assert_eq!(all, expected);
    }

    #[test]
    fn chunks_are_consolidated_and_cancelled_updates_vanish() {
        let capacity = Chunker::<u64, u64, isize>::capacity();
        // Every update twice in one container, then retracted twice in the next.
        let add: Vec<Update> = (0..capacity as u64)
            .flat_map(|x| [(x, 0, 1), (x, 0, 1)])
            .collect();
        let retract: Vec<Update> = add.iter().map(|&(x, t, _)| (x, t, -1)).collect();
        let made = chunks(vec![add, vec![(7, 1, 3)], retract]);
        let mut sums = std::collections::BTreeMap::<(u64, u64), isize>::new();
        for (x, t, d) in made.concat() {
            *sums.entry((x, t)).or_default() += d;
        }
        sums.retain(|_, d| *d != 0);
        assert_eq!(sums.into_iter().collect::<Vec<_>>(), vec![((7, 1), 3)]);
        for chunk in &made {
            let mut sorted = chunk.clone();
            consolidate_updates(&mut sorted);
            assert_eq!(&sorted, chunk, "each chunk consolidated");
        }
    }
}
