//! Line formats: JSON lines and plain text, one record per line.

use std::marker::PhantomData;

use pathflow::schema::{self, JsonValue, TextRecord};
use pathflow::Schema;

use crate::format::decoder::Decoded;

/// What a line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// A JSON object; blank lines are skipped.
    Json,
    /// The text of the row's first column; every line is a row, blank ones too.
    Text,
}

/// Splits a stream into lines and reads each into a row of `T`.
pub(crate) struct LineDecoder<T> {
    kind: LineKind,
    /// The column a text line fills.
    column: String,
    /// The bytes of the incomplete line fed before the current chunk.
    partial: Vec<u8>,
    /// The stream offset of the current chunk's first byte.
    fed: u64,
    /// The stream offset and number of the line being read.
    start: u64,
    line: u64,
    row: PhantomData<fn() -> T>,
}

impl<T: Schema> LineDecoder<T> {
    pub(crate) fn new(kind: LineKind) -> Self {
        let column = T::columns()
            .into_iter()
            .next()
            .map(|c| c.name)
            .unwrap_or_default();
        LineDecoder {
            kind,
            column,
            partial: Vec::new(),
            fed: 0,
            start: 0,
            line: 1,
            row: PhantomData,
        }
    }

    pub(crate) fn restart_at(&mut self, offset: u64) {
        self.partial.clear();
        self.fed = offset;
        self.start = offset;
        self.line = 1;
    }

    pub(crate) fn record_start(&self) -> u64 {
        self.start
    }

    pub(crate) fn feed<E, F>(&mut self, input: &[u8], eof: bool, emit: &mut F) -> Result<(), E>
    where
        F: FnMut(Decoded<'_, T>) -> Result<(), E>,
    {
        let mut from = 0;
        for newline in memchr::memchr_iter(b'\n', input) {
            if self.partial.is_empty() {
                self.line_done(&input[from..newline], emit)?;
            } else {
                let mut partial = std::mem::take(&mut self.partial);
                partial.extend_from_slice(&input[from..newline]);
                let outcome = self.line_done(&partial, emit);
                partial.clear();
                self.partial = partial;
                outcome?;
            }
            from = newline + 1;
            self.start = self.fed + from as u64;
        }
        self.partial.extend_from_slice(&input[from..]);
        self.fed += input.len() as u64;
        if eof && !self.partial.is_empty() {
            let partial = std::mem::take(&mut self.partial);
            self.line_done(&partial, emit)?;
            self.start = self.fed;
        }
        Ok(())
    }

    fn line_done<E, F>(&mut self, line: &[u8], emit: &mut F) -> Result<(), E>
    where
        F: FnMut(Decoded<'_, T>) -> Result<(), E>,
    {
        let number = self.line;
        self.line += 1;
        let raw = line.strip_suffix(b"\r").unwrap_or(line);
        // A byte-order mark at the start of a file is not part of the first row.
        let raw = match raw.strip_prefix(b"\xef\xbb\xbf") {
            Some(rest) if self.start == 0 => rest,
            _ => raw,
        };
        let row = match self.kind {
            LineKind::Json if raw.trim_ascii().is_empty() => return Ok(()),
            LineKind::Json => decode_json(raw),
            LineKind::Text => decode_text(raw, &self.column),
        };
        emit(Decoded {
            row,
            offset: self.start,
            line: number,
            raw,
        })
    }
}

fn decode_json<T: Schema>(raw: &[u8]) -> Result<T, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "the line is not valid UTF-8".to_owned())?;
    let value: JsonValue =
        serde_json::from_str(text).map_err(|error| format!("not valid JSON: {error}"))?;
    schema::decode_json::<T>(&value).map_err(|error| error.to_string())
}

fn decode_text<T: Schema>(raw: &[u8], column: &str) -> Result<T, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "the line is not valid UTF-8".to_owned())?;
    schema::decode_text::<T>(&Line { column, text }).map_err(|error| error.to_string())
}

/// A text line as a record of one cell: the value of the schema's first column.
struct Line<'a> {
    column: &'a str,
    text: &'a str,
}

impl TextRecord for Line<'_> {
    fn cell(&self, name: &str) -> Option<&str> {
        (name == self.column).then_some(self.text)
    }
}
