//! Combining updates on each worker before they are exchanged.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use differential_dataflow::difference::Semigroup;
use differential_dataflow::AsCollection;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use timely::dataflow::operators::Capability;

use crate::table::{Collection, Epoch};

/// The sums of one epoch's updates, by data, with a fast fixed hasher.
type Sums<D, R> = HashMap<D, R, foldhash::fast::FixedState>;

/// Maps every update `(row, time, diff)` to `(lift(row, diff), time, weight)` and adds up
/// equal data per epoch on this worker, emitting each epoch's sums once it is complete.
///
/// Aggregations combine here, so the exchange carries one update per distinct key and
/// worker per epoch rather than one per input row.
pub(crate) fn lift_and_combine<'s, T, D, R, F>(
    input: Collection<'s, T>,
    name: &str,
    mut lift: F,
) -> Collection<'s, D, R>
where
    T: Clone + 'static,
    D: Clone + Hash + Eq + 'static,
    R: Semigroup + 'static,
    F: FnMut(&T, isize) -> (D, R) + 'static,
{
    input
        .inner
        .unary_frontier::<timely::container::CapacityContainerBuilder<Vec<(D, Epoch, R)>>, _, _, _>(
            Pipeline,
            name,
            move |_capability, _info| {
                let mut pending: BTreeMap<Epoch, (Capability<Epoch>, Sums<D, R>)> = BTreeMap::new();
                move |(input, frontier), output| {
                    input.for_each(|capability, data| {
                        for (row, time, diff) in data.drain(..) {
                            let entry = pending.entry(time).or_insert_with(|| {
                                (capability.delayed(&time, 0), HashMap::default())
                            });
                            let (key, value) = lift(&row, diff);
                            match entry.1.get_mut(&key) {
                                Some(sum) => sum.plus_equals(&value),
                                None => {
                                    entry.1.insert(key, value);
                                }
                            }
                        }
                    });
                    while let Some((&time, _)) = pending.first_key_value() {
                        if frontier.less_equal(&time) {
                            break;
                        }
                        let (capability, sums) = pending.remove(&time).expect("present");
                        let mut session = output.session(&capability);
                        for (key, sum) in sums {
                            if !sum.is_zero() {
                                session.give((key, time, sum));
                            }
                        }
                    }
                }
            },
        )
        .as_collection()
}
