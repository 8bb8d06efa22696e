//! Properties: nothing panics, whatever the input, and `<n> <unit> ago`
//! means exactly n units before now.
//!
//! A long run (see the crate README):
//! `PROPTEST_CASES=1000000 cargo test -p chaosprom-when --release --test properties`

use chaosprom_when::{Instant, parse_duration, parse_time_at};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp, Zoned};
use proptest::prelude::*;

fn now() -> Zoned {
    Timestamp::from_second(1_774_958_400)
        .unwrap()
        .to_zoned(TimeZone::UTC)
}

/// Units with their names and their length in nanoseconds (None: months,
/// with the number of months one stands for).
const UNITS: &[(&str, Option<i128>, i64)] = &[
    ("ms", Some(1_000_000), 0),
    ("milliseconds", Some(1_000_000), 0),
    ("s", Some(1_000_000_000), 0),
    ("secs", Some(1_000_000_000), 0),
    ("m", Some(60_000_000_000), 0),
    ("minutes", Some(60_000_000_000), 0),
    ("h", Some(3_600_000_000_000), 0),
    ("hours", Some(3_600_000_000_000), 0),
    ("d", Some(86_400_000_000_000), 0),
    ("days", Some(86_400_000_000_000), 0),
    ("w", Some(604_800_000_000_000), 0),
    ("weeks", Some(604_800_000_000_000), 0),
    ("mo", None, 1),
    ("months", None, 1),
    ("y", None, 12),
    ("years", None, 12),
];

/// What `n <unit>` before (`sign` -1) or after (1) now should be, in
/// RFC 3339, or None when that instant is out of range. Computed on UTC
/// civil date-times, which reach the end of year 9999.
fn expected(n: u64, unit: usize, sign: i64) -> Option<String> {
    let (_, nanos, months) = UNITS[unit];
    let now = now().datetime();
    let t = match nanos {
        Some(unit_nanos) => {
            let total = i128::from(n) * unit_nanos * i128::from(sign);
            let seconds = i64::try_from(total / 1_000_000_000).ok()?;
            let nanos = i32::try_from(total % 1_000_000_000).ok()?;
            let d = SignedDuration::new(seconds, nanos);
            now.checked_add(d).ok()?
        }
        None => {
            let total = i64::try_from(n).ok()?.checked_mul(months * sign)?;
            let span = Span::new().try_months(total).ok()?;
            now.checked_add(span).ok()?
        }
    };
    (0..=9999).contains(&t.year()).then(|| format!("{t}Z"))
}

/// Strings made of the grammar's own pieces, to reach deep into it.
fn grammar_soup() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "now",
        "today",
        "in",
        "ago",
        "from",
        "and",
        "a",
        "an",
        ",",
        " ",
        "\t",
        "-",
        "+",
        ":",
        ".",
        "T",
        "Z",
        "m",
        "M",
        "mo",
        "ms",
        "h",
        "d",
        "w",
        "y",
        "s",
        "minutes",
        "0",
        "1",
        "5",
        "12",
        "2026",
        "-01-",
        "99999999999999999999",
        "é",
        "٥",
        "\u{0}",
    ]);
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        let _ = parse_time_at(&s, &now());
        let _ = parse_duration(&s);
    }

    #[test]
    fn grammar_soup_never_panics_and_errors_point_inside(s in grammar_soup()) {
        if let Err(e) = parse_time_at(&s, &now()) {
            prop_assert!(e.offset() <= s.len());
            prop_assert!(s.is_char_boundary(e.offset()));
            let prefix = format!("failed to parse '{s}'");
            prop_assert!(e.to_string().starts_with(&prefix));
        }
        if let Err(e) = parse_duration(&s) {
            prop_assert!(e.offset() <= s.len());
        }
    }

    #[test]
    fn n_units_ago_round_trips(n in 0u64..2_000_000, unit in 0..UNITS.len(), space in any::<bool>()) {
        let name = UNITS[unit].0;
        let sep = if space { " " } else { "" };
        let got = parse_time_at(&format!("{n}{sep}{name} ago"), &now()).ok().map(|t| t.to_string());
        prop_assert_eq!(got, expected(n, unit, -1));
        let future = parse_time_at(&format!("in {n}{sep}{name}"), &now()).ok().map(|t| t.to_string());
        prop_assert_eq!(future, expected(n, unit, 1));
        let grafana = parse_time_at(&format!("now-{n}{name}"), &now()).ok().map(|t| t.to_string());
        prop_assert_eq!(grafana, expected(n, unit, -1));
    }

    #[test]
    fn huge_amounts_are_errors_not_panics(n in any::<u64>(), unit in 0..UNITS.len()) {
        let name = UNITS[unit].0;
        let got = parse_time_at(&format!("{n} {name} ago"), &now()).ok().map(|t| t.to_string());
        prop_assert_eq!(got, expected(n, unit, -1));
    }

    #[test]
    fn fixed_durations_round_trip(n in 0u64..1_000_000_000, unit in 0..12usize) {
        let (name, nanos, _) = UNITS[unit];
        let want = SignedDuration::from_nanos_i128(i128::from(n) * nanos.unwrap());
        prop_assert_eq!(parse_duration(&format!("{n}{name}")).ok(), Some(want));
    }

    #[test]
    fn fractional_hours_round_trip(whole in 0u64..10_000, millis in 0u32..1000) {
        let input = format!("{whole}.{millis:03} hours ago");
        let want = now().timestamp()
            - SignedDuration::from_millis(i64::try_from(whole).unwrap() * 3_600_000 + i64::from(millis) * 3_600);
        prop_assert_eq!(parse_time_at(&input, &now()).ok().and_then(Instant::to_timestamp), Some(want));
    }

    #[test]
    fn epoch_seconds_round_trip(s in 0i64..=253_402_300_799, ns in 0i32..1_000_000_000) {
        let t = Instant::new(s, ns).unwrap();
        let input = format!("{s}.{ns:09}");
        prop_assert_eq!(parse_time_at(&input, &now()).ok(), Some(t));
        prop_assert_eq!(parse_time_at(&t.to_string(), &now()).ok(), Some(t));
    }
}
