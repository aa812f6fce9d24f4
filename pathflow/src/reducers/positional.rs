//! Reducers defined by rows' positions or picked deterministically: `any`, `earliest`,
//! `latest`.

use crate::order::{Total, Value};
use crate::position::Position;
use crate::reducers::{NoAcc, Reducer, Reducers};

/// Some value of a column in the group: the smallest, so that it is deterministic.
pub struct Any<F>(F);

impl<T: 'static, V: Value, F: Fn(&T) -> V + 'static> Reducer<T> for Any<F> {
    type Value = Total<V>;
    type Acc = NoAcc;
    type Output = V;
    fn value(&self, row: &T, _position: &Position) -> Total<V> {
        Total((self.0)(row))
    }
    fn accumulate(&self, _row: &T, _diff: isize) -> NoAcc {
        NoAcc
    }
    fn finish<'a, I>(&self, _acc: &NoAcc, values: I) -> V
    where
        I: Iterator<Item = (&'a Total<V>, isize)> + Clone,
    {
        values
            .map(|(v, _)| v)
            .min()
            .expect("groups are never empty")
            .0
            .clone()
    }
}

macro_rules! positional {
    ($(#[$doc:meta])* $name:ident, $pick:ident) => {
        $(#[$doc])*
        pub struct $name<F>(F);

        impl<T: 'static, V: Value, F: Fn(&T) -> V + 'static> Reducer<T> for $name<F> {
            type Value = (Position, Total<V>);
            type Acc = NoAcc;
            type Output = V;
            const NEEDS_POSITION: bool = true;
            fn value(&self, row: &T, position: &Position) -> (Position, Total<V>) {
                (*position, Total((self.0)(row)))
            }
            fn accumulate(&self, _row: &T, _diff: isize) -> NoAcc {
                NoAcc
            }
            fn finish<'a, I>(&self, _acc: &NoAcc, values: I) -> V
            where
                I: Iterator<Item = (&'a (Position, Total<V>), isize)> + Clone,
            {
                values.map(|(v, _)| v).$pick().expect("groups are never empty").1 .0.clone()
            }
        }
    };
}

positional!(
    /// The value of a column on the group's first row by position (epoch, source, offset).
    Earliest, min
);
positional!(
    /// The value of a column on the group's last row by position (epoch, source, offset).
    Latest, max
);

impl<T> Reducers<T> {
    /// Some `f(row)` of the group (the smallest, so results are deterministic).
    pub fn any<V: Value, F: Fn(&T) -> V + 'static>(&self, f: F) -> Any<F> {
        Any(f)
    }

    /// `f(row)` of the group's first row by input position.
    pub fn earliest<V: Value, F: Fn(&T) -> V + 'static>(&self, f: F) -> Earliest<F> {
        Earliest(f)
    }

    /// `f(row)` of the group's last row by input position.
    pub fn latest<V: Value, F: Fn(&T) -> V + 'static>(&self, f: F) -> Latest<F> {
        Latest(f)
    }
}
