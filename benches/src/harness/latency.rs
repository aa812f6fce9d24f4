//! Latency from an event's entry to the output that reflects it.
//!
//! Sources report, per epoch, when its events entered; sinks report when they wrote the
//! epoch's output (the last worker to write it counts). An event's latency is the time
//! between the two. Epochs whose events changed no output have no output reflecting them
//! and are not counted.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Events that entered in one epoch, evenly spread from `first` to `last`.
#[derive(Clone, Copy, Debug)]
struct Segment {
    first: Instant,
    last: Instant,
    count: usize,
}

#[derive(Default)]
struct State {
    entered: BTreeMap<u64, Vec<Segment>>,
    written: BTreeMap<u64, Instant>,
}

/// Collects entry and output times, shared by a run's sources and sinks.
#[derive(Default)]
pub struct Latency {
    state: Mutex<State>,
}

/// Latency percentiles over the counted events.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// How many events were counted.
    pub events: usize,
}

impl Latency {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that `count` events, entering evenly from `first` to `last`, are in `epoch`.
    pub fn entered(&self, epoch: u64, first: Instant, last: Instant, count: usize) {
        if count > 0 {
            self.state()
                .entered
                .entry(epoch)
                .or_default()
                .push(Segment { first, last, count });
        }
    }

    /// Records that a sink wrote `epoch`'s output at `at`.
    pub fn written(&self, epoch: u64, at: Instant) {
        let mut state = self.state();
        let slot = state.written.entry(epoch).or_insert(at);
        if *slot < at {
            *slot = at;
        }
    }

    /// The percentiles over events that entered at or after `from`, if any were counted.
    pub fn percentiles(&self, from: Instant) -> Option<Percentiles> {
        let state = self.state();
        let mut micros: Vec<u64> = Vec::new();
        for (epoch, segments) in &state.entered {
            let Some(done) = state.written.get(epoch) else {
                continue;
            };
            for segment in segments {
                let span = segment.last.saturating_duration_since(segment.first);
                let steps = segment.count.saturating_sub(1).max(1) as u32;
                for i in 0..segment.count {
                    let entry = segment.first + span * i as u32 / steps;
                    if entry >= from {
                        micros.push(done.saturating_duration_since(entry).as_micros() as u64);
                    }
                }
            }
        }
        if micros.is_empty() {
            return None;
        }
        micros.sort_unstable();
        let at = |q: f64| {
            let index = ((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1;
            Duration::from_micros(micros[index])
        };
        Some(Percentiles {
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            events: micros.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_events_of_written_epochs_only() {
        let latency = Latency::default();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        latency.entered(1, t0, t0 + ms(9), 10);
        latency.entered(2, t0, t0, 5);
        latency.written(1, t0 + ms(10));
        latency.written(1, t0 + ms(12));
        let p = latency.percentiles(t0).unwrap();
        assert_eq!(p.events, 10);
        assert_eq!(p.p50, ms(7));
        assert_eq!(p.p99, ms(12));
    }
}
