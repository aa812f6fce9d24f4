//! Sources: how connectors feed rows into a pipeline.
//!
//! A connector implements [`Source<M>`] for each mode it supports. The runner calls
//! [`Source::open`] once per worker and then polls the returned [`SourceReader`]; the reader
//! pushes updates into a [`SourceOutput`], which assigns them to epochs, consolidates them
//! per epoch and worker, and applies the error policy to rows that fail to parse.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};

use crate::errors::{ErrorPolicy, InputError};
use crate::mode::Mode;
use crate::runner::buffer::Buffer;
use crate::schema::Row;
use crate::table::Table;
use crate::Result;

/// A connector that can be read in mode `M`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read in a {M} pipeline",
    label = "this source does not support {M} mode",
    note = "a streaming-only source (such as `pathflow::memory::live`) needs `Runner::streaming()`; for a batch run, read a bounded source such as a file or `pathflow::memory::rows`"
)]
pub trait Source<M: Mode>: 'static {
    /// The rows this source produces.
    type Row: Row;

    /// A short name for reports and errors (`orders.csv`, `kafka:orders`).
    fn name(&self) -> String;

    /// Opens this worker's share of the source.
    fn open(self, context: &SourceContext) -> Result<Box<dyn SourceReader<Self::Row>>>;

    /// Applies the source's semantics to its table; file and Kafka sources upsert schemas
    /// with a primary key here.
    fn finish<'s>(table: Table<'s, Self::Row, M>) -> Table<'s, Self::Row, M> {
        table
    }
}

/// What a source knows about where it runs.
#[derive(Clone, Debug)]
pub struct SourceContext {
    /// This worker's index among all workers of all processes.
    pub worker: usize,
    /// The number of workers of all processes.
    pub workers: usize,
    /// The source's index in the pipeline.
    pub source: u32,
    /// Whether the run is streaming (follow the input) or batch (read what is there).
    pub streaming: bool,
    /// What to do with rows that fail to parse.
    pub on_error: ErrorPolicy,
}

/// What a poll found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// More may be ready right away: poll again soon.
    Ready,
    /// Nothing now: poll again after a short wait.
    Pending,
    /// The input is exhausted; the source will not produce more.
    Finished,
}

/// One worker's reader of a source.
pub trait SourceReader<T>: 'static {
    /// Reads what is ready, a bounded amount at a time, into `output`.
    fn poll(&mut self, output: &mut SourceOutput<'_, T>) -> Result<Poll>;

    /// Whether the reader closes epochs itself with [`SourceOutput::commit`]; otherwise the
    /// runner closes one every commit interval.
    fn commits_epochs(&self) -> bool {
        false
    }

    /// Called when the runner closes `epoch`: everything read so far belongs to it or an
    /// earlier one. Remember the read positions here to commit them in
    /// [`SourceReader::on_complete`].
    fn on_epoch_closed(&mut self, _epoch: u64) {}

    /// Called when every sink has written `epoch` and all before it: a good moment to
    /// commit offsets.
    fn on_complete(&mut self, _epoch: u64) -> Result<()> {
        Ok(())
    }

    /// A wake-up handle: call [`Waker::wake`] from another thread when new input is ready.
    fn set_waker(&mut self, _waker: Waker) {}
}

/// Wakes a source's worker from another thread.
#[derive(Clone)]
pub struct Waker(pub(crate) timely::scheduling::SyncActivator);

impl Waker {
    /// Asks the worker to poll the source soon.
    pub fn wake(&self) {
        let _ = self.0.activate();
    }
}

impl fmt::Debug for Waker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Waker")
    }
}

/// Where a reader puts what it read.
pub struct SourceOutput<'a, T> {
    pub(crate) sink: &'a mut Buffer<T>,
    pub(crate) errors: &'a mut dyn FnMut(InputError) -> Result<()>,
    pub(crate) commit_requested: bool,
}

/// The hash sources consolidate rows by: fixed, so the same on every worker and run.
pub(crate) fn row_hash<Q: Hash + ?Sized>(row: &Q) -> u64 {
    foldhash::fast::FixedState::default().hash_one(row)
}

impl<T: Row> SourceOutput<'_, T> {
    /// Adds `row`, read at `offset` (increasing in reading order within the source).
    pub fn insert(&mut self, row: T, offset: u64) {
        self.sink.update(row, offset, 1);
    }

    /// Adds every row of `rows`, each read at its offset, as [`insert`](Self::insert) would:
    /// for a reader that holds its rows in memory, rows that go on unconsolidated are moved
    /// out in one loop instead of one call each.
    ///
    /// ```ignore
    /// let first = self.next_offset;
    /// output.extend(rows.drain(..).zip(first..)); // a `Vec<T>` of decoded rows
    /// ```
    pub fn extend(&mut self, rows: impl IntoIterator<Item = (T, u64)>) {
        self.sink.extend(rows);
    }

    /// Adds the row that `row` borrows, like [`insert`](Self::insert), but makes the owned
    /// row only if this epoch has not seen an equal one: a reader that lends its buffer (a
    /// `&str` for a `String` row) saves an allocation for every repeated row.
    ///
    /// ```ignore
    /// for word in line.split_whitespace() {
    ///     output.insert_borrowed(word, offset); // a `SourceOutput<'_, String>`
    /// }
    /// ```
    pub fn insert_borrowed<Q>(&mut self, row: &Q, offset: u64)
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = T> + ?Sized,
    {
        self.sink.update_borrowed(
            row_hash(row),
            |held: &T| held.borrow() == row,
            || row.to_owned(),
            offset,
            1,
        );
    }

    /// Removes a row added earlier at `offset` (use the offset it was added with).
    pub fn retract(&mut self, row: T, offset: u64) {
        self.sink.update(row, offset, -1);
    }

    /// Adds `diff` copies of `row` (negative to remove).
    pub fn update(&mut self, row: T, offset: u64, diff: isize) {
        self.sink.update(row, offset, diff);
    }

    /// Reports input that could not be read; under `--on-error fail` this stops the run.
    pub fn error(&mut self, error: InputError) -> Result<()> {
        (self.errors)(error)
    }

    /// Closes the current epoch now (for readers whose [`SourceReader::commits_epochs`]).
    pub fn commit(&mut self) {
        self.commit_requested = true;
    }
}
