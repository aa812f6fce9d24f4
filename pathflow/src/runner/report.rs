//! [`RunReport`]: what a run read, wrote and rejected.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::errors::InputError;

/// What a run did, summed over this process's workers.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RunReport {
    /// Updates read per source, by name.
    pub rows_in: BTreeMap<String, u64>,
    /// Updates written per sink, by name.
    pub rows_out: BTreeMap<String, u64>,
    /// Input that failed to parse and was skipped.
    pub input_errors: u64,
    /// The first few skipped inputs, for the summary.
    pub first_input_errors: Vec<InputError>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, rows) in &self.rows_in {
            writeln!(f, "read {rows} rows from {name}")?;
        }
        for (name, rows) in &self.rows_out {
            writeln!(f, "wrote {rows} updates to {name}")?;
        }
        if self.input_errors > 0 {
            writeln!(
                f,
                "skipped {} bad input rows, for example:",
                self.input_errors
            )?;
            for error in &self.first_input_errors {
                writeln!(f, "  {error}")?;
            }
        }
        write!(f, "took {:.3} s", self.elapsed.as_secs_f64())
    }
}
