//! [`RunnerArgs`]: the flags every pathflow program shares, flattened into its own.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::errors::ErrorPolicy;
use crate::{Error, Result};

/// How to run: workers, processes, epochs and bad input. Flatten it into a program's flags
/// with `#[command(flatten)]`; every flag can also come from a `PATHFLOW_*` environment
/// variable, the flag winning.
///
/// ```
/// use clap::Parser;
/// use pathflow::RunnerArgs;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[arg(long)]
///     input: String,
///     #[command(flatten)]
///     runner: RunnerArgs,
/// }
///
/// let cli = Cli::parse_from(["prog", "--input", "x.csv", "--workers", "4"]);
/// assert_eq!(cli.runner.workers, 4);
/// ```
#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct RunnerArgs {
    /// Worker threads per process.
    #[arg(long, short = 'w', env = "PATHFLOW_WORKERS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024), help_heading = "Runner")]
    pub workers: u32,

    /// Number of processes in the cluster.
    #[arg(long, env = "PATHFLOW_PROCESSES", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4096), help_heading = "Runner")]
    pub processes: u32,

    /// This process's index in the cluster, from 0.
    #[arg(
        long,
        env = "PATHFLOW_PROCESS",
        default_value_t = 0,
        help_heading = "Runner"
    )]
    pub process: u32,

    /// host:port of every process, in process order, comma-separated (unauthenticated: use a
    /// private network).
    #[arg(
        long,
        env = "PATHFLOW_ADDRESSES",
        value_delimiter = ',',
        help_heading = "Runner"
    )]
    pub addresses: Vec<String>,

    /// Milliseconds between epochs in streaming mode.
    #[arg(long, env = "PATHFLOW_COMMIT_INTERVAL_MS", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Runner")]
    pub commit_interval_ms: u64,

    /// What to do with input that fails to parse: skip (log and count) or fail (stop).
    #[arg(long, env = "PATHFLOW_ON_ERROR", value_enum, default_value_t = ErrorPolicy::Skip, help_heading = "Runner")]
    pub on_error: ErrorPolicy,

    /// Where to write bad input, as JSON lines (source, position, raw, reason).
    #[arg(long, env = "PATHFLOW_ERROR_LOG", help_heading = "Runner")]
    pub error_log: Option<PathBuf>,

    /// Seconds to wait for the other processes of the cluster at start.
    #[arg(
        long,
        env = "PATHFLOW_CONNECT_TIMEOUT_S",
        default_value_t = 30,
        help_heading = "Runner"
    )]
    pub connect_timeout_s: u64,
}

impl Default for RunnerArgs {
    fn default() -> Self {
        RunnerArgs {
            workers: 1,
            processes: 1,
            process: 0,
            addresses: Vec::new(),
            commit_interval_ms: 50,
            on_error: ErrorPolicy::Skip,
            error_log: None,
            connect_timeout_s: 30,
        }
    }
}

impl RunnerArgs {
    /// The defaults, overridden by any `PATHFLOW_*` environment variables.
    pub fn from_env() -> Result<Self> {
        #[derive(clap::Parser)]
        struct Env {
            #[command(flatten)]
            args: RunnerArgs,
        }
        <Env as clap::Parser>::try_parse_from(["pathflow"])
            .map(|env| env.args)
            .map_err(|e| Error::Usage(e.to_string()))
    }

    /// The commit interval.
    pub fn commit_interval(&self) -> Duration {
        Duration::from_millis(self.commit_interval_ms)
    }

    /// Checks that the cluster flags agree with each other.
    pub fn validate(&self) -> Result<()> {
        if self.process >= self.processes {
            return Err(Error::Usage(format!(
                "--process {} is out of range: with --processes {} it must be below {}",
                self.process, self.processes, self.processes
            )));
        }
        if self.processes > 1 && self.addresses.len() != self.processes as usize {
            return Err(Error::Usage(format!(
                "--processes {} needs --addresses with {} host:port entries (one per process, in \
                 order); got {}",
                self.processes,
                self.processes,
                self.addresses.len()
            )));
        }
        Ok(())
    }
}
