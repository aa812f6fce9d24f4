//! `FileSource::epoch_per_file`: in a streaming run each file, and each later change to one,
//! is an epoch of its own, in order of arrival; in a batch run the option changes nothing.
//! The reference is the list of changes the test made, in the order it made them.

mod files;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use files::{append, drop_file, wait_until, Word};
use pathflow::memory;
use pathflow::prelude::*;
use pathflow_connectors::{fs, Format};

const PATIENCE: Duration = Duration::from_secs(20);

/// One epoch's changes: `(word, diff)`.
type Changes = BTreeSet<(String, isize)>;

/// The changes a sink saw, as `(word, epoch, diff)`.
type Seen = Arc<Mutex<Vec<(String, u64, isize)>>>;

fn args(workers: u32) -> RunnerArgs {
    RunnerArgs {
        workers,
        commit_interval_ms: 20,
        ..RunnerArgs::default()
    }
}

/// A file's text: a `word` header and `words`, one a line.
fn csv(words: &[&str]) -> String {
    let mut text = "word\n".to_owned();
    for word in words {
        text.push_str(word);
        text.push('\n');
    }
    text
}

fn inserts(words: &[&str]) -> Changes {
    words.iter().map(|w| (w.to_string(), 1)).collect()
}

fn retracts(words: &[&str]) -> Changes {
    words.iter().map(|w| (w.to_string(), -1)).collect()
}

/// Groups `(word, epoch, diff)` changes by epoch, in epoch order.
fn by_epoch(changes: impl IntoIterator<Item = (String, u64, isize)>) -> Vec<(u64, Changes)> {
    let mut epochs: BTreeMap<u64, Changes> = BTreeMap::new();
    for (word, epoch, diff) in changes {
        assert!(
            epochs.entry(epoch).or_default().insert((word, diff)),
            "a change seen twice in epoch {epoch}"
        );
    }
    epochs.into_iter().collect()
}

/// The changes of a `word,time,diff` change-stream file.
fn change_file(path: &Path) -> Vec<(String, u64, isize)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("word,time,diff"));
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let [word, time, diff] = cells[..] else {
                panic!("a change line with three cells: {line}");
            };
            (
                word.to_owned(),
                time.parse().unwrap(),
                diff.parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn each_file_and_each_later_change_is_an_epoch_of_its_own_in_order_of_arrival() {
    for workers in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        std::fs::create_dir(&input).unwrap();
        let changes_path = dir.path().join("changes.csv");
        // Created out of name order: the files there at the start are read in name order.
        drop_file(&input.join("b.csv"), &csv(&["b1", "b2"]));
        drop_file(&input.join("a.csv"), &csv(&["a1", "a2", "a3"]));

        let seen: Seen = Arc::default();
        let record = Arc::clone(&seen);
        let runner = Runner::streaming().args(args(workers));
        let shutdown = runner.shutdown_handle();
        let (source_dir, sink_path) = (input.clone(), changes_path.clone());
        let run = std::thread::spawn(move || {
            runner.run(move |p| {
                let source = fs::source::<Word>(&source_dir, Format::csv())
                    .poll_interval(Duration::from_millis(100))
                    .epoch_per_file(true);
                let words = p.read(source);
                let record = Arc::clone(&record);
                p.write(
                    words.clone(),
                    memory::subscribe(move |w: &Word, epoch, diff| {
                        record.lock().unwrap().push((w.word.clone(), epoch, diff));
                    }),
                );
                p.write(words, fs::changes(&sink_path, Format::csv()));
            })
        });

        // Each step's changes, in the order the test makes them.
        let mut expected: Vec<Changes> = vec![inserts(&["a1", "a2", "a3"]), inserts(&["b1", "b2"])];
        let epochs_seen = || by_epoch(seen.lock().unwrap().clone()).len();
        let step = |what: &str, expected: &mut Vec<Changes>, changes: Changes| {
            expected.push(changes);
            let want = expected.len();
            wait_until(what, PATIENCE, || epochs_seen() >= want);
        };
        wait_until("the files there at the start", PATIENCE, || {
            epochs_seen() >= 2
        });

        // New files in order of arrival, not of name.
        drop_file(&input.join("d.csv"), &csv(&["d1", "d2"]));
        step("d.csv", &mut expected, inserts(&["d1", "d2"]));
        drop_file(&input.join("c.csv"), &csv(&["c1"]));
        step("c.csv", &mut expected, inserts(&["c1"]));
        append(&input.join("d.csv"), "d3\nd4\n");
        step(
            "lines appended to d.csv",
            &mut expected,
            inserts(&["d3", "d4"]),
        );
        drop_file(&input.join("c.csv"), &csv(&["c2", "c3"]));
        let mut rewrite = retracts(&["c1"]);
        rewrite.extend(inserts(&["c2", "c3"]));
        step("c.csv replaced", &mut expected, rewrite);
        std::fs::remove_file(input.join("a.csv")).unwrap();
        step(
            "a.csv deleted",
            &mut expected,
            retracts(&["a1", "a2", "a3"]),
        );

        shutdown.shutdown();
        run.join().unwrap().unwrap();

        let subscribed = by_epoch(seen.lock().unwrap().clone());
        let epochs: Vec<Changes> = subscribed.iter().map(|(_, c)| c.clone()).collect();
        assert_eq!(epochs, expected, "{workers} workers");
        assert_eq!(
            by_epoch(change_file(&changes_path)),
            subscribed,
            "the change file's `time` column, {workers} workers"
        );
    }
}

/// An event at a time, for windows.
#[derive(Schema, Clone, Debug)]
struct Tick {
    at: Timestamp,
}

#[test]
fn windows_settled_just_after_the_last_file_show_without_waiting_for_another() {
    let dir = tempfile::tempdir().unwrap();
    let seen: Arc<Mutex<Vec<(i64, u64)>>> = Arc::default();
    let record = Arc::clone(&seen);
    let runner = Runner::streaming().args(args(1));
    let shutdown = runner.shutdown_handle();
    let input = dir.path().to_owned();
    let run = std::thread::spawn(move || {
        runner.run(move |p| {
            let source = fs::source::<Tick>(&input, Format::csv())
                .poll_interval(Duration::from_millis(100))
                .epoch_per_file(true);
            let windows = p
                .read(source)
                .windowby(
                    |t| t.at,
                    Window::tumbling(pathflow::Duration::from_millis(10)),
                    Behavior::exactly_once(pathflow::Duration::from_millis(0)),
                )
                .reduce(
                    |r| r.count(),
                    |w: &WindowKey<()>, n| (w.window_start.millis(), n),
                );
            let record = Arc::clone(&record);
            p.write(
                windows,
                memory::subscribe(move |row: &(i64, u64), _, diff| {
                    assert_eq!(diff, 1, "exactly once: no retraction");
                    record.lock().unwrap().push(*row);
                }),
            );
        })
    });
    drop_file(
        &dir.path().join("1.csv"),
        "at
5
7
",
    );
    // The second file's epoch raises the watermark to 20: window [0, 10) closes, and the
    // windows show it in the millisecond after that epoch, with no third file to come.
    drop_file(
        &dir.path().join("2.csv"),
        "at
20
",
    );
    wait_until("window [0, 10) shown", PATIENCE, || {
        !seen.lock().unwrap().is_empty()
    });
    shutdown.shutdown();
    run.join().unwrap().unwrap();
    assert_eq!(seen.lock().unwrap()[0], (0, 2));
}

#[test]
fn a_batch_run_reads_everything_as_one_epoch_with_or_without_the_option() {
    let dir = tempfile::tempdir().unwrap();
    drop_file(&dir.path().join("a.csv"), &csv(&["a1", "a2"]));
    drop_file(&dir.path().join("b.csv"), &csv(&["b1"]));
    for epoch_per_file in [false, true] {
        let seen: Seen = Arc::default();
        let record = Arc::clone(&seen);
        let input = dir.path().to_owned();
        Runner::batch()
            .args(args(2))
            .run(move |p| {
                let source =
                    fs::source::<Word>(&input, Format::csv()).epoch_per_file(epoch_per_file);
                let words = p.read(source);
                let record = Arc::clone(&record);
                p.write(
                    words,
                    memory::subscribe(move |w: &Word, epoch, diff| {
                        record.lock().unwrap().push((w.word.clone(), epoch, diff));
                    }),
                );
            })
            .unwrap();
        let epochs = by_epoch(seen.lock().unwrap().clone());
        assert_eq!(
            epochs,
            vec![(0, inserts(&["a1", "a2", "b1"]))],
            "epoch_per_file({epoch_per_file})"
        );
    }
}
