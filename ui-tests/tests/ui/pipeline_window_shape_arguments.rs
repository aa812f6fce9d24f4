use pathflow::prelude::*;
use pathflow_ui_tests::{Event, KeyWindow};

        events
            .windowby(at, sliding(size), instance = key)
            .reduce(KeyWindow { key, window_start, count: count() })
    }
}

fn main() {}
