//! CSV decoding on `csv-core`: records of any size, in chunks of any size, with positions.

use std::borrow::Cow;
use std::marker::PhantomData;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use pathflow::schema::TextRecord;
use pathflow::Schema;

use crate::format::decoder::{trim_record, Decoded};
use crate::format::CsvOptions;

/// The UTF-8 byte-order mark some tools put at the start of a file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Reads CSV records into rows of `T`, matching columns by header name or by position.
pub(crate) struct CsvDecoder<T> {
    core: Reader,
    comment: Option<u8>,
    /// The schema's column names, in declaration order.
    columns: Vec<String>,
    /// For each schema column, its field in a record (`None`: the header lacks it).
    index: Vec<Option<usize>>,
    /// The header's names, once read (`None` without header, or before it is read).
    header: Option<Vec<String>>,
    expect_header: bool,
    /// How many fields a record must have (`None` until the header is read).
    fields: Option<usize>,
    out: Vec<u8>,
    ends: Vec<usize>,
    outlen: usize,
    endlen: usize,
    /// The bytes of the incomplete record fed before the current chunk.
    partial: Vec<u8>,
    /// The stream offset of the current chunk's first byte.
    fed: u64,
    /// The stream offset and line of the record being read.
    start: u64,
    start_line: u64,
    ended: bool,
    /// At the start of the stream: the first bytes, held until they can be told from a
    /// byte-order mark.
    lead: Option<Vec<u8>>,
    row: PhantomData<fn() -> T>,
}

impl<T: Schema> CsvDecoder<T> {
    pub(crate) fn new(options: &CsvOptions) -> Self {
        let mut builder = ReaderBuilder::new();
        builder
            .delimiter(options.delimiter)
            .comment(options.comment)
            .quoting(options.quote.is_some());
        if let Some(quote) = options.quote {
            builder.quote(quote);
        }
        let columns: Vec<String> = T::columns().into_iter().map(|c| c.name).collect();
        let (index, fields) = if options.header {
            (vec![None; columns.len()], None)
        } else {
            ((0..columns.len()).map(Some).collect(), Some(columns.len()))
        };
        CsvDecoder {
            core: builder.build(),
            comment: options.comment,
            columns,
            index,
            header: None,
            expect_header: options.header,
            fields,
            out: vec![0; 4096],
            ends: vec![0; 64],
            outlen: 0,
            endlen: 0,
            partial: Vec::new(),
            fed: 0,
            start: 0,
            start_line: 1,
            ended: false,
            lead: Some(Vec::new()),
            row: PhantomData,
        }
    }

    pub(crate) fn needs_header(&self) -> bool {
        self.expect_header && self.header.is_none()
    }

    pub(crate) fn restart_at(&mut self, offset: u64) {
        self.core.reset();
        self.outlen = 0;
        self.endlen = 0;
        self.partial.clear();
        self.fed = offset;
        self.start = offset;
        self.start_line = 1;
        self.ended = false;
        self.lead = (offset == 0).then(Vec::new);
    }

    pub(crate) fn record_start(&self) -> u64 {
        self.start
    }

    pub(crate) fn feed<E, F>(&mut self, input: &[u8], eof: bool, emit: &mut F) -> Result<(), E>
    where
        F: FnMut(Decoded<'_, T>) -> Result<(), E>,
    {
        let Some(mut lead) = self.lead.take() else {
            return self.read(input, eof, emit);
        };
        let input: Cow<'_, [u8]> = if lead.is_empty() {
            Cow::Borrowed(input)
        } else {
            lead.extend_from_slice(input);
            Cow::Owned(lead)
        };
        if input.len() < BOM.len() && BOM.starts_with(&input) && !eof {
            self.lead = Some(input.into_owned());
            return Ok(());
        }
        let skip = if input.starts_with(BOM) { BOM.len() } else { 0 };
        self.fed += skip as u64;
        self.start += skip as u64;
        self.read(&input[skip..], eof, emit)
    }

    /// Reads the records of `input`, the stream's bytes after those read before.
    fn read<E, F>(&mut self, input: &[u8], eof: bool, emit: &mut F) -> Result<(), E>
    where
        F: FnMut(Decoded<'_, T>) -> Result<(), E>,
    {
        let mut at = 0;
        let mut from = 0;
        while !self.ended {
            let data = &input[at..];
            if data.is_empty() && !eof {
                break;
            }
            let (result, read, written, ended) = self.core.read_record(
                data,
                &mut self.out[self.outlen..],
                &mut self.ends[self.endlen..],
            );
            at += read;
            self.outlen += written;
            self.endlen += ended;
            match result {
                ReadRecordResult::InputEmpty if data.is_empty() => break,
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let len = self.out.len() * 2;
                    self.out.resize(len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                ReadRecordResult::Record => {
                    let mut partial = std::mem::take(&mut self.partial);
                    let raw: &[u8] = if partial.is_empty() {
                        &input[from..at]
                    } else {
                        partial.extend_from_slice(&input[from..at]);
                        &partial
                    };
                    let outcome = self.record(raw, emit);
                    partial.clear();
                    self.partial = partial;
                    from = at;
                    self.start = self.fed + at as u64;
                    self.start_line = self.core.line();
                    outcome?;
                }
                ReadRecordResult::End => self.ended = true,
            }
        }
        self.partial.extend_from_slice(&input[from..]);
        self.fed += input.len() as u64;
        Ok(())
    }

    /// Handles one complete record: the header, or a row.
    fn record<E, F>(&mut self, raw: &[u8], emit: &mut F) -> Result<(), E>
    where
        F: FnMut(Decoded<'_, T>) -> Result<(), E>,
    {
        let (outlen, fields) = (self.outlen, self.endlen);
        self.outlen = 0;
        self.endlen = 0;
        if self.needs_header() {
            self.set_header(outlen, fields);
            return Ok(());
        }
        let (raw, line, skipped) = trim_record(raw, self.start_line, self.comment);
        let row = self.decode(outlen, fields);
        emit(Decoded {
            row,
            offset: self.start + skipped as u64,
            line,
            raw,
        })
    }

    fn set_header(&mut self, outlen: usize, fields: usize) {
        let bytes = &self.out[..outlen];
        let mut names = Vec::with_capacity(fields);
        let mut begin = 0;
        for &end in &self.ends[..fields] {
            names.push(
                String::from_utf8_lossy(&bytes[begin..end])
                    .trim()
                    .to_owned(),
            );
            begin = end;
        }
        self.index = self
            .columns
            .iter()
            .map(|column| names.iter().position(|name| name == column))
            .collect();
        self.fields = Some(names.len());
        self.header = Some(names);
    }

    fn decode(&self, outlen: usize, fields: usize) -> Result<T, String> {
        let expected = self.fields.unwrap_or(self.columns.len());
        if fields != expected {
            let what = if self.header.is_some() {
                "as in the header"
            } else {
                "one per column of the schema"
            };
            return Err(format!(
                "expected {expected} fields ({what}), found {fields}"
            ));
        }
        let ends = &self.ends[..fields];
        let text = match std::str::from_utf8(&self.out[..outlen]) {
            Ok(text) if ends.iter().all(|&end| text.is_char_boundary(end)) => text,
            Ok(_) => return Err("the record is not valid UTF-8".to_owned()),
            Err(error) => {
                let field = ends
                    .iter()
                    .position(|&end| end > error.valid_up_to())
                    .unwrap_or(0);
                return Err(format!(
                    "field {} ({}) is not valid UTF-8",
                    field + 1,
                    self.field_name(field)
                ));
            }
        };
        let cells = Cells {
            text,
            ends,
            columns: &self.columns,
            index: &self.index,
        };
        T::decode_text(&cells, "").map_err(|error| {
            let absent = error.missing
                && self
                    .header
                    .as_ref()
                    .is_some_and(|header| !header.contains(&error.column));
            if absent {
                format!("{error} (the header has no column `{}`)", error.column)
            } else {
                error.to_string()
            }
        })
    }

    /// The name of field `field`: from the header, or the schema column at that position.
    fn field_name(&self, field: usize) -> String {
        let name = match &self.header {
            Some(header) => header.get(field),
            None => self.columns.get(field),
        };
        match name {
            Some(name) => format!("column `{name}`"),
            None => "an extra field".to_owned(),
        }
    }
}

/// A decoded CSV record, its cells looked up by schema column name.
struct Cells<'a> {
    text: &'a str,
    ends: &'a [usize],
    columns: &'a [String],
    index: &'a [Option<usize>],
}

impl TextRecord for Cells<'_> {
    fn cell(&self, name: &str) -> Option<&str> {
        let column = self.columns.iter().position(|c| c == name)?;
        let field = self.index[column]?;
        let begin = if field == 0 { 0 } else { self.ends[field - 1] };
        self.text.get(begin..self.ends[field])
    }
}
