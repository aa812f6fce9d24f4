//! Following files in a streaming run: read what is there, then every new, grown,
//! rewritten or deleted file, as it happens.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs::{File, Metadata};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use pathflow::source::{Poll, SourceOutput, SourceReader, Waker};
use pathflow::{Error, Result, Row, Schema};

use crate::format::Format;
use crate::fs::input::Input;
use crate::fs::reader::{FileReader, Step};
use crate::fs::watch::Watch;

/// Follows an input: files in name order first, then changes in order of discovery.
///
/// A file is *appended to* when it is the same file (device and inode), not shorter than
/// what was read, and the first and last 8 KiB read are unchanged: its new complete lines
/// are read. Otherwise it was *rewritten*: its rows are retracted and it is read anew, as a
/// new generation (so its rows come after every row read before). A file that has gone has
/// its rows retracted.
///
/// Each queued file takes a *turn*: the retraction of its old rows, if it was rewritten or
/// has gone, then its bytes up to the end of the file as it is then. With `epoch_per_file`
/// a turn that changed anything ends with a commit, so it is an epoch of its own (the
/// runner moves the empty epoch that follows on with the clock, so what operators emit just
/// after a turn's epoch does not wait for the next change).
pub(crate) struct Follower<T> {
    source: String,
    input: Input,
    format: Format,
    files: BTreeMap<PathBuf, Followed<T>>,
    /// Files whose turn is due, in order of discovery.
    queue: VecDeque<PathBuf>,
    /// Rows of rewritten or deleted files, retracted at their path's turn.
    retired: HashMap<PathBuf, Vec<(T, u64)>>,
    /// Whether the current turn has changed anything yet.
    turn_changed: bool,
    epoch_per_file: bool,
    next_generation: u64,
    watch: Watch,
    interval: Duration,
    last_scan: Option<Instant>,
}

/// What is known of one followed file.
struct Followed<T> {
    reader: FileReader<T>,
    /// The rows read from it, with their offsets, to retract them.
    rows: Vec<(T, u64)>,
    stamp: Stamp,
}

/// What a scan compares to notice a change without reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    identity: Option<(u64, u64)>,
}

impl Stamp {
    fn of(meta: &Metadata) -> Self {
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            identity: identity(meta),
        }
    }
}

#[cfg(unix)]
fn identity(meta: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &Metadata) -> Option<(u64, u64)> {
    None
}

impl<T: Schema> Follower<T> {
    /// Starts following `input`, rescanning at least every `interval`, and on change
    /// events too if `watch`; with `epoch_per_file`, each file's turn is an epoch.
    pub(crate) fn open(
        source: String,
        input: Input,
        format: Format,
        interval: Duration,
        watch: bool,
        epoch_per_file: bool,
    ) -> Result<Self> {
        input.check(&source)?;
        let watch = if watch {
            let (root, recursive) = input.watch_root();
            Watch::start(&root, recursive, &source)
        } else {
            Watch::none()
        };
        Ok(Follower {
            source,
            input,
            format,
            files: BTreeMap::new(),
            queue: VecDeque::new(),
            retired: HashMap::new(),
            turn_changed: false,
            epoch_per_file,
            next_generation: 0,
            watch,
            interval,
            last_scan: None,
        })
    }

    /// Compares the input with what was read, and queues a turn for every file that has
    /// gone, was rewritten or has bytes to read.
    fn scan(&mut self) -> Result<()> {
        let listed = self.input.list(&self.source)?;
        let present: BTreeSet<&PathBuf> = listed.iter().collect();
        let gone: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|path| !present.contains(path))
            .cloned()
            .collect();
        for path in gone {
            if let Some(file) = self.files.remove(&path) {
                self.retire(path, file.rows);
            }
        }
        for path in listed {
            // A file that vanished since it was listed is retracted by the next scan.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let stamp = Stamp::of(&meta);
            let rewritten = match self.files.get(&path) {
                None => true,
                Some(file) if file.stamp == stamp => continue,
                Some(file) => {
                    let appended = file.stamp.identity == stamp.identity
                        && stamp.len >= file.reader.read_so_far()
                        && self.still_appended(&path, &file.reader)?;
                    !appended
                }
            };
            if let Some(file) = self.files.get_mut(&path) {
                file.stamp = stamp;
            }
            if rewritten {
                let reader = FileReader::new(&path, &self.format, self.next_generation, true);
                self.next_generation += 1;
                let old = self.files.insert(
                    path.clone(),
                    Followed {
                        reader,
                        rows: Vec::new(),
                        stamp,
                    },
                );
                if let Some(old) = old {
                    self.retire(path.clone(), old.rows);
                }
            }
            self.enqueue(path);
        }
        Ok(())
    }

    /// Keeps `rows` of a file that has gone or was rewritten, to retract them at its turn.
    fn retire(&mut self, path: PathBuf, rows: Vec<(T, u64)>) {
        self.retired.entry(path.clone()).or_default().extend(rows);
        self.enqueue(path);
    }

    /// Queues a turn for `path`, unless one is queued already.
    fn enqueue(&mut self, path: PathBuf) {
        if !self.queue.contains(&path) {
            self.queue.push_back(path);
        }
    }

    /// Whether the bytes `reader` read are still the start of the file at `path`.
    fn still_appended(&self, path: &PathBuf, reader: &FileReader<T>) -> Result<bool> {
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(_) => return Ok(false),
        };
        reader.unchanged(&mut file).map_err(|error| {
            Error::connector(
                &self.source,
                format!("cannot read `{}`: {error}", path.display()),
            )
        })
    }
}

fn retract<T: Row>(rows: Vec<(T, u64)>, output: &mut SourceOutput<'_, T>) {
    for (row, offset) in rows {
        output.retract(row, offset);
    }
}

impl<T: Schema> SourceReader<T> for Follower<T> {
    fn poll(&mut self, output: &mut SourceOutput<'_, T>) -> Result<Poll> {
        while let Some(path) = self.queue.front() {
            if let Some(rows) = self.retired.remove(path) {
                self.turn_changed |= !rows.is_empty();
                retract(rows, output);
            }
            let step = match self.files.get_mut(path) {
                Some(file) => file
                    .reader
                    .step(&self.source, output, Some(&mut file.rows))?,
                None => Step::Done,
            };
            if step == Step::Read {
                self.turn_changed = true;
                return Ok(Poll::Ready);
            }
            self.queue.pop_front();
            if std::mem::take(&mut self.turn_changed) && self.epoch_per_file {
                output.commit();
                return Ok(Poll::Ready);
            }
        }
        let due = self
            .last_scan
            .is_none_or(|last| last.elapsed() >= self.interval);
        if self.watch.take_changed() || due {
            self.last_scan = Some(Instant::now());
            self.scan()?;
            if !self.queue.is_empty() {
                return Ok(Poll::Ready);
            }
        }
        Ok(Poll::Pending)
    }

    fn commits_epochs(&self) -> bool {
        self.epoch_per_file
    }

    fn set_waker(&mut self, waker: Waker) {
        self.watch.set_waker(waker);
    }
}

/// The reader of a worker that follows nothing: in a streaming run, worker 0 follows the
/// whole input.
pub(crate) struct Idle;

impl<T: 'static> SourceReader<T> for Idle {
    fn poll(&mut self, _output: &mut SourceOutput<'_, T>) -> Result<Poll> {
        Ok(Poll::Finished)
    }
}
