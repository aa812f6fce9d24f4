

/// Kafka source and sink (feature `kafka`).
#[cfg(feature = "kafka")]
pub mod kafka;
