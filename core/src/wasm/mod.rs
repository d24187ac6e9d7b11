//! The `#[wasm_bindgen]` façade (feature `wasm`): the npm package's exports.
//!
//! No logic lives here: each export converts its arguments, calls the core once, and converts
//! the result. Export files cross the boundary as strings or bytes and are parsed by the core;
//! rules and reports, which are small, cross as plain JS objects (serde-wasm-bindgen).

use js_sys::{Array, Reflect, Uint8Array};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{connector_user, Converter, Rules};

mod streamed;

pub use streamed::StreamedConversion;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** An export file: its name (for messages) and its content, as text or bytes. */
export interface InputFile { name: string; content: string | Uint8Array; }

export type Transform = "copy" | "trim" | "lowercase" | "boolean" | "epoch-millis" | "e164" | "locale"
  | "date" | "json" | "uuid" | "constant" | "drop";
export type DuplicatePolicy = "error" | "keep-newest" | "keep-first" | "move-to-data";
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface AttributeRule {
  source?: string;
  target: string;
  transform?: Transform;
  value?: JsonValue;
  default?: JsonValue;
  unlessEquals?: string;
}
export interface Registration { applicationId: string; roles?: string[]; }
export interface Settings {
  tenantId?: string;
  userPoolId?: string;
  registrations?: Registration[];
  groups?: Record<string, string>;
  identityProviders?: { byName?: Record<string, string>; byType?: Record<string, string>; };
  chunkSize?: number;
  onDuplicate?: DuplicatePolicy;
  password?: { encryptionScheme: string; factor: number; };
  /** Carry SMS and email MFA into twoFactor.methods (off by default). */
  carryMfa?: boolean;
  /** List disabled users in login-ids.txt too. */
  resetDisabledUsers?: boolean;
}
/** Mapping rules: the same JSON as the CLI's --rules file. */
export interface Rules { version: number; settings?: Settings; attributes: AttributeRule[]; }

export type Severity = "info" | "warning" | "error";
export type Code = "duplicate-email" | "duplicate-username" | "duplicate-phone" | "duplicate-id" | "duplicate-record"
  | "missing-email" | "invalid-email" | "invalid-birthdate" | "invalid-timezone" | "invalid-locale"
  | "invalid-phone" | "invalid-url" | "invalid-id" | "invalid-value" | "invalid-identities"
  | "unmapped-provider" | "unsupported-provider" | "mfa-not-carried" | "no-password-reset" | "unconfirmed"
  | "reset-required" | "disabled" | "no-login-id" | "truncated-export" | "unreadable-file";
export type Shape = "list-users" | "admin-get-user" | "get-user" | "user" | "user-array" | "json-lines" | "csv";
export interface Finding {
  severity: Severity; code: Code; file: string; index?: number; username?: string; field?: string; message: string;
}
export interface Excluded { file: string; index: number; username: string; code: Code; reason: string; }
export interface UserRef { file: string; index: number; username: string; }
export interface DuplicateGroup { code: Code; value: string; users: UserRef[]; }
export interface FileSummary {
  name: string; shape: Shape; users: number; truncated: boolean; ignoredFields?: [string, number][];
}
export interface Summary {
  rulesVersion: number; duplicatePolicy: DuplicatePolicy; blocked: boolean; blockedReason?: string;
  files: FileSummary[]; usersRead: number; imported: number; excluded: number;
  /** Users neither imported nor excluded because errors blocked the output (only when blocked). */
  heldBack?: number; chunks: number;
  chunkSize: number; links: number; severities: Partial<Record<Severity, number>>;
  codes: Partial<Record<Code, number>>; unmappedGroups: Record<string, number>;
  /** FusionAuth group id → Cognito group name, for the mapped groups. */
  groups?: Record<string, string>;
}
/** report.json */
export interface Report { summary: Summary; issues: Finding[]; excluded: Excluded[]; duplicates: DuplicateGroup[]; }

export interface ConvertOptions {
  rules?: Rules;
  /** Makes placeholder passwords reproducible (tests only); otherwise crypto.getRandomValues. */
  seed?: number;
}
export interface OutputFile { name: string; content: string; }
export interface ConvertResult { ok: boolean; files: OutputFile[]; report: Report; }

/** A FusionAuth user as the Import API and the Generic Connector take it. */
export interface FusionAuthUser {
  id?: string; tenantId?: string; username?: string; email?: string; phoneNumber?: string; mobilePhone?: string;
  firstName?: string; middleName?: string; lastName?: string; fullName?: string; birthDate?: string;
  imageUrl?: string; timezone?: string; parentEmail?: string; preferredLanguages?: string[];
  active?: boolean; verified?: boolean; passwordChangeRequired?: boolean; insertInstant?: number;
  verifiedInstant?: number; expiry?: number;
  registrations?: { applicationId: string; roles?: string[]; }[];
  memberships?: { groupId: string; }[];
  /** The MFA methods carried from Cognito (settings.carryMfa). */
  twoFactor?: { methods: ({ method: "sms"; mobilePhone: string; } | { method: "email"; email: string; })[]; };
  data?: Record<string, JsonValue>;
}
export interface ConnectorOptions {
  rules?: Rules;
  /** data.migratedDate; the current time (new Date().toISOString()) when absent. */
  migratedDate?: string;
}
/** The body a FusionAuth Generic Connector returns with status 200. */
export interface ConnectorResponse { user: FusionAuthUser; }

/** Part of an output file of a StreamedConversion: append `bytes` to the file `name`; the
 * file is whole once a piece says `complete`. */
export interface OutputPiece { name: string; bytes: Uint8Array; complete: boolean; }
/** What StreamedConversion.endFile returns: the file's summary and the last blocks to keep. */
export interface FileEnd { summary: FileSummary; blocks: Uint8Array[]; }
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "Rules")]
    pub type JsRules;
    #[wasm_bindgen(typescript_type = "Report")]
    pub type JsReport;
    #[wasm_bindgen(typescript_type = "InputFile[]")]
    pub type JsInputs;
    #[wasm_bindgen(typescript_type = "ConvertOptions")]
    pub type JsConvertOptions;
    #[wasm_bindgen(typescript_type = "ConvertResult")]
    pub type JsConvertResult;
    #[wasm_bindgen(typescript_type = "ConnectorOptions")]
    pub type JsConnectorOptions;
    #[wasm_bindgen(typescript_type = "ConnectorResponse")]
    pub type JsConnectorResponse;
    #[wasm_bindgen(typescript_type = "FileEnd")]
    pub type JsFileEnd;
    #[wasm_bindgen(typescript_type = "Uint8Array[]")]
    pub type JsBlocks;
    #[wasm_bindgen(typescript_type = "OutputPiece[]")]
    pub type JsPieces;
}

/// One serializer for every result: maps become plain objects, `None` is left out.
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    value
        .serialize(&serializer)
        .map_err(|e| JsError::new(&e.to_string()))
}

fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn present(value: &JsValue) -> bool {
    !value.is_undefined() && !value.is_null()
}

/// The rules in `options.rules`, or the defaults.
fn rules_option(options: &JsValue) -> Result<Rules, JsError> {
    let rules = if present(options) {
        field(options, "rules")
    } else {
        JsValue::UNDEFINED
    };
    if present(&rules) {
        from_js(rules, "options.rules")
    } else {
        Ok(Rules::defaults())
    }
}

/// The generator of placeholder passwords: ChaCha20 as in the CLI (so a seed gives the CLI's
/// exact output), seeded with `options.seed` (tests only) or from the OS.
fn rng_option(options: &JsValue) -> Result<ChaCha20Rng, JsError> {
    let seed = if present(options) {
        field(options, "seed").as_f64()
    } else {
        None
    };
    match seed {
        Some(s) if s.fract() == 0.0 && s >= 0.0 && s <= u64::MAX as f64 => {
            Ok(ChaCha20Rng::seed_from_u64(s as u64))
        }
        Some(s) => Err(JsError::new(&format!(
            "options.seed: expected a non-negative integer, not {s}"
        ))),
        None => ChaCha20Rng::from_rng(rand_core::OsRng).map_err(|e| JsError::new(&e.to_string())),
    }
}

/// Each input's name and bytes (text is taken as UTF-8).
fn inputs(list: &JsValue) -> Result<Vec<(String, Vec<u8>)>, JsError> {
    if !Array::is_array(list) {
        return Err(JsError::new("inputs: expected an array of {name, content}"));
    }
    Array::from(list)
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let name = field(&item, "name")
                .as_string()
                .ok_or_else(|| JsError::new(&format!("inputs[{i}].name: expected a string")))?;
            let content = field(&item, "content");
            let bytes = if let Some(text) = content.as_string() {
                text.into_bytes()
            } else if content.is_instance_of::<Uint8Array>() {
                Uint8Array::from(content).to_vec()
            } else {
                return Err(JsError::new(&format!(
                    "inputs[{i}].content ({name}): expected a string or a Uint8Array"
                )));
            };
            Ok((name, bytes))
        })
        .collect()
}

fn run(list: &JsValue, rules: &Rules) -> Result<crate::Conversion, JsError> {
    let mapper = rules.compile()?;
    let mut converter = Converter::new(&mapper);
    for (name, bytes) in inputs(list)? {
        converter.add_file(&name, &bytes)?;
    }
    Ok(converter.finish())
}

/// The default mapping rules.
#[wasm_bindgen(js_name = defaultRules)]
pub fn default_rules() -> Result<JsRules, JsError> {
    Ok(to_js(&Rules::defaults())?.unchecked_into())
}

/// Converts Cognito exports into the files `cognito-fusionauth convert` writes. When findings
/// block the output, `ok` is false and only report.json is in `files`.
#[wasm_bindgen]
pub fn convert(
    inputs: &JsInputs,
    options: Option<JsConvertOptions>,
) -> Result<JsConvertResult, JsError> {
    let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
    let rules = rules_option(&options)?;
    let conversion = run(inputs, &rules)?;
    let mut rng = rng_option(&options)?;
    let mut random = |buf: &mut [u8]| rng.fill_bytes(buf);
    let result = ConvertResult {
        ok: !conversion.blocked(),
        files: Files(std::cell::RefCell::new(Some(conversion.files(&mut random)))),
        report: conversion.report(),
    };
    Ok(to_js(&result)?.unchecked_into())
}

/// What `convert` returns: the TypeScript `ConvertResult`.
#[derive(Serialize)]
#[serde(bound = "")]
struct ConvertResult<'c, I: Iterator<Item = crate::OutputFile>> {
    ok: bool,
    files: Files<I>,
    report: &'c crate::Report,
}

/// The output files as `{name, content}` text, each built as it is serialized, so that only
/// one file's bytes are in WASM memory at a time.
struct Files<I>(std::cell::RefCell<Option<I>>);

impl<I: Iterator<Item = crate::OutputFile>> Serialize for Files<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let files = self.0.borrow_mut().take().into_iter().flatten();
        serializer.collect_seq(files.map(|f| OutputText {
            // The files are UTF-8 (the JSON ones ASCII): nothing is replaced.
            content: String::from_utf8_lossy(&f.content).into_owned(),
            name: f.name,
        }))
    }
}

/// One output file as the TypeScript `OutputFile`.
#[derive(Serialize)]
struct OutputText {
    name: String,
    content: String,
}

/// Validates Cognito exports: the report `convert` would write, without the files.
#[wasm_bindgen]
pub fn validate(inputs: &JsInputs, options: Option<JsConvertOptions>) -> Result<JsReport, JsError> {
    let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
    let conversion = run(inputs, &rules_option(&options)?)?;
    Ok(to_js(conversion.report())?.unchecked_into())
}

/// The Generic Connector response for one GetUser/AdminGetUser response (JSON text).
#[wasm_bindgen(js_name = connectorUser)]
pub fn connector_user_js(
    get_user_json: &str,
    options: Option<JsConnectorOptions>,
) -> Result<JsConnectorResponse, JsError> {
    let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
    let mapper = rules_option(&options)?.compile()?;
    let date = if present(&options) {
        field(&options, "migratedDate").as_string()
    } else {
        None
    };
    let date = date.unwrap_or_else(|| String::from(js_sys::Date::new_0().to_iso_string()));
    let response = connector_user("GetUser response", get_user_json.as_bytes(), &mapper, &date)?;
    Ok(to_js(&response)?.unchecked_into())
}

/// The share of users migrated after `days` days: 1 - (1 - probability)^days.
#[wasm_bindgen]
pub fn estimate(probability: f64, days: f64) -> Result<f64, JsError> {
    Ok(crate::estimate(probability, days)?)
}

/// The days needed to migrate the share `target`: ln(1 - target) / ln(1 - probability).
#[wasm_bindgen(js_name = daysToReach)]
pub fn days_to_reach(probability: f64, target: f64) -> Result<f64, JsError> {
    Ok(crate::days_to_reach(probability, target)?)
}
