//! Every form of the grammar, accepted with the expected instant or rejected
//! with the expected message. "Now" is 2026-03-31T12:00:00Z, in UTC.

use chaosprom_when::{ErrorKind, parse_duration, parse_time_at};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, Zoned};

const NOW: &str = "2026-03-31T12:00:00Z";

fn now_in(tz: TimeZone) -> Zoned {
    NOW.parse::<Timestamp>().unwrap().to_zoned(tz)
}

/// (input, expected instant in RFC 3339)
const ACCEPTED: &[(&str, &str)] = &[
    // keywords
    ("now", "2026-03-31T12:00:00Z"),
    ("NOW", "2026-03-31T12:00:00Z"),
    ("Now", "2026-03-31T12:00:00Z"),
    ("  now  ", "2026-03-31T12:00:00Z"),
    ("\tnow\n", "2026-03-31T12:00:00Z"),
    ("today", "2026-03-31T12:00:00Z"),
    ("Today", "2026-03-31T12:00:00Z"),
    ("yesterday", "2026-03-30T12:00:00Z"),
    ("YESTERDAY", "2026-03-30T12:00:00Z"),
    ("tomorrow", "2026-04-01T12:00:00Z"),
    ("ToMoRrOw", "2026-04-01T12:00:00Z"),
    // every unit name, "<n> <unit> ago"
    ("2 ms ago", "2026-03-31T11:59:59.998Z"),
    ("2 millisecond ago", "2026-03-31T11:59:59.998Z"),
    ("2 milliseconds ago", "2026-03-31T11:59:59.998Z"),
    ("2 s ago", "2026-03-31T11:59:58Z"),
    ("2 sec ago", "2026-03-31T11:59:58Z"),
    ("2 secs ago", "2026-03-31T11:59:58Z"),
    ("2 second ago", "2026-03-31T11:59:58Z"),
    ("2 seconds ago", "2026-03-31T11:59:58Z"),
    ("2 m ago", "2026-03-31T11:58:00Z"),
    ("2 min ago", "2026-03-31T11:58:00Z"),
    ("2 mins ago", "2026-03-31T11:58:00Z"),
    ("2 minute ago", "2026-03-31T11:58:00Z"),
    ("2 minutes ago", "2026-03-31T11:58:00Z"),
    ("2 h ago", "2026-03-31T10:00:00Z"),
    ("2 hr ago", "2026-03-31T10:00:00Z"),
    ("2 hrs ago", "2026-03-31T10:00:00Z"),
    ("2 hour ago", "2026-03-31T10:00:00Z"),
    ("2 hours ago", "2026-03-31T10:00:00Z"),
    ("2 d ago", "2026-03-29T12:00:00Z"),
    ("2 day ago", "2026-03-29T12:00:00Z"),
    ("2 days ago", "2026-03-29T12:00:00Z"),
    ("2 w ago", "2026-03-17T12:00:00Z"),
    ("2 wk ago", "2026-03-17T12:00:00Z"),
    ("2 wks ago", "2026-03-17T12:00:00Z"),
    ("2 week ago", "2026-03-17T12:00:00Z"),
    ("2 weeks ago", "2026-03-17T12:00:00Z"),
    ("2 mo ago", "2026-01-31T12:00:00Z"),
    ("2 month ago", "2026-01-31T12:00:00Z"),
    ("2 months ago", "2026-01-31T12:00:00Z"),
    ("2 y ago", "2024-03-31T12:00:00Z"),
    ("2 yr ago", "2024-03-31T12:00:00Z"),
    ("2 yrs ago", "2024-03-31T12:00:00Z"),
    ("2 year ago", "2024-03-31T12:00:00Z"),
    ("2 years ago", "2024-03-31T12:00:00Z"),
    // no space between amount and unit
    ("2ms ago", "2026-03-31T11:59:59.998Z"),
    ("2s ago", "2026-03-31T11:59:58Z"),
    ("2m ago", "2026-03-31T11:58:00Z"),
    ("5m ago", "2026-03-31T11:55:00Z"),
    ("5 m ago", "2026-03-31T11:55:00Z"),
    ("2h ago", "2026-03-31T10:00:00Z"),
    ("2d ago", "2026-03-29T12:00:00Z"),
    ("2w ago", "2026-03-17T12:00:00Z"),
    ("2mo ago", "2026-01-31T12:00:00Z"),
    ("2y ago", "2024-03-31T12:00:00Z"),
    ("2minutes ago", "2026-03-31T11:58:00Z"),
    // case and spacing
    ("2 MINUTES AGO", "2026-03-31T11:58:00Z"),
    ("2 Minutes Ago", "2026-03-31T11:58:00Z"),
    ("2MIN ago", "2026-03-31T11:58:00Z"),
    ("2 MS ago", "2026-03-31T11:59:59.998Z"),
    ("2 Mo ago", "2026-01-31T12:00:00Z"),
    ("5 minutes  ago", "2026-03-31T11:55:00Z"),
    ("5\tminutes\tago", "2026-03-31T11:55:00Z"),
    // in …
    ("in 2 ms", "2026-03-31T12:00:00.002Z"),
    ("in 5 minutes", "2026-03-31T12:05:00Z"),
    ("in 1h", "2026-03-31T13:00:00Z"),
    ("in 2 days", "2026-04-02T12:00:00Z"),
    ("in 1 week", "2026-04-07T12:00:00Z"),
    ("in 1 month", "2026-04-30T12:00:00Z"),
    ("in 1 year", "2027-03-31T12:00:00Z"),
    ("in an hour", "2026-03-31T13:00:00Z"),
    ("IN 5 MINUTES", "2026-03-31T12:05:00Z"),
    ("in  5 minutes", "2026-03-31T12:05:00Z"),
    ("in 1h30m", "2026-03-31T13:30:00Z"),
    // … from now
    ("5 minutes from now", "2026-03-31T12:05:00Z"),
    ("1h from now", "2026-03-31T13:00:00Z"),
    ("2 days from now", "2026-04-02T12:00:00Z"),
    ("1 mo from now", "2026-04-30T12:00:00Z"),
    ("1 week and 1 day from now", "2026-04-08T12:00:00Z"),
    ("5 Minutes From Now", "2026-03-31T12:05:00Z"),
    // amounts
    ("a minute ago", "2026-03-31T11:59:00Z"),
    ("an hour ago", "2026-03-31T11:00:00Z"),
    ("A day ago", "2026-03-30T12:00:00Z"),
    ("An hour ago", "2026-03-31T11:00:00Z"),
    ("a month ago", "2026-02-28T12:00:00Z"),
    ("1.5 hours ago", "2026-03-31T10:30:00Z"),
    ("0.5 s ago", "2026-03-31T11:59:59.5Z"),
    ("2.25 minutes ago", "2026-03-31T11:57:45Z"),
    ("1.5 days ago", "2026-03-30T00:00:00Z"),
    ("0.5 weeks ago", "2026-03-28T00:00:00Z"),
    ("0 seconds ago", "2026-03-31T12:00:00Z"),
    ("0.001 s ago", "2026-03-31T11:59:59.999Z"),
    ("1.5ms ago", "2026-03-31T11:59:59.9985Z"),
    ("1.0000000001 s ago", "2026-03-31T11:59:59Z"),
    ("007 minutes ago", "2026-03-31T11:53:00Z"),
    // compounds
    ("1 hour 30 minutes ago", "2026-03-31T10:30:00Z"),
    ("1h30m ago", "2026-03-31T10:30:00Z"),
    ("1h 30m ago", "2026-03-31T10:30:00Z"),
    ("2 days, 3 hours ago", "2026-03-29T09:00:00Z"),
    ("2 days,3 hours ago", "2026-03-29T09:00:00Z"),
    ("1 hour and 30 minutes ago", "2026-03-31T10:30:00Z"),
    ("1 hour, and 30 minutes ago", "2026-03-31T10:30:00Z"),
    ("1h30m15s ago", "2026-03-31T10:29:45Z"),
    ("1d12h ago", "2026-03-30T00:00:00Z"),
    ("1 month 2 days ago", "2026-02-26T12:00:00Z"),
    ("1y1mo ago", "2025-02-28T12:00:00Z"),
    ("1 hour AND 30 minutes ago", "2026-03-31T10:30:00Z"),
    // Grafana-style
    ("now-5m", "2026-03-31T11:55:00Z"),
    ("now+1h", "2026-03-31T13:00:00Z"),
    ("now - 1h30m", "2026-03-31T10:30:00Z"),
    ("now-5 minutes", "2026-03-31T11:55:00Z"),
    ("NOW-5m", "2026-03-31T11:55:00Z"),
    ("now-1d", "2026-03-30T12:00:00Z"),
    ("now+1w", "2026-04-07T12:00:00Z"),
    ("now-1mo", "2026-02-28T12:00:00Z"),
    ("now-1y", "2025-03-31T12:00:00Z"),
    ("now -5m", "2026-03-31T11:55:00Z"),
    ("now- 5m", "2026-03-31T11:55:00Z"),
    ("now+ 90s", "2026-03-31T12:01:30Z"),
    // signed bare durations
    ("-5m", "2026-03-31T11:55:00Z"),
    ("+1h", "2026-03-31T13:00:00Z"),
    ("- 5m", "2026-03-31T11:55:00Z"),
    ("+ 1 day", "2026-04-01T12:00:00Z"),
    ("-1h30m", "2026-03-31T10:30:00Z"),
    ("+2mo", "2026-05-31T12:00:00Z"),
    // unsigned bare durations: that long ago
    ("5m", "2026-03-31T11:55:00Z"),
    ("1h30m", "2026-03-31T10:30:00Z"),
    ("5 minutes", "2026-03-31T11:55:00Z"),
    ("2 days", "2026-03-29T12:00:00Z"),
    ("1mo", "2026-02-28T12:00:00Z"),
    ("90s", "2026-03-31T11:58:30Z"),
    // RFC 3339 / ISO 8601 with a zone
    ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z"),
    ("2026-01-02T03:04:05.6Z", "2026-01-02T03:04:05.6Z"),
    (
        "2026-01-02T03:04:05.123456789Z",
        "2026-01-02T03:04:05.123456789Z",
    ),
    (
        "2026-01-02T03:04:05.1234567891Z",
        "2026-01-02T03:04:05.123456789Z",
    ),
    ("2026-01-02T03:04:05+02:00", "2026-01-02T01:04:05Z"),
    ("2026-01-02T03:04:05-05:30", "2026-01-02T08:34:05Z"),
    ("2026-01-02T03:04:05+0200", "2026-01-02T01:04:05Z"),
    ("2026-01-02T03:04:05+23:59", "2026-01-01T03:05:05Z"),
    ("2026-01-02t03:04:05z", "2026-01-02T03:04:05Z"),
    ("2026-01-02 03:04:05Z", "2026-01-02T03:04:05Z"),
    ("2026-01-02T03:04Z", "2026-01-02T03:04:00Z"),
    ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
    ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"),
    ("9999-12-30T00:00:00Z", "9999-12-30T00:00:00Z"),
    // the last instants RFC 3339 can write, past jiff's last Timestamp
    ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
    (
        "9999-12-31T23:59:59.999999999Z",
        "9999-12-31T23:59:59.999999999Z",
    ),
    ("9999-12-31T23:59:59", "9999-12-31T23:59:59Z"),
    ("9999-12-31T22:59:59-01:00", "9999-12-31T23:59:59Z"),
    ("253402300799", "9999-12-31T23:59:59Z"),
    ("253402300799.5", "9999-12-31T23:59:59.5Z"),
    ("0000-01-01T01:00:00+01:00", "0000-01-01T00:00:00Z"),
    // without a zone: the zone of "now" (UTC here)
    ("2026-01-02", "2026-01-02T00:00:00Z"),
    ("2026-01-02 03:04", "2026-01-02T03:04:00Z"),
    ("2026-01-02 03:04:05", "2026-01-02T03:04:05Z"),
    ("2026-01-02 03:04:05.250", "2026-01-02T03:04:05.25Z"),
    ("2026-01-02T03:04:05", "2026-01-02T03:04:05Z"),
    ("2026-01-02T03:04", "2026-01-02T03:04:00Z"),
    ("2024-02-29", "2024-02-29T00:00:00Z"),
    ("  2026-01-02  ", "2026-01-02T00:00:00Z"),
    // unix seconds
    ("0", "1970-01-01T00:00:00Z"),
    ("5", "1970-01-01T00:00:05Z"),
    ("1764072000", "2025-11-25T12:00:00Z"),
    ("1764072000.5", "2025-11-25T12:00:00.5Z"),
    ("1764072000.123456789", "2025-11-25T12:00:00.123456789Z"),
    (" 1764072000 ", "2025-11-25T12:00:00Z"),
];

/// (input, what the message must contain after "failed to parse '<input>': ")
const REJECTED: &[(&str, &str)] = &[
    (
        "2 mns ago",
        "unknown unit 'mns', expected one of ms, s, m, h, d, w, mo, y",
    ),
    ("right now", "expected a time expression"),
    ("", "expected a time expression"),
    ("   ", "found the end of input at byte 3"),
    ("ago", "expected a time expression"),
    ("minutes ago", "expected a time expression"),
    (
        "now-5M",
        "ambiguous unit 'M', expected 'm' for minutes or 'mo' for months at byte 5",
    ),
    ("5M ago", "ambiguous unit 'M'"),
    ("5 potatoes ago", "unknown unit 'potatoes'"),
    (
        "in 5 minutes ago",
        "expected the end of input, found 'ago' at byte 13",
    ),
    (
        "now garbage",
        "expected the end of input, found 'garbage' at byte 4",
    ),
    (
        "5 minutes ago please",
        "expected the end of input, found 'please' at byte 14",
    ),
    ("٥ minutes ago", "expected a time expression"),
    ("１ minute ago", "expected a time expression"),
    (
        "99999999999999999999 years ago",
        "the amount is too large at byte 0",
    ),
    (
        "in 9999999999999999999999 s",
        "the amount is too large at byte 3",
    ),
    ("5000 years ago", "outside the years 0000 to 9999"),
    ("in 8000 years", "outside the years 0000 to 9999"),
    ("in 99999999999 years", "outside the years 0000 to 9999"),
    ("3000000 days ago", "outside the years 0000 to 9999"),
    ("253402300800", "outside the years 0000 to 9999"),
    (
        "9999-12-31T23:59:59-00:01",
        "outside the years 0000 to 9999",
    ),
    (
        "0000-01-01T00:59:59+01:00",
        "outside the years 0000 to 9999",
    ),
    (
        "1.5 months ago",
        "expected a whole number of months or years at byte 0",
    ),
    ("0.5 y ago", "expected a whole number of months or years"),
    ("2026-13-01", "invalid date or time"),
    ("2026-02-30T00:00Z", "invalid date or time"),
    ("2026-01-02T25:00Z", "invalid date or time"),
    (
        "2026-01-02T03:04:05+24:00",
        "invalid date or time (offset out of range)",
    ),
    (
        "2026-1-2",
        "expected a date as YYYY-MM-DD, found '1-2' at byte 5",
    ),
    (
        "2026-01-02T",
        "expected a time as HH:MM[:SS[.fff]], found the end of input at byte 11",
    ),
    ("2026-01-02T3:04", "expected a time as HH:MM[:SS[.fff]]"),
    (
        "2026-01-02 garbage",
        "expected the end of input, found 'garbage' at byte 11",
    ),
    (
        "2026-01-02Z",
        "expected the end of input, found 'Z' at byte 10",
    ),
    (
        "-5",
        "expected a unit (ms, s, m, h, d, w, mo, y), found the end of input at byte 2",
    ),
    (
        "now-",
        "expected a duration such as 5m, 1h30m or 2 days, found the end of input at byte 4",
    ),
    ("now+", "expected a duration such as 5m, 1h30m or 2 days"),
    ("in", "expected a time expression"),
    (
        "in ago",
        "expected a duration such as 5m, 1h30m or 2 days, found 'ago' at byte 3",
    ),
    (
        "1 hour and",
        "expected the end of input, found 'and' at byte 7",
    ),
    ("5 ago", "unknown unit 'ago'"),
    (
        "now now",
        "expected the end of input, found 'now' at byte 4",
    ),
    (
        "yesterday ago",
        "expected the end of input, found 'ago' at byte 10",
    ),
    ("ago 5 minutes", "expected a time expression"),
    (
        "5.minutes ago",
        "expected the end of input, found '.minutes ago' at byte 1",
    ),
    ("1e3 seconds ago", "unknown unit 'e'"),
    (
        "+-5m",
        "expected a duration such as 5m, 1h30m or 2 days, found '-5m' at byte 1",
    ),
    (
        "in in 5m",
        "expected a duration such as 5m, 1h30m or 2 days, found 'in 5m' at byte 3",
    ),
    (
        "5 minutes ago ago",
        "expected the end of input, found 'ago' at byte 14",
    ),
    (
        "now-5m ago",
        "expected the end of input, found 'ago' at byte 7",
    ),
    (
        "tomorrowish",
        "expected the end of input, found 'ish' at byte 8",
    ),
    ("nan", "expected a time expression"),
    ("inf", "expected a time expression"),
    (
        "2 mins from",
        "expected the end of input, found 'from' at byte 7",
    ),
    (
        "1 hour,, 30 minutes ago",
        "expected the end of input, found ',, 30 minutes ag' at byte 6",
    ),
    ("mo ago", "expected a time expression"),
    ("M", "expected a time expression"),
    ("last tuesday", "expected a time expression"),
    ("noon", "expected a time expression"),
    ("2 minutes ago\u{0}", "expected the end of input"),
    (
        "1,5 hours ago",
        "expected the end of input, found ',5 hours ago' at byte 1",
    ),
];

#[test]
fn accepted_forms_give_the_expected_instant() {
    let now = now_in(TimeZone::UTC);
    let mut failures = Vec::new();
    for (input, expected) in ACCEPTED {
        match parse_time_at(input, &now) {
            Ok(t) if t.to_string() == *expected => {}
            other => failures.push(format!("{input:?}: expected {expected}, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rejected_forms_say_what_was_expected_and_where() {
    let now = now_in(TimeZone::UTC);
    let mut failures = Vec::new();
    for (input, expected) in REJECTED {
        match parse_time_at(input, &now) {
            Err(e) => {
                let message = e.to_string();
                let prefix = format!("failed to parse '{input}': ");
                if !message.starts_with(&prefix) || !message.contains(expected) {
                    failures.push(format!("{input:?}: wanted {expected:?} in {message:?}"));
                }
                if !message.contains(&format!("at byte {}", e.offset())) {
                    failures.push(format!("{input:?}: no offset in {message:?}"));
                }
            }
            Ok(t) => failures.push(format!("{input:?}: accepted as {t}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_table_is_large_enough() {
    assert!(ACCEPTED.len() + REJECTED.len() >= 150);
}

#[test]
fn python_extension_rejections_hold() {
    // chaostoolkit-prometheus' own tests require these to fail this way.
    for input in ["2 mns ago", "right now"] {
        let message = chaosprom_when::parse_time(input).unwrap_err().to_string();
        assert!(
            message.contains(&format!("failed to parse '{input}'")),
            "{message}"
        );
    }
}

#[test]
fn dates_without_a_zone_are_read_in_the_zone_of_now() {
    let plus_0530 = TimeZone::fixed(Offset::from_seconds(5 * 3600 + 1800).unwrap());
    let now = now_in(plus_0530);
    let at = |s| parse_time_at(s, &now).unwrap().to_string();
    assert_eq!(at("2026-01-02"), "2026-01-01T18:30:00Z");
    assert_eq!(at("2026-01-02 03:04"), "2026-01-01T21:34:00Z");
    assert_eq!(at("2026-01-02T03:04Z"), "2026-01-02T03:04:00Z");
    assert_eq!(at("5 minutes ago"), "2026-03-31T11:55:00Z");
}

#[test]
fn calendar_units_are_computed_in_utc_whatever_the_zone_of_now() {
    // 2026-03-30T22:00Z is 2026-03-31T03:00 at +05:00. One month earlier is
    // 02-28 (from the UTC 03-30), not 02-28T03:00+05 (from the local 03-31).
    let zone = TimeZone::fixed(Offset::from_seconds(5 * 3600).unwrap());
    let now = "2026-03-30T22:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .to_zoned(zone);
    let t = parse_time_at("1 month ago", &now).unwrap();
    assert_eq!(t.to_string(), "2026-02-28T22:00:00Z");
}

#[test]
fn error_kinds_are_typed() {
    let now = now_in(TimeZone::UTC);
    let kind = |s| parse_time_at(s, &now).unwrap_err().kind().clone();
    assert_eq!(
        kind("5 potatoes ago"),
        ErrorKind::UnknownUnit("potatoes".into())
    );
    assert_eq!(kind("now-5M"), ErrorKind::AmbiguousUnit);
    assert_eq!(kind("1.5 mo ago"), ErrorKind::FractionalCalendarUnit);
    assert_eq!(kind("5000 years ago"), ErrorKind::OutOfRange);
    assert_eq!(kind("99999999999999999999 s ago"), ErrorKind::Overflow);
    assert!(matches!(kind("2026-13-01"), ErrorKind::InvalidDate(_)));
    assert!(matches!(kind("right now"), ErrorKind::Expected(_)));
    let e = parse_time_at("  2 mns ago", &now).unwrap_err();
    assert_eq!((e.input(), e.offset()), ("  2 mns ago", 4));
}

#[test]
fn durations() {
    let d = |s| parse_duration(s).map_err(|e| e.to_string());
    assert_eq!(d("30s"), Ok(SignedDuration::from_secs(30)));
    assert_eq!(d("30"), Ok(SignedDuration::from_secs(30)));
    assert_eq!(d("2.5"), Ok(SignedDuration::from_millis(2500)));
    assert_eq!(d("1h30m"), Ok(SignedDuration::from_mins(90)));
    assert_eq!(
        d(" 1 hour and 30 minutes "),
        Ok(SignedDuration::from_mins(90))
    );
    assert_eq!(d("1d"), Ok(SignedDuration::from_hours(24)));
    assert_eq!(d("1w"), Ok(SignedDuration::from_hours(168)));
    assert_eq!(d("1.5h"), Ok(SignedDuration::from_mins(90)));
    assert_eq!(d("250ms"), Ok(SignedDuration::from_millis(250)));
    assert_eq!(d("0"), Ok(SignedDuration::ZERO));
    let err = |s| d(s).unwrap_err();
    assert!(
        err("1mo").contains("expected a fixed-length unit"),
        "{}",
        err("1mo")
    );
    assert!(err("1h1y").contains("at byte 2"), "{}", err("1h1y"));
    assert!(err("-5m").contains("expected a duration"), "{}", err("-5m"));
    assert!(
        err("5m ago").contains("expected the end of input"),
        "{}",
        err("5m ago")
    );
    assert!(err("").contains("failed to parse ''"), "{}", err(""));
    assert!(
        err("5 mns").contains("unknown unit 'mns'"),
        "{}",
        err("5 mns")
    );
    assert!(err("10M").contains("ambiguous unit"), "{}", err("10M"));
    assert!(
        err("99999999999999999999w").contains("too large"),
        "{}",
        err("99999999999999999999w")
    );
    assert!(
        err("9999999999999999999w").contains("too large"),
        "{}",
        err("9999999999999999999w")
    );
}

#[test]
fn the_end_of_year_9999_is_read_in_the_zone_of_now() {
    let west = TimeZone::fixed(Offset::from_seconds(-3600).unwrap());
    let now = "2026-03-31T12:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .to_zoned(west);
    let at = |s| parse_time_at(s, &now).map(|t| t.to_string());
    assert_eq!(at("9999-12-31 22:59:59").unwrap(), "9999-12-31T23:59:59Z");
    let late = at("9999-12-31 23:00").unwrap_err().to_string();
    assert!(late.contains("outside the years 0000 to 9999"), "{late}");
}
