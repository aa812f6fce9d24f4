//! The Kafka source: partitions assigned to workers, read with a polling consumer.

use std::collections::{HashMap, VecDeque};
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use pathflow::errors::InputError;
use pathflow::schema::Schema;
use pathflow::source::{Poll, Source, SourceContext, SourceOutput, SourceReader};
use pathflow::{Error, Mode, Result};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::kafka::config::{KafkaConfig, Start};
use crate::kafka::payload::{decode, Change, Payload};

/// How many messages one poll reads at most.
const POLL_BATCH: usize = 4096;
/// How long a metadata or offset request may block a worker.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Reads rows of `T` from Kafka. Streaming follows the topics; batch reads up to the end
/// offsets seen at start.
///
/// ```no_run
/// use pathflow::prelude::*;
/// use pathflow_connectors::kafka::{self, KafkaConfig, Payload};
/// # #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
/// # struct Word { word: String }
/// # fn demo<T: Schema>() {
/// let source = kafka::source::<T>(KafkaConfig::new("localhost:9092", "words"), Payload::Json);
/// # }
/// ```
pub fn source<T: Schema>(config: KafkaConfig, payload: Payload) -> KafkaSource<T> {
    KafkaSource {
        config,
        payload,
        row: PhantomData,
    }
}

/// The source made by [`source`].
#[derive(Clone, Debug)]
pub struct KafkaSource<T> {
    config: KafkaConfig,
    payload: Payload,
    row: PhantomData<fn() -> T>,
}

impl<T: Schema> KafkaSource<T> {
    fn open_reader(self, context: &SourceContext) -> Result<Box<dyn SourceReader<T>>> {
        let name = format!("kafka:{}", self.config.topics.join(","));
        // A broker may hold a fetch until its maximum wait even when data is there: keep the
        // wait short so latency stays low (override with `fetch.wait.max.ms`).
        let mut client = self.config.client_config(&[("fetch.wait.max.ms", "5")]);
        client
            .set("group.id", &self.config.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set(
                "enable.partition.eof",
                if context.streaming { "false" } else { "true" },
            );
        let consumer: BaseConsumer = client
            .create()
            .map_err(|e| Error::connector(&name, self.config.redact(&e.to_string())))?;
        Ok(Box::new(KafkaReader::<T> {
            name,
            config: self.config,
            payload: self.payload,
            consumer,
            worker: context.worker,
            workers: context.workers,
            streaming: context.streaming,
            state: ReaderState::Connecting {
                next_attempt: Instant::now(),
                backoff: Duration::from_millis(100),
            },
            by_key: HashMap::new(),
            by_row: HashMap::new(),
            next_offset: HashMap::new(),
            closed_epochs: VecDeque::new(),
        }))
    }
}

/// Kafka supports both modes: streaming follows the topics, batch stops at the end offsets
/// seen at start.
impl<M: Mode, T: Schema> Source<M> for KafkaSource<T> {
    type Row = T;
    fn name(&self) -> String {
        format!("kafka:{}", self.config.topics.join(","))
    }
    fn open(self, context: &SourceContext) -> Result<Box<dyn SourceReader<T>>> {
        self.open_reader(context)
    }
}

/// The next offset to read, per topic and partition.
type Offsets = HashMap<(String, i32), i64>;

enum ReaderState {
    /// Waiting for the brokers to answer the metadata request.
    Connecting {
        next_attempt: Instant,
        backoff: Duration,
    },
    /// Assigned and reading; in batch mode, up to these end offsets.
    Reading { ends: HashMap<(String, i32), i64> },
    /// Nothing assigned to this worker, or batch input read to the end.
    Done,
}

struct KafkaReader<T: Schema> {
    name: String,
    config: KafkaConfig,
    payload: Payload,
    consumer: BaseConsumer,
    worker: usize,
    workers: usize,
    streaming: bool,
    state: ReaderState,
    /// The live row of each primary key and the offset it was inserted at.
    by_key: HashMap<T::Key, (T, u64)>,
    /// For schemas without a key: the offsets of each live row (Debezium deletes).
    by_row: HashMap<T, Vec<u64>>,
    /// The next offset to read per partition: what an epoch's commit records.
    next_offset: Offsets,
    /// Epochs closed, with the offsets read by then, waiting to be committed.
    closed_epochs: VecDeque<(u64, Offsets)>,
}

/// The position of a message within the source: partition in the high bits, offset below,
/// so a key's messages (one partition) keep their order.
fn position(partition: i32, offset: i64) -> u64 {
    ((partition as u64) << 44) | (offset as u64 & ((1 << 44) - 1))
}

impl<T: Schema> KafkaReader<T> {
    /// Fetches metadata, assigns this worker's partitions and seeks them to the start.
    fn connect(&mut self) -> Result<ReaderState, String> {
        let mut assignment = TopicPartitionList::new();
        let mut global = 0usize;
        let mut ends = HashMap::new();
        for topic in &self.config.topics {
            let metadata = self
                .consumer
                .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
                .map_err(|e| format!("cannot fetch metadata for topic `{topic}`: {e}"))?;
            let partitions = metadata
                .topics()
                .first()
                .filter(|t| t.error().is_none())
                .map(|t| t.partitions().len())
                .unwrap_or(0);
            if partitions == 0 {
                return Err(format!(
                    "topic `{topic}` does not exist (or has no partitions); create it first"
                ));
            }
            for partition in 0..partitions as i32 {
                if global % self.workers == self.worker {
                    let offset = match self.config.start {
                        Start::Earliest => Offset::Beginning,
                        Start::Latest => Offset::End,
                        Start::Timestamp(ms) => {
                            Offset::Offset(self.offset_for_time(topic, partition, ms)?)
                        }
                    };
                    assignment
                        .add_partition_offset(topic, partition, offset)
                        .map_err(|e| e.to_string())?;
                    if !self.streaming {
                        let (_, high) = self
                            .consumer
                            .fetch_watermarks(topic, partition, REQUEST_TIMEOUT)
                            .map_err(|e| {
                                format!("cannot read the end offset of {topic}/{partition}: {e}")
                            })?;
                        ends.insert((topic.clone(), partition), high);
                    }
                }
                global += 1;
            }
        }
        if assignment.count() == 0 {
            return Ok(ReaderState::Done);
        }
        self.consumer
            .assign(&assignment)
            .map_err(|e| format!("cannot assign partitions: {e}"))?;
        if !self.streaming {
            // Partitions already at their end (or empty) need no reading.
            let starts = self.start_offsets(&ends)?;
            ends.retain(|key, high| starts.get(key).is_some_and(|low| low < high));
            if ends.is_empty() {
                return Ok(ReaderState::Done);
            }
        }
        Ok(ReaderState::Reading { ends })
    }

    fn offset_for_time(&self, topic: &str, partition: i32, ms: i64) -> Result<i64, String> {
        let mut query = TopicPartitionList::new();
        query
            .add_partition_offset(topic, partition, Offset::Offset(ms))
            .map_err(|e| e.to_string())?;
        let found = self
            .consumer
            .offsets_for_times(query, REQUEST_TIMEOUT)
            .map_err(|e| format!("cannot look up offsets by time: {e}"))?;
        let offset = found
            .elements()
            .first()
            .map(|e| e.offset())
            .unwrap_or(Offset::End);
        match offset {
            Offset::Offset(offset) => Ok(offset),
            _ => self
                .consumer
                .fetch_watermarks(topic, partition, REQUEST_TIMEOUT)
                .map(|(_, high)| high)
                .map_err(|e| e.to_string()),
        }
    }

    /// Where each batch partition starts reading, to skip the ones with nothing to read.
    fn start_offsets(
        &self,
        ends: &HashMap<(String, i32), i64>,
    ) -> Result<HashMap<(String, i32), i64>, String> {
        let mut starts = HashMap::new();
        for (topic, partition) in ends.keys() {
            let start = match self.config.start {
                Start::Earliest => {
                    self.consumer
                        .fetch_watermarks(topic, *partition, REQUEST_TIMEOUT)
                        .map_err(|e| e.to_string())?
                        .0
                }
                Start::Latest => ends[&(topic.clone(), *partition)],
                Start::Timestamp(ms) => self.offset_for_time(topic, *partition, ms)?,
            };
            starts.insert((topic.clone(), *partition), start);
        }
        Ok(starts)
    }

    /// In a batch run, handles the end of `partition`: it is done once the offsets seen at
    /// start are read. Returns whether every assigned partition is done.
    ///
    /// The end of a partition, not the end offset alone, decides: some brokers report an end
    /// offset inside the last record batch, and stopping there would lose its tail.
    fn reached_end(&mut self, partition: i32) -> bool {
        let ReaderState::Reading { ends } = &mut self.state else {
            return false;
        };
        let next_offset = &self.next_offset;
        ends.retain(|(topic, p), end| {
            *p != partition
                || next_offset
                    .get(&(topic.clone(), *p))
                    .is_none_or(|next| next < end)
        });
        ends.is_empty()
    }

    fn apply(&mut self, change: Change<T>, at: u64, output: &mut SourceOutput<'_, T>) {
        match change {
            Change::Nothing => {}
            Change::Upsert(row)
            | Change::Replace {
                after: row,
                before: None,
            } => self.insert(row, at, output),
            Change::Replace {
                before: Some(before),
                after,
            } => {
                if !T::HAS_PRIMARY_KEY {
                    self.remove(before, output);
                }
                self.insert(after, at, output);
            }
            Change::Delete(row) => self.remove(row, output),
            Change::DeleteKey(key) => {
                if let Some((old, offset)) = self.by_key.remove(&key) {
                    output.retract(old, offset);
                }
            }
        }
    }

    fn insert(&mut self, row: T, at: u64, output: &mut SourceOutput<'_, T>) {
        if T::HAS_PRIMARY_KEY {
            if let Some((old, offset)) = self.by_key.insert(row.primary_key(), (row.clone(), at)) {
                output.retract(old, offset);
            }
        } else if self.payload == Payload::Debezium {
            self.by_row.entry(row.clone()).or_default().push(at);
        }
        output.insert(row, at);
    }

    fn remove(&mut self, row: T, output: &mut SourceOutput<'_, T>) {
        if T::HAS_PRIMARY_KEY {
            if let Some((old, offset)) = self.by_key.remove(&row.primary_key()) {
                output.retract(old, offset);
            }
        } else if let Some(offsets) = self.by_row.get_mut(&row) {
            if let Some(offset) = offsets.pop() {
                if offsets.is_empty() {
                    self.by_row.remove(&row);
                }
                output.retract(row, offset);
            }
        }
    }
}

impl<T: Schema> SourceReader<T> for KafkaReader<T> {
    fn poll(&mut self, output: &mut SourceOutput<'_, T>) -> Result<Poll> {
        if let ReaderState::Connecting {
            next_attempt,
            backoff,
        } = self.state
        {
            if Instant::now() < next_attempt {
                return Ok(Poll::Pending);
            }
            self.state = match self.connect() {
                Ok(state) => state,
                Err(message) => {
                    eprintln!(
                        "pathflow: {}: {}; retrying in {} ms",
                        self.name,
                        self.config.redact(&message),
                        backoff.as_millis()
                    );
                    ReaderState::Connecting {
                        next_attempt: Instant::now() + backoff,
                        backoff: (backoff * 2).min(Duration::from_secs(10)),
                    }
                }
            };
            return Ok(Poll::Ready);
        }
        if matches!(self.state, ReaderState::Done) {
            return Ok(Poll::Finished);
        }
        for _ in 0..POLL_BATCH {
            let message = match self.consumer.poll(Duration::ZERO) {
                None => return Ok(Poll::Pending),
                Some(Err(KafkaError::PartitionEOF(partition))) => {
                    if self.reached_end(partition) {
                        self.state = ReaderState::Done;
                        return Ok(Poll::Finished);
                    }
                    continue;
                }
                Some(Err(e)) => {
                    eprintln!(
                        "pathflow: {}: {}; retrying",
                        self.name,
                        self.config.redact(&e.to_string())
                    );
                    return Ok(Poll::Pending);
                }
                Some(Ok(message)) => message,
            };
            let (topic, partition, offset) = (
                message.topic().to_owned(),
                message.partition(),
                message.offset(),
            );
            let decoded = decode::<T>(self.payload, message.key(), message.payload());
            let raw = match &decoded {
                Err(_) => {
                    String::from_utf8_lossy(message.payload().unwrap_or_default()).into_owned()
                }
                Ok(_) => String::new(),
            };
            drop(message);
            match decoded {
                Ok(change) => self.apply(change, position(partition, offset), output),
                Err(reason) => output.error(InputError::new(
                    self.name.clone(),
                    format!("{topic}/{partition}@{offset}"),
                    raw,
                    reason,
                ))?,
            }
            self.next_offset
                .insert((topic.clone(), partition), offset + 1);
        }
        Ok(Poll::Ready)
    }

    fn on_epoch_closed(&mut self, epoch: u64) {
        if !self.next_offset.is_empty() {
            self.closed_epochs
                .push_back((epoch, self.next_offset.clone()));
        }
    }

    fn on_complete(&mut self, epoch: u64) -> Result<()> {
        let mut latest = None;
        while self.closed_epochs.front().is_some_and(|(e, _)| *e <= epoch) {
            latest = self.closed_epochs.pop_front().map(|(_, offsets)| offsets);
        }
        let Some(offsets) = latest else {
            return Ok(());
        };
        let mut list = TopicPartitionList::new();
        for ((topic, partition), offset) in offsets {
            list.add_partition_offset(&topic, partition, Offset::Offset(offset))
                .map_err(|e| Error::connector(&self.name, e))?;
        }
        // Committed offsets are for monitoring; a failed commit is reported, not fatal.
        if let Err(e) = self.consumer.commit(&list, CommitMode::Async) {
            eprintln!(
                "pathflow: {}: committing offsets failed: {}",
                self.name,
                self.config.redact(&e.to_string())
            );
        }
        Ok(())
    }
}
