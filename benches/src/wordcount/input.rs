//! Word count's input: generated words, the CSV file that holds them, and reading a
//! worker's byte range of that file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The CSV file's one column.
pub const HEADER: &str = "word";

/// A SplitMix64 step: a fast, fixed pseudo-random sequence, so inputs are repeatable.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `distinct` different words of 3 to 10 lowercase letters.
pub fn vocabulary(distinct: usize) -> Vec<String> {
    let mut state = 7;
    let mut seen = std::collections::HashSet::with_capacity(distinct);
    let mut words = Vec::with_capacity(distinct);
    while words.len() < distinct {
        let len = 3 + (splitmix(&mut state) % 8) as usize;
        let word: String = (0..len)
            .map(|_| (b'a' + (splitmix(&mut state) % 26) as u8) as char)
            .collect();
        if seen.insert(word.clone()) {
            words.push(word);
        }
    }
    words
}

/// `rows` words drawn uniformly from a vocabulary of `distinct` words.
pub fn generate(rows: usize, distinct: usize) -> Vec<String> {
    let vocabulary = vocabulary(distinct);
    let mut state = 11;
    (0..rows)
        .map(|_| vocabulary[(splitmix(&mut state) % distinct as u64) as usize].clone())
        .collect()
}

/// Writes `rows` words from a vocabulary of `distinct` words to a CSV file at `path`.
pub fn write_csv(path: &Path, rows: usize, distinct: usize) -> io::Result<()> {
    let vocabulary = vocabulary(distinct);
    let mut state = 11;
    let mut out = BufWriter::new(File::create(path)?);
    writeln!(out, "{HEADER}")?;
    for _ in 0..rows {
        let word = &vocabulary[(splitmix(&mut state) % distinct as u64) as usize];
        writeln!(out, "{word}")?;
    }
    out.flush()
}

/// Splits the file's records (after the header) into `parts` byte ranges at line starts.
pub fn ranges(path: &Path, parts: usize) -> io::Result<Vec<(u64, u64)>> {
    let len = std::fs::metadata(path)?.len();
    let mut file = BufReader::new(File::open(path)?);
    let mut header = Vec::new();
    file.read_until(b'\n', &mut header)?;
    let first = header.len() as u64;
    let mut bounds = vec![first];
    for part in 1..parts {
        let guess = (first + (len - first) * part as u64 / parts as u64).max(first);
        bounds.push(line_start_at_or_after(path, guess, len)?.max(*bounds.last().unwrap()));
    }
    bounds.push(len);
    Ok(bounds.windows(2).map(|w| (w[0], w[1])).collect())
}

fn line_start_at_or_after(path: &Path, at: u64, len: u64) -> io::Result<u64> {
    if at == 0 || at >= len {
        return Ok(at.min(len));
    }
    let mut file = BufReader::new(File::open(path)?);
    file.seek(SeekFrom::Start(at - 1))?;
    let mut skipped = Vec::new();
    file.read_until(b'\n', &mut skipped)?;
    Ok(at - 1 + skipped.len() as u64)
}

/// A CSV reader over the records in `range` of the file at `path`.
pub fn open_range(path: &Path, range: (u64, u64)) -> io::Result<csv::Reader<io::Take<File>>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(range.0))?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .buffer_capacity(1 << 16)
        .from_reader(file.take(range.1 - range.0)))
}

/// The words of a byte range, one owned `String` per record.
pub struct Words {
    reader: csv::Reader<io::Take<File>>,
    record: csv::StringRecord,
    start: u64,
}

impl Words {
    /// Reads the words in `range` of the file at `path`.
    pub fn open(path: &Path, range: (u64, u64)) -> io::Result<Self> {
        Ok(Words {
            reader: open_range(path, range)?,
            record: csv::StringRecord::new(),
            start: range.0,
        })
    }

    /// The next word (borrowed from the record buffer) and the file offset of its record,
    /// `None` at the end of the range.
    pub fn next_word(&mut self) -> csv::Result<Option<(u64, &str)>> {
        let at = self.start + self.reader.position().byte();
        if self.reader.read_record(&mut self.record)? {
            Ok(Some((at, self.record.get(0).unwrap_or_default())))
        } else {
            Ok(None)
        }
    }
}

impl Iterator for Words {
    type Item = String;

    /// The next word.
    ///
    /// # Panics
    /// When a record cannot be read: the benchmark's own input is then corrupt.
    fn next(&mut self) -> Option<String> {
        self.next_word()
            .map(|word| word.map(|(_, word)| word.to_owned()))
            .unwrap_or_else(|e| {
                panic!("the word count input is corrupt ({e}): delete it to regenerate it")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_record_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("words.csv");
        write_csv(&path, 1_001, 50).unwrap();
        let expected = generate(1_001, 50);
        for parts in [1, 2, 3, 7] {
            let mut read = Vec::new();
            for range in ranges(&path, parts).unwrap() {
                read.extend(Words::open(&path, range).unwrap());
            }
            assert_eq!(read, expected, "{parts} parts");
        }
    }
}
