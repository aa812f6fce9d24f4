//! Batch word count over a generated CSV file (1 GB by default): the `wordcount` example's
//! pipeline through the file connector, next to the plain `csv` crate counting into a
//! `HashMap` over the same file in the same run, and the ratio of the two. A third line,
//! the connector's decoder counting into a `HashMap` without the dataflow, splits the gap
//! between reading and the engine.
//!
//! ```text
//! cargo bench -p pathflow-benches --bench wordcount_csv
//! cargo bench -p pathflow-benches --bench wordcount_csv -- --size-mb 256 --workers 2 --runs 5
//! ```
//!
//! The file (`id,word,score`, 100,000 distinct words drawn uniformly) is generated once into
//! `target/bench-data/` and reused. The contenders run in turn `--runs` times (default 3);
//! each run is printed with its wall-clock and CPU time (all threads), and the ratios are
//! those of the best times, the least disturbed by other processes. Every contender must
//! produce the same counts, or the run fails.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pathflow::prelude::*;
use pathflow_connectors::format::{Decoded, Decoder};
use pathflow_connectors::Format;
use pathflow_examples::wordcount::{self, Word};

const DISTINCT_WORDS: usize = 100_000;

/// The flags after `--`: `--size-mb N`, `--workers N`, `--runs N` (cargo's own `--bench`
/// is ignored).
struct Options {
    size_mb: u64,
    workers: u32,
    runs: u32,
}

fn options() -> Options {
    let mut options = Options {
        size_mb: 1024,
        workers: 1,
        runs: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a positive number"))
        };
        match arg.as_str() {
            "--size-mb" => options.size_mb = value("--size-mb"),
            "--workers" => options.workers = value("--workers").max(1) as u32,
            "--runs" => options.runs = value("--runs").max(1) as u32,
            "--bench" => {}
            other => panic!("unknown flag `{other}`: use --size-mb N, --workers N or --runs N"),
        }
    }
    options
}

/// A SplitMix64 step: a fixed pseudo-random sequence, so the input is the same every time.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Writes `id,word,score` rows until the file holds `bytes` bytes; returns the row count.
fn generate(path: &Path, bytes: u64) -> std::io::Result<u64> {
    let mut state = 42;
    let vocabulary: Vec<String> = (0..DISTINCT_WORDS)
        .map(|_| {
            let len = 3 + (splitmix(&mut state) % 8) as usize;
            (0..len)
                .map(|_| (b'a' + (splitmix(&mut state) % 26) as u8) as char)
                .collect()
        })
        .collect();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut written = out.write(b"id,word,score\n")? as u64;
    let mut rows = 0u64;
    let mut line = String::new();
    while written < bytes {
        let word = &vocabulary[(splitmix(&mut state) % DISTINCT_WORDS as u64) as usize];
        let score = splitmix(&mut state) % 1000;
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(line, "{rows},{word},0.{score:03}");
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        rows += 1;
    }
    out.flush()?;
    Ok(rows)
}

/// The input file, generated if it is not there yet; returns its path, size and rows.
fn input(size_mb: u64) -> (PathBuf, u64, u64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    let path = dir.join(format!("wordcount-{size_mb}mb.csv"));
    let rows_path = path.with_extension("rows");
    let known = std::fs::read_to_string(&rows_path)
        .ok()
        .and_then(|rows| rows.trim().parse().ok());
    let rows = match known {
        Some(rows) if path.exists() => rows,
        _ => {
            eprintln!("generating {} ({size_mb} MB)...", path.display());
            let rows = generate(&path, size_mb << 20).expect("write the input file");
            std::fs::write(&rows_path, rows.to_string()).expect("write the row count");
            rows
        }
    };
    let bytes = std::fs::metadata(&path).expect("the input file").len();
    (path, bytes, rows)
}

/// The floor: the `csv` crate reading records and a `HashMap` counting the `word` column.
fn plain_csv(path: &Path) -> HashMap<String, u64> {
    let mut reader = csv::Reader::from_path(path).expect("open the input");
    let column = reader
        .headers()
        .expect("a header")
        .iter()
        .position(|h| h == "word")
        .expect("a word column");
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).expect("a valid record") {
        let word = &record[column];
        match counts.get_mut(word) {
            Some(count) => *count += 1,
            None => {
                counts.insert(word.to_owned(), 1);
            }
        }
    }
    counts
}

/// The file connector's decoder alone, counting its typed rows in a `HashMap` in the same
/// loop: what pathflow's reading costs before the dataflow's source operator.
fn decoder_only(path: &Path) -> HashMap<String, u64> {
    use std::io::Read;
    let mut file = File::open(path).expect("open the input");
    let mut decoder = Decoder::<Word>::new(&Format::csv());
    let mut counts: HashMap<Word, isize> = HashMap::new();
    let mut chunk = vec![0; 64 << 10];
    let mut count = |record: Decoded<'_, Word>| -> Result<(), String> {
        *counts.entry(record.row?).or_insert(0) += 1;
        Ok(())
    };
    loop {
        let read = file.read(&mut chunk).expect("read the input");
        decoder
            .feed(&chunk[..read], read == 0, &mut count)
            .expect("a valid row");
        if read == 0 {
            break;
        }
    }
    counts
        .into_iter()
        .map(|(row, n)| (row.word, n as u64))
        .collect()
}

/// The `wordcount` example's batch run, writing its `word,count` snapshot to `output`.
fn pathflow(path: &Path, output: &Path, workers: u32) -> HashMap<String, u64> {
    let runner = Runner::batch().args(RunnerArgs {
        workers,
        ..RunnerArgs::default()
    });
    let report = wordcount::batch(path, output, runner).expect("the pathflow run");
    assert_eq!(report.input_errors, 0);
    std::fs::read_to_string(output)
        .expect("read the result")
        .lines()
        .skip(1)
        .map(|line| {
            let (word, count) = line.split_once(',').expect("word,count");
            (word.to_owned(), count.parse().expect("a count"))
        })
        .collect()
}

/// The CPU time this process has used so far (user and system, all threads), from
/// `/proc/self/stat` in 1/100 s; `None` where that file is not there.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// One contender's time: wall clock, and CPU time (what other processes on the machine
/// disturb least).
#[derive(Clone, Copy)]
struct Time {
    wall: f64,
    cpu: f64,
}

impl Time {
    const WORST: Time = Time {
        wall: f64::MAX,
        cpu: f64::MAX,
    };

    /// Times `f`.
    fn of<R>(f: impl FnOnce() -> R) -> (R, Time) {
        let (started, cpu_started) = (Instant::now(), cpu_time());
        let result = f();
        let cpu = match (cpu_started, cpu_time()) {
            (Some(before), Some(after)) => (after - before).as_secs_f64(),
            _ => f64::NAN,
        };
        let wall = started.elapsed().as_secs_f64();
        (result, Time { wall, cpu })
    }

    fn best(self, other: Time) -> Time {
        Time {
            wall: self.wall.min(other.wall),
            cpu: self.cpu.min(other.cpu),
        }
    }
}

fn report(name: &str, time: Time, rows: u64, bytes: u64) -> Time {
    println!(
        "{name:<24} {:>7.2} s {:>7.2} M rows/s {:>7.1} MB/s | cpu {:>7.2} s {:>7.2} M rows/s {:>7.1} MB/s",
        time.wall,
        rows as f64 / time.wall / 1e6,
        bytes as f64 / time.wall / (1 << 20) as f64,
        time.cpu,
        rows as f64 / time.cpu / 1e6,
        bytes as f64 / time.cpu / (1 << 20) as f64,
    );
    time
}

fn main() {
    let options = options();
    let (path, bytes, rows) = input(options.size_mb);
    println!(
        "word count over {} ({:.0} MB, {rows} rows, {DISTINCT_WORDS} distinct words)",
        path.display(),
        bytes as f64 / (1 << 20) as f64
    );
    let output =
        std::env::temp_dir().join(format!("pathflow-wordcount-{}.csv", std::process::id()));
    let name = format!(
        "pathflow ({} worker{})",
        options.workers,
        if options.workers == 1 { "" } else { "s" }
    );
    let (mut floor_best, mut decoder_best, mut pathflow_best) =
        (Time::WORST, Time::WORST, Time::WORST);
    for _ in 0..options.runs {
        let (floor, time) = Time::of(|| plain_csv(&path));
        floor_best = floor_best.best(report("csv crate + HashMap", time, rows, bytes));

        let (decoded, time) = Time::of(|| decoder_only(&path));
        decoder_best = decoder_best.best(report("fs decoder + HashMap", time, rows, bytes));
        assert_eq!(
            decoded, floor,
            "the decoder's counts differ from the csv crate's"
        );

        let (counts, time) = Time::of(|| pathflow(&path, &output, options.workers));
        pathflow_best = pathflow_best.best(report(&name, time, rows, bytes));
        let _ = std::fs::remove_file(&output);
        assert_eq!(
            counts, floor,
            "pathflow's counts differ from the csv crate's"
        );
        assert_eq!(counts.values().sum::<u64>(), rows);
    }
    println!("best of {} runs (same counts every time):", options.runs);
    report("csv crate + HashMap", floor_best, rows, bytes);
    report("fs decoder + HashMap", decoder_best, rows, bytes);
    report(&name, pathflow_best, rows, bytes);
    println!(
        "pathflow takes {:.2}x the wall time and {:.2}x the CPU time of the csv crate",
        pathflow_best.wall / floor_best.wall,
        pathflow_best.cpu / floor_best.cpu
    );
}
