//! The one JSON parser of signed artifacts: strict about duplicate members.
//!
//! RFC 8259 leaves the meaning of an object that names a member twice to each parser, and
//! parsers disagree (first wins, last wins, error). A signed artifact must mean one thing to
//! every reader, so a duplicate member anywhere — header, payload, or deep inside an item's
//! value — refuses the whole artifact. Every reader of a signed artifact (import, read-back,
//! the consumer's checks) goes through [`parse_object`].

use std::cell::RefCell;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a JSON text was refused.
#[derive(Debug)]
pub(crate) enum StrictJsonError {
    /// An object names this member twice.
    Duplicate(String),
    /// Not JSON, or not an object at the top level.
    Syntax(String),
}

/// Parses `bytes` as one JSON object, refusing duplicate members at any depth and trailing data.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, StrictJsonError> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = StrictSeed { duplicate: &duplicate }.deserialize(&mut deserializer).and_then(|value| {
        deserializer.end()?;
        Ok(value)
    });
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(StrictJsonError::Syntax("it is not a JSON object".into())),
        Err(e) => match duplicate.into_inner() {
            Some(member) => Err(StrictJsonError::Duplicate(member)),
            None => Err(StrictJsonError::Syntax(e.to_string())),
        },
    }
}

/// Builds a `serde_json::Value`, noting the first duplicate member met.
#[derive(Clone, Copy)]
struct StrictSeed<'a> {
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for StrictSeed<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                *self.duplicate.borrow_mut() = Some(key.clone());
                return Err(A::Error::custom(format!("duplicate member {key:?}")));
            }
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate_of(text: &str) -> Option<String> {
        match parse_object(text.as_bytes()) {
            Err(StrictJsonError::Duplicate(m)) => Some(m),
            _ => None,
        }
    }

    #[test]
    fn duplicate_members_are_refused_at_any_depth() {
        assert_eq!(duplicate_of(r#"{"a":1,"a":2}"#).as_deref(), Some("a"));
        assert_eq!(duplicate_of(r#"{"a":{"b":[{"c":1,"c":1}]}}"#).as_deref(), Some("c"));
        // An escaped spelling of the same name is the same member.
        assert_eq!(duplicate_of(r#"{"ver":1,"v\u0065r":1}"#).as_deref(), Some("ver"));
        assert!(parse_object(br#"{"a":1,"b":{"a":2}}"#).is_ok(), "same name in two objects is fine");
    }

    #[test]
    fn only_one_object_and_nothing_after_it() {
        assert!(matches!(parse_object(b"[1]"), Err(StrictJsonError::Syntax(_))));
        assert!(matches!(parse_object(br#"{"a":1} {"a":2}"#), Err(StrictJsonError::Syntax(_))));
        assert!(matches!(parse_object(b"{\"a\":1e999}"), Err(StrictJsonError::Syntax(_))));
        let deep = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        assert!(matches!(parse_object(deep.as_bytes()), Err(StrictJsonError::Syntax(_))));
        let map = parse_object(br#" {"n": -9223372036854775808, "u": 18446744073709551615, "f": 0.5} "#).unwrap();
        assert_eq!(map["n"].as_i64(), Some(i64::MIN));
    }
}
