//! The crate's error type.

use std::fmt;

/// A time expression or duration that could not be parsed or evaluated.
///
/// Its message always reads `failed to parse '<input>': <what was expected>
/// at byte <offset>`, where the offset counts bytes from the start of the
/// input as given (surrounding whitespace included).
///
/// ```
/// let err = chaosprom_when::parse_time("2 mns ago").unwrap_err();
/// assert_eq!(err.offset(), 2);
/// assert_eq!(
///     err.to_string(),
///     "failed to parse '2 mns ago': unknown unit 'mns', expected one of \
///      ms, s, m, h, d, w, mo, y (or a long name such as minutes) at byte 2"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    input: Box<str>,
    offset: usize,
    kind: ErrorKind,
}

/// What went wrong, without the input and position.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input did not match the grammar: `expected` says what would have.
    Expected(&'static str),
    /// A word in the place of a unit that is no unit.
    UnknownUnit(String),
    /// `M`: minutes (`m`) or months (`mo`)?
    AmbiguousUnit,
    /// A fractional number of months or years.
    FractionalCalendarUnit,
    /// Months or years in a duration, which must have a fixed length.
    CalendarUnitInDuration,
    /// A number too large to compute with.
    Overflow,
    /// A date or time of day that does not exist (month 13, February 30…).
    InvalidDate(String),
    /// The resulting instant lies outside the years 0000 to 9999.
    OutOfRange,
}

impl Error {
    pub(crate) fn new(input: &str, offset: usize, kind: ErrorKind) -> Self {
        Self {
            input: input.into(),
            offset,
            kind,
        }
    }

    /// The input that failed, as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The byte offset in [`input`](Self::input) where the problem is.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed to parse '{}': ", self.input)?;
        match &self.kind {
            ErrorKind::Expected(what) => {
                let rest = self.input.get(self.offset..).unwrap_or("");
                match rest.chars().next() {
                    None => write!(f, "expected {what}, found the end of input")?,
                    Some(_) => {
                        let snippet: String = rest.chars().take(16).collect();
                        write!(f, "expected {what}, found '{snippet}'")?;
                    }
                }
            }
            ErrorKind::UnknownUnit(unit) => write!(
                f,
                "unknown unit '{unit}', expected one of ms, s, m, h, d, w, mo, y \
                 (or a long name such as minutes)"
            )?,
            ErrorKind::AmbiguousUnit => {
                f.write_str("ambiguous unit 'M', expected 'm' for minutes or 'mo' for months")?;
            }
            ErrorKind::FractionalCalendarUnit => {
                f.write_str("expected a whole number of months or years")?;
            }
            ErrorKind::CalendarUnitInDuration => f.write_str(
                "expected a fixed-length unit (ms, s, m, h, d, w): months and \
                 years vary in length",
            )?,
            ErrorKind::Overflow => f.write_str("the amount is too large")?,
            ErrorKind::InvalidDate(reason) => write!(f, "invalid date or time ({reason})")?,
            ErrorKind::OutOfRange => {
                f.write_str("the instant lies outside the years 0000 to 9999")?;
            }
        }
        write!(f, " at byte {}", self.offset)
    }
}

impl std::error::Error for Error {}
