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

/// The deepest nesting of objects and arrays accepted, the outer object included (serde_json's
/// recursion limit); PROTOCOL.md §1 states it.
pub(crate) const MAX_DEPTH: usize = 127;

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
            None => Err(StrictJsonError::Syntax(plain_syntax_error(&e))),
        },
    }
}

/// Deserializes `value` into `T`, and when it does not fit says which member is wrong and how,
/// in plain words (`retention_days is the number 30.0, where a whole number from 0 to
/// 4294967295 is expected`) rather than in serde's (`invalid type: floating point `30.0`,
/// expected u32`).
/// `whole` names the value itself, for an error about it rather than about one of its members.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(value: Value, whole: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let subject = if path == "." { whole } else { path.as_str() };
        let message = e.inner().to_string();
        match plain_data_error(&message) {
            Some(words) => format!("{subject} {words}"),
            // A message of Tessera's own types, already in words.
            None => format!("{subject}: {message}"),
        }
    })
}

/// A JSON syntax error in plain words, with where it is.
pub(crate) fn plain_syntax_error(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(message, _)| message);
    let words = match message {
        m if m.starts_with("EOF while parsing") => "it stops in the middle".to_owned(),
        // A \uD800–\uDBFF escape not followed by a \uDC00–\uDFFF one.
        "lone leading surrogate in hex escape" | "unexpected end of hex escape" => {
            "a \\u escape holds half of a character (a lone surrogate, \\uD800 to \\uDFFF, without its other half)"
                .to_owned()
        }
        "invalid unicode code point" => "a \\u escape is not a character".to_owned(),
        "invalid escape" => {
            "a backslash escape is not one JSON has (such as \\n, \\\" or \\u00e9 with four hexadecimal digits)"
                .to_owned()
        }
        m if m.starts_with("control character") => {
            "a text holds a raw control character (a line break, a tab, …), which JSON writes as an escape".to_owned()
        }
        "recursion limit exceeded" => format!("it is nested more than {MAX_DEPTH} levels deep"),
        "trailing characters" => "something follows the JSON object".to_owned(),
        "trailing comma" => "a comma comes right before a closing bracket".to_owned(),
        "number out of range" => "a number is too large".to_owned(),
        "invalid number" => "a number is not written as JSON writes numbers".to_owned(),
        "key must be a string" => "a member name is not a text in double quotes".to_owned(),
        m if m.starts_with("expected") => "it is not valid JSON".to_owned(),
        other => other.to_owned(),
    };
    if e.line() == 0 {
        words
    } else if e.line() == 1 {
        format!("{words}, at character {}", e.column())
    } else {
        format!("{words}, on line {} at character {}", e.line(), e.column())
    }
}

/// A serde data error (a value of the wrong type) in plain words, e.g. `is the number 30.0,
/// where a whole number is expected`; `None` for the messages of Tessera's own types, which
/// are already in words.
fn plain_data_error(message: &str) -> Option<String> {
    let found_and_expected = |rest: &str| -> Option<(String, String)> {
        let (found, expected) = rest.split_once(", expected ")?;
        Some((plain_found(found), plain_expected(expected)))
    };
    if let Some((found, expected)) = message.strip_prefix("invalid type: ").and_then(found_and_expected) {
        return Some(format!("is {found}, where {expected} is expected"));
    }
    if let Some((found, expected)) = message.strip_prefix("invalid value: ").and_then(found_and_expected) {
        return Some(format!("is {found}, out of range: {expected} is expected"));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            let choices = expected.trim_start_matches("one of ").replace('`', "");
            return Some(format!(
                "is {}, which is none of: {}",
                found.replace('`', "\""),
                choices.replace(" or ", ", ")
            ));
        }
    }
    if message.starts_with("invalid length ") && message.contains(", expected struct ") {
        // serde reads a struct from a list of its members in order; a JSON list is never meant so.
        return Some("is a list, where an object is expected".into());
    }
    if let Some(member) = message.strip_prefix("missing field ") {
        return Some(format!("lacks the required member {}", member.replace('`', "\"")));
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let member = rest.split_once(", expected").map_or(rest, |(member, _)| member);
        return Some(format!("has the member {}, which it does not have", member.replace('`', "\"")));
    }
    None
}

/// What serde found, in words: `floating point `30.0`` → `the number 30.0`.
fn plain_found(found: &str) -> String {
    let quoted = |text: &str| text.trim_matches('`').to_owned();
    if let Some(number) = found.strip_prefix("floating point ").or_else(|| found.strip_prefix("integer ")) {
        return format!("the number {}", quoted(number));
    }
    if let Some(text) = found.strip_prefix("string ") {
        let text: String = serde_json::from_str(text).unwrap_or_else(|_| text.to_owned());
        return format!("the text {}", crate::text::excerpt(&text, 40));
    }
    match found {
        "boolean `true`" => "true".into(),
        "boolean `false`" => "false".into(),
        "null" | "unit value" => "null".into(),
        "sequence" => "a list".into(),
        "map" => "an object".into(),
        other => other.into(),
    }
}

/// What serde expected, in words: `u32` → `a whole number from 0 to 4294967295`.
fn plain_expected(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => {
            let max = match expected {
                "u8" => u64::from(u8::MAX),
                "u16" => u64::from(u16::MAX),
                "u32" => u64::from(u32::MAX),
                _ => u64::MAX,
            };
            format!("a whole number from 0 to {max}")
        }
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "a string" | "a borrowed string" => "a text".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "a list".into(),
        e if e.starts_with("struct ") || e == "a map" => "an object".into(),
        other => other.into(),
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
    fn nesting_stops_at_127_levels_as_the_protocol_says() {
        let nested = |levels: usize| format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels));
        assert!(parse_object(nested(MAX_DEPTH).as_bytes()).is_ok());
        assert!(matches!(parse_object(nested(MAX_DEPTH + 1).as_bytes()), Err(StrictJsonError::Syntax(_))));
        let lists = |levels: usize| format!("{{\"a\":{}1{}}}", "[".repeat(levels - 1), "]".repeat(levels - 1));
        assert!(parse_object(lists(MAX_DEPTH).as_bytes()).is_ok());
        assert!(matches!(parse_object(lists(MAX_DEPTH + 1).as_bytes()), Err(StrictJsonError::Syntax(_))));
    }

    fn syntax_error_of(text: &str) -> String {
        match parse_object(text.as_bytes()) {
            Err(StrictJsonError::Syntax(words)) => words,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_said_in_plain_words() {
        assert!(syntax_error_of(r#"{"a":"\u12"}"#).starts_with("a backslash escape is not one JSON has"));
        for lone in [r#"{"a":"\ud800"}"#, r#"{"a":"\ud800\u0041"}"#] {
            assert!(
                syntax_error_of(lone).starts_with("a \\u escape holds half of a character (a lone surrogate"),
                "{lone}"
            );
        }
        assert_eq!(syntax_error_of(r#"{"a":1"#), "it stops in the middle, at character 6");
        assert_eq!(syntax_error_of(r#"{"a":1} x"#), "something follows the JSON object, at character 9");
        assert_eq!(syntax_error_of("[1]"), "it is not a JSON object");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        days: u32,
        when: i64,
        reason: Reason,
        items: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Reason {
        Revoked,
        RetentionExpired,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        required: bool,
    }

    fn data_error_of(json: serde_json::Value) -> String {
        from_value::<Sample>(json, "the sample").unwrap_err()
    }

    #[test]
    fn values_of_the_wrong_type_are_said_in_plain_words_naming_the_member() {
        let fine = serde_json::json!({"days": 30, "when": 5, "reason": "revoked", "items": [{"required": true}]});
        assert!(from_value::<Sample>(fine.clone(), "the sample").is_ok());
        assert_eq!(data_error_of(serde_json::json!([])), "the sample is a list, where an object is expected");
        assert_eq!(data_error_of(serde_json::json!("x")), "the sample is the text \"x\", where an object is expected");
        let with = |member: &str, value: serde_json::Value| {
            let mut json = fine.clone();
            json[member] = value;
            data_error_of(json)
        };
        assert_eq!(
            with("days", serde_json::json!(30.0)),
            "days is the number 30.0, where a whole number from 0 to 4294967295 is expected"
        );
        assert_eq!(
            with("days", serde_json::json!(-1)),
            "days is the number -1, out of range: a whole number from 0 to 4294967295 is expected"
        );
        assert_eq!(
            with("when", serde_json::json!("soon")),
            "when is the text \"soon\", where a whole number is expected"
        );
        assert_eq!(
            with("reason", serde_json::json!("deleted")),
            "reason is \"deleted\", which is none of: revoked, retention_expired"
        );
        assert_eq!(
            with("items", serde_json::json!([{"required": "yes"}])),
            "items[0].required is the text \"yes\", where true or false is expected"
        );
        assert_eq!(with("items", serde_json::json!([{}])), "items[0] lacks the required member \"required\"");
        assert_eq!(with("items", serde_json::json!({})), "items is an object, where a list is expected");
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
