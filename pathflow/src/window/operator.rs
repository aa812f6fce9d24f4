//! The window operator: applies each epoch's events to per-window state in epoch order,
//! under that epoch's watermark, and emits the changes of the windows' rows as a
//! differential collection.
//!
//! The state is its own, not a differential arrangement: forgetting a closed window must
//! not retract its result, which retracting the input of a differential operator would.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;

use differential_dataflow::consolidation::consolidate;
use differential_dataflow::difference::Semigroup;
use differential_dataflow::AsCollection;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::{Operator, OutputBuilderSession};
use timely::dataflow::operators::Capability;
use timely::dataflow::StreamVec;
use timely::ExchangeData;

use crate::ops::GroupDiff;
use crate::schema::Row;
use crate::table::{Collection, Epoch};
use crate::time::Timestamp;
use crate::window::behavior::{Clock, Policy};
use crate::window::epochs::{EpochMaximum, StateUpdate};
use crate::window::event::{Event, Placement};
use crate::window::late::LateEvents;

/// The windows of one worker: what the operator applies events to and asks for rows.
pub(crate) trait WindowState: 'static {
    /// The instance key.
    type Instance: ExchangeData + Hash + Eq + Debug;
    /// The value reducers keep per row.
    type Value: ExchangeData + Hash + Eq;
    /// The reducers' accumulable state.
    type Acc: ExchangeData + Semigroup;
    /// The output row.
    type Out: Row;

    /// Applies an update that is not late.
    fn apply(&mut self, event: Event<Self::Instance, Self::Value>, diff: &GroupDiff<Self::Acc>);

    /// Brings the rows up to date at `clock`: re-evaluates the windows that changed and
    /// those the watermark moved past a threshold, pushes the changes of their rows to `out`,
    /// and forgets the windows nothing can change any more.
    fn settle(&mut self, clock: &Clock, out: &mut Vec<(Self::Out, isize)>);
}

/// Runs `state` over the consolidated `updates` and the epochs' `maxima`.
///
/// In a streaming run, an epoch that raises the watermark is followed by a settlement at the
/// next epoch (one millisecond later), so that the windows it makes final or closes change
/// without waiting for more input. A batch run is one epoch, settled when the input ends.
pub(crate) fn window_operator<'s, S: WindowState>(
    updates: StreamVec<'s, Epoch, StateUpdate<S>>,
    maxima: StreamVec<'s, Epoch, EpochMaximum>,
    policy: Policy,
    streaming: bool,
    state: S,
) -> Collection<'s, S::Out> {
    let mut epochs = Sequencer {
        state,
        policy,
        late: LateEvents::for_this_pipeline(),
        pending: BTreeMap::new(),
        maxima: BTreeMap::new(),
        watermark: Timestamp::MIN,
        previous: Timestamp::MIN,
        last_epoch: None,
    };
    updates
        .binary_frontier::<_, CapacityContainerBuilder<Vec<(S::Out, Epoch, isize)>>, _, _, _, _>(
            maxima,
            Pipeline,
            Exchange::new(|(worker, _, _): &EpochMaximum| *worker),
            "Windows",
            move |capability, _info| {
                let mut held: Option<Capability<Epoch>> = Some(capability);
                let mut changes: Vec<(S::Out, isize)> = Vec::new();
                move |(updates, updates_frontier), (maxima, maxima_frontier), output| {
                    updates.for_each(|_, data| epochs.receive_updates(data));
                    maxima.for_each(|_, data| epochs.receive_maxima(data));
                    let Some(capability) = held.as_mut() else {
                        return;
                    };
                    // The least epoch still open on either input; `None` once both ended.
                    let bound = [updates_frontier, maxima_frontier]
                        .iter()
                        .filter_map(|frontier| frontier.frontier().as_option().copied())
                        .min();
                    while let Some(epoch) = epochs.next_complete(bound) {
                        epochs.process(epoch, &mut changes);
                        emit(output, capability, epoch, &mut changes);
                        if streaming {
                            if let Some(next) = epochs.catch_up(epoch, &mut changes) {
                                emit(output, capability, next, &mut changes);
                            }
                        }
                    }
                    match bound {
                        Some(bound) => capability.downgrade(&bound),
                        None => {
                            let epoch = epochs.finish(&mut changes).max(*capability.time());
                            emit(output, capability, epoch, &mut changes);
                            held = None;
                        }
                    }
                }
            },
        )
        .as_collection()
}

/// An update as the window state applies it.
type Applied<S> = (
    Event<<S as WindowState>::Instance, <S as WindowState>::Value>,
    GroupDiff<<S as WindowState>::Acc>,
);

/// One worker's windows and what orders their updates: the epochs received but not yet
/// complete, their maxima, and the watermark.
struct Sequencer<S: WindowState> {
    state: S,
    policy: Policy,
    late: LateEvents,
    pending: BTreeMap<Epoch, Vec<Applied<S>>>,
    maxima: BTreeMap<Epoch, Option<Timestamp>>,
    /// The largest event time of the epochs processed.
    watermark: Timestamp,
    /// The watermark the windows were last settled at.
    previous: Timestamp,
    /// The last epoch the windows were settled at.
    last_epoch: Option<Epoch>,
}

impl<S: WindowState> Sequencer<S> {
    fn receive_updates(&mut self, data: &mut Vec<StateUpdate<S>>) {
        for (event, epoch, diff) in data.drain(..) {
            self.pending.entry(epoch).or_default().push((event, diff));
        }
    }

    fn receive_maxima(&mut self, data: &mut Vec<EpochMaximum>) {
        for (_, epoch, maximum) in data.drain(..) {
            let largest = self.maxima.entry(epoch).or_default();
            *largest = (*largest).max(maximum);
        }
    }

    /// The earliest epoch received that is complete: before `bound`, or any once the
    /// inputs ended.
    fn next_complete(&self, bound: Option<Epoch>) -> Option<Epoch> {
        let next = [self.pending.keys().next(), self.maxima.keys().next()]
            .into_iter()
            .flatten()
            .min()
            .copied()?;
        bound.is_none_or(|bound| next < bound).then_some(next)
    }

    /// Applies `epoch`'s updates under its watermark (ignoring and reporting late ones),
    /// settles the windows, and moves the watermark past the epoch.
    fn process(&mut self, epoch: Epoch, out: &mut Vec<(S::Out, isize)>) {
        let watermark = self.watermark;
        for (event, diff) in self.pending.remove(&epoch).unwrap_or_default() {
            if self.policy.is_late(event.at, watermark) {
                if event.placement != Placement::Later {
                    let cutoff = self.policy.cutoff().unwrap_or_default();
                    self.late.record(
                        epoch,
                        &event.instance,
                        event.at,
                        watermark,
                        cutoff,
                        diff.count,
                    );
                }
            } else if event.placement != Placement::Outside {
                self.state.apply(event, &diff);
            }
        }
        let clock = Clock {
            previous: self.previous,
            now: watermark,
            ended: false,
        };
        self.state.settle(&clock, out);
        self.previous = watermark;
        if let Some(Some(largest)) = self.maxima.remove(&epoch) {
            self.watermark = watermark.max(largest);
        }
        self.last_epoch = Some(epoch);
    }

    /// After `epoch` raised the watermark, settles the windows at the next epoch under the
    /// new watermark, so that the windows it makes final or closes change now rather than
    /// with the next input. Returns that epoch, if the watermark rose.
    fn catch_up(&mut self, epoch: Epoch, out: &mut Vec<(S::Out, isize)>) -> Option<Epoch> {
        let next = epoch.checked_add(1)?;
        if self.watermark <= self.previous {
            return None;
        }
        let clock = Clock {
            previous: self.previous,
            now: self.watermark,
            ended: false,
        };
        self.state.settle(&clock, out);
        self.previous = self.watermark;
        self.last_epoch = Some(next);
        Some(next)
    }

    /// Settles the windows once the input has ended, when every window is final; returns
    /// the last epoch settled (0 if none), which the changes belong to.
    fn finish(&mut self, out: &mut Vec<(S::Out, isize)>) -> Epoch {
        let clock = Clock {
            previous: self.previous,
            now: self.watermark,
            ended: true,
        };
        self.state.settle(&clock, out);
        self.last_epoch.unwrap_or_default()
    }
}

/// The operator's output: changes of rows `U`.
type Changes<'a, U> =
    OutputBuilderSession<'a, Epoch, CapacityContainerBuilder<Vec<(U, Epoch, isize)>>>;

/// Sends `changes`, consolidated, at `epoch`.
fn emit<U: Row>(
    output: &mut Changes<'_, U>,
    capability: &Capability<Epoch>,
    epoch: Epoch,
    changes: &mut Vec<(U, isize)>,
) {
    consolidate(changes);
    if changes.is_empty() {
        return;
    }
    let at = capability.delayed(&epoch);
    let mut session = output.session(&at);
    session.give_iterator(changes.drain(..).map(|(row, diff)| (row, epoch, diff)));
}
