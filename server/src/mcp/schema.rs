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
//! - a `$defs` entry referenced once is inlined at its reference. Output schemas go further:
//!   every def is inlined, then each subschema that appears more than once becomes one `$defs`
//!   entry referenced where it appeared, when (and only when) that takes fewer bytes. Each
//!   schema stays self-contained: its `$ref`s point into its own `$defs`.

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
    match side {
        Side::Input => inline_single_use_defs(&mut out),
        Side::Output => {
            let names = inline_all_defs(&mut out);
            share_repeated(&mut out, &names);
        }
    }
    out
}

/// Replaces every `$ref` into `$defs` by the def it names, then drops `$defs`. Returns the
/// inlined defs by name, to name shared subschemas after them.
fn inline_all_defs(root: &mut Map<String, Value>) -> Vec<(String, Value)> {
    let Some(Value::Object(defs)) = root.remove("$defs") else {
        return Vec::new();
    };
    let mut root_value = Value::Object(std::mem::take(root));
    // Defs may reference defs: a bounded number of passes (schemas here are shallow and not
    // recursive; a recursive one keeps its innermost reference, which stays resolvable below).
    for _ in 0..8 {
        if !replace_refs(&mut root_value, &defs) {
            break;
        }
    }
    if let Value::Object(map) = root_value {
        *root = map;
    }
    let mut unresolved = std::collections::HashMap::new();
    count_refs(&Value::Object(root.clone()), &mut unresolved);
    if !unresolved.is_empty() {
        root.insert("$defs".into(), Value::Object(defs.clone()));
    }
    defs.into_iter().collect()
}

/// The compact JSON length of `value`.
fn json_len(value: &Value) -> usize {
    value.to_string().len()
}

/// Every subschema below the root (property, item and `anyOf`/`oneOf`/`allOf` schemas), by
/// its JSON, with how often it appears.
fn subschemas(value: &Value, found: &mut Vec<(String, Value, usize)>) {
    let Value::Object(map) = value else { return };
    let mut visit = |sub: &Value| {
        if sub.is_object() {
            let key = sub.to_string();
            match found.iter_mut().find(|(k, _, _)| *k == key) {
                Some(entry) => entry.2 += 1,
                None => found.push((key, sub.clone(), 1)),
            }
            subschemas(sub, found);
        }
    };
    if let Some(Value::Object(props)) = map.get("properties") {
        props.values().for_each(&mut visit);
    }
    if let Some(items) = map.get("items") {
        visit(items);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(subs)) = map.get(key) {
            subs.iter().for_each(&mut visit);
        }
    }
}

/// Replaces each occurrence of `target` at a subschema position by `reference`.
fn replace_subschema(value: &mut Value, target: &Value, reference: &Value) {
    let Value::Object(map) = value else { return };
    let mut swap = |sub: &mut Value| {
        if sub == target {
            *sub = reference.clone();
        } else {
            replace_subschema(sub, target, reference);
        }
    };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(&mut swap);
    }
    if let Some(items) = map.get_mut("items") {
        swap(items);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(subs)) = map.get_mut(key) {
            subs.iter_mut().for_each(&mut swap);
        }
    }
}

/// A name for a shared subschema: the def it was, `<Def>s` for an array of one, else `S<n>`.
fn share_name(sub: &Value, named: &[(String, Value)], taken: &Map<String, Value>) -> String {
    let of = |v: &Value| named.iter().find(|(_, d)| d == v).map(|(n, _)| n.clone());
    let base = of(sub)
        .or_else(|| {
            (sub.get("type") == Some(&Value::from("array")))
                .then(|| sub.get("items").and_then(of))
                .flatten()
                .map(|n| format!("{n}s"))
        })
        .unwrap_or_else(|| "S".to_string());
    let mut name = base.clone();
    let mut n = 1;
    while taken.contains_key(&name) || name == "S" {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

/// Moves repeated subschemas into `$defs` while that saves bytes, the biggest saving first.
fn share_repeated(root: &mut Map<String, Value>, named: &[(String, Value)]) {
    let mut defs = match root.remove("$defs") {
        Some(Value::Object(defs)) => defs,
        _ => Map::new(),
    };
    loop {
        let mut found = Vec::new();
        let whole = Value::Object(root.clone());
        subschemas(&whole, &mut found);
        for def in defs.values() {
            subschemas(def, &mut found);
        }
        let best = found
            .into_iter()
            // A reference is already as small as it gets.
            .filter(|(_, sub, n)| *n > 1 && sub.get("$ref").is_none())
            .filter_map(|(_, sub, n)| {
                let name = share_name(&sub, named, &defs);
                let reference = serde_json::json!({ "$ref": format!("#/$defs/{name}") });
                let len = json_len(&sub);
                // `"name":{...},` in `$defs`, plus `"$defs":{},` for the first one.
                let def_cost = name.len() + 4 + len + if defs.is_empty() { 11 } else { 0 };
                let saved = (n * len).checked_sub(n * json_len(&reference) + def_cost)?;
                (saved > 0).then_some((saved, name, sub, reference))
            })
            .max_by_key(|(saved, ..)| *saved);
        let Some((_, name, sub, reference)) = best else {
            break;
        };
        let mut whole = Value::Object(std::mem::take(root));
        replace_subschema(&mut whole, &sub, &reference);
        if let Value::Object(map) = whole {
            *root = map;
        }
        for def in defs.values_mut() {
            replace_subschema(def, &sub, &reference);
        }
        defs.insert(name, sub);
    }
    if !defs.is_empty() {
        root.insert("$defs".into(), Value::Object(defs));
    }
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
    // An `enum` of strings admits only those strings: `"type": "string"` beside it says nothing.
    if map.get("type") == Some(&Value::from("string"))
        && map
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| values.iter().all(Value::is_string))
    {
        map.remove("type");
    }
    // `"properties": {}` constrains nothing (a tool without arguments: unknown ones are refused
    // by `validate::unknown_arguments` either way).
    if map
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        map.remove("properties");
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
    fn input_defs_used_twice_stay_shared() {
        let input = obj(json!({
            "type": "object",
            "properties": {
                "a": {"$ref": "#/$defs/Item"},
                "b": {"type": "array", "items": {"$ref": "#/$defs/Item"}}
            },
            "$defs": {"Item": {"type": "object"}}
        }));
        let out = Value::Object(compact(&input, Side::Input));
        assert_eq!(out["$defs"]["Item"], json!({"type": "object"}));
        assert_eq!(out["properties"]["a"], json!({"$ref": "#/$defs/Item"}));
    }

    #[test]
    fn output_shares_a_repeated_subschema_only_when_that_is_smaller() {
        let item = json!({"type": "object", "required": ["name", "uri"]});
        let list = json!({"type": "array", "items": {"$ref": "#/$defs/Item"}});
        let input = obj(json!({
            "type": "object",
            "properties": {"a": list, "b": list, "c": list, "d": {"$ref": "#/$defs/Item"}},
            "$defs": {"Item": item}
        }));
        let out = Value::Object(compact(&input, Side::Output));
        let shared = json!({"type": "array", "items": item});
        assert_eq!(out["$defs"], json!({"Items": shared}), "{out}");
        for key in ["a", "b", "c"] {
            assert_eq!(out["properties"][key], json!({"$ref": "#/$defs/Items"}));
        }
        // Once outside the shared list: inlined.
        assert_eq!(out["properties"]["d"], item);
        assert!(out.to_string().len() < Value::Object(input).to_string().len());

        // Twice, small: a reference would cost more than the copy.
        let small = obj(json!({
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/Item"}, "b": {"$ref": "#/$defs/Item"}},
            "$defs": {"Item": item}
        }));
        let out = Value::Object(compact(&small, Side::Output));
        assert!(out.get("$defs").is_none(), "{out}");
        assert_eq!(out["properties"]["b"], item);
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
                "kind": {"anyOf": [{"$ref": "#/$defs/Kind"}, {"type": "null"}], "description": "Which."},
                "code": {"type": "integer", "enum": [1, 2]}
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
                    "kind": {"enum": ["a", "b"], "description": "Which."},
                    "code": {"type": "integer", "enum": [1, 2]}
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
