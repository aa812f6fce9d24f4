//! What a file source reads: a file, a directory, or a glob pattern, and the files it holds.

use std::io;
use std::path::{Path, PathBuf};

use pathflow::{Error, Result};

/// A file source's input path, resolved.
#[derive(Clone, Debug)]
pub(crate) enum Input {
    /// One file, read whatever its name.
    File(PathBuf),
    /// Every file under a directory, recursively, except ignored ones.
    Dir(PathBuf),
    /// Every file matching a pattern, except ignored ones; `base` is the directory the
    /// pattern starts from.
    Glob { pattern: String, base: PathBuf },
}

impl Input {
    /// Resolves `path`: an existing directory or file, else a glob pattern if it has one of
    /// `*?[`, else a (missing) file.
    pub(crate) fn new(path: &Path) -> Self {
        if path.is_dir() {
            return Input::Dir(path.to_owned());
        }
        let text = path.to_string_lossy();
        if !path.exists() && text.contains(['*', '?', '[']) {
            let base: PathBuf = path
                .components()
                .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
                .collect();
            let base = if base.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                base
            };
            return Input::Glob {
                pattern: text.into_owned(),
                base,
            };
        }
        Input::File(path.to_owned())
    }

    /// Checks that the input can be followed: the file, directory or pattern base exists.
    pub(crate) fn check(&self, name: &str) -> Result<()> {
        let (path, what) = match self {
            Input::File(path) => (path, "file"),
            Input::Dir(path) => (path, "directory"),
            Input::Glob { base, .. } => (base, "directory of the pattern"),
        };
        match std::fs::metadata(path) {
            Ok(_) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Err(Error::connector(
                name,
                format!(
                    "the input {what} `{}` does not exist: give an existing file, a directory \
                     or a glob pattern such as `data/*.csv`",
                    path.display()
                ),
            )),
            Err(error) => Err(Error::connector(
                name,
                format!("cannot read the input `{}`: {error}", path.display()),
            )),
        }
    }

    /// The files to read, sorted by path. A file input that has gone is an empty list.
    pub(crate) fn list(&self, name: &str) -> Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        match self {
            Input::File(path) => {
                if path.is_file() {
                    files.push(path.clone());
                }
            }
            Input::Dir(path) => walk(path, name, &mut files)?,
            Input::Glob { pattern, base } => {
                let options = glob::MatchOptions {
                    require_literal_leading_dot: true,
                    ..glob::MatchOptions::new()
                };
                let paths = glob::glob_with(pattern, options).map_err(|error| {
                    Error::connector(
                        name,
                        format!("`{pattern}` is not a valid glob pattern: {error}"),
                    )
                })?;
                for path in paths.flatten() {
                    let below = path.strip_prefix(base).unwrap_or(&path);
                    let skip = below.iter().any(|part| ignored(&part.to_string_lossy()));
                    if !skip && path.is_file() {
                        files.push(path);
                    }
                }
            }
        }
        files.sort();
        Ok(files)
    }

    /// The directory to watch for changes, and whether to watch below it.
    pub(crate) fn watch_root(&self) -> (PathBuf, bool) {
        match self {
            Input::File(path) => {
                let parent = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                (parent.to_owned(), false)
            }
            Input::Dir(path) => (path.clone(), true),
            Input::Glob { base, .. } => (base.clone(), true),
        }
    }

    /// Whether the input names files by pattern (so that matching nothing is suspicious).
    pub(crate) fn is_glob(&self) -> bool {
        matches!(self, Input::Glob { .. })
    }
}

/// Whether a file or directory name is one a source skips: hidden (`.*`), a backup (`*~`)
/// or a file being written (`*.tmp`).
pub(crate) fn ignored(name: &str) -> bool {
    (name.starts_with('.') && name != "." && name != "..")
        || name.ends_with('~')
        || name.ends_with(".tmp")
}

fn walk(dir: &Path, name: &str, files: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(Error::connector(
                name,
                format!("cannot list the directory `{}`: {error}", dir.display()),
            ))
        }
    };
    for entry in entries {
        let entry = entry.map_err(|error| {
            Error::connector(
                name,
                format!("cannot list the directory `{}`: {error}", dir.display()),
            )
        })?;
        if ignored(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, name, files)?,
            Ok(meta) if meta.is_file() => files.push(path),
            // Gone since listed, a dangling link, a socket: nothing to read.
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_hidden_backup_and_temporary_files() {
        for name in [".hidden", ".x.csv", "a.csv~", "part.tmp"] {
            assert!(ignored(name), "{name}");
        }
        for name in ["a.csv", "tmp", "a.tmp.csv", "x~y"] {
            assert!(!ignored(name), "{name}");
        }
    }

    #[test]
    fn a_pattern_starts_from_its_literal_directories() {
        match Input::new(Path::new("/no/such/dir/*.csv")) {
            Input::Glob { base, .. } => assert_eq!(base, Path::new("/no/such/dir")),
            other => panic!("expected a glob, got {other:?}"),
        }
        match Input::new(Path::new("*.csv")) {
            Input::Glob { base, .. } => assert_eq!(base, Path::new(".")),
            other => panic!("expected a glob, got {other:?}"),
        }
        assert!(matches!(
            Input::new(Path::new("/no/such.csv")),
            Input::File(_)
        ));
    }
}
