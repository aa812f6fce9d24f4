//! Connection settings shared by the Kafka source and sink.

use std::collections::BTreeMap;
use std::fmt;

use rdkafka::ClientConfig;

/// Where a source starts reading when it has no saved state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Start {
    /// The oldest retained message (the default).
    #[default]
    Earliest,
    /// Only messages produced after the job starts.
    Latest,
    /// The first message at or after this time (UTC milliseconds).
    Timestamp(i64),
}

/// Brokers, topic, consumer group and any librdkafka properties.
#[derive(Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    pub(crate) brokers: String,
    pub(crate) topics: Vec<String>,
    pub(crate) group_id: String,
    pub(crate) start: Start,
    pub(crate) properties: BTreeMap<String, String>,
}

impl KafkaConfig {
    /// Settings for `topic` on `brokers` (`host:port,host:port`).
    ///
    /// ```
    /// use pathflow_connectors::kafka::{KafkaConfig, Start};
    ///
    /// let config = KafkaConfig::new("localhost:9092", "orders")
    ///     .group_id("totals")
    ///     .start(Start::Earliest)
    ///     .set("security.protocol", "SASL_SSL");
    /// ```
    pub fn new(brokers: impl Into<String>, topic: impl Into<String>) -> Self {
        KafkaConfig {
            brokers: brokers.into(),
            topics: vec![topic.into()],
            group_id: "pathflow".to_owned(),
            start: Start::Earliest,
            properties: BTreeMap::new(),
        }
    }

    /// Also reads `topic` (sources only).
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topics.push(topic.into());
        self
    }

    /// The consumer group offsets are committed under (default `pathflow`).
    pub fn group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = group_id.into();
        self
    }

    /// Where to start reading (default: earliest).
    pub fn start(mut self, start: Start) -> Self {
        self.start = start;
        self
    }

    /// Sets any librdkafka property, e.g. `sasl.password`.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// The librdkafka configuration: `defaults` first, the user's properties winning.
    pub(crate) fn client_config(&self, defaults: &[(&str, &str)]) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        for (key, value) in defaults {
            config.set(*key, *value);
        }
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }

    /// Removes every secret-looking property value from `text`, for error messages.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (key, value) in &self.properties {
            if is_secret(key) && !value.is_empty() {
                text = text.replace(value.as_str(), "[redacted]");
            }
        }
        text
    }
}

fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "key", "token", "jaas"]
        .iter()
        .any(|word| key.contains(word))
}

impl fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let properties: BTreeMap<&str, &str> = self
            .properties
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if is_secret(k) {
                        "[redacted]"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("KafkaConfig")
            .field("brokers", &self.brokers)
            .field("topics", &self.topics)
            .field("group_id", &self.group_id)
            .field("start", &self.start)
            .field("properties", &properties)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show() {
        let config = KafkaConfig::new("b:9092", "t")
            .set("sasl.password", "hunter2")
            .set("ssl.key.password", "s3cr3t")
            .set("client.id", "visible");
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("s3cr3t"),
            "{debug}"
        );
        assert!(debug.contains("visible"));
        assert_eq!(
            config.redact("auth failed for hunter2/s3cr3t"),
            "auth failed for [redacted]/[redacted]"
        );
    }
}
