//! The Kafka connector against a real broker (tansu), started by the tests themselves.
#![cfg(feature = "kafka")]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use pathflow::memory;
use pathflow::prelude::*;
use pathflow::{Error, ErrorPolicy, ShutdownHandle};
use pathflow_connectors::kafka::{self, KafkaConfig, Payload};
use support::broker::{consume_until, Broker};

#[derive(Schema, Clone, Debug)]
struct Word {
    word: String,
}

#[derive(Schema, Clone, Debug)]
struct WordCount {
    #[pathflow(primary_key)]
    word: String,
    count: u64,
}

#[derive(Schema, Clone, Debug)]
struct Customer {
    #[pathflow(primary_key)]
    id: u64,
    name: String,
}

fn counts<'s, M: Mode>(words: Table<'s, Word, M>) -> Table<'s, WordCount, M> {
    words.group_by(|w| w.word.clone()).reduce(
        |r| r.count(),
        |word, count| WordCount {
            word: word.clone(),
            count,
        },
    )
}

fn args(workers: u32) -> RunnerArgs {
    RunnerArgs {
        workers,
        commit_interval_ms: 20,
        ..RunnerArgs::default()
    }
}

/// `n` words over a small vocabulary, as `(partition, payload)` over `partitions`.
fn words(n: usize, seed: usize, partitions: i32) -> Vec<(i32, String)> {
    (0..n)
        .map(|i| {
            let word = format!("w{}", (i * 7 + seed * 13) % 37);
            (
                (i % partitions as usize) as i32,
                format!(r#"{{"word":"{word}"}}"#),
            )
        })
        .collect()
}

fn reference(messages: &[(i32, String)]) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for (_, payload) in messages {
        let value: serde_json::Value = serde_json::from_str(payload).unwrap();
        *counts
            .entry(value["word"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    counts
}

fn produce(broker: &Broker, topic: &str, messages: &[(i32, String)]) {
    let refs: Vec<(i32, Option<&str>, Option<&str>)> = messages
        .iter()
        .map(|(p, m)| (*p, None, Some(m.as_str())))
        .collect();
    broker.produce(topic, &refs);
}

/// The table a change stream of `{"word","count","time","diff"}` messages adds up to.
fn state(payloads: &[String]) -> BTreeMap<String, i64> {
    let mut rows: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for payload in payloads {
        let value: serde_json::Value = serde_json::from_str(payload).unwrap();
        let key = (
            value["word"].as_str().unwrap().to_owned(),
            value["count"].as_i64().unwrap(),
        );
        *rows.entry(key).or_insert(0) += value["diff"].as_i64().unwrap();
    }
    rows.into_iter()
        .filter(|(_, diff)| *diff != 0)
        .map(|((word, count), diff)| {
            assert_eq!(diff, 1, "a row present more than once: {word} {count}");
            (word, count)
        })
        .collect()
}

/// Starts a streaming word count from topic `input` to topic `output` on `workers`.
fn spawn_word_count(
    workers: u32,
    address: String,
    input: &'static str,
    output: &'static str,
) -> (
    ShutdownHandle,
    std::thread::JoinHandle<pathflow::Result<pathflow::RunReport>>,
) {
    let runner = Runner::streaming().args(args(workers));
    let shutdown = runner.shutdown_handle();
    let job = std::thread::spawn(move || {
        runner.run(move |p| {
            let words = p.read(kafka::source::<Word>(
                KafkaConfig::new(&address, input),
                Payload::Json,
            ));
            p.write(
                counts(words),
                kafka::sink(KafkaConfig::new(&address, output), Payload::Json),
            );
        })
    });
    (shutdown, job)
}

#[test]
fn streaming_kafka_to_kafka_matches_reference() {
    let broker = Broker::memory();
    broker.create_topic("words", 4);
    broker.create_topic("counts", 4);
    let first = words(2000, 1, 4);
    produce(&broker, "words", &first);

    let (shutdown, job) = spawn_word_count(2, broker.address(), "words", "counts");
    let expected = reference(&first);
    consume_until(&broker.address(), "counts", Duration::from_secs(60), |p| {
        state(p) == expected
    });

    let second = words(1000, 2, 4);
    produce(&broker, "words", &second);
    let mut all = first.clone();
    all.extend(second);
    let expected = reference(&all);
    consume_until(&broker.address(), "counts", Duration::from_secs(60), |p| {
        state(p) == expected
    });

    shutdown.shutdown();
    job.join().unwrap().expect("the streaming run ends cleanly");
}

#[test]
fn batch_over_kafka_equals_batch_over_rows() {
    let broker = Broker::memory();
    broker.create_topic("batch-words", 4);
    let messages = words(3000, 3, 4);
    produce(&broker, "batch-words", &messages);

    let (from_kafka, sink) = memory::snapshot::<WordCount>();
    let address = broker.address();
    let report = Runner::batch()
        .args(args(2))
        .run(move |p| {
            let words = p.read(kafka::source::<Word>(
                KafkaConfig::new(&address, "batch-words"),
                Payload::Json,
            ));
            p.write(counts(words), sink.clone());
        })
        .unwrap();
    assert_eq!(report.rows_in.values().sum::<u64>(), 3000);

    let rows: Vec<Word> = messages
        .iter()
        .map(|(_, m)| Word {
            word: serde_json::from_str::<serde_json::Value>(m).unwrap()["word"]
                .as_str()
                .unwrap()
                .to_owned(),
        })
        .collect();
    let (from_rows, sink) = memory::snapshot::<WordCount>();
    Runner::batch()
        .args(args(1))
        .run(move |p| {
            let words = p.read(memory::rows(rows.clone()));
            p.write(counts(words), sink.clone());
        })
        .unwrap();
    assert_eq!(from_kafka.rows(), from_rows.rows());
    let expected: Vec<(String, u64)> = reference(&messages)
        .into_iter()
        .map(|(w, c)| (w, c as u64))
        .collect();
    let got: Vec<(String, u64)> = from_kafka
        .rows()
        .into_iter()
        .map(|r| (r.word, r.count))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn debezium_changes_give_the_right_table() {
    let broker = Broker::memory();
    broker.create_topic("customers", 2);
    let event = |op: &str, before: &str, after: &str| {
        format!(r#"{{"before":{before},"after":{after},"op":"{op}","ts_ms":0}}"#)
    };
    let wrapped = |op: &str, before: &str, after: &str| {
        format!(
            r#"{{"schema":{{"type":"struct"}},"payload":{}}}"#,
            event(op, before, after)
        )
    };
    let ann = r#"{"id":1,"name":"Ann"}"#;
    let anne = r#"{"id":1,"name":"Anne"}"#;
    let bob = r#"{"id":2,"name":"Bob"}"#;
    let cy = r#"{"id":3,"name":"Cy"}"#;
    let dee = r#"{"id":4,"name":"Dee"}"#;
    let messages = [
        (0, Some("1"), Some(event("r", "null", ann))),
        (1, Some("2"), Some(event("c", "null", bob))),
        (0, Some("1"), Some(wrapped("u", ann, anne))),
        (1, Some("2"), Some(event("d", bob, "null"))),
        (1, Some("2"), None),
        (0, Some("3"), Some(event("c", "null", cy))),
        (0, Some("3"), None),
        (1, Some("4"), Some(wrapped("c", "null", dee))),
    ];
    let refs: Vec<(i32, Option<&str>, Option<&str>)> = messages
        .iter()
        .map(|(p, k, m)| (*p, *k, m.as_deref()))
        .collect();
    broker.produce("customers", &refs);

    let (table, sink) = memory::snapshot::<Customer>();
    let address = broker.address();
    Runner::batch()
        .args(args(2))
        .run(move |p| {
            let customers = p.read(kafka::source::<Customer>(
                KafkaConfig::new(&address, "customers"),
                Payload::Debezium,
            ));
            p.write(customers, sink.clone());
        })
        .unwrap();
    let got: Vec<(u64, String)> = table.rows().into_iter().map(|c| (c.id, c.name)).collect();
    assert_eq!(got, vec![(1, "Anne".to_owned()), (4, "Dee".to_owned())]);
}

#[test]
fn undecodable_messages_are_logged_or_stop_the_run() {
    let broker = Broker::memory();
    broker.create_topic("dirty", 1);
    broker.produce(
        "dirty",
        &[
            (0, None, Some(r#"{"word":"a"}"#)),
            (0, None, Some("not json")),
            (0, None, Some(r#"{"word":"b"}"#)),
            (0, None, Some(r#"{"other":1}"#)),
        ],
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let (table, sink) = memory::snapshot::<WordCount>();
    let address = broker.address();
    let report = Runner::batch()
        .args(RunnerArgs {
            error_log: Some(log.path().to_owned()),
            ..args(1)
        })
        .run(move |p| {
            let words = p.read(kafka::source::<Word>(
                KafkaConfig::new(&address, "dirty"),
                Payload::Json,
            ));
            p.write(counts(words), sink.clone());
        })
        .unwrap();
    let got: Vec<(String, u64)> = table
        .rows()
        .into_iter()
        .map(|r| (r.word, r.count))
        .collect();
    assert_eq!(got, vec![("a".to_owned(), 1), ("b".to_owned(), 1)]);
    assert_eq!(report.input_errors, 2);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(log.path())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["position"], "dirty/0@1");
    assert_eq!(lines[0]["raw"], "not json");
    assert_eq!(lines[1]["position"], "dirty/0@3");

    let address = broker.address();
    let error = Runner::batch()
        .args(RunnerArgs {
            on_error: ErrorPolicy::Fail,
            ..args(1)
        })
        .run(move |p| {
            let words = p.read(kafka::source::<Word>(
                KafkaConfig::new(&address, "dirty"),
                Payload::Json,
            ));
            p.write(counts(words), memory::snapshot::<WordCount>().1);
        })
        .unwrap_err();
    match &error {
        Error::BadInput { position, .. } => assert_eq!(position, "dirty/0@1"),
        other => panic!("expected a bad-input error, got {other}"),
    }
    assert_eq!(error.exit_code(), 1);
}

#[test]
fn a_broker_restarted_mid_run_loses_nothing() {
    let storage = tempfile::tempdir().unwrap();
    let mut broker = Broker::sqlite(storage.path());
    broker.create_topic("durable-words", 2);
    broker.create_topic("durable-counts", 2);
    let first = words(500, 4, 2);
    produce(&broker, "durable-words", &first);

    let (shutdown, job) = spawn_word_count(2, broker.address(), "durable-words", "durable-counts");
    let expected = reference(&first);
    consume_until(
        &broker.address(),
        "durable-counts",
        Duration::from_secs(60),
        |p| state(p) == expected,
    );

    broker.restart();
    let second = words(500, 5, 2);
    produce(&broker, "durable-words", &second);
    let mut all = first.clone();
    all.extend(second);
    let expected = reference(&all);
    consume_until(
        &broker.address(),
        "durable-counts",
        Duration::from_secs(120),
        |p| state(p) == expected,
    );

    shutdown.shutdown();
    job.join().unwrap().expect("the streaming run ends cleanly");
}

#[test]
fn a_broker_down_at_start_is_waited_for() {
    let port = Broker::reserve_port();
    let address = format!("127.0.0.1:{port}");
    let (shutdown, job) = spawn_word_count(1, address.clone(), "late-words", "late-counts");
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !job.is_finished(),
        "the run must wait for the broker, not give up"
    );
    let broker = Broker::memory_on(port);
    broker.create_topic("late-words", 2);
    broker.create_topic("late-counts", 2);
    let messages = words(300, 6, 2);
    produce(&broker, "late-words", &messages);
    let expected = reference(&messages);
    consume_until(&address, "late-counts", Duration::from_secs(60), |p| {
        state(p) == expected
    });
    shutdown.shutdown();
    job.join().unwrap().expect("the streaming run ends cleanly");
}

#[test]
fn message_keys_fill_the_primary_key_and_start_selects_messages() {
    let broker = Broker::memory();
    broker.create_topic("keyed", 1);
    broker.produce(
        "keyed",
        &[
            (0, Some("1"), Some(r#"{"name":"Ann"}"#)),
            (0, Some("2"), Some(r#"{"name":"Bob"}"#)),
        ],
    );
    std::thread::sleep(Duration::from_millis(20));
    let middle = pathflow::Timestamp::now().millis();
    std::thread::sleep(Duration::from_millis(20));
    broker.produce(
        "keyed",
        &[
            (0, Some("1"), Some(r#"{"name":"Anne"}"#)),
            (0, Some("3"), Some(r#"{"name":"Cy"}"#)),
        ],
    );

    let read = |start: kafka::Start| {
        let (table, sink) = memory::snapshot::<Customer>();
        let address = broker.address();
        Runner::batch()
            .args(args(1))
            .run(move |p| {
                let config = KafkaConfig::new(&address, "keyed").start(start);
                let customers = p.read(kafka::source::<Customer>(config, Payload::Json));
                p.write(customers, sink.clone());
            })
            .unwrap();
        table
            .rows()
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        read(kafka::Start::Earliest),
        vec![(1, "Anne".into()), (2, "Bob".into()), (3, "Cy".into())]
    );
    assert_eq!(
        read(kafka::Start::Timestamp(middle)),
        vec![(1, "Anne".into()), (3, "Cy".into())]
    );
}

#[test]
fn csv_payloads_are_read_and_written_like_csv_files() {
    let broker = Broker::memory();
    broker.create_topic("csv-customers", 2);
    broker.create_topic("csv-out", 1);
    broker.produce(
        "csv-customers",
        &[
            (0, None, Some("1;\"Ann; \"\"the\"\" first\"")),
            (1, None, Some("2;Bob")),
            (0, None, Some("3;Cy;extra")),
            (0, None, Some("1;Anne")),
        ],
    );
    let csv = Payload::Csv { delimiter: b';' };
    let (table, sink) = memory::snapshot::<Customer>();
    let address = broker.address();
    let report = Runner::batch()
        .args(args(2))
        .run(move |p| {
            let customers = p.read(kafka::source::<Customer>(
                KafkaConfig::new(&address, "csv-customers"),
                csv,
            ));
            p.write(customers.clone(), sink.clone());
            p.write(
                customers,
                kafka::sink(KafkaConfig::new(&address, "csv-out"), csv),
            );
        })
        .unwrap();
    assert_eq!(report.input_errors, 1);
    let got: Vec<(u64, String)> = table.rows().into_iter().map(|c| (c.id, c.name)).collect();
    assert_eq!(got, vec![(1, "Anne".to_owned()), (2, "Bob".to_owned())]);

    let mut payloads = consume_until(&broker.address(), "csv-out", Duration::from_secs(30), |p| {
        p.len() >= 2
    });
    payloads.sort();
    assert_eq!(payloads, ["1;Anne;0;1", "2;Bob;0;1"]);
}
