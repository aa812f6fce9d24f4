//! Bad input: the error policy, the error log, and what a bad row reports.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use crate::{Error, Result};

/// What to do with input that fails to parse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum ErrorPolicy {
    /// Log the row, count it, and go on (the default).
    #[default]
    Skip,
    /// Stop the run with an error naming the input position (exit code 1).
    Fail,
}

impl FromStr for ErrorPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "skip" => Ok(ErrorPolicy::Skip),
            "fail" => Ok(ErrorPolicy::Fail),
            other => Err(format!(
                "unknown error policy `{other}`: use `skip` or `fail`"
            )),
        }
    }
}

/// A piece of input that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InputError {
    /// The source, by name.
    pub source: String,
    /// Where in it: `path:line`, a byte offset, `topic/partition@offset`.
    pub position: String,
    /// The raw input (truncated to 1 KiB).
    pub raw: String,
    /// What was wrong.
    pub reason: String,
}

impl InputError {
    /// Describes bad input; `raw` is truncated to 1 KiB.
    pub fn new(
        source: impl Into<String>,
        position: impl Into<String>,
        raw: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        let mut raw = raw.into();
        if raw.len() > 1024 {
            let mut end = 1024;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            raw.truncate(end);
        }
        InputError {
            source: source.into(),
            position: position.into(),
            raw,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.position, self.reason)
    }
}

/// The process-wide log of bad input: counted always, written as JSON lines when a path is
/// given.
#[derive(Clone, Default)]
pub(crate) struct ErrorLog {
    inner: Arc<Mutex<ErrorLogState>>,
}

#[derive(Default)]
struct ErrorLogState {
    file: Option<(PathBuf, BufWriter<File>)>,
    count: u64,
    first: Vec<InputError>,
}

impl ErrorLog {
    /// A log writing to `path`, if given.
    pub(crate) fn open(path: Option<&Path>) -> Result<Self> {
        let file = match path {
            Some(path) => Some((
                path.to_owned(),
                BufWriter::new(File::create(path).map_err(|e| Error::io(path, e))?),
            )),
            None => None,
        };
        Ok(ErrorLog {
            inner: Arc::new(Mutex::new(ErrorLogState {
                file,
                ..Default::default()
            })),
        })
    }

    /// Records `error` under `policy`: `Ok` to go on, `Err` to stop.
    pub(crate) fn record(&self, error: InputError, policy: ErrorPolicy) -> Result<()> {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        state.count += 1;
        if let Some((path, file)) = &mut state.file {
            let line = serde_json::to_string(&error).expect("an input error serializes");
            writeln!(file, "{line}").map_err(|e| Error::io(path.clone(), e))?;
        }
        match policy {
            ErrorPolicy::Skip => {
                if state.first.len() < 5 {
                    state.first.push(error);
                }
                Ok(())
            }
            ErrorPolicy::Fail => Err(Error::BadInput {
                position: error.position,
                reason: error.reason,
            }),
        }
    }

    /// Flushes the file and returns the count and the first few errors.
    pub(crate) fn close(&self) -> Result<(u64, Vec<InputError>)> {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((path, file)) = &mut state.file {
            file.flush().map_err(|e| Error::io(path.clone(), e))?;
        }
        Ok((state.count, state.first.clone()))
    }
}
