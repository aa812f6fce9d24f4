//! The Kafka sink: one message per change, flushed every epoch, retried until delivered.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pathflow::schema::Schema;
use pathflow::sink::{Placement, Sink, SinkContext, SinkWriter};
use pathflow::{Epoch, Error, Mode, Result};
use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};

use crate::kafka::config::KafkaConfig;
use crate::kafka::payload::{encode, encode_key, Payload};

/// How long one flush may wait before the undelivered messages are sent again.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);
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

/// Collects the messages the broker did not accept, by index in the epoch's batch.
#[derive(Default)]
struct Deliveries {
    failed: Mutex<Vec<(usize, String)>>,
}

struct DeliveryContext(Arc<Deliveries>);

impl ClientContext for DeliveryContext {}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Box<usize>;
    fn delivery(&self, result: &DeliveryResult<'_>, index: Box<usize>) {
        if let Err((error, _)) = result {
            self.0
                .failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((*index, error.to_string()));
        }
    }
}

impl<T: Schema> KafkaSink<T> {
    fn open_writer(self) -> Result<Box<dyn SinkWriter<T>>> {
        let topic = self.config.topics[0].clone();
        let name = format!("kafka:{topic}");
        let deliveries = Arc::new(Deliveries::default());
        let producer: BaseProducer<DeliveryContext> = self
            .config
            .client_config(&[("linger.ms", "1")])
            .create_with_context(DeliveryContext(Arc::clone(&deliveries)))
            .map_err(|e| Error::connector(&name, self.config.redact(&e.to_string())))?;
        Ok(Box::new(KafkaWriter {
            name,
            topic,
            config: self.config,
            payload: self.payload,
            producer,
            deliveries,
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

struct KafkaWriter {
    name: String,
    topic: String,
    config: KafkaConfig,
    payload: Payload,
    producer: BaseProducer<DeliveryContext>,
    deliveries: Arc<Deliveries>,
}

impl<T: Schema> SinkWriter<T> for KafkaWriter {
    fn write_epoch(&mut self, epoch: Epoch, updates: &[(T, isize)]) -> Result<()> {
        let messages = updates
            .iter()
            .map(|(row, diff)| Ok((encode_key(row), encode(self.payload, row, epoch, *diff)?)))
            .collect::<std::io::Result<Vec<(Option<Vec<u8>>, Vec<u8>)>>>()
            .map_err(|e| Error::connector(&self.name, format!("encoding a message: {e}")))?;
        let mut pending: Vec<usize> = (0..messages.len()).collect();
        let mut backoff = Duration::from_millis(100);
        while !pending.is_empty() {
            for &index in &pending {
                let (key, payload) = &messages[index];
                loop {
                    let mut record =
                        BaseRecord::with_opaque_to(&self.topic, Box::new(index)).payload(payload);
                    if let Some(key) = key {
                        record = record.key(key);
                    }
                    match self.producer.send(record) {
                        Ok(()) => break,
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                            self.producer.poll(Duration::from_millis(50));
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
            // Wait until every message is delivered or has failed, however long the brokers
            // take: a message still in flight must not be forgotten.
            while let Err(error) = self.producer.flush(FLUSH_TIMEOUT) {
                eprintln!(
                    "pathflow: {}: {} messages still in flight ({}); waiting",
                    self.name,
                    self.producer.in_flight_count(),
                    self.config.redact(&error.to_string())
                );
            }
            let failed = std::mem::take(
                &mut *self
                    .deliveries
                    .failed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
            );
            pending = failed.iter().map(|(index, _)| *index).collect();
            if let Some((_, reason)) = failed.first() {
                eprintln!(
                    "pathflow: {}: {} messages not delivered ({}); retrying in {} ms",
                    self.name,
                    failed.len(),
                    self.config.redact(reason),
                    backoff.as_millis()
                );
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        Ok(())
    }
}
