//! The console's state: the rules being edited and everything the worker reported, as
//! signals, plus the plain edits of the rule table.

use cognito_fusionauth::rules::{AttributeRule, Transform};
use cognito_fusionauth::Rules;
use leptos::prelude::*;

use crate::digest::Digest;
use crate::protocol::{users_in, LoadedFile, UserHit};
use crate::push_view::PushView;

/// Work the worker is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// What it is doing.
    pub stage: String,
    /// Units done.
    pub done: u64,
    /// Units in all; 0 when unknown.
    pub total: u64,
}

/// An output file ready to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// The file name.
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its `blob:` URL.
    pub url: String,
}

/// Everything the page shows; `Copy`, so every component and handler can hold it.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    /// The rules and settings being edited (kept in localStorage).
    pub rules: RwSignal<Rules>,
    /// Why the rules do not compile, if they do not (nothing is converted then).
    pub rules_error: Memo<Option<String>>,
    /// The loaded files.
    pub files: RwSignal<Vec<LoadedFile>>,
    /// What the worker is doing, if anything.
    pub progress: RwSignal<Option<Progress>>,
    /// Whether the worker is converting (what is shown is then about to change).
    pub converting: RwSignal<bool>,
    /// The latest conversion's report, trimmed for display.
    pub digest: RwSignal<Option<Digest>>,
    /// The latest conversion's output files.
    pub downloads: RwSignal<Vec<Download>>,
    /// The .zip of every output file, once asked for.
    pub zip: RwSignal<Option<Download>>,
    /// The preview's search box.
    pub query: RwSignal<String>,
    /// The users the search found.
    pub hits: RwSignal<Vec<UserHit>>,
    /// The previewed user and its Cognito record (JSON).
    pub record: RwSignal<Option<(UserHit, String)>>,
    /// The latest failure the worker reported.
    pub failure: RwSignal<Option<String>>,
    /// "Send to FusionAuth".
    pub push: PushView,
}

impl Console {
    /// A console with `rules` and nothing loaded.
    pub fn new(rules: Rules) -> Self {
        let rules = RwSignal::new(rules);
        Self {
            rules,
            rules_error: Memo::new(move |_| {
                rules.with(|r| r.compile().err().map(|e| e.to_string()))
            }),
            files: RwSignal::new(Vec::new()),
            progress: RwSignal::new(None),
            converting: RwSignal::new(false),
            digest: RwSignal::new(None),
            downloads: RwSignal::new(Vec::new()),
            zip: RwSignal::new(None),
            query: RwSignal::new(String::new()),
            hits: RwSignal::new(Vec::new()),
            record: RwSignal::new(None),
            failure: RwSignal::new(None),
            push: PushView::new(),
        }
    }

    /// Users read from the loaded files.
    pub fn users(&self) -> u64 {
        self.files.with(|f| users_in(f))
    }
}

/// An edit of the attribute rule table.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleEdit {
    /// Append an empty `copy` rule.
    Add,
    /// Remove the rule at this row.
    Remove(usize),
    /// Swap the rule with the one above.
    MoveUp(usize),
    /// Swap the rule with the one below.
    MoveDown(usize),
    /// Set the row's source (blank means none).
    Source(usize, String),
    /// Set the row's target.
    Target(usize, String),
    /// Set the row's transform.
    Transform(usize, Transform),
    /// Set the row's constant or default value, written as JSON (or as plain text).
    Value(usize, String),
    /// Go back to the default rules, keeping the settings.
    Reset,
}

impl RuleEdit {
    /// Applies the edit; an edit of a row that does not exist does nothing.
    pub fn apply(self, rules: &mut Rules) {
        let rows = &mut rules.attributes;
        let len = rows.len();
        match self {
            RuleEdit::Add => rows.push(AttributeRule {
                source: Some(String::new()),
                target: "data.".into(),
                transform: Transform::Copy,
                value: None,
                default: None,
                unless_equals: None,
            }),
            RuleEdit::Remove(i) if i < len => {
                rows.remove(i);
            }
            RuleEdit::MoveUp(i) if i > 0 && i < len => rows.swap(i - 1, i),
            RuleEdit::MoveDown(i) if i + 1 < len => rows.swap(i, i + 1),
            RuleEdit::Source(i, s) if i < len => {
                let s = s.trim();
                rows[i].source = (!s.is_empty()).then(|| s.to_owned());
            }
            RuleEdit::Target(i, t) if i < len => rows[i].target = t.trim().to_owned(),
            RuleEdit::Transform(i, t) if i < len => rows[i].transform = t,
            RuleEdit::Value(i, v) if i < len => {
                let value = parse_value(&v);
                if rows[i].transform == Transform::Constant {
                    rows[i].value = value;
                } else {
                    rows[i].default = value;
                }
            }
            RuleEdit::Reset => rules.attributes = Rules::defaults().attributes,
            _ => {}
        }
    }
}

/// The value column: what a constant rule writes, or the default of any other rule.
pub fn value_text(rule: &AttributeRule) -> String {
    let value = if rule.transform == Transform::Constant {
        &rule.value
    } else {
        &rule.default
    };
    match value {
        None => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// JSON when the text is JSON (`true`, `42`, `{"a":1}`), else the text as a string; blank
/// is no value.
fn parse_value(text: &str) -> Option<serde_json::Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(rules: &Rules) -> Vec<&str> {
        rules.attributes.iter().map(|r| r.target.as_str()).collect()
    }

    #[test]
    fn rows_move_and_go() {
        let mut rules = Rules::defaults();
        let first = targets(&rules)[0].to_owned();
        let second = targets(&rules)[1].to_owned();
        RuleEdit::MoveDown(0).apply(&mut rules);
        assert_eq!(targets(&rules)[..2], [second.as_str(), first.as_str()]);
        RuleEdit::MoveUp(1).apply(&mut rules);
        assert_eq!(targets(&rules)[0], first);
        RuleEdit::MoveUp(0).apply(&mut rules);
        assert_eq!(targets(&rules)[0], first);
        let len = rules.attributes.len();
        RuleEdit::Remove(0).apply(&mut rules);
        RuleEdit::Remove(99).apply(&mut rules);
        assert_eq!(rules.attributes.len(), len - 1);
        RuleEdit::Reset.apply(&mut rules);
        assert_eq!(rules.attributes, Rules::defaults().attributes);
    }

    #[test]
    fn a_new_rule_compiles_once_it_has_a_source_and_target() {
        let mut rules = Rules::defaults();
        RuleEdit::Add.apply(&mut rules);
        let last = rules.attributes.len() - 1;
        RuleEdit::Source(last, " website ".into()).apply(&mut rules);
        RuleEdit::Target(last, "data.site".into()).apply(&mut rules);
        assert_eq!(rules.attributes[last].source.as_deref(), Some("website"));
        assert!(rules.compile().is_ok());
    }

    #[test]
    fn values_are_json_or_text() {
        let mut rules = Rules::defaults();
        RuleEdit::Add.apply(&mut rules);
        let last = rules.attributes.len() - 1;
        RuleEdit::Transform(last, Transform::Constant).apply(&mut rules);
        RuleEdit::Value(last, "true".into()).apply(&mut rules);
        assert_eq!(rules.attributes[last].value, Some(serde_json::json!(true)));
        RuleEdit::Value(last, "gold".into()).apply(&mut rules);
        assert_eq!(value_text(&rules.attributes[last]), "gold");
        RuleEdit::Value(last, " ".into()).apply(&mut rules);
        assert_eq!(rules.attributes[last].value, None);
    }
}
