//! One measured run: a workload on a system in a mode, timed from the moment its input is
//! ready to the moment its result is materialised.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pathflow::{Batch, Row, RunnerArgs, Streaming, Table};
use serde::Serialize;

use crate::baseline::dd::driver::{self, NexmarkQuery, Run};
use crate::harness::latency::{Latency, Percentiles};
use crate::harness::pathflow::{Collect, Collected, Feed, RunnerFor, ShareSource};
use crate::harness::{memory, shares};
use crate::nexmark::generator::generate;
use crate::nexmark::model::Events;
use crate::nexmark::queries::Tables;
use crate::wordcount::input::{generate as generate_words, write_csv};
use crate::wordcount::source::CsvWords;
use crate::wordcount::{count, WordCount};
use crate::{baseline, dump};

/// The system that runs the workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    /// pathflow's table API.
    Pathflow,
    /// Hand-written differential dataflow.
    Dd,
    /// The single-threaded floor (word count, batch only).
    Floor,
}

/// What to run and how.
#[derive(Clone, Debug)]
pub struct Config {
    /// The system.
    pub system: System,
    /// Streaming (paced input, an epoch per millisecond) or batch (one epoch).
    pub streaming: bool,
    /// Events (or words) in the input.
    pub events: u64,
    /// Events per second over all workers in streaming runs; `None` for as fast as possible.
    pub rate: Option<f64>,
    /// Distinct words in word count's input.
    pub distinct_words: usize,
    /// Where word count's input file is kept between runs.
    pub data_dir: PathBuf,
    /// Where to write the input and the final result, if anywhere.
    pub dump: Option<PathBuf>,
    /// Workers and the other runner settings (only `workers` applies to dd).
    pub runner: RunnerArgs,
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Input events.
    pub events: u64,
    /// From the start of the run to the materialised result.
    pub elapsed: Duration,
    /// Peak resident memory during the run, input included, if known.
    pub peak_bytes: Option<u64>,
    /// Resident memory just before the run, its input included, if known.
    pub before_bytes: Option<u64>,
    /// Latency percentiles (streaming runs).
    pub latency: Option<Percentiles>,
    /// Updates written to the output.
    pub updates: u64,
    /// Fingerprint of the output updates.
    pub fingerprint: u64,
}

impl Measurement {
    /// Events per second.
    pub fn throughput(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

/// The clock of one run: memory reset and start time; [`Clock::stop`] reads both.
struct Clock {
    started: Instant,
    before: Option<u64>,
}

impl Clock {
    fn start() -> Self {
        memory::reset_peak();
        Clock {
            before: memory::current_bytes(),
            started: Instant::now(),
        }
    }

    fn stop<T>(
        self,
        config: &Config,
        latency: Option<&Latency>,
        result: &Collected<T>,
    ) -> Measurement {
        let elapsed = self.started.elapsed();
        let warm_up = match config.rate {
            Some(rate) => Duration::from_secs_f64(0.1 * config.events as f64 / rate),
            None => Duration::ZERO,
        };
        Measurement {
            events: config.events,
            elapsed,
            peak_bytes: memory::peak_bytes(),
            before_bytes: self.before,
            latency: latency.and_then(|l| l.percentiles(self.started + warm_up)),
            updates: result.count,
            fingerprint: result.fingerprint,
        }
    }
}

fn feed(config: &Config, latency: &Option<Arc<Latency>>) -> Feed {
    Feed {
        start: Instant::now(),
        rate: config.rate,
        latency: latency.clone(),
    }
}

/// A Nexmark query on pathflow, in both modes.
pub type PathflowQuery<Out> = (
    for<'s> fn(Tables<'s, Batch>) -> Table<'s, Out, Batch>,
    for<'s> fn(Tables<'s, Streaming>) -> Table<'s, Out, Streaming>,
);

/// Runs Nexmark query `pathflow`/`dd` on `config.events` generated events.
pub fn nexmark<Out: Row + Serialize>(
    config: &Config,
    pathflow: PathflowQuery<Out>,
    dd: NexmarkQuery<Out>,
) -> Result<Measurement, String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    nexmark_on(config, generate(config.events, threads), pathflow, dd)
}

/// Runs Nexmark query `pathflow`/`dd` on `events` (`config.events` is ignored).
pub fn nexmark_on<Out: Row + Serialize>(
    config: &Config,
    events: Events,
    pathflow: PathflowQuery<Out>,
    dd: NexmarkQuery<Out>,
) -> Result<Measurement, String> {
    let config = &Config {
        events: events.len() as u64,
        ..config.clone()
    };
    let workers = config.runner.workers as usize;
    if let Some(dir) = &config.dump {
        dump::write_events(dir, &events)?;
    }
    let keep = config.dump.is_some();
    let latency = config.streaming.then(|| Arc::new(Latency::default()));
    // Dealing the events out to the workers is the harness's work: done before the clock.
    let per_worker = events.split(workers);
    let clock = Clock::start();
    let feed = feed(config, &latency);
    let result = match config.system {
        System::Pathflow if config.streaming => {
            pathflow_nexmark::<Streaming, Out>(config, per_worker, feed, keep, pathflow.1)?
        }
        System::Pathflow => {
            pathflow_nexmark::<Batch, Out>(config, per_worker, feed, keep, pathflow.0)?
        }
        System::Dd => {
            let run = Run {
                workers,
                streaming: config.streaming,
                feed,
                keep,
            };
            driver::nexmark(run, shares(per_worker), dd)?
        }
        System::Floor => {
            return Err(
                "the floor runs word count only: use --system pathflow or dd for Nexmark"
                    .to_owned(),
            )
        }
    };
    let measurement = clock.stop(config, latency.as_deref(), &result);
    if let Some(dir) = &config.dump {
        dump::write_result(dir, result.updates)?;
    }
    Ok(measurement)
}

fn pathflow_nexmark<M: RunnerFor, Out: Row>(
    config: &Config,
    shares: Vec<Events>,
    feed: Feed,
    keep: bool,
    query: for<'s> fn(Tables<'s, M>) -> Table<'s, Out, M>,
) -> Result<Collected<Out>, String> {
    let count = |kind: fn(&Events) -> usize| shares.iter().map(kind).sum::<usize>();
    let (np, na, nb) = (
        count(|e| e.persons.len()),
        count(|e| e.auctions.len()),
        count(|e| e.bids.len()),
    );
    let total = (np + na + nb).max(1) as f64;
    let fraction = |n: usize| n as f64 / total;
    let mut persons = Vec::new();
    let mut auctions = Vec::new();
    let mut bids = Vec::new();
    for share in shares {
        persons.push(share.persons);
        auctions.push(share.auctions);
        bids.push(share.bids);
    }
    let persons = ShareSource::new(
        "person",
        crate::harness::shares(persons),
        fraction(np),
        feed.clone(),
    );
    let auctions = ShareSource::new(
        "auction",
        crate::harness::shares(auctions),
        fraction(na),
        feed.clone(),
    );
    let bids = ShareSource::new(
        "bid",
        crate::harness::shares(bids),
        fraction(nb),
        feed.clone(),
    );
    let result = Arc::new(Mutex::new(Collected::default()));
    let sink = Collect::new(Arc::clone(&result), keep, feed.latency.clone());
    M::runner()
        .args(config.runner.clone())
        .run(move |p| {
            let tables = Tables {
                persons: p.read(persons.clone()),
                auctions: p.read(auctions.clone()),
                bids: p.read(bids.clone()),
            };
            p.write(query(tables), sink.clone());
        })
        .map_err(|e| e.to_string())?;
    let collected = std::mem::take(&mut *result.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(collected)
}

/// Runs word count on `config.events` words.
pub fn word_count(config: &Config) -> Result<Measurement, String> {
    let workers = config.runner.workers as usize;
    let keep = config.dump.is_some();
    let latency = config.streaming.then(|| Arc::new(Latency::default()));
    let (clock, result) = if config.streaming {
        let words = generate_words(config.events as usize, config.distinct_words);
        if let Some(dir) = &config.dump {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            write_csv(
                &dir.join("words.csv"),
                config.events as usize,
                config.distinct_words,
            )
            .map_err(|e| e.to_string())?;
        }
        let mut per_worker: Vec<Vec<String>> = vec![Vec::new(); workers];
        for (i, word) in words.into_iter().enumerate() {
            per_worker[i % workers].push(word);
        }
        let clock = Clock::start();
        let feed = feed(config, &latency);
        let result = match config.system {
            System::Pathflow => pathflow_words_streaming(config, per_worker, feed, keep)?,
            System::Dd => baseline::dd::wordcount::streaming(
                Run {
                    workers,
                    streaming: true,
                    feed,
                    keep,
                },
                shares(per_worker),
            )?,
            System::Floor => {
                return Err("the floor is a batch program: use --mode batch".to_owned())
            }
        };
        (clock, result)
    } else {
        let path = input_file(config)?;
        if let Some(dir) = &config.dump {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            std::fs::copy(&path, dir.join("words.csv")).map_err(|e| e.to_string())?;
        }
        let clock = Clock::start();
        let result = match config.system {
            System::Pathflow => pathflow_words_batch(config, path, keep)?,
            System::Dd => baseline::dd::wordcount::batch(
                Run {
                    workers,
                    streaming: false,
                    feed: feed(config, &None),
                    keep,
                },
                path,
            )?,
            System::Floor => baseline::floor::word_count(&path, keep).map_err(|e| e.to_string())?,
        };
        (clock, result)
    };
    let measurement = clock.stop(config, latency.as_deref(), &result);
    if let Some(dir) = &config.dump {
        dump::write_result(dir, result.updates)?;
    }
    Ok(measurement)
}

/// The word count input file for this configuration, written if missing.
fn input_file(config: &Config) -> Result<PathBuf, String> {
    let path = config.data_dir.join(format!(
        "words-{}-{}.csv",
        config.events, config.distinct_words
    ));
    if !path.exists() {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
        let partial = path.with_extension("partial");
        write_csv(&partial, config.events as usize, config.distinct_words)
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(path)
}

fn pathflow_words_batch(
    config: &Config,
    path: PathBuf,
    keep: bool,
) -> Result<Collected<WordCount>, String> {
    let result = Arc::new(Mutex::new(Collected::default()));
    let sink = Collect::new(Arc::clone(&result), keep, None);
    let source = CsvWords::new(path);
    pathflow::Runner::batch()
        .args(config.runner.clone())
        .run(move |p| {
            let words = p.read(source.clone());
            p.write(count(words), sink.clone());
        })
        .map_err(|e| e.to_string())?;
    let collected = std::mem::take(&mut *result.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(collected)
}

fn pathflow_words_streaming(
    config: &Config,
    per_worker: Vec<Vec<String>>,
    feed: Feed,
    keep: bool,
) -> Result<Collected<WordCount>, String> {
    let result = Arc::new(Mutex::new(Collected::default()));
    let sink = Collect::new(Arc::clone(&result), keep, feed.latency.clone());
    let source = ShareSource::new("words", shares(per_worker), 1.0, feed);
    pathflow::Runner::streaming()
        .args(config.runner.clone())
        .run(move |p| {
            let words = p.read(source.clone());
            p.write(count(words), sink.clone());
        })
        .map_err(|e| e.to_string())?;
    let collected = std::mem::take(&mut *result.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(collected)
}
