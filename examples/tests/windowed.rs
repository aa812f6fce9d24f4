//! The `windowed` example, in-process, against a naive reference (sort the events, compute
//! the windows): random out-of-order events for each window kind and behavior, in batch and
//! in streaming runs where files are dropped one at a time, each read as one epoch.

mod support;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pathflow::prelude::*;
use pathflow::RunReport;
use pathflow_examples::windowed::{self, Timing, WindowSpec};
use support::{drop_file, error_log, replay, snapshot_lines, wait_until, PATIENCE};

/// One input row: `key,value,at`.
#[derive(Clone, Debug)]
struct Event {
    key: String,
    value: f64,
    at: i64,
}

/// A `--window` spec, as the reference understands it.
#[derive(Clone, Copy, Debug)]
enum Spec {
    Tumbling(i64),
    Sliding(i64, i64),
    Session(i64),
}

impl Spec {
    fn flag(self) -> String {
        match self {
            Spec::Tumbling(size) => format!("tumbling:{size}"),
            Spec::Sliding(hop, size) => format!("sliding:{hop}:{size}"),
            Spec::Session(gap) => format!("session:{gap}"),
        }
    }

    const ALL: [Spec; 3] = [Spec::Tumbling(50), Spec::Sliding(20, 50), Spec::Session(15)];
}

/// A window's result, keyed by `(key, window_start, window_end)`: `(count, sum)`.
type Windows = BTreeMap<(String, i64, i64), (u64, f64)>;

/// The reference's answer: the windows, the late events, and the last watermark.
struct Expected {
    windows: Windows,
    late: usize,
    last_watermark: Option<i64>,
}

/// The windows of `files`, each file one epoch (a batch run: one file holding all events).
/// An event is late when an earlier file holds an event more than `cutoff` after it.
fn naive(files: &[Vec<Event>], spec: Spec, cutoff: Option<i64>) -> Expected {
    let mut watermark: Option<i64> = None;
    let mut late = 0;
    let mut accepted: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for file in files {
        for event in file {
            let is_late = matches!((watermark, cutoff), (Some(w), Some(c)) if event.at < w - c);
            if is_late {
                late += 1;
            } else {
                let events = accepted.entry(event.key.clone()).or_default();
                events.push((event.at, event.value));
            }
        }
        watermark = file.iter().map(|e| e.at).chain(watermark).max();
    }
    let mut windows = Windows::new();
    let mut add = |key: &str, start: i64, end: i64, value: f64| {
        let window = windows.entry((key.to_owned(), start, end)).or_default();
        window.0 += 1;
        window.1 += value;
    };
    for (key, mut events) in accepted {
        events.sort_by_key(|&(at, _)| at);
        match spec {
            Spec::Tumbling(size) => {
                for (at, value) in events {
                    let start = at.div_euclid(size) * size;
                    add(&key, start, start + size, value);
                }
            }
            Spec::Sliding(hop, size) => {
                for (at, value) in events {
                    for k in (at - size).div_euclid(hop)..=at.div_euclid(hop) {
                        let start = k * hop;
                        if start <= at && at < start + size {
                            add(&key, start, start + size, value);
                        }
                    }
                }
            }
            Spec::Session(gap) => {
                let mut sessions: Vec<Vec<(i64, f64)>> = Vec::new();
                for event in events {
                    match sessions.last_mut() {
                        Some(session) if event.0 - session.last().unwrap().0 < gap => {
                            session.push(event)
                        }
                        _ => sessions.push(vec![event]),
                    }
                }
                for session in sessions {
                    let (start, end) = (session[0].0, session.last().unwrap().0);
                    for (_, value) in session {
                        add(&key, start, end, value);
                    }
                }
            }
        }
    }
    Expected {
        windows,
        late,
        last_watermark: watermark,
    }
}

impl Expected {
    /// A window's boundary: its end, a session's last event plus the gap.
    fn boundary(spec: Spec, end: i64) -> i64 {
        match spec {
            Spec::Session(gap) => end + gap,
            _ => end,
        }
    }

    /// Only the windows the last watermark closed (`closed`), or only those it did not.
    fn closed(mut self, spec: Spec, cutoff: i64, closed: bool) -> Self {
        let watermark = self.last_watermark.expect("some events");
        self.windows
            .retain(|(_, _, end), _| (Self::boundary(spec, *end) + cutoff <= watermark) == closed);
        self
    }

    /// The windows as output lines `key,window_start,window_end,count,sum`, in key order.
    fn lines(&self) -> Vec<String> {
        self.windows
            .iter()
            .map(|((key, start, end), (count, sum))| format!("{key},{start},{end},{count},{sum:?}"))
            .collect()
    }

    /// The same lines, sorted as text (as a replayed change stream is).
    fn sorted_lines(&self) -> Vec<String> {
        let mut lines = self.lines();
        lines.sort();
        lines
    }
}

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Random(u64);

impl Random {
    fn below(&mut self, n: i64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as i64
    }
}

/// `files` files of `per_file` events over keys `a`–`c`. File `i` holds times around
/// `i * span`, shuffled up to `disorder` ms back (so within a file and across neighbours);
/// values are multiples of 0.25, whose sums are exact in `f64`.
fn random_files(
    seed: u64,
    files: usize,
    per_file: usize,
    span: i64,
    disorder: i64,
) -> Vec<Vec<Event>> {
    let mut random = Random(seed);
    (0..files as i64)
        .map(|file| {
            (0..per_file)
                .map(|_| Event {
                    key: ["a", "b", "c"][random.below(3) as usize].to_owned(),
                    value: random.below(40) as f64 * 0.25 - 2.0,
                    at: (file * span + random.below(span) - random.below(disorder + 1)).max(0),
                })
                .collect()
        })
        .collect()
}

fn csv(events: &[Event]) -> String {
    let mut text = "key,value,at\n".to_owned();
    for e in events {
        text.push_str(&format!("{},{},{}\n", e.key, e.value, e.at));
    }
    text
}

fn args(list: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    std::iter::once(OsString::from("windowed"))
        .chain(list.iter().map(|a| a.as_ref().to_owned()))
        .collect()
}

/// Runs the program in batch over `input` with `flags`; returns the output lines.
fn batch(input: &Path, dir: &Path, flags: &[&str]) -> Vec<String> {
    let output = dir.join("windows.csv");
    let mut list: Vec<&dyn AsRef<std::ffi::OsStr>> =
        vec![&"--input", &input, &"--output", &output, &"--workers", &"2"];
    list.extend(flags.iter().map(|f| f as &dyn AsRef<std::ffi::OsStr>));
    assert_eq!(windowed::main(args(&list)), 0, "{flags:?}");
    let header = std::fs::read_to_string(&output).unwrap();
    assert!(header.starts_with("key,window_start,window_end,count,sum\n"));
    snapshot_lines(&output)
}

/// Writes `files` as `0.csv`, `1.csv`, … in a new directory under `dir`.
fn write_all(dir: &Path, files: &[Vec<Event>]) -> PathBuf {
    let input = dir.join("events");
    std::fs::create_dir(&input).unwrap();
    for (i, events) in files.iter().enumerate() {
        drop_file(&input.join(format!("{i:03}.csv")), &csv(events));
    }
    input
}

#[test]
fn batch_runs_match_the_reference_for_every_window_kind_and_behavior() {
    for (seed, spec) in [1u64, 2, 3].into_iter().zip(Spec::ALL) {
        let dir = tempfile::tempdir().unwrap();
        let files = random_files(seed, 4, 60, 100, 80);
        let input = write_all(dir.path(), &files);
        let all = [files.concat()];
        let window = spec.flag();
        let everything = naive(&all, spec, None);
        assert_eq!(
            batch(&input, dir.path(), &["--window", &window]),
            everything.lines(),
            "{spec:?}"
        );
        // A batch run is one epoch: nothing is late, and every window is final at the end.
        for flags in [
            &["--cutoff", "30"][..],
            &["--delay", "40"],
            &["--delay", "40", "--cutoff", "10"],
            &["--emit", "final", "--cutoff", "30"],
        ] {
            let mut list = vec!["--window", &window];
            list.extend(flags);
            assert_eq!(
                batch(&input, dir.path(), &list),
                everything.lines(),
                "{spec:?} {flags:?}"
            );
        }
        let open = naive(&all, spec, None).closed(spec, 30, false);
        let flags = [
            "--window",
            &window,
            "--cutoff",
            "30",
            "--keep-results",
            "false",
        ];
        assert_eq!(
            batch(&input, dir.path(), &flags),
            open.lines(),
            "{spec:?} {flags:?}"
        );
    }
}

/// A streaming run of the example over `input`, in a thread.
struct Live {
    output: PathBuf,
    shutdown: pathflow::ShutdownHandle,
    run: std::thread::JoinHandle<pathflow::Result<RunReport>>,
}

impl Live {
    fn start(dir: &Path, input: &Path, spec: Spec, timing: Timing) -> Live {
        let output = dir.join("changes.csv");
        let runner = Runner::streaming().args(RunnerArgs {
            workers: 2,
            error_log: Some(dir.join("errors.jsonl")),
            ..RunnerArgs::default()
        });
        let shutdown = runner.shutdown_handle();
        let window = WindowSpec::from_str(&spec.flag()).unwrap().0;
        let (input, changes) = (input.to_owned(), output.clone());
        let run = std::thread::spawn(move || {
            windowed::streaming(&input, &changes, window, timing, runner)
        });
        Live {
            output,
            shutdown,
            run,
        }
    }

    /// Waits until the change stream adds up to `expected`.
    fn expect(&self, what: &str, expected: &Expected) {
        let lines = expected.sorted_lines();
        wait_until(what, PATIENCE, || replay(&self.output) == lines);
    }

    fn stop(self) -> RunReport {
        self.shutdown.shutdown();
        self.run.join().unwrap().unwrap()
    }
}

#[test]
fn streaming_files_one_at_a_time_ends_where_batch_does_when_nothing_is_late() {
    for (seed, spec) in [4u64, 5, 6].into_iter().zip(Spec::ALL) {
        let dir = tempfile::tempdir().unwrap();
        // Out of order by up to 80 ms across files; a cutoff of 200 ms makes nothing late.
        let files = random_files(seed, 5, 40, 100, 80);
        let input = dir.path().join("events");
        std::fs::create_dir(&input).unwrap();
        let timing = Timing::Updates(Behavior::default().cutoff(Duration::from_millis(200)));
        let live = Live::start(dir.path(), &input, spec, timing);
        for (i, events) in files.iter().enumerate() {
            drop_file(&input.join(format!("{i:03}.csv")), &csv(events));
            let expected = naive(&files[..=i], spec, Some(200));
            assert_eq!(expected.late, 0);
            live.expect(&format!("{spec:?}, file {i}"), &expected);
        }
        let report = live.stop();
        assert_eq!(report.input_errors, 0, "{spec:?}");
        let everything = naive(&[files.concat()], spec, None);
        assert_eq!(
            replay(&dir.path().join("changes.csv")),
            everything.sorted_lines()
        );
        let flags = ["--window", &spec.flag(), "--cutoff", "200"];
        assert_eq!(
            batch(&input, dir.path(), &flags),
            everything.lines(),
            "{spec:?}"
        );
    }
}

#[test]
fn streaming_ignores_and_logs_events_later_than_the_cutoff_of_earlier_files() {
    for (seed, spec) in [7u64, 8, 9].into_iter().zip(Spec::ALL) {
        let dir = tempfile::tempdir().unwrap();
        // Out of order by up to 150 ms across files, with a cutoff of 40 ms: some are late.
        let files = random_files(seed, 5, 40, 100, 150);
        let input = dir.path().join("events");
        std::fs::create_dir(&input).unwrap();
        let timing = Timing::Updates(Behavior::default().cutoff(Duration::from_millis(40)));
        let live = Live::start(dir.path(), &input, spec, timing);
        for (i, events) in files.iter().enumerate() {
            drop_file(&input.join(format!("{i:03}.csv")), &csv(events));
            live.expect(
                &format!("{spec:?}, file {i}"),
                &naive(&files[..=i], spec, Some(40)),
            );
        }
        let report = live.stop();
        let expected = naive(&files, spec, Some(40));
        assert!(expected.late > 0, "the test data has late events");
        assert_eq!(report.input_errors, expected.late as u64, "{spec:?}");
        let logged = error_log(&dir.path().join("errors.jsonl"));
        assert_eq!(logged.len(), expected.late, "{spec:?}");
        assert!(logged
            .iter()
            .all(|e| e["reason"].as_str().unwrap().starts_with("late event")));
    }
}

#[test]
fn streaming_exactly_once_writes_each_closed_window_once() {
    for (seed, spec) in [10u64, 11, 12].into_iter().zip(Spec::ALL) {
        let dir = tempfile::tempdir().unwrap();
        let files = random_files(seed, 5, 40, 100, 150);
        let input = dir.path().join("events");
        std::fs::create_dir(&input).unwrap();
        let timing = Timing::ExactlyOnce(Behavior::exactly_once(Duration::from_millis(40)));
        let live = Live::start(dir.path(), &input, spec, timing);
        for (i, events) in files.iter().enumerate() {
            drop_file(&input.join(format!("{i:03}.csv")), &csv(events));
            let closed = naive(&files[..=i], spec, Some(40)).closed(spec, 40, true);
            live.expect(&format!("{spec:?}, file {i}"), &closed);
        }
        live.stop();
        let changes = std::fs::read_to_string(dir.path().join("changes.csv")).unwrap();
        assert!(
            changes.lines().skip(1).all(|line| line.ends_with(",1")),
            "exactly once: only insertions\n{changes}"
        );
    }
}

#[test]
fn streaming_without_kept_results_holds_only_the_windows_still_open() {
    for (seed, spec) in [13u64, 14, 15].into_iter().zip(Spec::ALL) {
        let dir = tempfile::tempdir().unwrap();
        let files = random_files(seed, 5, 40, 100, 150);
        let input = dir.path().join("events");
        std::fs::create_dir(&input).unwrap();
        let behavior = Behavior::default()
            .cutoff(Duration::from_millis(40))
            .keep_results(false);
        let live = Live::start(dir.path(), &input, spec, Timing::Updates(behavior));
        for (i, events) in files.iter().enumerate() {
            drop_file(&input.join(format!("{i:03}.csv")), &csv(events));
            let open = naive(&files[..=i], spec, Some(40)).closed(spec, 40, false);
            live.expect(&format!("{spec:?}, file {i}"), &open);
        }
        live.stop();
    }
}

#[test]
fn bad_flags_are_usage_errors_that_say_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_all(dir.path(), &random_files(16, 1, 5, 100, 0));
    let output = dir.path().join("out.csv");
    for flags in [
        &["--window", "hopping:10"][..],
        &["--window", "sliding:10"],
        &["--window", "tumbling:-5"],
        &["--window", "tumbling:10", "--keep-results", "maybe"],
        &["--window", "tumbling:10", "--emit", "sometimes"],
        &["--window", "tumbling:10", "--emit", "final"],
        &[
            "--window",
            "tumbling:10",
            "--emit",
            "final",
            "--cutoff",
            "5",
            "--keep-results",
            "false",
        ],
        &["--output", "x.csv"],
    ] {
        let mut list: Vec<&dyn AsRef<std::ffi::OsStr>> =
            vec![&"--input", &input, &"--output", &output];
        list.extend(flags.iter().map(|f| f as &dyn AsRef<std::ffi::OsStr>));
        assert_eq!(windowed::main(args(&list)), 2, "{flags:?}");
    }
    let error = "tumbling:10:5".parse::<WindowSpec>().unwrap_err();
    assert!(
        error.contains("tumbling:SIZE, sliding:HOP:SIZE or session:GAP"),
        "{error}"
    );
}
