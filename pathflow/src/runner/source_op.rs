//! The source operator: polls a reader, cuts its updates into epochs, consolidates them.

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use differential_dataflow::AsCollection;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::Capability;
use timely::dataflow::Scope;

use crate::errors::InputError;
use crate::mode::Mode;
use crate::position::Position;
use crate::runner::buffer::Buffer;
use crate::runner::WorkerContext;
use crate::schema::Row;
use crate::source::{Poll, Source, SourceContext, SourceOutput, SourceReader, Waker};
use crate::table::{Collection, Epoch, Positions, Table};

/// How long one activation may poll a reader before yielding to other operators.
const TIME_SLICE: Duration = Duration::from_millis(5);
/// How many bytes of updates one activation emits at most before yielding, so that the
/// operators downstream take each container while it is still in cache and its memory is
/// reused for the next (timely's `to_stream` yields after as much).
const YIELD_BYTES: usize = 2 << 20;
/// How many commit intervals the sinks may lag before sources stop reading.
const EPOCHS_IN_FLIGHT: u64 = 8;

type Updates<D> = Vec<(D, Epoch, isize)>;

/// Reads `source` into a table on this worker.
pub(crate) fn read<'s, M: Mode, S: Source<M>>(
    scope: Scope<'s, Epoch>,
    context: Rc<WorkerContext>,
    source: S,
) -> Table<'s, S::Row, M> {
    let index = context.next_source.get();
    context.next_source.set(index + 1);
    let name = source.name();
    let source_context = SourceContext {
        worker: context.worker,
        workers: context.workers,
        source: index,
        streaming: M::STREAMING,
        on_error: context.shared.args.on_error,
    };
    let reader = match source.open(&source_context) {
        Ok(reader) => Some(reader),
        Err(error) => {
            context.shared.fail(error);
            None
        }
    };
    let wants_positions = Rc::new(Cell::new(false));
    let (rows, positioned) = operator(
        scope,
        context,
        name,
        index,
        reader,
        Rc::clone(&wants_positions),
    );
    let positions: Positions<'s, S::Row> = Rc::new(move || {
        wants_positions.set(true);
        positioned.clone()
    });
    Table::new(rows, Some(positions))
}

fn now_ms() -> Epoch {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn operator<'s, T: Row>(
    scope: Scope<'s, Epoch>,
    context: Rc<WorkerContext>,
    name: String,
    index: u32,
    mut reader: Option<Box<dyn SourceReader<T>>>,
    wants_positions: Rc<Cell<bool>>,
) -> (Collection<'s, T>, Collection<'s, (T, Position)>) {
    let mut builder = OperatorBuilder::new(format!("Source({name})"), scope);
    let address = builder.operator_info().address;
    let (rows_output, rows_stream) = builder.new_output::<Updates<T>>();
    let (positioned_output, positioned_stream) = builder.new_output::<Updates<(T, Position)>>();
    let mut rows_output: OutputBuilder<Epoch, CapacityContainerBuilder<Updates<T>>> =
        OutputBuilder::from(rows_output);
    let mut positioned_output: OutputBuilder<
        Epoch,
        CapacityContainerBuilder<Updates<(T, Position)>>,
    > = OutputBuilder::from(positioned_output);

    let activator = scope.activator_for(std::rc::Rc::clone(&address));
    if let Some(reader) = reader.as_mut() {
        reader.set_waker(Waker(scope.worker().sync_activator_for(address.to_vec())));
    }
    let streaming = context.shared.streaming;
    let interval = context.shared.args.commit_interval_ms.max(1);
    let self_committing = reader.as_ref().is_some_and(|r| r.commits_epochs());
    let first_epoch = match (streaming, self_committing) {
        (false, _) => 0,
        (true, true) => now_ms(),
        (true, false) => (now_ms() / interval + 1) * interval,
    };

    builder.build(move |mut capabilities| {
        let positioned_cap = capabilities.pop().expect("two outputs");
        let rows_cap = capabilities.pop().expect("two outputs");
        let mut capabilities: Option<(Capability<Epoch>, Capability<Epoch>)> =
            Some((rows_cap, positioned_cap));
        let mut buffer = Buffer::new(wants_positions, streaming, first_epoch, index);
        let mut emitted: VecDeque<Epoch> = VecDeque::new();
        if reader.is_none() {
            capabilities = None;
        }
        if let Some((rows_cap, positioned_cap)) = capabilities.as_mut() {
            rows_cap.downgrade(&first_epoch);
            positioned_cap.downgrade(&first_epoch);
        }

        move |_frontiers| {
            let Some((rows_cap, positioned_cap)) = capabilities.as_mut() else {
                return;
            };
            let Some(source) = reader.as_mut() else {
                return;
            };
            let shared = &context.shared;

            // Epochs whose outputs every sink has written: let the reader commit them.
            while let Some(&epoch) = emitted.front() {
                if context.written.less_equal(&epoch) {
                    break;
                }
                emitted.pop_front();
                if let Err(error) = source.on_complete(epoch) {
                    shared.fail(error);
                }
            }

            // Emits the buffer's updates; returns how many.
            let mut emit = |buffer: &mut Buffer<T>,
                            rows_cap: &Capability<Epoch>,
                            positioned_cap: &Capability<Epoch>| {
                let epoch = buffer.epoch;
                let mut count = 0;
                let mut rows = rows_output.activate();
                let mut session = rows.session(rows_cap);
                buffer.drain_rows(|row, diff| {
                    count += 1;
                    session.give((row, epoch, diff));
                });
                buffer.drain_passed(|container| {
                    count += container.len();
                    session.give_container(container);
                });
                drop(session);
                drop(rows);
                let mut positioned = positioned_output.activate();
                let mut session = positioned.session(positioned_cap);
                buffer.drain_positioned(|row, diff| {
                    count += 1;
                    session.give((row, epoch, diff));
                });
                count
            };

            let finish = |buffer: &Buffer<T>| {
                let mut report = shared.report.lock().unwrap_or_else(|e| e.into_inner());
                *report.rows_in.entry(name.clone()).or_insert(0) += buffer.read;
            };

            if shared.has_failed() {
                capabilities = None;
                return;
            }

            let now = if streaming { now_ms() } else { 0 };
            if streaming && !self_committing && now >= buffer.epoch {
                emit(&mut buffer, rows_cap, positioned_cap);
                source.on_epoch_closed(buffer.epoch);
                emitted.push_back(buffer.epoch);
                buffer.epoch = (now / interval + 1) * interval;
                rows_cap.downgrade(&buffer.epoch);
                positioned_cap.downgrade(&buffer.epoch);
            }
            if streaming && context.stopping() {
                emit(&mut buffer, rows_cap, positioned_cap);
                finish(&buffer);
                capabilities = None;
                return;
            }
            if streaming
                && context
                    .written
                    .less_than(&buffer.epoch.saturating_sub(EPOCHS_IN_FLIGHT * interval))
            {
                activator.activate_after(Duration::from_millis(interval.min(10)));
                return;
            }

            let started = Instant::now();
            let mut emitted_updates = 0;
            let yield_updates = YIELD_BYTES / std::mem::size_of::<(T, Epoch, isize)>().max(1);
            let policy = shared.args.on_error;
            let error_log = shared.error_log.clone();
            let mut record = |error: InputError| error_log.record(error, policy);
            loop {
                let mut output = SourceOutput {
                    sink: &mut buffer,
                    errors: &mut record,
                    commit_requested: false,
                };
                let polled = source.poll(&mut output);
                // A batch run is one epoch: a reader's commits do not cut it.
                let commit = output.commit_requested && streaming;
                if commit {
                    emit(&mut buffer, rows_cap, positioned_cap);
                    source.on_epoch_closed(buffer.epoch);
                    emitted.push_back(buffer.epoch);
                    buffer.epoch = now_ms().max(buffer.epoch + 1);
                    buffer.read_at_epoch_start = buffer.read;
                    rows_cap.downgrade(&buffer.epoch);
                    positioned_cap.downgrade(&buffer.epoch);
                }
                match polled {
                    Err(error) => {
                        shared.fail(error);
                        finish(&buffer);
                        capabilities = None;
                        return;
                    }
                    Ok(Poll::Finished) => {
                        emit(&mut buffer, rows_cap, positioned_cap);
                        finish(&buffer);
                        capabilities = None;
                        return;
                    }
                    Ok(Poll::Pending) => {
                        // An idle reader that closes its own epochs lets its empty epoch
                        // move on with the clock, so that what waits on the time (window
                        // settlements) does not wait for its next input.
                        let now = now_ms();
                        if streaming
                            && self_committing
                            && buffer.read == buffer.read_at_epoch_start
                            && now > buffer.epoch
                        {
                            buffer.epoch = now;
                            rows_cap.downgrade(&buffer.epoch);
                            positioned_cap.downgrade(&buffer.epoch);
                        }
                        let wait = if streaming {
                            (buffer.epoch.saturating_sub(now_ms())).clamp(1, 10)
                        } else {
                            1
                        };
                        activator.activate_after(Duration::from_millis(wait));
                        return;
                    }
                    Ok(Poll::Ready) => {
                        if buffer.should_emit_early() {
                            emitted_updates += emit(&mut buffer, rows_cap, positioned_cap);
                        }
                        if started.elapsed() >= TIME_SLICE || emitted_updates >= yield_updates {
                            activator.activate();
                            return;
                        }
                    }
                }
            }
        }
    });

    (
        rows_stream.as_collection(),
        positioned_stream.as_collection(),
    )
}
