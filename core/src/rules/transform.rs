//! Transforms: how one Cognito value becomes one FusionAuth value.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cognito::Scalar;
use crate::dates;
use crate::fusionauth::DataValue;

/// How deep a JSON value from the rules or the `json` transform may nest. With the deepest
/// data path ([`MAX_DATA_PATH`](super::MAX_DATA_PATH)) and the three levels of an import
/// request around it, a user stays well within the 128 levels a JSON reader reads back.
pub const MAX_VALUE_DEPTH: usize = 64;

/// Levels of arrays and objects in `value` (a scalar is 0).
pub(crate) fn json_depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(json_depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(json_depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// How a rule converts its source value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transform {
    /// The value as it is (a list stays a list).
    #[default]
    Copy,
    /// Leading and trailing whitespace removed; an empty result counts as absent.
    Trim,
    /// Trimmed and lower-cased.
    Lowercase,
    /// `"true"`/`"false"` (any case) or a JSON boolean, to a boolean.
    Boolean,
    /// Any Cognito date form or epoch seconds, to epoch milliseconds.
    EpochMillis,
    /// A phone number in E.164 (`+` and digits); spaces, dashes, dots and brackets are removed.
    E164,
    /// A BCP 47 locale (`en-US`) to FusionAuth's Java form (`en_US`).
    Locale,
    /// A calendar date (`YYYY-MM-DD` or `mm/dd/yyyy`) to `YYYY-MM-DD`.
    Date,
    /// A JSON document held in a string, parsed.
    Json,
    /// A lower-case UUID.
    Uuid,
    /// The rule's `value`, whatever the user has.
    Constant,
    /// Nothing: the source is deliberately not carried over.
    Drop,
}

/// A source value handed to a transform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Input<'v> {
    /// A scalar from the export.
    Scalar(&'v Scalar<'v>),
    /// An attribute value (always a string in Cognito).
    Text(&'v str),
    /// A list of names (groups, MFA methods).
    List(&'v [Cow<'v, str>]),
}

impl<'v> Input<'v> {
    /// The value as it would be kept in `user.data` when the rule cannot use it.
    pub(crate) fn raw(&self) -> DataValue<'v> {
        match *self {
            Input::List(items) => {
                DataValue::Json(items.iter().map(|s| Value::String(s.to_string())).collect())
            }
            _ => DataValue::Text(self.text().unwrap_or_default()),
        }
    }

    fn text(&self) -> Option<Cow<'v, str>> {
        match *self {
            Input::Text(s) => Some(Cow::Borrowed(s)),
            Input::Scalar(Scalar::Text(s)) => Some(Cow::Borrowed(s.as_ref())),
            Input::Scalar(other) => Some(Cow::Owned(other.to_text())),
            Input::List(_) => None,
        }
    }

    /// Whether two inputs hold the same text (for `unlessEquals`).
    pub(crate) fn same_text(&self, other: &Input<'_>) -> bool {
        matches!((self.text(), other.text()), (Some(a), Some(b)) if a == b)
    }
}

/// The result of a transform: a value, nothing (the value is empty or dropped), or a failure.
pub(crate) type Outcome<'v> = Result<Option<DataValue<'v>>, String>;

/// `text` without leading and trailing whitespace, still borrowed when it was.
fn trim(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) if s.trim().len() == s.len() => Cow::Owned(s),
        Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
    }
}

impl Transform {
    /// Applies the transform. `constant` is handled by the caller, which holds the value.
    /// Text is borrowed from the input unless the transform changes it.
    pub(crate) fn apply<'v>(self, input: Input<'v>) -> Outcome<'v> {
        let Some(text) = input.text() else {
            return match self {
                Transform::Copy => Ok(Some(input.raw())),
                Transform::Drop => Ok(None),
                other => Err(format!(
                    "a list cannot be converted with {:?}",
                    other.name()
                )),
            };
        };
        // Every transform but `copy` works on the trimmed text (a copy of it only when it is
        // owned, which happens for numbers and booleans).
        let raw = text;
        let text = trim(raw.clone());
        let trimmed: &str = &text;
        match self {
            Transform::Copy => Ok(match input {
                Input::Scalar(Scalar::Number(n)) => {
                    serde_json::Number::from_f64(*n).map(|n| DataValue::Json(Value::Number(n)))
                }
                Input::Scalar(Scalar::Bool(b)) => Some(DataValue::from(*b)),
                _ => Some(DataValue::Text(raw)),
            }),
            Transform::Trim => Ok((!trimmed.is_empty()).then_some(DataValue::Text(text))),
            Transform::Lowercase => {
                Ok((!trimmed.is_empty()).then(|| DataValue::Text(lowercase(text))))
            }
            Transform::Boolean => match input {
                Input::Scalar(Scalar::Bool(b)) => Ok(Some(DataValue::from(*b))),
                _ if trimmed.eq_ignore_ascii_case("true") => Ok(Some(DataValue::from(true))),
                _ if trimmed.eq_ignore_ascii_case("false") => Ok(Some(DataValue::from(false))),
                _ => Err(format!("{trimmed:?} is not \"true\" or \"false\"")),
            },
            Transform::EpochMillis => {
                let ms = match input {
                    Input::Scalar(Scalar::Number(n)) => dates::millis_from_seconds(*n),
                    _ => dates::epoch_millis(trimmed),
                };
                ms.map(|ms| Some(DataValue::from(ms)))
                    .ok_or_else(|| format!("{trimmed:?} is not a date, time or epoch seconds"))
            }
            Transform::E164 => e164(text.clone())
                .map(|p| Some(DataValue::Text(p)))
                .ok_or_else(|| {
                    format!("{trimmed:?} is not an E.164 phone number (+ and 4 to 15 digits)")
                }),
            Transform::Locale => Ok(Some(DataValue::Text(locale(text.clone())))),
            Transform::Date if dates::is_iso_date(trimmed) => {
                Ok(Some(DataValue::Text(text.clone())))
            }
            Transform::Date => dates::calendar_date(trimmed)
                .map(|d| Some(DataValue::Text(Cow::Owned(d))))
                .ok_or_else(|| {
                    format!("{trimmed:?} is not a real date in YYYY-MM-DD or mm/dd/yyyy form")
                }),
            Transform::Json => {
                let value = serde_json::from_str::<Value>(trimmed)
                    .map_err(|e| format!("not valid JSON: {e}"))?;
                if json_depth(&value) > MAX_VALUE_DEPTH {
                    return Err(format!(
                        "JSON nested deeper than {MAX_VALUE_DEPTH} levels: the import files could not be read back"
                    ));
                }
                Ok(Some(DataValue::from(value)))
            }
            Transform::Uuid => {
                let lower = if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Owned(trimmed.to_ascii_lowercase())
                } else {
                    text.clone()
                };
                if crate::fields::is_uuid(&lower) {
                    Ok(Some(DataValue::Text(lower)))
                } else {
                    Err(format!("{trimmed:?} is not a UUID; a stable id is derived from the pool id and Username"))
                }
            }
            Transform::Drop => Ok(None),
            Transform::Constant => Err("a constant rule needs a \"value\"".into()),
        }
    }

    /// Every transform, in the order the docs list them.
    pub const ALL: [Transform; 12] = [
        Transform::Copy,
        Transform::Trim,
        Transform::Lowercase,
        Transform::Boolean,
        Transform::EpochMillis,
        Transform::E164,
        Transform::Locale,
        Transform::Date,
        Transform::Json,
        Transform::Uuid,
        Transform::Constant,
        Transform::Drop,
    ];

    /// The transform named `name` in rules files.
    pub fn from_name(name: &str) -> Option<Transform> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The transform's name as written in rules files.
    pub fn name(self) -> &'static str {
        match self {
            Transform::Copy => "copy",
            Transform::Trim => "trim",
            Transform::Lowercase => "lowercase",
            Transform::Boolean => "boolean",
            Transform::EpochMillis => "epoch-millis",
            Transform::E164 => "e164",
            Transform::Locale => "locale",
            Transform::Date => "date",
            Transform::Json => "json",
            Transform::Uuid => "uuid",
            Transform::Constant => "constant",
            Transform::Drop => "drop",
        }
    }
}

/// `+` followed by 4 to 15 digits, after removing common separators.
fn e164(text: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let separator = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}');
    let cleaned = if text.contains(separator) {
        Cow::Owned(text.chars().filter(|&c| !separator(c)).collect())
    } else {
        text
    };
    let digits = cleaned.strip_prefix('+')?;
    ((4..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(cleaned)
}

/// `en-US` → `en_US`, `EN-us` → `en_US`; anything else is passed through for validation.
/// Borrowed when already in that form.
fn locale(text: Cow<'_, str>) -> Cow<'_, str> {
    let java_form = !text.contains('-')
        && text
            .split('_')
            .enumerate()
            .all(|(i, part)| matches!(locale_part(i, part), Cow::Borrowed(_)));
    if java_form {
        return text;
    }
    let parts: Vec<Cow<'_, str>> = text
        .split(['-', '_'])
        .enumerate()
        .map(|(i, part)| locale_part(i, part))
        .collect();
    Cow::Owned(parts.join("_"))
}

/// Part `i` of a locale in FusionAuth's form: the language in lower case, a two-letter
/// region in upper case, anything else as it is.
fn locale_part(i: usize, part: &str) -> Cow<'_, str> {
    if i == 0 && part.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(part.to_ascii_lowercase())
    } else if i > 0 && part.len() == 2 && part.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(part.to_ascii_uppercase())
    } else {
        Cow::Borrowed(part)
    }
}

/// `text` lower-cased, still borrowed when it already was.
pub(crate) fn lowercase(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            text
        }
    } else {
        let lower = text.to_lowercase();
        if lower == *text {
            text
        } else {
            Cow::Owned(lower)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: Transform, s: &str) -> Outcome<'_> {
        t.apply(Input::Text(s))
    }

    #[test]
    fn text_transforms() {
        assert_eq!(text(Transform::Trim, "  a b "), Ok(Some("a b".into())));
        assert_eq!(text(Transform::Trim, "   "), Ok(None));
        assert_eq!(
            text(Transform::Lowercase, " Bob@X.IO "),
            Ok(Some("bob@x.io".into()))
        );
        assert_eq!(text(Transform::Boolean, "TRUE"), Ok(Some(true.into())));
        assert!(text(Transform::Boolean, "yes").is_err());
        assert_eq!(
            text(Transform::E164, "+1 (303) 555-1212"),
            Ok(Some("+13035551212".into()))
        );
        assert!(text(Transform::E164, "303-555-1212").is_err());
        assert_eq!(text(Transform::Locale, "en-us"), Ok(Some("en_US".into())));
        assert_eq!(
            text(Transform::Date, "02/01/1985"),
            Ok(Some("1985-02-01".into()))
        );
        assert!(text(Transform::Date, "0000-05-17").is_err());
        assert_eq!(
            text(Transform::Json, "{\"a\":1}"),
            Ok(Some(serde_json::json!({"a":1}).into()))
        );
        assert!(text(Transform::Json, "{").is_err());
        assert_eq!(
            text(Transform::Uuid, "06744664-DF6E-48CC-9421-3D56A9732172"),
            Ok(Some("06744664-df6e-48cc-9421-3d56a9732172".into()))
        );
        assert!(text(Transform::Uuid, "user-1").is_err());
        assert_eq!(text(Transform::Drop, "x"), Ok(None));
        assert_eq!(
            text(Transform::EpochMillis, "1471453471"),
            Ok(Some(1_471_453_471_000i64.into()))
        );
    }

    #[test]
    fn scalar_and_list_inputs() {
        let n = Scalar::Number(1_682_955_829.578);
        assert_eq!(
            Transform::EpochMillis.apply(Input::Scalar(&n)),
            Ok(Some(1_682_955_829_578i64.into()))
        );
        let b = Scalar::Bool(false);
        assert_eq!(
            Transform::Boolean.apply(Input::Scalar(&b)),
            Ok(Some(false.into()))
        );
        assert_eq!(
            Transform::Copy.apply(Input::Scalar(&b)),
            Ok(Some(false.into()))
        );
        let t = Scalar::Text("False".into());
        assert_eq!(
            Transform::Boolean.apply(Input::Scalar(&t)),
            Ok(Some(false.into()))
        );
        let list = [Cow::Borrowed("a"), Cow::Borrowed("b")];
        assert_eq!(
            Transform::Copy.apply(Input::List(&list)),
            Ok(Some(serde_json::json!(["a", "b"]).into()))
        );
        assert!(Transform::Trim.apply(Input::List(&list)).is_err());
    }
}
