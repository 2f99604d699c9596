//! Argument checks against a tool's input schema, before its handler runs or after its
//! arguments failed to deserialize: unknown argument names (a model's typo or invention would
//! otherwise be ignored silently), bounds (`maxLength`, `maximum`, `maxItems` and their
//! lower twins: declared bounds are enforced, not only advertised) and the argument whose JSON
//! type is wrong (serde's message does not name it).
//!
//! The schemas are the ones schemars derives from the argument types, so only the keywords
//! those use are read; messages describe a long value by its size instead of repeating it.

use serde_json::{Map, Value};

/// Arguments the schema does not declare, as an error message naming the accepted ones.
pub fn unknown_arguments(schema: &Map<String, Value>, args: &Map<String, Value>) -> Option<String> {
    // No `properties` (compacted away when empty): no argument is accepted.
    let none = Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&none);
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

/// The first argument (in name order) outside a bound its schema declares, described.
pub fn out_of_bounds(schema: &Map<String, Value>, args: &Map<String, Value>) -> Option<String> {
    let props = schema.get("properties").and_then(Value::as_object)?;
    let mut names: Vec<&String> = args.keys().collect();
    names.sort();
    names.into_iter().find_map(|name| {
        let prop = props.get(name)?;
        bounds(schema, prop, &args[name], name, 0)
    })
}

/// How deep `$ref`s and nested arrays/objects are followed (schemas here are shallow).
const MAX_DEPTH: usize = 8;

fn resolve<'a>(root: &'a Map<String, Value>, prop: &'a Value) -> &'a Value {
    prop.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| root.get("$defs")?.get(name))
        .unwrap_or(prop)
}

fn bounds(
    root: &Map<String, Value>,
    prop: &Value,
    value: &Value,
    path: &str,
    depth: usize,
) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    let prop = resolve(root, prop);
    let limit = |key: &str| prop.get(key).and_then(Value::as_u64);
    let problem = match value {
        Value::String(text) => {
            // Bytes bound characters from above: only count when it could matter.
            let max = limit("maxLength").filter(|&max| text.len() as u64 > max);
            let chars = || text.chars().count() as u64;
            match (max, limit("minLength")) {
                (Some(max), _) if chars() > max => {
                    Some(format!("{} characters; at most {max} are allowed", chars()))
                }
                (_, Some(min)) if chars() < min => Some(format!(
                    "{} characters; at least {min} are required",
                    chars()
                )),
                _ => None,
            }
        }
        Value::Number(n) => {
            let v = n.as_f64()?;
            let max = prop.get("maximum").and_then(Value::as_f64);
            let min = prop.get("minimum").and_then(Value::as_f64);
            match (max, min) {
                (Some(max), _) if v > max => Some(format!("{n} is above the maximum {max}")),
                (_, Some(min)) if v < min => Some(format!("{n} is below the minimum {min}")),
                _ => None,
            }
        }
        Value::Array(items) => {
            let len = items.len() as u64;
            match (limit("maxItems"), limit("minItems")) {
                (Some(max), _) if len > max => {
                    Some(format!("{len} entries; at most {max} are allowed"))
                }
                (_, Some(min)) if len < min => {
                    Some(format!("{len} entries; at least {min} are required"))
                }
                _ => {
                    return prop.get("items").and_then(|item| {
                        items.iter().enumerate().find_map(|(i, v)| {
                            bounds(root, item, v, &format!("{path}[{i}]"), depth + 1)
                        })
                    });
                }
            }
        }
        Value::Object(map) => {
            let props = prop.get("properties").and_then(Value::as_object)?;
            return map.iter().find_map(|(k, v)| {
                bounds(root, props.get(k)?, v, &format!("{path}.{k}"), depth + 1)
            });
        }
        _ => None,
    };
    problem.map(|p| format!("argument `{path}`: {p}"))
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
        return Some(format!("{} is not one of {list}", describe(value)));
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
            "expected {} {expected}, got {}",
            article(expected),
            describe(value)
        ));
    }
    if let (Some(min), Some(v)) = (prop.get("minimum").and_then(Value::as_f64), value.as_f64())
        && v < min
    {
        return Some(format!("{value} is below the minimum {min}"));
    }
    None
}

/// A value as JSON when short, else by its kind and size: a message never repeats a
/// megabyte the client sent.
fn describe(value: &Value) -> String {
    const SHORT: usize = 64;
    let text = value.to_string();
    if text.len() <= SHORT {
        return text;
    }
    match value {
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Array(items) => format!("an array of {} entries", items.len()),
        Value::Object(map) => format!("an object with {} keys", map.len()),
        other => other.to_string().chars().take(SHORT).collect(),
    }
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
        // A tool without arguments, as served (its empty `properties` compacted away).
        let served = obj(json!({"type": "object"}));
        assert!(
            unknown_arguments(&served, &obj(json!({"x": 1}))).is_some_and(|m| m.ends_with("none"))
        );
    }

    /// Declared bounds are enforced, and a huge value is described, not echoed.
    #[test]
    fn declared_bounds_are_enforced_before_use() {
        let s = obj(json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "maxLength": 5},
                "offset": {"type": "integer", "minimum": 0, "maximum": 100},
                "uris": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 3}},
                "kind": {"$ref": "#/$defs/Kind"}
            },
            "$defs": {"Kind": {"type": "string", "maxLength": 2}}
        }));
        let check = |args: Value| out_of_bounds(&s, &obj(args));
        assert_eq!(
            check(json!({"query": "héllo", "offset": 100, "uris": ["abc"]})),
            None
        );
        assert_eq!(
            check(json!({"query": "x".repeat(70_000)})).as_deref(),
            Some("argument `query`: 70000 characters; at most 5 are allowed")
        );
        assert_eq!(
            check(json!({"offset": 101})).as_deref(),
            Some("argument `offset`: 101 is above the maximum 100")
        );
        assert_eq!(
            check(json!({"offset": -1})).as_deref(),
            Some("argument `offset`: -1 is below the minimum 0")
        );
        assert_eq!(
            check(json!({"uris": ["a", "b", "c"]})).as_deref(),
            Some("argument `uris`: 3 entries; at most 2 are allowed")
        );
        assert_eq!(
            check(json!({"uris": ["a", "abcd"]})).as_deref(),
            Some("argument `uris[1]`: 4 characters; at most 3 are allowed")
        );
        assert_eq!(
            check(json!({"kind": "abc"})).as_deref(),
            Some("argument `kind`: 3 characters; at most 2 are allowed")
        );
        // A mistyped huge value is described by its size.
        let long = mistyped_argument(&s, &obj(json!({"offset": "9".repeat(10_000)}))).unwrap();
        assert_eq!(
            long,
            "argument `offset`: expected an integer, got a string of 10000 characters"
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
