//! In-memory sources and sinks: for tests, and for embedding pathflow in a service.
//!
//! - [`rows`] and [`epochs`]: bounded sources of given rows (both modes).
//! - [`live`]: a streaming-only source fed from another thread, committed explicitly.
//! - [`snapshot`]: the final table of a batch run.
//! - [`view`]: a table's contents as of the last completed epoch (both modes).
//! - [`subscribe`]: a callback per completed epoch with its changes (both modes).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::mode::{Batch, Mode, Streaming};
use crate::schema::Row;
use crate::sink::{Sink, SinkContext, SinkWriter};
use crate::source::{Poll, Source, SourceContext, SourceOutput, SourceReader, Waker};
use crate::table::Epoch;
use crate::Result;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A bounded source of rows, read by worker 0: one epoch in either mode.
pub fn rows<T: Row>(rows: Vec<T>) -> Epochs<T> {
    epochs(vec![rows.into_iter().map(|row| (row, 1)).collect()])
}

/// A bounded source of updates `(row, diff)` cut into epochs: in streaming each inner
/// vector is one epoch, in batch they are all one epoch. Positions follow the order given.
pub fn epochs<T: Row>(epochs: Vec<Vec<(T, isize)>>) -> Epochs<T> {
    Epochs { epochs }
}

/// The source made by [`rows`] and [`epochs`].
#[derive(Clone, Debug)]
pub struct Epochs<T> {
    epochs: Vec<Vec<(T, isize)>>,
}

struct EpochsReader<T> {
    epochs: VecDeque<Vec<(T, isize)>>,
    offset: u64,
    /// Offsets of inserted rows still present, so a retraction can carry its insert's offset.
    live: BTreeMap<T, Vec<u64>>,
}

impl<T: Row, M: Mode> Source<M> for Epochs<T> {
    type Row = T;

    fn name(&self) -> String {
        "memory".to_owned()
    }

    fn open(self, context: &SourceContext) -> Result<Box<dyn SourceReader<T>>> {
        let epochs = if context.worker == 0 {
            self.epochs.into()
        } else {
            VecDeque::new()
        };
        Ok(Box::new(EpochsReader {
            epochs,
            offset: 0,
            live: BTreeMap::new(),
        }))
    }
}

impl<T: Row> SourceReader<T> for EpochsReader<T> {
    fn poll(&mut self, output: &mut SourceOutput<'_, T>) -> Result<Poll> {
        match self.epochs.pop_front() {
            None => Ok(Poll::Finished),
            Some(updates) => {
                for (row, diff) in updates {
                    push_update(&mut self.live, &mut self.offset, output, row, diff);
                }
                output.commit();
                Ok(Poll::Ready)
            }
        }
    }

    fn commits_epochs(&self) -> bool {
        true
    }
}

/// Pushes an update, giving an insert a new offset and a retraction the offset of the
/// latest live insert of the same row.
fn push_update<T: Row>(
    live: &mut BTreeMap<T, Vec<u64>>,
    next_offset: &mut u64,
    output: &mut SourceOutput<'_, T>,
    row: T,
    diff: isize,
) {
    if diff > 0 {
        for _ in 0..diff {
            live.entry(row.clone()).or_default().push(*next_offset);
            output.insert(row.clone(), *next_offset);
            *next_offset += 1;
        }
    } else {
        for _ in 0..(-diff) {
            let offset = live.get_mut(&row).and_then(Vec::pop);
            if live.get(&row).is_some_and(Vec::is_empty) {
                live.remove(&row);
            }
            let offset = offset.unwrap_or_else(|| {
                *next_offset += 1;
                *next_offset - 1
            });
            output.retract(row.clone(), offset);
        }
    }
}

/// A live in-memory input: push updates from any thread and [`LiveInput::commit`] epochs.
///
/// Streaming only; worker 0 reads it. Dropping the input (or calling
/// [`LiveInput::close`]) ends the source.
pub fn live<T: Row>() -> (LiveInput<T>, LiveSource<T>) {
    let shared = Arc::new(Mutex::new(LiveState {
        pending: Vec::new(),
        epochs: VecDeque::new(),
        closed: false,
        waker: None,
    }));
    (
        LiveInput {
            shared: Arc::clone(&shared),
        },
        LiveSource { shared },
    )
}

struct LiveState<T> {
    pending: Vec<(T, isize)>,
    epochs: VecDeque<Vec<(T, isize)>>,
    closed: bool,
    waker: Option<Waker>,
}

/// The pushing end of [`live`].
pub struct LiveInput<T> {
    shared: Arc<Mutex<LiveState<T>>>,
}

impl<T: Row> LiveInput<T> {
    /// Adds a row to the open epoch.
    pub fn insert(&self, row: T) {
        self.update(row, 1);
    }

    /// Removes a row in the open epoch.
    pub fn remove(&self, row: T) {
        self.update(row, -1);
    }

    /// Adds `diff` copies of `row` (negative to remove).
    pub fn update(&self, row: T, diff: isize) {
        lock(&self.shared).pending.push((row, diff));
    }

    /// Closes the open epoch: its updates enter the pipeline together.
    pub fn commit(&self) {
        let mut state = lock(&self.shared);
        let epoch = std::mem::take(&mut state.pending);
        state.epochs.push_back(epoch);
        if let Some(waker) = &state.waker {
            waker.wake();
        }
    }

    /// Commits what is open and ends the input.
    pub fn close(self) {
        drop(self);
    }
}

impl<T> Drop for LiveInput<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared);
        let epoch = std::mem::take(&mut state.pending);
        if !epoch.is_empty() {
            state.epochs.push_back(epoch);
        }
        state.closed = true;
        if let Some(waker) = &state.waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for LiveInput<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LiveInput")
    }
}

/// The source end of [`live`]: streaming only.
pub struct LiveSource<T> {
    shared: Arc<Mutex<LiveState<T>>>,
}

impl<T> Clone for LiveSource<T> {
    fn clone(&self) -> Self {
        LiveSource {
            shared: Arc::clone(&self.shared),
        }
    }
}

struct LiveReader<T> {
    shared: Option<Arc<Mutex<LiveState<T>>>>,
    offset: u64,
    live: BTreeMap<T, Vec<u64>>,
}

impl<T: Row> Source<Streaming> for LiveSource<T> {
    type Row = T;

    fn name(&self) -> String {
        "memory:live".to_owned()
    }

    fn open(self, context: &SourceContext) -> Result<Box<dyn SourceReader<T>>> {
        let shared = (context.worker == 0).then_some(self.shared);
        Ok(Box::new(LiveReader {
            shared,
            offset: 0,
            live: BTreeMap::new(),
        }))
    }
}

impl<T: Row> SourceReader<T> for LiveReader<T> {
    fn poll(&mut self, output: &mut SourceOutput<'_, T>) -> Result<Poll> {
        let Some(shared) = &self.shared else {
            return Ok(Poll::Finished);
        };
        let (epoch, closed) = {
            let mut state = lock(shared);
            (
                state.epochs.pop_front(),
                state.closed && state.epochs.is_empty(),
            )
        };
        match epoch {
            Some(updates) => {
                for (row, diff) in updates {
                    push_update(&mut self.live, &mut self.offset, output, row, diff);
                }
                output.commit();
                Ok(if closed { Poll::Finished } else { Poll::Ready })
            }
            None if closed => Ok(Poll::Finished),
            None => Ok(Poll::Pending),
        }
    }

    fn commits_epochs(&self) -> bool {
        true
    }

    fn set_waker(&mut self, waker: Waker) {
        if let Some(shared) = &self.shared {
            lock(shared).waker = Some(waker);
        }
    }
}

/// The final table of a batch run, gathered across workers: `(handle, sink)`.
///
/// The rows are gathered on worker 0 of process 0; in a cluster, only that process's handle
/// fills (the others stay empty).
pub fn snapshot<T: Row>() -> (SnapshotHandle<T>, SnapshotSink<T>) {
    let shared = Arc::new(Mutex::new(BTreeMap::new()));
    (
        SnapshotHandle {
            shared: Arc::clone(&shared),
        },
        SnapshotSink { shared },
    )
}

/// A table's contents as of the last completed epoch, in either mode: `(handle, sink)`.
///
/// Like [`snapshot`], gathered on worker 0 of process 0.
pub fn view<T: Row>() -> (SnapshotHandle<T>, ViewSink<T>) {
    let shared = Arc::new(Mutex::new(BTreeMap::new()));
    (
        SnapshotHandle {
            shared: Arc::clone(&shared),
        },
        ViewSink { shared },
    )
}

/// Reads what a [`snapshot`] or [`view`] sink holds.
#[derive(Clone)]
pub struct SnapshotHandle<T> {
    shared: Arc<Mutex<BTreeMap<T, isize>>>,
}

impl<T: Row> SnapshotHandle<T> {
    /// The rows, sorted, each repeated by its multiplicity.
    pub fn rows(&self) -> Vec<T> {
        let state = lock(&self.shared);
        state
            .iter()
            .flat_map(|(row, count)| std::iter::repeat_n(row.clone(), (*count).max(0) as usize))
            .collect()
    }

    /// The rows with their multiplicities, sorted.
    pub fn counts(&self) -> Vec<(T, isize)> {
        lock(&self.shared)
            .iter()
            .map(|(row, count)| (row.clone(), *count))
            .collect()
    }
}

impl<T> fmt::Debug for SnapshotHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SnapshotHandle")
    }
}

/// The batch-only sink of [`snapshot`].
pub struct SnapshotSink<T> {
    shared: Arc<Mutex<BTreeMap<T, isize>>>,
}

impl<T> Clone for SnapshotSink<T> {
    fn clone(&self) -> Self {
        SnapshotSink {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The sink of [`view`], for either mode.
pub struct ViewSink<T> {
    shared: Arc<Mutex<BTreeMap<T, isize>>>,
}

impl<T> Clone for ViewSink<T> {
    fn clone(&self) -> Self {
        ViewSink {
            shared: Arc::clone(&self.shared),
        }
    }
}

struct TableWriter<T> {
    shared: Arc<Mutex<BTreeMap<T, isize>>>,
}

impl<T: Row> SinkWriter<T> for TableWriter<T> {
    fn write_epoch(&mut self, _epoch: Epoch, updates: &[(T, isize)]) -> Result<()> {
        let mut state = lock(&self.shared);
        for (row, diff) in updates {
            let count = state.entry(row.clone()).or_insert(0);
            *count += diff;
            if *count == 0 {
                state.remove(row);
            }
        }
        Ok(())
    }
}

impl<T: Row> Sink<Batch, T> for SnapshotSink<T> {
    fn name(&self) -> String {
        "memory:snapshot".to_owned()
    }
    fn open(self, _context: &SinkContext) -> Result<Box<dyn SinkWriter<T>>> {
        lock(&self.shared).clear();
        Ok(Box::new(TableWriter {
            shared: self.shared,
        }))
    }
}

impl<T: Row, M: Mode> Sink<M, T> for ViewSink<T> {
    fn name(&self) -> String {
        "memory:view".to_owned()
    }
    fn open(self, _context: &SinkContext) -> Result<Box<dyn SinkWriter<T>>> {
        lock(&self.shared).clear();
        Ok(Box::new(TableWriter {
            shared: self.shared,
        }))
    }
}

/// A sink that calls `callback(row, epoch, diff)` for every change, on one thread, once per
/// completed epoch, in epoch order.
pub fn subscribe<T, F>(callback: F) -> Subscribe<F>
where
    T: Row,
    F: FnMut(&T, Epoch, isize) + Send + Clone + 'static,
{
    Subscribe { callback }
}

/// The sink made by [`subscribe`].
#[derive(Clone)]
pub struct Subscribe<F> {
    callback: F,
}

struct SubscribeWriter<F> {
    callback: F,
}

impl<T: Row, F: FnMut(&T, Epoch, isize) + 'static> SinkWriter<T> for SubscribeWriter<F> {
    fn write_epoch(&mut self, epoch: Epoch, updates: &[(T, isize)]) -> Result<()> {
        for (row, diff) in updates {
            (self.callback)(row, epoch, *diff);
        }
        Ok(())
    }
}

impl<T: Row, M: Mode, F: FnMut(&T, Epoch, isize) + Send + Clone + 'static> Sink<M, T>
    for Subscribe<F>
{
    fn name(&self) -> String {
        "memory:subscribe".to_owned()
    }
    fn open(self, _context: &SinkContext) -> Result<Box<dyn SinkWriter<T>>> {
        Ok(Box::new(SubscribeWriter {
            callback: self.callback,
        }))
    }
}
