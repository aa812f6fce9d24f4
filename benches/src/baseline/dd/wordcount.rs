//! Word count on differential dataflow: every word pushed with diff 1, counted by
//! `count_total`.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use differential_dataflow::input::Input;
use differential_dataflow::operators::CountTotal;

use crate::baseline::dd::driver::{batch_input, collect, drive, execute, feeder, finish, Run};
use crate::baseline::dd::Collection;
use crate::harness::pathflow::Collected;
use crate::harness::{take_share, Shares};
use crate::wordcount::input::{ranges, Words};
use crate::wordcount::WordCount;

/// The number of occurrences of every word.
pub fn count(words: Collection<'_, String>) -> Collection<'_, WordCount> {
    words.count_total().map(|(word, count)| WordCount {
        word,
        count: count as u64,
    })
}

/// Counts the words of the CSV file at `path`, each worker reading its byte range.
pub fn batch(run: Run, path: PathBuf) -> Result<Collected<WordCount>, String> {
    execute(run.clone(), move |worker| {
        let range = ranges(&path, worker.peers())
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))[worker.index()];
        let words = Words::open(&path, range)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        let result = Rc::new(RefCell::new(Collected::default()));
        let sink = Rc::clone(&result);
        let probe = worker
            .dataflow(|scope| collect(count(batch_input(scope, words)), sink, run.keep, None));
        finish(worker, &probe);
        result.take()
    })
}

/// Counts in-memory words fed at the run's pace, one share per worker.
pub fn streaming(run: Run, shares: Shares<Vec<String>>) -> Result<Collected<WordCount>, String> {
    execute(run.clone(), move |worker| {
        let words = take_share(&shares, worker.index());
        let result = Rc::new(RefCell::new(Collected::default()));
        let sink = Rc::clone(&result);
        let (input, probe) = worker.dataflow(|scope| {
            let (input, words) = scope.new_collection();
            let probe = collect(count(words), sink, run.keep, run.feed.latency.clone());
            (input, probe)
        });
        let mut feeders = vec![feeder(words, input, &run, |_| 1.0)];
        drive(worker, &mut feeders, &probe, &run.feed);
        result.take()
    })
}
