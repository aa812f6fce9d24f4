//! Word count: how often each word occurs, over a CSV file with one `word` column.
//!
//! [`count`] is the pathflow pipeline; [`input`] makes and reads the input file.

pub mod input;
pub mod source;

use pathflow::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of word count's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WordCount {
    /// The word.
    pub word: String,
    /// How often it occurs.
    pub count: u64,
}

/// The number of occurrences of every word.
pub fn count<'s, M: Mode>(words: Table<'s, String, M>) -> Table<'s, WordCount, M> {
    words.group_by(|w| w.clone()).reduce(
        |r| r.count(),
        |word, count| WordCount {
            word: word.clone(),
            count,
        },
    )
}

#[cfg(test)]
mod tests {
    use pathflow::memory;

    use super::*;

    #[test]
    fn counts_words_in_both_modes() {
        let words: Vec<String> = input::generate(5_000, 300);
        let mut expected = std::collections::BTreeMap::<String, u64>::new();
        for w in &words {
            *expected.entry(w.clone()).or_default() += 1;
        }
        let expected: Vec<WordCount> = expected
            .into_iter()
            .map(|(word, count)| WordCount { word, count })
            .collect();

        let (batch, sink) = memory::snapshot();
        let rows = words.clone();
        Runner::batch()
            .args(RunnerArgs {
                workers: 2,
                ..RunnerArgs::default()
            })
            .run(move |p| {
                let words = p.read(memory::rows(rows.clone()));
                p.write(count(words), sink.clone());
            })
            .unwrap();
        assert_eq!(batch.rows(), expected);

        let (view, sink) = memory::view();
        let epochs: Vec<Vec<(String, isize)>> = words
            .chunks(700)
            .map(|c| c.iter().map(|w| (w.clone(), 1)).collect())
            .collect();
        Runner::streaming()
            .run(move |p| {
                let words = p.read(memory::epochs(epochs.clone()));
                p.write(count(words), sink.clone());
            })
            .unwrap();
        assert_eq!(view.rows(), expected);
    }
}
