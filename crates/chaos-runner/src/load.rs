//! Reading experiment and variable files, JSON or YAML.

use std::path::Path;

use serde_json::Value;

use crate::Error;

/// The largest experiment or variable file read: 8 MiB.
pub const MAX_FILE_SIZE: usize = 8 << 20;

/// How deep brackets may nest before a file is refused unparsed: 1024.
/// (The JSON and YAML parsers refuse documents nested deeper than 128
/// themselves, but a YAML parser's time grows with the square of the
/// unclosed brackets before it gets there: 200 KB of `[` took 56 s.)
pub const MAX_DEPTH: usize = 1024;

/// Where brackets outside quotes first nest deeper than [`MAX_DEPTH`].
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' && q == b'"' {
                escaped = true;
            } else if b == q || (b == b'\n' && q == b'\'') {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Reads a JSON or YAML file into a JSON value (`.json` is JSON, `.yaml`
/// and `.yml` are YAML; any other name is tried as JSON, then YAML).
/// Integers and floats stay distinct, as the experiment hash needs.
///
/// A file larger than [`MAX_FILE_SIZE`] (or one that never ends, such as
/// `/dev/zero`) and brackets nested deeper than [`MAX_DEPTH`] are refused
/// with an error that says so, before any parsing.
pub fn load_file(path: &Path) -> Result<Value, Error> {
    use std::io::Read as _;
    let load_error = |reason: String| Error::Load {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| load_error(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| load_error(e.to_string()))?;
    if bytes.len() > MAX_FILE_SIZE {
        return Err(load_error(format!(
            "larger than {MAX_FILE_SIZE} bytes, the most an experiment or variable file may have"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| load_error(format!("not UTF-8 text: {e}")))?;
    if let Some(offset) = too_deep(&text) {
        return Err(load_error(format!(
            "brackets nested deeper than {MAX_DEPTH} levels (at byte {offset})"
        )));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let fail = |reason: String| Error::Load {
        path: path.display().to_string(),
        reason,
    };
    match ext.as_str() {
        "json" => serde_json::from_str(&text).map_err(|e| fail(format!("invalid JSON: {e}"))),
        "yaml" | "yml" => parse_yaml(&text).map_err(fail),
        _ => serde_json::from_str(&text).or_else(|json| {
            parse_yaml(&text)
                .map_err(|yaml| format!("neither JSON ({json}) nor YAML ({yaml})"))
                .map_err(fail)
        }),
    }
}

/// YAML into JSON; mapping keys must be strings.
pub(crate) fn parse_yaml(text: &str) -> Result<Value, String> {
    serde_yaml_ng::from_str::<Value>(text).map_err(|e| format!("invalid YAML: {e}"))
}
