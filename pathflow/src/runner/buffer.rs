//! What a source operator holds of the epoch it is reading, consolidated while that pays.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use differential_dataflow::consolidation::consolidate;

use crate::position::Position;
use crate::schema::Row;
use crate::source::UpdateSink;
use crate::table::Epoch;

/// How many updates a source reads between checks of whether consolidating still pays, and
/// how many unconsolidated updates it holds at most.
const PROBE_ROWS: usize = 1 << 16;
/// How many distinct rows a source holds at most before emitting them early.
const FLUSH_ROWS: usize = 1 << 20;
/// How many updates pass unhashed after a check found consolidating useless, before the
/// next check.
const PASS_ROWS: usize = 1 << 20;

/// A hash map with a fast, fixed (so deterministic) hasher.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// The updates of the epoch being read, until the source operator emits them.
///
/// Updates are summed per row in a hash map, which turns ten million words into a hundred
/// thousand counted rows before the dataflow sees them. When the rows are mostly distinct
/// (events with ids), hashing costs more than it saves: a check every [`PROBE_ROWS`]
/// updates finds that nine in ten were new, and the next [`PASS_ROWS`] updates go through
/// unhashed, in slices, before consolidation is tried again.
pub(crate) struct Buffer<T> {
    rows: FastMap<T, isize>,
    /// Updates passed through unhashed.
    passed: Vec<(T, isize)>,
    /// How many more updates to pass through unhashed.
    passing: usize,
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
    fn update(&mut self, row: T, offset: u64, diff: isize) {
        self.read += 1;
        if self.wants_positions.get() {
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
        if self.passing > 0 {
            self.passing -= 1;
            self.passed.push((row, diff));
        } else {
            self.hashed += 1;
            *self.rows.entry(row).or_insert(0) += diff;
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
            rows: FastMap::default(),
            passed: Vec::new(),
            passing: 0,
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

    /// Whether to emit the epoch's rows so far early (at the same epoch): when a slice of
    /// unhashed updates is full, when the map is large, or when it does not shrink the
    /// input — nine in ten of the updates since the last check were new rows. The check
    /// looks at the latest updates only, so an input whose distinct rows keep trickling in
    /// (word counts) is held until the end of the epoch or [`FLUSH_ROWS`].
    pub(crate) fn should_emit_early(&mut self) -> bool {
        if self.passed.len() >= PROBE_ROWS {
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
            self.passing = PASS_ROWS;
        }
        useless
    }

    /// Hands over the buffered rows with their summed differences (zeros left out).
    pub(crate) fn drain_rows(&mut self, mut give: impl FnMut(T, isize)) {
        self.hashed = 0;
        self.checked = (0, 0);
        for (row, diff) in self.rows.drain().chain(self.passed.drain(..)) {
            if diff != 0 {
                give(row, diff);
            }
        }
    }

    /// Hands over the buffered rows with their positions, consolidated.
    pub(crate) fn drain_positioned(&mut self, mut give: impl FnMut((T, Position), isize)) {
        consolidate(&mut self.positioned);
        for (row, diff) in self.positioned.drain(..) {
            give(row, diff);
        }
    }
}
