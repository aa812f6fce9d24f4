//! The floor for word count: a plain single-threaded program, the `csv` crate and a
//! `HashMap`, no dataflow. Records are read into one reused buffer and a word is copied
//! only the first time it is seen.

use std::collections::HashMap;
use std::path::Path;

use crate::harness::pathflow::Collected;
use crate::wordcount::WordCount;

/// Counts the words of the CSV file at `path`; the result is fingerprinted like the other
/// systems' (and kept, if `keep`).
pub fn word_count(path: &Path, keep: bool) -> csv::Result<Collected<WordCount>> {
    let mut reader = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 16)
        .from_path(path)?;
    let mut record = csv::StringRecord::new();
    let mut counts: HashMap<String, u64> = HashMap::new();
    while reader.read_record(&mut record)? {
        let word = record.get(0).unwrap_or_default();
        match counts.get_mut(word) {
            Some(count) => *count += 1,
            None => {
                counts.insert(word.to_owned(), 1);
            }
        }
    }
    let mut result = Collected::default();
    result.add(
        counts
            .into_iter()
            .map(|(word, count)| (WordCount { word, count }, 1)),
        keep,
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wordcount::input::{generate, write_csv};

    #[test]
    fn counts_every_word() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("words.csv");
        write_csv(&path, 2_000, 40).unwrap();
        let mut result = word_count(&path, true).unwrap().updates;
        result.sort();
        let mut expected = std::collections::BTreeMap::<String, u64>::new();
        for w in generate(2_000, 40) {
            *expected.entry(w).or_default() += 1;
        }
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(word, count)| (WordCount { word, count }, 1))
            .collect();
        assert_eq!(result, expected);
    }
}
