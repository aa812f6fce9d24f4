//! Shared by the file-connector tests: row types, file helpers, and waiting with a deadline.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use pathflow::prelude::*;
use pathflow::Total;

/// A word, counted verbatim.
#[derive(Schema, Clone, Debug)]
pub struct Word {
    pub word: String,
}

/// An order: upserted by `id`.
#[derive(Schema, Clone, Debug)]
pub struct Order {
    #[pathflow(primary_key)]
    pub id: u64,
    pub customer: String,
    pub amount: f64,
    pub at: Timestamp,
}

/// A reading with an optional column and a defaulted one.
#[derive(Schema, Clone, Debug)]
pub struct Reading {
    pub sensor: String,
    pub value: f64,
    pub unit: Option<String>,
    #[pathflow(default)]
    pub flags: u32,
}

/// A word and how often it occurs.
#[derive(Schema, Clone, Debug)]
pub struct WordCount {
    #[pathflow(primary_key)]
    pub word: String,
    pub count: u64,
}

/// Counts words per word: the pipeline most tests run.
pub fn count_words<'s, M: Mode>(words: Table<'s, Word, M>) -> Table<'s, WordCount, M> {
    words.group_by(|w| w.word.clone()).reduce(
        |r| r.count(),
        |word, count| WordCount {
            word: word.clone(),
            count,
        },
    )
}

/// Counts words naively: the reference.
pub fn naive_counts<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<WordCount> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for word in words {
        *counts.entry(word).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(word, count)| WordCount {
            word: word.to_owned(),
            count,
        })
        .collect()
}

/// Makes an order.
pub fn order(id: u64, customer: &str, amount: f64, at: &str) -> Order {
    Order {
        id,
        customer: customer.to_owned(),
        amount,
        at: Timestamp::parse(at).expect("a valid time"),
    }
}

/// Orders sorted by id, with amounts compared exactly.
pub fn by_id(mut orders: Vec<Order>) -> Vec<(u64, String, Total<f64>, i64)> {
    orders.sort_by_key(|o| o.id);
    orders
        .into_iter()
        .map(|o| (o.id, o.customer, Total(o.amount), o.at.millis()))
        .collect()
}

/// Writes `text` to `path` atomically (temporary file, then rename), as a well-behaved
/// producer would.
pub fn drop_file(path: &Path, text: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).expect("write a temporary file");
    std::fs::rename(&temporary, path).expect("rename it into place");
}

/// Appends `text` to `path`.
pub fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for append");
    file.write_all(text.as_bytes()).expect("append");
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

/// Reads a JSON-lines error log.
pub fn error_log(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("read the error log")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}
