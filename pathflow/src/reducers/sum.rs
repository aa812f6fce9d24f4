//! What `sum` and `avg` can add up, and how: integers exactly in `i128`, floats exactly.

use crate::exact::ExactSum;
use crate::reducers::Accumulator;
use crate::time::Duration;

/// A number `sum` and `avg` can add up, with an exact, order-independent accumulator.
#[diagnostic::on_unimplemented(
    message = "cannot add up values of type `{Self}`",
    label = "`sum` and `avg` need a number here",
    note = "`sum` and `avg` work on integers, `f32`, `f64` and `Duration`; to count rows use `count()`, to gather values use `collect(..)`"
)]
pub trait Summable: Clone + 'static {
    /// The exact accumulator.
    type Acc: Accumulator;
    /// The accumulator for `times` copies of this value (negative for retractions).
    fn accumulate(&self, times: isize) -> Self::Acc;
    /// The total, converted back (saturating for integers, rounded once for floats).
    fn total(acc: &Self::Acc) -> Self;
    /// The mean of `count` values whose accumulator is `acc`.
    fn mean(acc: &Self::Acc, count: isize) -> f64;
}

macro_rules! int_summable {
    ($($t:ty),*) => {$(
        impl Summable for $t {
            type Acc = i128;
            #[inline]
            fn accumulate(&self, times: isize) -> i128 {
                i128::from(*self) * times as i128
            }
            #[inline]
            fn total(acc: &i128) -> Self {
                (*acc).clamp(i128::from(<$t>::MIN), i128::from(<$t>::MAX)) as $t
            }
            fn mean(acc: &i128, count: isize) -> f64 {
                *acc as f64 / count as f64
            }
        }
    )*};
}
int_summable!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Summable for f64 {
    type Acc = ExactSum;
    #[inline]
    fn accumulate(&self, times: isize) -> ExactSum {
        ExactSum::from_f64_times(*self, times as i64)
    }
    fn total(acc: &ExactSum) -> Self {
        acc.to_f64()
    }
    fn mean(acc: &ExactSum, count: isize) -> f64 {
        acc.to_f64() / count as f64
    }
}

impl Summable for f32 {
    type Acc = ExactSum;
    #[inline]
    fn accumulate(&self, times: isize) -> ExactSum {
        ExactSum::from_f64_times(f64::from(*self), times as i64)
    }
    fn total(acc: &ExactSum) -> Self {
        acc.to_f64() as f32
    }
    fn mean(acc: &ExactSum, count: isize) -> f64 {
        acc.to_f64() / count as f64
    }
}

impl Summable for Duration {
    type Acc = i128;
    #[inline]
    fn accumulate(&self, times: isize) -> i128 {
        i128::from(self.millis()) * times as i128
    }
    fn total(acc: &i128) -> Self {
        Duration::from_millis((*acc).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }
    fn mean(acc: &i128, count: isize) -> f64 {
        *acc as f64 / count as f64
    }
}
