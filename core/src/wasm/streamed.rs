//! `StreamedConversion`: the streamed conversion for Node and browsers, for exports of any
//! size. The caller feeds each file in chunks, keeps the spool blocks it is handed (in memory,
//! on disk, in a Blob), hands back the ones asked for, then every block once more, and gets
//! the output files in pieces as they are written. Same files, byte for byte, as `convert`.

use js_sys::{Array, Object, Reflect, Uint8Array};
use rand_core::RngCore;
use wasm_bindgen::prelude::*;

use super::{
    rng_option, rules_option, to_js, JsBlocks, JsConvertOptions, JsFileEnd, JsPieces, JsReport,
};
use crate::{Gathering, OutputPiece, Resolved, Spool, StreamConverter, StreamOutput};

/// The blocks pushed during one call, to hand to JavaScript, and how many it already has.
#[derive(Debug, Default)]
struct Blocks {
    handed: u64,
    new: Vec<Vec<u8>>,
}

impl Spool for Blocks {
    fn push(&mut self, block: Vec<u8>) {
        self.new.push(block);
    }

    fn truncate(&mut self, keep: u64) {
        // Blocks already handed out are dropped by the caller (see `blocks`).
        let kept_new = keep.saturating_sub(self.handed) as usize;
        self.new.truncate(kept_new);
        self.handed = self.handed.min(keep);
    }
}

impl Blocks {
    /// The new blocks, as Uint8Arrays (copied out of WASM memory).
    fn take(&mut self) -> JsBlocks {
        let out = Array::new();
        for block in self.new.drain(..) {
            out.push(&Uint8Array::from(block.as_slice()));
            self.handed += 1;
        }
        out.unchecked_into()
    }
}

/// Where a conversion is (one lives at a time: the size of the largest does not matter).
#[allow(clippy::large_enum_variant)]
enum Stage {
    Reading(StreamConverter),
    Gathering(Gathering),
    Resolved(Resolved),
    Writing(StreamOutput<'static>),
    Done,
}

/// A conversion of exports however large, in four steps: read (`startFile`, `feed`, `endFile`
/// for each file; keep every block returned, in order, and after an error only the first
/// `blocks`), gather (`wanted`, then `gather` each block it names), `resolve` (the report),
/// write (`write` every block in order, then `finish`; append each piece to its file).
#[wasm_bindgen]
#[allow(missing_debug_implementations)]
pub struct StreamedConversion {
    stage: Stage,
    spool: Blocks,
    options: JsValue,
}

fn wrong(step: &str) -> JsError {
    JsError::new(&format!("{step}: not at this step of the conversion"))
}

fn pieces(list: Vec<OutputPiece>) -> Result<JsPieces, JsError> {
    let out = Array::new();
    for p in list {
        let piece = Object::new();
        let set = |key: &str, value: &JsValue| Reflect::set(&piece, &JsValue::from_str(key), value);
        set("name", &JsValue::from_str(&p.name))
            .and_then(|_| set("bytes", &Uint8Array::from(p.bytes.as_slice()).into()))
            .and_then(|_| set("complete", &JsValue::from_bool(p.complete)))
            .map_err(|_| JsError::new("cannot build an output piece"))?;
        out.push(&piece);
    }
    Ok(out.unchecked_into())
}

#[wasm_bindgen]
impl StreamedConversion {
    /// A conversion with `options.rules` (or the defaults) and `options.seed` (tests only).
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<JsConvertOptions>) -> Result<StreamedConversion, JsError> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let mapper = rules_option(&options)?.compile()?;
        Ok(Self {
            stage: Stage::Reading(StreamConverter::new(mapper)),
            spool: Blocks::default(),
            options,
        })
    }

    /// The blocks to keep: after an error, keep only this many of those returned so far.
    #[wasm_bindgen(getter)]
    pub fn blocks(&self) -> f64 {
        self.spool.handed as f64
    }

    /// Starts an input file named `name`.
    #[wasm_bindgen(js_name = startFile)]
    pub fn start_file(&mut self, name: &str) -> Result<JsBlocks, JsError> {
        let Self { stage, spool, .. } = self;
        let Stage::Reading(c) = stage else {
            return Err(wrong("startFile"));
        };
        c.start_file(name, spool);
        Ok(spool.take())
    }

    /// Reads the next chunk of the file started last; returns the blocks to keep.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<JsBlocks, JsError> {
        let Self { stage, spool, .. } = self;
        let Stage::Reading(c) = stage else {
            return Err(wrong("feed"));
        };
        c.feed(chunk, spool)?;
        Ok(spool.take())
    }

    /// Ends the file started last: its summary and the last blocks to keep.
    #[wasm_bindgen(js_name = endFile)]
    pub fn end_file(&mut self) -> Result<JsFileEnd, JsError> {
        let Self { stage, spool, .. } = self;
        let Stage::Reading(c) = stage else {
            return Err(wrong("endFile"));
        };
        let summary = to_js(c.end_file(spool)?)?;
        let end = Object::new();
        Reflect::set(&end, &JsValue::from_str("summary"), &summary)
            .and_then(|_| Reflect::set(&end, &JsValue::from_str("blocks"), &spool.take()))
            .map_err(|_| JsError::new("cannot build the file's end"))?;
        Ok(end.unchecked_into())
    }

    /// Users read so far.
    #[wasm_bindgen(getter, js_name = usersRead)]
    pub fn users_read(&self) -> f64 {
        match &self.stage {
            Stage::Reading(c) => c.users_read() as f64,
            _ => 0.0,
        }
    }

    /// Ends reading: the numbers (from 0, in the order returned) of the blocks to hand back
    /// to `gather`, ascending. Often none.
    pub fn wanted(&mut self) -> Result<Vec<f64>, JsError> {
        let converter = match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Reading(c) => c,
            other => {
                self.stage = other;
                return Err(wrong("wanted"));
            }
        };
        let gathering = converter.finish(&mut self.spool);
        let wanted = gathering.wanted().iter().map(|&b| b as f64).collect();
        self.stage = Stage::Gathering(gathering);
        Ok(wanted)
    }

    /// Takes the next wanted block.
    pub fn gather(&mut self, block: &[u8]) -> Result<(), JsError> {
        match &mut self.stage {
            Stage::Gathering(g) => Ok(g.take(block)?),
            _ => Err(wrong("gather")),
        }
    }

    /// Runs the checks across users: the report (its `issues` come with the output, in
    /// report.json).
    pub fn resolve(&mut self) -> Result<JsReport, JsError> {
        let gathering = match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Gathering(g) => g,
            other => {
                self.stage = other;
                return Err(wrong("resolve"));
            }
        };
        let resolved = gathering.resolve()?;
        let report = to_js(resolved.report())?;
        self.stage = Stage::Resolved(resolved);
        Ok(report.unchecked_into())
    }

    fn writing(&mut self) -> Result<&mut StreamOutput<'static>, JsError> {
        if matches!(self.stage, Stage::Resolved(_)) {
            let Stage::Resolved(resolved) = std::mem::replace(&mut self.stage, Stage::Done) else {
                return Err(wrong("write"));
            };
            let mut rng = rng_option(&self.options)?;
            self.stage = Stage::Writing(resolved.output(move |buf: &mut [u8]| rng.fill_bytes(buf)));
        }
        match &mut self.stage {
            Stage::Writing(output) => Ok(output),
            _ => Err(wrong("write")),
        }
    }

    /// Takes the next block (every block, in order): the pieces of output it completes.
    pub fn write(&mut self, block: &[u8]) -> Result<JsPieces, JsError> {
        let mut out = Vec::new();
        self.writing()?.block(block, &mut |p| out.push(p))?;
        pieces(out)
    }

    /// After the last block: the last pieces of every file.
    pub fn finish(&mut self) -> Result<JsPieces, JsError> {
        self.writing()?;
        let Stage::Writing(output) = std::mem::replace(&mut self.stage, Stage::Done) else {
            return Err(wrong("finish"));
        };
        let mut out = Vec::new();
        output.finish(&mut |p| out.push(p))?;
        pieces(out)
    }
}
