use pathflow::prelude::*;
use pathflow_ui_tests::{Event, KeyWindow};

        events
            .windowby(at)
            .reduce(KeyWindow { key, window_start, count: count() })
    }
}

fn main() {}
