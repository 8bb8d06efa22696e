//! Reading experiment and variable files, JSON or YAML.

use std::path::Path;

use serde_json::Value;

use crate::Error;

/// Reads a JSON or YAML file into a JSON value (`.json` is JSON, `.yaml`
/// and `.yml` are YAML; any other name is tried as JSON, then YAML).
/// Integers and floats stay distinct, as the experiment hash needs.
pub fn load_file(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Load {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
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
