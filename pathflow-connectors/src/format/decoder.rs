//! [`Decoder`]: bytes in, rows out, whatever the chunk boundaries.

use pathflow::Schema;

use crate::format::csv::CsvDecoder;
use crate::format::lines::{LineDecoder, LineKind};
use crate::format::Format;

/// One record read by a [`Decoder`]: the row, or why it is not one, and where it was.
#[derive(Debug)]
pub struct Decoded<'a, T> {
    /// The row, or the reason the record is not a valid row.
    pub row: Result<T, String>,
    /// The byte offset of the record's first byte in the stream (after any blank or comment
    /// lines before it).
    pub offset: u64,
    /// The line the record starts on, counting from 1 at the start of the stream.
    pub line: u64,
    /// The record's bytes, without its line terminator.
    pub raw: &'a [u8],
}

/// Turns a stream of bytes into rows of `T`, fed in chunks of any size.
///
/// A record that is not complete at the end of a chunk waits for the next one; at the end
/// of the input (`eof`), a last record without a line terminator is read as complete.
/// Streaming readers never pass `eof`, so a partial last line waits for its newline.
pub struct Decoder<T>(Inner<T>);

enum Inner<T> {
    Csv(Box<CsvDecoder<T>>),
    Lines(LineDecoder<T>),
}

impl<T: Schema> Decoder<T> {
    /// A decoder for `format`, at the start of a stream.
    pub fn new(format: &Format) -> Self {
        Decoder(match format {
            Format::Csv(options) => Inner::Csv(Box::new(CsvDecoder::new(options))),
            Format::JsonLines => Inner::Lines(LineDecoder::new(LineKind::Json)),
            Format::Text => Inner::Lines(LineDecoder::new(LineKind::Text)),
        })
    }

    /// Reads the complete records of `input` (the bytes after those fed before), calling
    /// `emit` for each; `eof` says no input follows. Stops at the first error of `emit`.
    pub fn feed<E, F>(&mut self, input: &[u8], eof: bool, emit: &mut F) -> Result<(), E>
    where
        F: FnMut(Decoded<'_, T>) -> Result<(), E>,
    {
        match &mut self.0 {
            Inner::Csv(decoder) => decoder.feed(input, eof, emit),
            Inner::Lines(decoder) => decoder.feed(input, eof, emit),
        }
    }

    /// Whether the decoder still waits for a CSV header before it can read rows.
    pub fn needs_header(&self) -> bool {
        match &self.0 {
            Inner::Csv(decoder) => decoder.needs_header(),
            Inner::Lines(_) => false,
        }
    }

    /// Continues with a new stream that starts at byte `offset` on a line boundary, with
    /// lines counted from 1 again; a CSV header already read is kept. This is how a reader
    /// of a byte range takes the header from the start of the file and then skips ahead.
    pub fn restart_at(&mut self, offset: u64) {
        match &mut self.0 {
            Inner::Csv(decoder) => decoder.restart_at(offset),
            Inner::Lines(decoder) => decoder.restart_at(offset),
        }
    }

    /// The offset where the record being read starts: the end of the last complete record.
    pub fn record_start(&self) -> u64 {
        match &self.0 {
            Inner::Csv(decoder) => decoder.record_start(),
            Inner::Lines(decoder) => decoder.record_start(),
        }
    }
}

/// Strips what precedes a record (blank lines, comment lines, the `\n` of a `\r\n` that
/// ended the previous record) and its line terminator: returns the record, its line, and
/// how many leading bytes were stripped.
pub(crate) fn trim_record(raw: &[u8], mut line: u64, comment: Option<u8>) -> (&[u8], u64, usize) {
    let mut start = 0;
    while start < raw.len() {
        match raw[start] {
            b'\n' => {
                start += 1;
                line += 1;
            }
            b'\r' => start += 1,
            c if Some(c) == comment => match memchr::memchr(b'\n', &raw[start..]) {
                Some(end) => {
                    start += end + 1;
                    line += 1;
                }
                None => start = raw.len(),
            },
            _ => break,
        }
    }
    let mut record = &raw[start..];
    while let Some(b'\n' | b'\r') = record.last() {
        record = &record[..record.len() - 1];
    }
    (record, line, start)
}
