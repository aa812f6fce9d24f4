//! [`snapshot`]: the final table of a batch run, written atomically.

use std::fs::File;
use std::io::BufWriter;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use pathflow::sink::{SinkContext, SinkWriter};
use pathflow::{Batch, Epoch, Error, Result, Schema, Sink};

use crate::format::{Encoder, Format};
use crate::fs::write::{sort_by_key, write_error};

/// Writes the final table of a batch run to `path` in `format`, sorted by primary key (then
/// by row), a row held twice written twice.
///
/// The table is written to a hidden temporary file next to `path`, synced, and renamed over
/// `path`: a reader sees the old file or the new one, never half of one, and a failed run
/// leaves the old file in place. Batch only: in a streaming run, write [`changes`]
/// instead.
///
/// [`changes`]: crate::fs::changes
pub fn snapshot(path: impl Into<PathBuf>, format: Format) -> Snapshot {
    Snapshot {
        path: path.into(),
        format,
    }
}

/// The batch-only sink made by [`snapshot`].
#[derive(Clone, Debug)]
pub struct Snapshot {
    path: PathBuf,
    format: Format,
}

impl<T: Schema> Sink<Batch, T> for Snapshot {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn open(self, _context: &SinkContext) -> Result<Box<dyn SinkWriter<T>>> {
        let temporary = temporary_path(&self.path)?;
        let file = File::create(&temporary).map_err(|e| write_error(&self.path, e))?;
        let mut writer = SnapshotWriter {
            encoder: Some(Encoder::new(&self.format, BufWriter::new(file))),
            path: self.path,
            temporary,
            row: PhantomData,
        };
        writer
            .encoder()
            .header::<T>(&[])
            .map_err(|e| write_error(&writer.path, e))?;
        Ok(Box::new(writer))
    }
}

/// `dir/.name.<pid>.tmp` for `dir/name`: hidden and `.tmp`, so file sources skip it.
fn temporary_path(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        Error::connector(
            path.display(),
            "the snapshot path names no file: give a file path such as `out/totals.csv`",
        )
    })?;
    Ok(path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    )))
}

struct SnapshotWriter<T> {
    path: PathBuf,
    temporary: PathBuf,
    /// `None` once the file is in place.
    encoder: Option<Encoder<BufWriter<File>>>,
    row: PhantomData<fn(&T)>,
}

impl<T> SnapshotWriter<T> {
    fn encoder(&mut self) -> &mut Encoder<BufWriter<File>> {
        self.encoder.as_mut().expect("written only before finish")
    }
}

impl<T: Schema> SinkWriter<T> for SnapshotWriter<T> {
    fn write_epoch(&mut self, _epoch: Epoch, updates: &[(T, isize)]) -> Result<()> {
        for (row, copies) in sort_by_key(updates) {
            if *copies < 0 {
                return Err(Error::connector(
                    self.path.display(),
                    format!(
                        "the final table holds row {row:?} {copies} times: the pipeline removes \
                         rows it never added"
                    ),
                ));
            }
            for _ in 0..*copies {
                self.encoder()
                    .row(row, &[])
                    .map_err(|e| write_error(&self.path, e))?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        let Some(encoder) = self.encoder.take() else {
            return Ok(());
        };
        let file = encoder
            .into_inner()
            .and_then(|buffered| buffered.into_inner().map_err(|e| e.into_error()))
            .map_err(|e| write_error(&self.path, e))?;
        file.sync_all().map_err(|e| write_error(&self.path, e))?;
        std::fs::rename(&self.temporary, &self.path).map_err(|e| write_error(&self.path, e))
    }
}

impl<T> Drop for SnapshotWriter<T> {
    fn drop(&mut self) {
        if self.encoder.is_some() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}
