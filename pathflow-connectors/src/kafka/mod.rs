//! Kafka: read topics into tables and write tables' changes to topics (feature `kafka`).
//!
//! - [`source`]: partitions are assigned to workers (partition `p` to worker `p mod W` across
//!   all workers of all processes). Streaming follows the topics; batch reads each partition
//!   up to the end offsets seen at start, then finishes. Payloads are JSON, CSV, text, or
//!   Debezium change events. Rows of a schema with a primary key are upserted by key; a
//!   tombstone (null payload) deletes its key.
//! - [`sink`]: one message per change, with `time` and `diff`, keyed by the primary key,
//!   sent without blocking the worker; an epoch counts as written once the brokers have
//!   acknowledged all of its messages, and a refused message is sent again until delivered.
//!
//! Any librdkafka property can be passed with [`KafkaConfig::set`] (`security.protocol`,
//! `sasl.*`, `ssl.*`, …); the values of secret-looking properties never appear in errors.
//!
//! Offsets are committed under `group.id` once an epoch's outputs are acknowledged, for monitoring
//! tools. A restarted job re-reads from the configured [`Start`]; resuming state after a
//! restart comes with persistence.

mod config;
mod debezium;
mod payload;
mod sink;
mod source;

pub use config::{KafkaConfig, Start};
pub use payload::Payload;
pub use sink::{sink, KafkaSink};
pub use source::{source, KafkaSource};
