//! YAML rendering of the CRD and parsing of multi-document manifests.
//!
//! Why `serde_norway`: `serde_yaml` was archived by its author in 2024 and receives no fixes.
//! `serde_norway` is a maintained fork that keeps `serde_yaml` 0.9's API (so `to_string` and the
//! multi-document `Deserializer` work unchanged) on a maintained libyaml port
//! (`unsafe-libyaml-norway`). `serde_yaml_ng` was the other candidate; it changed more of the API
//! surface and is less widely used by the crates we depend on.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A YAML document could not be rendered or parsed.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    /// Rendering a value as YAML failed.
    #[error("cannot render YAML: {0}")]
    Render(#[source] serde_norway::Error),
    /// Document `index` (0-based) of a multi-document stream is not valid for the expected type.
    #[error("YAML document {index} is invalid: {source}")]
    Parse {
        /// Position of the document in the stream.
        index: usize,
        /// What was wrong with it.
        #[source]
        source: serde_norway::Error,
    },
}

/// Renders a value (e.g. the CRD) as one YAML document, starting with `---`.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, YamlError> {
    let body = serde_norway::to_string(value).map_err(YamlError::Render)?;
    Ok(format!("---\n{body}"))
}

/// Parses every non-empty document of a `---`-separated YAML stream.
pub fn documents<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, YamlError> {
    let mut out = Vec::new();
    for (index, document) in serde_norway::Deserializer::from_str(text).enumerate() {
        let value = serde_norway::Value::deserialize(document)
            .map_err(|source| YamlError::Parse { index, source })?;
        if value.is_null() {
            continue;
        }
        out.push(
            serde_norway::from_value(value).map_err(|source| YamlError::Parse { index, source })?,
        );
    }
    Ok(out)
}

use serde::Deserialize as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_several_documents_and_skips_empty_ones() {
        let docs: Vec<serde_json::Value> =
            documents("---\na: 1\n---\n---\nb: [x]\n").expect("parses");
        assert_eq!(
            docs,
            vec![serde_json::json!({"a": 1}), serde_json::json!({"b": ["x"]})]
        );
        let text = to_yaml(&docs[0]).expect("renders");
        assert_eq!(text, "---\na: 1\n");
    }

    #[test]
    fn reports_which_document_is_broken() {
        let err = documents::<serde_json::Value>("a: 1\n---\nb: [\n").expect_err("broken");
        assert!(
            err.to_string().starts_with("YAML document 1 is invalid"),
            "{err}"
        );
    }
}
