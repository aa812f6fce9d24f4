//! Points in time ([`Timestamp`]) and spans of time ([`Duration`]), both in milliseconds.
//!
//! Timestamps are UTC milliseconds since the Unix epoch in an `i64`: cheap to copy, compare and
//! hash, and exact. They are read from integer milliseconds or RFC 3339 text and written as
//! integer milliseconds (the CSV/JSON form) or RFC 3339 (for people). Calendar conversions use
//! the proleptic Gregorian calendar, implemented here with Howard Hinnant's algorithms.

use std::fmt;
use std::ops::{Add, Sub};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// A point in time: UTC milliseconds since the Unix epoch (1970-01-01T00:00:00Z).
///
/// `Display` writes the integer milliseconds (the CSV/JSON output form); `Debug` and
/// [`Timestamp::to_rfc3339`] write RFC 3339, e.g. `2024-01-02T03:04:05.678Z`. Parsing accepts
/// both, see [`Timestamp::parse`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The earliest representable time (`i64::MIN` milliseconds).
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    /// The latest representable time (`i64::MAX` milliseconds).
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// The time `ms` milliseconds after the Unix epoch (before it, if negative).
    #[inline]
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the Unix epoch.
    #[inline]
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The current system time, rounded down to the millisecond.
    pub fn now() -> Self {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(after) => Timestamp(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)),
            Err(before) => {
                let before = before.duration();
                // Round toward negative infinity: a partial millisecond counts as a whole one.
                let ms = before.as_millis() + u128::from(before.subsec_nanos() % 1_000_000 != 0);
                Timestamp(i64::try_from(ms).map_or(i64::MIN, |ms| -ms))
            }
        }
    }

    /// Parses integer milliseconds or an RFC 3339 date-time or date.
    ///
    /// Accepted forms:
    /// - integer milliseconds since the epoch, with an optional sign: `1704164645678`, `-1`;
    /// - an RFC 3339 date-time, `2024-01-02T03:04:05Z`, with optional fractional seconds of any
    ///   length (rounded toward negative infinity to the millisecond), and `Z` or an offset
    ///   `+hh:mm` / `-hh:mm`; `T` may also be `t` or a space, and `Z` may be `z`;
    /// - a date alone, `2024-01-02`, meaning midnight UTC.
    ///
    /// Years are four digits, or (as written by [`Timestamp::to_rfc3339`] for years outside
    /// 0000–9999) a sign and 4 to 9 digits, e.g. `+10000-01-01` or `-0001-12-31`. Leap
    /// seconds (second `60`) are rejected.
    ///
    /// # Errors
    ///
    /// Anything else, including surrounding whitespace, or a time outside the `i64`
    /// millisecond range, is a [`TimeParseError`] that quotes the input, says what is wrong,
    /// and lists these forms.
    pub fn parse(s: &str) -> Result<Self, TimeParseError> {
        let fail = |reason: String| TimeParseError::new(Kind::Timestamp, s, reason);
        if s.is_empty() {
            return Err(fail("the input is empty".into()));
        }
        if let Some(ms) = parse_integer(s) {
            return ms.map(Timestamp).map_err(fail);
        }
        parse_rfc3339(s).map(Timestamp).map_err(fail)
    }

    /// This time in RFC 3339 form, always with milliseconds and `Z`: `2024-01-02T03:04:05.678Z`.
    ///
    /// Years outside 0000–9999 are written in the ISO 8601 expanded form, with a sign and at
    /// least four digits (`+10000-01-01T00:00:00.000Z`), which [`Timestamp::parse`] accepts.
    pub fn to_rfc3339(self) -> String {
        let mut out = String::with_capacity(24);
        // Writing to a String cannot fail.
        let _ = self.write_rfc3339(&mut out);
        out
    }

    /// Writes [`Timestamp::to_rfc3339`] to `out`.
    fn write_rfc3339(self, out: &mut impl fmt::Write) -> fmt::Result {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        match year {
            0..=9999 => write!(out, "{year:04}")?,
            10000.. => write!(out, "+{year}")?,
            _ => write!(out, "-{:04}", year.unsigned_abs())?,
        }
        write!(
            out,
            "-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            ms / MS_PER_HOUR,
            ms % MS_PER_HOUR / MS_PER_MINUTE,
            ms % MS_PER_MINUTE / MS_PER_SECOND,
            ms % MS_PER_SECOND
        )
    }
}

impl fmt::Display for Timestamp {
    /// Integer milliseconds since the epoch.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Timestamp {
    /// `Timestamp(2024-01-02T03:04:05.678Z)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Timestamp(")?;
        self.write_rfc3339(f)?;
        f.write_str(")")
    }
}

impl FromStr for Timestamp {
    type Err = TimeParseError;

    /// As [`Timestamp::parse`].
    fn from_str(s: &str) -> Result<Self, TimeParseError> {
        Timestamp::parse(s)
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;

    /// The time `rhs` later, saturating at [`Timestamp::MIN`] / [`Timestamp::MAX`].
    fn add(self, rhs: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;

    /// The time `rhs` earlier, saturating at [`Timestamp::MIN`] / [`Timestamp::MAX`].
    fn sub(self, rhs: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(rhs.0))
    }
}

impl Sub<Timestamp> for Timestamp {
    type Output = Duration;

    /// The span from `rhs` to `self` (negative if `rhs` is later), saturating.
    fn sub(self, rhs: Timestamp) -> Duration {
        Duration(self.0.saturating_sub(rhs.0))
    }
}

/// A span of time in milliseconds (negative spans are allowed).
///
/// `Display` writes the integer milliseconds; parsing also accepts humane forms like `1m30s`,
/// see [`Duration::parse`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Duration(pub i64);

impl Duration {
    /// A span of `ms` milliseconds.
    #[inline]
    pub const fn from_millis(ms: i64) -> Self {
        Duration(ms)
    }

    /// A span of `secs` seconds, saturating at the `i64` millisecond range.
    #[inline]
    pub const fn from_secs(secs: i64) -> Self {
        Duration(secs.saturating_mul(MS_PER_SECOND))
    }

    /// The span in milliseconds.
    #[inline]
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Parses integer milliseconds (`1500`, `-20`) or a humane form.
    ///
    /// The humane form is one or more `<digits><unit>` parts, units `d`, `h`, `m`, `s` and `ms`,
    /// from largest to smallest with each unit at most once, and an optional leading sign:
    /// `1500ms`, `10s`, `5m`, `2h`, `1d`, `1m30s`, `-1h30m`. No spaces or fractions.
    ///
    /// # Errors
    ///
    /// Anything else, or a span outside the `i64` millisecond range, is a [`TimeParseError`]
    /// that quotes the input, says what is wrong, and lists these forms.
    pub fn parse(s: &str) -> Result<Self, TimeParseError> {
        let fail = |reason: String| TimeParseError::new(Kind::Duration, s, reason);
        if s.is_empty() {
            return Err(fail("the input is empty".into()));
        }
        if let Some(ms) = parse_integer(s) {
            return ms.map(Duration).map_err(fail);
        }
        parse_humane_duration(s).map(Duration).map_err(fail)
    }
}

impl fmt::Display for Duration {
    /// Integer milliseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Duration {
    type Err = TimeParseError;

    /// As [`Duration::parse`].
    fn from_str(s: &str) -> Result<Self, TimeParseError> {
        Duration::parse(s)
    }
}

/// Why a [`Timestamp`] or [`Duration`] could not be parsed.
///
/// Its message quotes the input, says what was wrong, and lists the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeParseError {
    kind: Kind,
    input: String,
    reason: String,
}

/// What was being parsed, which decides the list of accepted forms in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Timestamp,
    Duration,
}

impl TimeParseError {
    fn new(kind: Kind, input: &str, reason: String) -> Self {
        TimeParseError {
            kind,
            input: input.to_owned(),
            reason,
        }
    }

    /// The text that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it, e.g. `month 13 is out of range 01-12`.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for TimeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, forms) = match self.kind {
            Kind::Timestamp => (
                "timestamp",
                "integer milliseconds since the Unix epoch (e.g. 1704164645678), an RFC 3339 \
                 date-time (e.g. 2024-01-02T03:04:05.678Z or 2024-01-02 04:04:05+01:00), or a \
                 date (e.g. 2024-01-02, meaning midnight UTC)",
            ),
            Kind::Duration => (
                "duration",
                "integer milliseconds (e.g. 1500) or a number with a unit d, h, m, s or ms, \
                 optionally combined from largest to smallest (e.g. 10s, 5m, 1h30m, 1500ms)",
            ),
        };
        write!(
            f,
            "invalid {what} {:?}: {}; expected {forms}",
            self.input, self.reason
        )
    }
}

impl std::error::Error for TimeParseError {}

/// If `s` is an integer (optional sign, then ASCII digits), its value, or why it is out of range.
fn parse_integer(s: &str) -> Option<Result<i64, String>> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        s.parse::<i64>()
            .map_err(|_| format!("{s} is out of the 64-bit millisecond range")),
    )
}

/// A cursor over the bytes of the input, for the hand-written parsers.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor {
            bytes: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// Consumes `b` if it is next.
    fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        self.pos += usize::from(found);
        found
    }

    /// Consumes the longest run of ASCII digits (possibly empty).
    fn digit_run(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    /// Consumes exactly `n` digits, naming them `what` in the error.
    fn fixed_digits(&mut self, n: usize, what: &str) -> Result<u32, String> {
        let run = self.bytes.get(self.pos..self.pos + n).unwrap_or_default();
        if run.len() < n || !run.iter().all(u8::is_ascii_digit) {
            return Err(format!("expected {n} digits for the {what}"));
        }
        self.pos += n;
        Ok(run.iter().fold(0, |v, &b| v * 10 + u32::from(b - b'0')))
    }

    /// Consumes `b`, or fails saying it was expected `context`.
    fn expect(&mut self, b: u8, context: &str) -> Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(format!("expected '{}' {context}", char::from(b)))
        }
    }
}

/// Parses an RFC 3339 date-time or a date (see [`Timestamp::parse`]) to UTC milliseconds.
fn parse_rfc3339(s: &str) -> Result<i64, String> {
    let mut c = Cursor::new(s);
    let year = parse_year(&mut c)?;
    c.expect(b'-', "after the year")?;
    let month = c.fixed_digits(2, "month")?;
    c.expect(b'-', "after the month")?;
    let day = c.fixed_digits(2, "day")?;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} is out of range 01-12"));
    }
    let month_days = days_in_month(year, month);
    if !(1..=month_days).contains(&day) {
        return Err(format!(
            "day {day:02} is out of range 01-{month_days} for {year:04}-{month:02}"
        ));
    }
    let days = days_from_civil(year, month, day);
    let out_of_range = || "the time is out of the 64-bit millisecond range".to_string();
    if c.at_end() {
        return days.checked_mul(MS_PER_DAY).ok_or_else(out_of_range);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return Err("expected 'T' or a space between the date and the time".into());
    }
    let hour = c.fixed_digits(2, "hour")?;
    c.expect(b':', "after the hour")?;
    let minute = c.fixed_digits(2, "minute")?;
    c.expect(b':', "after the minute (seconds are required)")?;
    let second = c.fixed_digits(2, "second")?;
    if hour > 23 {
        return Err(format!("hour {hour:02} is out of range 00-23"));
    }
    if minute > 59 {
        return Err(format!("minute {minute:02} is out of range 00-59"));
    }
    if second == 60 {
        return Err("leap seconds (second 60) are not supported".into());
    }
    if second > 59 {
        return Err(format!("second {second:02} is out of range 00-59"));
    }
    let mut millis = 0;
    if c.eat(b'.') {
        let fraction = c.digit_run();
        if fraction.is_empty() {
            return Err("expected digits after the decimal point".into());
        }
        // Keep the first three digits: that rounds toward negative infinity, since the
        // fraction is added to the (integer) seconds whatever the sign of the result.
        for i in 0..3 {
            millis = millis * 10 + fraction.get(i).map_or(0, |&b| i64::from(b - b'0'));
        }
    }
    let offset_minutes = match c.peek() {
        Some(b'Z' | b'z') => {
            c.pos += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            c.pos += 1;
            let hours = c.fixed_digits(2, "offset hours")?;
            c.expect(b':', "between the offset hours and minutes")?;
            let minutes = c.fixed_digits(2, "offset minutes")?;
            if hours > 23 || minutes > 59 {
                return Err(format!("offset {hours:02}:{minutes:02} is out of range"));
            }
            let total = i64::from(hours * 60 + minutes);
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
        None => return Err("missing the UTC offset (add 'Z' or e.g. '+01:00')".into()),
        Some(_) => return Err("expected 'Z' or a UTC offset like '+01:00' after the time".into()),
    };
    if !c.at_end() {
        return Err(format!(
            "unexpected text {:?} after the UTC offset",
            String::from_utf8_lossy(&c.bytes[c.pos..])
        ));
    }
    let time_of_day = i64::from(hour) * MS_PER_HOUR
        + i64::from(minute) * MS_PER_MINUTE
        + i64::from(second) * MS_PER_SECOND
        + millis;
    days.checked_mul(MS_PER_DAY)
        .and_then(|ms| ms.checked_add(time_of_day))
        .and_then(|ms| ms.checked_sub(offset_minutes * MS_PER_MINUTE))
        .ok_or_else(out_of_range)
}

/// Parses a year: four digits, or a sign and four to nine digits (ISO 8601 expanded form).
fn parse_year(c: &mut Cursor<'_>) -> Result<i64, String> {
    let negative = match c.peek() {
        Some(b'+') => Some(false),
        Some(b'-') => Some(true),
        _ => None,
    };
    let Some(negative) = negative else {
        return c.fixed_digits(4, "year").map(i64::from);
    };
    c.pos += 1;
    let digits = c.digit_run();
    if !(4..=9).contains(&digits.len()) {
        return Err("expected 4 to 9 digits for a signed year".into());
    }
    let year = digits.iter().fold(0, |v, &b| v * 10 + i64::from(b - b'0'));
    Ok(if negative { -year } else { year })
}

/// Whether `year` is a leap year in the proleptic Gregorian calendar.
fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// The number of days in `month` (1–12) of `year`.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a valid proleptic Gregorian date (Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian `(year, month, day)` of a day count since 1970-01-01 (Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses the humane duration form (see [`Duration::parse`]) to milliseconds.
fn parse_humane_duration(s: &str) -> Result<i64, String> {
    // Units from largest to smallest, with their size in milliseconds.
    const UNITS: [(&str, i128); 5] = [
        ("d", MS_PER_DAY as i128),
        ("h", MS_PER_HOUR as i128),
        ("m", MS_PER_MINUTE as i128),
        ("s", MS_PER_SECOND as i128),
        ("ms", 1),
    ];
    let mut c = Cursor::new(s);
    let negative = c.eat(b'-');
    if !negative {
        c.eat(b'+');
    }
    if c.at_end() {
        return Err("expected a number after the sign".into());
    }
    let mut next_unit = 0;
    let mut total: i128 = 0;
    while !c.at_end() {
        let digits = c.digit_run();
        if digits.is_empty() {
            return Err(format!("expected a number at {:?}", &s[c.pos..]));
        }
        let start = c.pos;
        while c.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            c.pos += 1;
        }
        // Digits and ASCII letters only so far, so these slices are on char boundaries.
        let number = &s[start - digits.len()..start];
        let unit = &s[start..c.pos];
        if c.peek() == Some(b'.') {
            return Err("fractions are not supported; use a smaller unit (e.g. 1500ms)".into());
        }
        if unit.is_empty() {
            return Err(format!("missing a unit after {number}"));
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(format!("unknown unit {unit:?} (use d, h, m, s or ms)"));
        };
        if index < next_unit {
            return Err("units must go from largest to smallest, each at most once".into());
        }
        next_unit = index + 1;
        let value = number
            .parse::<u64>()
            .map_err(|_| format!("{number} is too large"))?;
        total += i128::from(value) * UNITS[index].1;
        if total > i128::from(i64::MAX) + 1 {
            return Err("the duration is out of the 64-bit millisecond range".into());
        }
    }
    let total = if negative { -total } else { total };
    i64::try_from(total).map_err(|_| "the duration is out of the 64-bit millisecond range".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> i64 {
        match Timestamp::parse(s) {
            Ok(t) => t.millis(),
            Err(e) => panic!("{e}"),
        }
    }

    fn dur(s: &str) -> i64 {
        match Duration::parse(s) {
            Ok(d) => d.millis(),
            Err(e) => panic!("{e}"),
        }
    }

    /// First and last millisecond of years 0000 through 9999.
    const YEAR_0000: i64 = -62_167_219_200_000;
    const YEAR_10000: i64 = 253_402_300_800_000;

    #[test]
    fn hand_computed_examples() {
        assert_eq!(ts("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ts("2000-02-29T12:00:00+01:00"), 951_822_000_000);
        assert_eq!(ts("1969-12-31T23:59:59.999Z"), -1);
        assert_eq!(ts("1969-12-31T23:59:59.9999Z"), -1);
        assert_eq!(ts("1969-12-31T23:59:59.0001Z"), -1000);
        assert_eq!(ts("1970-01-01T00:00:00.0009Z"), 0);
        assert_eq!(ts("2024-01-02T03:04:05.678Z"), 1_704_164_645_678);
        assert_eq!(ts("2024-01-02t03:04:05.678z"), 1_704_164_645_678);
        assert_eq!(ts("2024-01-02 04:04:05.678+01:00"), 1_704_164_645_678);
        assert_eq!(ts("2024-01-01T22:34:05.6789-04:30"), 1_704_164_645_678);
        assert_eq!(ts("2024-01-02T03:04:05.5Z"), 1_704_164_645_500);
        assert_eq!(ts("2024-01-02"), 1_704_153_600_000);
        assert_eq!(ts("2024-01-02T00:00:00-00:00"), 1_704_153_600_000);
        assert_eq!(ts("0000-01-01T00:00:00Z"), YEAR_0000);
        assert_eq!(ts("9999-12-31T23:59:59.999Z"), YEAR_10000 - 1);
        assert_eq!(ts("+10000-01-01"), YEAR_10000);
        assert_eq!(ts("-0001-12-31T23:59:59.999Z"), YEAR_0000 - 1);
        assert_eq!(ts("1704164645678"), 1_704_164_645_678);
        assert_eq!(ts("+42"), 42);
        assert_eq!(ts("-1"), -1);
        assert_eq!(ts("-9223372036854775808"), i64::MIN);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(0, 3, 1), -719_468);
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }

    #[test]
    fn formatting() {
        let t = Timestamp(1_704_164_645_678);
        assert_eq!(t.to_rfc3339(), "2024-01-02T03:04:05.678Z");
        assert_eq!(format!("{t:?}"), "Timestamp(2024-01-02T03:04:05.678Z)");
        assert_eq!(t.to_string(), "1704164645678");
        assert_eq!(Timestamp(-1).to_rfc3339(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            Timestamp::default().to_rfc3339(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp(YEAR_10000).to_rfc3339(),
            "+10000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp(YEAR_0000 - 1).to_rfc3339(),
            "-0001-12-31T23:59:59.999Z"
        );
        assert_eq!(
            Timestamp::MAX.to_rfc3339(),
            "+292278994-08-17T07:12:55.807Z"
        );
        assert_eq!(
            Timestamp::MIN.to_rfc3339(),
            "-292275055-05-16T16:47:04.192Z"
        );
        assert_eq!(Duration(1500).to_string(), "1500");
        assert_eq!(format!("{:?}", Duration(1500)), "Duration(1500)");
        assert_eq!(
            serde_json::to_string(&t).ok().as_deref(),
            Some("1704164645678")
        );
    }

    #[test]
    fn rejections() {
        let cases = [
            ("", "empty"),
            ("abc", "year"),
            ("2024-1-02", "month"),
            ("2024-01-2", "day"),
            ("2024/01/02", "'-'"),
            ("2023-02-29", "day 29 is out of range 01-28"),
            ("2100-02-29", "day 29"),
            ("2024-13-01", "month 13"),
            ("2024-00-01", "month 00"),
            ("2024-04-31", "day 31"),
            ("2024-01-00", "day 00"),
            ("2024-01-02T24:00:00Z", "hour 24"),
            ("2024-01-02T23:60:00Z", "minute 60"),
            ("2024-01-02T23:59:60Z", "leap second"),
            ("2024-01-02T23:59:61Z", "second 61"),
            ("2024-01-02T03:04Z", "seconds are required"),
            ("2024-01-02T03:04:05", "missing the UTC offset"),
            ("2024-01-02T03:04:05.Z", "digits after the decimal point"),
            ("2024-01-02T03:04:05+0100", "':'"),
            ("2024-01-02T03:04:05+24:00", "offset 24:00"),
            ("2024-01-02T03:04:05ZZ", "unexpected text \"Z\""),
            ("2024-01-02X03:04:05Z", "'T' or a space"),
            ("2024-01-02T03:04:05 UTC", "expected 'Z'"),
            (" 2024-01-02", "year"),
            ("2024-01-02 ", "hour"),
            ("99999999999999999999", "out of the 64-bit"),
            ("+292278994-08-17T07:12:55.808Z", "out of the 64-bit"),
            ("+1000000000-01-01", "4 to 9 digits"),
            ("+", "signed year"),
            ("-", "signed year"),
            ("1.5", "year"),
            ("2024-01-02T03:04:05.000\u{e9}Z", "expected 'Z'"),
        ];
        for (input, reason) in cases {
            let err = match Timestamp::parse(input) {
                Ok(t) => panic!("{input:?} parsed as {t:?}"),
                Err(e) => e,
            };
            assert!(err.reason().contains(reason), "{input:?}: {err}");
            assert_eq!(err.input(), input);
            let message = err.to_string();
            assert!(message.contains(&format!("{input:?}")), "{message}");
            assert!(message.contains("RFC 3339"), "{message}");
            assert!(message.contains("integer milliseconds"), "{message}");
        }
        assert!(input_is_quoted("2024-13-01"));
    }

    fn input_is_quoted(input: &str) -> bool {
        input.parse::<Timestamp>().is_err_and(|e| {
            e.to_string()
                .starts_with(&format!("invalid timestamp {input:?}: "))
        })
    }

    #[test]
    fn durations() {
        assert_eq!(dur("1500"), 1500);
        assert_eq!(dur("-20"), -20);
        assert_eq!(dur("1500ms"), 1500);
        assert_eq!(dur("10s"), 10_000);
        assert_eq!(dur("5m"), 300_000);
        assert_eq!(dur("2h"), 7_200_000);
        assert_eq!(dur("1d"), 86_400_000);
        assert_eq!(dur("1m30s"), 90_000);
        assert_eq!(dur("1d2h3m4s5ms"), 93_784_005);
        assert_eq!(dur("-1h30m"), -5_400_000);
        assert_eq!(dur("+0s"), 0);
        assert_eq!(dur("-9223372036854775808ms"), i64::MIN);
        assert_eq!(Duration::from_secs(3), Duration::from_millis(3000));
        assert_eq!(Duration::from_secs(i64::MAX), Duration(i64::MAX));
        assert_eq!("90s".parse::<Duration>(), Ok(Duration(90_000)));
        let cases = [
            ("", "empty"),
            ("-", "after the sign"),
            ("s", "expected a number"),
            ("5x", "unknown unit \"x\""),
            ("5min", "unknown unit \"min\""),
            ("1s1m", "largest to smallest"),
            ("1m1m", "largest to smallest"),
            ("1.5s", "fractions"),
            ("1m 30s", "expected a number"),
            ("10", ""),
            ("1m30", "missing a unit after 30"),
            ("9223372036854775808ms", "out of the 64-bit"),
            ("99999999999999999999d", "too large"),
            ("106751991167301d", "out of the 64-bit"),
            ("--5s", "expected a number"),
        ];
        for (input, reason) in cases {
            match Duration::parse(input) {
                Ok(d) if input == "10" => assert_eq!(d, Duration(10)),
                Ok(d) => panic!("{input:?} parsed as {d:?}"),
                Err(e) => {
                    assert!(e.reason().contains(reason), "{input:?}: {e}");
                    let message = e.to_string();
                    assert!(message.starts_with(&format!("invalid duration {input:?}: ")));
                    assert!(message.contains("1h30m"), "{message}");
                }
            }
        }
    }

    #[test]
    fn arithmetic() {
        let t = Timestamp(1_000);
        assert_eq!(t + Duration(500), Timestamp(1_500));
        assert_eq!(t - Duration(1_500), Timestamp(-500));
        assert_eq!(Timestamp(1_500) - t, Duration(500));
        assert_eq!(t - Timestamp(1_500), Duration(-500));
        assert_eq!(Timestamp::MAX + Duration(1), Timestamp::MAX);
        assert_eq!(Timestamp::MIN - Duration(1), Timestamp::MIN);
        assert_eq!(Timestamp::MIN + Duration(-1), Timestamp::MIN);
        assert_eq!(Timestamp::MAX - Timestamp::MIN, Duration(i64::MAX));
        assert_eq!(Timestamp::MIN - Timestamp::MAX, Duration(i64::MIN));
        assert!(Timestamp(-1) < Timestamp(0));
    }

    #[test]
    fn now_is_recent() {
        let now = Timestamp::now();
        assert!(now > Timestamp(ts("2024-01-01")), "{now:?}");
        assert!(now < Timestamp(ts("2200-01-01")), "{now:?}");
    }

    /// The day after `(y, m, d)`, by month lengths written out independently.
    fn next_day(y: i64, m: u32, d: u32) -> (i64, u32, u32) {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let len = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if d < len[m as usize - 1] {
            (y, m, d + 1)
        } else if m < 12 {
            (y, m + 1, 1)
        } else {
            (y + 1, 1, 1)
        }
    }

    fn year_text(y: i64) -> String {
        match y {
            0..=9999 => format!("{y:04}"),
            10000.. => format!("+{y}"),
            _ => format!("-{:04}", -y),
        }
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips_in_years_0000_to_9999(ms in YEAR_0000..YEAR_10000) {
            let text = Timestamp(ms).to_rfc3339();
            prop_assert_eq!(text.len(), 24);
            prop_assert_eq!(Timestamp::parse(&text), Ok(Timestamp(ms)));
        }

        #[test]
        fn rfc3339_round_trips_everywhere(ms in any::<i64>()) {
            let text = Timestamp(ms).to_rfc3339();
            prop_assert_eq!(Timestamp::parse(&text), Ok(Timestamp(ms)), "{}", text);
        }

        #[test]
        fn integer_round_trips(ms in any::<i64>()) {
            prop_assert_eq!(Timestamp(ms).to_string().parse(), Ok(Timestamp(ms)));
            prop_assert_eq!(Duration(ms).to_string().parse(), Ok(Duration(ms)));
        }

        #[test]
        fn calendar_steps_one_day_at_a_time(days in -1_000_000i64..4_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
            prop_assert_eq!(civil_from_days(days + 1), next_day(y, m, d));
            prop_assert_eq!(days_in_month(y, m) >= d, true);
        }

        #[test]
        fn parses_components(
            days in -800_000i64..3_000_000,
            (h, mi, s) in (0u32..24, 0u32..60, 0u32..60),
            fraction in "[0-9]{0,12}",
            offset in prop::option::of((any::<bool>(), 0u32..24, 0u32..60)),
            sep in prop::sample::select(vec!['T', 't', ' ']),
            z in prop::sample::select(vec!['Z', 'z']),
        ) {
            let (y, m, d) = civil_from_days(days);
            let mut text = format!("{}-{m:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}", year_text(y));
            let mut millis = 0;
            if !fraction.is_empty() {
                text.push('.');
                text.push_str(&fraction);
                millis = format!("{fraction:0<3}")[..3].parse::<i64>().unwrap_or(-1);
            }
            let offset_ms = match offset {
                None => {
                    text.push(z);
                    0
                }
                Some((negative, oh, om)) => {
                    text.push_str(&format!("{}{oh:02}:{om:02}", if negative { '-' } else { '+' }));
                    let ms = i64::from(oh * 60 + om) * 60_000;
                    if negative { -ms } else { ms }
                }
            };
            let expected = days * 86_400_000
                + i64::from(h * 3600 + mi * 60 + s) * 1000
                + millis
                - offset_ms;
            prop_assert_eq!(Timestamp::parse(&text), Ok(Timestamp(expected)), "{}", text);
        }

        #[test]
        fn humane_durations(parts in prop::collection::vec(prop::option::of(0i64..100_000), 5), negative in any::<bool>()) {
            let units = [("d", 86_400_000i64), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)];
            let mut text = String::from(if negative { "-" } else { "" });
            let mut expected = 0;
            for (part, (unit, size)) in parts.iter().zip(units) {
                if let Some(n) = part {
                    text.push_str(&format!("{n}{unit}"));
                    expected += n * size;
                }
            }
            if text.is_empty() || text == "-" {
                prop_assert!(Duration::parse(&text).is_err());
            } else {
                let expected = if negative { -expected } else { expected };
                prop_assert_eq!(Duration::parse(&text), Ok(Duration(expected)), "{}", text);
            }
        }

        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = Timestamp::parse(&text);
            let _ = Duration::parse(&text);
        }

        #[test]
        fn never_panics_near_valid(text in "[-+0-9TZz:. a-z]{0,32}") {
            let _ = Timestamp::parse(&text);
            let _ = Duration::parse(&text);
        }
    }
}
