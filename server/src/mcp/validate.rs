//! Argument checks against a tool's input schema, before its handler runs or after its
//! arguments failed to deserialize: unknown argument names (a model's typo or invention would
//! otherwise be ignored silently) and the argument whose JSON type is wrong (serde's message
//! does not name it).

use serde_json::{Map, Value};

/// Arguments the schema does not declare, as an error message naming the accepted ones.
pub fn unknown_arguments(schema: &Map<String, Value>, args: &Map<String, Value>) -> Option<String> {
    let props = schema.get("properties").and_then(Value::as_object)?;
    let unknown: Vec<&str> = args
        .keys()
        .filter(|k| !props.contains_key(k.as_str()))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let mut accepted: Vec<&str> = props.keys().map(String::as_str).collect();
    accepted.sort_unstable();
    let accepted = if accepted.is_empty() {
        "none".to_string()
    } else {
        accepted.join(", ")
    };
    Some(format!(
        "unknown argument{} {}; this tool accepts: {accepted}",
        if unknown.len() == 1 { "" } else { "s" },
        unknown
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The first argument whose JSON type (or enum value) the schema does not allow, described.
pub fn mistyped_argument(schema: &Map<String, Value>, args: &Map<String, Value>) -> Option<String> {
    let props = schema.get("properties").and_then(Value::as_object)?;
    let mut names: Vec<&String> = args.keys().collect();
    names.sort();
    for name in names {
        let (Some(prop), Some(value)) = (props.get(name), args.get(name)) else {
            continue;
        };
        if let Some(problem) = check(prop, value) {
            return Some(format!("argument `{name}`: {problem}"));
        }
    }
    None
}

fn check(prop: &Value, value: &Value) -> Option<String> {
    if let Some(allowed) = prop.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        let list = allowed
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Some(format!("{value} is not one of {list}"));
    }
    let expected = prop.get("type").and_then(Value::as_str)?;
    let ok = match expected {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "object" => value.is_object(),
        "array" => match value.as_array() {
            Some(items) => {
                return prop
                    .get("items")
                    .and_then(|item| items.iter().find_map(|v| check(item, v)))
                    .map(|p| format!("an entry: {p}"));
            }
            None => false,
        },
        _ => true,
    };
    if !ok {
        return Some(format!(
            "expected {} {expected}, got {value}",
            article(expected)
        ));
    }
    if let (Some(min), Some(v)) = (prop.get("minimum").and_then(Value::as_f64), value.as_f64())
        && v < min
    {
        return Some(format!("{value} is below the minimum {min}"));
    }
    None
}

fn article(kind: &str) -> &'static str {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test input is an object"),
        }
    }

    fn schema() -> Map<String, Value> {
        obj(json!({
            "type": "object",
            "properties": {
                "volume_percent": {"type": "integer", "minimum": 0, "maximum": 100},
                "device_id": {"type": "string"},
                "repeat": {"type": "string", "enum": ["off", "track", "context"]},
                "uris": {"type": "array", "items": {"type": "string"}}
            }
        }))
    }

    #[test]
    fn unknown_names_are_listed_with_the_accepted_ones() {
        let msg = unknown_arguments(&schema(), &obj(json!({"device": "x", "volume_percent": 5})));
        assert_eq!(
            msg.as_deref(),
            Some(
                "unknown argument `device`; this tool accepts: device_id, repeat, uris, volume_percent"
            )
        );
        assert_eq!(
            unknown_arguments(&schema(), &obj(json!({"device_id": "x"}))),
            None
        );
        let none = obj(json!({"type": "object", "properties": {}}));
        assert!(
            unknown_arguments(&none, &obj(json!({"x": 1}))).is_some_and(|m| m.ends_with("none"))
        );
    }

    #[test]
    fn the_mistyped_argument_is_named() {
        let s = schema();
        assert_eq!(
            mistyped_argument(&s, &obj(json!({"volume_percent": "loud"}))).as_deref(),
            Some("argument `volume_percent`: expected an integer, got \"loud\"")
        );
        assert_eq!(
            mistyped_argument(&s, &obj(json!({"volume_percent": -5}))).as_deref(),
            Some("argument `volume_percent`: -5 is below the minimum 0")
        );
        assert!(
            mistyped_argument(&s, &obj(json!({"repeat": "forever"})))
                .is_some_and(|m| m.contains("\"forever\" is not one of"))
        );
        assert!(
            mistyped_argument(&s, &obj(json!({"uris": ["a", 3]})))
                .is_some_and(|m| m.starts_with("argument `uris`: an entry"))
        );
        assert_eq!(
            mistyped_argument(&s, &obj(json!({"volume_percent": 5}))),
            None
        );
    }
}
