//! A tuple of reducers is a reducer: one pass computes all of them.

use differential_dataflow::difference::{Abelian, IsZero, Monoid, Semigroup};
use serde::{Deserialize, Serialize};

use crate::position::Position;
use crate::reducers::Reducer;

/// The accumulators of a tuple of reducers, added up component-wise.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Accs<T>(pub T);

macro_rules! reducer_tuple {
    ($($r:ident $idx:tt),+) => {
        impl<$($r: IsZero),+> IsZero for Accs<($($r,)+)> {
            #[inline]
            fn is_zero(&self) -> bool {
                true $(&& self.0.$idx.is_zero())+
            }
        }
        impl<$($r: Semigroup),+> Semigroup for Accs<($($r,)+)> {
            #[inline]
            fn plus_equals(&mut self, rhs: &Self) {
                $(self.0.$idx.plus_equals(&rhs.0.$idx);)+
            }
        }
        impl<$($r: Monoid),+> Monoid for Accs<($($r,)+)> {
            #[inline]
            fn zero() -> Self {
                Accs(($($r::zero(),)+))
            }
        }
        impl<$($r: Abelian),+> Abelian for Accs<($($r,)+)> {
            #[inline]
            fn negate(&mut self) {
                $(self.0.$idx.negate();)+
            }
        }

        impl<T, $($r: Reducer<T>),+> Reducer<T> for ($($r,)+) {
            type Value = ($($r::Value,)+);
            type Acc = Accs<($($r::Acc,)+)>;
            type Output = ($($r::Output,)+);
            const NEEDS_POSITION: bool = false $(|| $r::NEEDS_POSITION)+;
            const ACCUMULABLE: bool = true $(&& $r::ACCUMULABLE)+;

            #[inline]
            fn value(&self, row: &T, position: &Position) -> Self::Value {
                ($(self.$idx.value(row, position),)+)
            }
            #[inline]
            fn accumulate(&self, row: &T, diff: isize) -> Self::Acc {
                Accs(($(self.$idx.accumulate(row, diff),)+))
            }
            fn finish<'a, Iter>(&self, acc: &Self::Acc, values: Iter) -> Self::Output
            where
                Iter: Iterator<Item = (&'a Self::Value, isize)> + Clone,
                Self::Value: 'a,
            {
                ($(self.$idx.finish(&acc.0.$idx, values.clone().map(|(v, c)| (&v.$idx, c))),)+)
            }
        }
    };
}

reducer_tuple!(A 0);
reducer_tuple!(A 0, B 1);
reducer_tuple!(A 0, B 1, C 2);
reducer_tuple!(A 0, B 1, C 2, D 3);
reducer_tuple!(A 0, B 1, C 2, D 3, E 4);
reducer_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
reducer_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
reducer_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
reducer_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
reducer_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
reducer_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
reducer_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
