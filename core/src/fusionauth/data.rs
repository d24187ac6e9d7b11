//! `user.data`: FusionAuth's free-form object, built from values borrowed from the export
//! and the rules wherever they can be (most users' `data` then costs no string copies).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An object under `user.data`, keys sorted (as serde_json writes objects).
pub type Data<'a> = BTreeMap<Cow<'a, str>, DataValue<'a>>;

/// A value in `user.data`, or the value a mapping rule produced.
///
/// Text and objects borrow where they can; every other JSON value (numbers, booleans, null,
/// arrays) is held as a [`Value`]. Objects are never held as a [`Value`]: [`DataValue::from`]
/// turns them into [`DataValue::Object`], so that a data path can always reach into them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DataValue<'a> {
    /// A string.
    Text(Cow<'a, str>),
    /// An object.
    Object(Data<'a>),
    /// Any other JSON value.
    Json(Value),
}

impl<'a> DataValue<'a> {
    /// The same value, borrowing its text and keys from `self`.
    pub fn borrowed(&self) -> DataValue<'_> {
        match self {
            DataValue::Text(text) => DataValue::Text(Cow::Borrowed(text)),
            DataValue::Object(map) => DataValue::Object(
                map.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_ref()), v.borrowed()))
                    .collect(),
            ),
            DataValue::Json(value) => DataValue::Json(value.clone()),
        }
    }

    /// The same value, owning everything it holds.
    pub fn into_owned(self) -> DataValue<'static> {
        match self {
            DataValue::Text(text) => DataValue::Text(Cow::Owned(text.into_owned())),
            DataValue::Object(map) => DataValue::Object(owned_data(map)),
            DataValue::Json(value) => DataValue::Json(value),
        }
    }
}

/// `map` owning all its keys and values.
pub(crate) fn owned_data(map: Data<'_>) -> Data<'static> {
    map.into_iter()
        .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
        .collect()
}

impl From<Value> for DataValue<'_> {
    fn from(value: Value) -> Self {
        match value {
            Value::String(text) => DataValue::Text(Cow::Owned(text)),
            Value::Object(map) => DataValue::Object(
                map.into_iter()
                    .map(|(k, v)| (Cow::Owned(k), DataValue::from(v)))
                    .collect(),
            ),
            other => DataValue::Json(other),
        }
    }
}

impl<'a> From<&'a str> for DataValue<'a> {
    fn from(text: &'a str) -> Self {
        DataValue::Text(Cow::Borrowed(text))
    }
}

impl From<bool> for DataValue<'_> {
    fn from(b: bool) -> Self {
        DataValue::Json(Value::Bool(b))
    }
}

impl From<i64> for DataValue<'_> {
    fn from(n: i64) -> Self {
        DataValue::Json(Value::from(n))
    }
}

/// The value as compact JSON (for messages).
impl fmt::Display for DataValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Serializing strings, maps with string keys and JSON values cannot fail.
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_become_data_and_write_back_the_same() {
        let value = json!({"b": {"c": [1, "x"], "a": null}, "a": "text", "n": 1.5});
        let data = DataValue::from(value.clone());
        assert!(matches!(&data, DataValue::Object(m) if matches!(m["b"], DataValue::Object(_))));
        assert_eq!(serde_json::to_value(&data).unwrap(), value);
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            serde_json::to_string(&value).unwrap(),
            "same key order and bytes as serde_json"
        );
        let back: DataValue<'_> = serde_json::from_value(value).unwrap();
        assert_eq!(back, data);
        assert_eq!(data.borrowed(), data);
        assert_eq!(data.clone().into_owned(), data);
        assert_eq!(DataValue::from("x").to_string(), "\"x\"");
    }
}
