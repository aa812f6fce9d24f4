//! Streaming runs over files: files dropped in one at a time, appended to (a partial line
//! included), rewritten and deleted, while the run follows them; the final state must equal
//! a batch run over the files as they end up.

mod files;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use files::{
    append, by_id, count_words, drop_file, naive_counts, order, wait_until, Order, Word, WordCount,
};
use pathflow::memory;
use pathflow::prelude::*;
use pathflow::{RunReport, ShutdownHandle};
use pathflow_connectors::{fs, Format};

const PATIENCE: Duration = Duration::from_secs(20);

fn args(workers: u32) -> RunnerArgs {
    RunnerArgs {
        workers,
        commit_interval_ms: 20,
        ..RunnerArgs::default()
    }
}

/// A streaming word count over `input`, kept in a view and written as a change stream.
struct Live {
    view: memory::SnapshotHandle<WordCount>,
    shutdown: ShutdownHandle,
    run: JoinHandle<pathflow::Result<RunReport>>,
}

impl Live {
    fn start(input: &Path, format: Format, changes: &Path, workers: u32) -> Live {
        Live::start_with(input, format, changes, workers, true)
    }

    /// Starts following, with change events if `watch`, else by polling alone.
    fn start_with(input: &Path, format: Format, changes: &Path, workers: u32, watch: bool) -> Live {
        let (view, sink) = memory::view::<WordCount>();
        let runner = Runner::streaming().args(args(workers));
        let shutdown = runner.shutdown_handle();
        let (input, changes) = (input.to_owned(), changes.to_owned());
        let run = std::thread::spawn(move || {
            runner.run(move |p| {
                let source = fs::source::<Word>(&input, format.clone())
                    .poll_interval(Duration::from_millis(100))
                    .watch(watch);
                let counts = count_words(p.read(source));
                p.write(counts.clone(), sink.clone());
                p.write(counts, fs::changes(&changes, Format::csv()));
            })
        });
        Live {
            view,
            shutdown,
            run,
        }
    }

    fn expect(&self, what: &str, expected: &[WordCount]) {
        wait_until(what, PATIENCE, || self.view.rows() == expected);
    }

    fn stop(self) -> RunReport {
        self.shutdown.shutdown();
        self.run.join().expect("the run thread").expect("the run")
    }
}

/// The words a CSV file with a `word` header holds, complete lines only.
fn words_in(text: &str) -> Vec<String> {
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete.lines().skip(1).map(str::to_owned).collect()
}

/// What the test wrote: each file's content.
#[derive(Default)]
struct Files(BTreeMap<PathBuf, String>);

impl Files {
    fn counts(&self) -> Vec<WordCount> {
        let words: Vec<String> = self.0.values().flat_map(|text| words_in(text)).collect();
        naive_counts(words.iter().map(String::as_str))
    }

    fn create(&mut self, path: &Path, text: &str) {
        drop_file(path, text);
        self.0.insert(path.to_owned(), text.to_owned());
    }

    fn append(&mut self, path: &Path, text: &str) {
        append(path, text);
        self.0.get_mut(path).expect("a known file").push_str(text);
    }

    fn rewrite_in_place(&mut self, path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
        self.0.insert(path.to_owned(), text.to_owned());
    }

    fn delete(&mut self, path: &Path) {
        std::fs::remove_file(path).unwrap();
        self.0.remove(path);
    }
}

/// Sums a change stream per row: the table it ends at. Also checks that times never go
/// back and that within an epoch retractions come before insertions.
fn replay(changes: &Path) -> Vec<WordCount> {
    let text = std::fs::read_to_string(changes).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("word,count,time,diff"));
    let mut table: BTreeMap<(String, u64), i64> = BTreeMap::new();
    let mut last = (0u64, -1i64);
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let [word, count, time, diff] = cells[..] else {
            panic!("a change line with four cells: {line}");
        };
        let (time, diff): (u64, i64) = (time.parse().unwrap(), diff.parse().unwrap());
        assert!(
            (time, diff) >= last,
            "changes out of order at `{line}` after {last:?}"
        );
        last = (time, diff);
        *table
            .entry((word.to_owned(), count.parse().unwrap()))
            .or_default() += diff;
    }
    table
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((word, count), n)| {
            assert_eq!(n, 1, "{word},{count} is in the table {n} times");
            WordCount { word, count }
        })
        .collect()
}

fn batch_counts(input: &Path) -> Vec<WordCount> {
    let (result, sink) = memory::snapshot::<WordCount>();
    let input = input.to_owned();
    Runner::batch()
        .args(args(2))
        .run(move |p| {
            let words = p.read(fs::source::<Word>(&input, Format::csv()));
            p.write(count_words(words), sink.clone());
        })
        .unwrap();
    result.rows()
}

#[test]
fn following_a_directory_ends_where_a_batch_run_over_it_does() {
    for (workers, watch) in [(1, true), (2, true), (1, false)] {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        std::fs::create_dir(&input).unwrap();
        let changes = dir.path().join("changes.csv");
        let (a, b, c) = (
            input.join("a.csv"),
            input.join("b.csv"),
            input.join("c.csv"),
        );
        let mut files = Files::default();
        files.create(&a, "word\napple\nbanana\n");
        // Never read: hidden, backup and temporary files.
        std::fs::write(input.join(".hidden.csv"), "word\nhidden\n").unwrap();
        std::fs::write(input.join("b.csv~"), "word\nbackup\n").unwrap();
        std::fs::write(input.join("upload.tmp"), "word\ntemporary\n").unwrap();

        let live = Live::start_with(&input, Format::csv(), &changes, workers, watch);
        live.expect("the file there at the start", &files.counts());

        files.create(&b, "word\ncherry\napple\n");
        live.expect("a new file", &files.counts());
        files.create(&c, "word\ndate\n");
        live.expect("another new file", &files.counts());

        files.append(&a, "elder\nfig\npart");
        live.expect("lines appended, the partial one waiting", &files.counts());
        assert!(!live.view.rows().iter().any(|w| w.word.starts_with("part")));
        files.append(&a, "ial\n");
        live.expect("the partial line completed", &files.counts());

        files.rewrite_in_place(&b, "word\ngrape\ngrape\n");
        live.expect("a file rewritten in place", &files.counts());
        files.create(&c, "word\nhoneydew\n");
        live.expect("a file replaced by a rename", &files.counts());

        files.delete(&a);
        live.expect("a file deleted", &files.counts());

        live.stop();
        let expected = files.counts();
        assert_eq!(
            batch_counts(&input),
            expected,
            "{workers} workers, watch {watch}"
        );
        assert_eq!(
            replay(&changes),
            expected,
            "{workers} workers, watch {watch}"
        );
    }
}

#[test]
fn following_one_file_sees_appends_and_a_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("words.txt");
    std::fs::write(&path, "").unwrap();
    let changes = dir.path().join("changes.csv");
    let live = Live::start(&path, Format::Text, &changes, 1);
    live.expect("an empty file", &[]);
    append(&path, "a\nb");
    live.expect("one complete line", &naive_counts(["a"]));
    append(&path, "\na\n");
    live.expect("the lines completed", &naive_counts(["a", "b", "a"]));
    std::fs::write(&path, "c\n").unwrap();
    live.expect("the file rewritten", &naive_counts(["c"]));
    std::fs::remove_file(&path).unwrap();
    live.expect("the file deleted", &[]);
    drop_file(&path, "d\nd\n");
    live.expect("the file back", &naive_counts(["d", "d"]));
    let report = live.stop();
    assert_eq!(replay(&changes), naive_counts(["d", "d"]));
    assert_eq!(report.input_errors, 0);
}

#[test]
fn upserts_follow_the_files_and_deleting_the_winner_restores_the_row_before() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders");
    std::fs::create_dir(&input).unwrap();
    let (view, sink) = memory::view::<Order>();
    let runner = Runner::streaming().args(args(2));
    let shutdown = runner.shutdown_handle();
    let source_dir = input.clone();
    let run = std::thread::spawn(move || {
        runner.run(move |p| {
            let source = fs::source::<Order>(&source_dir, Format::JsonLines)
                .poll_interval(Duration::from_millis(100));
            let orders = p.read(source);
            p.write(orders, sink.clone());
        })
    });
    let current = || by_id(view.rows());
    drop_file(
        &input.join("1.jsonl"),
        "{\"id\":1,\"customer\":\"ann\",\"amount\":10,\"at\":\"2024-01-01T00:00:00Z\"}\n\
         {\"id\":2,\"customer\":\"bob\",\"amount\":2.5,\"at\":1704067200000}\n",
    );
    let first = by_id(vec![
        order(1, "ann", 10.0, "2024-01-01T00:00:00Z"),
        order(2, "bob", 2.5, "2024-01-01T00:00:00Z"),
    ]);
    wait_until("the first orders", PATIENCE, || current() == first);
    drop_file(
        &input.join("2.jsonl"),
        "{\"id\":1,\"customer\":\"ann\",\"amount\":12.25,\"at\":\"2024-01-03T00:00:00Z\"}\n",
    );
    let updated = by_id(vec![
        order(1, "ann", 12.25, "2024-01-03T00:00:00Z"),
        order(2, "bob", 2.5, "2024-01-01T00:00:00Z"),
    ]);
    wait_until("order 1 replaced", PATIENCE, || current() == updated);
    std::fs::remove_file(input.join("2.jsonl")).unwrap();
    wait_until("order 1 restored", PATIENCE, || current() == first);
    shutdown.shutdown();
    run.join().unwrap().unwrap();
}

#[test]
fn following_a_missing_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let (_, sink) = memory::view::<Word>();
    let error = Runner::streaming()
        .args(args(1))
        .run(move |p| {
            let words = p.read(fs::source::<Word>(&missing, Format::csv()));
            p.write(words, sink.clone());
        })
        .unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert!(error.to_string().contains("does not exist"), "{error}");
}
