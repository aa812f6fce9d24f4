//! A pathflow source reading the word count CSV file: every worker reads its byte range and
//! inserts one row per record, as a file connector does, lending the record's word so
//! that only new words are copied.

use std::path::PathBuf;

use pathflow::source::{Poll, SourceContext, SourceOutput};
use pathflow::{Error, Mode, Source, SourceReader};

use crate::wordcount::input::{ranges, Words};

/// How many records one poll reads.
const RECORDS_PER_POLL: usize = 1 << 14;

/// The words of a CSV file with one `word` column, split across workers by byte range.
#[derive(Clone, Debug)]
pub struct CsvWords {
    path: PathBuf,
}

impl CsvWords {
    /// Reads the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CsvWords { path: path.into() }
    }
}

impl<M: Mode> Source<M> for CsvWords {
    type Row = String;

    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn open(self, context: &SourceContext) -> pathflow::Result<Box<dyn SourceReader<String>>> {
        let name = self.path.display().to_string();
        let range = ranges(&self.path, context.workers)
            .map_err(|e| Error::connector(&name, format!("cannot read the input file: {e}")))?
            [context.worker];
        let words = Words::open(&self.path, range)
            .map_err(|e| Error::connector(&name, format!("cannot open the input file: {e}")))?;
        Ok(Box::new(WordsReader { words, name }))
    }
}

struct WordsReader {
    words: Words,
    name: String,
}

impl SourceReader<String> for WordsReader {
    fn poll(&mut self, output: &mut SourceOutput<'_, String>) -> pathflow::Result<Poll> {
        for _ in 0..RECORDS_PER_POLL {
            let word = self
                .words
                .next_word()
                .map_err(|e| Error::connector(&self.name, format!("cannot read a record: {e}")))?;
            match word {
                Some((offset, word)) => output.insert_borrowed(word, offset),
                None => return Ok(Poll::Finished),
            }
        }
        Ok(Poll::Ready)
    }
}
