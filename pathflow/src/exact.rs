//! Exact, order-independent summation of `f64` values.
//!
//! Floating-point addition is not associative: summing the same values in a different order,
//! or in different groups (a batch run, a streaming run cut into epochs, several workers), can
//! change the last bits of the result. [`ExactSum`] keeps the mathematically exact sum of its
//! inputs and rounds only once, in [`ExactSum::to_f64`], so the result is the same bit for bit
//! however the additions were ordered or grouped, and a retraction cancels its insertion
//! exactly.

use std::cmp::{max, min};

use differential_dataflow::difference::{Abelian, IsZero, Monoid, Semigroup};
use serde::{Deserialize, Serialize};

/// An exact sum of `f64` values, usable as a differential-dataflow difference.
///
/// Every finite `f64` is an integer multiple of 2^-1074, so sums of them are kept exactly:
/// adding is associative and commutative, and adding a value's negation (a retraction) gives
/// back exactly what was there before. Infinities and NaNs are counted separately, with signed
/// counts so that they too can be retracted. The sum is rounded to an `f64` once, on demand,
/// by [`ExactSum::to_f64`].
///
/// Values whose significant bits span at most 127 bits (the overwhelmingly common case) are
/// stored inline, without heap allocation; wider sums and sums that involve infinities or NaNs
/// fall back to a heap-allocated arbitrary-precision form.
///
/// The representation is canonical, so `==` (and `Hash`) is numeric equality of the exact sums
/// (and of the non-finite counts). `Ord` is a total order consistent with `==`, meant for
/// sorting and indexing; it is *not* numeric order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Repr", into = "Repr")]
pub struct ExactSum {
    repr: Repr,
}

/// The representation of an [`ExactSum`]. Canonical: a value is `Small` exactly when it has no
/// non-finite counts and fits `Small` (odd `mant` with `|mant| < 2^127`, or zero).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Repr {
    /// `mant * 2^exp`, with `mant` odd, or `mant == 0 && exp == 0` for zero.
    Small { mant: i128, exp: i16 },
    /// Everything else.
    Big(Box<Big>),
}

/// The arbitrary-precision form: the finite part as a two's-complement number in 64-bit limbs,
/// plus signed counts of the non-finite inputs.
///
/// Canonical (see [`Big::trim`]): `limbs` has no zero low limb and no redundant sign-extension
/// high limb; zero is `limbs == []` with `base == 0`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
struct Big {
    /// The finite part is `sum(limbs[i] * 2^(64 * (base + i)))`, read as two's complement.
    base: i32,
    /// Little-endian limbs; the top bit of the last limb is the sign.
    limbs: Vec<u64>,
    /// Count of `+inf` inputs (negative after retractions), wrapping.
    pos_inf: i64,
    /// Count of `-inf` inputs, wrapping.
    neg_inf: i64,
    /// Count of NaN inputs, wrapping.
    nan: i64,
}

/// Bound on `Big::base` (and `base + limbs.len()`) accepted when deserialising, so that bit
/// positions are always far from overflowing `i64`. Sums built from `f64`s never come close.
const MAX_LIMB_INDEX: i64 = 1 << 24;

/// The canonical zero.
const ZERO: Repr = Repr::Small { mant: 0, exp: 0 };

impl ExactSum {
    /// The empty sum, `0`.
    #[inline]
    pub fn zero() -> Self {
        ExactSum { repr: ZERO }
    }

    /// The exact value of `x` (`-0.0` becomes `0`; an infinity or NaN is counted).
    #[inline]
    pub fn from_f64(x: f64) -> Self {
        Self::from_f64_times(x, 1)
    }

    /// The exact value of `x * times`; a negative `times` is a retraction of `-times` copies.
    #[inline]
    pub fn from_f64_times(x: f64, times: i64) -> Self {
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        if biased == 0x7ff {
            return Self::non_finite(x, times);
        }
        let (m, e) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1 << 52), biased - 1075)
        };
        if m == 0 || times == 0 {
            return Self::zero();
        }
        // |m| < 2^53 and |times| <= 2^63, so the product fits an i128. `m >> tz` is odd, so the
        // product's trailing zeros are exactly those of `times`.
        let tz = m.trailing_zeros();
        let m = (m >> tz) as i128;
        let m = if bits >> 63 != 0 { -m } else { m };
        let tt = times.trailing_zeros();
        let mant = m * i128::from(times >> tt);
        // e + tz + tt is in [-1074, 1023 + 63], well within i16.
        let exp = (e + tz as i32 + tt as i32) as i16;
        ExactSum {
            repr: Repr::Small { mant, exp },
        }
    }

    /// Counts `times` occurrences of the non-finite `x`.
    #[cold]
    fn non_finite(x: f64, times: i64) -> Self {
        if times == 0 {
            return Self::zero();
        }
        let mut big = Big {
            base: 0,
            limbs: Vec::new(),
            pos_inf: 0,
            neg_inf: 0,
            nan: 0,
        };
        if x.is_nan() {
            big.nan = times;
        } else if x > 0.0 {
            big.pos_inf = times;
        } else {
            big.neg_inf = times;
        }
        ExactSum {
            repr: Repr::Big(Box::new(big)),
        }
    }

    /// Adds `other` to `self`, exactly.
    #[inline]
    pub fn add(&mut self, other: &Self) {
        if let (Repr::Small { mant: m1, exp: e1 }, Repr::Small { mant: m2, exp: e2 }) =
            (&mut self.repr, &other.repr)
        {
            if let Some((mant, exp)) = add_small(*m1, *e1, *m2, *e2) {
                *m1 = mant;
                *e1 = exp;
                return;
            }
        }
        self.add_slow(other);
    }

    /// [`ExactSum::add`] through the arbitrary-precision form.
    #[cold]
    #[inline(never)]
    fn add_slow(&mut self, other: &Self) {
        let mut big = match std::mem::replace(&mut self.repr, ZERO) {
            Repr::Small { mant, exp } => Box::new(Big::from_small(mant, exp)),
            Repr::Big(big) => big,
        };
        match &other.repr {
            Repr::Small { mant, exp } => {
                let (base, limbs) = small_limbs(*mant, *exp);
                big.add_limbs(base, &limbs);
            }
            Repr::Big(o) => {
                big.add_limbs(i64::from(o.base), &o.limbs);
                big.pos_inf = big.pos_inf.wrapping_add(o.pos_inf);
                big.neg_inf = big.neg_inf.wrapping_add(o.neg_inf);
                big.nan = big.nan.wrapping_add(o.nan);
            }
        }
        self.repr = big.into_repr();
    }

    /// Replaces `self` by its additive inverse (the retraction of everything it counts).
    #[inline]
    pub fn negate(&mut self) {
        match &mut self.repr {
            // `mant` is odd or zero, so never i128::MIN.
            Repr::Small { mant, .. } => *mant = -*mant,
            Repr::Big(big) => big.negate(),
        }
    }

    /// Whether this is exactly the empty sum (all values and all non-finite counts cancel).
    #[inline]
    pub fn is_zero(&self) -> bool {
        matches!(self.repr, Repr::Small { mant: 0, .. })
    }

    /// The sum rounded once to the nearest `f64` (ties to even).
    ///
    /// NaN if any NaN count is non-zero or both infinities are present, otherwise `±inf` if
    /// one infinity is present (a count is "present" when it is non-zero), otherwise the exact
    /// finite sum correctly rounded, overflowing to `±inf` beyond the `f64` range. An exact
    /// zero is `+0.0`.
    pub fn to_f64(&self) -> f64 {
        match &self.repr {
            Repr::Small { mant, exp } => {
                round_to_f64(*mant < 0, mant.unsigned_abs(), i64::from(*exp), false)
            }
            Repr::Big(big) => {
                if big.nan != 0 || (big.pos_inf != 0 && big.neg_inf != 0) {
                    f64::NAN
                } else if big.pos_inf != 0 {
                    f64::INFINITY
                } else if big.neg_inf != 0 {
                    f64::NEG_INFINITY
                } else {
                    big.finite_to_f64()
                }
            }
        }
    }
}

impl Default for ExactSum {
    /// The empty sum, `0`.
    fn default() -> Self {
        Self::zero()
    }
}

impl From<f64> for ExactSum {
    /// The exact value of `x`, as [`ExactSum::from_f64`].
    fn from(x: f64) -> Self {
        Self::from_f64(x)
    }
}

impl IsZero for ExactSum {
    #[inline]
    fn is_zero(&self) -> bool {
        ExactSum::is_zero(self)
    }
}

impl Semigroup for ExactSum {
    #[inline]
    fn plus_equals(&mut self, rhs: &Self) {
        self.add(rhs);
    }
}

impl Monoid for ExactSum {
    #[inline]
    fn zero() -> Self {
        ExactSum::zero()
    }
}

impl Abelian for ExactSum {
    #[inline]
    fn negate(&mut self) {
        ExactSum::negate(self);
    }
}

impl TryFrom<Repr> for ExactSum {
    type Error = String;

    /// Canonicalises a deserialised representation, so that `==` stays numeric equality.
    fn try_from(repr: Repr) -> Result<Self, String> {
        let repr = match repr {
            Repr::Small { mant: 0, .. } => ZERO,
            Repr::Small { mant, exp } => {
                let tz = mant.trailing_zeros();
                match i16::try_from(i32::from(exp) + tz as i32) {
                    Ok(exp) => Repr::Small {
                        mant: mant >> tz,
                        exp,
                    },
                    Err(_) => Box::new(Big::from_small(mant, exp)).into_repr(),
                }
            }
            Repr::Big(mut big) => {
                let base = i64::from(big.base);
                let top = base + big.limbs.len() as i64;
                if base < -MAX_LIMB_INDEX || top > MAX_LIMB_INDEX {
                    return Err(format!(
                        "ExactSum out of range: limbs {base}..{top} outside ±{MAX_LIMB_INDEX}"
                    ));
                }
                big.trim();
                big.into_repr()
            }
        };
        Ok(ExactSum { repr })
    }
}

impl From<ExactSum> for Repr {
    fn from(sum: ExactSum) -> Repr {
        sum.repr
    }
}

/// `m1 * 2^e1 + m2 * 2^e2` in canonical `Small` form, or `None` if it does not fit.
#[inline]
fn add_small(m1: i128, e1: i16, m2: i128, e2: i16) -> Option<(i128, i16)> {
    if m2 == 0 {
        return Some((m1, e1));
    }
    if m1 == 0 {
        return Some((m2, e2));
    }
    let (hi_m, hi_e, lo_m, lo_e) = if e1 >= e2 {
        (m1, e1, m2, e2)
    } else {
        (m2, e2, m1, e1)
    };
    // Align to the smaller exponent. The shift keeps the value iff it leaves at least one
    // copy of the sign bit: `d` must be less than the count of leading sign bits.
    let d = (i32::from(hi_e) - i32::from(lo_e)) as u32;
    let sign_bits = (hi_m ^ (hi_m >> 127)).leading_zeros();
    if d >= sign_bits {
        return None;
    }
    let sum = (hi_m << d).checked_add(lo_m)?;
    if d > 0 {
        // Even plus odd: already odd, hence canonical.
        return Some((sum, lo_e));
    }
    if sum == 0 {
        return Some((0, 0));
    }
    let tz = sum.trailing_zeros();
    let exp = i16::try_from(i32::from(lo_e) + tz as i32).ok()?;
    Some((sum >> tz, exp))
}

/// `mant * 2^exp` as two's-complement limbs `(base, [l0, l1, l2])`, as in [`Big`].
fn small_limbs(mant: i128, exp: i16) -> (i64, [u64; 3]) {
    let exp = i64::from(exp);
    let (q, r) = (exp.div_euclid(64), exp.rem_euclid(64) as u32);
    let u = mant as u128;
    let (w0, w1, w2) = (u as u64, (u >> 64) as u64, sign_fill(mant < 0));
    // |mant| < 2^127 and r < 64, so the shifted value fits 192 bits of two's complement.
    let limbs = if r == 0 {
        [w0, w1, w2]
    } else {
        [
            w0 << r,
            (w1 << r) | (w0 >> (64 - r)),
            (w2 << r) | (w1 >> (64 - r)),
        ]
    };
    (q, limbs)
}

/// The limb that extends a two's-complement number of the given sign.
#[inline]
fn sign_fill(negative: bool) -> u64 {
    if negative {
        u64::MAX
    } else {
        0
    }
}

impl Big {
    /// `mant * 2^exp`, trimmed.
    fn from_small(mant: i128, exp: i16) -> Big {
        let (base, limbs) = small_limbs(mant, exp);
        let mut big = Big {
            base: base as i32,
            limbs: limbs.to_vec(),
            pos_inf: 0,
            neg_inf: 0,
            nan: 0,
        };
        big.trim();
        big
    }

    /// Whether the finite part is negative.
    fn is_negative(&self) -> bool {
        self.limbs.last().is_some_and(|&l| (l as i64) < 0)
    }

    /// Adds the two's-complement number `sum(limbs[i] * 2^(64 * (base + i)))` to the finite
    /// part, and trims.
    fn add_limbs(&mut self, base: i64, limbs: &[u64]) {
        if limbs.is_empty() {
            return;
        }
        let self_base = i64::from(self.base);
        let lo = if self.limbs.is_empty() {
            base
        } else {
            min(self_base, base)
        };
        // One limb above both tops, so the carry-out is captured in the sign.
        let hi = max(
            self_base + self.limbs.len() as i64,
            base + limbs.len() as i64,
        ) + 1;
        let (fill_a, fill_b) = (
            sign_fill(self.is_negative()),
            sign_fill((limbs[limbs.len() - 1] as i64) < 0),
        );
        let limb_at = |limbs: &[u64], base: i64, fill: u64, i: i64| -> u64 {
            let rel = i - base;
            if rel < 0 {
                0
            } else {
                limbs.get(rel as usize).copied().unwrap_or(fill)
            }
        };
        let mut out = Vec::with_capacity((hi - lo) as usize);
        let mut carry = false;
        for i in lo..hi {
            let a = limb_at(&self.limbs, self_base, fill_a, i);
            let b = limb_at(limbs, base, fill_b, i);
            let (s, c1) = a.overflowing_add(b);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            carry = c1 || c2;
            out.push(s);
        }
        self.base = lo as i32;
        self.limbs = out;
        self.trim();
    }

    /// Replaces the finite part and the counts by their negations.
    fn negate(&mut self) {
        if !self.limbs.is_empty() {
            // Sign-extend one limb so that negating the most negative value cannot overflow.
            self.limbs.push(sign_fill(self.is_negative()));
            let mut carry = true;
            for l in &mut self.limbs {
                let (v, c) = (!*l).overflowing_add(u64::from(carry));
                *l = v;
                carry = c;
            }
            self.trim();
        }
        self.pos_inf = self.pos_inf.wrapping_neg();
        self.neg_inf = self.neg_inf.wrapping_neg();
        self.nan = self.nan.wrapping_neg();
    }

    /// Canonicalises the limbs: drops zero low limbs and redundant sign-extension high limbs.
    fn trim(&mut self) {
        let low_zeros = self.limbs.iter().take_while(|&&l| l == 0).count();
        if low_zeros == self.limbs.len() {
            self.limbs.clear();
            self.base = 0;
            return;
        }
        self.limbs.drain(..low_zeros);
        self.base += low_zeros as i32;
        while let [.., next, top] = self.limbs[..] {
            if top == sign_fill((next as i64) < 0) {
                self.limbs.pop();
            } else {
                break;
            }
        }
    }

    /// The canonical representation of this value (demoted to `Small` when it fits).
    fn into_repr(self: Box<Big>) -> Repr {
        if self.pos_inf == 0 && self.neg_inf == 0 && self.nan == 0 {
            if let Some((mant, exp)) = self.as_small() {
                return Repr::Small { mant, exp };
            }
        }
        Repr::Big(self)
    }

    /// The finite part as canonical `(mant, exp)`, if it fits `Small`. Expects trimmed limbs.
    fn as_small(&self) -> Option<(i128, i16)> {
        if self.limbs.is_empty() {
            return Some((0, 0));
        }
        if self.limbs.len() > 3 {
            // A trimmed number of 4+ limbs needs more than 192 - 63 bits even without its
            // trailing zeros.
            return None;
        }
        let fill = sign_fill(self.is_negative());
        let w = |i: usize| self.limbs.get(i).copied().unwrap_or(fill);
        let (w0, w1, w2) = (w(0), w(1), w(2));
        // The lowest limb is non-zero after trimming.
        let tz = w0.trailing_zeros();
        let (w0, w1, w2) = if tz == 0 {
            (w0, w1, w2)
        } else {
            (
                (w0 >> tz) | (w1 << (64 - tz)),
                (w1 >> tz) | (w2 << (64 - tz)),
                ((w2 as i64) >> tz) as u64,
            )
        };
        let mant = ((u128::from(w1) << 64) | u128::from(w0)) as i128;
        if w2 != sign_fill(mant < 0) {
            return None;
        }
        let exp = i16::try_from(64 * i64::from(self.base) + i64::from(tz)).ok()?;
        Some((mant, exp))
    }

    /// The finite part correctly rounded to `f64`.
    fn finite_to_f64(&self) -> f64 {
        let negative = self.is_negative();
        let mut mag = self.limbs.clone();
        if negative {
            let mut carry = true;
            for l in &mut mag {
                let (v, c) = (!*l).overflowing_add(u64::from(carry));
                *l = v;
                carry = c;
            }
        }
        // Read as unsigned, the top limb may now be zero (`-(2^63 + 1)` gives `[2^63 + 1, 0]`).
        let Some(k) = mag.iter().rposition(|&l| l != 0) else {
            return 0.0;
        };
        let at = |i: usize| mag[i];
        let (a, b, c) = (
            mag[k],
            k.checked_sub(1).map_or(0, at),
            k.checked_sub(2).map_or(0, at),
        );
        // Shift the top three limbs so the top set bit is bit 191, keep the top 128 bits.
        let lz = a.leading_zeros();
        let (a, b, c) = if lz == 0 {
            (a, b, c)
        } else {
            (
                (a << lz) | (b >> (64 - lz)),
                (b << lz) | (c >> (64 - lz)),
                c << lz,
            )
        };
        let m = (u128::from(a) << 64) | u128::from(b);
        let sticky = c != 0 || mag[..k.saturating_sub(2)].iter().any(|&l| l != 0);
        let e = 64 * (i64::from(self.base) + k as i64 - 2) + 64 - i64::from(lz);
        round_to_f64(negative, m, e, sticky)
    }
}

/// `±(m + δ) * 2^e` rounded to the nearest `f64`, ties to even, where `δ` is in `(0, 1)` if
/// `sticky` and `0` otherwise. When `sticky`, `m` must have its top bit set.
fn round_to_f64(negative: bool, m: u128, e: i64, sticky: bool) -> f64 {
    if m == 0 {
        return 0.0;
    }
    // Position of the top set bit, and of the lowest bit the result can keep.
    let top = e + 127 - i64::from(m.leading_zeros());
    let q = max(top - 52, -1074);
    let s = q - e;
    let mut mant = if s <= 0 {
        // Exact: the kept bits are all of `m`, and its top bit lands at or below bit 52.
        (m << -s) as u64
    } else {
        let (kept, half, rest) = if s > 128 {
            (0, false, true)
        } else if s == 128 {
            (0, m >> 127 != 0, m << 1 != 0)
        } else {
            let s = s as u32;
            (
                (m >> s) as u64,
                (m >> (s - 1)) & 1 != 0,
                m & ((1u128 << (s - 1)) - 1) != 0,
            )
        };
        if half && (rest || sticky || kept & 1 != 0) {
            kept + 1
        } else {
            kept
        }
    };
    let mut q = q;
    if mant == 1 << 53 {
        mant = 1 << 52;
        q += 1;
    }
    let bits = if mant < 1 << 52 {
        // Subnormal (or zero): then q == -1074 and the biased exponent is 0.
        mant
    } else {
        let biased = q + 1075;
        if biased >= 0x7ff {
            return if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
        }
        ((biased as u64) << 52) | (mant & ((1 << 52) - 1))
    };
    let x = f64::from_bits(bits);
    if negative {
        -x
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use differential_dataflow::consolidation::consolidate_updates;
    use num_bigint::BigInt;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    /// An independent reference: the finite part in units of 2^-1074 (every finite `f64` is an
    /// integer multiple of that), obtained through exact decimal formatting rather than bits,
    /// and unbounded counts of the non-finite values.
    #[derive(Clone, Debug, Default, PartialEq)]
    struct Reference {
        scaled: BigInt,
        pos_inf: i128,
        neg_inf: i128,
        nan: i128,
    }

    fn five_pow_1074() -> BigInt {
        BigInt::from(5u32).pow(1074)
    }

    /// `x * 2^1074` exactly: `{:.1074}` prints every finite `f64` exactly, so
    /// `x = D / 10^1074` and `x * 2^1074 = D / 5^1074`, an exact division.
    fn scaled(x: f64) -> BigInt {
        let text = format!("{x:.1074}");
        let digits: String = text.chars().filter(|c| *c != '.').collect();
        let d: BigInt = digits.parse().expect("digits");
        let q = &d / five_pow_1074();
        assert_eq!(&q * five_pow_1074(), d, "{x} not a multiple of 2^-1074");
        q
    }

    impl Reference {
        fn add(&mut self, x: f64, times: i64) {
            let t = i128::from(times);
            if x.is_nan() {
                self.nan += t;
            } else if x == f64::INFINITY {
                self.pos_inf += t;
            } else if x == f64::NEG_INFINITY {
                self.neg_inf += t;
            } else {
                self.scaled += scaled(x) * BigInt::from(times);
            }
        }

        /// Correctly rounded via Rust's float parser (round-half-even on the exact decimal
        /// `scaled * 5^1074 * 10^-1074`), independent of `round_to_f64`.
        fn to_f64(&self) -> f64 {
            let (nan, pos, neg) = (self.nan as i64, self.pos_inf as i64, self.neg_inf as i64);
            if nan != 0 || (pos != 0 && neg != 0) {
                f64::NAN
            } else if pos != 0 {
                f64::INFINITY
            } else if neg != 0 {
                f64::NEG_INFINITY
            } else {
                let text = format!("{}e-1074", &self.scaled * five_pow_1074());
                text.parse().expect("float syntax")
            }
        }
    }

    /// Reads the exact value back out of the representation (test-only accessor).
    fn exact_value(sum: &ExactSum) -> (BigInt, i64, i64, i64) {
        match &sum.repr {
            Repr::Small { mant, exp } => {
                assert!(*exp >= -1074, "{sum:?}");
                let shift = (i32::from(*exp) + 1074) as usize;
                (BigInt::from(*mant) << shift, 0, 0, 0)
            }
            Repr::Big(big) => {
                let mut v = BigInt::from(0);
                for &l in big.limbs.iter().rev() {
                    v = (v << 64) + BigInt::from(l);
                }
                if big.is_negative() {
                    v -= BigInt::from(1) << (64 * big.limbs.len());
                }
                // The lowest limb may extend below 2^-1074, but only with zero bits.
                let shift = 64 * i64::from(big.base) + 1074;
                let v = if shift >= 0 {
                    v << shift as usize
                } else {
                    let w = &v >> (-shift) as usize;
                    assert_eq!(&w << (-shift) as usize, v, "bits below 2^-1074");
                    w
                };
                (v, big.pos_inf, big.neg_inf, big.nan)
            }
        }
    }

    /// Checks the representation is canonical: `Small` exactly when it fits.
    fn assert_canonical(sum: &ExactSum) {
        match &sum.repr {
            Repr::Small { mant, exp } => {
                assert!(mant & 1 == 1 || (*mant == 0 && *exp == 0), "{sum:?}");
            }
            Repr::Big(big) => {
                let mut copy = big.clone();
                copy.trim();
                assert_eq!(&copy, big, "untrimmed");
                let counts = big.pos_inf != 0 || big.neg_inf != 0 || big.nan != 0;
                assert!(
                    counts || big.as_small().is_none(),
                    "should be Small: {sum:?}"
                );
            }
        }
    }

    fn check(sum: &ExactSum, reference: &Reference) {
        assert_canonical(sum);
        let (v, pos, neg, nan) = exact_value(sum);
        assert_eq!(v, reference.scaled, "exact value of {sum:?}");
        assert_eq!(
            (pos, neg, nan),
            (
                reference.pos_inf as i64,
                reference.neg_inf as i64,
                reference.nan as i64
            )
        );
        let (got, want) = (sum.to_f64(), reference.to_f64());
        if want.is_nan() {
            assert!(got.is_nan(), "{got} != NaN for {sum:?}");
        } else {
            // +0.0 and -0.0 both fine for an exact zero.
            assert!(got.to_bits() == want.to_bits() || (got == 0.0 && want == 0.0));
            assert_eq!(got.to_bits(), want.to_bits(), "{sum:?}");
        }
    }

    fn hash_of(sum: &ExactSum) -> u64 {
        let mut h = DefaultHasher::new();
        sum.hash(&mut h);
        h.finish()
    }

    fn sum_all(values: &[(f64, i64)]) -> ExactSum {
        let mut sum = ExactSum::zero();
        for &(x, t) in values {
            sum.add(&ExactSum::from_f64_times(x, t));
        }
        sum
    }

    fn reference_all(values: &[(f64, i64)]) -> Reference {
        let mut r = Reference::default();
        for &(x, t) in values {
            r.add(x, t);
        }
        r
    }

    fn signed(x: f64, negative: bool) -> f64 {
        if negative {
            -x
        } else {
            x
        }
    }

    /// Finite values: typical amounts, arbitrary bit patterns, subnormals, extremes.
    fn finite() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => (0.0f64..1e6, any::<bool>()).prop_map(|(x, n)| signed(x, n)),
            2 => any::<u64>().prop_map(f64::from_bits).prop_filter("finite", |x| x.is_finite()),
            1 => (1u64..1 << 52, any::<bool>()).prop_map(|(b, n)| signed(f64::from_bits(b), n)),
            1 => (-1074i32..1024, any::<bool>()).prop_map(|(e, n)| signed(2f64.powi(e), n)),
            2 => prop::sample::select(vec![
                0.0, -0.0, 0.1, 0.2, 0.3, 1.0, -1.0, 1e300, -1e300, 1e-300, -1e-300,
                f64::MAX, -f64::MAX, f64::MIN_POSITIVE, 5e-324, -5e-324, 1e16, 1.5e-16,
            ]),
        ]
    }

    /// Any value, non-finite ones included but rare.
    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            20 => finite(),
            1 => prop::sample::select(vec![f64::INFINITY, f64::NEG_INFINITY, f64::NAN]),
        ]
    }

    fn times() -> impl Strategy<Value = i64> {
        prop_oneof![8 => Just(1i64), 3 => -3i64..=3, 1 => any::<i64>()]
    }

    fn updates() -> impl Strategy<Value = Vec<(f64, i64)>> {
        prop::collection::vec((value(), times()), 0..40)
    }

    proptest! {
        #[test]
        fn matches_reference(values in updates()) {
            check(&sum_all(&values), &reference_all(&values));
        }

        #[test]
        fn finite_sums_match_reference(values in prop::collection::vec(finite(), 0..60)) {
            let values: Vec<(f64, i64)> = values.into_iter().map(|x| (x, 1)).collect();
            check(&sum_all(&values), &reference_all(&values));
        }

        #[test]
        fn independent_of_order_and_grouping(
            (values, shuffled) in updates().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
            cuts in prop::collection::vec(1usize..8, 1..20),
        ) {
            let sequential = sum_all(&values);
            prop_assert_eq!(&sum_all(&shuffled), &sequential);
            // Sum the shuffled values in chunks, then combine the chunk sums back to front.
            let mut chunks = Vec::new();
            let mut rest = &shuffled[..];
            for &c in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (head, tail) = rest.split_at(c.min(rest.len()));
                chunks.push(sum_all(head));
                rest = tail;
            }
            let mut grouped = ExactSum::zero();
            for chunk in chunks.iter().rev() {
                grouped.add(chunk);
            }
            prop_assert_eq!(&grouped, &sequential);
            prop_assert_eq!(hash_of(&grouped), hash_of(&sequential));
            let (a, b) = (grouped.to_f64(), sequential.to_f64());
            prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        }

        #[test]
        fn retractions_cancel(
            (values, shuffled) in updates().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
            keep in 0usize..40,
        ) {
            let mut sum = sum_all(&values);
            // Retract all but the first `keep` values, in another order.
            let keep = keep.min(values.len());
            let kept = &values[..keep];
            let mut retract: Vec<(f64, i64)> = values[keep..].to_vec();
            retract.sort_by_key(|u| shuffled.iter().position(|s| s.0.to_bits() == u.0.to_bits()));
            for &(x, t) in &retract {
                sum.add(&ExactSum::from_f64_times(x, t.wrapping_neg()));
            }
            assert_canonical(&sum);
            prop_assert_eq!(&sum, &sum_all(kept));
            let mut negated = sum.clone();
            negated.negate();
            assert_canonical(&negated);
            sum.add(&negated);
            prop_assert!(sum.is_zero());
            prop_assert_eq!(sum, ExactSum::zero());
        }

        #[test]
        fn negate_matches_reference(values in updates()) {
            let mut sum = sum_all(&values);
            sum.negate();
            let negated: Vec<(f64, i64)> = values.iter().map(|&(x, t)| (x, t.wrapping_neg())).collect();
            check(&sum, &reference_all(&negated));
        }

        #[test]
        fn times_is_repeated_addition(x in value(), n in -20i64..20) {
            let mut repeated = ExactSum::zero();
            let one = ExactSum::from_f64_times(x, n.signum());
            for _ in 0..n.abs() {
                repeated.add(&one);
            }
            prop_assert_eq!(ExactSum::from_f64_times(x, n), repeated);
        }

        #[test]
        fn wide_intermediate_demotes(values in prop::collection::vec((finite(), Just(1i64)), 0..10)) {
            let plain = sum_all(&values);
            let mut sum = plain.clone();
            for x in [1e300, f64::INFINITY, f64::NAN, -1e-300] {
                sum.add(&ExactSum::from_f64(x));
            }
            for x in [-1e300, 1e-300] {
                sum.add(&ExactSum::from_f64(x));
            }
            sum.add(&ExactSum::from_f64_times(f64::INFINITY, -1));
            sum.add(&ExactSum::from_f64_times(f64::NAN, -1));
            prop_assert_eq!(&sum, &plain);
            assert_canonical(&sum);
        }

        #[test]
        fn serde_round_trip(values in updates()) {
            let sum = sum_all(&values);
            let json = serde_json::to_string(&sum).expect("serialize");
            let back: ExactSum = serde_json::from_str(&json).expect("deserialize");
            prop_assert_eq!(back, sum);
        }
    }

    fn sum_of(xs: &[f64]) -> ExactSum {
        let mut sum = ExactSum::zero();
        for &x in xs {
            sum.add(&ExactSum::from_f64(x));
        }
        sum
    }

    #[test]
    fn point_one_plus_point_two_plus_point_three() {
        let sum = sum_of(&[0.1, 0.2, 0.3]);
        assert_eq!(0.1 + 0.2 + 0.3, 0.6000000000000001);
        assert_eq!(sum.to_f64(), 0.6);
        // Exactly 0.6000000000000000055511151231257827021181583404541015625.
        let (v, ..) = exact_value(&sum);
        assert_eq!(v, scaled(0.1) + scaled(0.2) + scaled(0.3));
        let mut digits = format!("{}", &v * five_pow_1074());
        digits.truncate(34);
        assert_eq!(digits, "6000000000000000055511151231257827");
        assert_eq!(sum_of(&[0.3, 0.1, 0.2]), sum);
    }

    #[test]
    fn huge_and_tiny_cancel() {
        let sum = sum_of(&[1e300, 1e-300, -1e300]);
        assert_eq!(sum.to_f64(), 1e-300);
        assert_eq!(sum, ExactSum::from_f64(1e-300));
        assert!(matches!(sum.repr, Repr::Small { .. }));
        assert_eq!(sum_of(&[1e308, 1e308, -1e308]).to_f64(), 1e308);
        assert_eq!(sum_of(&[f64::MAX, f64::MAX]).to_f64(), f64::INFINITY);
        assert_eq!(sum_of(&[-f64::MAX, -f64::MAX]).to_f64(), f64::NEG_INFINITY);
    }

    #[test]
    fn rounding_edges() {
        let half_ulp = 2f64.powi(-53);
        // Ties go to even.
        assert_eq!(sum_of(&[1.0, half_ulp]).to_f64(), 1.0);
        assert_eq!(
            sum_of(&[1.0 + 2.0 * half_ulp, half_ulp]).to_f64(),
            1.0 + 4.0 * half_ulp
        );
        // Just above the tie rounds up; just below rounds down.
        assert_eq!(
            sum_of(&[1.0, half_ulp, 1e-300]).to_f64(),
            1.0 + 2.0 * half_ulp
        );
        assert_eq!(sum_of(&[1.0, half_ulp, -1e-300]).to_f64(), 1.0);
        // f64::MAX plus half an ulp is the overflow threshold: a tie, rounding to "even" inf.
        let max_ulp = 2f64.powi(971);
        assert_eq!(sum_of(&[f64::MAX, max_ulp / 2.0]).to_f64(), f64::INFINITY);
        assert_eq!(
            sum_of(&[f64::MAX, max_ulp / 2.0, -5e-324]).to_f64(),
            f64::MAX
        );
        // Subnormals are exact.
        let tiny = f64::from_bits(1);
        assert_eq!(sum_of(&[tiny, tiny, tiny]).to_f64(), f64::from_bits(3));
        assert_eq!(
            sum_of(&[f64::MIN_POSITIVE, -tiny]).to_f64(),
            f64::from_bits(f64::MIN_POSITIVE.to_bits() - 1)
        );
    }

    #[test]
    fn non_finite() {
        let inf = f64::INFINITY;
        assert_eq!(sum_of(&[1.0, inf]).to_f64(), inf);
        assert_eq!(sum_of(&[1.0, -inf]).to_f64(), -inf);
        assert!(sum_of(&[inf, -inf]).to_f64().is_nan());
        assert!(sum_of(&[1.0, f64::NAN]).to_f64().is_nan());
        let mut sum = sum_of(&[1.5, inf, f64::NAN]);
        sum.add(&ExactSum::from_f64_times(f64::NAN, -1));
        assert_eq!(sum.to_f64(), inf);
        sum.add(&ExactSum::from_f64_times(inf, -1));
        assert_eq!(sum, ExactSum::from_f64(1.5));
        assert_eq!(ExactSum::from_f64_times(f64::NAN, 0), ExactSum::zero());
    }

    #[test]
    fn zeros() {
        assert!(ExactSum::from_f64(-0.0).is_zero());
        assert_eq!(ExactSum::from_f64(-0.0), ExactSum::from_f64(0.0));
        assert_eq!(ExactSum::zero().to_f64().to_bits(), 0.0f64.to_bits());
        assert_eq!(ExactSum::from_f64_times(3.5, 0), ExactSum::default());
        assert!(!ExactSum::from_f64(5e-324).is_zero());
        assert!(!ExactSum::from_f64(f64::NAN).is_zero());
    }

    #[test]
    fn extreme_times() {
        for x in [1.0, -f64::MAX, 5e-324, 0.1] {
            for t in [i64::MIN, i64::MAX, i64::MIN + 1] {
                let mut r = Reference::default();
                r.add(x, t);
                check(&ExactSum::from_f64_times(x, t), &r);
            }
        }
        let mut sum = ExactSum::from_f64_times(f64::MAX, i64::MAX);
        sum.add(&ExactSum::from_f64_times(f64::MAX, i64::MAX));
        sum.add(&ExactSum::from_f64_times(5e-324, i64::MIN));
        let mut r = Reference::default();
        r.add(f64::MAX, i64::MAX);
        r.add(f64::MAX, i64::MAX);
        r.add(5e-324, i64::MIN);
        check(&sum, &r);
    }

    #[test]
    fn deserialising_canonicalises() {
        let even: ExactSum =
            serde_json::from_str(r#"{"Small":{"mant":12,"exp":-2}}"#).expect("deserialize");
        assert_eq!(even, ExactSum::from_f64(3.0));
        let big: ExactSum = serde_json::from_str(
            r#"{"Big":{"base":-1,"limbs":[0,0,5,0],"pos_inf":0,"neg_inf":0,"nan":0}}"#,
        )
        .expect("deserialize");
        assert_eq!(big, ExactSum::from_f64_times(2f64.powi(64), 5));
        let huge = serde_json::from_str::<ExactSum>(
            r#"{"Big":{"base":2000000000,"limbs":[1],"pos_inf":0,"neg_inf":0,"nan":0}}"#,
        );
        assert!(huge.is_err());
    }

    #[test]
    fn works_as_a_differential_difference() {
        fn total<R: Monoid + Abelian>(parts: &[R]) -> R {
            let mut acc = R::zero();
            for p in parts {
                acc.plus_equals(p);
            }
            acc
        }
        let mut retraction = ExactSum::from_f64(0.1);
        Abelian::negate(&mut retraction);
        let t = total(&[ExactSum::from_f64(0.1), retraction]);
        assert!(IsZero::is_zero(&t));

        let mut updates = vec![
            ("a", 0u64, ExactSum::from_f64(0.1)),
            ("b", 0, ExactSum::from_f64(2.0)),
            ("a", 0, ExactSum::from_f64(0.2)),
            ("b", 0, ExactSum::from_f64_times(2.0, -1)),
        ];
        consolidate_updates(&mut updates);
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].0, "a");
        assert_eq!(updates[0].2.to_f64(), 0.30000000000000004);
    }

    #[test]
    fn small_stays_small_and_inline() {
        assert!(std::mem::size_of::<ExactSum>() <= 32);
        let mut sum = ExactSum::zero();
        for i in 0..100_000 {
            sum.add(&ExactSum::from_f64(f64::from(i) * 1.37 + 0.01));
        }
        assert!(matches!(sum.repr, Repr::Small { .. }));
    }
}
