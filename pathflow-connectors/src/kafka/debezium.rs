//! Debezium change events: the `before`/`after`/`op` envelope.

use pathflow::schema::{self, JsonValue, Schema};

use crate::kafka::payload::Change;

/// Decodes one Debezium event, with or without the `{"schema": …, "payload": …}` wrapper.
///
/// `c` (create) and `r` (snapshot read) insert `after`; `u` replaces the row with `after`
/// (by primary key, or `before` exactly for a schema without one); `d` deletes `before`.
pub(crate) fn decode<T: Schema>(text: &str) -> Result<Change<T>, String> {
    let json: JsonValue = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let event = match json.get("payload") {
        Some(payload) if json.get("schema").is_some() => payload,
        _ => &json,
    };
    if event.is_null() {
        return Ok(Change::Nothing);
    }
    let op = event
        .get("op")
        .and_then(JsonValue::as_str)
        .ok_or("a Debezium event without an `op` field")?;
    let row = |field: &str| -> Result<T, String> {
        match event.get(field) {
            Some(value) if !value.is_null() => {
                schema::decode_json::<T>(value).map_err(|e| format!("Debezium `{field}`: {e}"))
            }
            _ => Err(format!("a Debezium `{op}` event without `{field}`")),
        }
    };
    match op {
        "c" | "r" => row("after").map(Change::Upsert),
        "u" => Ok(Change::Replace {
            before: row("before").ok(),
            after: row("after")?,
        }),
        "d" => row("before").map(Change::Delete),
        "t" | "m" => Ok(Change::Nothing),
        other => Err(format!(
            "unknown Debezium op `{other}` (expected c, r, u or d)"
        )),
    }
}
