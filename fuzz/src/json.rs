//! JSON values built from fuzz input: any shape (bounded depth and width), with strings drawn
//! partly from hints (real URIs and device IDs) so tool calls get past the first check.

use arbitrary::{Result, Unstructured};
use serde_json::{Map, Number, Value};

/// Longest array or object built.
const MAX_WIDTH: usize = 5;

/// Any JSON value, nested at most `depth` levels.
pub fn any(u: &mut Unstructured, hints: &[String], depth: u32) -> Result<Value> {
    let kinds = if depth == 0 { 8 } else { 10 };
    Ok(match u.choose_index(kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => Value::from(u.int_in_range(0..=100u32)?),
        4 => Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        5 => Value::String(u.arbitrary()?),
        6 => Value::String(hint(u, hints)?),
        7 => Value::String(long_string(u)?),
        8 => {
            let n = u.int_in_range(0..=MAX_WIDTH)?;
            Value::Array(
                (0..n)
                    .map(|_| any(u, hints, depth - 1))
                    .collect::<Result<_>>()?,
            )
        }
        _ => {
            let n = u.int_in_range(0..=MAX_WIDTH)?;
            let mut map = Map::new();
            for _ in 0..n {
                let key: String = u.arbitrary()?;
                map.insert(key, any(u, hints, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

/// One of `hints`, or an arbitrary string when there are none.
pub fn hint(u: &mut Unstructured, hints: &[String]) -> Result<String> {
    if hints.is_empty() {
        return u.arbitrary();
    }
    Ok(hints[u.choose_index(hints.len())?].clone())
}

/// A long string (up to 300,000 characters) of one repeated character: over every bound.
pub fn long_string(u: &mut Unstructured) -> Result<String> {
    let c: char = u.arbitrary()?;
    let n = u.int_in_range(0..=300_000usize)?;
    Ok(std::iter::repeat_n(c, n).collect())
}
