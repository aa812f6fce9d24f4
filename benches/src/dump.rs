//! Writing a run's input and result as CSV files with headers, for DuckDB and Pathway.

use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::nexmark::model::Events;

/// Writes `rows` to `dir/name` as CSV with a header of the rows' field names.
pub fn write_rows<'a, T: Serialize + 'a>(
    dir: &Path,
    name: &str,
    rows: impl IntoIterator<Item = &'a T>,
) -> Result<(), String> {
    let path = dir.join(name);
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let mut writer = csv::Writer::from_path(&path).map_err(|e| fail(&e))?;
    for row in rows {
        writer.serialize(row).map_err(|e| fail(&e))?;
    }
    writer.flush().map_err(|e| fail(&e))
}

/// Writes `person.csv`, `auction.csv` and `bid.csv` into `dir`, creating it.
pub fn write_events(dir: &Path, events: &Events) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    write_rows(dir, "person.csv", &events.persons)?;
    write_rows(dir, "auction.csv", &events.auctions)?;
    write_rows(dir, "bid.csv", &events.bids)
}

/// Writes the final table of `updates` (consolidated) to `dir/result.csv`, sorted, each
/// row repeated by its multiplicity.
pub fn write_result<T: Serialize + Ord + Clone>(
    dir: &Path,
    mut updates: Vec<(T, isize)>,
) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    crate::harness::consolidate(&mut updates);
    if let Some((row, diff)) = updates.iter().find(|(_, diff)| *diff < 0) {
        return Err(format!(
            "the result holds a row {diff} times, which no final table can: {}",
            as_csv_line(row)
        ));
    }
    let rows = updates
        .iter()
        .flat_map(|(row, diff)| std::iter::repeat_n(row, *diff as usize));
    write_rows(dir, "result.csv", rows)
}

fn as_csv_line<T: Serialize>(row: &T) -> String {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    match writer.serialize(row) {
        Ok(()) => String::from_utf8_lossy(&writer.into_inner().unwrap_or_default())
            .trim()
            .to_owned(),
        Err(e) => format!("<unprintable: {e}>"),
    }
}
