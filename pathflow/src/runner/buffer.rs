//! What a source operator holds of the epoch it is reading, consolidated while that pays.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use differential_dataflow::consolidation::consolidate;

use crate::position::Position;
use crate::schema::Row;
use crate::source::{row_hash, UpdateSink};
use crate::table::Epoch;

/// How many updates a source reads between checks of whether consolidating still pays, and
/// how many unconsolidated updates it holds at most.
const PROBE_ROWS: usize = 1 << 16;
/// How many distinct rows a source holds at most before emitting them early.
const FLUSH_ROWS: usize = 1 << 20;
/// How many updates pass unhashed after the first check that found consolidating useless;
/// each further such check doubles it, up to [`MAX_PASS_ROWS`].
const PASS_ROWS: usize = 1 << 20;
/// The longest run of updates passed unhashed between two checks.
const MAX_PASS_ROWS: usize = 1 << 26;
/// How many unhashed updates go out together, as one container.
const PASS_SLICE: usize = 1 << 13;

/// What the buffer does with the next update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Policy {
    /// Pass it through, and count its hash among the distinct ones of this sample.
    Probing,
    /// Add it to its row's sum in the map.
    Consolidating,
    /// Pass it through unhashed: this many more before the next probe.
    Passing(usize),
}

/// The updates of the epoch being read, until the source operator emits them.
///
/// Updates are summed per row in a hash map, which turns ten million words into a hundred
/// thousand counted rows before the dataflow sees them. When the rows are mostly distinct
/// (events with ids), summing costs more than it saves. So a source starts by probing: its
/// first [`PROBE_ROWS`] updates pass through while only their hashes are counted. If nine
/// in ten were distinct, the next [`PASS_ROWS`] updates (doubling with every probe that
/// finds the same, up to [`MAX_PASS_ROWS`]) go through unhashed, in containers of
/// [`PASS_SLICE`] handed to the output whole, before the next probe; otherwise the source
/// consolidates, and checks every [`PROBE_ROWS`] whether that still shrinks its input.
pub(crate) struct Buffer<T> {
    /// Rows and their summed differences, by [`row_hash`].
    rows: hashbrown::HashTable<(T, isize)>,
    /// Updates passed through, at the epoch being read.
    passed: Vec<(T, Epoch, isize)>,
    policy: Policy,
    /// The distinct hashes of the current probe.
    sample: hashbrown::HashTable<u64>,
    /// How many updates the current probe has seen.
    sampled: usize,
    /// How many updates the next run of passing lets through.
    pass_rows: usize,
    /// Updates hashed since the map was last emitted.
    hashed: usize,
    /// `hashed` and the number of distinct rows at the last check.
    checked: (usize, usize),
    positioned: Vec<((T, Position), isize)>,
    wants_positions: Rc<Cell<bool>>,
    /// In streaming runs, the epoch each live offset was inserted in, so that a retraction
    /// carries the same position as its insertion.
    inserted_in: HashMap<u64, Epoch>,
    streaming: bool,
    /// The epoch being read.
    pub(crate) epoch: Epoch,
    source: u32,
    /// Updates read in the whole run.
    pub(crate) read: u64,
    /// `read` when the current epoch opened: equal to it while the epoch is empty.
    pub(crate) read_at_epoch_start: u64,
}

impl<T: Row> UpdateSink<T> for Buffer<T> {
    #[inline]
    fn update(&mut self, row: T, offset: u64, diff: isize) {
        self.read += 1;
        if self.wants_positions.get() {
            self.position(&row, offset, diff);
        }
        match self.policy {
            Policy::Passing(left) => {
                self.policy = if left > 1 {
                    Policy::Passing(left - 1)
                } else {
                    Policy::Probing
                };
                self.passed.push((row, self.epoch, diff));
            }
            Policy::Probing => {
                self.sample_hash(row_hash(&row));
                self.passed.push((row, self.epoch, diff));
            }
            Policy::Consolidating => {
                self.hashed += 1;
                let hash = row_hash(&row);
                match self.rows.find_mut(hash, |(held, _)| *held == row) {
                    Some((_, sum)) => *sum += diff,
                    None => {
                        self.rows
                            .insert_unique(hash, (row, diff), |(held, _)| row_hash(held));
                    }
                }
            }
        }
    }

    fn update_borrowed(
        &mut self,
        hash: u64,
        is: &dyn Fn(&T) -> bool,
        to_owned: &dyn Fn() -> T,
        offset: u64,
        diff: isize,
    ) {
        if self.policy != Policy::Consolidating || self.wants_positions.get() {
            return self.update(to_owned(), offset, diff);
        }
        self.read += 1;
        self.hashed += 1;
        match self.rows.find_mut(hash, |(held, _)| is(held)) {
            Some((_, sum)) => *sum += diff,
            None => {
                self.rows
                    .insert_unique(hash, (to_owned(), diff), |(held, _)| row_hash(held));
            }
        }
    }
}

impl<T: Row> Buffer<T> {
    /// An empty buffer for source `source`, reading `epoch`.
    pub(crate) fn new(
        wants_positions: Rc<Cell<bool>>,
        streaming: bool,
        epoch: Epoch,
        source: u32,
    ) -> Self {
        Buffer {
            rows: hashbrown::HashTable::new(),
            passed: Vec::new(),
            policy: Policy::Probing,
            sample: hashbrown::HashTable::new(),
            sampled: 0,
            pass_rows: PASS_ROWS,
            hashed: 0,
            checked: (0, 0),
            positioned: Vec::new(),
            wants_positions,
            inserted_in: HashMap::new(),
            streaming,
            epoch,
            source,
            read: 0,
            read_at_epoch_start: 0,
        }
    }

    /// Records the row's input position, for order-dependent operators.
    fn position(&mut self, row: &T, offset: u64, diff: isize) {
        let epoch = if !self.streaming {
            0
        } else if diff > 0 {
            self.inserted_in.insert(offset, self.epoch);
            self.epoch
        } else {
            self.inserted_in.remove(&offset).unwrap_or(self.epoch)
        };
        let position = Position {
            epoch,
            source: self.source,
            offset,
        };
        self.positioned.push(((row.clone(), position), diff));
    }

    /// Counts `hash` in the probe; at the probe's end, picks what to do next.
    fn sample_hash(&mut self, hash: u64) {
        self.sampled += 1;
        if self.sample.find(hash, |held| *held == hash).is_none() {
            self.sample.insert_unique(hash, hash, |held| *held);
        }
        if self.sampled < PROBE_ROWS {
            return;
        }
        let useless = self.sample.len() * 10 > self.sampled * 9;
        self.sample.clear();
        self.sampled = 0;
        self.policy = if useless {
            let pass = self.pass_rows;
            self.pass_rows = (pass * 2).min(MAX_PASS_ROWS);
            Policy::Passing(pass)
        } else {
            self.pass_rows = PASS_ROWS;
            Policy::Consolidating
        };
    }

    /// Whether to emit the epoch's rows so far early (at the same epoch): when a container
    /// of passed updates is full, when the map is large, or when it does not shrink the
    /// input — nine in ten of the updates since the last check were new rows. The check
    /// looks at the latest updates only, so an input whose distinct rows keep trickling in
    /// (word counts) is held until the end of the epoch or [`FLUSH_ROWS`].
    pub(crate) fn should_emit_early(&mut self) -> bool {
        if self.passed.len() >= PASS_SLICE {
            return true;
        }
        let distinct = self.rows.len();
        if distinct >= FLUSH_ROWS {
            return true;
        }
        let (hashed_then, distinct_then) = self.checked;
        let hashed = self.hashed - hashed_then;
        if hashed < PROBE_ROWS {
            return false;
        }
        self.checked = (self.hashed, distinct);
        let useless = (distinct - distinct_then) * 10 > hashed * 9;
        if useless {
            self.policy = Policy::Passing(PASS_ROWS);
        }
        useless
    }

    /// Hands over the hashed rows with their summed differences (zeros left out).
    pub(crate) fn drain_rows(&mut self, mut give: impl FnMut(T, isize)) {
        self.hashed = 0;
        self.checked = (0, 0);
        for (row, diff) in self.rows.drain() {
            if diff != 0 {
                give(row, diff);
            }
        }
    }

    /// The updates passed through unhashed, as `(row, epoch, diff)`: a container to hand to
    /// the output whole (it leaves the container empty).
    pub(crate) fn passed(&mut self) -> &mut Vec<(T, Epoch, isize)> {
        &mut self.passed
    }

    /// Hands over the buffered rows with their positions, consolidated.
    pub(crate) fn drain_positioned(&mut self, mut give: impl FnMut((T, Position), isize)) {
        consolidate(&mut self.positioned);
        for (row, diff) in self.positioned.drain(..) {
            give(row, diff);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn buffer() -> Buffer<String> {
        Buffer::new(Rc::new(Cell::new(false)), false, 0, 0)
    }

    /// The buffer's rows so far, summed, with rows that cancelled out left out.
    fn drained(buffer: &mut Buffer<String>) -> BTreeMap<String, isize> {
        let mut rows = BTreeMap::new();
        buffer.drain_rows(|row, diff| *rows.entry(row).or_insert(0) += diff);
        let reading = buffer.epoch;
        for (row, epoch, diff) in buffer.passed().drain(..) {
            assert_eq!(epoch, reading);
            *rows.entry(row).or_insert(0) += diff;
        }
        rows.retain(|_, diff| *diff != 0);
        rows
    }

    /// Owned and borrowed updates land on the same rows, and cancelled rows are left out.
    #[test]
    fn owned_and_borrowed_updates_sum_per_row() {
        let mut buffer = buffer();
        buffer.policy = Policy::Consolidating;
        let words = ["sea", "sky", "sea", "sun", "sky", "sea"];
        for (offset, word) in words.iter().enumerate() {
            if offset % 2 == 0 {
                buffer.update(word.to_string(), offset as u64, 1);
            } else {
                buffer.update_borrowed(
                    row_hash(*word),
                    &|held: &String| held == word,
                    &|| word.to_string(),
                    offset as u64,
                    1,
                );
            }
        }
        buffer.update("sun".to_string(), 9, -1);
        assert_eq!(buffer.rows.len(), 3, "one entry per word");
        assert!(buffer.passed.is_empty());
        let expected = BTreeMap::from([("sea".to_string(), 3), ("sky".to_string(), 2)]);
        assert_eq!(drained(&mut buffer), expected);
        assert_eq!(buffer.read, 7);
        assert!(drained(&mut buffer).is_empty());
    }

    /// Distinct rows are only probed, then pass through in containers, and each probe that
    /// finds them distinct again doubles the next run of passing.
    #[test]
    fn distinct_rows_pass_through_with_growing_runs() {
        let mut buffer = buffer();
        let mut early = 0;
        let mut emitted = 0;
        for i in 0..(3 * PROBE_ROWS) {
            buffer.update(format!("event-{i}"), i as u64, 1);
            if buffer.should_emit_early() {
                early += 1;
                emitted += drained(&mut buffer).len();
            }
        }
        emitted += drained(&mut buffer).len();
        assert_eq!(emitted, 3 * PROBE_ROWS);
        assert_eq!(
            early,
            3 * PROBE_ROWS / PASS_SLICE,
            "containers of PASS_SLICE"
        );
        assert_eq!(buffer.policy, Policy::Passing(PASS_ROWS - 2 * PROBE_ROWS));
        assert_eq!(
            buffer.pass_rows,
            2 * PASS_ROWS,
            "the next run is twice as long"
        );

        buffer.policy = Policy::Passing(1);
        buffer.update("last".to_string(), 0, 1);
        assert_eq!(
            buffer.policy,
            Policy::Probing,
            "a run of passing ends in a probe"
        );
    }

    /// Repeated rows are consolidated once the probe has seen them repeat, and stay so.
    #[test]
    fn repeated_rows_consolidate_after_the_probe() {
        let mut buffer = buffer();
        for i in 0..PROBE_ROWS {
            buffer.update(format!("word-{}", i % 1000), i as u64, 1);
        }
        assert_eq!(buffer.policy, Policy::Consolidating);
        assert_eq!(
            drained(&mut buffer).values().sum::<isize>(),
            PROBE_ROWS as isize
        );
        for i in 0..(2 * PROBE_ROWS) {
            buffer.update(format!("word-{}", i % 1000), i as u64, 1);
            assert!(!buffer.should_emit_early(), "1,000 words consolidate");
        }
        assert_eq!(buffer.rows.len(), 1000);
        let rows = drained(&mut buffer);
        assert_eq!(rows.len(), 1000);
        assert_eq!(rows.values().sum::<isize>(), 2 * PROBE_ROWS as isize);
    }
}
