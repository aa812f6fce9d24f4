//! Combining updates on each worker before they are exchanged.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use differential_dataflow::difference::Semigroup;
use differential_dataflow::AsCollection;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use timely::dataflow::operators::Capability;

use crate::consolidation::{Consolidation, Step};
use crate::panic::{guarded_rows, reraise};
use crate::source::row_hash;
use crate::table::{Collection, Epoch};

/// The sums of one epoch's updates, by data, with a fast fixed hasher.
type Sums<D, R> = HashMap<D, R, foldhash::fast::FixedState>;

/// Maps every update `(row, time, diff)` to `(lift(row, diff), time, weight)` and adds up
/// equal data per epoch on this worker, emitting each epoch's sums once it is complete. A
/// panic in `lift` names `operator` and the row.
///
/// Aggregations combine here, so the exchange carries one update per distinct key and
/// worker per epoch rather than one per input row. Where the lifted data are mostly
/// distinct (a `max` over prices per auction), summing them would only cost: [`Consolidation`]
/// notices, and such updates go on as they are, right away.
pub(crate) fn lift_and_combine<'s, T, D, R, F>(
    input: Collection<'s, T>,
    name: &str,
    operator: &'static str,
    mut lift: F,
) -> Collection<'s, D, R>
where
    T: std::fmt::Debug + Clone + 'static,
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
                let mut consolidation = Consolidation::default();
                let mut passed: Vec<(D, Epoch, R)> = Vec::new();
                let mut to_sum: Vec<(D, R)> = Vec::new();
                move |(input, frontier), output| {
                    input.for_each(|capability, data| {
                        let ran = guarded_rows(|at| {
                            let mut index = 0;
                            while index < data.len() {
                                // The run of updates at `time`: what passes goes out now,
                                // what is summed goes into the epoch's map, looked up once.
                                let time = data[index].1;
                                while index < data.len() && data[index].1 == time {
                                    *at = index;
                                    let (row, _, diff) = &data[index];
                                    let (key, value) = lift(row, *diff);
                                    match consolidation.step() {
                                        Step::Pass => passed.push((key, time, value)),
                                        Step::Sample => {
                                            consolidation.sampled(row_hash(&key));
                                            passed.push((key, time, value));
                                        }
                                        Step::Sum => to_sum.push((key, value)),
                                    }
                                    index += 1;
                                }
                                if to_sum.is_empty() {
                                    continue;
                                }
                                let (_, sums) = pending.entry(time).or_insert_with(|| {
                                    (capability.delayed(&time, 0), HashMap::default())
                                });
                                for (key, value) in to_sum.drain(..) {
                                    let new = match sums.get_mut(&key) {
                                        Some(sum) => {
                                            sum.plus_equals(&value);
                                            false
                                        }
                                        None => {
                                            sums.insert(key, value);
                                            true
                                        }
                                    };
                                    consolidation.summed(new);
                                }
                            }
                        });
                        if let Err((at, panic)) = ran {
                            reraise(operator, &data[at].0, panic);
                        }
                        data.clear();
                        if !passed.is_empty() {
                            output.session(&capability).give_container(&mut passed);
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
