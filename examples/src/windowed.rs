//! Windowed: count and sum per key and event-time window, with late-data behavior.
//!
//! Input columns `key,value,at` (text, number, integer milliseconds or RFC 3339); output one
//! row per key and window, `key,window_start,window_end,count,sum` (streaming adds
//! `time,diff`). Windows are `tumbling:SIZE` (`[k·SIZE, (k+1)·SIZE)`), `sliding:HOP:SIZE`
//! (`[k·HOP, k·HOP+SIZE)`, every one holding the event) or `session:GAP` (a key's events
//! whose consecutive gaps are below GAP; `window_start` and `window_end` are its first and
//! last event times), all in milliseconds from origin 0.
//!
//! In streaming mode each input file is read as one epoch, in order of arrival (the files
//! there at the start in name order): an event is late when an earlier file holds an event
//! more than `--cutoff` after it.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::{Parser, ValueEnum};
use pathflow::prelude::*;
use pathflow::window::ExactlyOnce;
use pathflow::{Error, Result, RunReport};
use pathflow_connectors::{fs, Format};

use crate::cli;

/// An event, as read from `key,value,at`.
#[derive(Schema, Clone, Debug)]
pub struct Event {
    /// Whose event it is: windows are per key.
    pub key: String,
    /// The amount to add up.
    pub value: f64,
    /// When it happened (integer milliseconds or RFC 3339).
    #[pathflow(event_time)]
    pub at: Timestamp,
}

/// A key's window: how many events it holds and their sum.
#[derive(Schema, Clone, Debug)]
pub struct WindowTotal {
    /// The key.
    #[pathflow(primary_key)]
    pub key: String,
    /// The window's start (a session's first event time).
    #[pathflow(primary_key)]
    pub window_start: Timestamp,
    /// The window's end, exclusive (a session's last event time).
    #[pathflow(primary_key)]
    pub window_end: Timestamp,
    /// How many events.
    pub count: u64,
    /// Their values' sum (exact, rounded once).
    pub sum: f64,
}

/// The windows of `--window`: `tumbling:SIZE`, `sliding:HOP:SIZE` or `session:GAP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSpec(pub Window);

impl FromStr for WindowSpec {
    type Err = String;

    fn from_str(spec: &str) -> std::result::Result<Self, String> {
        let parts: Vec<&str> = spec.split(':').collect();
        let millis = |text: &str, what: &str| -> std::result::Result<Duration, String> {
            match text.parse::<i64>() {
                Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
                _ => Err(format!(
                    "the {what} in `{spec}` must be a positive number of milliseconds, not `{text}`"
                )),
            }
        };
        let window = match parts.as_slice() {
            ["tumbling", size] => Window::tumbling(millis(size, "size")?).into(),
            ["sliding", hop, size] => {
                Window::sliding(millis(hop, "hop")?, millis(size, "size")?).into()
            }
            ["session", gap] => Window::session(millis(gap, "gap")?).into(),
            _ => {
                return Err(format!(
                    "unknown window `{spec}`: write tumbling:SIZE, sliding:HOP:SIZE or \
                     session:GAP, in milliseconds (e.g. tumbling:60000)"
                ))
            }
        };
        Ok(WindowSpec(window))
    }
}

/// When windows are written (`--emit`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// Every change of a window's result (held back by `--delay`).
    #[default]
    Updates,
    /// Each window once, when it is past the cutoff (needs `--cutoff`).
    Final,
}

impl fmt::Display for Emit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Emit::Updates => "updates",
            Emit::Final => "final",
        })
    }
}

/// The flags of the `windowed` example.
#[derive(Parser, Debug)]
#[command(
    name = "windowed",
    about = "Count and sum per key and event-time window: batch writes \
             key,window_start,window_end,count,sum; --streaming follows the input and writes \
             the changes until SIGINT or SIGTERM"
)]
pub struct Args {
    /// A CSV file, or a directory of CSV files, with the columns key,value,at.
    #[arg(long, value_name = "PATH")]
    pub input: PathBuf,
    /// Where to write `key,window_start,window_end,count,sum` (streaming: plus `time,diff`).
    #[arg(long, value_name = "PATH")]
    pub output: PathBuf,
    /// The windows: tumbling:SIZE, sliding:HOP:SIZE or session:GAP (milliseconds).
    #[arg(long, value_name = "SPEC")]
    pub window: WindowSpec,
    /// Ignore (and log) events more than MS before the watermark, and forget windows past it.
    #[arg(long, value_name = "MS")]
    pub cutoff: Option<u64>,
    /// Hold each window's result until the watermark is MS past its end.
    #[arg(long, value_name = "MS")]
    pub delay: Option<u64>,
    /// Whether windows past the cutoff keep their results (true) or are retracted (false).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub keep_results: bool,
    /// Write every change of a window (updates), or each window once when final (final).
    #[arg(long, value_enum, default_value_t = Emit::Updates)]
    pub emit: Emit,
    /// Follow the input, writing every change until SIGINT or SIGTERM.
    #[arg(long)]
    pub streaming: bool,
    /// How the run goes: workers, epochs, bad input.
    #[command(flatten)]
    pub runner: RunnerArgs,
}

/// How the windows treat time: as updates, or each window exactly once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// Results as updates, with a delay, a cutoff and kept or retracted results.
    Updates(Behavior),
    /// Each window once, when it is past the cutoff.
    ExactlyOnce(ExactlyOnce),
}

impl Args {
    /// The behavior the flags ask for.
    ///
    /// # Errors
    /// A usage error when `--emit final` lacks `--cutoff` or comes with `--delay` or
    /// `--keep-results false`.
    pub fn timing(&self) -> Result<Timing> {
        let ms = |value: u64| Duration::from_millis(i64::try_from(value).unwrap_or(i64::MAX));
        match self.emit {
            Emit::Final => {
                let cutoff = self.cutoff.ok_or_else(|| {
                    Error::Usage(
                        "--emit final writes each window once it is past the cutoff: give \
                         --cutoff MS"
                            .into(),
                    )
                })?;
                if self.delay.is_some() || !self.keep_results {
                    return Err(Error::Usage(
                        "--delay and --keep-results apply to --emit updates; with --emit final \
                         each window is written once, when past the cutoff, and kept"
                            .into(),
                    ));
                }
                Ok(Timing::ExactlyOnce(Behavior::exactly_once(ms(cutoff))))
            }
            Emit::Updates => {
                let mut behavior = Behavior::default().keep_results(self.keep_results);
                if let Some(delay) = self.delay {
                    behavior = behavior.delay(ms(delay));
                }
                if let Some(cutoff) = self.cutoff {
                    behavior = behavior.cutoff(ms(cutoff));
                }
                Ok(Timing::Updates(behavior))
            }
        }
    }
}

/// Count and sum per key and window.
pub fn windowed<'s, M: Mode>(
    events: Table<'s, Event, M>,
    window: Window,
    timing: Timing,
) -> Table<'s, WindowTotal, M> {
    let at = |e: &Event| e.at;
    let windows = match timing {
        Timing::Updates(behavior) => events.windowby(at, window, behavior),
        Timing::ExactlyOnce(behavior) => events.windowby(at, window, behavior),
    };
    windows.instance(|e| e.key.clone()).reduce(
        |r| (r.count(), r.sum(|e| e.value)),
        |w: &WindowKey<String>, (count, sum)| WindowTotal {
            key: w.instance.clone(),
            window_start: w.window_start,
            window_end: w.window_end,
            count,
            sum,
        },
    )
}

/// Reads the events of `input` and writes the windows to `output`, sorted by key and window.
pub fn batch(
    input: &Path,
    output: &Path,
    window: Window,
    timing: Timing,
    runner: Runner<Batch>,
) -> Result<RunReport> {
    let (input, output) = (input.to_owned(), output.to_owned());
    runner.run(move |p| {
        let events = p.read(fs::source::<Event>(&input, Format::csv()));
        p.write(
            windowed(events, window, timing),
            fs::snapshot(&output, Format::csv()),
        );
    })
}

/// Follows `input`, each file as one epoch in order of arrival, and writes the windows'
/// changes to `output` until the run is stopped.
pub fn streaming(
    input: &Path,
    output: &Path,
    window: Window,
    timing: Timing,
    runner: Runner<Streaming>,
) -> Result<RunReport> {
    let (input, output) = (input.to_owned(), output.to_owned());
    runner.run(move |p| {
        let source = fs::source::<Event>(&input, Format::csv()).epoch_per_file(true);
        let events = p.read(source);
        p.write(
            windowed(events, window, timing),
            fs::changes(&output, Format::csv()),
        );
    })
}

/// The `windowed` program: parses `args` (the program name first) and returns the exit
/// code: 0 done, 1 a data or runtime error, 2 a usage error.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args: Args = match cli::parse(args) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let timing = match args.timing() {
        Ok(timing) => timing,
        Err(error) => return cli::finish(Err(error)),
    };
    let window = args.window.0;
    let outcome = if args.streaming {
        let runner = Runner::streaming().args(args.runner);
        streaming(&args.input, &args.output, window, timing, runner)
    } else {
        let runner = Runner::batch().args(args.runner);
        batch(&args.input, &args.output, window, timing, runner)
    };
    cli::finish(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str, flags: &[&str]) -> (i32, String) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (events, output) = (dir.path().join("events.csv"), dir.path().join("out.csv"));
        std::fs::write(&events, input).expect("the input is written");
        let mut args: Vec<OsString> = vec!["windowed".into(), "--input".into(), events.into()];
        args.extend([
            "--output".into(),
            output.clone().into(),
            "--workers".into(),
            "2".into(),
        ]);
        args.extend(flags.iter().map(OsString::from));
        let code = main(args);
        (code, std::fs::read_to_string(output).unwrap_or_default())
    }

    const EVENTS: &str = "key,value,at\na,1.5,12\nb,1,3\na,0.25,5\na,2,19\na,4,10\na,1,31\n";

    #[test]
    fn tumbling_windows_per_key() {
        let (code, output) = run(EVENTS, &["--window", "tumbling:10"]);
        assert_eq!(code, 0);
        assert_eq!(
            output,
            "key,window_start,window_end,count,sum\n\
             a,0,10,1,0.25\na,10,20,3,7.5\na,30,40,1,1.0\nb,0,10,1,1.0\n"
        );
    }

    #[test]
    fn sliding_windows_hold_each_event_in_every_window_covering_it() {
        let (code, output) = run(
            "key,value,at\na,1,12\na,2,17\n",
            &["--window", "sliding:5:10"],
        );
        assert_eq!(code, 0);
        assert_eq!(
            output,
            "key,window_start,window_end,count,sum\n\
             a,5,15,1,1.0\na,10,20,2,3.0\na,15,25,1,2.0\n"
        );
    }

    #[test]
    fn sessions_run_while_gaps_are_below_the_gap() {
        let (code, output) = run(EVENTS, &["--window", "session:8"]);
        assert_eq!(code, 0);
        assert_eq!(
            output,
            "key,window_start,window_end,count,sum\na,5,19,4,7.75\na,31,31,1,1.0\nb,3,3,1,1.0\n"
        );
    }

    #[test]
    fn retracted_results_leave_the_windows_the_last_watermark_keeps() {
        let flags = [
            "--window",
            "tumbling:10",
            "--cutoff",
            "5",
            "--keep-results",
            "false",
        ];
        let (code, output) = run(EVENTS, &flags);
        assert_eq!(code, 0);
        assert_eq!(
            output, "key,window_start,window_end,count,sum\na,30,40,1,1.0\n",
            "the last watermark is 31: windows ending by 26 are retracted"
        );
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        for flags in [
            &["--window", "hopping:10"][..],
            &["--window", "tumbling:0"],
            &["--window", "tumbling:10", "--emit", "final"],
            &[
                "--window",
                "tumbling:10",
                "--emit",
                "final",
                "--cutoff",
                "5",
                "--delay",
                "1",
            ],
        ] {
            assert_eq!(run(EVENTS, flags).0, 2, "{flags:?}");
        }
    }
}
