//! Reading a file's users and mapping them in batches, on worker threads where there are
//! some, handing the packed users on in input order: the first pass of every conversion.

use crate::cognito::{CognitoUser, FileSummary, Origin};
use crate::error::Result;
use crate::packed_user::PackedUser;
use crate::rules::Mapper;
use crate::validate::user::checked;

/// How often the progress callback is called, in users.
pub(super) const PROGRESS_EVERY: u64 = 10_000;

/// Users handed from the reader to the mapper at a time.
pub(super) const BATCH: usize = 512;

/// The progress callback: users read so far over all files.
pub(super) type Progress<'p> = Option<Box<dyn FnMut(u64) + 'p>>;

/// What a mapping thread makes of a mapped batch (the users and their unmapped group names),
/// to hand on: the work a caller wants off the reading thread.
pub(super) type Pack<'p, T> = &'p (dyn Fn(Vec<PackedUser>, Vec<String>) -> T + Sync);

/// Where packed batches go, in input order.
pub(super) type Deliver<'d, T> = &'d mut dyn FnMut(T);

/// Reads users into the callback it is given: a whole file
/// ([`read_export`](crate::read_export)) or a unit of a file given in slices.
pub(super) type Reader<'r, 'a> =
    &'r mut dyn FnMut(&mut dyn FnMut(CognitoUser<'a>, Origin)) -> Result<FileSummary>;

/// Users read but not yet mapped, with their index in the file.
type Batch<'a> = Vec<(CognitoUser<'a>, u64)>;

/// Maps a batch of users into packed users, collecting their unmapped group names.
fn map_batch(mapper: &Mapper, file: u32, batch: Batch<'_>) -> (Vec<PackedUser>, Vec<String>) {
    let mut scratch = Vec::with_capacity(4096);
    let mut packed = Vec::with_capacity(batch.len());
    let mut groups = Vec::new();
    for (user, index) in batch {
        let mut mapped = checked(mapper, &user);
        groups.append(&mut mapped.unmapped_groups);
        packed.push(PackedUser::new(file, index, &user, mapped, &mut scratch));
    }
    (packed, groups)
}

/// Reads users in batches, handing each full batch, then the rest, to `deliver`. Progress
/// counts from `before`, the users read before.
fn read_in_batches<'a>(
    reader: Reader<'_, 'a>,
    before: usize,
    progress: &mut Progress<'_>,
    deliver: &mut dyn FnMut(Batch<'a>),
) -> Result<FileSummary> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut read = 0;
    let result = reader(&mut |user, origin| {
        batch.push((user, origin.index));
        if batch.len() == BATCH {
            deliver(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            read += BATCH;
            report_progress(progress, before, read);
        }
    });
    deliver(batch);
    result
}

/// Every [`PROGRESS_EVERY`] users of a file, the users read so far over all files.
fn report_progress(progress: &mut Progress<'_>, before: usize, read: usize) {
    if let Some(p) = progress.as_mut() {
        if read as u64 % PROGRESS_EVERY < BATCH as u64 {
            p((before + read) as u64);
        }
    }
}

/// Reads a file's users and maps them in batches on this thread.
#[cfg(not(feature = "parallel"))]
pub(super) fn read_and_map<T>(
    mapper: &Mapper,
    file: usize,
    reader: Reader<'_, '_>,
    before: usize,
    progress: &mut Progress<'_>,
    pack: Pack<'_, T>,
    deliver: Deliver<'_, T>,
) -> Result<FileSummary> {
    read_in_batches(reader, before, progress, &mut |batch| {
        let (packed, groups) = map_batch(mapper, file as u32, batch);
        deliver(pack(packed, groups));
    })
}

/// Batches mapped out of order, handed on in order.
#[cfg(feature = "parallel")]
struct Reorder<T> {
    next: usize,
    waiting: std::collections::BTreeMap<usize, T>,
}

#[cfg(feature = "parallel")]
impl<T> Reorder<T> {
    fn put(&mut self, seq: usize, done: T, deliver: Deliver<'_, T>) {
        self.waiting.insert(seq, done);
        while let Some(packed) = self.waiting.remove(&self.next) {
            deliver(packed);
            self.next += 1;
        }
    }
}

/// Reads a file's users on this thread while worker threads map them (one per core): mapping
/// costs about twice what reading does, so the cores stay busy. Mapped batches come back as
/// they are done and are handed on in input order, so only the batches in flight are held.
#[cfg(feature = "parallel")]
pub(super) fn read_and_map<T: Send>(
    mapper: &Mapper,
    file: usize,
    reader: Reader<'_, '_>,
    before: usize,
    progress: &mut Progress<'_>,
    pack: Pack<'_, T>,
    deliver: Deliver<'_, T>,
) -> Result<FileSummary> {
    use std::collections::BTreeMap;
    use std::sync::mpsc;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8));
    std::thread::scope(|scope| {
        let (done_send, done) = mpsc::channel::<(usize, T)>();
        let mut senders = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (send, receive) = mpsc::sync_channel::<(usize, Batch<'_>)>(4);
            senders.push(send);
            let done_send = done_send.clone();
            handles.push(scope.spawn(move || {
                for (seq, batch) in receive {
                    let (packed, groups) = map_batch(mapper, file as u32, batch);
                    if done_send.send((seq, pack(packed, groups))).is_err() {
                        break;
                    }
                }
            }));
        }
        drop(done_send);
        let mut reorder = Reorder {
            next: 0,
            waiting: BTreeMap::new(),
        };
        let mut sent = 0;
        let result = read_in_batches(reader, before, progress, &mut |batch| {
            // A worker only stops early if it panicked, which join reports below.
            let _ = senders[sent % workers].send((sent, batch));
            sent += 1;
            while let Ok((seq, mapped)) = done.try_recv() {
                reorder.put(seq, mapped, deliver);
            }
        });
        drop(senders);
        for (seq, mapped) in done {
            reorder.put(seq, mapped, deliver);
        }
        for handle in handles {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
        result
    })
}
