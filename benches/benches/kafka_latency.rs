//! Streaming word count Kafka → pipeline → Kafka through a local tansu broker: the latency
//! from a message's producer timestamp to the first output message that reflects it, at
//! fixed offered rates, on 1 and 2 workers, once a warm-up word has gone through; then the
//! highest rate sustained.
//!
//! `cargo bench -p pathflow-benches --features kafka --bench kafka_latency [-- --seconds S]`
//! Needs `tansu` (scripts/test.sh installs it). Not part of `cargo test`.

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pathflow::prelude::*;
use pathflow_connectors::kafka::{self, KafkaConfig, Payload, Start};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

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

pipeline! {
    /// Occurrences per word.
    fn counts(words: Table<Word>) -> Table<WordCount> {
        words.group_by(word).reduce(WordCount { word, count: count() })
    }
}

const PARTITIONS: u32 = 4;
const VOCABULARY: usize = 1000;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A tansu broker on a free port, killed on drop (it ignores SIGTERM).
struct Broker(Child, String);

impl Broker {
    fn start() -> Broker {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let url = format!("tcp://127.0.0.1:{port}");
        let tansu = std::env::var("PATHFLOW_TANSU").unwrap_or_else(|_| "tansu".to_owned());
        let child = Command::new(&tansu)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start `{tansu}` (scripts/test.sh installs it): {e}")
            });
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let broker = Broker(child, format!("127.0.0.1:{port}"));
        for topic in ["words", "counts"] {
            let status = Command::new(&tansu)
                .args([
                    "topic",
                    "create",
                    "--broker",
                    &url,
                    "--partitions",
                    &PARTITIONS.to_string(),
                    topic,
                ])
                .stdout(Stdio::null())
                .status()
                .expect("tansu topic create");
            assert!(status.success());
        }
        broker
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Latencies of one run, in milliseconds, and whether the pipeline kept up.
struct Measured {
    latencies: Vec<i64>,
    produced: usize,
    reflected: usize,
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return -1;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Offers `rate` messages/s for `seconds` to a fresh broker and pipeline on `workers`.
fn measure(rate: usize, seconds: u64, workers: u32) -> Measured {
    let broker = Broker::start();
    let address = broker.1.clone();
    let runner = Runner::streaming().args(RunnerArgs {
        workers,
        commit_interval_ms: 10,
        ..RunnerArgs::default()
    });
    let shutdown = runner.shutdown_handle();
    let job_address = address.clone();
    let job = std::thread::spawn(move || {
        runner.run(move |p| {
            let source = KafkaConfig::new(&job_address, "words").start(Start::Earliest);
            let words = p.read(kafka::source::<Word>(source, Payload::Json));
            p.write(
                counts(words),
                kafka::sink(KafkaConfig::new(&job_address, "counts"), Payload::Json),
            );
        })
    });

    // The reader: for each word, when each count was first seen.
    let reading = Arc::new(AtomicBool::new(true));
    let reader_flag = Arc::clone(&reading);
    let warm = Arc::new(AtomicBool::new(false));
    let reader_warm = Arc::clone(&warm);
    let reader_address = address.clone();
    let reader = std::thread::spawn(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &reader_address)
            .set("group.id", "latency-reader")
            .set("fetch.wait.max.ms", "5")
            .create()
            .expect("consumer");
        let mut assignment = TopicPartitionList::new();
        for partition in 0..PARTITIONS as i32 {
            assignment
                .add_partition_offset("counts", partition, Offset::Beginning)
                .expect("partition");
        }
        consumer.assign(&assignment).expect("assign");
        let mut first_seen: HashMap<String, Vec<(u64, i64)>> = HashMap::new();
        while reader_flag.load(Ordering::Relaxed) {
            if let Some(Ok(message)) = consumer.poll(Duration::from_millis(5)) {
                reader_warm.store(true, Ordering::Relaxed);
                let at = now_ms();
                let value: serde_json::Value =
                    serde_json::from_slice(message.payload().unwrap_or_default()).expect("json");
                if value["diff"].as_i64() == Some(1) {
                    let word = value["word"].as_str().unwrap_or_default().to_owned();
                    first_seen
                        .entry(word)
                        .or_default()
                        .push((value["count"].as_u64().unwrap_or(0), at));
                }
            }
        }
        first_seen
    });

    // The producer: message i is word i mod VOCABULARY, its k-th occurrence (k = i / V + 1).
    // A 5 ms linger: with 1 ms, tansu falls behind the produce requests at 20,000 msg/s
    // and the offered load itself arrives up to a second late.
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &address)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    // Warm up: the measured load starts once a first word has gone all the way through, so
    // that connecting and assigning partitions are not counted as latency.
    let warm_up: BaseRecord<'_, (), str> = BaseRecord::to("words").payload(r#"{"word":"warm-up"}"#);
    producer.send(warm_up).map_err(|(e, _)| e).expect("warm-up");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !warm.load(Ordering::Relaxed) {
        assert!(Instant::now() < deadline, "the pipeline did not start");
        producer.poll(Duration::from_millis(10));
    }
    let total = rate * seconds as usize;
    let mut sent_at = Vec::with_capacity(total);
    let started = Instant::now();
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let payload = format!(r#"{{"word":"w{}"}}"#, i % VOCABULARY);
        let at = now_ms();
        let mut record: BaseRecord<'_, (), String> = BaseRecord::to("words")
            .partition((i % PARTITIONS as usize) as i32)
            .payload(&payload)
            .timestamp(at);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, returned)) => {
                    producer.poll(Duration::from_millis(1));
                    record = returned;
                }
            }
        }
        producer.poll(Duration::ZERO);
        sent_at.push(at);
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
    // Let the pipeline drain, then stop everything.
    std::thread::sleep(Duration::from_secs(3));
    shutdown.shutdown();
    job.join().expect("job").expect("run");
    reading.store(false, Ordering::Relaxed);
    let first_seen = reader.join().expect("reader");

    let mut latencies = Vec::with_capacity(total);
    for (i, at) in sent_at.iter().enumerate() {
        let word = format!("w{}", i % VOCABULARY);
        let occurrence = (i / VOCABULARY + 1) as u64;
        let seen = first_seen.get(&word).and_then(|seen| {
            seen.iter()
                .filter(|(count, _)| *count >= occurrence)
                .map(|(_, t)| *t)
                .min()
        });
        if let Some(seen) = seen {
            latencies.push(seen - at);
        }
    }
    let reflected = latencies.len();
    latencies.sort_unstable();
    Measured {
        latencies,
        produced: total,
        reflected,
    }
}

fn main() {
    let mut seconds = 10;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            seconds = args
                .next()
                .and_then(|s| s.parse().ok())
                .expect("--seconds N");
        }
    }
    println!("| workers | offered msg/s | p50 ms | p95 ms | p99 ms | reflected |");
    println!("|---|---|---|---|---|---|");
    for workers in [1, 2] {
        let mut sustained = 0;
        for rate in [5_000, 10_000, 20_000, 40_000, 80_000] {
            let m = measure(rate, seconds, workers);
            let (p50, p95, p99) = (
                percentile(&m.latencies, 0.5),
                percentile(&m.latencies, 0.95),
                percentile(&m.latencies, 0.99),
            );
            println!(
                "| {workers} | {rate} | {p50} | {p95} | {p99} | {}/{} |",
                m.reflected, m.produced
            );
            if m.reflected == m.produced && p95 < 1000 {
                sustained = rate;
            } else {
                break;
            }
        }
        println!("\nworkers {workers}: highest sustained offered rate (all reflected, p95 < 1 s): {sustained} msg/s\n");
    }
}
