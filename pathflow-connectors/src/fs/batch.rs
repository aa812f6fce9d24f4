//! Reading files in a batch run: this worker's share of the files and ranges, once.

use std::collections::VecDeque;

use pathflow::source::{Poll, SourceContext, SourceOutput, SourceReader};
use pathflow::{Error, Result, Schema};

use crate::format::Format;
use crate::fs::input::Input;
use crate::fs::reader::{FileReader, Step};
use crate::fs::split::{self, Unit};

/// Reads this worker's units in order, a chunk per poll.
pub(crate) struct BatchReader<T> {
    source: String,
    format: Format,
    units: VecDeque<Unit>,
    current: Option<FileReader<T>>,
}

impl<T: Schema> BatchReader<T> {
    /// Lists the input and takes this worker's share of it, splitting files larger than
    /// `range` bytes when the format allows.
    pub(crate) fn open(
        source: String,
        input: &Input,
        format: Format,
        range: u64,
        context: &SourceContext,
    ) -> Result<Self> {
        input.check(&source)?;
        let files = input.list(&source)?;
        if files.is_empty() && input.is_glob() {
            return Err(Error::connector(
                &source,
                "no file matches the pattern: check it, and that the files exist",
            ));
        }
        let sized: Vec<_> = files
            .into_iter()
            .map(|path| {
                let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                (path, len)
            })
            .collect();
        let units = split::plan(
            &sized,
            format.lines_are_records(),
            range,
            context.workers,
            context.worker,
        );
        Ok(BatchReader {
            source,
            format,
            units: units.into(),
            current: None,
        })
    }
}

impl<T: Schema> SourceReader<T> for BatchReader<T> {
    fn poll(&mut self, output: &mut SourceOutput<'_, T>) -> Result<Poll> {
        if self.current.is_none() {
            let Some(unit) = self.units.pop_front() else {
                return Ok(Poll::Finished);
            };
            self.current = Some(FileReader::range(
                &unit.path,
                &self.format,
                unit.generation,
                unit.start,
                unit.end,
                &self.source,
            )?);
        }
        let reader = self.current.as_mut().expect("opened above");
        if reader.step(&self.source, output, None)? == Step::Done {
            self.current = None;
        }
        Ok(Poll::Ready)
    }
}
