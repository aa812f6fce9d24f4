use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
pub struct Event {
    key: String,
    value: f64,
    #[pathflow(event_time)]
    at: Timestamp,
}

#[derive(Schema, Clone, Debug)]
pub struct KeyWindow {
    key: String,
    window_start: Timestamp,
    count: u64,
}

pipeline! {
    pub fn windows(events: Table<Event>, size: Duration) -> Table<KeyWindow> {
        events
            .windowby(at, tumbling(size), size, instance = key)
            .reduce(KeyWindow { key, window_start, count: count() })
    }
}

fn main() {}
