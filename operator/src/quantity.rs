//! Kubernetes resource quantities ("500m", "1Gi", "1e3") compared by value.
//!
//! The API server stores a quantity in its canonical form (`cpu: "0.5"` reads back as `"500m"`),
//! so comparing what the operator applies with what it reads back must compare values, not strings.
//! This parses the quantity grammar of `k8s.io/apimachinery/pkg/api/resource` exactly (no floating
//! point): `[+-]<digits>[.<digits>]<suffix>` with the suffix one of the decimal SI suffixes
//! (`n u m "" k M G T P E`), the binary SI suffixes (`Ki Mi Gi Ti Pi Ei`) or a decimal exponent
//! (`e3`, `E-2`).

/// The exact value of a quantity, normalised so equal values compare equal:
/// `(-1)^negative * mantissa * 10^exponent`, `mantissa` without trailing zeros (0 is `(false, 0, 0)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value {
    negative: bool,
    mantissa: u128,
    exponent: i64,
}

/// Parses a quantity; `None` if `s` is not one (or is too large to hold exactly).
pub fn parse(s: &str) -> Option<Value> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let number_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let mut mantissa: u128 = 0;
    for digit in whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(u128::from(digit - b'0'))?;
    }
    let mut exponent = -i64::try_from(fraction.len()).ok()?;
    let (decimal, binary): (i64, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => (decimal_exponent(suffix)?, 0),
    };
    mantissa = mantissa.checked_mul(1u128.checked_shl(binary)?)?;
    exponent = exponent.checked_add(decimal)?;
    if mantissa == 0 {
        return Some(Value {
            negative: false,
            mantissa: 0,
            exponent: 0,
        });
    }
    while mantissa.is_multiple_of(10) {
        mantissa /= 10;
        exponent += 1;
    }
    Some(Value {
        negative,
        mantissa,
        exponent,
    })
}

/// `e<signed integer>` or `E<signed integer>`.
fn decimal_exponent(suffix: &str) -> Option<i64> {
    let digits = suffix
        .strip_prefix('e')
        .or_else(|| suffix.strip_prefix('E'))?;
    let unsigned = digits
        .strip_prefix('-')
        .or_else(|| digits.strip_prefix('+'))
        .unwrap_or(digits);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exponent: i64 = digits.parse().ok()?;
    // Far beyond anything the API server accepts; keeps the arithmetic bounded.
    (exponent.abs() <= 1_000).then_some(exponent)
}

/// Whether `a` and `b` are quantities of the same value.
pub fn same_value(a: &str, b: &str) -> bool {
    matches!((parse(a), parse(b)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_servers_canonical_forms_equal_what_users_write() {
        assert!(same_value("0.5", "500m"));
        assert!(same_value("1Gi", "1073741824"));
        assert!(same_value("1", "1000m"));
        assert!(same_value("1.5Gi", "1536Mi"));
        assert!(same_value("1e3", "1k"));
        assert!(same_value("1E3", "1k"));
        assert!(same_value("2.5e-3", "2500u"));
        assert!(same_value("0", "0m"));
        assert!(same_value("-0", "0Gi"));
        assert!(same_value("+1M", "1000k"));
        assert!(same_value(".5", "0.5"));
        assert!(same_value("5.", "5"));
        assert!(same_value("1Ei", "1152921504606846976"));
    }

    #[test]
    fn different_values_differ() {
        assert!(!same_value("1G", "1Gi"));
        assert!(!same_value("100m", "200m"));
        assert!(!same_value("-1", "1"));
        assert!(!same_value("1M", "1Mi"));
        assert!(!same_value("128974848", "129e6"));
        // E alone is exa, not an exponent.
        assert!(!same_value("1E", "1"));
        assert!(same_value("1E", "1e18"));
    }

    #[test]
    fn non_quantities_are_never_equal() {
        for bad in [
            "", "-", ".", "m", "1.2.3", "1x", "1 Gi", "1gi", "1e", "1e+", "1e1.5", "Gi", "1KiB",
            "1e99999",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
            assert!(!same_value(bad, bad), "{bad:?}");
        }
        // Too large to hold exactly: treated as not a quantity (the caller then compares strings).
        assert_eq!(parse("999999999999999999999999999999999999999999Ei"), None);
    }
}
