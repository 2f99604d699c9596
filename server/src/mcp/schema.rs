//! Shrinks the JSON schemas schemars generates without changing what they accept for the
//! values this server sends and receives. Every byte of `tools/list` is model context.
//!
//! - `$schema` goes: MCP schemas default to JSON Schema 2020-12.
//! - `format` (`uint32`, `int64`, ...) goes: not a 2020-12 validation keyword; explicit
//!   `minimum`/`maximum` bounds carry the real limits.
//! - an optional property (not in `required`) typed `[T, "null"]` becomes `T`, and a
//!   `"default": null` goes: absent and null mean the same to our argument parsing, and our
//!   outputs skip absent fields instead of writing `null`.
//! - in output schemas, `minimum: 0` of unsigned integers and property descriptions go too:
//!   the tool description says what a result means, field names say the rest.
//! - a `$defs` entry referenced once is inlined at its reference.

use serde_json::{Map, Value};

/// Which side of a tool a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Input,
    Output,
}

/// Returns a compacted copy of `schema`.
pub fn compact(schema: &Map<String, Value>, side: Side) -> Map<String, Value> {
    let mut out = schema.clone();
    out.remove("$schema");
    walk_object(&mut out, side);
    inline_single_use_defs(&mut out);
    out
}

/// Replaces each `{"$ref": "#/$defs/X", ...}` whose target is referenced exactly once by the
/// target's schema (sibling keywords of the reference win), then drops those defs.
fn inline_single_use_defs(root: &mut Map<String, Value>) {
    let Some(Value::Object(defs)) = root.remove("$defs") else {
        return;
    };
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    count_refs(&Value::Object(root.clone()), &mut counts);
    for def in defs.values() {
        count_refs(def, &mut counts);
    }
    let single: Map<String, Value> = defs
        .iter()
        .filter(|(name, _)| counts.get(*name) == Some(&1))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut kept: Map<String, Value> = defs
        .into_iter()
        .filter(|(name, _)| !single.contains_key(name))
        .collect();
    // A single-use def may itself reference another single-use def: repeat until stable.
    let mut root_value = Value::Object(std::mem::take(root));
    for _ in 0..8 {
        if !replace_refs(&mut root_value, &single) {
            break;
        }
    }
    for def in kept.values_mut() {
        for _ in 0..8 {
            if !replace_refs(def, &single) {
                break;
            }
        }
    }
    if let Value::Object(map) = root_value {
        *root = map;
    }
    if !kept.is_empty() {
        root.insert("$defs".into(), Value::Object(kept));
    }
}

fn def_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/$defs/")
}

fn count_refs(value: &Value, counts: &mut std::collections::HashMap<String, usize>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(def_name) {
                *counts.entry(name.to_string()).or_default() += 1;
            }
            map.values().for_each(|v| count_refs(v, counts));
        }
        Value::Array(items) => items.iter().for_each(|v| count_refs(v, counts)),
        _ => {}
    }
}

/// Returns whether anything was replaced.
fn replace_refs(value: &mut Value, single: &Map<String, Value>) -> bool {
    match value {
        Value::Object(map) => {
            let target = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(def_name)
                .and_then(|name| single.get(name))
                .cloned();
            let mut changed = false;
            if let Some(Value::Object(def)) = target {
                map.remove("$ref");
                for (k, v) in def {
                    map.entry(k).or_insert(v);
                }
                changed = true;
            }
            for v in map.values_mut() {
                changed |= replace_refs(v, single);
            }
            changed
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |acc, v| replace_refs(v, single) | acc),
        _ => false,
    }
}

fn walk(value: &mut Value, side: Side) {
    match value {
        Value::Object(map) => walk_object(map, side),
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, side)),
        _ => {}
    }
}

fn walk_object(map: &mut Map<String, Value>, side: Side) {
    map.remove("format");
    if map.get("default") == Some(&Value::Null) {
        map.remove("default");
    }
    if side == Side::Output && map.get("minimum") == Some(&Value::from(0)) {
        map.remove("minimum");
    }
    if side == Side::Output
        && let Some(Value::Object(props)) = map.get_mut("properties")
    {
        for prop in props.values_mut() {
            if let Value::Object(p) = prop {
                p.remove("description");
            }
        }
    }
    let required: Vec<String> = map
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (name, prop) in props.iter_mut() {
            if !required.contains(name) {
                drop_null_type(prop);
            }
        }
    }
    for (_, v) in map.iter_mut() {
        walk(v, side);
    }
}

/// `{"type": ["T", "null"]}` -> `{"type": "T"}`; `{"anyOf": [X, {"type": "null"}]}` -> X.
fn drop_null_type(prop: &mut Value) {
    let Value::Object(map) = prop else { return };
    if let Some(Value::Array(types)) = map.get("type") {
        let kept: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        if kept.len() == 1 {
            map.insert("type".into(), kept[0].clone());
        } else if kept.len() < types.len() {
            map.insert("type".into(), Value::Array(kept));
        }
        return;
    }
    if let Some(Value::Array(any)) = map.get("anyOf") {
        let kept: Vec<Value> = any
            .iter()
            .filter(|v| v.get("type").and_then(Value::as_str) != Some("null"))
            .cloned()
            .collect();
        if kept.len() == 1
            && any.len() == 2
            && let Value::Object(inner) = &kept[0]
        {
            map.remove("anyOf");
            for (k, v) in inner {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shared_defs_stay_shared() {
        let input = obj(json!({
            "type": "object",
            "properties": {
                "a": {"$ref": "#/$defs/Item"},
                "b": {"type": "array", "items": {"$ref": "#/$defs/Item"}}
            },
            "$defs": {"Item": {"type": "object"}}
        }));
        let out = Value::Object(compact(&input, Side::Output));
        assert_eq!(out["$defs"]["Item"], json!({"type": "object"}));
        assert_eq!(out["properties"]["a"], json!({"$ref": "#/$defs/Item"}));
    }

    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn drops_noise_but_keeps_bounds_and_required_nullables() {
        let input = obj(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "limit": {"type": ["integer", "null"], "format": "uint32", "minimum": 1, "maximum": 50, "default": null},
                "must": {"type": ["string", "null"]},
                "kind": {"anyOf": [{"$ref": "#/$defs/Kind"}, {"type": "null"}], "description": "Which."}
            },
            "required": ["must"],
            "$defs": {"Kind": {"type": "string", "enum": ["a", "b"], "description": "A kind."}}
        }));
        let out = compact(&input, Side::Input);
        assert_eq!(
            Value::Object(out),
            json!({
                "type": "object",
                "properties": {
                    "limit": {"type": "integer", "minimum": 1, "maximum": 50},
                    "must": {"type": ["string", "null"]},
                    "kind": {"type": "string", "enum": ["a", "b"], "description": "Which."}
                },
                "required": ["must"]
            })
        );
    }

    #[test]
    fn output_side_drops_unsigned_minimum_in_nested_defs() {
        let input = obj(json!({
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}}},
            "$defs": {"Item": {"type": "object", "properties": {
                "n": {"type": ["integer", "null"], "format": "uint32", "minimum": 0, "description": "N."}
            }}}
        }));
        let out = Value::Object(compact(&input, Side::Output));
        assert_eq!(
            out["properties"]["items"]["items"]["properties"]["n"],
            json!({"type": "integer"})
        );
        assert!(out.get("$defs").is_none());
        let kept = Value::Object(compact(&input, Side::Input));
        assert_eq!(
            kept["properties"]["items"]["items"]["properties"]["n"],
            json!({"type": "integer", "minimum": 0, "description": "N."})
        );
    }
}
