//! `bench`: runs one workload on one system and prints its throughput, peak memory and, in
//! streaming mode, its latency. The last line, `RESULT {…}`, is JSON for scripts.
//!
//! ```text
//! bench --query q4 --events 1000000 --system dd --mode batch --workers 2
//! bench --query wordcount --events 10000000 --system floor
//! bench --query wordcount --events 5000000 --mode streaming --rate 500000
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use pathflow::{Batch, RunnerArgs, Streaming};
use pathflow_benches::baseline::dd;
use pathflow_benches::nexmark::{queries, Query};
use pathflow_benches::run::{self, Config, Measurement, System};

/// Every system runs on mimalloc: glibc's allocator coalesces the millions of small strings
/// a query drops (names, urls, `extra`) whenever a large block is allocated, which costs
/// whichever system happens to allocate its containers in the same arena.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    about = "Runs a Nexmark query or word count on pathflow, differential dataflow or the floor"
)]
struct Cli {
    /// The workload: q0 … q8 (Nexmark) or wordcount.
    #[arg(long)]
    query: String,
    /// Input events (Nexmark events of all kinds, or words), generated before the clock starts.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// The system to run.
    #[arg(long, value_enum, default_value_t = SystemArg::Pathflow)]
    system: SystemArg,
    /// Batch (one epoch) or streaming (paced input, latency measured).
    #[arg(long, value_enum, default_value_t = ModeArg::Batch)]
    mode: ModeArg,
    /// Streaming input rate in events per second over all workers (default: as fast as
    /// the system takes them).
    #[arg(long, value_name = "EVENTS_PER_S")]
    rate: Option<f64>,
    /// Writes the input (person.csv, auction.csv, bid.csv or words.csv) and the final
    /// result (result.csv) into this directory.
    #[arg(long, value_name = "DIR")]
    dump: Option<PathBuf>,
    /// Distinct words in word count's input.
    #[arg(long, default_value_t = 100_000)]
    distinct_words: usize,
    /// Where word count's input files are kept between runs.
    #[arg(long, default_value = "target/bench-data")]
    data_dir: PathBuf,
    #[command(flatten)]
    runner: RunnerArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum SystemArg {
    Pathflow,
    Dd,
    Floor,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Batch,
    Streaming,
}

macro_rules! nexmark {
    ($config:expr, $q:ident) => {
        run::nexmark(
            $config,
            (queries::$q::query::<Batch>, queries::$q::query::<Streaming>),
            dd::$q::query,
        )
    };
}

fn measure(query: &str, config: &Config) -> Result<Measurement, String> {
    if query == "wordcount" {
        return run::word_count(config);
    }
    let query: Query = query.parse().map_err(|e| format!("{e}, or wordcount"))?;
    match query {
        Query::Q0 => nexmark!(config, q0),
        Query::Q1 => nexmark!(config, q1),
        Query::Q2 => nexmark!(config, q2),
        Query::Q3 => nexmark!(config, q3),
        Query::Q4 => nexmark!(config, q4),
        Query::Q5 => nexmark!(config, q5),
        Query::Q6 => nexmark!(config, q6),
        Query::Q7 => nexmark!(config, q7),
        Query::Q8 => nexmark!(config, q8),
    }
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("unknown".to_owned(), |b| {
        format!("{:.1} MiB", b as f64 / (1 << 20) as f64)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let system = match cli.system {
        SystemArg::Pathflow => System::Pathflow,
        SystemArg::Dd => System::Dd,
        SystemArg::Floor => System::Floor,
    };
    let streaming = cli.mode == ModeArg::Streaming;
    if cli.rate.is_some() && !streaming {
        eprintln!("error: --rate paces streaming input: add --mode streaming or drop --rate");
        return ExitCode::from(2);
    }
    let workers = cli.runner.workers;
    let config = Config {
        system,
        streaming,
        events: cli.events,
        rate: cli.rate,
        distinct_words: cli.distinct_words,
        data_dir: cli.data_dir,
        dump: cli.dump,
        runner: cli.runner,
    };
    let m = match measure(&cli.query, &config) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mode = if streaming { "streaming" } else { "batch" };
    let system = cli
        .system
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default();
    println!(
        "{} on {system}, {mode}, {workers} worker(s), {} events",
        cli.query, m.events
    );
    println!("elapsed: {:.3} s", m.elapsed.as_secs_f64());
    println!(
        "throughput: {:.0} events/s ({:.0} per worker)",
        m.throughput(),
        m.throughput() / workers as f64
    );
    println!(
        "peak memory: {} (before the run, input included: {})",
        mib(m.peak_bytes),
        mib(m.before_bytes)
    );
    if let Some(l) = &m.latency {
        println!(
            "latency: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms ({} events counted)",
            l.p50.as_secs_f64() * 1e3,
            l.p95.as_secs_f64() * 1e3,
            l.p99.as_secs_f64() * 1e3,
            l.events
        );
    }
    println!(
        "output: {} updates, fingerprint {:016x}",
        m.updates, m.fingerprint
    );
    let json = serde_json::json!({
        "query": cli.query,
        "system": system,
        "mode": mode,
        "workers": workers,
        "events": m.events,
        "rate": cli.rate,
        "elapsed_s": m.elapsed.as_secs_f64(),
        "events_per_s": m.throughput(),
        "peak_bytes": m.peak_bytes,
        "before_bytes": m.before_bytes,
        "p50_ms": m.latency.map(|l| l.p50.as_secs_f64() * 1e3),
        "p95_ms": m.latency.map(|l| l.p95.as_secs_f64() * 1e3),
        "p99_ms": m.latency.map(|l| l.p99.as_secs_f64() * 1e3),
        "updates": m.updates,
        "fingerprint": format!("{:016x}", m.fingerprint),
    });
    println!("RESULT {json}");
    ExitCode::SUCCESS
}
