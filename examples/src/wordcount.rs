//! Word count: how often each cell of a CSV file's `word` column occurs.
//!
//! Batch writes `word,count`; streaming follows the input and writes the change stream
//! `word,count,time,diff` until SIGINT or SIGTERM. Without `--output`, the ten most
//! frequent words are printed; without `--input`, the bundled sample data is read.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;
use pathflow::memory;
use pathflow::prelude::*;
use pathflow::{Error, Result, RunReport};
use pathflow_connectors::format::Encoder;
use pathflow_connectors::{fs, Format};

use crate::cli;

/// One cell of the input's `word` column, counted verbatim.
#[derive(Schema, Clone, Debug)]
pub struct Word {
    /// The word.
    pub word: String,
}

/// A word and how often it occurs.
#[derive(Schema, Clone, Debug)]
pub struct WordCount {
    /// The word.
    #[pathflow(primary_key)]
    pub word: String,
    /// How many cells hold it.
    pub count: u64,
}

pipeline! {
    /// How often each word occurs.
    pub fn count_words(words: Table<Word>) -> Table<WordCount> {
        words.group_by(word).reduce(WordCount { word, count: count() })
    }
}

/// The flags of the `wordcount` example.
#[derive(Parser, Debug)]
#[command(
    name = "wordcount",
    about = "Counts the words of a CSV column: batch writes word,count; --streaming follows \
             the input and writes the changes until SIGINT or SIGTERM"
)]
pub struct Args {
    /// A CSV file, or a directory of CSV files, with a header holding a column `word`
    /// [default: the bundled sample data].
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Where to write `word,count` (or, streaming, `word,count,time,diff`); without it, the
    /// ten most frequent words are printed.
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Follows the input (new files, appended lines, rewrites, deletions) until SIGINT or
    /// SIGTERM, writing every change.
    #[arg(long, requires = "output")]
    pub streaming: bool,
    /// How the run goes: workers, epochs, bad input.
    #[command(flatten)]
    pub runner: RunnerArgs,
}

/// The bundled sample data: a CSV file with a `word` column.
pub fn sample_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/words.csv")
}

/// Counts the words of `input` and writes `word,count` to `output`, sorted by word.
pub fn batch(input: &Path, output: &Path, runner: Runner<Batch>) -> Result<RunReport> {
    let (input, output) = (input.to_owned(), output.to_owned());
    runner.run(move |p| {
        let words = p.read(fs::source::<Word>(&input, Format::csv()));
        p.write(count_words(words), fs::snapshot(&output, Format::csv()));
    })
}

/// Follows `input` and writes the counts' changes to `output` until the run is stopped.
pub fn streaming(input: &Path, output: &Path, runner: Runner<Streaming>) -> Result<RunReport> {
    let (input, output) = (input.to_owned(), output.to_owned());
    runner.run(move |p| {
        let words = p.read(fs::source::<Word>(&input, Format::csv()));
        p.write(count_words(words), fs::changes(&output, Format::csv()));
    })
}

/// The `n` most frequent words of `input`: by count, most frequent first, then by word.
pub fn top(input: &Path, n: usize, runner: Runner<Batch>) -> Result<(Vec<WordCount>, RunReport)> {
    let (counts, sink) = memory::snapshot::<WordCount>();
    let input = input.to_owned();
    let report = runner.run(move |p| {
        let words = p.read(fs::source::<Word>(&input, Format::csv()));
        p.write(count_words(words), sink.clone());
    })?;
    let mut counts = counts.rows();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.word.cmp(&b.word)));
    counts.truncate(n);
    Ok((counts, report))
}

/// Writes `counts` as CSV, header included, to `out`.
pub fn print(counts: &[WordCount], out: impl Write) -> Result<()> {
    let failed = |e| Error::io("stdout", e);
    let mut encoder = Encoder::new(&Format::csv(), out);
    encoder.header::<WordCount>(&[]).map_err(failed)?;
    for count in counts {
        encoder.row(count, &[]).map_err(failed)?;
    }
    encoder.flush().map_err(failed)
}

/// The `wordcount` program: parses `args` (the program name first) and returns the exit
/// code: 0 done, 1 a data or runtime error, 2 a usage error.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args: Args = match cli::parse(args) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let input = args.input.unwrap_or_else(sample_data);
    let outcome = match (args.output, args.streaming) {
        (Some(output), false) => batch(&input, &output, Runner::batch().args(args.runner)),
        (Some(output), true) => streaming(&input, &output, Runner::streaming().args(args.runner)),
        (None, _) => {
            top(&input, 10, Runner::batch().args(args.runner)).and_then(|(counts, report)| {
                print(&counts, std::io::stdout().lock())?;
                Ok(report)
            })
        }
    };
    cli::finish(outcome)
}
