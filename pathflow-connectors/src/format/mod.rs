//! Formats: how rows are laid out as bytes, apart from where the bytes come from.
//!
//! A [`Format`] is plain configuration. Transports turn it into a [`Decoder`] (bytes in,
//! rows out, one record at a time, fed in chunks of any size) and an [`Encoder`] (rows in,
//! bytes out), so the file connectors and message-queue connectors share one codec.

mod csv;
mod decoder;
mod encoder;
mod lines;

pub use decoder::{Decoded, Decoder};
pub use encoder::Encoder;

/// How rows are laid out in a file or a message.
///
/// ```
/// use pathflow_connectors::{CsvOptions, Format};
///
/// let plain = Format::csv();
/// let semicolons = Format::Csv(CsvOptions::default().delimiter(b';').comment(Some(b'#')));
/// assert_ne!(plain, semicolons);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values, one record per row (RFC 4180 quoting).
    Csv(CsvOptions),
    /// One JSON object per line; columns by key, absent keys allowed for optional columns.
    JsonLines,
    /// One row per line: the line is the row's first column. Written as the row's cells
    /// separated by tabs, without quoting.
    Text,
}

impl Format {
    /// CSV with the default options: a header naming the columns, `,` and `"`.
    pub fn csv() -> Self {
        Format::Csv(CsvOptions::default())
    }

    /// Whether every line break ends a record, so a file can be read from any line on:
    /// what splitting one file across workers by byte range needs.
    pub fn lines_are_records(&self) -> bool {
        match self {
            Format::Csv(options) => options.quote.is_none() || !options.quoted_newlines,
            Format::JsonLines | Format::Text => true,
        }
    }
}

/// The options of [`Format::Csv`]; build them from the default with the setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsvOptions {
    /// Whether the first record names the columns (default `true`). With a header, columns
    /// are matched by name: in any order, extra columns ignored, optional ones may be absent.
    /// Without, the fields are the schema's columns in declaration order.
    pub header: bool,
    /// The field delimiter (default `,`).
    pub delimiter: u8,
    /// The quote character, or `None` to read quotes as plain text (default `"`).
    pub quote: Option<u8>,
    /// Lines starting with this character are skipped (default none).
    pub comment: Option<u8>,
    /// Whether a quoted field may contain a line break (default `true`). Set it to `false`
    /// when the data has none: a large file can then be split across workers by byte range.
    pub quoted_newlines: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            header: true,
            delimiter: b',',
            quote: Some(b'"'),
            comment: None,
            quoted_newlines: true,
        }
    }
}

impl CsvOptions {
    /// Sets whether the first record is a header.
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// Sets the field delimiter.
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Sets the quote character (`None`: no quoting).
    pub fn quote(mut self, quote: Option<u8>) -> Self {
        self.quote = quote;
        self
    }

    /// Sets the comment character (`None`: no comments).
    pub fn comment(mut self, comment: Option<u8>) -> Self {
        self.comment = comment;
        self
    }

    /// Sets whether quoted fields may span lines.
    pub fn quoted_newlines(mut self, allowed: bool) -> Self {
        self.quoted_newlines = allowed;
        self
    }
}
