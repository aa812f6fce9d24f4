//! Reducers that keep the group's distinct values: `min`, `max`, `argmin`, `argmax`,
//! `count_distinct`, `collect`.

use crate::order::{Total, Value};
use crate::position::Position;
use crate::reducers::{NoAcc, Reducer, Reducers};

macro_rules! value_reducer {
    ($(#[$doc:meta])* $name:ident, $out:ty, |$values:ident| $finish:expr) => {
        $(#[$doc])*
        pub struct $name<F>(F);

        impl<T: 'static, V: Value, F: Fn(&T) -> V + 'static> Reducer<T> for $name<F> {
            type Value = Total<V>;
            type Acc = NoAcc;
            type Output = $out;
            #[inline]
            fn value(&self, row: &T, _position: &Position) -> Total<V> {
                Total((self.0)(row))
            }
            #[inline]
            fn accumulate(&self, _row: &T, _diff: isize) -> NoAcc {
                NoAcc
            }
            fn finish<'a, I>(&self, _acc: &NoAcc, $values: I) -> $out
            where
                I: Iterator<Item = (&'a Total<V>, isize)> + Clone,
            {
                $finish
            }
        }
    };
}

value_reducer!(
    /// The smallest value of a column in the group (floats by total order).
    Min, V, |values| values.map(|(v, _)| v).min().map(|v| v.0.clone()).expect("groups are never empty")
);
value_reducer!(
    /// The largest value of a column in the group (floats by total order).
    Max, V, |values| values.map(|(v, _)| v).max().map(|v| v.0.clone()).expect("groups are never empty")
);
value_reducer!(
    /// The number of distinct values of a column in the group.
    CountDistinct, u64, |values| {
        let mut seen: Vec<&Total<V>> = values.filter(|(_, c)| *c > 0).map(|(v, _)| v).collect();
        seen.sort();
        seen.dedup();
        seen.len() as u64
    }
);
value_reducer!(
    /// All values of a column in the group, sorted, with repeats.
    Collect, Vec<V>, |values| {
        let mut all: Vec<&Total<V>> = Vec::new();
        for (v, count) in values {
            all.extend(std::iter::repeat_n(v, count.max(0) as usize));
        }
        all.sort();
        all.into_iter().map(|v| v.0.clone()).collect()
    }
);

macro_rules! arg_reducer {
    ($(#[$doc:meta])* $name:ident, $pick:ident) => {
        $(#[$doc])*
        pub struct $name<F, G>(F, G);

        impl<T: 'static, V: Value, W: Value, F, G> Reducer<T> for $name<F, G>
        where
            F: Fn(&T) -> V + 'static,
            G: Fn(&T) -> W + 'static,
        {
            type Value = (Total<V>, Total<W>);
            type Acc = NoAcc;
            type Output = W;
            #[inline]
            fn value(&self, row: &T, _position: &Position) -> (Total<V>, Total<W>) {
                (Total((self.0)(row)), Total((self.1)(row)))
            }
            #[inline]
            fn accumulate(&self, _row: &T, _diff: isize) -> NoAcc {
                NoAcc
            }
            fn finish<'a, I>(&self, _acc: &NoAcc, values: I) -> W
            where
                I: Iterator<Item = (&'a (Total<V>, Total<W>), isize)> + Clone,
            {
                let best = values.map(|(v, _)| v).$pick().expect("groups are never empty");
                best.1 .0.clone()
            }
        }
    };
}

arg_reducer!(
    /// The value of one column on the row where another is smallest (ties: smallest value).
    ArgMin, min
);
arg_reducer!(
    /// The value of one column on the row where another is largest (ties: largest value).
    ArgMax, max
);

impl<T> Reducers<T> {
    /// The smallest `f(row)` in the group.
    pub fn min<V: Value, F: Fn(&T) -> V + 'static>(&self, f: F) -> Min<F> {
        Min(f)
    }

    /// The largest `f(row)` in the group.
    pub fn max<V: Value, F: Fn(&T) -> V + 'static>(&self, f: F) -> Max<F> {
        Max(f)
    }

    /// `value(row)` of the row with the smallest `by(row)`.
    pub fn argmin<V: Value, W: Value, F, G>(&self, by: F, value: G) -> ArgMin<F, G>
    where
        F: Fn(&T) -> V + 'static,
        G: Fn(&T) -> W + 'static,
    {
        ArgMin(by, value)
    }

    /// `value(row)` of the row with the largest `by(row)`.
    pub fn argmax<V: Value, W: Value, F, G>(&self, by: F, value: G) -> ArgMax<F, G>
    where
        F: Fn(&T) -> V + 'static,
        G: Fn(&T) -> W + 'static,
    {
        ArgMax(by, value)
    }

    /// The number of distinct `f(row)` in the group.
    pub fn count_distinct<V: Value, F: Fn(&T) -> V + 'static>(&self, f: F) -> CountDistinct<F> {
        CountDistinct(f)
    }

    /// Every `f(row)` in the group, sorted.
    pub fn collect<V: Value, F: Fn(&T) -> V + 'static>(&self, f: F) -> Collect<F> {
        Collect(f)
    }
}
