//! The messages between the page and the worker.
//!
//! Each message is a two-element JS array: the JSON of a [`Request`] or [`Response`], then an
//! array of JS objects that travel beside it (the `File`s to read, the output `Blob`s), which
//! the browser hands over without copying them through WASM memory.

use cognito_fusionauth::delivery::{Counts, PushReport};
use cognito_fusionauth::{FileSummary, Rules};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// What the page asks the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Request {
    /// Read the `File`s sent beside the message, add them to the pool and convert the pool
    /// with `rules`, reading each new file once for both: the worker answers
    /// [`Response::Loaded`] once every user is read, then as to [`Request::Convert`].
    Load {
        /// As [`Request::Convert`]'s.
        generation: u64,
        /// The rules to apply.
        rules: Box<Rules>,
    },
    /// Add the bundled demo pool and convert, as [`Request::Load`] does.
    LoadSample {
        /// As [`Request::Convert`]'s.
        generation: u64,
        /// The rules to apply.
        rules: Box<Rules>,
    },
    /// Forget every loaded file.
    Clear,
    /// Convert the pool with these rules; the reply carries the same `generation`.
    Convert {
        /// Counts the page's requests, so it can tell which answer is current.
        generation: u64,
        /// The rules to apply.
        rules: Box<Rules>,
    },
    /// Find users whose username or email contains `query` (any case).
    Search {
        /// The text typed in the search box.
        query: String,
    },
    /// Send one user's Cognito record.
    Record {
        /// The file's position in the pool.
        file: usize,
        /// The user's index in that file.
        index: u64,
    },
    /// Pack the current output files into one .zip.
    Zip,
    /// Deliver the current output files to FusionAuth.
    Push {
        /// Check, send, verify or undo.
        command: PushCommand,
        /// Where, and with which options.
        target: Target,
        /// The API key.
        key: ApiKey,
    },
    /// Stop the running push after the request in flight.
    StopPush,
    /// The person's answer to [`Response::PushConfirm`].
    ConfirmUndo {
        /// Delete them.
        yes: bool,
    },
    /// To a mapping worker (another instance of the worker, started by the worker): map the
    /// units that follow with these rules.
    UseRules {
        /// The conversion's rules.
        rules: Box<Rules>,
    },
    /// To a mapping worker: map the unit sent beside (a `Uint8Array`); answered with
    /// [`Response::Mapped`] or [`Response::MapFailed`].
    MapUnit {
        /// Tells the answers apart.
        id: u64,
        /// Pack the unit's users for the search too (a file being loaded).
        index: bool,
    },
}

/// What a press of Check, Send, Verify or Undo runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PushCommand {
    /// The pre-flight alone: what a send would do (the CLI's `push --dry-run`).
    Check,
    /// Every step (the CLI's `push`).
    Send,
    /// Compare FusionAuth with the files (`verify`).
    Verify,
    /// Delete what the run created (`undo`).
    Undo,
}

/// The FusionAuth the person named, and the options of the push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// FusionAuth's URL.
    pub url: String,
    /// The tenant, when FusionAuth has several.
    pub tenant_id: Option<String>,
    /// Create the groups the users belong to when FusionAuth lacks them.
    pub create_groups: bool,
    /// Send a forgot-password email to each user the run imports.
    pub send_resets: bool,
    /// Reset emails per second.
    pub reset_rate: f64,
}

/// A FusionAuth API key. It goes from the page to the worker in a message and from there
/// only into the `Authorization` header: it is never printed, logged or stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey(pub String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// What the worker answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Response {
    /// The worker is running and takes requests.
    Ready,
    /// Work in progress: `done` of `total` units (users, or files when zipping).
    Progress {
        /// What is being done.
        stage: String,
        /// Units done.
        done: u64,
        /// Units in all (0 when unknown).
        total: u64,
    },
    /// The pool after a load (once its conversion has read every user) or clear: every
    /// file, read or not.
    Loaded {
        /// The files in load order.
        files: Vec<LoadedFile>,
    },
    /// A conversion finished; the output `Blob`s travel beside it, in `outputs` order.
    Converted {
        /// The generation of the request.
        generation: u64,
        /// What the page shows of the report.
        digest: Box<Digest>,
        /// The output files.
        outputs: Vec<OutputMeta>,
    },
    /// A conversion could not be done (the rules do not compile, the browser could not read
    /// a file or hold the work).
    ConvertFailed {
        /// The generation of the request.
        generation: u64,
        /// Why.
        message: String,
    },
    /// The users a search found (at most [`SEARCH_LIMIT`]).
    Found {
        /// The query they match.
        query: String,
        /// The users, in pool order.
        users: Vec<UserHit>,
    },
    /// One user's Cognito record as a `UserType` JSON object.
    Record {
        /// Which user.
        user: UserHit,
        /// The record.
        json: String,
    },
    /// The .zip of every output file travels beside this message.
    Zipped {
        /// Its size in bytes.
        bytes: u64,
    },
    /// A push step moved on.
    PushProgress {
        /// `preflight`, `groups`, `import`, `links`, `resets`, `verify`, `undo`.
        step: String,
        /// Units of the step done.
        done: u64,
        /// Units in all.
        total: u64,
        /// The run's counts so far.
        counts: Box<Counts>,
    },
    /// Undo asks before it deletes anything.
    PushConfirm {
        /// Users it will delete.
        users: usize,
        /// Groups it will delete.
        groups: usize,
    },
    /// The push ended (completed or stopped); its report.json travels beside, as a `Blob`.
    PushFinished {
        /// The report.
        report: Box<PushReport>,
        /// The first request never got an answer: FusionAuth is unreachable from this page,
        /// most often because its CORS filter does not let the page in.
        unreachable: bool,
    },
    /// The push could not start (a bad URL, no storage for its journal, a run already going).
    PushFailed {
        /// Why.
        message: String,
    },
    /// From a mapping worker: the unit `id` mapped, then its users packed for the search
    /// (empty unless asked), as two `Uint8Array`s beside.
    Mapped {
        /// The request's.
        id: u64,
    },
    /// From a mapping worker: the unit `id` could not be mapped (it came damaged, or the
    /// rules did not compile).
    MapFailed {
        /// The request's.
        id: u64,
        /// Why.
        message: String,
    },
    /// A request could not be done.
    Failed {
        /// Why, naming the file, user and field where there are some.
        message: String,
    },
}

/// The most users a search returns.
pub const SEARCH_LIMIT: usize = 50;

/// One loaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadedFile {
    /// The file name.
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// What reading it found (shape, users, pagination token), or the read error naming its
    /// position; a file with an error takes no part in the conversion.
    pub read: Result<FileSummary, String>,
}

impl LoadedFile {
    /// Users read from the file (none when it could not be read).
    pub fn users(&self) -> u64 {
        self.read.as_ref().map_or(0, |s| s.users)
    }
}

/// Users read from `files`.
pub fn users_in(files: &[LoadedFile]) -> u64 {
    files.iter().map(LoadedFile::users).sum()
}

/// One user found by a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserHit {
    /// The file's position in the pool.
    pub file: usize,
    /// The file's name.
    pub file_name: String,
    /// The user's index in the file.
    pub index: u64,
    /// The Cognito `Username`.
    pub username: String,
    /// The `email` attribute.
    pub email: Option<String>,
}

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputMeta {
    /// `users-0001.json`, `report.json`, ...
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::tests::convert_here;
    use crate::pool::Pool;

    #[test]
    fn a_conversion_of_the_sample_pool_crosses_to_the_page_intact() {
        let mut pool: Pool<Vec<u8>> = Pool::default();
        let sample = include_bytes!("../../tests/fixtures/sample-pool.json");
        pool.add("sample-pool.json".into(), sample.to_vec(), &mut |_| {});
        let mapper = Rules::defaults().compile().unwrap();
        let converted =
            convert_here(&mut pool, mapper, |b: &mut [u8]| b.fill(7), &mut |_| {}).unwrap();
        let response = Response::Converted {
            generation: 7,
            digest: Box::new(converted.digest),
            outputs: vec![OutputMeta {
                name: "report.json".into(),
                bytes: 10,
            }],
        };
        let json = serde_json::to_string(&response).unwrap();
        assert_eq!(serde_json::from_str::<Response>(&json).unwrap(), response);
        let rules = Box::new(Rules::defaults());
        for request in [
            Request::Convert {
                generation: 7,
                rules: rules.clone(),
            },
            Request::Load {
                generation: 8,
                rules,
            },
        ] {
            let json = serde_json::to_string(&request).unwrap();
            assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
        }
    }

    #[test]
    fn the_api_key_crosses_to_the_worker_but_never_shows_in_a_debug_print() {
        let request = Request::Push {
            command: PushCommand::Send,
            target: Target {
                url: "https://auth.example.com".into(),
                tenant_id: None,
                create_groups: true,
                send_resets: false,
                reset_rate: 5.0,
            },
            key: ApiKey("s3cret-key".into()),
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
        assert!(!format!("{request:?}").contains("s3cret"));
    }
}
