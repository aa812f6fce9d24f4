//! Running totals per key, kept in a hash map: the state of accumulable reduces and of
//! `distinct`.
//!
//! Epochs are totally ordered, so a key's total at an epoch is its total at the epoch before
//! plus that epoch's updates. Differential's `count_total` and `distinct_total` find that
//! earlier total in an arrangement, which they also keep merging; a hash map from key to
//! total needs one probe per changed key and epoch and nothing else, so an epoch costs
//! O(changed keys) whatever the number of keys held, and its output is ready as soon as the
//! epoch completes.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use differential_dataflow::consolidation::consolidate;
use differential_dataflow::difference::Semigroup;
use differential_dataflow::AsCollection;
use serde::de::DeserializeOwned;
use serde::Serialize;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Capability;

use crate::source::row_hash;
use crate::table::{Collection, Diff, Epoch};

/// The hasher of a worker's totals: seeded apart from [`row_hash`], which picks the worker,
/// so that the keys one worker holds do not share the bits its table indexes by.
type TotalsHasher = foldhash::fast::FixedState;

/// Each open epoch's updates, with a capability to emit at it.
type Pending<D, R> = BTreeMap<Epoch, (Capability<Epoch>, Vec<(D, R)>)>;

fn totals_hasher() -> TotalsHasher {
    foldhash::fast::FixedState::with_seed(0x9e37_79b9_7f4a_7c15)
}

/// What a key's change of total emits: its key, the total before the epoch and after it
/// (`None` for zero), and the session to give `(row, diff)` to.
pub(crate) trait OnChange<D, R, O>:
    FnMut(&D, Option<&R>, Option<&R>, &mut dyn FnMut(O, Diff))
{
}
impl<D, R, O, F> OnChange<D, R, O> for F where
    F: FnMut(&D, Option<&R>, Option<&R>, &mut dyn FnMut(O, Diff))
{
}

/// Exchanges `input` by key, keeps each key's running total on the worker owning it, and
/// calls `on_change` once per key whose total an epoch changed, when the epoch completes.
pub(crate) fn running_totals<'s, D, R, O>(
    input: Collection<'s, D, R>,
    name: &str,
    mut on_change: impl OnChange<D, R, O> + 'static,
) -> Collection<'s, O>
where
    D: Ord + Hash + Clone + Serialize + DeserializeOwned + Send + 'static,
    R: Semigroup + Serialize + DeserializeOwned + Send + 'static,
    O: Clone + 'static,
{
    let pact = Exchange::new(|update: &(D, Epoch, R)| row_hash(&update.0));
    input
        .inner
        .unary_frontier::<CapacityContainerBuilder<Vec<(O, Epoch, Diff)>>, _, _, _>(
            pact,
            name,
            move |_capability, _info| {
                let mut totals: HashMap<D, R, TotalsHasher> = HashMap::with_hasher(totals_hasher());
                let mut pending: Pending<D, R> = BTreeMap::new();
                move |(input, frontier), output| {
                    input.for_each(|capability, data| {
                        // One map lookup per run of updates at the same epoch.
                        let mut updates = data.drain(..).peekable();
                        while let Some((row, time, diff)) = updates.next() {
                            let (_, held) = pending
                                .entry(time)
                                .or_insert_with(|| (capability.delayed(&time, 0), Vec::new()));
                            held.push((row, diff));
                            while let Some((row, _, diff)) = updates.next_if(|(_, t, _)| *t == time)
                            {
                                held.push((row, diff));
                            }
                        }
                    });
                    while let Some((&time, _)) = pending.first_key_value() {
                        if frontier.less_equal(&time) {
                            break;
                        }
                        let (capability, mut updates) = pending.remove(&time).expect("present");
                        consolidate(&mut updates);
                        let mut session = output.session(&capability);
                        let mut give = |row: O, diff: Diff| session.give((row, time, diff));
                        for (key, delta) in updates {
                            match totals.entry(key) {
                                Entry::Occupied(mut held) => {
                                    let before = held.get().clone();
                                    held.get_mut().plus_equals(&delta);
                                    if held.get().is_zero() {
                                        on_change(held.key(), Some(&before), None, &mut give);
                                        held.remove();
                                    } else {
                                        on_change(
                                            held.key(),
                                            Some(&before),
                                            Some(held.get()),
                                            &mut give,
                                        );
                                    }
                                }
                                Entry::Vacant(empty) => {
                                    let key = empty.key().clone();
                                    let total = empty.insert(delta);
                                    on_change(&key, None, Some(total), &mut give);
                                }
                            }
                        }
                    }
                }
            },
        )
        .as_collection()
}

/// Each key's total as a row `(key, total)`, retracted and re-inserted when it changes (what
/// differential's `count_total` computes).
pub(crate) fn count_total<'s, D, R>(input: Collection<'s, D, R>) -> Collection<'s, (D, R)>
where
    D: Ord + Hash + Clone + Serialize + DeserializeOwned + Send + 'static,
    R: Semigroup + Serialize + DeserializeOwned + Send + 'static,
{
    running_totals(input, "CountTotal", |key: &D, before, after, give| {
        if let Some(before) = before {
            give((key.clone(), before.clone()), -1);
        }
        if let Some(after) = after {
            give((key.clone(), after.clone()), 1);
        }
    })
}

/// Each row whose count is not zero, once (what differential's `distinct` computes).
pub(crate) fn distinct_total<'s, D>(input: Collection<'s, D>) -> Collection<'s, D>
where
    D: Ord + Hash + Clone + Serialize + DeserializeOwned + Send + 'static,
{
    running_totals(
        input,
        "Distinct",
        |row: &D, before: Option<&Diff>, after: Option<&Diff>, give| match (
            before.is_some(),
            after.is_some(),
        ) {
            (true, false) => give(row.clone(), -1),
            (false, true) => give(row.clone(), 1),
            _ => {}
        },
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use differential_dataflow::input::Input;
    use differential_dataflow::operators::{CountTotal, ThresholdTotal};
    use proptest::prelude::*;
    use timely::dataflow::operators::capture::{Capture, Extract};

    use super::*;

    type Updates = Vec<(u8, Epoch, Diff)>;
    type Output<O> = Vec<(O, Epoch, Diff)>;

    /// Runs `build` and differential's own operator over the same updates on 2 workers and
    /// returns both outputs, consolidated per epoch.
    fn both<O: Ord + Clone + Send + std::fmt::Debug + 'static>(
        updates: Updates,
        ours: for<'s> fn(Collection<'s, u8>) -> Collection<'s, O>,
        theirs: for<'s> fn(Collection<'s, u8>) -> Collection<'s, O>,
    ) -> (Output<O>, Output<O>) {
        let guards = timely::execute(timely::Config::process(2), move |worker| {
            let index = worker.index();
            let (mut input, ours_out, theirs_out) = worker.dataflow::<Epoch, _, _>(|scope| {
                let (input, rows) = scope.new_collection::<u8, Diff>();
                let a = ours(rows.clone()).inner.capture();
                let b = theirs(rows).inner.capture();
                (input, a, b)
            });
            let mut epochs: BTreeMap<Epoch, Vec<(u8, Diff)>> = BTreeMap::new();
            for (i, (row, epoch, diff)) in updates.iter().enumerate() {
                if i % 2 == index {
                    epochs.entry(*epoch).or_default().push((*row, *diff));
                }
            }
            for (epoch, rows) in epochs {
                input.advance_to(epoch);
                for (row, diff) in rows {
                    input.update(row, diff);
                }
            }
            input.close();
            while worker.step() {}
            (ours_out, theirs_out)
        })
        .expect("timely runs");
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for result in guards.join() {
            let (a, b) = result.expect("worker ends");
            ours.extend(a.extract().into_iter().flat_map(|(_, rows)| rows));
            theirs.extend(b.extract().into_iter().flat_map(|(_, rows)| rows));
        }
        let normal = |mut rows: Vec<(O, Epoch, Diff)>| {
            let mut pairs: Vec<((O, Epoch), Diff)> = rows
                .drain(..)
                .map(|(row, time, diff)| ((row, time), diff))
                .collect();
            consolidate(&mut pairs);
            pairs
                .into_iter()
                .map(|((row, time), diff)| (row, time, diff))
                .collect()
        };
        (normal(ours), normal(theirs))
    }

    fn updates() -> impl Strategy<Value = Updates> {
        prop::collection::vec(
            (
                0u8..6,
                0u64..5,
                prop_oneof![Just(1isize), Just(-1), Just(2)],
            ),
            0..40,
        )
    }

    proptest! {
        /// The running totals' output equals differential's `count_total`, epoch by epoch.
        #[test]
        fn count_total_matches_differential(updates in updates()) {
            let (ours, theirs) = both(updates, count_total, |rows| rows.count_total());
            prop_assert_eq!(ours, theirs);
        }

        /// `distinct_total` equals differential's, epoch by epoch.
        #[test]
        fn distinct_total_matches_differential(updates in updates()) {
            let (ours, theirs) = both(updates, distinct_total, |rows| rows.distinct_total());
            prop_assert_eq!(ours, theirs);
        }
    }
}
