//! What a row type provides: its columns, its key, its event time, and its text/JSON codec.
//!
//! `#[derive(Schema)]` implements [`Schema`] and [`Field`] for a struct; the traits are public
//! so a type can also implement them by hand. The codec here is for connectors (CSV cells,
//! JSON objects); rows cross workers through serde (bincode), which is separate and plain.

use std::fmt;
use std::hash::Hash;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::time::{Duration, Timestamp};

/// A JSON value, as connectors hand it to a row decoder.
pub type JsonValue = serde_json::Value;
/// A JSON object, as connectors hand it to a row decoder.
pub type JsonObject = serde_json::Map<String, JsonValue>;

/// The data a table can hold: cloneable, totally ordered, hashable, sendable between workers.
///
/// Implemented for every type with these properties, so tuples and plain types work too;
/// `#[derive(Schema)]` gives a struct what it needs beyond `Clone` and `Debug`.
pub trait Row:
    Clone + fmt::Debug + Ord + Hash + Serialize + DeserializeOwned + Send + Sync + 'static
{
}
impl<T> Row for T where
    T: Clone + fmt::Debug + Ord + Hash + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

/// The type of a column, as connectors and documentation see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// Signed or unsigned integer of any width.
    Int,
    /// `f32` or `f64`.
    Float,
    /// `bool`.
    Bool,
    /// `String`.
    Text,
    /// [`Timestamp`].
    Timestamp,
    /// [`Duration`].
    Duration,
    /// `Vec<T>`: a JSON array (in a CSV cell, its JSON text).
    List,
}

/// One column of a schema, flattened (`outer.inner` for a nested struct's field).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Column {
    /// The column's name in files and messages.
    pub name: String,
    /// Its type.
    pub ty: ColumnType,
    /// Whether a missing value is allowed (`Option<T>` or `#[pathflow(default)]`).
    pub optional: bool,
}

/// Why a value could not be read into a row: the column, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The column that failed.
    pub column: String,
    /// What was wrong, in words a user can act on.
    pub message: String,
    /// Whether the value was absent (rather than present and invalid).
    pub missing: bool,
}

impl FieldError {
    /// Makes an error for `column`.
    pub fn new(column: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            column: column.into(),
            message: message.into(),
            missing: false,
        }
    }

    /// The error for a required column with no value.
    pub fn missing(column: &str) -> Self {
        FieldError {
            column: column.to_owned(),
            message: "missing value for a required column".to_owned(),
            missing: true,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column `{}`: {}", self.column, self.message)
    }
}

impl std::error::Error for FieldError {}

/// A record of text cells looked up by column name: a CSV row with its header.
pub trait TextRecord {
    /// The cell of column `name`, or `None` when the record has no such column.
    fn cell(&self, name: &str) -> Option<&str>;
}

/// A row type: the columns a connector reads and writes, its key and its event time.
///
/// Derive it with `#[derive(Schema)]`; see the crate documentation for the attributes.
pub trait Schema: Row + Field {
    /// The primary key: the `#[pathflow(primary_key)]` fields (a tuple for several), or `()`.
    type Key: Row;

    /// Whether the type declares a primary key; rows read from a source are then upserted.
    const HAS_PRIMARY_KEY: bool;

    /// The names of the primary-key columns, in key order (empty when none).
    const PRIMARY_KEY_COLUMNS: &'static [&'static str];

    /// The primary key of this row (`()` when the type declares none).
    fn primary_key(&self) -> Self::Key;

    /// The name of the `#[pathflow(event_time)]` column, if any.
    const EVENT_TIME_COLUMN: Option<&'static str>;

    /// The value of the event-time column, if the type has one.
    fn event_time(&self) -> Option<Timestamp>;

    /// All columns, flattened, in declaration order.
    fn columns() -> Vec<Column> {
        let mut out = Vec::new();
        Self::push_columns("", &mut out);
        out
    }
}

/// A value that fills one or more columns: a plain column type, or a nested schema struct.
///
/// `name` is the column's full name; a nested struct uses it as a prefix (`outer.inner`).
pub trait Field: Sized {
    /// Appends the columns this value fills, named under `name`.
    fn push_columns(name: &str, out: &mut Vec<Column>);
    /// Reads the value from text cells; `name` is its column (or prefix).
    fn decode_text(record: &dyn TextRecord, name: &str) -> Result<Self, FieldError>;
    /// Appends the value's text cells, one per column, in [`Field::push_columns`] order.
    fn encode_text(&self, out: &mut Vec<String>);
    /// Reads the value from a JSON value (`None` when the key is absent).
    fn decode_json(value: Option<&JsonValue>, name: &str) -> Result<Self, FieldError>;
    /// The value as JSON.
    fn encode_json(&self) -> JsonValue;
    /// The value to use when the column is absent: `Some(None)` for `Option`, else `None`.
    fn when_missing() -> Option<Self> {
        None
    }
}

/// A column type that is one cell: parsed from and written to text.
pub trait Cell: Sized {
    /// How documentation and errors name the type.
    const TYPE: ColumnType;
    /// Parses a cell.
    fn parse_cell(text: &str) -> Result<Self, String>;
    /// Writes the cell.
    fn write_cell(&self, out: &mut String);
    /// Reads from JSON.
    fn from_json(value: &JsonValue) -> Result<Self, String>;
    /// Writes as JSON.
    fn to_json(&self) -> JsonValue;
}

macro_rules! int_cell {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            const TYPE: ColumnType = ColumnType::Int;
            fn parse_cell(text: &str) -> Result<Self, String> {
                text.trim().parse::<$t>().map_err(|e| {
                    format!("`{text}` is not a valid {}: {e}", stringify!($t))
                })
            }
            fn write_cell(&self, out: &mut String) {
                use fmt::Write;
                let _ = write!(out, "{self}");
            }
            fn from_json(value: &JsonValue) -> Result<Self, String> {
                match value {
                    JsonValue::Number(n) => n
                        .as_i64()
                        .and_then(|v| <$t>::try_from(v).ok())
                        .or_else(|| n.as_u64().and_then(|v| <$t>::try_from(v).ok()))
                        .ok_or_else(|| format!("{n} is not a valid {}", stringify!($t))),
                    JsonValue::String(s) => Self::parse_cell(s),
                    other => Err(format!("expected an integer, found {other}")),
                }
            }
            fn to_json(&self) -> JsonValue {
                JsonValue::from(*self)
            }
        }
    )*};
}
int_cell!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

macro_rules! float_cell {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            const TYPE: ColumnType = ColumnType::Float;
            fn parse_cell(text: &str) -> Result<Self, String> {
                text.trim().parse::<$t>().map_err(|_| format!("`{text}` is not a number"))
            }
            fn write_cell(&self, out: &mut String) {
                use fmt::Write;
                let _ = write!(out, "{self:?}");
            }
            fn from_json(value: &JsonValue) -> Result<Self, String> {
                match value {
                    JsonValue::Number(n) => n
                        .as_f64()
                        .map(|v| v as $t)
                        .ok_or_else(|| format!("{n} is not a number")),
                    JsonValue::String(s) => Self::parse_cell(s),
                    other => Err(format!("expected a number, found {other}")),
                }
            }
            fn to_json(&self) -> JsonValue {
                serde_json::Number::from_f64(f64::from(*self))
                    .map(JsonValue::Number)
                    .unwrap_or(JsonValue::Null)
            }
        }
    )*};
}
float_cell!(f32, f64);

impl Cell for bool {
    const TYPE: ColumnType = ColumnType::Bool;
    fn parse_cell(text: &str) -> Result<Self, String> {
        match text.trim() {
            "true" | "True" | "TRUE" | "1" => Ok(true),
            "false" | "False" | "FALSE" | "0" => Ok(false),
            other => Err(format!(
                "`{other}` is not a boolean (use true/false or 1/0)"
            )),
        }
    }
    fn write_cell(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
    fn from_json(value: &JsonValue) -> Result<Self, String> {
        match value {
            JsonValue::Bool(b) => Ok(*b),
            JsonValue::String(s) => Self::parse_cell(s),
            other => Err(format!("expected a boolean, found {other}")),
        }
    }
    fn to_json(&self) -> JsonValue {
        JsonValue::Bool(*self)
    }
}

impl Cell for String {
    const TYPE: ColumnType = ColumnType::Text;
    fn parse_cell(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
    fn write_cell(&self, out: &mut String) {
        out.push_str(self);
    }
    fn from_json(value: &JsonValue) -> Result<Self, String> {
        match value {
            JsonValue::String(s) => Ok(s.clone()),
            JsonValue::Number(n) => Ok(n.to_string()),
            JsonValue::Bool(b) => Ok(b.to_string()),
            other => Err(format!("expected a string, found {other}")),
        }
    }
    fn to_json(&self) -> JsonValue {
        JsonValue::String(self.clone())
    }
}

impl Cell for Timestamp {
    const TYPE: ColumnType = ColumnType::Timestamp;
    fn parse_cell(text: &str) -> Result<Self, String> {
        Timestamp::parse(text.trim()).map_err(|e| e.to_string())
    }
    fn write_cell(&self, out: &mut String) {
        use fmt::Write;
        let _ = write!(out, "{self}");
    }
    fn from_json(value: &JsonValue) -> Result<Self, String> {
        match value {
            JsonValue::Number(n) => n
                .as_i64()
                .map(Timestamp::from_millis)
                .ok_or_else(|| format!("{n} is not a time in integer milliseconds")),
            JsonValue::String(s) => Self::parse_cell(s),
            other => Err(format!("expected a time, found {other}")),
        }
    }
    fn to_json(&self) -> JsonValue {
        JsonValue::from(self.millis())
    }
}

impl Cell for Duration {
    const TYPE: ColumnType = ColumnType::Duration;
    fn parse_cell(text: &str) -> Result<Self, String> {
        text.trim().parse::<Duration>().map_err(|e| e.to_string())
    }
    fn write_cell(&self, out: &mut String) {
        use fmt::Write;
        let _ = write!(out, "{self}");
    }
    fn from_json(value: &JsonValue) -> Result<Self, String> {
        match value {
            JsonValue::Number(n) => n
                .as_i64()
                .map(Duration::from_millis)
                .ok_or_else(|| format!("{n} is not a duration in integer milliseconds")),
            JsonValue::String(s) => Self::parse_cell(s),
            other => Err(format!("expected a duration, found {other}")),
        }
    }
    fn to_json(&self) -> JsonValue {
        JsonValue::from(self.millis())
    }
}

impl<T: Cell> Field for T {
    fn push_columns(name: &str, out: &mut Vec<Column>) {
        out.push(Column {
            name: name.to_owned(),
            ty: T::TYPE,
            optional: false,
        });
    }
    fn decode_text(record: &dyn TextRecord, name: &str) -> Result<Self, FieldError> {
        match record.cell(name) {
            Some(text) => T::parse_cell(text).map_err(|m| FieldError::new(name, m)),
            None => Err(FieldError::missing(name)),
        }
    }
    fn encode_text(&self, out: &mut Vec<String>) {
        let mut cell = String::new();
        self.write_cell(&mut cell);
        out.push(cell);
    }
    fn decode_json(value: Option<&JsonValue>, name: &str) -> Result<Self, FieldError> {
        match value {
            Some(JsonValue::Null) | None => Err(FieldError::missing(name)),
            Some(v) => T::from_json(v).map_err(|m| FieldError::new(name, m)),
        }
    }
    fn encode_json(&self) -> JsonValue {
        self.to_json()
    }
}

/// `Option<T>`: an empty or absent cell, or JSON `null`, is `None`.
impl<T: Field> Field for Option<T> {
    fn push_columns(name: &str, out: &mut Vec<Column>) {
        let start = out.len();
        T::push_columns(name, out);
        for column in &mut out[start..] {
            column.optional = true;
        }
    }
    fn decode_text(record: &dyn TextRecord, name: &str) -> Result<Self, FieldError> {
        match record.cell(name) {
            Some("") => Ok(None),
            Some(_) => T::decode_text(record, name).map(Some),
            // A nested struct has no cell of its own name: look for its columns.
            None => match T::decode_text(record, name) {
                Ok(v) => Ok(Some(v)),
                Err(e) if e.missing => Ok(None),
                Err(e) => Err(e),
            },
        }
    }
    fn encode_text(&self, out: &mut Vec<String>) {
        match self {
            Some(v) => v.encode_text(out),
            None => {
                let mut columns = Vec::new();
                T::push_columns("", &mut columns);
                out.extend(columns.iter().map(|_| String::new()));
            }
        }
    }
    fn decode_json(value: Option<&JsonValue>, name: &str) -> Result<Self, FieldError> {
        match value {
            None | Some(JsonValue::Null) => Ok(None),
            Some(v) => T::decode_json(Some(v), name).map(Some),
        }
    }
    fn encode_json(&self) -> JsonValue {
        match self {
            Some(v) => v.encode_json(),
            None => JsonValue::Null,
        }
    }
    fn when_missing() -> Option<Self> {
        Some(None)
    }
}

/// `Vec<T>`: a JSON array; in a CSV cell, the array's JSON text.
impl<T: Field> Field for Vec<T> {
    fn push_columns(name: &str, out: &mut Vec<Column>) {
        out.push(Column {
            name: name.to_owned(),
            ty: ColumnType::List,
            optional: false,
        });
    }
    fn decode_text(record: &dyn TextRecord, name: &str) -> Result<Self, FieldError> {
        let text = record.cell(name).ok_or_else(|| FieldError::missing(name))?;
        let value: JsonValue = serde_json::from_str(text)
            .map_err(|e| FieldError::new(name, format!("`{text}` is not a JSON array: {e}")))?;
        Self::decode_json(Some(&value), name)
    }
    fn encode_text(&self, out: &mut Vec<String>) {
        out.push(self.encode_json().to_string());
    }
    fn decode_json(value: Option<&JsonValue>, name: &str) -> Result<Self, FieldError> {
        match value {
            Some(JsonValue::Array(items)) => items
                .iter()
                .map(|item| T::decode_json(Some(item), name))
                .collect(),
            None | Some(JsonValue::Null) => Err(FieldError::missing(name)),
            Some(other) => Err(FieldError::new(
                name,
                format!("expected an array, found {other}"),
            )),
        }
    }
    fn encode_json(&self) -> JsonValue {
        JsonValue::Array(self.iter().map(Field::encode_json).collect())
    }
}

/// Decodes a whole row from text cells (a CSV record with its header).
pub fn decode_text<T: Schema>(record: &dyn TextRecord) -> Result<T, FieldError> {
    T::decode_text(record, "")
}

/// Encodes a whole row as text cells, one per column of [`Schema::columns`].
pub fn encode_text<T: Schema>(row: &T) -> Vec<String> {
    let mut out = Vec::new();
    row.encode_text(&mut out);
    out
}

/// Decodes a whole row from a JSON object.
pub fn decode_json<T: Schema>(value: &JsonValue) -> Result<T, FieldError> {
    T::decode_json(Some(value), "")
}

/// Encodes a whole row as a JSON object.
pub fn encode_json<T: Schema>(row: &T) -> JsonValue {
    row.encode_json()
}

/// Joins a prefix and a field name into a column name: `outer.inner`, or `inner` at the top
/// (borrowed, so decoding a flat row allocates no names).
pub fn column_name<'a>(prefix: &str, field: &'a str) -> std::borrow::Cow<'a, str> {
    if prefix.is_empty() {
        std::borrow::Cow::Borrowed(field)
    } else {
        std::borrow::Cow::Owned(format!("{prefix}.{field}"))
    }
}
