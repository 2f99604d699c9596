//! Spotify's `fields` filter of playlist answers: `name,owner.id,items(added_at,item(name,uri))`
//! keeps only the named fields; `a.b` is short for `a(b)`; arrays are filtered element-wise.

use serde_json::{Map, Value};

/// One selected field and, when given, the selection inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub children: Option<Vec<Field>>,
}

/// A malformed `fields` expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid fields parameter: {0}")]
pub struct FieldsError(String);

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn list(&mut self, depth: usize) -> Result<Vec<Field>, FieldsError> {
        if depth > 16 {
            return Err(FieldsError("nested too deeply".into()));
        }
        let mut out = Vec::new();
        loop {
            out.push(self.field(depth)?);
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                _ => return Ok(out),
            }
        }
    }

    fn field(&mut self, depth: usize) -> Result<Field, FieldsError> {
        let start = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(FieldsError(format!(
                "expected a field name at position {start}"
            )));
        }
        let name = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
        let children = match self.s.get(self.pos) {
            Some(b'.') => {
                self.pos += 1;
                Some(vec![self.field(depth + 1)?])
            }
            Some(b'(') => {
                self.pos += 1;
                let inner = self.list(depth + 1)?;
                if self.s.get(self.pos) != Some(&b')') {
                    return Err(FieldsError(format!(
                        "expected ')' at position {}",
                        self.pos
                    )));
                }
                self.pos += 1;
                Some(inner)
            }
            _ => None,
        };
        Ok(Field { name, children })
    }
}

/// Parses a `fields` expression.
pub fn parse(expr: &str) -> Result<Vec<Field>, FieldsError> {
    let compact: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    let mut p = Parser {
        s: compact.as_bytes(),
        pos: 0,
    };
    let fields = p.list(0)?;
    if p.pos != compact.len() {
        return Err(FieldsError(format!(
            "unexpected character at position {}",
            p.pos
        )));
    }
    Ok(merge(&fields))
}

/// Folds repeated names at every level (`a(b),a(c)` is `a(b,c)`; a bare `a` keeps all of `a`),
/// once at parse time, so [`apply`] does not redo it for every array element.
fn merge(fields: &[Field]) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    for f in fields {
        match out.iter_mut().find(|x| x.name == f.name) {
            Some(existing) => match (&mut existing.children, &f.children) {
                (Some(a), Some(b)) => a.extend(b.iter().cloned()),
                _ => existing.children = None,
            },
            None => out.push(f.clone()),
        }
    }
    for f in &mut out {
        if let Some(children) = &f.children {
            f.children = Some(merge(children));
        }
    }
    out
}

/// Keeps only the selected fields of `v` (`fields` as [`parse`] returns them).
pub fn apply(v: Value, fields: &[Field]) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.into_iter().map(|x| apply(x, fields)).collect()),
        Value::Object(mut obj) => {
            let mut out = Map::new();
            for f in fields {
                if let Some(x) = obj.remove(&f.name) {
                    let x = match &f.children {
                        Some(children) => apply(x, children),
                        None => x,
                    };
                    out.insert(f.name.clone(), x);
                }
            }
            Value::Object(out)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_nested_and_dotted_fields() {
        let f = parse("name, owner.id,items(added_at,item(name,album(name)))").unwrap_or_default();
        assert_eq!(f.len(), 3);
        assert_eq!(
            f[1],
            Field {
                name: "owner".into(),
                children: Some(vec![Field {
                    name: "id".into(),
                    children: None
                }])
            }
        );
        assert!(parse("items(name").is_err());
        assert!(parse("a,,b").is_err());
        assert!(parse("a)").is_err());
    }

    #[test]
    fn filters_objects_and_arrays() {
        let v = json!({
            "name": "P", "id": "x", "owner": { "id": "u", "display_name": "U" },
            "items": { "total": 2, "items": [{ "added_at": "t", "item": { "name": "a", "uri": "u1" } }] },
        });
        let f = parse("name,owner.id,items(items(item(uri)))").unwrap_or_default();
        assert_eq!(
            apply(v, &f),
            json!({ "name": "P", "owner": { "id": "u" }, "items": { "items": [{ "item": { "uri": "u1" } }] } })
        );
    }

    #[test]
    fn repeated_names_are_merged_at_every_level() {
        let f =
            parse("items(item(name)),items(item(uri),added_at),owner,owner.id").unwrap_or_default();
        let v = json!({
            "owner": { "id": "u", "display_name": "U" },
            "items": [{ "added_at": "t", "item": { "name": "a", "uri": "u1", "id": "i" }, "x": 1 }],
        });
        assert_eq!(
            apply(v, &f),
            json!({
                "owner": { "id": "u", "display_name": "U" },
                "items": [{ "added_at": "t", "item": { "name": "a", "uri": "u1" } }],
            })
        );
    }
}
