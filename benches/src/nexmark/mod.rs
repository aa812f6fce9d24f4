//! Nexmark: the online-auction benchmark (see `shared/NEXMARK.md`).
//!
//! [`generator`] makes the events, [`model`] holds their rows, and [`queries`] has q0–q8
//! written with pathflow, one file per query, its definition in the doc comment.

pub mod generator;
pub mod model;
pub mod queries;
pub mod window;

use std::fmt;
use std::str::FromStr;

/// A Nexmark query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Query {
    /// Pass-through.
    Q0,
    /// Currency conversion.
    Q1,
    /// Selection.
    Q2,
    /// Local item suggestion (join).
    Q3,
    /// Average price per category.
    Q4,
    /// Hot items (sliding windows).
    Q5,
    /// Average selling price per seller.
    Q6,
    /// Highest bid (tumbling windows).
    Q7,
    /// Monitor new users (windowed join).
    Q8,
}

impl Query {
    /// Every query, in order.
    pub const ALL: [Query; 9] = [
        Query::Q0,
        Query::Q1,
        Query::Q2,
        Query::Q3,
        Query::Q4,
        Query::Q5,
        Query::Q6,
        Query::Q7,
        Query::Q8,
    ];
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "q{}", *self as u8)
    }
}

impl FromStr for Query {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Query::ALL
            .into_iter()
            .find(|q| q.to_string() == s.to_ascii_lowercase())
            .ok_or_else(|| format!("unknown Nexmark query `{s}`: expected one of q0 … q8"))
    }
}
