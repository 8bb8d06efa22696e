//! The grammar, one small nom parser per rule, bottom-up.
//!
//! Parsers work on `&str` and fail with [`PErr`], which remembers where it
//! failed (as the remaining input) and what was wrong. Recoverable errors
//! (`nom::Err::Error`) let `alt` try the next branch; a failure after a
//! committed prefix (`nom::Err::Failure`, from `cut` or [`fail`]) stops
//! the parse with a precise message.

use jiff::civil::DateTime;
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while_m_n};
use nom::character::complete::{alpha1, char, digit1, one_of, space0, space1};
use nom::combinator::{cut, opt, peek, value};
use nom::error::{ContextError, ErrorKind as NomKind, ParseError};
use nom::sequence::preceded;
use nom::{IResult, Parser};

use crate::ErrorKind;

/// A parse failure: where (the remaining input) and what.
#[derive(Debug)]
pub(crate) struct PErr<'a> {
    pub(crate) at: &'a str,
    pub(crate) problem: Problem,
}

/// What a parser found wrong.
#[derive(Debug)]
pub(crate) enum Problem {
    /// An error from inside nom, replaced by the nearest `context`.
    Generic,
    /// A specific error.
    Kind(ErrorKind),
}

impl<'a> ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(at: &'a str, _: NomKind) -> Self {
        PErr {
            at,
            problem: Problem::Generic,
        }
    }

    fn append(_: &'a str, _: NomKind, other: Self) -> Self {
        other
    }

    /// Of two failed branches, keep the specific error over the generic one,
    /// then the one that got further.
    fn or(self, other: Self) -> Self {
        match (&self.problem, &other.problem) {
            (Problem::Kind(_), Problem::Generic) => self,
            (Problem::Generic, Problem::Kind(_)) => other,
            _ if other.at.len() < self.at.len() => other,
            _ => self,
        }
    }
}

impl<'a> ContextError<&'a str> for PErr<'a> {
    /// A generic error inside a context becomes "expected <context>" at the
    /// context's start.
    fn add_context(at: &'a str, context: &'static str, other: Self) -> Self {
        match other.problem {
            Problem::Generic => PErr {
                at,
                problem: Problem::Kind(ErrorKind::Expected(context)),
            },
            Problem::Kind(_) => other,
        }
    }
}

pub(crate) type PResult<'a, T> = IResult<&'a str, T, PErr<'a>>;

/// Stops the parse at `at` with `kind`.
fn fail<T>(at: &str, kind: ErrorKind) -> PResult<'_, T> {
    Err(nom::Err::Failure(PErr {
        at,
        problem: Problem::Kind(kind),
    }))
}

/// A recoverable error at `at` saying what was expected.
fn expected<'a, T>(at: &'a str, what: &'static str) -> PResult<'a, T> {
    Err(nom::Err::Error(PErr {
        at,
        problem: Problem::Kind(ErrorKind::Expected(what)),
    }))
}

// ---------------------------------------------------------------- amounts

/// A non-negative decimal amount: whole part and fraction in billionths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Amount {
    pub(crate) whole: u64,
    /// The fraction, in units of 10⁻⁹ (digits past the ninth are dropped).
    pub(crate) nanos: u32,
}

/// The digits after a decimal point as billionths, truncated past the
/// ninth (`"25"` → 250 000 000).
fn fraction_nanos(digits: &str) -> u32 {
    digits
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
}

/// `number = digit+ ["." digit+]` (ASCII digits only).
fn number(i: &str) -> PResult<'_, Amount> {
    let (rest, whole) = digit1(i)?;
    let (rest, fraction) = opt(preceded(char('.'), digit1)).parse(rest)?;
    let Ok(whole) = whole.parse::<u64>() else {
        return fail(i, ErrorKind::Overflow);
    };
    let nanos = fraction.map_or(0, fraction_nanos);
    Ok((rest, Amount { whole, nanos }))
}

/// `article = ("an" | "a") followed by whitespace`, meaning one.
fn article(i: &str) -> PResult<'_, Amount> {
    let (rest, _) = alt((tag_no_case("an"), tag_no_case("a"))).parse(i)?;
    let (rest, _) = peek(space1).parse(rest)?;
    Ok((rest, Amount { whole: 1, nanos: 0 }))
}

/// `amount = number | article`.
fn amount(i: &str) -> PResult<'_, Amount> {
    alt((number, article)).parse(i)
}

// ------------------------------------------------------------------ units

/// A unit of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// `ms`, `millisecond(s)`.
    Millisecond,
    /// `s`, `sec(s)`, `second(s)`.
    Second,
    /// `m`, `min(s)`, `minute(s)`.
    Minute,
    /// `h`, `hr(s)`, `hour(s)`.
    Hour,
    /// `d`, `day(s)`: 24 hours (days are computed in UTC).
    Day,
    /// `w`, `wk(s)`, `week(s)`: 7 days.
    Week,
    /// `mo`, `month(s)`: a calendar month.
    Month,
    /// `y`, `yr(s)`, `year(s)`: a calendar year.
    Year,
}

impl Unit {
    /// Every unit, with every name it goes by.
    pub(crate) const NAMES: [(Unit, &'static [&'static str]); 8] = [
        (Unit::Millisecond, &["ms", "millisecond", "milliseconds"]),
        (Unit::Second, &["s", "sec", "secs", "second", "seconds"]),
        (Unit::Minute, &["m", "min", "mins", "minute", "minutes"]),
        (Unit::Hour, &["h", "hr", "hrs", "hour", "hours"]),
        (Unit::Day, &["d", "day", "days"]),
        (Unit::Week, &["w", "wk", "wks", "week", "weeks"]),
        (Unit::Month, &["mo", "month", "months"]),
        (Unit::Year, &["y", "yr", "yrs", "year", "years"]),
    ];

    /// The unit's length in nanoseconds, or `None` for months and years.
    pub(crate) fn nanos(self) -> Option<i128> {
        const S: i128 = 1_000_000_000;
        Some(match self {
            Unit::Millisecond => 1_000_000,
            Unit::Second => S,
            Unit::Minute => 60 * S,
            Unit::Hour => 3_600 * S,
            Unit::Day => 86_400 * S,
            Unit::Week => 604_800 * S,
            Unit::Month | Unit::Year => return None,
        })
    }

    fn from_name(word: &str) -> Option<Unit> {
        Self::NAMES.iter().find_map(|(unit, names)| {
            names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(word))
                .then_some(*unit)
        })
    }
}

/// `unit = a word of Unit::NAMES`, case-insensitive, but never `M`.
fn unit(i: &str) -> PResult<'_, Unit> {
    let Ok((rest, word)) = alpha1::<_, PErr<'_>>(i) else {
        return expected(i, "a unit (ms, s, m, h, d, w, mo, y)");
    };
    if word == "M" {
        return fail(i, ErrorKind::AmbiguousUnit);
    }
    match Unit::from_name(word) {
        Some(unit) => Ok((rest, unit)),
        None => fail(i, ErrorKind::UnknownUnit(word.to_owned())),
    }
}

// -------------------------------------------------------------- durations

/// A parsed duration: calendar months and exact nanoseconds, both
/// non-negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Dur<'a> {
    pub(crate) months: i64,
    pub(crate) nanos: i128,
    /// Where the first month or year term starts, if any.
    pub(crate) calendar_at: Option<&'a str>,
}

impl<'a> Dur<'a> {
    fn of(at: &'a str, amount: Amount, unit: Unit) -> Result<Self, ErrorKind> {
        if let Some(unit_nanos) = unit.nanos() {
            let nanos = i128::from(amount.whole) * unit_nanos
                + i128::from(amount.nanos) * unit_nanos / 1_000_000_000;
            return Ok(Dur {
                nanos,
                ..Dur::default()
            });
        }
        if amount.nanos != 0 {
            return Err(ErrorKind::FractionalCalendarUnit);
        }
        let per = if unit == Unit::Year { 12 } else { 1 };
        let months = i64::try_from(amount.whole)
            .ok()
            .and_then(|w| w.checked_mul(per))
            .ok_or(ErrorKind::Overflow)?;
        Ok(Dur {
            months,
            nanos: 0,
            calendar_at: Some(at),
        })
    }

    fn plus(self, other: Dur<'a>) -> Option<Self> {
        Some(Dur {
            months: self.months.checked_add(other.months)?,
            nanos: self.nanos.checked_add(other.nanos)?,
            calendar_at: self.calendar_at.or(other.calendar_at),
        })
    }
}

/// `term = amount space* unit`.
fn term(i: &str) -> PResult<'_, Dur<'_>> {
    let (rest, amount) = amount(i)?;
    let (rest, _) = space0(rest)?;
    let (rest, unit) = unit(rest)?;
    match Dur::of(i, amount, unit) {
        Ok(dur) => Ok((rest, dur)),
        Err(kind) => fail(i, kind),
    }
}

/// `separator = space* ["," space*] ["and" space+]`, possibly empty
/// (`1h30m`).
fn separator(i: &str) -> PResult<'_, ()> {
    let (rest, _) = space0(i)?;
    let (rest, _) = opt((char(','), space0)).parse(rest)?;
    let (rest, _) = opt((tag_no_case("and"), space1)).parse(rest)?;
    Ok((rest, ()))
}

/// `duration = term (separator term)*`.
pub(crate) fn duration(i: &str) -> PResult<'_, Dur<'_>> {
    let (mut rest, mut total) = term(i)?;
    loop {
        match preceded(separator, term).parse(rest) {
            Ok((next, dur)) => {
                let Some(sum) = total.plus(dur) else {
                    return fail(rest, ErrorKind::Overflow);
                };
                total = sum;
                rest = next;
            }
            Err(nom::Err::Error(_)) => return Ok((rest, total)),
            Err(e) => return Err(e),
        }
    }
}

// ------------------------------------------------------------ expressions

/// A parsed time expression, not yet evaluated against "now".
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Expr<'a> {
    /// Now plus (`sign` 1) or minus (`sign` -1) a duration.
    Relative { sign: i8, dur: Dur<'a> },
    /// A civil date-time, with a UTC offset in seconds or in the local zone.
    DateTime {
        at: DateTime,
        offset_seconds: Option<i32>,
    },
    /// Unix seconds and nanoseconds.
    Epoch { seconds: i64, nanos: i32 },
}

const NOW: Expr<'static> = Expr::Relative {
    sign: 1,
    dur: Dur {
        months: 0,
        nanos: 0,
        calendar_at: None,
    },
};

const DAY_NANOS: i128 = 86_400_000_000_000;

/// `keyword = "now" | "today" | "yesterday" | "tomorrow"`.
fn keyword(i: &str) -> PResult<'_, Expr<'_>> {
    let day = |sign| Expr::Relative {
        sign,
        dur: Dur {
            nanos: DAY_NANOS,
            ..Dur::default()
        },
    };
    alt((
        value(NOW, tag_no_case("now")),
        value(NOW, tag_no_case("today")),
        value(day(-1), tag_no_case("yesterday")),
        value(day(1), tag_no_case("tomorrow")),
    ))
    .parse(i)
}

/// `sign = "-" | "+"`, as -1 or 1.
fn sign(i: &str) -> PResult<'_, i8> {
    alt((value(-1, char('-')), value(1, char('+')))).parse(i)
}

const DURATION: &str = "a duration such as 5m, 1h30m or 2 days";

/// `grafana = "now" space* sign space* duration` (`now-5m`).
fn grafana(i: &str) -> PResult<'_, Expr<'_>> {
    let (rest, (_, _, sign, _)) = (tag_no_case("now"), space0, sign, space0).parse(i)?;
    let (rest, dur) = cut(nom::error::context(DURATION, duration)).parse(rest)?;
    Ok((rest, Expr::Relative { sign, dur }))
}

/// `signed = sign space* duration` (`-5m`).
fn signed(i: &str) -> PResult<'_, Expr<'_>> {
    let (rest, sign) = sign(i)?;
    let (rest, _) = space0(rest)?;
    let (rest, dur) = cut(nom::error::context(DURATION, duration)).parse(rest)?;
    Ok((rest, Expr::Relative { sign, dur }))
}

/// `in = "in" space+ duration`.
fn in_future(i: &str) -> PResult<'_, Expr<'_>> {
    let (rest, _) = (tag_no_case("in"), space1).parse(i)?;
    let (rest, dur) = cut(nom::error::context(DURATION, duration)).parse(rest)?;
    Ok((rest, Expr::Relative { sign: 1, dur }))
}

/// `relative = duration [space+ "ago" | space+ "from" space+ "now"]`; a bare
/// duration means that long ago.
fn relative(i: &str) -> PResult<'_, Expr<'_>> {
    let (rest, dur) = duration(i)?;
    let (rest, sign) = opt(alt((
        value(-1, (space1, tag_no_case("ago"))),
        value(1, (space1, tag_no_case("from"), space1, tag_no_case("now"))),
    )))
    .parse(rest)?;
    let sign = sign.unwrap_or(-1);
    Ok((rest, Expr::Relative { sign, dur }))
}

/// Exactly `n` ASCII digits, as a number.
fn digits(n: usize) -> impl Fn(&str) -> PResult<'_, u32> {
    move |i| {
        let (rest, d) = take_while_m_n(n, n, |c: char| c.is_ascii_digit()).parse(i)?;
        Ok((rest, d.bytes().fold(0, |v, b| v * 10 + u32::from(b - b'0'))))
    }
}

/// The time of day: `HH ":" MM [":" SS ["." digit+]]`, as (h, m, s, ns).
fn time_of_day(i: &str) -> PResult<'_, (u32, u32, u32, u32)> {
    let (rest, (h, _, m)) = (digits(2), char(':'), digits(2)).parse(i)?;
    let (rest, seconds) = opt(preceded(
        char(':'),
        (digits(2), opt(preceded(char('.'), digit1))),
    ))
    .parse(rest)?;
    let (s, ns) = match seconds {
        None => (0, 0),
        Some((s, fraction)) => {
            let ns = fraction.map_or(0, fraction_nanos);
            (s, ns)
        }
    };
    Ok((rest, (h, m, s, ns)))
}

/// `zone = "Z" | sign HH [":"] MM`, as seconds east of UTC.
fn zone(i: &str) -> PResult<'_, i32> {
    alt((value(0, tag_no_case("z")), |i| {
        let (rest, (sign, h, _, m)) =
            (one_of("+-"), digits(2), opt(char(':')), digits(2)).parse(i)?;
        if h > 23 || m > 59 {
            return fail(i, ErrorKind::InvalidDate("offset out of range".into()));
        }
        let seconds = i32::try_from(h * 3600 + m * 60).unwrap_or(0);
        Ok((rest, if sign == '-' { -seconds } else { seconds }))
    }))
    .parse(i)
}

/// `datetime = YYYY "-" MM "-" DD [("T" | " ") time [zone]]`.
fn datetime(i: &str) -> PResult<'_, Expr<'_>> {
    let (rest, (year, _)) = (digits(4), char('-')).parse(i)?;
    // Four digits and a dash: this is a date, or an error.
    let (rest, (month, _, day)) = cut(nom::error::context(
        "a date as YYYY-MM-DD",
        (digits(2), char('-'), digits(2)),
    ))
    .parse(rest)?;
    let separator = alt((tag_no_case("t"), (tag(" "), peek(digit1)).map(|(s, _)| s)));
    let (rest, time) = opt(preceded(
        separator,
        cut(nom::error::context(
            "a time as HH:MM[:SS[.fff]]",
            time_of_day,
        )),
    ))
    .parse(rest)?;
    let (rest, offset_seconds) = match time {
        Some(_) => opt(zone).parse(rest)?,
        None => (rest, None),
    };
    let (h, m, s, ns) = time.unwrap_or_default();
    let small = |v: u32| i8::try_from(v).unwrap_or(i8::MAX);
    let at = DateTime::new(
        i16::try_from(year).unwrap_or(i16::MAX),
        small(month),
        small(day),
        small(h),
        small(m),
        small(s),
        i32::try_from(ns).unwrap_or(0),
    );
    match at {
        Ok(at) => Ok((rest, Expr::DateTime { at, offset_seconds })),
        Err(e) => fail(i, ErrorKind::InvalidDate(e.to_string())),
    }
}

/// `epoch = digit+ ["." digit+]`: unix seconds.
fn epoch(i: &str) -> PResult<'_, Expr<'_>> {
    let (rest, amount) = number(i)?;
    match i64::try_from(amount.whole) {
        Ok(seconds) => Ok((
            rest,
            Expr::Epoch {
                seconds,
                nanos: i32::try_from(amount.nanos).unwrap_or(0),
            },
        )),
        Err(_) => fail(i, ErrorKind::OutOfRange),
    }
}

pub(crate) const TIME_EXPRESSION: &str = "a time expression (now, today, yesterday, \
     tomorrow, '5 minutes ago', 'in 1h', 'now-5m', '-5m', RFC 3339, YYYY-MM-DD or \
     unix seconds)";

/// `expression = grafana | keyword | in | datetime | relative | signed | epoch`.
pub(crate) fn expression(i: &str) -> PResult<'_, Expr<'_>> {
    nom::error::context(
        TIME_EXPRESSION,
        alt((
            grafana, keyword, in_future, datetime, relative, signed, epoch,
        )),
    )
    .parse(i)
}

/// `fixed = duration | number` (a bare number is seconds).
pub(crate) fn fixed_duration(i: &str) -> PResult<'_, Dur<'_>> {
    let seconds = |i| {
        let (rest, amount) = number(i)?;
        Ok((rest, Dur::of(i, amount, Unit::Second).unwrap_or_default()))
    };
    nom::error::context(DURATION, alt((duration, seconds))).parse(i)
}
