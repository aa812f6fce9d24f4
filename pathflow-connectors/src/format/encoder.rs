//! [`Encoder`]: rows in, bytes out, with extra columns such as `time` and `diff`.

use std::io::{self, Write};

use pathflow::schema::{self, JsonValue};
use pathflow::Schema;

use crate::format::Format;

/// Writes rows of any schema in a [`Format`] to `W`, each followed by extra integer columns
/// (a change stream's `time` and `diff`).
///
/// Floats are written in Rust's shortest form that reads back to the same value.
pub struct Encoder<W: Write>(Inner<W>);

enum Inner<W: Write> {
    Csv {
        writer: Box<csv::Writer<W>>,
        header: bool,
    },
    Json(W),
    Text(W),
}

impl<W: Write> Encoder<W> {
    /// An encoder writing `format` to `out`.
    pub fn new(format: &Format, out: W) -> Self {
        Encoder(match format {
            Format::Csv(options) => {
                let mut builder = csv::WriterBuilder::new();
                builder.delimiter(options.delimiter);
                match options.quote {
                    Some(quote) => builder.quote(quote),
                    None => builder.quote_style(csv::QuoteStyle::Never),
                };
                Inner::Csv {
                    writer: Box::new(builder.from_writer(out)),
                    header: options.header,
                }
            }
            Format::JsonLines => Inner::Json(out),
            Format::Text => Inner::Text(out),
        })
    }

    /// Writes the header naming the columns of `T` and then `extra` (CSV with a header
    /// only; other formats name their columns in each row or not at all).
    pub fn header<T: Schema>(&mut self, extra: &[&str]) -> io::Result<()> {
        if let Inner::Csv {
            writer,
            header: true,
        } = &mut self.0
        {
            let columns = T::columns();
            let names = columns
                .iter()
                .map(|c| c.name.as_str())
                .chain(extra.iter().copied());
            writer.write_record(names).map_err(io_error)?;
        }
        Ok(())
    }

    /// Writes one row followed by the `extra` columns, named for JSON.
    pub fn row<T: Schema>(&mut self, row: &T, extra: &[(&str, i64)]) -> io::Result<()> {
        match &mut self.0 {
            Inner::Csv { writer, .. } => {
                let mut cells = schema::encode_text(row);
                cells.extend(extra.iter().map(|(_, value)| value.to_string()));
                writer.write_record(&cells).map_err(io_error)?;
            }
            Inner::Json(out) => {
                let mut value = schema::encode_json(row);
                if let JsonValue::Object(object) = &mut value {
                    for (name, extra) in extra {
                        object.insert((*name).to_owned(), JsonValue::from(*extra));
                    }
                }
                serde_json::to_writer(&mut *out, &value)?;
                out.write_all(b"\n")?;
            }
            Inner::Text(out) => {
                let mut cells = schema::encode_text(row);
                cells.extend(extra.iter().map(|(_, value)| value.to_string()));
                out.write_all(cells.join("\t").as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    /// Flushes everything written so far to `W` and flushes `W`.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Inner::Csv { writer, .. } => writer.flush(),
            Inner::Json(out) | Inner::Text(out) => out.flush(),
        }
    }

    /// Flushes and returns the writer.
    pub fn into_inner(self) -> io::Result<W> {
        match self.0 {
            Inner::Csv { writer, .. } => writer.into_inner().map_err(|e| e.into_error()),
            Inner::Json(mut out) | Inner::Text(mut out) => {
                out.flush()?;
                Ok(out)
            }
        }
    }
}

/// The I/O error inside a CSV writer's error, so that its OS error (a full disk) survives;
/// other CSV errors become `io::ErrorKind::Other`.
fn io_error(error: csv::Error) -> io::Error {
    if !error.is_io_error() {
        return io::Error::other(error);
    }
    match error.into_kind() {
        csv::ErrorKind::Io(inner) => inner,
        other => io::Error::other(format!("{other:?}")),
    }
}
