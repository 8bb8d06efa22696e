//! The push path: `/metrics/job/<job>/<label>/<value>/…`.

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// What stays as it is in a path segment; everything else is
/// percent-encoded (Python's `quote_plus` safe set).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A grouping key, checked and sorted by label name.
pub(crate) type Grouping = Vec<(String, String)>;

/// Checks and sorts a grouping key.
pub(crate) fn grouping<K, V>(key: impl IntoIterator<Item = (K, V)>) -> Result<Grouping, Error>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut pairs: Grouping = key
        .into_iter()
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    for pair in pairs.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(Error::DuplicateLabel {
                name: pair[0].0.clone(),
            });
        }
    }
    for (name, _) in &pairs {
        if !is_label_name(name) || name == "job" || name.starts_with("__") {
            return Err(Error::InvalidLabelName { name: name.clone() });
        }
    }
    Ok(pairs)
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`.
fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The path of a group, relative to the gateway's base URL:
/// `metrics/job/<job>/<label>/<value>/…`.
pub(crate) fn group_path(job: &str, grouping: &Grouping) -> Result<String, Error> {
    if job.is_empty() {
        return Err(Error::EmptyJob);
    }
    let mut path = String::from("metrics");
    push_segment(&mut path, "job", job);
    for (name, value) in grouping {
        push_segment(&mut path, name, value);
    }
    Ok(path)
}

/// Appends `/<name>/<value>`, or `/<name>@base64/<value in base64>` when
/// the value is empty, holds `/` or a space, or is `.` or `..` (which URL
/// normalisation would otherwise resolve, sending the request to another
/// group).
fn push_segment(path: &mut String, name: &str, value: &str) {
    path.push('/');
    path.push_str(name);
    if value.is_empty() {
        path.push_str("@base64/=");
    } else if value.contains(['/', ' ']) || value == "." || value == ".." {
        path.push_str("@base64/");
        base64::engine::general_purpose::URL_SAFE.encode_string(value, path);
    } else {
        path.push('/');
        path.extend(utf8_percent_encode(value, SEGMENT));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chaos_toolkit_example_encodes_exactly() {
        let key = grouping([
            ("uni", "é"),
            ("env", "prod/eu"),
            ("plain", "a b"),
            ("empty", ""),
        ])
        .unwrap();
        assert_eq!(
            group_path("ctk/job", &key).unwrap(),
            "metrics/job@base64/Y3RrL2pvYg==/empty@base64/=/env@base64/cHJvZC9ldQ==\
             /plain@base64/YSBi/uni/%C3%A9"
        );
    }

    #[test]
    fn plain_values_are_percent_encoded() {
        let key = grouping([("a", "x+y?z#1%"), ("b", "A-Z_a.z~0")]).unwrap();
        assert_eq!(
            group_path("chaostoolkit", &key).unwrap(),
            "metrics/job/chaostoolkit/a/x%2By%3Fz%231%25/b/A-Z_a.z~0"
        );
    }

    #[test]
    fn url_safe_base64_keeps_its_padding() {
        // "?>?/" encodes to "Pz4_Lw==" in the URL-safe alphabet.
        let key = grouping([("k", "?>?/")]).unwrap();
        assert_eq!(
            group_path("j", &key).unwrap(),
            "metrics/job/j/k@base64/Pz4_Lw=="
        );
    }

    #[test]
    fn dot_segments_are_base64_encoded() {
        let key = grouping([
            ("a", "."),
            ("b", ".."),
            ("c", ""),
            ("d", "..."),
            ("e", ".x"),
        ])
        .unwrap();
        assert_eq!(
            group_path("..", &key).unwrap(),
            "metrics/job@base64/Li4=/a@base64/Lg==/b@base64/Li4=/c@base64/=/d/.../e/.x"
        );
        assert_eq!(
            group_path(".", &Vec::new()).unwrap(),
            "metrics/job@base64/Lg=="
        );
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(matches!(group_path("", &Vec::new()), Err(Error::EmptyJob)));
        for name in ["", "1a", "a-b", "job", "__name__", "é"] {
            let err = grouping([(name, "v")]).unwrap_err();
            assert!(
                matches!(err, Error::InvalidLabelName { .. }),
                "{name}: {err}"
            );
        }
        let err = grouping([("a", "1"), ("a", "2")]).unwrap_err();
        assert_eq!(err.to_string(), "grouping label 'a' is given twice");
    }
}
