//! Running a differential dataflow over per-worker shares: batch input, paced streaming
//! input, and the sink that consolidates each completed epoch.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use differential_dataflow::input::{Input, InputSession};
use differential_dataflow::VecCollection;
use pathflow::Row;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::probe::Handle;
use timely::dataflow::operators::ToStream;
use timely::dataflow::{Scope, Stream};
use timely::worker::Worker;

use crate::baseline::dd::{Collection, Inputs};
use crate::harness::latency::Latency;
use crate::harness::pacing::{Pacing, MAX_BATCH};
use crate::harness::pathflow::{Collected, Feed};
use crate::harness::{consolidate, take_share, Shares};
use crate::nexmark::model::Events;

/// A Nexmark query on differential dataflow.
pub type NexmarkQuery<Out> = for<'s> fn(Inputs<'s>) -> Collection<'s, Out>;

/// How a differential run is fed.
#[derive(Clone)]
pub struct Run {
    /// Worker threads.
    pub workers: usize,
    /// Streaming (paced, epoch per millisecond) or batch (one epoch).
    pub streaming: bool,
    /// Pacing and latency for streaming runs.
    pub feed: Feed,
    /// Whether to keep the output updates.
    pub keep: bool,
}

/// Runs `query` over the shares of Nexmark events.
pub fn nexmark<Out: Row>(
    run: Run,
    shares: Shares<Events>,
    query: NexmarkQuery<Out>,
) -> Result<Collected<Out>, String> {
    execute(run.clone(), move |worker| {
        let events = take_share(&shares, worker.index());
        let result = Rc::new(RefCell::new(Collected::default()));
        let sink = Rc::clone(&result);
        if run.streaming {
            let (persons, auctions, bids, probe) = worker.dataflow(|scope| {
                let (persons, p) = scope.new_collection();
                let (auctions, a) = scope.new_collection();
                let (bids, b) = scope.new_collection();
                let inputs = Inputs {
                    persons: p,
                    auctions: a,
                    bids: b,
                };
                let probe = collect(query(inputs), sink, run.keep, run.feed.latency.clone());
                (persons, auctions, bids, probe)
            });
            let total = events.len() as f64;
            let share = |n: usize| n as f64 / total.max(1.0);
            let mut feeders = vec![
                feeder(events.persons, persons, &run, share),
                feeder(events.auctions, auctions, &run, share),
                feeder(events.bids, bids, &run, share),
            ];
            drive(worker, &mut feeders, &probe, &run.feed);
        } else {
            let probe = worker.dataflow(|scope| {
                let inputs = Inputs {
                    persons: batch_input(scope, events.persons),
                    auctions: batch_input(scope, events.auctions),
                    bids: batch_input(scope, events.bids),
                };
                collect(query(inputs), sink, run.keep, None)
            });
            finish(worker, &probe);
        }
        result.take()
    })
}

/// Runs `build` on every worker and merges what the workers collected.
pub fn execute<Out, F>(run: Run, build: F) -> Result<Collected<Out>, String>
where
    Out: Row,
    F: Fn(&mut Worker) -> Collected<Out> + Send + Sync + 'static,
{
    let guards = timely::execute(timely::Config::process(run.workers), build)?;
    let mut total = Collected::default();
    for result in guards.join() {
        total.merge(result?);
    }
    Ok(total)
}

/// Steps the worker until the dataflow behind `probe` is complete.
pub fn finish(worker: &mut Worker, probe: &Handle<u64>) {
    while !probe.done() {
        worker.step_or_park(None);
    }
}

/// A batch input: every row at epoch 0, emitted in chunks.
pub fn batch_input<'s, D: Row>(
    scope: Scope<'s, u64>,
    rows: impl IntoIterator<Item = D> + 'static,
) -> Collection<'s, D> {
    let stream: Stream<'s, u64, Vec<(D, u64, isize)>> =
        rows.into_iter().map(|row| (row, 0, 1)).to_stream(scope);
    VecCollection::new(stream)
}

/// A streaming input fed from a share of rows at its pace.
pub trait FeedInput {
    /// Pushes the rows due by `now`; returns when they entered and how many there were.
    fn push(&mut self, now: Instant) -> Option<(Instant, Instant, usize)>;
    /// Closes the current epoch and opens `epoch`.
    fn advance(&mut self, epoch: u64);
    /// Whether every row was pushed.
    fn done(&self) -> bool;
    /// Ends the input: drops its session, which closes it.
    fn close(&mut self);
}

struct Feeder<D: Row> {
    rows: std::vec::IntoIter<D>,
    len: usize,
    pos: usize,
    pacing: Pacing,
    input: Option<InputSession<u64, D, isize>>,
}

/// A feeder for one input, owning it: its rows, paced at their share of the run's rate.
pub fn feeder<D: Row>(
    rows: Vec<D>,
    input: InputSession<u64, D, isize>,
    run: &Run,
    share: impl Fn(usize) -> f64,
) -> Box<dyn FeedInput> {
    let fraction = share(rows.len()) / run.workers as f64;
    Box::new(Feeder {
        len: rows.len(),
        rows: rows.into_iter(),
        pos: 0,
        pacing: Pacing::share(run.feed.start, run.feed.rate, fraction),
        input: Some(input),
    })
}

impl<D: Row> FeedInput for Feeder<D> {
    fn push(&mut self, now: Instant) -> Option<(Instant, Instant, usize)> {
        let input = self.input.as_mut()?;
        let due = self.pacing.due(now, self.len).min(self.pos + MAX_BATCH);
        if due == self.pos {
            return None;
        }
        for row in self.rows.by_ref().take(due - self.pos) {
            input.update(row, 1);
        }
        let segment = (
            self.pacing.entry(self.pos, now),
            self.pacing.entry(due - 1, now),
            due - self.pos,
        );
        self.pos = due;
        Some(segment)
    }

    fn advance(&mut self, epoch: u64) {
        if let Some(input) = self.input.as_mut() {
            input.advance_to(epoch);
            input.flush();
        }
    }

    fn done(&self) -> bool {
        self.pos == self.len
    }

    fn close(&mut self) {
        self.input = None;
    }
}

/// Feeds the inputs at their pace, closing an epoch (numbered by milliseconds since the
/// feed's start) at most every millisecond, and steps the worker in between.
pub fn drive(
    worker: &mut Worker,
    feeders: &mut [Box<dyn FeedInput>],
    probe: &Handle<u64>,
    feed: &Feed,
) {
    let tick = Duration::from_millis(1);
    let mut epoch = 0u64;
    loop {
        let now = Instant::now();
        let mut pushed = false;
        for feeder in feeders.iter_mut() {
            if let Some((first, last, count)) = feeder.push(now) {
                pushed = true;
                if let Some(latency) = &feed.latency {
                    latency.entered(epoch, first, last, count);
                }
            }
        }
        if pushed {
            let elapsed = now.saturating_duration_since(feed.start).as_millis() as u64 + 1;
            epoch = elapsed.max(epoch + 1);
            for feeder in feeders.iter_mut() {
                feeder.advance(epoch);
            }
        }
        if feeders.iter().all(|f| f.done()) {
            break;
        }
        let next = now + tick;
        loop {
            let now = Instant::now();
            if now >= next {
                break;
            }
            worker.step_or_park(Some(next - now));
        }
    }
    for feeder in feeders.iter_mut() {
        feeder.close();
    }
    finish(worker, probe);
}

/// Consolidates every completed epoch of `output` on this worker into `result`, recording
/// when it was written. Returns a probe on `output`.
pub fn collect<'s, Out: Row>(
    output: Collection<'s, Out>,
    result: Rc<RefCell<Collected<Out>>>,
    keep: bool,
    latency: Option<Arc<Latency>>,
) -> Handle<u64> {
    let (probe, output) = output.probe();
    let mut pending: BTreeMap<u64, Vec<(Out, isize)>> = BTreeMap::new();
    output
        .inner
        .sink(Pipeline, "Collect", move |(input, frontier)| {
            input.for_each(|_, data| {
                for (row, time, diff) in data.drain(..) {
                    pending.entry(time).or_default().push((row, diff));
                }
            });
            while let Some((&time, _)) = pending.first_key_value() {
                if frontier.less_equal(&time) {
                    break;
                }
                let mut updates = pending.remove(&time).unwrap_or_default();
                consolidate(&mut updates);
                if updates.is_empty() {
                    continue;
                }
                if let Some(latency) = &latency {
                    latency.written(time, Instant::now());
                }
                result.borrow_mut().add(updates, keep);
            }
        });
    probe
}
