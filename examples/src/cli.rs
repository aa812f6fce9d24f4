//! What the example programs do around their pipeline: parse flags, report, exit.

use std::ffi::OsString;

use clap::Parser;
use pathflow::{Result, RunReport};

/// Exit code of a run that finished.
pub const EXIT_OK: i32 = 0;

/// Parses `args` as `P`: on `--help` or a usage error, prints clap's text and returns the
/// exit code (0 for help, 2 for a usage error).
pub fn parse<P: Parser>(args: impl IntoIterator<Item = OsString>) -> std::result::Result<P, i32> {
    P::try_parse_from(args).map_err(|error| {
        let _ = error.print();
        error.exit_code()
    })
}

/// Prints the run's report (or its error) on stderr and returns the exit code: 0 done, 1 a
/// data or runtime error, 2 a usage error.
pub fn finish(outcome: Result<RunReport>) -> i32 {
    match outcome {
        Ok(report) => {
            eprintln!("{report}");
            EXIT_OK
        }
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}
