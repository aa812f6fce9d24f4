//! The source operator: polls a reader, cuts its updates into epochs, consolidates them.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use differential_dataflow::consolidation::consolidate;
use differential_dataflow::AsCollection;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::Capability;
use timely::dataflow::Scope;

use crate::errors::InputError;
use crate::mode::Mode;
use crate::position::Position;
use crate::runner::WorkerContext;
use crate::schema::Row;
use crate::source::{Poll, Source, SourceContext, SourceOutput, SourceReader, UpdateSink, Waker};
use crate::table::{Collection, Epoch, Positions, Table};

/// How long one activation may poll a reader before yielding to other operators.
const TIME_SLICE: Duration = Duration::from_millis(5);
/// How many updates a source reads between checks of whether consolidating still pays.
const PROBE_ROWS: usize = 1 << 16;
/// How many distinct rows a source holds at most before emitting them early.
const FLUSH_ROWS: usize = 1 << 20;

/// A hash map with a fast, fixed (so deterministic) hasher.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
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

/// What a source operator buffers for the epoch it is reading.
struct Buffer<T> {
    rows: FastMap<T, isize>,
    /// Updates pushed since the buffer was last emitted.
    since_emit: usize,
    /// `since_emit` and the number of distinct rows at the last check.
    checked: (usize, usize),
    positioned: Vec<((T, Position), isize)>,
    wants_positions: Rc<Cell<bool>>,
    /// In streaming runs, the epoch each live offset was inserted in, so that a retraction
    /// carries the same position as its insertion.
    inserted_in: HashMap<u64, Epoch>,
    streaming: bool,
    epoch: Epoch,
    source: u32,
    read: u64,
}

impl<T: Row> UpdateSink<T> for Buffer<T> {
    fn update(&mut self, row: T, offset: u64, diff: isize) {
        self.read += 1;
        if self.wants_positions.get() {
            let epoch = if !self.streaming {
                0
            } else if diff > 0 {
                self.inserted_in.insert(offset, self.epoch);
                self.epoch
            } else {
                self.inserted_in.remove(&offset).unwrap_or(self.epoch)
            };
            let position = Position {
                epoch,
                source: self.source,
                offset,
            };
            self.positioned.push(((row.clone(), position), diff));
        }
        self.since_emit += 1;
        *self.rows.entry(row).or_insert(0) += diff;
    }
}

impl<T> Buffer<T> {
    /// Whether to emit the epoch's rows so far early (at the same epoch): when the buffer
    /// is large, or when it stopped shrinking the input — when more than half of the
    /// updates since the last check were new rows (mostly distinct rows, where hashing costs
    /// more than it saves). The check looks at the latest updates only, so a heavy-tailed
    /// input (word counts) whose distinct rows keep trickling in is held until the end of
    /// the epoch, while a stream of distinct rows is passed on in slices.
    fn should_emit_early(&mut self) -> bool {
        let distinct = self.rows.len();
        if distinct >= FLUSH_ROWS {
            return true;
        }
        let (updates_then, distinct_then) = self.checked;
        if self.since_emit - updates_then < PROBE_ROWS {
            return false;
        }
        self.checked = (self.since_emit, distinct);
        (distinct - distinct_then) * 2 > self.since_emit - updates_then
    }

    /// Forgets what was counted since the last emit.
    fn emitted(&mut self) {
        self.since_emit = 0;
        self.checked = (0, 0);
    }
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
        let mut buffer = Buffer {
            rows: FastMap::default(),
            since_emit: 0,
            checked: (0, 0),
            positioned: Vec::new(),
            wants_positions,
            inserted_in: HashMap::new(),
            streaming,
            epoch: first_epoch,
            source: index,
            read: 0,
        };
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

            let mut emit = |buffer: &mut Buffer<T>,
                            rows_cap: &Capability<Epoch>,
                            positioned_cap: &Capability<Epoch>| {
                let epoch = buffer.epoch;
                buffer.emitted();
                let mut rows = rows_output.activate();
                let mut session = rows.session(rows_cap);
                for (row, diff) in buffer.rows.drain() {
                    if diff != 0 {
                        session.give((row, epoch, diff));
                    }
                }
                drop(session);
                drop(rows);
                if !buffer.positioned.is_empty() {
                    consolidate(&mut buffer.positioned);
                    let mut positioned = positioned_output.activate();
                    let mut session = positioned.session(positioned_cap);
                    for (row, diff) in buffer.positioned.drain(..) {
                        session.give((row, epoch, diff));
                    }
                }
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
                            emit(&mut buffer, rows_cap, positioned_cap);
                        }
                        if started.elapsed() >= TIME_SLICE {
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
