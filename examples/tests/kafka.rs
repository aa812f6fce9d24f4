//! The `wordcount` example over Kafka, against a real broker (tansu) that each test starts:
//! batch over a topic equals batch over the same words in a CSV file, and the streaming
//! program, topic to topic, ends at a naive count.
#![cfg(feature = "kafka")]

mod support;

use std::collections::HashMap;
use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::time::Duration;

use pathflow_examples::wordcount;
use support::broker::{consume_until, Broker};
use support::{program, Running};

/// How long a test waits for the counts to show up in a topic.
const PATIENCE: Duration = Duration::from_secs(60);

/// `n` words over a skewed vocabulary: six frequent words, a long tail, four not ASCII.
fn words(n: usize, seed: usize) -> Vec<String> {
    const ODD: [&str; 4] = ["café", "naïve", "straße", "東京"];
    (0..n)
        .map(|i| {
            let k = (i * i + seed * 31 + i * 7) % 101;
            match k {
                0..=3 => ODD[k].to_owned(),
                4..=39 => format!("w{}", k % 6),
                _ => format!("w{k}"),
            }
        })
        .collect()
}

/// The naive reference: each word and how often it occurs.
fn naive(words: &[String]) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    for word in words {
        *counts.entry(word.clone()).or_insert(0) += 1;
    }
    counts
}

/// Produces `words` as JSON messages `{"word": …}`, round-robin over `partitions`.
fn produce(broker: &Broker, topic: &str, words: &[String], partitions: i32) {
    let messages: Vec<(i32, String)> = words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let partition = (i % partitions as usize) as i32;
            (partition, serde_json::json!({ "word": word }).to_string())
        })
        .collect();
    let records: Vec<(i32, Option<&str>, Option<&str>)> = messages
        .iter()
        .map(|(partition, payload)| (*partition, None, Some(payload.as_str())))
        .collect();
    broker.produce(topic, &records);
}

/// The table a stream of `{"word", "count", "time", "diff"}` messages adds up to: each
/// word's count. Checks every message's shape and that no row ends up present twice.
fn fold(payloads: &[String]) -> HashMap<String, u64> {
    let mut rows: HashMap<(String, u64), i64> = HashMap::new();
    for payload in payloads {
        let message: serde_json::Value = serde_json::from_str(payload).expect("a JSON message");
        let object = message.as_object().expect("a JSON object");
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["count", "diff", "time", "word"], "{payload}");
        assert!(message["time"].is_u64(), "{payload}");
        let row = (
            message["word"].as_str().expect("a word").to_owned(),
            message["count"].as_u64().expect("a count"),
        );
        *rows.entry(row).or_insert(0) += message["diff"].as_i64().expect("a diff");
    }
    let mut counts = HashMap::new();
    for ((word, count), diff) in rows {
        match diff {
            0 => {}
            1 => assert!(
                counts.insert(word, count).is_none(),
                "two counts for a word"
            ),
            _ => panic!("`{word},{count}` is in the table {diff} times"),
        }
    }
    counts
}

fn args(flags: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    std::iter::once(OsString::from("wordcount"))
        .chain(flags.iter().map(|flag| flag.as_ref().to_owned()))
        .collect()
}

#[test]
fn batch_over_kafka_equals_batch_over_the_same_words_in_a_csv_file() {
    let broker = Broker::memory();
    broker.create_topic("words", 4);
    let words = words(5000, 1);
    produce(&broker, "words", &words, 4);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("words.csv");
    std::fs::write(&csv, format!("word\n{}\n", words.join("\n"))).unwrap();

    let from_kafka = dir.path().join("from-kafka.csv");
    let code = wordcount::main(args(&[
        &"--kafka-brokers",
        &broker.address(),
        &"--topic",
        &"words",
        &"--output",
        &from_kafka,
        &"--workers",
        &"2",
    ]));
    assert_eq!(code, 0);
    let from_file = dir.path().join("from-file.csv");
    let code = wordcount::main(args(&[
        &"--input",
        &csv,
        &"--output",
        &from_file,
        &"--workers",
        &"2",
    ]));
    assert_eq!(code, 0);

    let from_kafka = std::fs::read_to_string(&from_kafka).unwrap();
    assert_eq!(from_kafka, std::fs::read_to_string(&from_file).unwrap());
    let mut expected: Vec<(String, u64)> = naive(&words).into_iter().collect();
    expected.sort();
    let expected: String = expected
        .iter()
        .map(|(word, count)| format!("{word},{count}\n"))
        .collect();
    assert_eq!(from_kafka, format!("word,count\n{expected}"));
}

#[test]
fn batch_over_kafka_to_a_topic_writes_each_final_count_once() {
    let broker = Broker::memory();
    broker.create_topic("words", 4);
    broker.create_topic("counts", 2);
    let words = words(3000, 2);
    produce(&broker, "words", &words, 4);
    let code = wordcount::main(args(&[
        &"--kafka-brokers",
        &broker.address(),
        &"--topic",
        &"words",
        &"--output-topic",
        &"counts",
        &"--workers",
        &"2",
    ]));
    assert_eq!(code, 0);
    let expected = naive(&words);
    let payloads = consume_until(&broker.address(), "counts", PATIENCE, |payloads| {
        payloads.len() >= expected.len()
    });
    assert_eq!(payloads.len(), expected.len());
    assert_eq!(fold(&payloads), expected);
}

#[test]
fn streaming_kafka_to_kafka_ends_at_the_naive_count_and_stops_on_sigterm() {
    let broker = Broker::memory();
    broker.create_topic("words", 4);
    broker.create_topic("counts", 4);
    let mut written = words(4000, 3);
    produce(&broker, "words", &written, 4);
    let mut child = Running(
        Command::new(program("wordcount"))
            .args(["--kafka-brokers", &broker.address()])
            .args([
                "--topic",
                "words",
                "--output-topic",
                "counts",
                "--streaming",
            ])
            .args(["--workers", "2", "--commit-interval-ms", "20"])
            .env_remove("PATHFLOW_WORKERS")
            .env_remove("PATHFLOW_ON_ERROR")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the example"),
    );
    let expected = naive(&written);
    consume_until(&broker.address(), "counts", PATIENCE, |payloads| {
        fold(payloads) == expected
    });

    let more = words(2000, 4);
    produce(&broker, "words", &more, 4);
    written.extend(more);
    let expected = naive(&written);
    let payloads = consume_until(&broker.address(), "counts", PATIENCE, |payloads| {
        fold(payloads) == expected
    });
    assert!(
        payloads.len() > expected.len(),
        "the second batch of words changes counts: retractions and insertions"
    );

    let status = child.terminate();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("read 6000 rows"), "{stderr}");
}
