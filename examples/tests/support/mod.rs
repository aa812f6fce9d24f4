//! Shared by the examples' tests: naive references, change-stream replay, file helpers,
//! waiting with a deadline, the example programs, and (feature `kafka`) the connectors'
//! real-broker harness.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// A real Kafka-protocol broker (tansu) per test: the connectors' harness, shared.
#[cfg(feature = "kafka")]
#[path = "../../../pathflow-connectors/tests/support/broker.rs"]
pub mod broker;

/// How long a test waits for a streaming run to catch up before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The example program `name`, built by `cargo test` next to the test binaries.
pub fn program(name: &str) -> PathBuf {
    let deps = std::env::current_exe().expect("the test binary's path");
    let profile = deps
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let path = profile.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run the tests with `cargo test -p pathflow-examples`, which builds \
         the examples, or build them with `cargo build -p pathflow-examples --examples`",
        path.display()
    );
    path
}

/// A running example program, killed when dropped so a failing test leaves no process
/// behind.
pub struct Running(pub Child);

impl Running {
    /// Sends SIGTERM and waits for the exit, failing the test after 10 s.
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.0.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.0.try_wait().expect("wait for the example") {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit 10 s after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `done` holds, checking every 20 ms; panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writes `text` to `path` through a temporary file and a rename.
pub fn drop_file(path: &Path, text: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).expect("write a temporary file");
    std::fs::rename(&temporary, path).expect("rename it into place");
}

/// What a test wrote into a followed directory, per file, in name order: the input a
/// naive reference reads to know what the run should end with.
#[derive(Default)]
pub struct Written(BTreeMap<PathBuf, String>);

impl Written {
    /// The texts of the files there now, in name order.
    pub fn files(&self) -> impl Iterator<Item = &String> {
        self.0.values()
    }
    /// Drops a new file `path` holding `text`.
    pub fn create(&mut self, path: &Path, text: &str) {
        drop_file(path, text);
        self.0.insert(path.to_owned(), text.to_owned());
    }
    /// Appends `text` to `path`.
    pub fn append(&mut self, path: &Path, text: &str) {
        append(path, text);
        self.0
            .get_mut(path)
            .expect("a file written before")
            .push_str(text);
    }
    /// Replaces the contents of `path` with `text`.
    pub fn rewrite(&mut self, path: &Path, text: &str) {
        std::fs::write(path, text).expect("rewrite");
        self.0.insert(path.to_owned(), text.to_owned());
    }
    /// Deletes `path`.
    pub fn delete(&mut self, path: &Path) {
        std::fs::remove_file(path).expect("delete");
        self.0.remove(path);
    }
}

/// Appends `text` to `path`.
pub fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .expect("append");
}

/// The data lines (after the header) of the complete lines of CSV `text`, split on commas
/// (test data holds no quotes).
pub fn records(text: &str) -> Vec<Vec<String>> {
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete
        .lines()
        .skip(1)
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect()
}

/// The table a change stream (CSV with `time,diff` last) ends at, as sorted lines of the
/// row's cells. Checks that times never go back and that within an epoch retractions come
/// first.
pub fn replay(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut table: BTreeMap<String, i64> = BTreeMap::new();
    let mut last = (0u64, -1i64);
    for line in text.lines().skip(1) {
        let mut cells: Vec<&str> = line.split(',').collect();
        let diff: i64 = cells.pop().unwrap().parse().unwrap();
        let time: u64 = cells.pop().unwrap().parse().unwrap();
        assert!((time, diff) >= last, "changes out of order at `{line}`");
        last = (time, diff);
        *table.entry(cells.join(",")).or_default() += diff;
    }
    table
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|(row, n)| {
            assert_eq!(n, 1, "`{row}` is in the table {n} times");
            row
        })
        .collect()
}

/// The data lines of a snapshot file, in file order.
pub fn snapshot_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("read the output")
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

/// Reads a JSON-lines error log.
pub fn error_log(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("read the error log")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// `word,count` lines for the words of `texts` (CSV files whose header holds `word`; only
/// complete lines count), sorted by word: the naive reference of word count.
pub fn naive_word_counts<'a>(texts: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for text in texts {
        let header: Vec<&str> = text.lines().next().unwrap_or("").split(',').collect();
        let column = header
            .iter()
            .position(|h| *h == "word")
            .expect("a word column");
        for record in records(text) {
            *counts.entry(record[column].clone()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(word, count)| format!("{word},{count}"))
        .collect()
}

/// `customer,total,orders` lines for the orders CSV `texts` (`id,customer,amount,at`), read
/// in the order given: the last row of an id wins, amounts above zero are summed per
/// customer. Floats are added in `f64`, so give amounts whose sums are exact in binary
/// (or at most two per customer, whose one addition is correctly rounded).
pub fn naive_totals<'a>(texts: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut orders: BTreeMap<u64, (String, f64)> = BTreeMap::new();
    for text in texts {
        for record in records(text) {
            let id = record[0].parse().expect("an id");
            orders.insert(
                id,
                (record[1].clone(), record[2].parse().expect("an amount")),
            );
        }
    }
    let mut totals: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    for (customer, amount) in orders.into_values() {
        if amount > 0.0 {
            let total = totals.entry(customer).or_insert((0.0, 0));
            total.0 += amount;
            total.1 += 1;
        }
    }
    totals
        .into_iter()
        .map(|(customer, (total, orders))| format!("{customer},{total:?},{orders}"))
        .collect()
}
