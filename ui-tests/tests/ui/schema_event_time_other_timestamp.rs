use pathflow::prelude::*;

mod clock {
    /// Not pathflow's `Timestamp`: seconds since an epoch of the application's own.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
    pub struct Timestamp(pub i64);
}

#[derive(Schema, Clone, Debug)]
struct Click {
    user: String,
    #[pathflow(event_time)]
    at: clock::Timestamp,
}

fn main() {}
