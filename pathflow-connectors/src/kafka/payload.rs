//! Turning a Kafka message into row changes, and rows into message payloads.

use std::convert::Infallible;
use std::io;

use pathflow::schema::{self, JsonValue, Schema, TextRecord};

use crate::format::{Decoded, Decoder, Encoder};
use crate::kafka::debezium;
use crate::{CsvOptions, Format};

/// How message payloads encode rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Payload {
    /// A JSON object per message, columns by name (the default).
    #[default]
    Json,
    /// One CSV record per message, columns in schema order, no header.
    Csv {
        /// The field delimiter.
        delimiter: u8,
    },
    /// The whole payload is the row's one text column.
    Text,
    /// A Debezium change event (`before`/`after`/`op`), with or without the `schema`
    /// wrapper; `c`/`r` insert, `u` replaces, `d` deletes.
    Debezium,
}

/// What one message means for the table.
#[derive(Debug, PartialEq)]
pub(crate) enum Change<T: Schema> {
    /// A row to insert (replacing the row of the same primary key, if the schema has one).
    Upsert(T),
    /// A row replaced by another: `before` (when given) is removed, `after` inserted. With a
    /// primary key, the key's current row is replaced whatever `before` says.
    Replace {
        /// The old row, if the event carries it.
        before: Option<T>,
        /// The new row.
        after: T,
    },
    /// A row to remove: by its primary key if the schema has one, else this exact row.
    Delete(T),
    /// A deletion by primary key alone (a tombstone).
    DeleteKey(T::Key),
    /// A message that changes nothing (a Debezium heartbeat or schema change).
    Nothing,
}

/// Decodes a message: `key` and `value` as Kafka gives them.
pub(crate) fn decode<T: Schema>(
    payload: Payload,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
) -> Result<Change<T>, String> {
    let Some(value) = value else {
        return match key {
            Some(key) if T::HAS_PRIMARY_KEY => decode_key::<T>(key).map(Change::DeleteKey),
            Some(_) => {
                Err("a tombstone (null payload) for a schema without a primary key".to_owned())
            }
            None => Err("a message with neither key nor payload".to_owned()),
        };
    };
    let text = std::str::from_utf8(value).map_err(|e| format!("the payload is not UTF-8: {e}"))?;
    match payload {
        Payload::Json => {
            let mut json: JsonValue =
                serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
            fill_key_columns::<T>(&mut json, key)?;
            schema::decode_json::<T>(&json)
                .map(Change::Upsert)
                .map_err(|e| e.to_string())
        }
        Payload::Csv { delimiter } => decode_csv::<T>(value, delimiter).map(Change::Upsert),
        Payload::Text => {
            let columns = T::columns();
            let [column] = columns.as_slice() else {
                return Err(format!(
                    "the text payload fills one column, but the schema has {}",
                    columns.len()
                ));
            };
            let record = OneCell {
                name: &column.name,
                text,
            };
            schema::decode_text::<T>(&record)
                .map(Change::Upsert)
                .map_err(|e| e.to_string())
        }
        Payload::Debezium => debezium::decode::<T>(text),
    }
}

/// Parses a message key into a primary key: JSON (a number, an array for several columns),
/// or else the key's text as a string.
pub(crate) fn decode_key<T: Schema>(key: &[u8]) -> Result<T::Key, String> {
    let text =
        std::str::from_utf8(key).map_err(|e| format!("the message key is not UTF-8: {e}"))?;
    serde_json::from_str::<T::Key>(text)
        .or_else(|_| serde_json::from_value::<T::Key>(JsonValue::String(text.to_owned())))
        .map_err(|e| format!("the message key `{text}` does not match the primary key: {e}"))
}

/// The message key for a row: its primary key as text (one column) or a JSON array.
pub(crate) fn encode_key<T: Schema>(row: &T) -> Option<Vec<u8>> {
    if !T::HAS_PRIMARY_KEY {
        return None;
    }
    let key = serde_json::to_value(row.primary_key()).ok()?;
    Some(match key {
        JsonValue::String(text) => text.into_bytes(),
        other => other.to_string().into_bytes(),
    })
}

/// Where a JSON payload lacks the primary-key columns, takes them from the message key.
fn fill_key_columns<T: Schema>(json: &mut JsonValue, key: Option<&[u8]>) -> Result<(), String> {
    let (Some(key), JsonValue::Object(object)) = (key, json) else {
        return Ok(());
    };
    let names = T::PRIMARY_KEY_COLUMNS;
    if names.is_empty() || names.iter().all(|name| object.contains_key(*name)) {
        return Ok(());
    }
    let text =
        std::str::from_utf8(key).map_err(|e| format!("the message key is not UTF-8: {e}"))?;
    if let [name] = names {
        let value =
            serde_json::from_str(text).unwrap_or_else(|_| JsonValue::String(text.to_owned()));
        object.entry(name.to_string()).or_insert(value);
    } else {
        let JsonValue::Array(values) = serde_json::from_str(text).map_err(|e| {
            format!("the message key `{text}` is not a JSON array of the key columns: {e}")
        })?
        else {
            return Err(format!(
                "the message key `{text}` is not a JSON array of the key columns"
            ));
        };
        for (name, value) in names.iter().zip(values) {
            object.entry(name.to_string()).or_insert(value);
        }
    }
    Ok(())
}

/// Reads a CSV payload through the file formats' [`Decoder`]: one record, no header, the
/// fields in schema order.
fn decode_csv<T: Schema>(value: &[u8], delimiter: u8) -> Result<T, String> {
    let mut decoder = Decoder::<T>::new(&csv_format(delimiter));
    let mut rows = Vec::with_capacity(1);
    let Ok(()) = decoder.feed(value, true, &mut |record: Decoded<'_, T>| {
        rows.push(record.row);
        Ok::<(), Infallible>(())
    });
    let mut rows = rows.into_iter();
    match (rows.next(), rows.len()) {
        (None, _) => Err("an empty CSV payload".to_owned()),
        (Some(row), 0) => row,
        (Some(_), more) => Err(format!(
            "a CSV payload holds one record, this one holds {}",
            more + 1
        )),
    }
}

/// The file format a [`Payload::Csv`] payload is in: a single record without header.
fn csv_format(delimiter: u8) -> Format {
    Format::Csv(CsvOptions::default().header(false).delimiter(delimiter))
}

struct OneCell<'a> {
    name: &'a str,
    text: &'a str,
}

impl TextRecord for OneCell<'_> {
    fn cell(&self, name: &str) -> Option<&str> {
        (name == self.name).then_some(self.text)
    }
}

/// The payload for one change of a sink: the row's columns plus `time` and `diff`, written by
/// the file formats' [`Encoder`] (JSON for every payload but CSV).
pub(crate) fn encode<T: Schema>(
    payload: Payload,
    row: &T,
    time: u64,
    diff: isize,
) -> io::Result<Vec<u8>> {
    let format = match payload {
        Payload::Csv { delimiter } => csv_format(delimiter),
        Payload::Json | Payload::Text | Payload::Debezium => Format::JsonLines,
    };
    let time = i64::try_from(time).map_err(io::Error::other)?;
    let diff = i64::try_from(diff).map_err(io::Error::other)?;
    let mut encoder = Encoder::new(&format, Vec::new());
    encoder.row(row, &[("time", time), ("diff", diff)])?;
    let mut bytes = encoder.into_inner()?;
    // The formats end each record with a line break; a message is one record.
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use pathflow::Schema;

    use super::*;

    #[derive(Schema, Clone, Debug)]
    struct Sale {
        #[pathflow(primary_key)]
        id: u64,
        item: String,
        price: f64,
    }

    fn sale(item: &str) -> Sale {
        Sale {
            id: 7,
            item: item.to_owned(),
            price: 2.5,
        }
    }

    const CSV: Payload = Payload::Csv { delimiter: b';' };

    #[test]
    fn csv_payloads_are_written_and_read_as_the_file_format_does() {
        let item = "a; \"quoted\" item\nover two lines";
        let bytes = encode(CSV, &sale(item), 40, -1).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "7;\"a; \"\"quoted\"\" item\nover two lines\";2.5;40;-1"
        );
        let payload = "7;\"a; \"\"quoted\"\" item\nover two lines\";2.5";
        assert_eq!(
            decode::<Sale>(CSV, None, Some(payload.as_bytes())),
            Ok(Change::Upsert(sale(item)))
        );
    }

    #[test]
    fn a_csv_payload_must_hold_exactly_one_complete_record() {
        let error = |payload: &str| match decode::<Sale>(CSV, None, Some(payload.as_bytes())) {
            Err(error) => error,
            Ok(change) => panic!("`{payload}` decoded to {change:?}"),
        };
        assert_eq!(error(""), "an empty CSV payload");
        assert_eq!(
            error("1;a;1\n2;b;2"),
            "a CSV payload holds one record, this one holds 2"
        );
        assert!(error("1;a").contains("found 2"), "{}", error("1;a"));
        assert!(error("x;a;1").contains("id"), "{}", error("x;a;1"));
    }

    #[test]
    fn json_payloads_carry_the_columns_time_and_diff() {
        for payload in [Payload::Json, Payload::Text, Payload::Debezium] {
            let bytes = encode(payload, &sale("tea"), 40, 1).unwrap();
            let value: JsonValue = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(
                value,
                serde_json::json!({"id": 7, "item": "tea", "price": 2.5, "time": 40, "diff": 1})
            );
            assert!(!bytes.ends_with(b"\n"));
        }
    }
}
