//! Turning a Kafka message into row changes, and rows into message payloads.

use std::collections::HashMap;

use pathflow::schema::{self, Column, JsonValue, Schema, TextRecord};

use crate::kafka::debezium;

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
        Payload::Csv { delimiter } => decode_csv::<T>(text, delimiter).map(Change::Upsert),
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

fn decode_csv<T: Schema>(text: &str, delimiter: u8) -> Result<T, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let record = reader
        .records()
        .next()
        .ok_or("an empty CSV payload")?
        .map_err(|e| format!("invalid CSV: {e}"))?;
    let columns: Vec<Column> = T::columns();
    let cells: HashMap<&str, &str> = columns
        .iter()
        .map(|c| c.name.as_str())
        .zip(record.iter())
        .collect();
    schema::decode_text::<T>(&Cells(cells)).map_err(|e| e.to_string())
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

struct Cells<'a>(HashMap<&'a str, &'a str>);

impl TextRecord for Cells<'_> {
    fn cell(&self, name: &str) -> Option<&str> {
        self.0.get(name).copied()
    }
}

/// The payload for one change of a sink: the row's columns plus `time` and `diff`.
pub(crate) fn encode<T: Schema>(payload: Payload, row: &T, time: u64, diff: isize) -> Vec<u8> {
    match payload {
        Payload::Csv { delimiter } => {
            let mut cells = schema::encode_text(row);
            cells.push(time.to_string());
            cells.push(diff.to_string());
            let mut writer = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            let _ = writer.write_record(&cells);
            let mut bytes = writer.into_inner().unwrap_or_default();
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            bytes
        }
        Payload::Text | Payload::Json | Payload::Debezium => {
            let mut json = schema::encode_json(row);
            if let JsonValue::Object(object) = &mut json {
                object.insert("time".to_owned(), JsonValue::from(time));
                object.insert("diff".to_owned(), JsonValue::from(diff as i64));
            }
            json.to_string().into_bytes()
        }
    }
}
