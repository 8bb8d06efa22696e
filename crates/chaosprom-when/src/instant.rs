//! [`Instant`]: an instant RFC 3339 can write.

use std::fmt;

use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};

/// An instant between `0000-01-01T00:00:00Z` and
/// `9999-12-31T23:59:59.999999999Z`, the instants RFC 3339 (and so
/// Prometheus) can write, to the nanosecond.
///
/// A [`jiff::Timestamp`] stops at `9999-12-30T22:00:00.999999999Z` (it
/// leaves room for any offset), so the last hours of year 9999 need this
/// type; every other instant converts both ways with
/// [`Instant::to_timestamp`] and `Instant::try_from(timestamp)`. It
/// displays as RFC 3339 in UTC with as many fractional digits as it has, as
/// a `Timestamp` does.
///
/// ```
/// use chaosprom_when::Instant;
///
/// let last = chaosprom_when::parse_time("9999-12-31T23:59:59Z")?;
/// assert_eq!(last.to_string(), "9999-12-31T23:59:59Z");
/// assert_eq!(last.as_second(), 253_402_300_799);
/// assert_eq!(last.to_timestamp(), None);
/// let t = chaosprom_when::parse_time("2026-11-25T10:00:00.5Z")?;
/// assert_eq!(t.to_timestamp(), Some("2026-11-25T10:00:00.5Z".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// Seconds since the Unix epoch.
    second: i64,
    /// 0 to 999,999,999.
    nanosecond: i32,
}

/// 0000-01-01T00:00:00Z in seconds since the Unix epoch.
const FIRST_SECOND: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z in seconds since the Unix epoch.
const LAST_SECOND: i64 = 253_402_300_799;
/// The Unix epoch as a civil date-time in UTC.
const EPOCH: DateTime = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);

impl Instant {
    /// `0000-01-01T00:00:00Z`.
    pub const MIN: Instant = Instant {
        second: FIRST_SECOND,
        nanosecond: 0,
    };
    /// `9999-12-31T23:59:59.999999999Z`.
    pub const MAX: Instant = Instant {
        second: LAST_SECOND,
        nanosecond: 999_999_999,
    };

    /// The instant `second` seconds and `nanosecond` nanoseconds after the
    /// Unix epoch, if it lies within [`MIN`](Self::MIN) and
    /// [`MAX`](Self::MAX) and `nanosecond` is below 1,000,000,000.
    pub fn new(second: i64, nanosecond: i32) -> Option<Instant> {
        ((FIRST_SECOND..=LAST_SECOND).contains(&second) && (0..1_000_000_000).contains(&nanosecond))
            .then_some(Instant { second, nanosecond })
    }

    /// The current time.
    pub fn now() -> Instant {
        Instant::from_timestamp(Timestamp::now()).unwrap_or(Instant::MAX)
    }

    /// Whole seconds since the Unix epoch (negative before 1970).
    pub fn as_second(self) -> i64 {
        self.second
    }

    /// The nanoseconds past [`as_second`](Self::as_second), 0 to 999,999,999.
    pub fn subsec_nanosecond(self) -> i32 {
        self.nanosecond
    }

    /// This instant as a `jiff::Timestamp`, except in the last 26 hours of
    /// year 9999, which a `Timestamp` cannot hold.
    pub fn to_timestamp(self) -> Option<Timestamp> {
        Timestamp::new(self.second, self.nanosecond).ok()
    }

    /// This instant's date and time of day in UTC.
    pub fn to_datetime(self) -> DateTime {
        // Within MIN..=MAX, the sum always lies in DateTime's range.
        EPOCH
            .checked_add(self.since_epoch())
            .unwrap_or(DateTime::MAX)
    }

    /// The instant at `at`, a date and time of day in UTC, if it lies in
    /// the years 0000 to 9999.
    pub fn from_datetime(at: DateTime) -> Option<Instant> {
        Instant::from_duration(at.duration_since(EPOCH))
    }

    /// `t`, if it lies in the years 0000 to 9999.
    pub fn from_timestamp(t: Timestamp) -> Option<Instant> {
        Instant::new(t.as_second(), t.subsec_nanosecond())
    }

    /// This instant moved by `d`, if the result lies in the years 0000 to
    /// 9999.
    pub fn checked_add(self, d: SignedDuration) -> Option<Instant> {
        let total = self.since_epoch().checked_add(d)?;
        Instant::from_duration(total)
    }

    /// This instant moved back by `d`, if the result lies in the years 0000
    /// to 9999.
    pub fn checked_sub(self, d: SignedDuration) -> Option<Instant> {
        let total = self.since_epoch().checked_sub(d)?;
        Instant::from_duration(total)
    }

    /// The time from `earlier` to this instant (negative if `earlier` is
    /// later).
    pub fn duration_since(self, earlier: Instant) -> SignedDuration {
        // Both lie within ±3e11 s: the difference cannot overflow.
        self.since_epoch() - earlier.since_epoch()
    }

    fn since_epoch(self) -> SignedDuration {
        SignedDuration::new(self.second, self.nanosecond)
    }

    fn from_duration(d: SignedDuration) -> Option<Instant> {
        let (mut second, mut nanosecond) = (d.as_secs(), d.subsec_nanos());
        if nanosecond < 0 {
            second = second.checked_sub(1)?;
            nanosecond += 1_000_000_000;
        }
        Instant::new(second, nanosecond)
    }
}

impl TryFrom<Timestamp> for Instant {
    type Error = Timestamp;

    /// Fails, giving the timestamp back, before year 0000.
    fn try_from(t: Timestamp) -> Result<Instant, Timestamp> {
        Instant::from_timestamp(t).ok_or(t)
    }
}

impl fmt::Display for Instant {
    /// RFC 3339 in UTC: `2024-01-02T01:04:05.6Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Z", self.to_datetime())
    }
}
