//! Resident memory of tumbling windows on a long out-of-order stream: with a cutoff, closed
//! windows are forgotten and memory stays flat; without one (the control) every window's
//! state is kept and memory grows with the number of windows.
//!
//! ```text
//! cargo run --release -p pathflow-benches --bin window_memory
//! cargo run --release -p pathflow-benches --bin window_memory -- --events 1000000 --keys 20
//! ```
//!
//! Each run is a child process of its own (resident memory is per process and an allocator
//! rarely returns it), fed by an in-process generator: event times advance 1 ms per event
//! with up to `--disorder-ms` of disorder, keys round-robin. The parent prints both curves.

use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use pathflow::memory;
use pathflow::prelude::*;
use pathflow::source::{Poll, SourceContext, SourceOutput, SourceReader};
use pathflow::window::{Behavior, Window, WindowKey};
use pathflow::{Result, Source, Total};

/// An event: (key, value, event time).
type Event = (u32, Total<f64>, Timestamp);
/// A window's row: (key, window_start, count, sum).
type Count = (u32, i64, u64, Total<f64>);

#[derive(Parser, Debug, Clone)]
#[command(
    name = "window_memory",
    about = "Resident memory of tumbling windows with a cutoff (flat) and without (growing)"
)]
struct Args {
    /// How many events each run reads.
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    /// How many keys (instances) the events are spread over.
    #[arg(long, default_value_t = 50)]
    keys: u32,
    /// The tumbling window size.
    #[arg(long, default_value_t = 1_000)]
    window_ms: i64,
    /// The cutoff of the flat run.
    #[arg(long, default_value_t = 10_000)]
    cutoff_ms: i64,
    /// How far an event's time may lag behind the stream's (below the cutoff: none is late).
    #[arg(long, default_value_t = 500)]
    disorder_ms: i64,
    /// How many events make one epoch.
    #[arg(long, default_value_t = 100_000)]
    epoch_events: u64,
    /// How many memory samples each run takes.
    #[arg(long, default_value_t = 20)]
    samples: u64,
    /// Worker threads.
    #[arg(long, default_value_t = 1)]
    workers: u32,
    /// Which run this process does; both (the default) runs each as a child process.
    #[arg(long, value_enum, default_value_t = Run::Both)]
    run: Run,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Run {
    Both,
    Cutoff,
    Control,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.run {
        Run::Both => compare(&args),
        run => match measure(&args, run) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Runs both as child processes and prints their curves side by side.
fn compare(args: &Args) -> ExitCode {
    println!(
        "window memory: {} events over {} keys, tumbling {} ms windows, event time +1 ms per \
         event with up to {} ms of disorder, {} events per epoch, {} worker(s)",
        args.events, args.keys, args.window_ms, args.disorder_ms, args.epoch_events, args.workers
    );
    let mut curves = Vec::new();
    for run in [Run::Cutoff, Run::Control] {
        match child(args, run) {
            Ok(curve) => curves.push(curve),
            Err(message) => {
                eprintln!("error: the {run:?} run failed: {message}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "{:>12}  {:>22}  {:>22}",
        "events",
        format!("cutoff {} ms RSS MiB", args.cutoff_ms),
        "no cutoff RSS MiB"
    );
    for (with, without) in curves[0].samples.iter().zip(&curves[1].samples) {
        println!(
            "{:>12}  {:>22.1}  {:>22.1}",
            with.0,
            with.1 as f64 / 1024.0,
            without.1 as f64 / 1024.0
        );
    }
    for (name, curve) in ["cutoff", "no cutoff"].iter().zip(&curves) {
        println!("{name}: {}", curve.summary);
    }
    ExitCode::SUCCESS
}

/// One run's output: `(events read, resident KiB)` samples and a summary line.
struct Curve {
    samples: Vec<(u64, u64)>,
    summary: String,
}

/// Runs this program for one run and parses what it prints.
fn child(args: &Args, run: Run) -> std::result::Result<Curve, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let output = Command::new(exe)
        .args([
            "--events",
            &args.events.to_string(),
            "--keys",
            &args.keys.to_string(),
            "--window-ms",
            &args.window_ms.to_string(),
            "--cutoff-ms",
            &args.cutoff_ms.to_string(),
            "--disorder-ms",
            &args.disorder_ms.to_string(),
            "--epoch-events",
            &args.epoch_events.to_string(),
            "--samples",
            &args.samples.to_string(),
            "--workers",
            &args.workers.to_string(),
            "--run",
            if run == Run::Cutoff {
                "cutoff"
            } else {
                "control"
            },
        ])
        .output()
        .map_err(|e| format!("cannot start the run: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "{}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut curve = Curve {
        samples: Vec::new(),
        summary: String::new(),
    };
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["sample", events, kib] => curve.samples.push((
                events
                    .parse()
                    .map_err(|_| format!("bad sample line `{line}`"))?,
                kib.parse()
                    .map_err(|_| format!("bad sample line `{line}`"))?,
            )),
            ["summary", ..] => curve.summary = line["summary ".len()..].to_owned(),
            _ => {}
        }
    }
    Ok(curve)
}

/// Streams the generated events through tumbling windows and prints memory samples.
fn measure(args: &Args, run: Run) -> Result<()> {
    let behavior = match run {
        Run::Cutoff => Behavior::default().cutoff(Duration::from_millis(args.cutoff_ms)),
        _ => Behavior::default(),
    };
    let window = Window::tumbling(Duration::from_millis(args.window_ms));
    let generator = Generator { args: args.clone() };
    let updates = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&updates);
    let started = Instant::now();
    let report = Runner::streaming()
        .args(RunnerArgs {
            workers: args.workers,
            ..RunnerArgs::default()
        })
        .run(move |p| {
            let events = p.read(generator.clone());
            let counts = events
                .windowby(|e| e.2, window, behavior)
                .instance(|e| e.0)
                .reduce(
                    |r| (r.count(), r.sum(|e| e.1 .0)),
                    |w: &WindowKey<u32>, (n, sum)| {
                        (w.instance, w.window_start.millis(), n, Total(sum))
                    },
                );
            let counted = Arc::clone(&counted);
            p.write(
                counts,
                memory::subscribe(move |_: &Count, _, _| {
                    counted.fetch_add(1, Ordering::Relaxed);
                }),
            );
        })?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "summary {} events in {seconds:.1} s ({:.2} M events/s), {} output updates, {} late, \
         peak RSS {:.1} MiB",
        args.events,
        args.events as f64 / seconds / 1e6,
        updates.load(Ordering::Relaxed),
        report.input_errors,
        peak_resident_kib() as f64 / 1024.0
    );
    Ok(())
}

/// The generated stream, read by worker 0.
#[derive(Clone)]
struct Generator {
    args: Args,
}

impl Source<Streaming> for Generator {
    type Row = Event;

    fn name(&self) -> String {
        "generator".to_owned()
    }

    fn open(self, context: &SourceContext) -> Result<Box<dyn SourceReader<Event>>> {
        let events = if context.worker == 0 {
            self.args.events
        } else {
            0
        };
        let every = (self.args.events / self.args.samples.max(1)).max(1);
        Ok(Box::new(GeneratorReader {
            args: self.args,
            events,
            next: 0,
            every,
            random: 0x9E37_79B9_7F4A_7C15,
        }))
    }
}

struct GeneratorReader {
    args: Args,
    events: u64,
    next: u64,
    every: u64,
    random: u64,
}

impl GeneratorReader {
    /// A pseudo-random number (xorshift), so that runs are repeatable.
    fn random(&mut self) -> u64 {
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        self.random
    }
}

impl SourceReader<Event> for GeneratorReader {
    fn poll(&mut self, output: &mut SourceOutput<'_, Event>) -> Result<Poll> {
        if self.next >= self.events {
            return Ok(Poll::Finished);
        }
        let end = (self.next + self.args.epoch_events).min(self.events);
        let disorder = self.args.disorder_ms.max(0) as u64 + 1;
        for i in self.next..end {
            let lag = (self.random() % disorder) as i64;
            let at = Timestamp::from_millis(i as i64 - lag);
            let key = (i % u64::from(self.args.keys.max(1))) as u32;
            let value = (self.random() % 1_000) as f64 / 8.0;
            output.insert((key, Total(value), at), i);
            if (i + 1).is_multiple_of(self.every) {
                println!("sample {} {}", i + 1, resident_kib());
            }
        }
        self.next = end;
        output.commit();
        Ok(Poll::Ready)
    }

    fn commits_epochs(&self) -> bool {
        true
    }
}

/// This process's resident memory, in KiB (Linux; 0 elsewhere).
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

/// This process's peak resident memory, in KiB (Linux; 0 elsewhere).
fn peak_resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}
