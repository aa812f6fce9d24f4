//! Splitting a batch read across workers: by file, and by byte range for large files whose
//! lines are records.

use std::path::PathBuf;

/// Files larger than this are split into ranges of this size by default, when the format
/// allows.
pub(crate) const RANGE_BYTES: u64 = 64 << 20;

/// A piece of the input one worker reads: a whole file, or the records starting in a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unit {
    pub path: PathBuf,
    /// The file's index in name order: the high bits of its rows' offsets.
    pub generation: u64,
    /// The first byte of the range (0 for a whole file).
    pub start: u64,
    /// The range's end: the reader stops before the first record starting at or after it.
    pub end: Option<u64>,
}

/// The units worker `worker` of `workers` reads, from `files` (path and size, in name
/// order), splitting files larger than `range` bytes into ranges of `range` bytes if
/// `split_ranges`. Every worker computes the same plan and keeps its own share: units go in
/// order to the worker with the fewest bytes so far.
pub(crate) fn plan(
    files: &[(PathBuf, u64)],
    split_ranges: bool,
    range: u64,
    workers: usize,
    worker: usize,
) -> Vec<Unit> {
    let range = range.max(1);
    let mut units = Vec::new();
    for (generation, (path, len)) in files.iter().enumerate() {
        let generation = generation as u64;
        if split_ranges && workers > 1 && *len > range {
            let mut start = 0;
            while start < *len {
                let end = (start + range).min(*len);
                units.push((
                    end - start,
                    Unit {
                        path: path.clone(),
                        generation,
                        start,
                        end: Some(end),
                    },
                ));
                start = end;
            }
        } else {
            units.push((
                *len,
                Unit {
                    path: path.clone(),
                    generation,
                    start: 0,
                    end: None,
                },
            ));
        }
    }
    let mut load = vec![0u64; workers.max(1)];
    let mut mine = Vec::new();
    for (bytes, unit) in units {
        let (least, _) = load
            .iter()
            .enumerate()
            .min_by_key(|(index, bytes)| (**bytes, *index))
            .expect("at least one worker");
        load[least] += bytes.max(1);
        if least == worker {
            mine.push(unit);
        }
    }
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(sizes: &[u64]) -> Vec<(PathBuf, u64)> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, size)| (PathBuf::from(format!("f{i}")), *size))
            .collect()
    }

    #[test]
    fn every_unit_goes_to_exactly_one_worker() {
        let input = files(&[10, RANGE_BYTES * 3 + 5, 7, 0]);
        let all: Vec<Unit> = (0..3)
            .flat_map(|w| plan(&input, true, RANGE_BYTES, 3, w))
            .collect();
        let whole = all.iter().filter(|u| u.end.is_none()).count();
        let ranges: Vec<&Unit> = all.iter().filter(|u| u.end.is_some()).collect();
        assert_eq!(whole, 3);
        assert_eq!(ranges.len(), 4);
        let mut covered: Vec<(u64, u64)> =
            ranges.iter().map(|u| (u.start, u.end.unwrap())).collect();
        covered.sort();
        assert_eq!(covered.first().unwrap().0, 0);
        assert_eq!(covered.last().unwrap().1, RANGE_BYTES * 3 + 5);
        assert!(covered.windows(2).all(|w| w[0].1 == w[1].0));
    }

    #[test]
    fn one_worker_or_no_splitting_reads_whole_files_in_order() {
        let input = files(&[RANGE_BYTES * 2, 3]);
        for (split, workers) in [(true, 1), (false, 1)] {
            let units = plan(&input, split, RANGE_BYTES, workers, 0);
            assert_eq!(units.len(), 2);
            assert_eq!(units[0].generation, 0);
            assert_eq!(units[1].generation, 1);
            assert!(units.iter().all(|u| u.end.is_none()));
        }
        let unsplit: usize = (0..2)
            .map(|w| plan(&input, false, RANGE_BYTES, 2, w).len())
            .sum();
        assert_eq!(unsplit, 2);
    }
}
