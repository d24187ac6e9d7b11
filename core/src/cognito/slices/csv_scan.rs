//! The CSV records of a file given in slices: whole records after the header, found with the
//! CSV reader's own record rules.

use super::super::csv;
use super::{Found, Mark, SlicedExport};

#[derive(Debug)]
pub(super) struct CsvScan {
    /// The bytes up to the end of the header record, once found.
    pub(super) header: Option<Vec<u8>>,
    /// Lines in `header`.
    pub(super) header_lines: u64,
    pub(super) delimiter: char,
    /// Where the records not yet handed out start.
    pub(super) cut: Mark,
}

impl SlicedExport {
    /// Whole CSV records after the header.
    pub(super) fn scan_csv(&mut self, scan: &mut CsvScan, end: bool, found: &mut Vec<Found>) {
        let from = (scan.cut.at - self.base) as usize;
        let upto = if end {
            self.buf.len()
        } else {
            match self.buf[from..].iter().rposition(|&b| b == b'\n') {
                Some(i) => from + i + 1,
                None => return,
            }
        };
        let window = &self.buf[from..upto];
        let Ok(text) = std::str::from_utf8(window) else {
            // Hand the bytes to the reader, which names the line of the bad byte.
            found.push(Found::Records {
                from: scan.cut,
                to: self.base + upto as u64,
            });
            self.advance_csv(scan, upto);
            return;
        };
        let whole = if end {
            text.len()
        } else if scan.header.is_none() {
            scan.delimiter = csv::delimiter(text);
            let (whole, header) = csv::whole_records(text, scan.delimiter);
            let Some(header) = header else {
                return;
            };
            scan.header = Some(window[..header].to_vec());
            scan.header_lines = window[..header].iter().filter(|&&b| b == b'\n').count() as u64;
            whole
        } else {
            csv::whole_records(text, scan.delimiter).0
        };
        if whole == 0 {
            return;
        }
        // The first records come with the header, as they are in the file; the others get
        // it repeated before them.
        let to = from + whole;
        found.push(Found::Records {
            from: scan.cut,
            to: self.base + to as u64,
        });
        self.advance_csv(scan, to);
    }

    /// Moves the CSV cut to buffer index `to`, counting the lines passed.
    fn advance_csv(&self, scan: &mut CsvScan, to: usize) {
        let from = (scan.cut.at - self.base) as usize;
        let lines = self.buf[from..to].iter().filter(|&&b| b == b'\n').count() as u64;
        scan.cut = Mark {
            at: self.base + to as u64,
            line: scan.cut.line + lines,
            column: 0,
        };
    }
}
