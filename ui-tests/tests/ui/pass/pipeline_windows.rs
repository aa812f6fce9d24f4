//! `pipeline!` windows: `windowby` with each window shape, with and without instance
//! columns and a behavior, run in batch (and in streaming, where a late event is cut off)
//! and checked against tables computed by hand.

use pathflow::memory;
use pathflow::prelude::*;
use pathflow::window::WindowBehavior;

#[derive(Schema, Clone, Debug)]
pub struct Event {
    region: String,
    key: String,
    value: f64,
    #[pathflow(event_time)]
    at: Timestamp,
}

#[derive(Schema, Clone, Debug)]
pub struct RegionWindow {
    region: String,
    key: String,
    window_start: Timestamp,
    window_end: Timestamp,
    count: u64,
    sum: f64,
}

#[derive(Schema, Clone, Debug)]
pub struct Overall {
    start: i64,
    end: i64,
    n: u64,
    top: f64,
}

#[derive(Schema, Clone, Debug)]
pub struct KeyWindow {
    key: String,
    window_start: Timestamp,
    window_end: Timestamp,
    count: u64,
    sum: f64,
}

pipeline! {
    /// Count and sum per region, key and tumbling window of `size`.
    pub fn per_key<B: WindowBehavior>(events: Table<Event>, size: Duration, behavior: B) -> Table<RegionWindow> {
        events
            .windowby(at, tumbling(size), behavior, instance = (region, key))
            .reduce(RegionWindow { region, key, window_start, window_end, count: count(), sum: sum(value) })
    }

    /// Positive events over all keys in sliding windows, with the default behavior.
    pub fn sliding_all(events: Table<Event>) -> Table<Overall> {
        events
            .filter(value > 0.0)
            .windowby(at, sliding(Duration::from_millis(5), Duration::from_millis(10)))
            .reduce(Overall {
                start: window_start.millis(),
                end: window_end.millis(),
                n: count(),
                top: max(value),
            })
    }

    /// Windows given as a value, per key.
    pub fn per_window(events: Table<Event>, window: Window) -> Table<KeyWindow> {
        events
            .windowby(at, window, Behavior::exactly_once(Duration::from_millis(0)), instance = key)
            .reduce(KeyWindow { key, window_start, window_end, count: count(), sum: sum(value) })
    }
}

fn event(region: &str, key: &str, value: f64, at: i64) -> Event {
    Event { region: region.into(), key: key.into(), value, at: Timestamp::from_millis(at) }
}

fn events() -> Vec<Event> {
    vec![
        event("eu", "a", 1.0, 1),
        event("eu", "a", 2.0, 4),
        event("eu", "b", 4.0, 12),
        event("us", "a", 8.0, 13),
        event("eu", "a", 16.0, 27),
        event("eu", "a", -1.0, 9),
    ]
}

fn region_window(region: &str, key: &str, start: i64, end: i64, count: u64, sum: f64) -> RegionWindow {
    RegionWindow {
        region: region.into(),
        key: key.into(),
        window_start: Timestamp::from_millis(start),
        window_end: Timestamp::from_millis(end),
        count,
        sum,
    }
}

fn key_window(key: &str, start: i64, end: i64, count: u64, sum: f64) -> KeyWindow {
    KeyWindow {
        key: key.into(),
        window_start: Timestamp::from_millis(start),
        window_end: Timestamp::from_millis(end),
        count,
        sum,
    }
}

/// Runs `build` in batch over [`events`] and returns its output rows.
fn run<T: Row>(
    build: impl for<'s> Fn(Table<'s, Event, Batch>) -> Table<'s, T, Batch> + Send + Sync + 'static,
) -> Vec<T> {
    let (result, sink) = memory::snapshot::<T>();
    Runner::batch()
        .run(move |p| {
            let events = p.read(memory::rows(events()));
            p.write(build(events), sink.clone());
        })
        .unwrap();
    result.rows()
}

fn main() {
    let ten = Duration::from_millis(10);
    assert_eq!(
        run(move |events| per_key(events, ten, Behavior::default())),
        [
            region_window("eu", "a", 0, 10, 3, 2.0),
            region_window("eu", "a", 20, 30, 1, 16.0),
            region_window("eu", "b", 10, 20, 1, 4.0),
            region_window("us", "a", 10, 20, 1, 8.0),
        ]
    );

    // Every window of hop 5 and size 10 that holds a positive event.
    let overall = run(sliding_all);
    let rows: Vec<(i64, i64, u64, f64)> = overall.iter().map(|o| (o.start, o.end, o.n, o.top)).collect();
    assert_eq!(
        rows,
        [
            (-5, 5, 2, 2.0),
            (0, 10, 2, 2.0),
            (5, 15, 2, 8.0),
            (10, 20, 2, 8.0),
            (20, 30, 1, 16.0),
            (25, 35, 1, 16.0),
        ]
    );

    // Sessions per key with a gap of 5: a's events at 1, 4 | 9, 13 | 27; b's at 12.
    let sessions = run(|events| per_window(events, Window::session(Duration::from_millis(5)).into()));
    assert_eq!(
        sessions,
        [
            key_window("a", 1, 4, 2, 3.0),
            key_window("a", 9, 13, 2, 7.0),
            key_window("a", 27, 27, 1, 16.0),
            key_window("b", 12, 12, 1, 4.0),
        ]
    );

    // Streaming, in two epochs: the watermark of the second is 27, so with a cutoff of
    // 10 an event at 2 is late and ignored, while a batch run would count it.
    let (view, sink) = memory::view::<RegionWindow>();
    Runner::streaming()
        .run(move |p| {
            let late = vec![(event("eu", "a", 100.0, 2), 1)];
            let first = events().into_iter().map(|e| (e, 1)).collect();
            let events = p.read(memory::epochs(vec![first, late]));
            p.write(per_key(events, ten, Behavior::default().cutoff(ten)), sink.clone());
        })
        .unwrap();
    assert_eq!(view.rows()[0], region_window("eu", "a", 0, 10, 3, 2.0));
}
