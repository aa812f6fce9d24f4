//! Errors a run can end with, and their exit codes.

use std::fmt;
use std::path::PathBuf;

/// The result of a pathflow operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A command-line flag or environment variable was wrong (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// A row could not be read and the error policy is `fail`.
    #[error("bad input at {position}: {reason}")]
    BadInput {
        /// Where: `file:line`, `topic/partition@offset`, …
        position: String,
        /// What was wrong.
        reason: String,
    },
    /// A connector failed (I/O, network, broker).
    #[error("{connector}: {message}")]
    Connector {
        /// The source or sink, by name.
        connector: String,
        /// What happened and what to do.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A user function panicked.
    #[error("a function in operator `{operator}` panicked: {message}{}", row.as_ref().map(|r| format!(" (on row {r})")).unwrap_or_default())]
    UserFunction {
        /// The operator whose function panicked.
        operator: String,
        /// The panic message.
        message: String,
        /// The row it was called on, when known.
        row: Option<String>,
    },
    /// A peer process could not be reached or went away.
    #[error("cluster: {0}")]
    Cluster(String),
    /// Anything else that stopped the run.
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    /// The process exit code for this error: 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }

    /// An I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A connector error.
    pub fn connector(connector: impl fmt::Display, message: impl fmt::Display) -> Self {
        Error::Connector {
            connector: connector.to_string(),
            message: message.to_string(),
        }
    }
}
