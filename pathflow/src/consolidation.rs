//! Whether summing equal updates in a hash map pays, judged from the updates themselves.
//!
//! Sources and the per-worker combiners of aggregations sum equal updates before the
//! dataflow sees them: ten million words become a hundred thousand counted rows. When the
//! updates are mostly distinct (events with ids), hashing each into a map costs more than it
//! saves. [`Consolidation`] tells an operator, update by update, which it is: it starts by
//! probing ([`PROBE_ROWS`] updates pass through while a [`DistinctCounter`] estimates how
//! many distinct hashes they have); if nine
//! in ten were distinct, the next [`PASS_ROWS`] updates pass unhashed (doubling with every
//! probe that finds the same, up to [`MAX_PASS_ROWS`]) before the next probe; otherwise the
//! operator sums, and every [`PROBE_ROWS`] summed updates the same test decides whether to
//! go on. A probe whose first [`EARLY_PROBE_ROWS`] updates are all but distinct (99 in
//! 100) ends there: hashing wide rows (Nexmark's bids) is the probe's whole cost, and keys
//! that repeat so rarely in a short run are too many to repeat nine in ten times in a long
//! one.

/// How many updates one judgement looks at.
pub(crate) const PROBE_ROWS: usize = 1 << 16;
/// How many updates a probe looks at before it may end early, finding them all distinct.
pub(crate) const EARLY_PROBE_ROWS: usize = 1 << 13;
/// How many updates pass unhashed after the first judgement that found summing useless.
pub(crate) const PASS_ROWS: usize = 1 << 20;
/// The longest run of updates passed unhashed between two probes.
pub(crate) const MAX_PASS_ROWS: usize = 1 << 26;

/// What to do with the next update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Pass it on unhashed.
    Pass,
    /// Pass it on, and report its hash with [`Consolidation::sampled`].
    Sample,
    /// Sum it into the map, and report whether it was new with [`Consolidation::summed`].
    Sum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Probing,
    Summing,
    Passing(usize),
}

/// Estimates the number of distinct hashes among up to [`PROBE_ROWS`], by linear counting:
/// each hash sets one bit of a bitmap, and the share of bits left clear tells how many
/// distinct hashes there were. With four bits per hash the estimate is within a fraction of
/// a percent, and the 32 KiB bitmap stays in cache (a hash table of the hashes would not).
pub(crate) struct DistinctCounter {
    bits: Box<[u64]>,
}

impl DistinctCounter {
    const BITS: u32 = 18;

    fn new() -> Self {
        DistinctCounter {
            bits: vec![0u64; (1 << Self::BITS) / 64].into_boxed_slice(),
        }
    }

    #[inline]
    fn insert(&mut self, hash: u64) {
        // Fold all of the hash into the bits that pick the bit: fast hashes of small keys
        // leave their top bits poorly mixed.
        let mixed = (hash ^ (hash >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let bit = (mixed >> (64 - Self::BITS)) as usize;
        self.bits[bit / 64] |= 1 << (bit % 64);
    }

    /// The estimated number of distinct hashes inserted since the last clear.
    fn estimate(&self) -> usize {
        let size = (1u64 << Self::BITS) as f64;
        let clear: u32 = self.bits.iter().map(|word| word.count_zeros()).sum();
        let clear = f64::from(clear.max(1));
        (-size * (clear / size).ln()).round() as usize
    }

    fn clear(&mut self) {
        self.bits.fill(0);
    }
}

/// The running judgement of one stream of updates.
pub(crate) struct Consolidation {
    state: State,
    /// The distinct hashes of the current probe.
    sample: DistinctCounter,
    /// Updates seen by the current judgement, and how many of them were new rows.
    seen: usize,
    new: usize,
    /// How many updates the next run of passing lets through.
    pass_rows: usize,
}

impl Default for Consolidation {
    fn default() -> Self {
        Consolidation {
            state: State::Probing,
            sample: DistinctCounter::new(),
            seen: 0,
            new: 0,
            pass_rows: PASS_ROWS,
        }
    }
}

impl Consolidation {
    /// What to do with the next update.
    #[inline]
    pub(crate) fn step(&mut self) -> Step {
        match self.state {
            State::Passing(left) => {
                self.state = if left > 1 {
                    State::Passing(left - 1)
                } else {
                    State::Probing
                };
                Step::Pass
            }
            State::Probing => Step::Sample,
            State::Summing => Step::Sum,
        }
    }

    /// Whether updates are being summed now.
    pub(crate) fn is_summing(&self) -> bool {
        self.state == State::Summing
    }

    /// How many of the next updates pass unhashed, in a row: for a caller that moves them
    /// all at once and then reports them with [`Consolidation::passed`].
    #[inline]
    pub(crate) fn passing(&self) -> usize {
        match self.state {
            State::Passing(left) => left,
            State::Probing | State::Summing => 0,
        }
    }

    /// Counts `count` updates passed without [`Consolidation::step`], at most
    /// [`Consolidation::passing`].
    #[inline]
    pub(crate) fn passed(&mut self, count: usize) {
        let left = self.passing();
        debug_assert!(count <= left, "{count} updates passed of {left}");
        if count > 0 {
            self.state = if count < left {
                State::Passing(left - count)
            } else {
                State::Probing
            };
        }
    }

    /// Counts a probed update's hash; at the probe's end, judges.
    #[inline]
    pub(crate) fn sampled(&mut self, hash: u64) {
        self.sample.insert(hash);
        self.seen += 1;
        let full = self.seen >= PROBE_ROWS;
        if full || self.seen == EARLY_PROBE_ROWS {
            let distinct = self.sample.estimate();
            if full || distinct * 100 >= self.seen * 99 {
                self.new = distinct;
                self.sample.clear();
                self.judge();
            }
        }
    }

    /// Counts a summed update, `new` if it made a new row in the map. Returns true when
    /// summing stopped paying: the caller should emit its map, as updates now pass.
    #[inline]
    pub(crate) fn summed(&mut self, new: bool) -> bool {
        self.seen += 1;
        self.new += usize::from(new);
        self.seen >= PROBE_ROWS && {
            self.judge();
            !self.is_summing()
        }
    }

    /// Ends a judgement: nine in ten new rows mean summing does not pay.
    fn judge(&mut self) {
        let useless = self.new * 10 > self.seen * 9;
        self.seen = 0;
        self.new = 0;
        self.state = if useless {
            let pass = self.pass_rows;
            self.pass_rows = (pass * 2).min(MAX_PASS_ROWS);
            State::Passing(pass)
        } else {
            self.pass_rows = PASS_ROWS;
            State::Summing
        };
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    /// Hashes as the operators do, so the counter sees well-mixed bits.
    fn hash(row: u64) -> u64 {
        foldhash::fast::FixedState::default().hash_one(row)
    }

    #[test]
    fn the_distinct_counter_is_within_one_percent() {
        for distinct in [1usize, 100, 1000, 30_000, PROBE_ROWS] {
            let mut counter = DistinctCounter::new();
            for i in 0..PROBE_ROWS {
                counter.insert(hash((i % distinct) as u64));
            }
            let estimate = counter.estimate() as f64;
            let error = (estimate - distinct as f64).abs() / distinct as f64;
            assert!(error < 0.01, "{distinct} distinct estimated as {estimate}");
            counter.clear();
            assert_eq!(counter.estimate(), 0);
        }
    }

    /// Feeds `rows` (given by their hashes) and returns how many were summed.
    fn summed(judge: &mut Consolidation, rows: impl Iterator<Item = u64>) -> usize {
        let mut held = std::collections::HashSet::new();
        let mut summed = 0;
        for row in rows {
            match judge.step() {
                Step::Pass => {}
                Step::Sample => judge.sampled(hash(row)),
                Step::Sum => {
                    summed += 1;
                    judge.summed(held.insert(hash(row)));
                }
            }
        }
        summed
    }

    #[test]
    fn distinct_updates_pass_in_doubling_runs() {
        let mut judge = Consolidation::default();
        let early = EARLY_PROBE_ROWS as u64;
        assert_eq!(summed(&mut judge, 0..early), 0);
        assert_eq!(
            judge.state,
            State::Passing(PASS_ROWS),
            "a probe of distinct updates ends early"
        );
        let end = early + (PASS_ROWS + EARLY_PROBE_ROWS) as u64;
        assert_eq!(summed(&mut judge, early..end), 0);
        assert_eq!(
            judge.state,
            State::Passing(2 * PASS_ROWS),
            "the next run is twice as long"
        );
    }

    /// Keys that repeat rarely in a short run but often in a long one (a uniform choice of
    /// 100,000 words) are probed in full, and summed.
    #[test]
    fn a_probe_ends_early_only_on_all_but_distinct_updates() {
        let mut judge = Consolidation::default();
        let words = (0..PROBE_ROWS as u64).map(|i| hash(i) % 100_000);
        assert_eq!(summed(&mut judge, words), 0);
        assert!(judge.is_summing());

        let mut judge = Consolidation::default();
        let some_repeats =
            (0..EARLY_PROBE_ROWS as u64).map(|i| i % (EARLY_PROBE_ROWS as u64 - 200));
        summed(&mut judge, some_repeats);
        assert_eq!(judge.state, State::Probing, "2% repeats: the probe goes on");
    }

    /// Updates passed in bulk count as passed one by one.
    #[test]
    fn passing_in_bulk_counts_down_to_the_next_probe() {
        let mut judge = Consolidation::default();
        summed(&mut judge, 0..EARLY_PROBE_ROWS as u64);
        assert_eq!(judge.passing(), PASS_ROWS);
        judge.passed(PASS_ROWS - 1);
        assert_eq!(judge.passing(), 1);
        assert_eq!(judge.step(), Step::Pass);
        assert_eq!(judge.passing(), 0);
        assert_eq!(judge.step(), Step::Sample);
        judge.passed(0);
        assert_eq!(judge.step(), Step::Sample);
    }

    #[test]
    fn repeated_updates_are_summed_until_they_stop_repeating() {
        let mut judge = Consolidation::default();
        let words = (0..PROBE_ROWS as u64).map(|i| i % 1000);
        assert_eq!(
            summed(&mut judge, words),
            0,
            "the first probe only counts hashes"
        );
        assert!(judge.is_summing());
        let words = (0..3 * PROBE_ROWS as u64).map(|i| i % 1000);
        assert_eq!(summed(&mut judge, words), 3 * PROBE_ROWS);
        assert!(judge.is_summing());
        let ids = 1_000_000..(1_000_000 + PROBE_ROWS as u64);
        assert_eq!(summed(&mut judge, ids), PROBE_ROWS);
        assert_eq!(judge.state, State::Passing(PASS_ROWS));
    }
}
