//! Telling an append from a rewrite: samples of what was read from a file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// How many bytes are kept from each end of what was read.
const SAMPLE: usize = 8 << 10;

/// The first and last bytes read from a file so far (up to 8 KiB each, so a file of up to
/// 16 KiB is compared whole).
#[derive(Clone, Debug, Default)]
pub(crate) struct Samples {
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Samples {
    /// Notes `chunk`, the bytes read right after those noted before.
    pub(crate) fn record(&mut self, chunk: &[u8]) {
        if self.head.len() < SAMPLE {
            let take = (SAMPLE - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if chunk.len() >= SAMPLE {
            self.tail.clear();
            self.tail.extend_from_slice(&chunk[chunk.len() - SAMPLE..]);
        } else {
            let keep = (SAMPLE - chunk.len()).min(self.tail.len());
            self.tail.drain(..self.tail.len() - keep);
            self.tail.extend_from_slice(chunk);
        }
    }

    /// Whether `file` still starts with the bytes noted, and holds the last ones noted just
    /// before `read` (the number of bytes read so far).
    pub(crate) fn still_in(&self, file: &mut File, read: u64) -> io::Result<bool> {
        Ok(matches_at(file, 0, &self.head)?
            && matches_at(file, read - self.tail.len() as u64, &self.tail)?)
    }
}

fn matches_at(file: &mut File, at: u64, expected: &[u8]) -> io::Result<bool> {
    if expected.is_empty() {
        return Ok(true);
    }
    let mut found = vec![0; expected.len()];
    file.seek(SeekFrom::Start(at))?;
    match file.read_exact(&mut found) {
        Ok(()) => Ok(found == expected),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn keeps_the_first_and_last_bytes_read() {
        let mut samples = Samples::default();
        let data: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        for chunk in data.chunks(3000) {
            samples.record(chunk);
        }
        assert_eq!(samples.head, data[..SAMPLE]);
        assert_eq!(samples.tail, data[data.len() - SAMPLE..]);
    }

    #[test]
    fn detects_a_changed_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello\nworld\n").unwrap();
        let mut samples = Samples::default();
        samples.record(b"hello\nworld\n");
        let mut file = File::open(&path).unwrap();
        assert!(samples.still_in(&mut file, 12).unwrap());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"more\n")
            .unwrap();
        assert!(samples
            .still_in(&mut File::open(&path).unwrap(), 12)
            .unwrap());
        std::fs::write(&path, b"hellO\nworld\nmore\n").unwrap();
        assert!(!samples
            .still_in(&mut File::open(&path).unwrap(), 12)
            .unwrap());
        std::fs::write(&path, b"hello\n").unwrap();
        assert!(!samples
            .still_in(&mut File::open(&path).unwrap(), 12)
            .unwrap());
    }
}
