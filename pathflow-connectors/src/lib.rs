//! # pathflow-connectors
//!
//! Sources and sinks for [pathflow](https://docs.rs/pathflow) pipelines.
//!
//! - [`fs`]: files: [`fs::source`] reads a file, a directory or a glob pattern, in batch
//!   (what is there, split across workers) or streaming (what is there, then every change);
//!   [`fs::changes`] writes a table's change stream and [`fs::snapshot`] a batch run's final
//!   table.
//! - [`format`](mod@format): how rows are laid out ([`Format`]: CSV, JSON lines, text), apart from the
//!   transport, with the decoders and encoders transports share.
//! - `kafka` (feature `kafka`): topics as sources and sinks.
//!
//! ```no_run
//! use pathflow::prelude::*;
//! use pathflow_connectors::{fs, Format};
//!
//! #[derive(Schema, Clone, Debug)]
//! struct Word {
//!     word: String,
//! }
//!
//! Runner::batch().run(|p| {
//!     let words = p.read(fs::source::<Word>("words.csv", Format::csv()));
//!     p.write(words.distinct(), fs::snapshot("distinct.csv", Format::csv()));
//! })?;
//! # Ok::<(), pathflow::Error>(())
//! ```

#![warn(missing_docs)]

pub mod format;
pub mod fs;

pub use format::{CsvOptions, Format};

/// Kafka source and sink (feature `kafka`).
#[cfg(feature = "kafka")]
pub mod kafka;
