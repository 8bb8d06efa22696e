//! Values written into text as Python's `str()` writes them, which is how
//! chaoslib writes a provider's arguments and a `${key}` substituted
//! inside a longer string (the writers live in `chaos_controls::python`,
//! which the Prometheus control shares), and Python's `str.strip()`.

pub(crate) use chaos_controls::python::{python_json, python_str};

/// Python's `str.strip()`: whitespace as Python's `str.isspace` has it
/// (Unicode's, and the four separators U+001C to U+001F), off both ends.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}
