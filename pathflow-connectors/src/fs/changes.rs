//! [`changes`]: a table's change stream, appended and flushed at every epoch's end.

use std::fs::File;
use std::io::BufWriter;
use std::marker::PhantomData;
use std::path::PathBuf;

use pathflow::sink::{SinkContext, SinkWriter};
use pathflow::{Epoch, Mode, Result, Schema, Sink};

use crate::format::{Encoder, Format};
use crate::fs::write::{sort_by_key, write_error};

/// Writes a table's changes to `path` in `format`: each row's columns plus `time` (the
/// epoch, in UTC milliseconds; 0 in a batch run) and `diff` (`1` insert, `-1` retract; a
/// row added twice is written twice).
///
/// An existing file is replaced when the run starts. Epochs are written in order, each
/// with its retractions first, then by primary key, and the file is flushed at the end of
/// every epoch. One worker writes the file. Works in both modes: a batch run writes its
/// final table as one epoch at time 0.
pub fn changes(path: impl Into<PathBuf>, format: Format) -> Changes {
    Changes {
        path: path.into(),
        format,
    }
}

/// The sink made by [`changes`].
#[derive(Clone, Debug)]
pub struct Changes {
    path: PathBuf,
    format: Format,
}

impl<M: Mode, T: Schema> Sink<M, T> for Changes {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn open(self, _context: &SinkContext) -> Result<Box<dyn SinkWriter<T>>> {
        let file = File::create(&self.path).map_err(|e| write_error(&self.path, e))?;
        let mut encoder = Encoder::new(&self.format, BufWriter::new(file));
        encoder
            .header::<T>(&["time", "diff"])
            .and_then(|()| encoder.flush())
            .map_err(|e| write_error(&self.path, e))?;
        Ok(Box::new(ChangesWriter {
            path: self.path,
            encoder,
            row: PhantomData,
        }))
    }
}

struct ChangesWriter<T> {
    path: PathBuf,
    encoder: Encoder<BufWriter<File>>,
    row: PhantomData<fn(&T)>,
}

impl<T: Schema> SinkWriter<T> for ChangesWriter<T> {
    fn write_epoch(&mut self, epoch: Epoch, updates: &[(T, isize)]) -> Result<()> {
        let time = i64::try_from(epoch).unwrap_or(i64::MAX);
        for (row, diff) in sort_by_key(updates) {
            let extra = [("time", time), ("diff", diff.signum() as i64)];
            for _ in 0..diff.unsigned_abs() {
                self.encoder
                    .row(row, &extra)
                    .map_err(|e| write_error(&self.path, e))?;
            }
        }
        self.encoder.flush().map_err(|e| write_error(&self.path, e))
    }

    fn finish(&mut self) -> Result<()> {
        self.encoder.flush().map_err(|e| write_error(&self.path, e))
    }
}
