//! The first stage of the window operator: gathers each epoch's events on the worker that
//! owns their window, adds them up, and tells every worker the epoch's largest event time.
//!
//! The watermark of an epoch is the largest event time the input added in the epochs before
//! it, over all workers. Each worker sends, for every epoch in which its share of the input
//! changed, its largest added event time (or `None`) to every worker, so all workers know
//! the same epochs and the same watermarks whatever the number of workers.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use differential_dataflow::difference::{IsZero, Semigroup};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::Capability;
use timely::dataflow::StreamVec;
use timely::ExchangeData;

use crate::ops::GroupDiff;
use crate::table::Epoch;
use crate::time::Timestamp;
use crate::window::event::Event;
use crate::window::operator::WindowState;

/// An event, the epoch, and how much of the event the epoch adds.
pub(crate) type Update<K, V, A> = (Event<K, V>, Epoch, GroupDiff<A>);

/// One worker's largest added event time in an epoch, addressed to a worker:
/// `(worker, epoch, largest)`.
pub(crate) type EpochMaximum = (u64, Epoch, Option<Timestamp>);

/// The updates of a window state `S`.
pub(crate) type StateUpdate<S> =
    Update<<S as WindowState>::Instance, <S as WindowState>::Value, <S as WindowState>::Acc>;

/// What the first stage hands the window operator: the updates, and the maxima to exchange.
pub(crate) type Staged<'s, K, V, A> = (
    StreamVec<'s, Epoch, Update<K, V, A>>,
    StreamVec<'s, Epoch, EpochMaximum>,
);

/// An output of the first stage, holding records of type `D`.
type Output<D> = OutputBuilder<Epoch, CapacityContainerBuilder<Vec<D>>>;

/// Exchanges `events` to the workers owning their windows and adds them up per epoch.
///
/// Returns each epoch's non-zero updates (on this worker, at the epoch) and the epoch's
/// maxima addressed to every worker (exchange them by their first field).
pub(crate) fn consolidate_epochs<'s, K, V, A>(
    events: StreamVec<'s, Epoch, Update<K, V, A>>,
) -> Staged<'s, K, V, A>
where
    K: ExchangeData + Hash + Eq,
    V: ExchangeData + Hash + Eq,
    A: ExchangeData + Semigroup,
{
    let scope = events.scope();
    let peers = scope.peers() as u64;
    let mut builder = OperatorBuilder::new("WindowEpochs".to_owned(), scope);
    let mut input = builder.new_input(
        events,
        Exchange::new(|(event, _, _): &Update<K, V, A>| event.route()),
    );
    let (updates_output, updates) = builder.new_output::<Vec<Update<K, V, A>>>();
    let (maxima_output, maxima) = builder.new_output::<Vec<EpochMaximum>>();
    let mut updates_output: Output<Update<K, V, A>> = OutputBuilder::from(updates_output);
    let mut maxima_output: Output<EpochMaximum> = OutputBuilder::from(maxima_output);

    builder.build(move |_initial| {
        let mut pending: BTreeMap<Epoch, Pending<K, V, A>> = BTreeMap::new();
        move |frontiers| {
            input.for_each(|capability, data| {
                for (event, epoch, diff) in data.drain(..) {
                    let entry = pending.entry(epoch).or_insert_with(|| Pending {
                        updates: capability.delayed(&epoch, 0),
                        maxima: capability.delayed(&epoch, 1),
                        sums: HashMap::new(),
                    });
                    match entry.sums.get_mut(&event) {
                        Some(sum) => sum.plus_equals(&diff),
                        None => {
                            entry.sums.insert(event, diff);
                        }
                    }
                }
            });
            while let Some(entry) = pending.first_entry() {
                if frontiers[0].less_equal(entry.key()) {
                    break;
                }
                let time = *entry.key();
                let epoch = entry.remove();
                let mut largest: Option<Timestamp> = None;
                let mut changed = false;
                let mut output = updates_output.activate();
                let mut session = output.session(&epoch.updates);
                for (event, diff) in epoch.sums {
                    if diff.is_zero() {
                        continue;
                    }
                    changed = true;
                    if diff.count > 0 {
                        largest = largest.max(Some(event.at));
                    }
                    session.give((event, time, diff));
                }
                drop(session);
                drop(output);
                if changed {
                    let mut output = maxima_output.activate();
                    let mut session = output.session(&epoch.maxima);
                    session.give_iterator((0..peers).map(|worker| (worker, time, largest)));
                }
            }
        }
    });
    (updates, maxima)
}

/// What a worker gathers for one epoch until the epoch is complete.
struct Pending<K, V, A> {
    updates: Capability<Epoch>,
    maxima: Capability<Epoch>,
    sums: HashMap<Event<K, V>, GroupDiff<A>>,
}
