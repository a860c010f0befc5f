//! Delimited text (CSV, TSV, `;`, `|`, runs of whitespace).

use std::io::{BufRead, BufReader, Read};

use super::columns::{Resolved, resolve};
use super::ingest::{Ingested, Ingestor, OrderSink, Row, Val};
use super::options::ReadOptions;
use crate::{Error, Location, Result};

fn to_row<'a>(r: &Resolved, get: impl Fn(usize) -> Option<&'a str>) -> Row<'a> {
    let f = |i: Option<usize>| i.and_then(&get).map_or(Val::Null, Val::Str);
    Row {
        customer: f(r.customer),
        order: f(r.order),
        time: f(r.time),
        amount: f(r.amount),
        quantity: f(r.quantity),
        unit_price: f(r.unit_price),
        currency: f(r.currency),
        status: f(r.status),
        kind: f(r.kind),
        subscription: f(r.subscription),
        sku: f(r.sku),
    }
}

fn positional(n: usize) -> Vec<String> {
    (1..=n).map(|i| i.to_string()).collect()
}

/// Reads delimited text from any reader.
pub fn read_csv<R: Read>(reader: R, opts: &ReadOptions) -> Result<Ingested> {
    let builder = crate::model::OrderLogBuilder::new(opts.tz()?);
    Ok(csv_into(reader, opts, builder)?.finish())
}

/// Reads delimited text into `sink` (stopping early if the sink gives up).
pub(crate) fn csv_into<R: Read, S: OrderSink>(
    reader: R,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    csv_into_sized(reader, opts, sink, 0)
}

/// [`csv_into`] of text of about `bytes` bytes (0: unknown): a sink that takes plain batches
/// is told to expect about one row per 32 bytes (a hint for its tables, e.g. how far apart
/// shuffled order numbers may lie; see `OrderIdSet`).
pub(crate) fn csv_into_sized<R: Read, S: OrderSink>(
    reader: R,
    opts: &ReadOptions,
    sink: S,
    bytes: u64,
) -> Result<Ingestor<S>> {
    let rows_hint = usize::try_from(bytes / 32).unwrap_or(usize::MAX);
    match opts.delimiter.byte() {
        Some(b) => read_delimited(reader, b, opts, sink, rows_hint),
        None => read_whitespace(BufReader::with_capacity(1 << 16, reader), opts, sink),
    }
}

/// Reads delimited text from a string.
pub fn read_csv_str(text: &str, opts: &ReadOptions) -> Result<Ingested> {
    read_csv(text.as_bytes(), opts)
}

fn malformed(row: u64, e: &dyn std::fmt::Display) -> Error {
    Error::Malformed {
        location: Location {
            row: Some(row),
            ..Location::default()
        },
        reason: e.to_string(),
    }
}

/// The csv crate's reader of delimited text as kokyaku reads it: no header handling (the first
/// record is read as one), any number of fields a row.
fn csv_reader<R: Read>(delim: u8, reader: R) -> ::csv::Reader<R> {
    ::csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(reader)
}

/// A reader that keeps a copy of what it hands out while `recording`: the csv reader reads
/// ahead of the first record it parses, so the text after that record can be read again, from
/// where the csv reader's position says.
struct Recorder<R> {
    inner: R,
    seen: Vec<u8>,
    recording: bool,
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.recording {
            self.seen
                .extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        Ok(n)
    }
}

fn read_delimited<R: Read, S: OrderSink>(
    reader: R,
    delim: u8,
    opts: &ReadOptions,
    sink: S,
    rows_hint: usize,
) -> Result<Ingestor<S>> {
    let mut rdr = csv_reader(
        delim,
        Recorder {
            inner: reader,
            seen: Vec::new(),
            recording: cfg!(feature = "parquet"),
        },
    );
    let mut rec = ::csv::StringRecord::new();
    let mut row_no: u64 = 0;
    let first = rdr.read_record(&mut rec).map_err(|e| malformed(1, &e))?;
    if !first {
        return Err(Error::EmptyInput("the order log has no rows".into()));
    }
    let (resolved, pending_first) = if opts.has_header {
        let header: Vec<String> = rec.iter().map(str::to_owned).collect();
        (resolve(&header, &opts.columns)?, false)
    } else {
        (resolve(&positional(rec.len()), &opts.columns)?, true)
    };
    let mut ing = Ingestor::with_sink(opts, resolved.names.clone(), sink)?;
    #[cfg(not(feature = "parquet"))]
    let _ = rows_hint;
    let process = |rec: &::csv::StringRecord, row_no: u64, ing: &mut Ingestor<S>| -> Result<()> {
        if rec.len() != resolved.width && !(rec.len() == 1 && rec.get(0).is_some_and(str::is_empty))
        {
            let joined: Vec<&str> = rec.iter().collect();
            return ing.malformed(row_no, &joined.join(&char::from(delim).to_string()));
        }
        if rec.len() == 1 && resolved.width > 1 {
            return Ok(()); // a blank line is not a row
        }
        ing.row(row_no, &to_row(&resolved, |i| rec.get(i)))
    };
    #[cfg(feature = "parquet")]
    if ing.takes_plain() {
        if rows_hint > 0 {
            ing.reserve(rows_hint);
        }
        let first = pending_first.then_some(&rec);
        let mut chunks = TextChunks::new(&resolved);
        // The text after the first record, read again from where the csv reader stands:
        // what it read ahead is in the recorder's copy, then the rest of the input.
        let pos = rdr.position().clone();
        let Recorder { inner, seen, .. } = rdr.into_inner();
        let mut again = std::io::Cursor::new(seen);
        again.set_position(pos.byte());
        return chunks.read(again.chain(inner), first, pos, delim, opts, ing);
    }
    // Read on by the csv reader alone: nothing more to keep.
    let recorder = rdr.get_mut();
    recorder.recording = false;
    recorder.seen = Vec::new();
    if pending_first {
        row_no += 1;
        process(&rec, row_no, &mut ing)?;
    }
    while !ing.abandoned() {
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                row_no += 1;
                process(&rec, row_no, &mut ing)?;
            }
            Ok(false) => break,
            Err(e) => return Err(malformed(row_no + 1, &e)),
        }
    }
    Ok(ing)
}

/// Rows of delimited text gathered column by column, for a sink that takes plain batches (the
/// streamed customer summary): each chunk of well-formed rows becomes one Arrow text column
/// per mapped role, checked for plain new orders as a Parquet batch is (see
/// [`super::plain`]), and taken whole when the sink can; otherwise its rows go one by one
/// through the same per-row path as before, from the same text. Rows are read as
/// [`::csv::StringRecord`]s exactly as the per-row reader does (the same UTF-8 check and the
/// same errors); a row with the wrong number of fields, or a blank line, ends the chunk and is
/// handled as before.
#[cfg(feature = "parquet")]
struct TextChunks {
    /// Field position of each role ([`super::Row`] order), and its column being built.
    roles: [Option<usize>; 11],
    values: [Vec<u8>; 11],
    offsets: [Vec<i32>; 11],
    rows: usize,
    /// Number of the chunk's first row.
    first_row: u64,
    width: usize,
    chunk_rows: usize,
    /// Where each field of the line being split ends (kept between lines).
    ends: Vec<usize>,
}

/// Rows per chunk of [`TextChunks`].
#[cfg(feature = "parquet")]
const CHUNK_ROWS: usize = 32_768;

/// Bytes of text [`TextChunks`] splits at a time (whole lines of them).
#[cfg(all(feature = "parquet", not(test)))]
const SPLIT_BLOCK: usize = 1 << 20;

/// Whether [`TextChunks::split`] takes `text` as the csv crate would: no quote (so every
/// `\n` ends a record and every delimiter a field), a `\r` only before a `\n` (the csv
/// crate also ends a line at a lone `\r`), and UTF-8 throughout (as its string records are;
/// the delimiters and line ends being ASCII, so is every field).
#[cfg(feature = "parquet")]
fn is_clean(text: &[u8]) -> bool {
    memchr::memchr(b'"', text).is_none()
        && memchr::memchr_iter(b'\r', text).all(|p| text.get(p + 1) == Some(&b'\n'))
        && std::str::from_utf8(text).is_ok()
}

/// Calls `f` with the place of each `delim` and `\n` in `text`, in order, until it returns
/// `false`. Fields are short (a few bytes each): a search per separator (`memchr2`) costs
/// more than it skips, so each 8 bytes are read as a word, the separators marked by its zero
/// bytes after an exclusive or (exactly: no carry between bytes), and the marks walked.
#[cfg(feature = "parquet")]
fn separators(text: &[u8], delim: u8, mut f: impl FnMut(usize) -> bool) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let ones = u64::from_ne_bytes([1; 8]);
    let (d, nl) = (ones * u64::from(delim), ones * u64::from(b'\n'));
    // The top bit of each byte of `w` that is `delim` or `\n`.
    let marks = |w: u64| -> u64 {
        let zero = |x: u64| !(((x & LOW7) + LOW7) | x | LOW7);
        zero(w ^ d) | zero(w ^ nl)
    };
    let mut words = text.chunks_exact(8);
    let mut base = 0usize;
    for w in words.by_ref() {
        let mut m = marks(u64::from_le_bytes(w.try_into().unwrap_or_default()));
        while m != 0 {
            if !f(base + (m.trailing_zeros() / 8) as usize) {
                return;
            }
            m &= m - 1;
        }
        base += 8;
    }
    for (i, &c) in words.remainder().iter().enumerate() {
        if (c == delim || c == b'\n') && !f(base + i) {
            return;
        }
    }
}

/// The text after a clean prefix, for the csv crate to read on from: its `seek_raw` sets the
/// reader's position (line, record, byte) and seeks by nothing, all this reader allows.
#[cfg(feature = "parquet")]
struct Resume<R>(R);

#[cfg(feature = "parquet")]
impl<R: Read> Read for Resume<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

#[cfg(feature = "parquet")]
impl<R> std::io::Seek for Resume<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        match to {
            std::io::SeekFrom::Current(0) => Ok(0),
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "the rest of a CSV text cannot be seeked",
            )),
        }
    }
}

#[cfg(all(test, feature = "parquet"))]
thread_local! {
    /// Bytes [`TextChunks`] splits at a time on this thread (tests use a few, so that lines
    /// cross blocks).
    pub(crate) static TEST_SPLIT_BLOCK: std::cell::Cell<usize> = const { std::cell::Cell::new(1 << 20) };
    /// Rows per chunk of [`TextChunks`] on this thread (tests use tiny chunks, so that plain
    /// chunks and others mix).
    pub(crate) static TEST_CHUNK_ROWS: std::cell::Cell<usize> = const { std::cell::Cell::new(CHUNK_ROWS) };
    /// Whether the reading thread checks every chunk itself (as when the ingesting thread is
    /// behind), so that tests cover both places the check runs.
    pub(crate) static TEST_CHECK_ON_READER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(feature = "parquet")]
impl TextChunks {
    fn new(r: &Resolved) -> Self {
        Self {
            roles: r.roles(),
            values: Default::default(),
            offsets: std::array::from_fn(|_| vec![0]),
            rows: 0,
            first_row: 1,
            width: r.width,
            #[cfg(not(test))]
            chunk_rows: CHUNK_ROWS,
            #[cfg(test)]
            chunk_rows: TEST_CHUNK_ROWS.with(std::cell::Cell::get),
            ends: Vec::new(),
        }
    }

    /// Appends a well-formed row (`field`: the bytes of the row's field at a position);
    /// `false` when a field would overflow the 32-bit offsets (the caller sends the chunk
    /// first).
    fn push<'a>(&mut self, field: &impl Fn(usize) -> &'a [u8]) -> bool {
        for k in 0..11 {
            if let Some(f) = self.roles[k] {
                let v = field(f);
                let Ok(end) = i32::try_from(self.values[k].len() + v.len()) else {
                    return false;
                };
                self.values[k].extend_from_slice(v);
                self.offsets[k].push(end);
            }
        }
        self.rows += 1;
        true
    }

    /// Takes the gathered rows as one chunk of text columns, not yet checked for plain new
    /// orders ([`Chunk::check`]: the reading thread checks it when the ingesting one is
    /// behind, else the ingesting one does).
    fn take(&mut self) -> Result<Option<Chunk>> {
        use arrow_array::{ArrayRef, StringArray};
        let rows = self.rows;
        if rows == 0 {
            return Ok(None);
        }
        let mut arrays: [Option<ArrayRef>; 11] = Default::default();
        for (k, slot) in arrays.iter_mut().enumerate() {
            if self.roles[k].is_none() {
                continue;
            }
            let mut offsets = Vec::with_capacity(self.chunk_rows + 1);
            offsets.push(0);
            let offsets = std::mem::replace(&mut self.offsets[k], offsets);
            // The next chunk's text about as long as this one's: reserved once, not grown
            // by doubling (each growth a copy of the text so far).
            let reserve = self.values[k].len() + self.values[k].len() / 8;
            let values = std::mem::replace(&mut self.values[k], Vec::with_capacity(reserve));
            // Valid UTF-8 (each field came from a `StringRecord`), offsets rising from 0.
            let a = StringArray::try_new(
                arrow_buffer::OffsetBuffer::new(offsets.into()),
                values.into(),
                None,
            )
            .map_err(|e| Error::Malformed {
                location: Location {
                    row: Some(self.first_row),
                    ..Location::default()
                },
                reason: e.to_string(),
            })?;
            *slot = Some(std::sync::Arc::new(a) as ArrayRef);
        }
        let first = self.first_row;
        self.first_row += rows as u64;
        self.rows = 0;
        Ok(Some(Chunk {
            first,
            rows,
            arrays,
            checked: false,
            plain: None,
        }))
    }

    /// Sends the rows gathered as a chunk (if any); `false` when `emit` says to stop.
    fn send(&mut self, emit: &mut dyn FnMut(Piece) -> bool) -> bool {
        match self.take() {
            Ok(None) => true,
            Ok(Some(c)) => emit(Piece::Chunk(Box::new(c))),
            Err(e) => {
                emit(Piece::Error(e));
                false
            }
        }
    }

    /// Takes well-formed row `row_no` (`field`: its field at a position), sending the chunk
    /// when it is full; `false` when `emit` says to stop.
    fn row<'a>(
        &mut self,
        row_no: u64,
        field: &impl Fn(usize) -> &'a [u8],
        emit: &mut dyn FnMut(Piece) -> bool,
    ) -> bool {
        if self.rows == 0 {
            self.first_row = row_no;
        }
        if !self.push(field) {
            if !self.send(emit) {
                return false;
            }
            self.first_row = row_no;
            if !self.push(field) {
                emit(Piece::Error(malformed(row_no, &"field too long")));
                return false;
            }
        }
        self.rows < self.chunk_rows || self.send(emit)
    }

    /// Takes record `row_no` as the csv reader gave it: a row, or (with the wrong number of
    /// fields) what came before as a chunk, then the record as a malformed row; a record of
    /// one empty field is a blank line, not a row. `false` when `emit` says to stop.
    fn record(
        &mut self,
        rec: &::csv::StringRecord,
        row_no: u64,
        delim: u8,
        emit: &mut dyn FnMut(Piece) -> bool,
    ) -> bool {
        if rec.len() == self.width {
            return self.row(row_no, &|f| rec.get(f).unwrap_or_default().as_bytes(), emit);
        }
        // Not a plain row: what came before goes first, then this row as before.
        if !self.send(emit) {
            return false;
        }
        if rec.len() == 1 && rec.get(0).is_some_and(str::is_empty) {
            return true; // a blank line is not a row
        }
        let joined: Vec<&str> = rec.iter().collect();
        let text = joined.join(&char::from(delim).to_string());
        emit(Piece::Malformed(row_no, text))
    }

    /// Reads every row of `body`, the text after the first record (`first`: that record, when
    /// it is a row, not a header; `pos`: the csv reader's position where `body` starts), and
    /// hands `emit` the pieces in file order, until `emit` returns `false` (the consumer
    /// stopped) or the text ends; a read error is the last piece.
    ///
    /// Text without quotes is split here ([`TextChunks::split`]: lines at `\n`, fields at the
    /// delimiter, found by `memchr`); from the first block of text with a quote, a `\r` that
    /// does not end a line or bytes that are not UTF-8, the csv crate reads on from that
    /// block's first line, positioned there, so its rows, errors and their messages are the
    /// ones it gives reading the whole text (tests compare both routes on random text).
    fn produce<B: Read>(
        &mut self,
        mut body: B,
        first: Option<&::csv::StringRecord>,
        pos: ::csv::Position,
        delim: u8,
        emit: &mut dyn FnMut(Piece) -> bool,
    ) {
        let mut row_no: u64 = 0;
        if let Some(f) = first {
            row_no = 1;
            if !self.record(f, row_no, delim, emit) {
                return;
            }
        }
        let mut at = pos;
        let block = {
            #[cfg(not(test))]
            {
                SPLIT_BLOCK
            }
            #[cfg(test)]
            {
                TEST_SPLIT_BLOCK.with(std::cell::Cell::get)
            }
        };
        // A delimiter that is a quote or a line end: the csv crate reads it all.
        let splits = !matches!(delim, b'"' | b'\r' | b'\n');
        let mut buf: Vec<u8> = Vec::with_capacity(block);
        let mut want = block;
        let mut eof = false;
        if splits {
            loop {
                // At least `want` bytes, or all there is.
                while !eof && buf.len() < want {
                    let more = (want - buf.len()) as u64;
                    match std::io::Read::by_ref(&mut body)
                        .take(more)
                        .read_to_end(&mut buf)
                    {
                        Ok(0) => eof = true,
                        Ok(_) => {}
                        Err(e) => {
                            if self.send(emit) {
                                emit(Piece::Error(malformed(row_no + 1, &e)));
                            }
                            return;
                        }
                    }
                }
                // Whole lines only (all of it at the end); a line longer than a block: read on.
                let end = if eof {
                    buf.len()
                } else if let Some(p) = memchr::memrchr(b'\n', &buf) {
                    p + 1
                } else {
                    want = buf.len() + block;
                    continue;
                };
                let Some(text) = buf.get(..end) else {
                    break;
                };
                if !is_clean(text) {
                    break;
                }
                let (go_on, used) = self.split(text, delim, &mut row_no, &mut at, emit);
                if !go_on {
                    return;
                }
                if eof {
                    self.send(emit);
                    return;
                }
                // Blank lines after the last record stay: the csv reader's position is before
                // them (it skips them when it reads the next record), so a fallback to it starts
                // there. Only blank lines: read on.
                buf.drain(..used);
                want = if used == 0 { buf.len() + block } else { block };
            }
        }
        // The csv crate from the first line of `buf` on. It reads a record of its own first
        // (`x` ended by `\r`, which ends a record but not a line; dropped), so that a
        // byte-order mark there is kept as mid-file (the crate strips one at the start of its
        // input); its position is set back by that record, so that after it the position
        // (byte, line, record) is exactly where `buf` starts.
        let mut back = at.clone();
        back.set_byte(at.byte().saturating_sub(2))
            .set_record(at.record().saturating_sub(1));
        let rest = std::io::Cursor::new(b"x\r".to_vec())
            .chain(std::io::Cursor::new(buf))
            .chain(body);
        let mut rdr = csv_reader(delim, Resume(rest));
        // No header to read before the seek (the reader has none: a record would be lost).
        rdr.set_byte_headers(::csv::ByteRecord::new());
        let mut own = ::csv::ByteRecord::new();
        let resumed = rdr
            .seek_raw(std::io::SeekFrom::Current(0), back)
            .and_then(|()| rdr.read_byte_record(&mut own));
        if let Err(e) = resumed {
            if self.send(emit) {
                emit(Piece::Error(malformed(row_no + 1, &e)));
            }
            return;
        }
        self.produce_csv(&mut rdr, row_no, delim, emit);
    }

    /// Splits `text` (whole lines of [`is_clean`] text) into rows: a line ends at `\n` (a `\r`
    /// before it dropped), fields at `delim`; a line of nothing is blank (not a record, as the
    /// csv crate skips it). Returns whether to go on (`false`: `emit` said to stop) and the
    /// bytes used: up to the end of the last record's line (blank lines after it are left
    /// for the next text, as the csv reader leaves them); `row_no` and `at` (the csv reader's
    /// position: byte, line, record) move past those.
    fn split(
        &mut self,
        text: &[u8],
        delim: u8,
        row_no: &mut u64,
        at: &mut ::csv::Position,
        emit: &mut dyn FnMut(Piece) -> bool,
    ) -> (bool, usize) {
        let mut ends = std::mem::take(&mut self.ends);
        let mut start = 0usize;
        let mut lines = 0u64;
        // Past the last record's line end, and the lines and records up to there.
        let (mut used, mut used_lines, mut records) = (0usize, 0u64, 0u64);
        let mut go_on = true;
        // A line's fields (`ends`: where each ends): `None` for a blank line, else whether
        // to go on and whether the line ends in `\r\n` (the csv reader stops after the
        // `\r`: its position is at the `\n`, not yet counted as a line).
        let mut line =
            |this: &mut Self, start: usize, ends: &mut Vec<usize>| -> Option<(bool, bool)> {
                // The line's last field ends before its `\r`, if any.
                let last = ends.last_mut()?;
                let crlf = *last > start && text.get(*last - 1) == Some(&b'\r');
                if crlf {
                    *last -= 1;
                }
                if *last == start && ends.len() == 1 {
                    return None; // a blank line
                }
                let go_on = Self::line_of(this, text, start, ends, row_no, emit);
                Some((go_on, crlf))
            };
        ends.clear();
        separators(text, delim, |p| {
            ends.push(p);
            if text[p] == b'\n' {
                lines += 1;
                if let Some((more, crlf)) = line(self, start, &mut ends) {
                    (used, used_lines) = if crlf { (p, lines - 1) } else { (p + 1, lines) };
                    records += 1;
                    if !more {
                        go_on = false;
                        return false;
                    }
                }
                start = p + 1;
                ends.clear();
            }
            true
        });
        // The last line, without a line end (the text's end).
        if go_on && start < text.len() {
            ends.push(text.len());
            if let Some((more, _)) = line(self, start, &mut ends) {
                (used, used_lines, records) = (text.len(), lines, records + 1);
                go_on = more;
            }
        }
        ends.clear();
        self.ends = ends;
        let (byte, line_no, record) = (at.byte(), at.line(), at.record());
        at.set_byte(byte + used as u64)
            .set_line(line_no + used_lines)
            .set_record(record + records);
        (go_on, used)
    }

    /// Takes the line of `text` from `start` whose fields end at `ends` (not blank) as the
    /// next record: a row when it has as many fields as the header, else (after the rows
    /// before it, as a chunk) a malformed row. `false` when `emit` says to stop.
    fn line_of(
        &mut self,
        text: &[u8],
        start: usize,
        ends: &[usize],
        row_no: &mut u64,
        emit: &mut dyn FnMut(Piece) -> bool,
    ) -> bool {
        *row_no += 1;
        if ends.len() == self.width {
            let field = |f: usize| {
                let from = if f == 0 { start } else { ends[f - 1] + 1 };
                text.get(from..ends[f]).unwrap_or_default()
            };
            return self.row(*row_no, &field, emit);
        }
        if !self.send(emit) {
            return false;
        }
        let end = ends.last().copied().unwrap_or(start);
        // UTF-8 (the text is clean) cut at ASCII bytes.
        let line_text = String::from_utf8_lossy(text.get(start..end).unwrap_or_default());
        emit(Piece::Malformed(*row_no, line_text.into_owned()))
    }

    /// Reads the rows of `rdr` (after `row_no` rows) as [`TextChunks::record`] takes them.
    fn produce_csv<R: Read>(
        &mut self,
        rdr: &mut ::csv::Reader<R>,
        mut row_no: u64,
        delim: u8,
        emit: &mut dyn FnMut(Piece) -> bool,
    ) {
        let mut rec = ::csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    if self.send(emit) {
                        emit(Piece::Error(malformed(row_no + 1, &e)));
                    }
                    return;
                }
            }
            row_no += 1;
            if !self.record(&rec, row_no, delim, emit) {
                return;
            }
        }
        self.send(emit);
    }

    /// Reads every row after the header into `ing`: the text is read and split into checked
    /// chunks on this thread while `ing` takes them on another (in order, so rows, errors and
    /// rejections come out as a single thread would give them); in the browser, on this one.
    fn read<B: Read, S: OrderSink>(
        &mut self,
        body: B,
        first: Option<&::csv::StringRecord>,
        pos: ::csv::Position,
        delim: u8,
        opts: &ReadOptions,
        ing: Ingestor<S>,
    ) -> Result<Ingestor<S>> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            std::thread::scope(|scope| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(4);
                // Tests count what the sink takes in this thread's hooks: they go along.
                #[cfg(test)]
                let hooks = super::plain_tests::hooks();
                let consumer = scope.spawn(move || {
                    #[cfg(test)]
                    super::plain_tests::set_hooks(hooks);
                    let mut ing = ing;
                    let mut fed = Ok(());
                    for piece in rx {
                        fed = feed(piece, &mut ing, opts);
                        if fed.is_err() || ing.abandoned() {
                            break; // dropping `rx` stops the reading thread
                        }
                    }
                    #[cfg(test)]
                    let hooks = Some(super::plain_tests::hooks());
                    #[cfg(not(test))]
                    let hooks: Option<()> = None;
                    (fed.map(|()| ing), hooks)
                });
                // A chunk goes unchecked while the ingesting thread keeps up; when it is behind
                // (the channel is full), this thread checks the chunk before waiting: the
                // check's work goes to whichever thread has room. Either way the same check of
                // the same chunk, handed over in file order.
                self.produce(body, first, pos, delim, &mut |p| {
                    #[cfg(test)]
                    if TEST_CHECK_ON_READER.with(std::cell::Cell::get) {
                        let mut p = p;
                        let go_on = check_here(&mut p, opts);
                        return tx.send(p).is_ok() && go_on;
                    }
                    match tx.try_send(p) {
                        Ok(()) => true,
                        Err(std::sync::mpsc::TrySendError::Full(mut p)) => {
                            let go_on = check_here(&mut p, opts);
                            tx.send(p).is_ok() && go_on
                        }
                        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => false,
                    }
                });
                drop(tx);
                let (out, hooks_after) = consumer
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                #[cfg(test)]
                if let Some(h) = hooks_after {
                    super::plain_tests::set_hooks(h);
                }
                #[cfg(not(test))]
                let _: Option<()> = hooks_after;
                out
            })
        }
        #[cfg(target_arch = "wasm32")]
        {
            let mut ing = ing;
            let mut failed = None;
            self.produce(
                body,
                first,
                pos,
                delim,
                &mut |p| match feed(p, &mut ing, opts) {
                    Ok(()) => !ing.abandoned(),
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                },
            );
            failed.map_or(Ok(ing), Err)
        }
    }
}

/// What the reading thread of [`TextChunks`] hands the ingesting one, in file order.
#[cfg(feature = "parquet")]
enum Piece {
    /// Well-formed rows.
    Chunk(Box<Chunk>),
    /// A row with the wrong number of fields (its number and text).
    Malformed(u64, String),
    /// The text cannot be read on from here.
    Error(Error),
}

/// Rows of [`TextChunks`] as text columns, and as a plain batch when every row is a plain new
/// order.
#[cfg(feature = "parquet")]
struct Chunk {
    first: u64,
    rows: usize,
    arrays: [Option<arrow_array::ArrayRef>; 11],
    /// Whether [`Chunk::check`] ran; then `plain` is the plain batch, if the chunk is one.
    checked: bool,
    plain: Option<super::plain::PlainBatch>,
}

/// Checks a chunk `p` on the reading thread; a failed check replaces it with its error, and
/// `false` says to read no further.
#[cfg(all(feature = "parquet", not(target_arch = "wasm32")))]
fn check_here(p: &mut Piece, opts: &ReadOptions) -> bool {
    if let Piece::Chunk(c) = p {
        if let Err(e) = c.check(opts) {
            *p = Piece::Error(e);
            return false;
        }
    }
    true
}

#[cfg(feature = "parquet")]
impl Chunk {
    /// Checks the rows for plain new orders (once).
    fn check(&mut self, opts: &ReadOptions) -> Result<()> {
        if !self.checked {
            self.plain = super::parquet::plain_text_batch(&self.arrays, self.rows, opts)?;
            self.checked = true;
        }
        Ok(())
    }
}

/// Gives `ing` one piece: a chunk as one plain batch when it is one (and `ing` takes it),
/// else row by row.
#[cfg(feature = "parquet")]
fn feed<S: OrderSink>(piece: Piece, ing: &mut Ingestor<S>, opts: &ReadOptions) -> Result<()> {
    use arrow_array::{Array, StringArray};
    let mut chunk = match piece {
        Piece::Chunk(c) => c,
        Piece::Malformed(row, text) => return ing.malformed(row, &text),
        Piece::Error(e) => return Err(e),
    };
    chunk.check(opts)?;
    let Chunk {
        first,
        rows,
        arrays,
        plain,
        ..
    } = *chunk;
    if let Some(b) = plain {
        if ing.plain_batch(first, &b)? {
            return Ok(());
        }
    }
    let text: Vec<Option<&StringArray>> = arrays
        .iter()
        .map(|a| {
            a.as_ref()
                .and_then(|a| a.as_any().downcast_ref::<StringArray>())
        })
        .collect();
    for i in 0..rows {
        let f = |k: usize| text[k].map_or(Val::Null, |a| Val::Str(a.value(i)));
        let row = Row {
            customer: f(0),
            order: f(1),
            time: f(2),
            amount: f(3),
            quantity: f(4),
            unit_price: f(5),
            currency: f(6),
            status: f(7),
            kind: f(8),
            subscription: f(9),
            sku: f(10),
        };
        ing.row(first + i as u64, &row)?;
        if ing.abandoned() {
            break;
        }
    }
    Ok(())
}

fn read_whitespace<R: BufRead, S: OrderSink>(
    mut reader: R,
    opts: &ReadOptions,
    sink: S,
) -> Result<Ingestor<S>> {
    let mut line = String::new();
    let mut row_no: u64 = 0;
    let mut sink = Some(sink);
    let mut ing: Option<(Ingestor<S>, Resolved)> = None;
    let mut spans: Vec<(usize, usize)> = Vec::new();
    while !ing.as_ref().is_some_and(|(i, _)| i.abandoned()) {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| malformed(row_no + 1, &e))?;
        if n == 0 {
            break;
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if ing.is_none() {
            let first: Vec<String> = text.split_ascii_whitespace().map(str::to_owned).collect();
            let header = if opts.has_header {
                first
            } else {
                positional(first.len())
            };
            let resolved = resolve(&header, &opts.columns)?;
            let Some(sink) = sink.take() else { break };
            ing = Some((
                Ingestor::with_sink(opts, resolved.names.clone(), sink)?,
                resolved,
            ));
            if opts.has_header {
                continue;
            }
        }
        let Some((ingestor, resolved)) = ing.as_mut() else {
            continue;
        };
        row_no += 1;
        spans.clear();
        let base = text.as_ptr() as usize;
        spans.extend(text.split_ascii_whitespace().map(|f| {
            let start = f.as_ptr() as usize - base;
            (start, start + f.len())
        }));
        if spans.len() == resolved.width {
            ingestor.row(
                row_no,
                &to_row(resolved, |i| {
                    spans.get(i).and_then(|&(a, b)| text.get(a..b))
                }),
            )?;
        } else {
            ingestor.malformed(row_no, text)?;
        }
    }
    match ing {
        Some((i, _)) => Ok(i),
        None => Err(Error::EmptyInput("the order log has no rows".into())),
    }
}

#[cfg(all(test, feature = "parquet"))]
#[path = "csv_split_tests.rs"]
mod split_tests;
