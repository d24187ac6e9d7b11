//! The first pass of a conversion: this worker reads the files a slice at a time and cuts them
//! into units ([`StreamConverter::cut`]); its mapping workers ([`Mappers`]) parse and map the
//! units side by side (and, for a file being loaded, pack its users for the search); the
//! mapped units come back in order to the spool, the index and the pool. Where no mapping
//! worker can start, [`InPlace`] maps on this thread: the same path, the same bytes.
//!
//! [`StreamConverter::cut`]: cognito_fusionauth::StreamConverter::cut

use std::collections::VecDeque;

use cognito_fusionauth::{map_unit_watched, CognitoUser, FileSummary, Mapper, StreamConverter};
use futures::future::LocalBoxFuture;

use crate::conversion::{FirstPass, Step};
use crate::held::Held;
use crate::pool::{Input, Pool};
use crate::search::SearchIndex;
use crate::spool::HeldSpool;

/// A unit mapped: the bytes for [`StreamConverter::take`], and its users packed for the
/// search ([`SearchIndex::pack`]) when asked.
///
/// [`StreamConverter::take`]: cognito_fusionauth::StreamConverter::take
#[derive(Debug, Default)]
pub struct Mapped {
    /// The mapped unit.
    pub unit: Vec<u8>,
    /// Its users' usernames and emails.
    pub entries: Vec<u8>,
}

/// Where units are mapped: Web Workers in the browser, this thread otherwise.
pub trait Mappers {
    /// Maps one unit [`StreamConverter::cut`] gave with the conversion's rules, packing its
    /// users for the search when `index` is set; or says why the worker failed.
    ///
    /// [`StreamConverter::cut`]: cognito_fusionauth::StreamConverter::cut
    fn map(&self, unit: Vec<u8>, index: bool) -> LocalBoxFuture<'static, Result<Mapped, String>>;

    /// How many units to keep in flight: enough to keep every worker busy, few enough that
    /// the mapped units waiting to be taken back stay small.
    fn in_flight(&self) -> usize;
}

/// Maps `unit` with `mapper` as a mapping worker does, packing its users for the search when
/// `index` is set.
///
/// # Errors
/// The bytes are not a unit (damaged on the way).
pub fn map_here(mapper: &Mapper, unit: &[u8], index: bool) -> Result<Mapped, String> {
    let mut entries = Vec::new();
    let mut watch = |user: &CognitoUser<'_>, _| {
        if index {
            SearchIndex::pack(&mut entries, &user.username, user.attribute("email"));
        }
    };
    let unit = map_unit_watched(mapper, unit, &mut watch).map_err(|e| e.to_string())?;
    Ok(Mapped { unit, entries })
}

/// Maps on this thread, one unit at a time (where no mapping worker can start).
#[derive(Debug)]
pub struct InPlace(pub Mapper);

impl Mappers for InPlace {
    fn map(&self, unit: Vec<u8>, index: bool) -> LocalBoxFuture<'static, Result<Mapped, String>> {
        let mapped = map_here(&self.0, &unit, index);
        Box::pin(async move { mapped })
    }

    fn in_flight(&self) -> usize {
        0
    }
}

/// Why a file's reading stopped a conversion.
enum Stop {
    /// The browser could not read the file (its message).
    Unreadable(String),
    /// The browser could not hold the conversion's work (the whole message).
    Full(String),
    /// A mapping worker failed (its message).
    Mapping(String),
}

impl Stop {
    /// What to tell of file `name`, read `again` after it was loaded or while it is.
    fn message(self, name: &str, again: bool) -> String {
        match (self, again) {
            (Self::Unreadable(e), true) => format!(
                "{name}: cannot be read again ({e}); was it changed or moved since it was chosen?"
            ),
            (Self::Unreadable(e), false) => format!("{name}: cannot be read: {e}"),
            (Self::Full(e), true) => e,
            (Self::Full(e), false) => format!("{name}: not read whole: {e}"),
            (Self::Mapping(e), _) => format!("{name}: the conversion's workers failed: {e}"),
        }
    }
}

/// The first pass of a conversion with `mapper`, its units mapped by `mappers`: reads every
/// file of `pool`, then adds the files of `added` to the pool, reading each once for both (its
/// users indexed for the search as they are converted), telling `progress` how far it is. A
/// file that cannot be parsed is in the report as an `unreadable-file` error, which blocks
/// the import files. Every file of `added` is in the pool afterwards, even when the
/// conversion fails.
///
/// # Errors
/// When the browser cannot read a file (again) or hold the work, or a mapping worker fails
/// (the message says which).
pub async fn read<B: Held>(
    pool: &mut Pool<B>,
    added: Vec<(String, B)>,
    mapper: Mapper,
    mappers: &impl Mappers,
    progress: &mut dyn FnMut(Step),
) -> Result<FirstPass<B>, String> {
    let mut pass = FirstPass::start(mapper, pool.users());
    let mut failed = None;
    let mut before = 0;
    for Input { held, loaded } in pool.inputs() {
        let name = &loaded.name;
        let mut read = |n| progress(Step::Read(before + n));
        // A file that cannot be parsed is in the report already.
        match feed(
            &mut pass,
            name,
            held,
            mappers,
            (None, Room::Made),
            &mut read,
        )
        .await
        {
            Ok(_) => before = pass.parts().0.users_read(),
            Err(stop) => {
                failed = Some(stop.message(name, true));
                break;
            }
        }
    }
    let mut bytes_read: u64 = pool.inputs().iter().map(|i| i.held.size_bytes()).sum();
    for (name, held) in added {
        // Room in the index for the file's users, estimated from the files read before or,
        // for the first, from the file's own first read.
        let estimated = pass.reserve_for(held.size_bytes(), bytes_read);
        bytes_read += held.size_bytes();
        let stage = name.clone();
        let mut loading = |n| progress(Step::Loading(stage.clone(), n));
        if failed.is_some() {
            // The conversion has failed: the file is loaded on its own.
            pool.add(name, held, &mut loading);
            continue;
        }
        let mark = pool.start_file();
        let room = if estimated {
            Room::Made
        } else {
            Room::FromFile
        };
        let fed = feed(
            &mut pass,
            &name,
            &held,
            mappers,
            (Some(pool), room),
            &mut loading,
        );
        let read = match fed.await {
            Ok(parsed) => parsed,
            Err(stop) => {
                let message = stop.message(&name, false);
                failed = Some(message.clone());
                Err(message)
            }
        };
        pool.end_file(mark, name, held, read);
    }
    failed.map_or(Ok(pass), Err)
}

/// Whether the index has room for a file's users.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Room {
    /// Made before the file is read.
    Made,
    /// To be made from the users of the file's first read (no file was read before).
    FromFile,
}

/// Reads and maps one file, a slice at a time, its units mapped by `mappers` (its users
/// indexed in `pool` when given, room made in the index as `room` says); `progress` gets the
/// users of the file read so far. A file that cannot be parsed ends in the report; its
/// summary or error is handed back.
async fn feed<B: Held>(
    pass: &mut FirstPass<B>,
    name: &str,
    held: &B,
    mappers: &impl Mappers,
    (mut pool, room): (Option<&mut Pool<B>>, Room),
    progress: &mut dyn FnMut(u64),
) -> Result<Result<FileSummary, String>, Stop> {
    let (converter, spool) = pass.parts();
    let before = converter.users_read();
    converter.start_file(name, spool);
    progress(0);
    let index = pool.is_some();
    let mut flight = Flight::new();
    // An error in the file ends its reading; it is the file's at `end_cut`.
    let mut whole = true;
    'file: for (start, end) in held.reads() {
        let bytes = held.read(start, end).map_err(Stop::Unreadable)?;
        for slice in bytes.chunks(B::SLICE as usize) {
            let Ok(units) = converter.cut(slice) else {
                whole = false;
                break 'file;
            };
            flight.extend(units.into_iter().map(|unit| mappers.map(unit, index)));
            let left = mappers.in_flight();
            take_back(&mut flight, left, converter, spool, pool.as_deref_mut()).await?;
            spool.check().map_err(Stop::Full)?;
            progress(converter.users_read() - before);
        }
        if room == Room::FromFile && start == 0 {
            // As many users a byte in the rest as in this first read (and a little more):
            // growing the index by doubling would copy it, and WASM memory never shrinks.
            take_back(&mut flight, 0, converter, spool, pool.as_deref_mut()).await?;
            let users = converter.users_read() - before;
            let rest = (held.size_bytes() - end).saturating_mul(users) / end.max(1);
            converter.reserve(rest + rest / 50);
        }
    }
    if whole {
        if let Ok(units) = converter.cut_end() {
            flight.extend(units.into_iter().map(|unit| mappers.map(unit, index)));
        }
    }
    take_back(&mut flight, 0, converter, spool, pool).await?;
    let read = converter.end_cut(spool).cloned().map_err(|e| e.to_string());
    spool.check().map_err(Stop::Full)?;
    progress(converter.users_read() - before);
    Ok(read)
}

/// Units sent to be mapped, oldest first.
type Flight = VecDeque<LocalBoxFuture<'static, Result<Mapped, String>>>;

/// Takes back mapped units, oldest first, until `left` are in flight: their users go to the
/// spool and the index, and to the search of `pool` when given.
async fn take_back<B: Held>(
    flight: &mut Flight,
    left: usize,
    converter: &mut StreamConverter,
    spool: &mut HeldSpool<B>,
    mut pool: Option<&mut Pool<B>>,
) -> Result<(), Stop> {
    while flight.len() > left {
        let Some(mapped) = flight.pop_front() else {
            break;
        };
        let mapped = mapped.await.map_err(Stop::Mapping)?;
        converter
            .take(&mapped.unit, spool)
            .map_err(|e| Stop::Mapping(e.to_string()))?;
        if let Some(pool) = pool.as_deref_mut() {
            pool.index(&mapped.entries);
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
