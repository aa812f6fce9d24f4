use pathflow::prelude::*;
use pathflow_ui_tests::{Event, KeyWindow};

        events
            .windowby(at, tumbling(size))
            .reduce(KeyWindow { key, window_start, count: count() })
    }
}

fn main() {}
