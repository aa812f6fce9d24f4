//! A total order and hash for every column type, floats included.
//!
//! Differential dataflow sorts and hashes the data it holds. Floats have neither `Ord` nor
//! `Hash`, so pathflow orders them with IEEE 754 `totalOrder` (`f64::total_cmp`) and hashes
//! their bits. `#[derive(Schema)]` builds a struct's `Ord` and `Hash` from these.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::time::{Duration, Timestamp};

/// A total order and a hash consistent with it.
pub trait TotalOrd {
    /// Compares two values; `Equal` exactly when they are the same value.
    fn total_cmp(&self, other: &Self) -> Ordering;
    /// Hashes the value, consistently with [`TotalOrd::total_cmp`].
    fn total_hash<H: Hasher>(&self, state: &mut H);
}

macro_rules! ord_total {
    ($($t:ty),*) => {$(
        impl TotalOrd for $t {
            #[inline]
            fn total_cmp(&self, other: &Self) -> Ordering { Ord::cmp(self, other) }
            #[inline]
            fn total_hash<H: Hasher>(&self, state: &mut H) { Hash::hash(self, state) }
        }
    )*};
}
ord_total!(
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    bool,
    char,
    String,
    (),
    Timestamp,
    Duration
);

macro_rules! float_total {
    ($($t:ty),*) => {$(
        impl TotalOrd for $t {
            #[inline]
            fn total_cmp(&self, other: &Self) -> Ordering { <$t>::total_cmp(self, other) }
            #[inline]
            fn total_hash<H: Hasher>(&self, state: &mut H) { self.to_bits().hash(state) }
        }
    )*};
}
float_total!(f32, f64);

impl<T: TotalOrd> TotalOrd for Option<T> {
    fn total_cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => a.total_cmp(b),
        }
    }
    fn total_hash<H: Hasher>(&self, state: &mut H) {
        match self {
            None => state.write_u8(0),
            Some(v) => {
                state.write_u8(1);
                v.total_hash(state);
            }
        }
    }
}

impl<T: TotalOrd> TotalOrd for Vec<T> {
    fn total_cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.iter().zip(other) {
            match a.total_cmp(b) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        self.len().cmp(&other.len())
    }
    fn total_hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for v in self {
            v.total_hash(state);
        }
    }
}

impl<T: TotalOrd + ?Sized> TotalOrd for Box<T> {
    fn total_cmp(&self, other: &Self) -> Ordering {
        (**self).total_cmp(other)
    }
    fn total_hash<H: Hasher>(&self, state: &mut H) {
        (**self).total_hash(state)
    }
}

macro_rules! tuple_total {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: TotalOrd),+> TotalOrd for ($($name,)+) {
            fn total_cmp(&self, other: &Self) -> Ordering {
                Ordering::Equal $(.then_with(|| self.$idx.total_cmp(&other.$idx)))+
            }
            fn total_hash<H: Hasher>(&self, state: &mut H) {
                $(self.$idx.total_hash(state);)+
            }
        }
    };
}
tuple_total!(A 0);
tuple_total!(A 0, B 1);
tuple_total!(A 0, B 1, C 2);
tuple_total!(A 0, B 1, C 2, D 3);
tuple_total!(A 0, B 1, C 2, D 3, E 4);
tuple_total!(A 0, B 1, C 2, D 3, E 4, F 5);

/// A value a reducer or a grouping key can hold: totally ordered (floats included) and
/// sendable between workers.
pub trait Value:
    TotalOrd + Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}
impl<T> Value for T where
    T: TotalOrd + Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

/// A value ordered and hashed by [`TotalOrd`], so floats can be keys and sorted.
#[derive(Clone, Copy, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[repr(transparent)]
pub struct Total<T>(pub T);

impl<T: TotalOrd> PartialEq for Total<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}
impl<T: TotalOrd> Eq for Total<T> {}
impl<T: TotalOrd> PartialOrd for Total<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: TotalOrd> Ord for Total<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl<T: TotalOrd> Hash for Total<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.total_hash(state)
    }
}
impl<T: fmt::Debug> fmt::Debug for Total<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_sort_totally() {
        let mut v = [
            Total(1.5),
            Total(f64::NAN),
            Total(-0.0),
            Total(0.0),
            Total(-1.0),
        ];
        v.sort();
        let bits: Vec<u64> = v.iter().map(|t| t.0.to_bits()).collect();
        let expected: Vec<u64> = [-1.0, -0.0, 0.0, 1.5, f64::NAN]
            .iter()
            .map(|x: &f64| x.to_bits())
            .collect();
        assert_eq!(bits, expected);
    }

    #[test]
    fn options_and_tuples_order_lexicographically() {
        assert!(Total((1, Some(2.0))) < Total((1, Some(3.0))));
        assert!(Total((0, Some(9.0))) < Total((1, None::<f64>)));
        assert!(Total(None::<f64>) < Total(Some(f64::NEG_INFINITY)));
        assert!(Total(vec![1.0]) < Total(vec![1.0, 0.0]));
    }
}
