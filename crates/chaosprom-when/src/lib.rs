//! Strict parsing of the time expressions people write in chaos
//! experiments (`"2 minutes ago"`, `"now-1h"`, `"2026-11-25T10:00:00Z"`)
//! and of durations (`"30s"`, `"1h30m"`), into [`jiff`] values.
//!
//! The Python Chaos Toolkit hands these strings to a natural-language date
//! parser that accepts nearly anything, silently (`"ago"` is read as
//! August). This crate accepts the forms below, case-insensitively, with
//! surrounding ASCII whitespace ignored, and rejects everything else with an
//! [`Error`] whose message reads `failed to parse '<input>': expected …
//! at byte N`. It never panics, whatever the input.
//!
//! ```
//! use jiff::{Timestamp, tz::TimeZone};
//!
//! let now = "2026-03-31T12:00:00Z".parse::<Timestamp>()?.to_zoned(TimeZone::UTC);
//! let at = |s| chaosprom_when::parse_time_at(s, &now).map(|t| t.to_string());
//!
//! assert_eq!(at("2 minutes ago")?, "2026-03-31T11:58:00Z");
//! assert_eq!(at("now-1h30m")?, "2026-03-31T10:30:00Z");
//! assert_eq!(at("in an hour")?, "2026-03-31T13:00:00Z");
//! assert_eq!(at("1 month ago")?, "2026-02-28T12:00:00Z");
//! assert_eq!(at("1764072000.5")?, "2025-11-25T12:00:00.5Z");
//! assert!(at("right now").is_err());
//!
//! let step = chaosprom_when::parse_duration("1m30s")?;
//! assert_eq!(step.as_secs(), 90);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Grammar
//!
//! ```text
//! expression = grafana | keyword | in | datetime | relative | signed | epoch ;
//! keyword    = "now" | "today" | "yesterday" | "tomorrow" ;  (* today = now, ±24 h *)
//! grafana    = "now" , sp* , sign , sp* , duration ;         (* now-5m, now + 1h *)
//! in         = "in" , sp+ , duration ;                       (* in 5 minutes *)
//! relative   = duration , [ sp+ , "ago" | sp+ , "from" , sp+ , "now" ] ;
//!                                       (* no suffix: that long ago, like Python *)
//! signed     = sign , sp* , duration ;                       (* -5m, +1h *)
//! duration   = term , { separator , term } ;                 (* 1h30m, 2 days, 3 hours *)
//! separator  = sp* , [ "," , sp* ] , [ "and" , sp+ ] ;
//! term       = amount , sp* , unit ;
//! amount     = digit+ , [ "." , digit+ ] | "a" | "an" ;     (* "a"/"an" before a space *)
//! unit       = "ms" | "millisecond" | "milliseconds"
//!            | "s" | "sec" | "secs" | "second" | "seconds"
//!            | "m" | "min" | "mins" | "minute" | "minutes"
//!            | "h" | "hr" | "hrs" | "hour" | "hours"
//!            | "d" | "day" | "days"
//!            | "w" | "wk" | "wks" | "week" | "weeks"
//!            | "mo" | "month" | "months"
//!            | "y" | "yr" | "yrs" | "year" | "years" ;     (* never "M" *)
//! datetime   = date , [ ( "T" | " " ) , time , [ zone ] ] ;
//! date       = digit4 , "-" , digit2 , "-" , digit2 ;
//! time       = digit2 , ":" , digit2 , [ ":" , digit2 , [ "." , digit+ ] ] ;
//! zone       = "Z" | sign , digit2 , [ ":" ] , digit2 ;
//! epoch      = digit+ , [ "." , digit+ ] ;                   (* unix seconds *)
//! sign       = "+" | "-" ;
//! sp         = " " | "\t" ;
//! digit      = "0" … "9" ;                                   (* ASCII only *)
//! ```
//!
//! Words are case-insensitive, except that the unit `M` is rejected as
//! ambiguous between minutes (`m`) and months (`mo`).
//!
//! # Meaning
//!
//! - Milliseconds to weeks are fixed lengths and may be fractional
//!   (`1.5 hours ago`); a day is 24 hours, a week 7 days.
//! - Months and years are calendar units, whole numbers only, computed on a
//!   UTC [`jiff::Zoned`], clamping to the end of a shorter month: one month
//!   before 2026-03-31 is 2026-02-28. In a compound, months and years apply
//!   first, then the fixed part.
//! - A date or date-time without a zone is read in the time zone of "now"
//!   (for [`parse_time`], the machine's zone, which honours `TZ`), as the
//!   Python extension does; with `Z` or an offset it is exact.
//! - The resulting instant must lie within the years 0000 to 9999, which is
//!   what RFC 3339 can express, both ends included (`9999-12-31T23:59:59Z`
//!   is the last whole second); anything else is an
//!   [`ErrorKind::OutOfRange`]. Instants are [`Instant`]s, since a
//!   `jiff::Timestamp` stops 26 hours before the end of year 9999.
//!
//! # Durations
//!
//! [`parse_duration`] takes the `duration` rule above or a bare number of
//! seconds (`"30"`, `"2.5"`), without sign or suffix. Months and years are
//! rejected there, since a window or a step needs a fixed length.
//!
//! # What it does not do
//!
//! No natural-language guessing (`"last tuesday"`, `"noon"`), no time zone
//! names in the input, no leap seconds.

mod error;
mod grammar;
mod instant;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp, Zoned};
use nom::Parser;

pub use error::{Error, ErrorKind};
pub use instant::Instant;

/// The README's examples, run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;

use grammar::{Dur, Expr, PErr, Problem};

/// Parses a time expression relative to the current time, reading dates
/// without a zone in the machine's time zone.
///
/// ```
/// let t = chaosprom_when::parse_time("5 minutes ago")?;
/// assert!(t < chaosprom_when::Instant::now());
/// # Ok::<(), chaosprom_when::Error>(())
/// ```
pub fn parse_time(input: &str) -> Result<Instant, Error> {
    parse_time_from(input, Timestamp::now(), local_zone)
}

/// Parses a time expression relative to `now`; only a date without a zone
/// asks `zone` for the time zone to read it in, so that relative
/// expressions cost no time-zone lookup.
///
/// ```
/// use jiff::{Timestamp, tz::TimeZone};
///
/// let now = Timestamp::from_second(1_764_072_000)?;
/// let t = chaosprom_when::parse_time_from("5m ago", now, || unreachable!())?;
/// assert_eq!(t.as_second(), 1_764_072_000 - 300);
/// let t = chaosprom_when::parse_time_from("2026-01-01", now, || TimeZone::UTC)?;
/// assert_eq!(t.to_string(), "2026-01-01T00:00:00Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_time_from(
    input: &str,
    now: Timestamp,
    zone: impl FnOnce() -> TimeZone,
) -> Result<Instant, Error> {
    let (start, text) = trim(input);
    let expr = complete(input, start, text, grammar::expression.parse(text))?;
    evaluate(expr, now, zone).map_err(|kind| Error::new(input, start, kind))
}

/// The machine's time zone: `TZ` when set, else `/etc/localtime` read
/// directly (jiff's system lookup would list the whole zoneinfo database
/// to name it, about a millisecond at every start), else jiff's answer.
///
/// A zone that cannot be read is UTC, as jiff and the C library read it.
/// That includes a file that is not a regular file of at most
/// [`MAX_ZONE_FILE`] bytes, which is never read (`TZ=/dev/zero` would be
/// read without end, and a FIFO would block for ever).
pub fn local_zone() -> TimeZone {
    let Some(tz) = std::env::var_os("TZ") else {
        let path = std::path::Path::new("/etc/localtime");
        return match zone_file(path) {
            ZoneFile::Absent => TimeZone::system(),
            ZoneFile::Unfit => TimeZone::UTC,
            ZoneFile::Fit => match std::fs::read(path) {
                Ok(bytes) => TimeZone::tzif("Local", &bytes).unwrap_or_else(|_| TimeZone::system()),
                Err(_) => TimeZone::system(),
            },
        };
    };
    // jiff reads `TZ` as a POSIX rule, or a zone name (also after a
    // `zoneinfo/` in a path), and else as a file: only a file it would
    // read is checked here.
    let value = tz.to_string_lossy();
    let value = value.strip_prefix(':').unwrap_or(&value);
    if matches!(zone_file(std::path::Path::new(value)), ZoneFile::Unfit) {
        let name = value
            .rfind("zoneinfo/")
            .map_or(value, |at| &value[at + 9..]);
        let known = |name: &str| jiff::tz::db().get(name).is_ok();
        if !known(value) && !known(name) {
            return TimeZone::UTC;
        }
    }
    TimeZone::system()
}

/// The largest time-zone file [`local_zone`] reads: the largest TZif file
/// of the time-zone database is a few kilobytes.
pub const MAX_ZONE_FILE: u64 = 1 << 20;

enum ZoneFile {
    Absent,
    /// Not a regular file, or too large.
    Unfit,
    Fit,
}

fn zone_file(path: &std::path::Path) -> ZoneFile {
    match std::fs::metadata(path) {
        Err(_) => ZoneFile::Absent,
        Ok(m) if m.is_file() && m.len() <= MAX_ZONE_FILE => ZoneFile::Fit,
        Ok(_) => ZoneFile::Unfit,
    }
}

/// Parses a time expression relative to `now`; dates without a zone are read
/// in `now`'s time zone.
///
/// ```
/// use jiff::{Timestamp, tz::TimeZone};
///
/// let now = Timestamp::from_second(1_764_072_000)?.to_zoned(TimeZone::UTC);
/// let t = chaosprom_when::parse_time_at("in 1 day", &now)?;
/// assert_eq!(t.as_second(), 1_764_072_000 + 86_400);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_time_at(input: &str, now: &Zoned) -> Result<Instant, Error> {
    parse_time_from(input, now.timestamp(), || now.time_zone().clone())
}

/// Parses a duration: `"30s"`, `"1h30m"`, `"2 days"`, `"1.5h"`, or a bare
/// number of seconds (`"15"`, `"0.5"`). Months and years are rejected.
///
/// ```
/// let d = chaosprom_when::parse_duration("1h 30m")?;
/// assert_eq!(d, jiff::SignedDuration::from_mins(90));
/// assert!(chaosprom_when::parse_duration("1mo").is_err());
/// # Ok::<(), chaosprom_when::Error>(())
/// ```
pub fn parse_duration(input: &str) -> Result<SignedDuration, Error> {
    let (start, text) = trim(input);
    let dur = complete(input, start, text, grammar::fixed_duration.parse(text))?;
    if let Some(at) = dur.calendar_at {
        let offset = start + text.len() - at.len();
        return Err(Error::new(input, offset, ErrorKind::CalendarUnitInDuration));
    }
    to_signed_duration(dur.nanos).ok_or_else(|| Error::new(input, start, ErrorKind::Overflow))
}

/// Formats an instant the way Prometheus accepts it: RFC 3339 in UTC, with
/// as many fractional digits as it has (none for whole seconds); the same
/// as `t.to_string()`.
///
/// ```
/// let t = chaosprom_when::Instant::new(1_704_157_445, 600_000_000).unwrap();
/// assert_eq!(chaosprom_when::format_time(t), "2024-01-02T01:04:05.6Z");
/// ```
pub fn format_time(t: Instant) -> String {
    t.to_string()
}

/// Splits off surrounding ASCII whitespace: the offset of what is left, and
/// what is left.
fn trim(input: &str) -> (usize, &str) {
    let text = input.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let start = input.len() - text.len();
    (
        start,
        text.trim_end_matches(|c: char| c.is_ascii_whitespace()),
    )
}

/// Turns a parser's answer into a value that used the whole text, or an
/// [`Error`] positioned in `input`.
fn complete<'a, T>(
    input: &str,
    start: usize,
    text: &str,
    result: nom::IResult<&'a str, T, PErr<'a>>,
) -> Result<T, Error> {
    let position = |rest: &str| start + text.len() - rest.len();
    match result {
        Ok(("", value)) => Ok(value),
        Ok((rest, _)) => {
            let offset = position(rest.trim_start_matches([' ', '\t']));
            Err(Error::new(
                input,
                offset,
                ErrorKind::Expected("the end of input"),
            ))
        }
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
            let kind = match e.problem {
                Problem::Kind(kind) => kind,
                Problem::Generic => ErrorKind::Expected(grammar::TIME_EXPRESSION),
            };
            Err(Error::new(input, position(e.at), kind))
        }
        Err(nom::Err::Incomplete(_)) => Err(Error::new(
            input,
            input.len(),
            ErrorKind::Expected(grammar::TIME_EXPRESSION),
        )),
    }
}

/// Computes the instant an expression names. The arithmetic runs on UTC
/// civil date-times, which reach the last instant of year 9999 (a
/// `Timestamp` stops 26 hours short of it).
fn evaluate(
    expr: Expr<'_>,
    now: Timestamp,
    zone: impl FnOnce() -> TimeZone,
) -> Result<Instant, ErrorKind> {
    let t = match expr {
        Expr::Relative { sign, dur } => {
            let now = Instant::from_timestamp(now).ok_or(ErrorKind::OutOfRange)?;
            shift(now, i64::from(sign), dur)?
        }
        Expr::DateTime {
            at,
            offset_seconds: Some(seconds),
        } => at
            .checked_sub(SignedDuration::from_secs(i64::from(seconds)))
            .ok()
            .and_then(Instant::from_datetime)
            .ok_or(ErrorKind::OutOfRange)?,
        Expr::DateTime {
            at,
            offset_seconds: None,
        } => in_zone(at, &zone())?,
        Expr::Epoch { seconds, nanos } => {
            Instant::new(seconds, nanos).ok_or(ErrorKind::OutOfRange)?
        }
    };
    Ok(t)
}

/// A civil date-time read in `zone`: the earlier instant when a clock
/// change makes it ambiguous, the later offset across a gap, as jiff's
/// `to_zoned` does. Past jiff's last timestamp, the zone's last offset.
fn in_zone(at: DateTime, zone: &TimeZone) -> Result<Instant, ErrorKind> {
    if let Ok(zoned) = at.to_zoned(zone.clone()) {
        return Instant::from_timestamp(zoned.timestamp()).ok_or(ErrorKind::OutOfRange);
    }
    let offset = zone.to_offset(Timestamp::MAX);
    at.checked_sub(offset.duration_since(Offset::UTC))
        .ok()
        .and_then(Instant::from_datetime)
        .ok_or(ErrorKind::OutOfRange)
}

/// Moves `t` by `sign` × the duration: months in UTC first, then the rest.
fn shift(t: Instant, sign: i64, dur: Dur<'_>) -> Result<Instant, ErrorKind> {
    let t = if dur.months == 0 {
        t
    } else {
        let months = Span::new()
            .try_months(sign * dur.months)
            .map_err(|_| ErrorKind::OutOfRange)?;
        t.to_datetime()
            .checked_add(months)
            .ok()
            .and_then(Instant::from_datetime)
            .ok_or(ErrorKind::OutOfRange)?
    };
    let nanos = to_signed_duration(dur.nanos).ok_or(ErrorKind::OutOfRange)?;
    let moved = if sign < 0 {
        t.checked_sub(nanos)
    } else {
        t.checked_add(nanos)
    };
    moved.ok_or(ErrorKind::OutOfRange)
}

/// A non-negative number of nanoseconds as a duration, if it fits.
fn to_signed_duration(nanos: i128) -> Option<SignedDuration> {
    let seconds = i64::try_from(nanos / 1_000_000_000).ok()?;
    let subsec = i32::try_from(nanos % 1_000_000_000).ok()?;
    Some(SignedDuration::new(seconds, subsec))
}
