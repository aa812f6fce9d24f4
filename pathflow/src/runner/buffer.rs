//! What a source operator holds of the epoch it is reading, consolidated while that pays.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use differential_dataflow::consolidation::consolidate;

use crate::consolidation::{Consolidation, Step};
use crate::position::Position;
use crate::schema::Row;
use crate::source::row_hash;
use crate::table::Epoch;

/// How many distinct rows a source holds at most before emitting them early.
const FLUSH_ROWS: usize = 1 << 20;
/// The size in bytes of a container of passed updates.
///
/// Below glibc's 64 KiB `FASTBIN_CONSOLIDATION_THRESHOLD`: freeing a larger block makes
/// the allocator coalesce every small block freed since (the strings of the rows a `map`
/// dropped), which took a fifth of Nexmark q4's time with containers of 1 MiB.
const PASS_BYTES: usize = 32 << 10;

/// How many passed updates go out together, as one container: [`PASS_BYTES`] of them,
/// between 64 and 8,192 updates.
fn pass_slice<T>() -> usize {
    (PASS_BYTES / std::mem::size_of::<(T, Epoch, isize)>().max(1)).clamp(64, 1 << 13)
}

/// The updates of the epoch being read, until the source operator emits them.
///
/// Updates are summed per row in a hash map while that pays ([`Consolidation`] judges it
/// from the updates): ten million words become a hundred thousand counted rows before the
/// dataflow sees them. Updates that pass instead go out in containers of [`pass_slice`]
/// updates, handed to the output whole.
pub(crate) struct Buffer<T> {
    /// Rows and their summed differences, by [`row_hash`].
    rows: hashbrown::HashTable<(T, isize)>,
    /// Updates passed through, at the epoch being read: the container being filled.
    passed: Vec<(T, Epoch, isize)>,
    /// Full containers of passed updates, waiting for the output: a reader may push many
    /// containers' worth in one poll, and each goes out as it was filled.
    full: Vec<Vec<(T, Epoch, isize)>>,
    consolidation: Consolidation,
    /// Whether summing just stopped paying, so the map should go out now.
    stopped_summing: bool,
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

impl<T: Row> Buffer<T> {
    /// Takes `diff` copies of `row`, read at `offset`. Inlined into the reader's loop: a
    /// source calls it once per row.
    #[inline]
    pub(crate) fn update(&mut self, row: T, offset: u64, diff: isize) {
        self.read += 1;
        if self.wants_positions.get() {
            self.position(&row, offset, diff);
        }
        match self.consolidation.step() {
            Step::Pass => self.pass(row, diff),
            Step::Sample => {
                self.consolidation.sampled(row_hash(&row));
                self.pass(row, diff);
            }
            Step::Sum => {
                let hash = row_hash(&row);
                let new = match self.rows.find_mut(hash, |(held, _)| *held == row) {
                    Some((_, sum)) => {
                        *sum += diff;
                        false
                    }
                    None => {
                        self.rows
                            .insert_unique(hash, (row, diff), |(held, _)| row_hash(held));
                        true
                    }
                };
                self.stopped_summing |= self.consolidation.summed(new);
            }
        }
    }

    /// Takes one copy of each row of `rows`, read at its offset: like `update` for each, but
    /// a run of rows that pass unhashed is moved into the container in one loop.
    pub(crate) fn extend(&mut self, rows: impl IntoIterator<Item = (T, u64)>) {
        let mut rows = rows.into_iter();
        loop {
            let run = if self.wants_positions.get() {
                0
            } else {
                self.consolidation.passing()
            };
            if run == 0 {
                match rows.next() {
                    Some((row, offset)) => self.update(row, offset, 1),
                    None => return,
                }
                continue;
            }
            let epoch = self.epoch;
            let passed = self.filling();
            let room = run.min(pass_slice::<T>() - passed.len());
            let before = passed.len();
            passed.extend(rows.by_ref().take(room).map(|(row, _)| (row, epoch, 1)));
            let took = passed.len() - before;
            self.read += took as u64;
            self.consolidation.passed(took);
            self.close_if_full();
            if took < room {
                return;
            }
        }
    }

    /// Like `update`, for a row known by its hash ([`row_hash`]), a test of equality and a
    /// way to make it, called only if the buffer holds no equal row.
    #[inline]
    pub(crate) fn update_borrowed(
        &mut self,
        hash: u64,
        is: impl Fn(&T) -> bool,
        to_owned: impl FnOnce() -> T,
        offset: u64,
        diff: isize,
    ) {
        if !self.consolidation.is_summing() || self.wants_positions.get() {
            return self.update(to_owned(), offset, diff);
        }
        self.read += 1;
        self.consolidation.step();
        let new = match self.rows.find_mut(hash, |(held, _)| is(held)) {
            Some((_, sum)) => {
                *sum += diff;
                false
            }
            None => {
                self.rows
                    .insert_unique(hash, (to_owned(), diff), |(held, _)| row_hash(held));
                true
            }
        };
        self.stopped_summing |= self.consolidation.summed(new);
    }

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
            full: Vec::new(),
            consolidation: Consolidation::default(),
            stopped_summing: false,
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

    #[inline]
    fn pass(&mut self, row: T, diff: isize) {
        let epoch = self.epoch;
        self.filling().push((row, epoch, diff));
        self.close_if_full();
    }

    /// The container of passed updates being filled, with room for [`pass_slice`] of them.
    #[inline]
    fn filling(&mut self) -> &mut Vec<(T, Epoch, isize)> {
        if self.passed.capacity() == 0 {
            // The last container was taken whole: the next one is as large.
            self.passed.reserve_exact(pass_slice::<T>());
        }
        &mut self.passed
    }

    /// Moves the container being filled to the full ones once it holds [`pass_slice`].
    #[inline]
    fn close_if_full(&mut self) {
        if self.passed.len() == pass_slice::<T>() {
            self.full.push(std::mem::take(&mut self.passed));
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

    /// Whether to emit the epoch's rows so far early (at the same epoch): when a container
    /// of passed updates is full, when the map is large, or when summing stopped paying.
    pub(crate) fn should_emit_early(&mut self) -> bool {
        let stopped = std::mem::take(&mut self.stopped_summing);
        stopped || !self.full.is_empty() || self.rows.len() >= FLUSH_ROWS
    }

    /// Hands over the hashed rows with their summed differences (zeros left out).
    pub(crate) fn drain_rows(&mut self, mut give: impl FnMut(T, isize)) {
        for (row, diff) in self.rows.drain() {
            if diff != 0 {
                give(row, diff);
            }
        }
    }

    /// Hands over the updates passed through unhashed, as containers of `(row, epoch, diff)`
    /// in the order they were filled, for the output to take whole.
    pub(crate) fn drain_passed(&mut self, mut give: impl FnMut(&mut Vec<(T, Epoch, isize)>)) {
        for mut container in self.full.drain(..) {
            give(&mut container);
        }
        if !self.passed.is_empty() {
            give(&mut self.passed);
            self.passed.clear();
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
        buffer.drain_passed(|container| {
            for (row, epoch, diff) in container.drain(..) {
                assert_eq!(epoch, reading);
                *rows.entry(row).or_insert(0) += diff;
            }
        });
        rows.retain(|_, diff| *diff != 0);
        rows
    }

    /// A buffer that sums from the first update.
    fn summing() -> Buffer<String> {
        let mut buffer = buffer();
        for i in 0..crate::consolidation::PROBE_ROWS {
            buffer.update(format!("word-{}", i % 10), i as u64, 1);
        }
        assert!(buffer.consolidation.is_summing());
        drained(&mut buffer);
        buffer
    }

    /// Owned and borrowed updates land on the same rows, and cancelled rows are left out.
    #[test]
    fn owned_and_borrowed_updates_sum_per_row() {
        let mut buffer = summing();
        let read = buffer.read;
        let words = ["sea", "sky", "sea", "sun", "sky", "sea"];
        for (offset, word) in words.iter().enumerate() {
            if offset % 2 == 0 {
                buffer.update(word.to_string(), offset as u64, 1);
            } else {
                buffer.update_borrowed(
                    row_hash(*word),
                    |held: &String| held == word,
                    || word.to_string(),
                    offset as u64,
                    1,
                );
            }
        }
        buffer.update("sun".to_string(), 9, -1);
        assert_eq!(buffer.rows.len(), 3, "one entry per word");
        assert!(buffer.passed.is_empty() && buffer.full.is_empty());
        let expected = BTreeMap::from([("sea".to_string(), 3), ("sky".to_string(), 2)]);
        assert_eq!(drained(&mut buffer), expected);
        assert_eq!(buffer.read - read, 7);
        assert!(drained(&mut buffer).is_empty());
    }

    /// A reader that pushes many containers' worth in one poll still gets them out in
    /// containers of `pass_slice`, in order, none grown past it.
    #[test]
    fn a_large_poll_passes_in_containers_of_pass_slice() {
        let mut buffer = buffer();
        let slice = pass_slice::<String>();
        let rows = 3 * crate::consolidation::PROBE_ROWS;
        for i in 0..rows {
            buffer.update(format!("event-{i}"), i as u64, 1);
        }
        let mut sizes = Vec::new();
        let mut next = 0;
        buffer.drain_passed(|container| {
            assert!(container.capacity() <= slice, "a container grew");
            sizes.push(container.len());
            for (row, _, _) in container.drain(..) {
                assert_eq!(row, format!("event-{next}"));
                next += 1;
            }
        });
        assert_eq!(next, rows);
        let (last, filled) = sizes.split_last().expect("containers");
        assert!(filled.iter().all(|&n| n == slice) && *last <= slice);
    }

    /// Rows taken in bulk come out as the same updates, in the same containers, as rows
    /// taken one by one, through probes, passing runs and summing alike.
    #[test]
    fn rows_taken_in_bulk_are_taken_as_one_by_one() {
        let distinct = (0..crate::consolidation::PASS_ROWS + 100_000).map(|i| format!("event-{i}"));
        let repeated = (0..200_000).map(|i| format!("word-{}", i % 500));
        let rows: Vec<(String, u64)> = distinct
            .chain(repeated)
            .enumerate()
            .map(|(offset, row)| (row, offset as u64))
            .collect();
        let (mut one_by_one, mut bulk) = (buffer(), buffer());
        let mut outputs = [Vec::new(), Vec::new()];
        for chunk in rows.chunks(7_777) {
            for (row, offset) in chunk {
                one_by_one.update(row.clone(), *offset, 1);
            }
            bulk.extend(chunk.iter().cloned());
            for (buffer, output) in [&mut one_by_one, &mut bulk].into_iter().zip(&mut outputs) {
                if buffer.should_emit_early() {
                    let mut containers = Vec::new();
                    buffer.drain_passed(|c| containers.push(std::mem::take(c)));
                    output.push((drained(buffer), containers));
                }
            }
        }
        assert_eq!(one_by_one.read, bulk.read);
        assert_eq!(bulk.read, rows.len() as u64);
        for (buffer, output) in [&mut one_by_one, &mut bulk].into_iter().zip(&mut outputs) {
            output.push((drained(buffer), Vec::new()));
        }
        assert!(outputs[0].len() > 100, "many early emits");
        assert_eq!(outputs[0], outputs[1]);
    }

    /// Distinct rows pass through in containers of `pass_slice`; repeated rows stay summed
    /// until the end, and all are emitted once.
    #[test]
    fn distinct_rows_pass_in_containers_and_repeated_rows_stay() {
        let mut buffer = buffer();
        let (mut early, mut emitted) = (0, 0);
        let rows = 3 * crate::consolidation::PROBE_ROWS;
        for i in 0..rows {
            buffer.update(format!("event-{i}"), i as u64, 1);
            if buffer.should_emit_early() {
                early += 1;
                emitted += drained(&mut buffer).len();
            }
        }
        emitted += drained(&mut buffer).len();
        assert_eq!(emitted, rows);
        assert_eq!(
            early,
            rows / pass_slice::<String>(),
            "containers of pass_slice"
        );

        let mut buffer = summing();
        for i in 0..rows {
            buffer.update(format!("word-{}", i % 1000), i as u64, 1);
            assert!(!buffer.should_emit_early(), "1,000 words are summed");
        }
        assert_eq!(buffer.rows.len(), 1000);
        let rows = drained(&mut buffer);
        assert_eq!(rows.len(), 1000);
        assert_eq!(
            rows.values().sum::<isize>(),
            3 * crate::consolidation::PROBE_ROWS as isize
        );
    }
}
