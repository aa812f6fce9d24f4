//! The reducers `reduce(..)` recognises, as the core's `Reducers` builder provides them.

/// One reducer: its name, how many arguments it takes, and how it is written.
pub struct Reducer {
    /// The name, as in `sum(amount)` and `Reducers::sum`.
    pub name: &'static str,
    /// The number of arguments (each a column expression over the group's rows).
    pub args: usize,
    /// How to write it, for messages.
    pub usage: &'static str,
}

/// Every reducer of the core.
pub const REDUCERS: &[Reducer] = &[
    Reducer {
        name: "count",
        args: 0,
        usage: "count()",
    },
    Reducer {
        name: "sum",
        args: 1,
        usage: "sum(column)",
    },
    Reducer {
        name: "avg",
        args: 1,
        usage: "avg(column)",
    },
    Reducer {
        name: "min",
        args: 1,
        usage: "min(column)",
    },
    Reducer {
        name: "max",
        args: 1,
        usage: "max(column)",
    },
    Reducer {
        name: "argmin",
        args: 2,
        usage: "argmin(by, value)",
    },
    Reducer {
        name: "argmax",
        args: 2,
        usage: "argmax(by, value)",
    },
    Reducer {
        name: "any",
        args: 1,
        usage: "any(column)",
    },
    Reducer {
        name: "earliest",
        args: 1,
        usage: "earliest(column)",
    },
    Reducer {
        name: "latest",
        args: 1,
        usage: "latest(column)",
    },
    Reducer {
        name: "count_distinct",
        args: 1,
        usage: "count_distinct(column)",
    },
    Reducer {
        name: "collect",
        args: 1,
        usage: "collect(column)",
    },
];

/// The reducer named `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Reducer> {
    REDUCERS.iter().find(|r| r.name == name)
}

/// The list of reducers, for messages: `count(), sum(column), ..`.
pub fn listing() -> String {
    REDUCERS
        .iter()
        .map(|r| r.usage)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of the reducers, for suggestions.
pub fn names() -> Vec<&'static str> {
    REDUCERS.iter().map(|r| r.name).collect()
}
