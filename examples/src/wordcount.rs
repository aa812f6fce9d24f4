//! Word count: how often each word occurs, in a CSV file's `word` column or in a Kafka topic.
//!
//! Batch writes `word,count`; streaming follows the input and writes the change stream
//! `word,count,time,diff` until SIGINT or SIGTERM. Without `--output`, the ten most
//! frequent words are printed; without `--input`, the bundled sample data is read.
//!
//! With the `kafka` feature, `--kafka-brokers HOST:PORT --topic IN` reads JSON messages
//! `{"word": …}` instead of files, and `--output-topic OUT` writes every change as a JSON
//! message `{"word": …, "count": …, "time": …, "diff": …}` instead of a file. Both modes run
//! the same [`count_words`] pipeline over either input.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Parser};
use pathflow::memory;
use pathflow::prelude::*;
use pathflow::{Error, Pipeline, Result, RunReport, Source};
use pathflow_connectors::format::Encoder;
use pathflow_connectors::fs::FileSource;
#[cfg(feature = "kafka")]
use pathflow_connectors::kafka::{self, KafkaConfig, KafkaSink, Payload};
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
    about = "Counts words, from CSV files or a Kafka topic: batch writes word,count; \
             --streaming follows the input and writes the changes until SIGINT or SIGTERM",
    group(ArgGroup::new("kafka_topics").args(["topic", "output_topic"]).multiple(true)),
    group(ArgGroup::new("destination").args(["output", "output_topic"]).multiple(true))
)]
pub struct Args {
    /// A CSV file, or a directory of CSV files, with a header holding a column `word`
    /// [default: the bundled sample data].
    #[arg(long, value_name = "PATH", conflicts_with = "topic")]
    pub input: Option<PathBuf>,
    /// Where to write `word,count` (or, streaming, `word,count,time,diff`); without it (and
    /// without --output-topic), the ten most frequent words are printed.
    #[arg(long, value_name = "PATH", conflicts_with = "output_topic")]
    pub output: Option<PathBuf>,
    /// Follows the input (new files, appended lines, rewrites, deletions; new messages)
    /// until SIGINT or SIGTERM, writing every change.
    #[arg(long, requires = "destination")]
    pub streaming: bool,
    /// The Kafka brokers of --topic and --output-topic, `host:port[,host:port…]` (needs a
    /// build with `--features kafka`).
    #[arg(
        long,
        value_name = "HOST:PORT",
        requires = "kafka_topics",
        help_heading = "Kafka"
    )]
    pub kafka_brokers: Option<String>,
    /// Reads the words from this topic, JSON messages `{"word": …}`, instead of --input:
    /// every partition, from the earliest message (batch: up to the end offsets at start).
    #[arg(
        long,
        value_name = "IN",
        requires = "kafka_brokers",
        help_heading = "Kafka"
    )]
    pub topic: Option<String>,
    /// Writes every change to this topic instead of --output, as JSON messages
    /// `{"word": …, "count": …, "time": …, "diff": …}` keyed by the word.
    #[arg(
        long,
        value_name = "OUT",
        requires = "kafka_brokers",
        help_heading = "Kafka"
    )]
    pub output_topic: Option<String>,
    /// How the run goes: workers, epochs, bad input.
    #[command(flatten)]
    pub runner: RunnerArgs,
}

impl Args {
    /// What the flags ask for. Kafka flags in a build without the `kafka` feature are a
    /// usage error saying how to rebuild.
    pub fn job(&self) -> Result<Job> {
        self.check_kafka_built(cfg!(feature = "kafka"))?;
        let input = match (&self.input, &self.topic) {
            (Some(path), _) => Input::Files(path.clone()),
            #[cfg(feature = "kafka")]
            (None, Some(topic)) => Input::Kafka(self.kafka_topic(topic)?),
            _ => Input::Files(sample_data()),
        };
        let output = match (&self.output, &self.output_topic) {
            (Some(path), _) => Some(Output::File(path.clone())),
            #[cfg(feature = "kafka")]
            (None, Some(topic)) => Some(Output::Kafka(self.kafka_topic(topic)?)),
            _ => None,
        };
        Ok(Job {
            input,
            output,
            streaming: self.streaming,
        })
    }

    /// A usage error if Kafka flags are given but this build (`kafka_built` false) has no
    /// Kafka support.
    fn check_kafka_built(&self, kafka_built: bool) -> Result<()> {
        let given = [
            ("--kafka-brokers", self.kafka_brokers.is_some()),
            ("--topic", self.topic.is_some()),
            ("--output-topic", self.output_topic.is_some()),
        ];
        match given.iter().find(|(_, given)| *given) {
            Some((flag, _)) if !kafka_built => Err(Error::Usage(format!(
                "{flag} needs Kafka support, which this build of wordcount lacks: rebuild it \
                 with `--features kafka` (cargo run --release -p pathflow-examples \
                 --features kafka --example wordcount -- …)"
            ))),
            _ => Ok(()),
        }
    }

    /// `name` on the brokers of `--kafka-brokers`.
    #[cfg(feature = "kafka")]
    fn kafka_topic(&self, name: &str) -> Result<Topic> {
        let brokers = self.kafka_brokers.as_deref().ok_or_else(|| {
            Error::Usage("--topic and --output-topic need --kafka-brokers HOST:PORT".to_owned())
        })?;
        Ok(Topic {
            brokers: brokers.to_owned(),
            name: name.to_owned(),
        })
    }
}

/// A run the flags describe: where the words come from, where the counts go, and the mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Where the words come from.
    pub input: Input,
    /// Where the counts go; `None` prints the ten most frequent words (batch only).
    pub output: Option<Output>,
    /// Whether to follow the input and write every change.
    pub streaming: bool,
}

/// Where the words come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A CSV file, or a directory of CSV files, with a header holding a column `word`.
    Files(PathBuf),
    /// A Kafka topic of JSON messages `{"word": …}`.
    #[cfg(feature = "kafka")]
    Kafka(Topic),
}

/// Where the counts go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A CSV file: batch writes the final `word,count` snapshot, streaming appends every
    /// change as `word,count,time,diff`.
    File(PathBuf),
    /// A Kafka topic: one JSON message `{"word", "count", "time", "diff"}` per change, keyed
    /// by the word.
    #[cfg(feature = "kafka")]
    Kafka(Topic),
}

impl<P: AsRef<Path> + ?Sized> From<&P> for Input {
    fn from(path: &P) -> Self {
        Input::Files(path.as_ref().to_owned())
    }
}

impl From<PathBuf> for Input {
    fn from(path: PathBuf) -> Self {
        Input::Files(path)
    }
}

impl<P: AsRef<Path> + ?Sized> From<&P> for Output {
    fn from(path: &P) -> Self {
        Output::File(path.as_ref().to_owned())
    }
}

impl From<PathBuf> for Output {
    fn from(path: PathBuf) -> Self {
        Output::File(path)
    }
}

/// A Kafka topic and the brokers that hold it.
#[cfg(feature = "kafka")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    /// `host:port[,host:port…]`.
    pub brokers: String,
    /// The topic's name.
    pub name: String,
}

#[cfg(feature = "kafka")]
impl Topic {
    /// The consumer group wordcount commits its offsets under, for monitoring tools.
    pub const GROUP_ID: &'static str = "pathflow-wordcount";

    fn config(&self) -> KafkaConfig {
        KafkaConfig::new(&self.brokers, &self.name).group_id(Self::GROUP_ID)
    }

    fn sink(&self) -> KafkaSink<WordCount> {
        kafka::sink(self.config(), Payload::Json)
    }
}

/// The bundled sample data: a CSV file with a `word` column.
pub fn sample_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/words.csv")
}

/// Reads the words of `input`, in either mode.
fn read_words<'s, M: Mode>(p: &mut Pipeline<'s, M>, input: &Input) -> Table<'s, Word, M>
where
    FileSource<Word>: Source<M, Row = Word>,
{
    match input {
        Input::Files(path) => p.read(fs::source::<Word>(path, Format::csv())),
        #[cfg(feature = "kafka")]
        Input::Kafka(topic) => p.read(kafka::source::<Word>(topic.config(), Payload::Json)),
    }
}

/// Counts the words of `input` and writes the final counts to `output`: a file gets
/// `word,count` sorted by word, a topic one message per word.
pub fn batch(
    input: impl Into<Input>,
    output: impl Into<Output>,
    runner: Runner<Batch>,
) -> Result<RunReport> {
    let (input, output) = (input.into(), output.into());
    runner.run(move |p| {
        let counts = count_words(read_words(p, &input));
        match &output {
            Output::File(path) => p.write(counts, fs::snapshot(path, Format::csv())),
            #[cfg(feature = "kafka")]
            Output::Kafka(topic) => p.write(counts, topic.sink()),
        }
    })
}

/// Follows `input` and writes the counts' changes to `output` until the run is stopped.
pub fn streaming(
    input: impl Into<Input>,
    output: impl Into<Output>,
    runner: Runner<Streaming>,
) -> Result<RunReport> {
    let (input, output) = (input.into(), output.into());
    runner.run(move |p| {
        let counts = count_words(read_words(p, &input));
        match &output {
            Output::File(path) => p.write(counts, fs::changes(path, Format::csv())),
            #[cfg(feature = "kafka")]
            Output::Kafka(topic) => p.write(counts, topic.sink()),
        }
    })
}

/// The `n` most frequent words of `input`: by count, most frequent first, then by word.
pub fn top(
    input: impl Into<Input>,
    n: usize,
    runner: Runner<Batch>,
) -> Result<(Vec<WordCount>, RunReport)> {
    let (counts, sink) = memory::snapshot::<WordCount>();
    let input = input.into();
    let report = runner.run(move |p| {
        let words = read_words(p, &input);
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
    let job = match args.job() {
        Ok(job) => job,
        Err(error) => return cli::finish(Err(error)),
    };
    let outcome = match (job.output, job.streaming) {
        (Some(output), false) => batch(job.input, output, Runner::batch().args(args.runner)),
        (Some(output), true) => streaming(job.input, output, Runner::streaming().args(args.runner)),
        (None, _) => {
            top(job.input, 10, Runner::batch().args(args.runner)).and_then(|(counts, report)| {
                print(&counts, std::io::stdout().lock())?;
                Ok(report)
            })
        }
    };
    cli::finish(outcome)
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parse(flags: &[&str]) -> std::result::Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("wordcount").chain(flags.iter().copied()))
    }

    #[test]
    fn kafka_flags_in_a_build_without_kafka_say_how_to_rebuild() {
        let args = parse(&["--kafka-brokers", "b:9092", "--topic", "words"]).unwrap();
        let error = args.check_kafka_built(false).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert_eq!(
            error.to_string(),
            "--kafka-brokers needs Kafka support, which this build of wordcount lacks: rebuild \
             it with `--features kafka` (cargo run --release -p pathflow-examples --features \
             kafka --example wordcount -- …)"
        );
        args.check_kafka_built(true).unwrap();

        let to_topic = parse(&["--kafka-brokers", "b:9092", "--output-topic", "counts"]).unwrap();
        assert!(to_topic.check_kafka_built(false).is_err());
        let files = parse(&["--input", "in.csv", "--output", "out.csv"]).unwrap();
        files.check_kafka_built(false).unwrap();
    }

    #[test]
    fn misused_flags_are_usage_errors_naming_them() {
        let cases: [(&[&str], ErrorKind, &[&str]); 7] = [
            (
                &[
                    "--input",
                    "a.csv",
                    "--kafka-brokers",
                    "b:9092",
                    "--topic",
                    "in",
                ],
                ErrorKind::ArgumentConflict,
                &["--input", "--topic"],
            ),
            (
                &[
                    "--kafka-brokers",
                    "b:9092",
                    "--output-topic",
                    "out",
                    "--output",
                    "o.csv",
                ],
                ErrorKind::ArgumentConflict,
                &["--output", "--output-topic"],
            ),
            (
                &["--output-topic", "out"],
                ErrorKind::MissingRequiredArgument,
                &["--kafka-brokers"],
            ),
            (
                &["--topic", "in", "--output", "o.csv"],
                ErrorKind::MissingRequiredArgument,
                &["--kafka-brokers"],
            ),
            (
                &["--kafka-brokers", "b:9092"],
                ErrorKind::MissingRequiredArgument,
                &["--topic", "--output-topic"],
            ),
            (
                &["--streaming"],
                ErrorKind::MissingRequiredArgument,
                &["--output", "--output-topic"],
            ),
            (
                &["--kafka-brokers", "b:9092", "--topic", "in", "--streaming"],
                ErrorKind::MissingRequiredArgument,
                &["--output", "--output-topic"],
            ),
        ];
        for (flags, kind, named) in cases {
            let error = parse(flags).unwrap_err();
            let text = error.render().to_string();
            assert_eq!(error.kind(), kind, "{flags:?}: {text}");
            assert_eq!(error.exit_code(), 2);
            for flag in named {
                assert!(text.contains(flag), "{flags:?}: `{flag}` not in {text}");
            }
        }
    }

    #[test]
    fn files_make_a_file_job() {
        let job = parse(&["--output", "o.csv", "--streaming"])
            .unwrap()
            .job()
            .unwrap();
        assert_eq!(
            job,
            Job {
                input: Input::Files(sample_data()),
                output: Some(Output::File("o.csv".into())),
                streaming: true,
            }
        );
    }

    #[cfg(feature = "kafka")]
    #[test]
    fn kafka_flags_make_a_kafka_job() {
        let topic = |name: &str| Topic {
            brokers: "b:9092".to_owned(),
            name: name.to_owned(),
        };
        let job = |flags: &[&str]| parse(flags).unwrap().job().unwrap();
        assert_eq!(
            job(&[
                "--kafka-brokers",
                "b:9092",
                "--topic",
                "in",
                "--output-topic",
                "out",
                "--streaming"
            ]),
            Job {
                input: Input::Kafka(topic("in")),
                output: Some(Output::Kafka(topic("out"))),
                streaming: true,
            }
        );
        assert_eq!(
            job(&[
                "--kafka-brokers",
                "b:9092",
                "--topic",
                "in",
                "--output",
                "o.csv"
            ]),
            Job {
                input: Input::Kafka(topic("in")),
                output: Some(Output::File("o.csv".into())),
                streaming: false,
            }
        );
        assert_eq!(
            job(&[
                "--input",
                "a.csv",
                "--kafka-brokers",
                "b:9092",
                "--output-topic",
                "out"
            ]),
            Job {
                input: Input::Files("a.csv".into()),
                output: Some(Output::Kafka(topic("out"))),
                streaming: false,
            }
        );
        assert_eq!(
            job(&["--kafka-brokers", "b:9092", "--topic", "in"]).output,
            None
        );
    }
}
