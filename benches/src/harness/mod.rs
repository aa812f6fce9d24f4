//! What every system's run shares: input shares per worker, pacing, latency, memory.

pub mod latency;
pub mod memory;
pub mod pacing;
pub mod pathflow;

/// One worker's share of every input, taken by the worker that reads it.
pub type Shares<T> = std::sync::Arc<std::sync::Mutex<Vec<Option<T>>>>;

/// Wraps per-worker inputs so each worker can take its own.
pub fn shares<T>(per_worker: Vec<T>) -> Shares<T> {
    std::sync::Arc::new(std::sync::Mutex::new(
        per_worker.into_iter().map(Some).collect(),
    ))
}

/// Takes worker `worker`'s share; a share is taken once, a second take gets the default.
pub fn take_share<T: Default>(shares: &Shares<T>, worker: usize) -> T {
    shares
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(worker)
        .and_then(Option::take)
        .unwrap_or_default()
}

/// Sorts `updates` by row and adds up the diffs of equal rows, dropping zeros.
pub fn consolidate<T: Ord>(updates: &mut Vec<(T, isize)>) {
    differential_dataflow::consolidation::consolidate(updates);
}
