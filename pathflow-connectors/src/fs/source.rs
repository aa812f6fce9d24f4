//! [`FileSource`]: rows from a file, a directory or a glob, in batch or streaming.

use std::fmt;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::time::Duration;

use pathflow::source::{SourceContext, SourceReader};
use pathflow::{Batch, Mode, Result, Schema, Source, Streaming, Table};

use crate::format::Format;
use crate::fs::batch::BatchReader;
use crate::fs::follow::{Follower, Idle};
use crate::fs::input::Input;
use crate::fs::split::RANGE_BYTES;

/// How often a streaming source rescans its input when no change event arrives.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Reads rows of `T` from `path` in `format`: a file, a directory (every file below it), or
/// a glob pattern such as `data/*.csv`.
///
/// In a directory or pattern, hidden files and directories (`.*`), backups (`*~`) and files
/// being written (`*.tmp`) are skipped.
///
/// - **Batch** reads the files there are, in name order, split across the workers: by
///   file, and a file over 64 MiB ([`FileSource::split_bytes`]) by byte range when the
///   format's lines are records (JSON lines, text, CSV with
///   [`CsvOptions::quoted_newlines`](crate::CsvOptions) off).
/// - **Streaming** reads the files there are in name order, then follows the input on
///   worker 0: a new file adds its rows; lines appended to a file add theirs (a last line
///   without its line break waits for it); a rewritten file retracts its rows and adds its
///   new ones; a deleted file retracts its rows. To retract them, the follower keeps a copy
///   of every row it read. A file counts as appended to when it is the same file (device
///   and inode), not shorter, and its first and last 8 KiB read are unchanged; else as
///   rewritten. Epochs close every commit interval, or with
///   [`FileSource::epoch_per_file`] one per file.
///
/// Rows that do not parse go to the run's error log with `file:line`, the raw text and the
/// reason (see `--on-error`). A schema with a primary key is upserted: per key, the row
/// read last wins, files counting in name order and then in order of change.
///
/// ```no_run
/// use pathflow::prelude::*;
/// use pathflow::memory;
/// use pathflow_connectors::{fs, Format};
///
/// #[derive(Schema, Clone, Debug)]
/// struct Word {
///     word: String,
/// }
///
/// let (words, sink) = memory::snapshot::<Word>();
/// Runner::batch().run(move |p| {
///     let table = p.read(fs::source::<Word>("data/*.csv", Format::csv()));
///     p.write(table, sink.clone());
/// })?;
/// println!("{} words", words.rows().len());
/// # Ok::<(), pathflow::Error>(())
/// ```
pub fn source<T: Schema>(path: impl Into<PathBuf>, format: Format) -> FileSource<T> {
    FileSource {
        path: path.into(),
        format,
        poll_interval: POLL_INTERVAL,
        split_bytes: RANGE_BYTES,
        watch: true,
        epoch_per_file: false,
        row: PhantomData,
    }
}

/// The source made by [`source`]: batch and streaming.
pub struct FileSource<T> {
    path: PathBuf,
    format: Format,
    poll_interval: Duration,
    split_bytes: u64,
    watch: bool,
    epoch_per_file: bool,
    row: PhantomData<fn() -> T>,
}

impl<T> FileSource<T> {
    /// How often a streaming run rescans the input besides reacting to change events
    /// (default 500 ms): the bound on how late a change is seen where events are not
    /// delivered (network filesystems, some containers).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Whether a streaming run asks the operating system for change events (default
    /// `true`). Turn it off where events are unreliable or watches are scarce (network
    /// filesystems, inotify limits): the input is then rescanned every poll interval.
    pub fn watch(mut self, watch: bool) -> Self {
        self.watch = watch;
        self
    }

    /// Whether a streaming run reads each file as one epoch of its own (default `false`:
    /// epochs close every commit interval). The files there at the start are read in name
    /// order, then each change as it is found: a new or grown file's new rows, a rewritten
    /// file's retractions and new rows, a deleted file's retractions. Each closes its epoch
    /// once read, so a file's rows share one epoch and a later file's rows a later one
    /// (what event-time windows take as their watermark). Write a file elsewhere, or under
    /// a skipped name such as `*.tmp`, and rename it into place, so that it is found
    /// whole; a file found while still being written is read over several epochs.
    ///
    /// A batch run is one epoch whatever this says.
    pub fn epoch_per_file(mut self, epoch_per_file: bool) -> Self {
        self.epoch_per_file = epoch_per_file;
        self
    }

    /// In a batch run on several workers, splits files larger than `bytes` into ranges of
    /// `bytes` read by different workers (default 64 MiB), when the format's lines are
    /// records. Smaller ranges spread small inputs over more workers.
    pub fn split_bytes(mut self, bytes: u64) -> Self {
        self.split_bytes = bytes.max(1);
        self
    }
}

impl<T> Clone for FileSource<T> {
    fn clone(&self) -> Self {
        FileSource {
            path: self.path.clone(),
            format: self.format.clone(),
            poll_interval: self.poll_interval,
            split_bytes: self.split_bytes,
            watch: self.watch,
            epoch_per_file: self.epoch_per_file,
            row: PhantomData,
        }
    }
}

impl<T> fmt::Debug for FileSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSource")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("epoch_per_file", &self.epoch_per_file)
            .finish()
    }
}

impl<T: Schema> Source<Batch> for FileSource<T> {
    type Row = T;

    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn open(self, context: &SourceContext) -> Result<Box<dyn SourceReader<T>>> {
        let name = Source::<Batch>::name(&self);
        let input = Input::new(&self.path);
        Ok(Box::new(BatchReader::<T>::open(
            name,
            &input,
            self.format,
            self.split_bytes,
            context,
        )?))
    }

    fn finish<'s>(table: Table<'s, T, Batch>) -> Table<'s, T, Batch> {
        upsert_if_keyed(table)
    }
}

impl<T: Schema> Source<Streaming> for FileSource<T> {
    type Row = T;

    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn open(self, context: &SourceContext) -> Result<Box<dyn SourceReader<T>>> {
        if context.worker != 0 {
            return Ok(Box::new(Idle));
        }
        let name = Source::<Streaming>::name(&self);
        let input = Input::new(&self.path);
        Ok(Box::new(Follower::<T>::open(
            name,
            input,
            self.format,
            self.poll_interval,
            self.watch,
            self.epoch_per_file,
        )?))
    }

    fn finish<'s>(table: Table<'s, T, Streaming>) -> Table<'s, T, Streaming> {
        upsert_if_keyed(table)
    }
}

/// Rows of a schema with a primary key replace earlier rows of the same key.
fn upsert_if_keyed<T: Schema, M: Mode>(table: Table<'_, T, M>) -> Table<'_, T, M> {
    if T::HAS_PRIMARY_KEY {
        table.upsert()
    } else {
        table
    }
}
