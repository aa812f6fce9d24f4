//! The Kafka sink: one message per change, sent without waiting, an epoch durable once all
//! of its messages are acknowledged; refused messages are retried until delivered.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pathflow::schema::Schema;
use pathflow::sink::{Placement, Sink, SinkContext, SinkWriter};
use pathflow::{Epoch, Error, Mode, Result};
use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message as _;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};

use crate::kafka::config::KafkaConfig;
use crate::kafka::payload::{encode, encode_key, Payload};

/// How long one flush at the end waits before reporting the messages still in flight.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);
/// The first pause before refused messages are sent again.
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// The longest pause between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Writes a table's changes to the config's (first) topic: the row's columns plus `time`
/// and `diff`, keyed by the primary key. Every worker writes the changes it holds.
pub fn sink<T: Schema>(config: KafkaConfig, payload: Payload) -> KafkaSink<T> {
    KafkaSink {
        config,
        payload,
        row: PhantomData,
    }
}

/// The sink made by [`sink`].
#[derive(Clone, Debug)]
pub struct KafkaSink<T> {
    config: KafkaConfig,
    payload: Payload,
    row: PhantomData<fn(T)>,
}

/// A message to send again: its key and payload.
type Message = (Option<Vec<u8>>, Vec<u8>);

/// The delivery reports, by epoch, collected while the producer is polled.
#[derive(Default)]
struct Reports {
    /// The epoch of each message acknowledged.
    delivered: Vec<Epoch>,
    /// The messages the brokers did not take, with their epoch and the reason.
    failed: Vec<(Epoch, Message, String)>,
}

struct DeliveryContext(Arc<Mutex<Reports>>);

impl ClientContext for DeliveryContext {}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Box<Epoch>;
    fn delivery(&self, result: &DeliveryResult<'_>, epoch: Box<Epoch>) {
        let mut reports = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(_) => reports.delivered.push(*epoch),
            Err((error, message)) => reports.failed.push((
                *epoch,
                (
                    message.key().map(<[u8]>::to_vec),
                    message.payload().unwrap_or_default().to_vec(),
                ),
                error.to_string(),
            )),
        }
    }
}

impl<T: Schema> KafkaSink<T> {
    fn open_writer(self) -> Result<Box<dyn SinkWriter<T>>> {
        let topic = self.config.topics[0].clone();
        let name = format!("kafka:{topic}");
        let reports = Arc::new(Mutex::new(Reports::default()));
        // Batches of a few milliseconds: a broker pays per request, and a 1 ms linger at
        // tens of thousands of messages a second queues requests faster than it answers.
        // Idempotence keeps each partition's messages in the order they were sent, without
        // duplicates, when librdkafka retries a request while later ones are in flight: a
        // change stream read out of order shows a retraction before its insertion.
        let producer: BaseProducer<DeliveryContext> = self
            .config
            .client_config(&[("linger.ms", "5"), ("enable.idempotence", "true")])
            .create_with_context(DeliveryContext(Arc::clone(&reports)))
            .map_err(|e| Error::connector(&name, self.config.redact(&e.to_string())))?;
        Ok(Box::new(KafkaWriter {
            name,
            topic,
            config: self.config,
            payload: self.payload,
            producer,
            reports,
            unacknowledged: BTreeMap::new(),
            retries: Vec::new(),
            retry_at: Instant::now(),
            backoff: INITIAL_BACKOFF,
        }))
    }
}

/// Kafka takes changes in both modes: every epoch's in streaming, the final table's in batch.
impl<M: Mode, T: Schema> Sink<M, T> for KafkaSink<T> {
    fn name(&self) -> String {
        format!("kafka:{}", self.config.topics[0])
    }
    fn placement(&self) -> Placement {
        Placement::EveryWorker
    }
    fn open(self, _context: &SinkContext) -> Result<Box<dyn SinkWriter<T>>> {
        self.open_writer()
    }
}

/// Sends every epoch's messages without waiting; an epoch is durable once the brokers have
/// acknowledged all of its messages. A message they refuse is sent again, with backoff,
/// until they take it.
struct KafkaWriter {
    name: String,
    topic: String,
    config: KafkaConfig,
    payload: Payload,
    producer: BaseProducer<DeliveryContext>,
    reports: Arc<Mutex<Reports>>,
    /// Per epoch, how many of its messages are not acknowledged yet.
    unacknowledged: BTreeMap<Epoch, usize>,
    /// Refused messages waiting for `retry_at`.
    retries: Vec<(Epoch, Message)>,
    retry_at: Instant,
    backoff: Duration,
}

impl KafkaWriter {
    /// Hands one message to the producer, waiting while its queue is full.
    fn send(&mut self, epoch: Epoch, key: Option<&[u8]>, payload: &[u8]) -> Result<()> {
        loop {
            let mut record =
                BaseRecord::with_opaque_to(&self.topic, Box::new(epoch)).payload(payload);
            if let Some(key) = key {
                record = record.key(key);
            }
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    self.collect_reports();
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((error, _)) => {
                    return Err(Error::connector(
                        &self.name,
                        self.config.redact(&error.to_string()),
                    ))
                }
            }
        }
    }

    /// Serves the delivery reports: counts the acknowledgements, keeps the refused messages
    /// for a retry after a backoff.
    fn collect_reports(&mut self) {
        self.producer.poll(Duration::ZERO);
        let reports = std::mem::take(&mut *self.reports.lock().unwrap_or_else(|e| e.into_inner()));
        for epoch in reports.delivered {
            if let Some(count) = self.unacknowledged.get_mut(&epoch) {
                *count -= 1;
                if *count == 0 {
                    self.unacknowledged.remove(&epoch);
                }
            }
        }
        if let Some((_, _, reason)) = reports.failed.first() {
            eprintln!(
                "pathflow: {}: {} messages not delivered ({}); retrying in {} ms",
                self.name,
                reports.failed.len(),
                self.config.redact(reason),
                self.backoff.as_millis()
            );
            if self.retries.is_empty() {
                self.retry_at = Instant::now() + self.backoff;
            }
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            self.retries.extend(
                reports
                    .failed
                    .into_iter()
                    .map(|(epoch, message, _)| (epoch, message)),
            );
        }
    }

    /// Sends the refused messages again once their backoff has passed.
    fn retry(&mut self) -> Result<()> {
        if self.retries.is_empty() || Instant::now() < self.retry_at {
            return Ok(());
        }
        for (epoch, (key, payload)) in std::mem::take(&mut self.retries) {
            self.send(epoch, key.as_deref(), &payload)?;
        }
        Ok(())
    }
}

impl<T: Schema> SinkWriter<T> for KafkaWriter {
    fn write_epoch(&mut self, epoch: Epoch, updates: &[(T, isize)]) -> Result<()> {
        let messages = updates
            .iter()
            .map(|(row, diff)| Ok((encode_key(row), encode(self.payload, row, epoch, *diff)?)))
            .collect::<std::io::Result<Vec<Message>>>()
            .map_err(|e| Error::connector(&self.name, format!("encoding a message: {e}")))?;
        if messages.is_empty() {
            return Ok(());
        }
        *self.unacknowledged.entry(epoch).or_insert(0) += messages.len();
        for (key, payload) in &messages {
            self.send(epoch, key.as_deref(), payload)?;
        }
        self.collect_reports();
        Ok(())
    }

    fn pending(&mut self) -> Result<Option<Epoch>> {
        self.collect_reports();
        self.retry()?;
        if self.retries.is_empty() && self.unacknowledged.is_empty() {
            self.backoff = INITIAL_BACKOFF;
        }
        Ok(self.unacknowledged.keys().next().copied())
    }

    fn finish(&mut self) -> Result<()> {
        // Wait until every message is delivered, however long the brokers take: a message
        // still in flight must not be forgotten.
        while SinkWriter::<T>::pending(self)?.is_some() {
            if let Err(error) = self.producer.flush(FLUSH_TIMEOUT) {
                eprintln!(
                    "pathflow: {}: {} messages still in flight ({}); waiting",
                    self.name,
                    self.producer.in_flight_count(),
                    self.config.redact(&error.to_string())
                );
            }
            if !self.retries.is_empty() {
                std::thread::sleep(self.retry_at.saturating_duration_since(Instant::now()));
            }
        }
        Ok(())
    }
}
