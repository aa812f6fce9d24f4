//! Sinks: where a pipeline's tables go.
//!
//! A connector implements [`Sink<M, T>`] for each mode it supports. The runner hands a
//! sink's writer each epoch's consolidated updates once the epoch is complete, in epoch
//! order: retractions before insertions, each part sorted by row.

use crate::mode::Mode;
use crate::table::Epoch;
use crate::Result;

/// A connector that can receive a table of `T` in mode `M`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive a {M} table of `{T}`",
    label = "this sink does not support {M} mode",
    note = "a snapshot sink writes the final result of a batch run: in a streaming run use a change-stream sink (such as `fs::changes` or `pathflow::memory::subscribe`), or run with `Runner::batch()`"
)]
pub trait Sink<M: Mode, T>: 'static {
    /// A short name for reports and errors.
    fn name(&self) -> String;

    /// Where the sink runs: one worker receives everything (a file), or every worker writes
    /// its own share (a message queue).
    fn placement(&self) -> Placement {
        Placement::OneWorker
    }

    /// Opens the writer; called on worker 0 only for [`Placement::OneWorker`].
    fn open(self, context: &SinkContext) -> Result<Box<dyn SinkWriter<T>>>;
}

/// Where a sink's writer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// All updates are sent to worker 0, which writes them.
    OneWorker,
    /// Every worker writes the updates it holds.
    EveryWorker,
}

/// What a sink knows about where it runs.
#[derive(Clone, Debug)]
pub struct SinkContext {
    /// This worker's index among all workers.
    pub worker: usize,
    /// The number of workers.
    pub workers: usize,
    /// Whether the run is streaming.
    pub streaming: bool,
}

/// Writes the updates of completed epochs.
pub trait SinkWriter<T>: 'static {
    /// Writes one complete epoch's updates (consolidated; retractions first, then sorted).
    /// In a batch run this is called once, at epoch 0, with the final table.
    fn write_epoch(&mut self, epoch: Epoch, updates: &[(T, isize)]) -> Result<()>;

    /// The earliest epoch written but not yet durable, for a writer that lets its writes
    /// complete in the background (a message queue awaiting acknowledgements); `None` when
    /// every write is durable. The runner calls it after each activation and, while it is
    /// `Some`, again about every millisecond; sources commit an epoch only once no sink
    /// reports it or an earlier one here. The default, for writers whose `write_epoch` is
    /// durable on return, is `None`.
    fn pending(&mut self) -> Result<Option<Epoch>> {
        Ok(None)
    }

    /// Called when the table is complete: flush (everything, pending writes included) and
    /// close.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}
