//! [`FileReader`]: reads one file, or one byte range of it, a chunk at a time.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use pathflow::source::SourceOutput;
use pathflow::{Error, InputError, Result, Schema};

use crate::format::{Decoded, Decoder, Format};
use crate::fs::samples::Samples;

/// How many bytes one step reads.
const CHUNK: usize = 64 << 10;
/// How many bytes a range reader reads at a time once past its range, to finish the record
/// that started inside it.
const SLACK: usize = 64 << 10;
/// The bits of a row's offset that hold its byte offset in the file; the bits above hold
/// the file's generation (its index in name order, or in order of discovery). Offsets order
/// rows exactly for files up to 1 TiB and up to 16 million generations.
const OFFSET_BITS: u32 = 40;

/// What a step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Read a chunk: step again.
    Read,
    /// At the end of the file as it is now (following only): a partial last record waits.
    Waiting,
    /// The file or range is done.
    Done,
}

/// Reads one file, or the records starting in one byte range of it, into a source output.
pub(crate) struct FileReader<T> {
    path: PathBuf,
    file: Option<File>,
    decoder: Decoder<T>,
    /// The next byte to read.
    pos: u64,
    /// Where the decoder's stream starts (a range's first line).
    stream_start: u64,
    /// The end of the range: records starting at or after it belong to the next range.
    end: Option<u64>,
    generation: u64,
    /// The line breaks before `stream_start`, counted when an error first needs them.
    line_base: Option<u64>,
    /// Samples of what was read, when following the file.
    samples: Option<Samples>,
    buf: Vec<u8>,
    done: bool,
}

impl<T: Schema> FileReader<T> {
    /// A reader of the whole of `path`, from its start; `follow` keeps samples of what it
    /// reads so that [`FileReader::unchanged`] can tell an append from a rewrite.
    pub(crate) fn new(path: &Path, format: &Format, generation: u64, follow: bool) -> Self {
        FileReader {
            path: path.to_owned(),
            file: None,
            decoder: Decoder::new(format),
            pos: 0,
            stream_start: 0,
            end: None,
            generation,
            line_base: Some(0),
            samples: follow.then(Samples::default),
            buf: Vec::new(),
            done: false,
        }
    }

    /// A reader of the records that start in `[start, end)` of `path`; the format's lines
    /// must be records. Reads the CSV header from the start of the file first.
    pub(crate) fn range(
        path: &Path,
        format: &Format,
        generation: u64,
        start: u64,
        end: Option<u64>,
        source: &str,
    ) -> Result<Self> {
        let mut reader = FileReader::new(path, format, generation, false);
        reader.end = end;
        if start > 0 {
            let file = &mut open_at(path, 0, source)?;
            let mut chunk = vec![0; SLACK];
            while reader.decoder.needs_header() {
                let read = read_some(file, &mut chunk).map_err(|e| read_error(source, path, e))?;
                reader
                    .decoder
                    .feed(&chunk[..read], read == 0, &mut |_| Ok::<(), Error>(()))?;
                if read == 0 {
                    break;
                }
            }
            let first = line_start(file, start).map_err(|e| read_error(source, path, e))?;
            reader.pos = first;
            reader.stream_start = first;
            reader.line_base = None;
            reader.decoder.restart_at(first);
        }
        Ok(reader)
    }

    /// The number of bytes read so far.
    pub(crate) fn read_so_far(&self) -> u64 {
        self.pos
    }

    /// Whether `file` still holds what this reader read from it (it may have grown): the
    /// samples kept while following match. Always true for a reader that does not follow.
    pub(crate) fn unchanged(&self, file: &mut File) -> io::Result<bool> {
        match &self.samples {
            Some(samples) => samples.still_in(file, self.pos),
            None => Ok(true),
        }
    }

    /// Reads the next chunk into `output`; in `follow` mode, rows are also kept in `kept`
    /// (with their offsets, to retract them later) and the end of the file is not the end
    /// of the input. A file that has gone while following is [`Step::Waiting`]: the next
    /// scan retracts it.
    pub(crate) fn step(
        &mut self,
        source: &str,
        output: &mut SourceOutput<'_, T>,
        mut kept: Option<&mut Vec<(T, u64)>>,
    ) -> Result<Step> {
        if self.done {
            return Ok(Step::Done);
        }
        let follow = self.samples.is_some();
        let want = match self.end {
            Some(end) if self.pos < end => ((end - self.pos) as usize).min(CHUNK),
            Some(_) => SLACK,
            None => CHUNK,
        };
        if self.file.is_none() {
            match open_at(&self.path, self.pos, source) {
                Ok(file) => self.file = Some(file),
                Err(_) if follow && !self.path.exists() => return Ok(Step::Waiting),
                Err(error) => return Err(error),
            }
        }
        let file = self.file.as_mut().expect("opened above");
        self.buf.resize(want, 0);
        let read = read_some(file, &mut self.buf).map_err(|e| read_error(source, &self.path, e))?;
        if read == 0 && follow {
            self.file = None;
            return Ok(Step::Waiting);
        }
        self.pos += read as u64;
        if let Some(samples) = &mut self.samples {
            samples.record(&self.buf[..read]);
        }

        let (end, generation, path) = (self.end, self.generation, &self.path);
        let (line_base, stream_start) = (&mut self.line_base, self.stream_start);
        let mut past_end = false;
        let mut emit = |record: Decoded<'_, T>| -> Result<()> {
            if end.is_some_and(|end| record.offset >= end) {
                past_end = true;
                return Ok(());
            }
            let offset = (generation << OFFSET_BITS) | record.offset;
            match record.row {
                Ok(row) => {
                    if let Some(kept) = kept.as_mut() {
                        kept.push((row.clone(), offset));
                    }
                    output.insert(row, offset);
                    Ok(())
                }
                Err(reason) => {
                    let base = match *line_base {
                        Some(base) => base,
                        None => {
                            let base = count_lines(path, stream_start)
                                .map_err(|e| read_error(source, path, e))?;
                            *line_base = Some(base);
                            base
                        }
                    };
                    let position = format!("{}:{}", path.display(), base + record.line);
                    let raw = String::from_utf8_lossy(record.raw);
                    output.error(InputError::new(source, position, raw, reason))
                }
            }
        };
        self.decoder.feed(&self.buf[..read], read == 0, &mut emit)?;
        let range_done = self
            .end
            .is_some_and(|end| past_end || self.decoder.record_start() >= end);
        if read == 0 || range_done {
            self.done = true;
            self.file = None;
            return Ok(Step::Done);
        }
        Ok(Step::Read)
    }
}

/// Opens `path` at byte `pos`.
fn open_at(path: &Path, pos: u64, source: &str) -> Result<File> {
    let mut file = File::open(path).map_err(|error| {
        let advice = match error.kind() {
            io::ErrorKind::NotFound => "it was removed while the source was reading",
            io::ErrorKind::PermissionDenied => "check its permissions",
            _ => "check that it is a readable file",
        };
        Error::connector(
            source,
            format!("cannot open `{}`: {error}; {advice}", path.display()),
        )
    })?;
    file.seek(SeekFrom::Start(pos))
        .map_err(|e| read_error(source, path, e))?;
    Ok(file)
}

fn read_error(source: &str, path: &Path, error: io::Error) -> Error {
    Error::connector(source, format!("cannot read `{}`: {error}", path.display()))
}

/// Reads what is there, up to `buf.len()` bytes, retrying interrupted reads.
fn read_some(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// The start of the first line that begins at or after `at`: the byte after the first line
/// break at or after `at - 1` (or the end of the file).
fn line_start(file: &mut File, at: u64) -> io::Result<u64> {
    if at == 0 {
        return Ok(0);
    }
    let mut pos = at - 1;
    file.seek(SeekFrom::Start(pos))?;
    let mut chunk = vec![0; SLACK];
    loop {
        let read = read_some(file, &mut chunk)?;
        if read == 0 {
            return Ok(pos);
        }
        if let Some(newline) = memchr::memchr(b'\n', &chunk[..read]) {
            return Ok(pos + newline as u64 + 1);
        }
        pos += read as u64;
    }
}

/// The number of line breaks in the first `len` bytes of `path`.
fn count_lines(path: &Path, len: u64) -> io::Result<u64> {
    let mut file = File::open(path)?.take(len);
    let mut chunk = vec![0; CHUNK];
    let mut lines = 0;
    loop {
        let read = file.read(&mut chunk)?;
        if read == 0 {
            return Ok(lines);
        }
        lines += memchr::memchr_iter(b'\n', &chunk[..read]).count() as u64;
    }
}
