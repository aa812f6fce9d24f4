//! The sink operator: gathers each epoch's updates and hands them to a writer once complete.
//!
//! The operator holds a capability on an (empty) output at the earliest epoch its writer
//! has not made durable yet; `WorkerContext::written` probes that output, so an epoch counts
//! as written, for the sources' commits and back-pressure, only once every sink on every
//! worker has made it durable.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use differential_dataflow::consolidation::consolidate;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::{Exchange, ParallelizationContract, Pipeline};
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::operators::Probe;
use timely::progress::frontier::MutableAntichain;

use crate::mode::Mode;
use crate::runner::WorkerContext;
use crate::schema::Row;
use crate::sink::{Placement, Sink, SinkContext, SinkWriter};
use crate::table::{Collection, Epoch};

/// How often a writer with pending writes is asked about them.
const PENDING_POLL: Duration = Duration::from_millis(1);

/// Writes `rows` to `sink`: one worker or all, per the sink's placement.
pub(crate) fn write<'s, M: Mode, T: Row, S: Sink<M, T>>(
    context: Rc<WorkerContext>,
    rows: Collection<'s, T>,
    sink: S,
) {
    let name = sink.name();
    let placement = sink.placement();
    let sink_context = SinkContext {
        worker: context.worker,
        workers: context.workers,
        streaming: context.shared.streaming,
    };
    let writer: Option<Box<dyn SinkWriter<T>>> =
        if placement == Placement::EveryWorker || context.worker == 0 {
            match sink.open(&sink_context) {
                Ok(writer) => Some(writer),
                Err(error) => {
                    context.shared.fail(error);
                    None
                }
            }
        } else {
            None
        };
    let written = context.written.clone();
    let state = SinkState {
        context,
        writer,
        name,
        pending: BTreeMap::new(),
        finished: false,
        written: 0,
    };
    match placement {
        Placement::OneWorker => operator(
            rows,
            Exchange::new(|_: &(T, Epoch, isize)| 0u64),
            state,
            &written,
        ),
        Placement::EveryWorker => operator(rows, Pipeline, state, &written),
    }
}

/// The sink operator over `rows` exchanged by `pact`, its durable frontier probed by `written`.
fn operator<'s, T: Row, P>(
    rows: Collection<'s, T>,
    pact: P,
    mut state: SinkState<T>,
    written: &ProbeHandle<Epoch>,
) where
    P: ParallelizationContract<Epoch, Vec<(T, Epoch, isize)>>,
{
    let scope = rows.inner.scope();
    rows.inner
        .unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
            pact,
            "Sink",
            move |capability, info| {
                let activator = scope.activator_for(info.address);
                let mut held = Some(capability);
                move |(input, frontier), _output| {
                    input.for_each(|_, data| state.receive(data));
                    state.write_complete(frontier);
                    let pending = state.pending();
                    // Hold the earliest epoch not yet durable, or else the input's frontier.
                    let hold = pending
                        .into_iter()
                        .chain(frontier.frontier().iter().copied())
                        .min();
                    match (hold, held.as_mut()) {
                        (Some(epoch), Some(capability)) => capability.downgrade(&epoch),
                        _ => held = None,
                    }
                    if pending.is_some() {
                        activator.activate_after(PENDING_POLL);
                    }
                }
            },
        )
        .probe_with(written);
}

struct SinkState<T> {
    context: Rc<WorkerContext>,
    writer: Option<Box<dyn SinkWriter<T>>>,
    name: String,
    pending: BTreeMap<Epoch, Vec<(T, isize)>>,
    finished: bool,
    written: u64,
}

impl<T: Row> SinkState<T> {
    fn receive(&mut self, data: &mut Vec<(T, Epoch, isize)>) {
        // One map lookup per run of updates at the same epoch.
        let mut updates = data.drain(..).peekable();
        while let Some((row, time, diff)) = updates.next() {
            let pending = self.pending.entry(time).or_default();
            pending.push((row, diff));
            while let Some((row, _, diff)) = updates.next_if(|(_, t, _)| *t == time) {
                pending.push((row, diff));
            }
        }
    }

    /// The earliest epoch the writer has not made durable yet; fails the run on an error.
    fn pending(&mut self) -> Option<Epoch> {
        if self.finished {
            return None;
        }
        match self.writer.as_mut().map(|writer| writer.pending()) {
            Some(Ok(pending)) => pending,
            Some(Err(error)) => {
                self.context.shared.fail(error);
                self.finished = true;
                None
            }
            None => None,
        }
    }

    /// Writes every epoch the frontier has passed, in order; finishes at the end.
    fn write_complete(&mut self, frontier: &MutableAntichain<Epoch>) {
        if self.finished {
            self.pending.clear();
            return;
        }
        while let Some((&epoch, _)) = self.pending.first_key_value() {
            if frontier.less_equal(&epoch) {
                break;
            }
            let mut updates = self.pending.remove(&epoch).expect("present");
            consolidate(&mut updates);
            if updates.iter().any(|(_, diff)| *diff < 0) {
                // Retractions first; each part stays in row order.
                let (mut retractions, insertions): (Vec<_>, Vec<_>) =
                    updates.into_iter().partition(|(_, diff)| *diff < 0);
                retractions.extend(insertions);
                updates = retractions;
            }
            if let Some(writer) = self.writer.as_mut() {
                self.written += updates.len() as u64;
                if let Err(error) = writer.write_epoch(epoch, &updates) {
                    self.context.shared.fail(error);
                    self.finished = true;
                    return;
                }
            }
        }
        if frontier.is_empty() {
            self.finished = true;
            if let Some(writer) = self.writer.as_mut() {
                if let Err(error) = writer.finish() {
                    self.context.shared.fail(error);
                }
                let mut report = self
                    .context
                    .shared
                    .report
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                *report.rows_out.entry(self.name.clone()).or_insert(0) += self.written;
            }
        }
    }
}
