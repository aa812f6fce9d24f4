//! The sink operator: gathers each epoch's updates and hands them to a writer once complete.

use std::collections::BTreeMap;
use std::rc::Rc;

use differential_dataflow::consolidation::consolidate;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Probe;
use timely::progress::frontier::MutableAntichain;

use crate::mode::Mode;
use crate::runner::WorkerContext;
use crate::schema::Row;
use crate::sink::{Placement, Sink, SinkContext, SinkWriter};
use crate::table::{Collection, Epoch};

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
    let stream = rows.inner.probe_with(&context.written);
    let mut state = SinkState {
        context,
        writer,
        name,
        pending: BTreeMap::new(),
        finished: false,
        written: 0,
    };
    match placement {
        Placement::OneWorker => stream.sink(
            Exchange::new(|_: &(T, Epoch, isize)| 0u64),
            "Sink",
            move |(input, frontier)| {
                input.for_each(|_, data| state.receive(data));
                state.write_complete(frontier);
            },
        ),
        Placement::EveryWorker => stream.sink(Pipeline, "Sink", move |(input, frontier)| {
            input.for_each(|_, data| state.receive(data));
            state.write_complete(frontier);
        }),
    }
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
        for (row, time, diff) in data.drain(..) {
            self.pending.entry(time).or_default().push((row, diff));
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
