//! Running a pathflow pipeline over in-memory shares: the source, the sink, the runner.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use pathflow::sink::{Placement, SinkContext};
use pathflow::source::{Poll, SourceContext, SourceOutput};
use pathflow::{
    Batch, Epoch, Mode, Row, Runner, Sink, SinkWriter, Source, SourceReader, Streaming,
};

use crate::harness::latency::Latency;
use crate::harness::pacing::{Pacing, MAX_BATCH};
use crate::harness::{take_share, Shares};

/// Makes the runner of a mode.
pub trait RunnerFor: Mode {
    /// `Runner::batch()` or `Runner::streaming()`.
    fn runner() -> Runner<Self>;
}

impl RunnerFor for Batch {
    fn runner() -> Runner<Self> {
        Runner::batch()
    }
}

impl RunnerFor for Streaming {
    fn runner() -> Runner<Self> {
        Runner::streaming()
    }
}

/// How a run feeds its sources and times its output.
#[derive(Clone)]
pub struct Feed {
    /// When event 0 of every share is due.
    pub start: Instant,
    /// Events per second over all shares of all sources, in streaming runs; `None` pushes
    /// as fast as the system takes them.
    pub rate: Option<f64>,
    /// Where sources and sinks record entry and output times (streaming runs).
    pub latency: Option<Arc<Latency>>,
}

/// A source that reads each worker's share of pre-built rows, paced in streaming runs.
pub struct ShareSource<T> {
    name: &'static str,
    shares: Shares<Vec<T>>,
    share_of_rate: f64,
    feed: Feed,
}

impl<T> Clone for ShareSource<T> {
    fn clone(&self) -> Self {
        ShareSource {
            name: self.name,
            shares: Arc::clone(&self.shares),
            share_of_rate: self.share_of_rate,
            feed: self.feed.clone(),
        }
    }
}

impl<T> ShareSource<T> {
    /// A source named `name` over `shares`, which gets `share_of_rate` of the feed's rate.
    pub fn new(name: &'static str, shares: Shares<Vec<T>>, share_of_rate: f64, feed: Feed) -> Self {
        ShareSource {
            name,
            shares,
            share_of_rate,
            feed,
        }
    }
}

impl<T: Row, M: Mode> Source<M> for ShareSource<T> {
    type Row = T;

    fn name(&self) -> String {
        self.name.to_owned()
    }

    fn open(self, context: &SourceContext) -> pathflow::Result<Box<dyn SourceReader<T>>> {
        let rows = take_share(&self.shares, context.worker);
        let share = self.share_of_rate / context.workers as f64;
        Ok(Box::new(ShareReader {
            len: rows.len(),
            rows: rows.into_iter(),
            pos: 0,
            worker: context.worker as u64,
            workers: context.workers as u64,
            pacing: Pacing::share(self.feed.start, self.feed.rate, share),
            streaming: context.streaming,
            latency: self.feed.latency,
            segment: None,
        }))
    }
}

/// How many rows one poll pushes at most: [`MAX_BATCH`], and no more than 2 MiB of them,
/// as much as dd's batch input (timely's `to_stream`) emits per activation.
fn poll_rows<T>() -> usize {
    ((2 << 20) / std::mem::size_of::<T>().max(1)).clamp(1, MAX_BATCH)
}

struct ShareReader<T> {
    rows: std::vec::IntoIter<T>,
    len: usize,
    pos: usize,
    worker: u64,
    workers: u64,
    pacing: Pacing,
    streaming: bool,
    latency: Option<Arc<Latency>>,
    segment: Option<(Instant, Instant, usize)>,
}

impl<T: Row> SourceReader<T> for ShareReader<T> {
    fn poll(&mut self, output: &mut SourceOutput<'_, T>) -> pathflow::Result<Poll> {
        if self.pos == self.len {
            return Ok(Poll::Finished);
        }
        let now = Instant::now();
        let due = self
            .pacing
            .due(now, self.len)
            .min(self.pos + poll_rows::<T>());
        if due == self.pos {
            return Ok(Poll::Pending);
        }
        let (workers, worker) = (self.workers, self.worker);
        output.extend(
            (self.pos..due)
                .zip(self.rows.by_ref())
                .map(|(k, row)| (row, k as u64 * workers + worker)),
        );
        let first = self.pacing.entry(self.pos, now);
        let last = self.pacing.entry(due - 1, now);
        self.segment = Some((first, last, due - self.pos));
        self.pos = due;
        if self.streaming {
            output.commit();
        }
        Ok(Poll::Ready)
    }

    fn commits_epochs(&self) -> bool {
        self.streaming
    }

    fn on_epoch_closed(&mut self, epoch: u64) {
        if let (Some(latency), Some((first, last, count))) = (&self.latency, self.segment.take()) {
            latency.entered(epoch, first, last, count);
        }
    }
}

/// What a [`Collect`] sink gathered over all workers.
#[derive(Clone, Debug)]
pub struct Collected<T> {
    /// The updates, when kept (for dumps and tests).
    pub updates: Vec<(T, isize)>,
    /// How many updates were written.
    pub count: u64,
    /// An order-independent fingerprint of the updates, equal for equal multisets.
    pub fingerprint: u64,
}

impl<T> Default for Collected<T> {
    fn default() -> Self {
        Collected {
            updates: Vec::new(),
            count: 0,
            fingerprint: 0,
        }
    }
}

impl<T: Hash> Collected<T> {
    /// Adds an epoch's consolidated updates, keeping them if `keep`.
    pub fn add(&mut self, updates: impl IntoIterator<Item = (T, isize)>, keep: bool) {
        for (row, diff) in updates {
            self.count_one(&row, diff);
            if keep {
                self.updates.push((row, diff));
            }
        }
    }

    /// Counts and fingerprints one update without keeping it.
    pub fn count_one(&mut self, row: &T, diff: isize) {
        self.count += 1;
        self.fingerprint = self
            .fingerprint
            .wrapping_add(fingerprint(row).wrapping_mul(diff as u64));
    }

    /// Merges another worker's share.
    pub fn merge(&mut self, mut other: Collected<T>) {
        self.updates.append(&mut other.updates);
        self.count += other.count;
        self.fingerprint = self.fingerprint.wrapping_add(other.fingerprint);
    }
}

/// The hash of one row, with fixed keys so fingerprints agree across runs and systems.
pub fn fingerprint<T: Hash>(row: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    row.hash(&mut hasher);
    hasher.finish()
}

/// A sink that fingerprints every update on the worker holding it, and keeps them if asked.
pub struct Collect<T> {
    result: Arc<Mutex<Collected<T>>>,
    keep: bool,
    latency: Option<Arc<Latency>>,
}

impl<T> Clone for Collect<T> {
    fn clone(&self) -> Self {
        Collect {
            result: Arc::clone(&self.result),
            keep: self.keep,
            latency: self.latency.clone(),
        }
    }
}

impl<T> Collect<T> {
    /// A sink gathering into `result`, keeping the updates if `keep`, recording output times
    /// into `latency`.
    pub fn new(
        result: Arc<Mutex<Collected<T>>>,
        keep: bool,
        latency: Option<Arc<Latency>>,
    ) -> Self {
        Collect {
            result,
            keep,
            latency,
        }
    }
}

impl<T: Row, M: Mode> Sink<M, T> for Collect<T> {
    fn name(&self) -> String {
        "collect".to_owned()
    }

    fn placement(&self) -> Placement {
        Placement::EveryWorker
    }

    fn open(self, _context: &SinkContext) -> pathflow::Result<Box<dyn SinkWriter<T>>> {
        Ok(Box::new(CollectWriter {
            sink: self,
            local: Collected::default(),
        }))
    }
}

struct CollectWriter<T> {
    sink: Collect<T>,
    local: Collected<T>,
}

impl<T: Row> SinkWriter<T> for CollectWriter<T> {
    fn write_epoch(&mut self, epoch: Epoch, updates: &[(T, isize)]) -> pathflow::Result<()> {
        if let Some(latency) = &self.sink.latency {
            latency.written(epoch, Instant::now());
        }
        let keep = self.sink.keep;
        if keep {
            self.local.add(updates.iter().cloned(), true);
        } else {
            for (row, diff) in updates {
                self.local.count_one(row, *diff);
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> pathflow::Result<()> {
        let local = std::mem::take(&mut self.local);
        self.sink
            .result
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .merge(local);
        Ok(())
    }
}
