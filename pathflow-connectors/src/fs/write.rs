//! What the file sinks share: error messages and the order rows are written in.

use std::io;
use std::path::Path;

use pathflow::{Error, Schema};

/// The error for a failed write to `path`, saying what to do.
pub(crate) fn write_error(path: &Path, error: io::Error) -> Error {
    let full = error.kind() == io::ErrorKind::StorageFull || error.raw_os_error() == Some(28);
    let advice = match error.raw_os_error() {
        _ if full => "free some disk space, or write the output elsewhere",
        _ if error.kind() == io::ErrorKind::NotFound => "create its directory first",
        _ if error.kind() == io::ErrorKind::PermissionDenied => {
            "check the permissions of the file and its directory"
        }
        _ => "check that the path is a writable file",
    };
    Error::connector(
        path.display(),
        format!("cannot write `{}`: {error}; {advice}", path.display()),
    )
}

/// Sorts updates as the sinks write them: retractions before insertions, each by primary
/// key and then by row. `updates` come sorted by row within each part, and the sort is
/// stable.
pub(crate) fn sort_by_key<T: Schema>(updates: &[(T, isize)]) -> Vec<&(T, isize)> {
    let mut sorted: Vec<&(T, isize)> = updates.iter().collect();
    if T::HAS_PRIMARY_KEY {
        sorted.sort_by_cached_key(|(row, diff)| (*diff > 0, row.primary_key()));
    }
    sorted
}
