//! The first pass of a conversion with the users mapped by other workers: this worker reads
//! the files loaded before and cuts them into units ([`StreamConverter::cut`]), its mapping
//! workers ([`Mappers`]) parse and map the units side by side, and the mapped units come back
//! in order to the spool and the index. The same first pass as [`conversion::read`], block for
//! block, on as many cores as the browser gives.
//!
//! [`StreamConverter::cut`]: cognito_fusionauth::StreamConverter::cut
//! [`conversion::read`]: crate::conversion::read

use std::collections::VecDeque;

use cognito_fusionauth::Mapper;
use futures::future::LocalBoxFuture;

use crate::conversion::{FirstPass, Step, Stop};
use crate::held::Held;
use crate::pool::{Input, Pool};

/// Where units are mapped: Web Workers in the browser, this thread in tests.
pub trait Mappers {
    /// Maps one unit [`StreamConverter::cut`] gave with the conversion's rules
    /// ([`map_unit`]): the bytes for [`StreamConverter::take`], or why the worker failed.
    ///
    /// [`StreamConverter::cut`]: cognito_fusionauth::StreamConverter::cut
    /// [`StreamConverter::take`]: cognito_fusionauth::StreamConverter::take
    /// [`map_unit`]: cognito_fusionauth::map_unit
    fn map(&self, unit: Vec<u8>) -> LocalBoxFuture<'static, Result<Vec<u8>, String>>;

    /// How many units to keep in flight: enough to keep every worker busy, few enough that
    /// the mapped units waiting to be taken back stay small.
    fn in_flight(&self) -> usize;
}

/// The first pass of a conversion with `mapper` over every file of `pool`, mapped by
/// `mappers`; `progress` hears how far it is. A file that cannot be parsed is in the report.
///
/// # Errors
/// When the browser cannot read a file again or hold the work, or a mapping worker fails.
pub async fn read<B: Held>(
    pool: &Pool<B>,
    mapper: Mapper,
    mappers: &impl Mappers,
    progress: &mut dyn FnMut(Step),
) -> Result<FirstPass<B>, String> {
    let mut pass = FirstPass::start(mapper, pool.users());
    for Input { held, loaded } in pool.inputs() {
        let name = &loaded.name;
        feed(&mut pass, name, held, mappers, progress)
            .await
            .map_err(|stop| stop.message(name, true))?;
    }
    Ok(pass)
}

/// Reads one file a slice at a time, its units mapped by `mappers`.
async fn feed<B: Held>(
    pass: &mut FirstPass<B>,
    name: &str,
    held: &B,
    mappers: &impl Mappers,
    progress: &mut dyn FnMut(Step),
) -> Result<(), Stop> {
    let (converter, spool) = pass.parts();
    converter.start_file(name, spool);
    let mut flight = VecDeque::new();
    // An error in the file ends its reading; it is the file's at `end_cut`.
    let mut whole = true;
    'file: for (start, end) in held.reads() {
        let bytes = held.read(start, end).map_err(Stop::Unreadable)?;
        for slice in bytes.chunks(B::SLICE as usize) {
            let Ok(units) = converter.cut(slice) else {
                whole = false;
                break 'file;
            };
            flight.extend(units.into_iter().map(|unit| mappers.map(unit)));
            while flight.len() > mappers.in_flight() {
                if let Some(mapped) = flight.pop_front() {
                    let mapped = mapped.await.map_err(Stop::Mapping)?;
                    converter.take(&mapped, spool).map_err(mapping_error)?;
                }
            }
            spool.check().map_err(Stop::Full)?;
            progress(Step::Read(converter.users_read()));
        }
    }
    if whole {
        if let Ok(units) = converter.cut_end() {
            flight.extend(units.into_iter().map(|unit| mappers.map(unit)));
        }
    }
    for mapped in flight {
        let mapped = mapped.await.map_err(Stop::Mapping)?;
        converter.take(&mapped, spool).map_err(mapping_error)?;
    }
    // A file that cannot be parsed is in the report.
    let _ = converter.end_cut(spool);
    spool.check().map_err(Stop::Full)?;
    progress(Step::Read(converter.users_read()));
    Ok(())
}

/// A mapped unit the conversion cannot take (damaged on its way back).
fn mapping_error(e: cognito_fusionauth::Error) -> Stop {
    Stop::Mapping(e.to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    use cognito_fusionauth::{map_unit, DuplicatePolicy, Rules};

    use super::*;
    use crate::conversion::{convert, write};
    use crate::pool::tests::padded_page;

    /// Maps units on this thread, the results handed back late: after `lag` more units are
    /// asked for, as workers that take their time would.
    pub(crate) struct Here {
        pub(crate) mapper: Mapper,
        pub(crate) lag: usize,
        /// Fails the unit with this number (counted from 0).
        pub(crate) fail: Option<usize>,
        pub(crate) asked: Cell<usize>,
    }

    impl Here {
        pub(crate) fn new(rules: &Rules, lag: usize) -> Self {
            Self {
                mapper: rules.compile().unwrap(),
                lag,
                fail: None,
                asked: Cell::new(0),
            }
        }
    }

    impl Mappers for Here {
        fn map(&self, unit: Vec<u8>) -> LocalBoxFuture<'static, Result<Vec<u8>, String>> {
            let n = self.asked.get();
            self.asked.set(n + 1);
            let result = if self.fail == Some(n) {
                Err("the worker stopped".to_owned())
            } else {
                map_unit(&self.mapper, &unit).map_err(|e| e.to_string())
            };
            Box::pin(async move { result })
        }

        fn in_flight(&self) -> usize {
            self.lag
        }
    }

    type Files = Vec<(crate::protocol::OutputMeta, Vec<u8>)>;

    fn convert_apart(pool: &Pool<Vec<u8>>, rules: &Rules, mappers: &Here) -> Files {
        let mapper = rules.compile().unwrap();
        let pass = futures::executor::block_on(read(pool, mapper, mappers, &mut |_| {}));
        let counter = crate::conversion::tests::counter();
        write(pass.unwrap(), counter, &mut |_| {}).unwrap().outputs
    }

    #[test]
    fn users_mapped_apart_convert_to_the_same_files() {
        let big = padded_page(40_000, |i| format!("user{}@example.com", i % 39_000));
        let broken =
            b"{\"Users\":[{\"Username\":\"a\"},{\"Username\":\"b\",\"Enabled\":[1]}".to_vec();
        let sample = include_bytes!("../../tests/fixtures/sample-pool.json").to_vec();
        let mut rules = Rules::defaults();
        rules.settings.on_duplicate = DuplicatePolicy::KeepNewest;
        rules.settings.chunk_size = 10_000;
        // Import files; then the report alone, which names the broken file.
        for (files, with_broken) in [(7, false), (1, true)] {
            let mut pool: Pool<Vec<u8>> = Pool::default();
            pool.add("big.json".to_owned(), big.clone(), &mut |_| {});
            if with_broken {
                pool.add("broken.json".to_owned(), broken.clone(), &mut |_| {});
            }
            pool.add("s.json".to_owned(), sample.clone(), &mut |_| {});
            let mapper = rules.compile().unwrap();
            let counter = crate::conversion::tests::counter();
            let expected = convert(&mut pool, mapper, counter, &mut |_| {}).unwrap();
            assert_eq!(expected.outputs.len(), files);
            for lag in [1, 3] {
                let mappers = Here::new(&rules, lag);
                let outputs = convert_apart(&pool, &rules, &mappers);
                assert!(outputs == expected.outputs, "{lag} in flight");
                assert!(mappers.asked.get() > 3, "several units");
            }
        }
    }

    #[test]
    fn a_mapping_worker_that_fails_fails_the_conversion_and_says_so() {
        let mut pool: Pool<Vec<u8>> = Pool::default();
        let big = padded_page(20_000, |i| format!("user{i}@example.com"));
        pool.add("big.json".to_owned(), big, &mut |_| {});
        let rules = Rules::defaults();
        let mut mappers = Here::new(&rules, 2);
        mappers.fail = Some(1);
        let mapper = rules.compile().unwrap();
        let pass = futures::executor::block_on(read(&pool, mapper, &mappers, &mut |_| {}));
        let error = pass.unwrap_err();
        assert_eq!(
            error,
            "big.json: the conversion's workers failed: the worker stopped"
        );
    }
}
