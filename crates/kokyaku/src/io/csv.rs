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

fn read_delimited<R: Read, S: OrderSink>(
    reader: R,
    delim: u8,
    opts: &ReadOptions,
    sink: S,
    rows_hint: usize,
) -> Result<Ingestor<S>> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(reader);
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
        return chunks.read(&mut rdr, first, delim, opts, ing);
    }
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
}

/// Rows per chunk of [`TextChunks`].
#[cfg(feature = "parquet")]
const CHUNK_ROWS: usize = 32_768;

#[cfg(all(test, feature = "parquet"))]
thread_local! {
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
        }
    }

    /// Appends a well-formed row; `false` when a field would overflow the 32-bit offsets
    /// (the caller sends the chunk first).
    fn push(&mut self, rec: &::csv::StringRecord) -> bool {
        for k in 0..11 {
            if let Some(f) = self.roles[k] {
                let v = rec.get(f).unwrap_or_default().as_bytes();
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

    /// Reads every row after the header (`first`: a first row already read, when there is no
    /// header) and hands `emit` the pieces in file order, until `emit` returns `false` (the
    /// consumer stopped) or the text ends; a read error is the last piece.
    fn produce<R: Read>(
        &mut self,
        rdr: &mut ::csv::Reader<R>,
        first: Option<&::csv::StringRecord>,
        delim: u8,
        emit: &mut dyn FnMut(Piece) -> bool,
    ) {
        let take = |this: &mut Self, emit: &mut dyn FnMut(Piece) -> bool| -> bool {
            match this.take() {
                Ok(None) => true,
                Ok(Some(c)) => emit(Piece::Chunk(Box::new(c))),
                Err(e) => {
                    emit(Piece::Error(e));
                    false
                }
            }
        };
        let mut rec = ::csv::StringRecord::new();
        if let Some(f) = first {
            rec.clone_from(f);
        }
        let mut have = first.is_some();
        let mut row_no: u64 = 0;
        loop {
            if !have {
                match rdr.read_record(&mut rec) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        if take(self, emit) {
                            emit(Piece::Error(malformed(row_no + 1, &e)));
                        }
                        return;
                    }
                }
            }
            have = false;
            row_no += 1;
            if rec.len() == self.width {
                if self.rows == 0 {
                    self.first_row = row_no;
                }
                if !self.push(&rec) {
                    if !take(self, emit) {
                        return;
                    }
                    self.first_row = row_no;
                    if !self.push(&rec) {
                        emit(Piece::Error(malformed(row_no, &"field too long")));
                        return;
                    }
                }
                if self.rows >= self.chunk_rows && !take(self, emit) {
                    return;
                }
                continue;
            }
            // Not a plain row: what came before goes first, then this row as before.
            if !take(self, emit) {
                return;
            }
            if rec.len() == 1 && rec.get(0).is_some_and(str::is_empty) {
                continue; // a blank line is not a row
            }
            let joined: Vec<&str> = rec.iter().collect();
            let text = joined.join(&char::from(delim).to_string());
            if !emit(Piece::Malformed(row_no, text)) {
                return;
            }
        }
        take(self, emit);
    }

    /// Reads every row after the header into `ing`: the text is read and split into checked
    /// chunks on this thread while `ing` takes them on another (in order, so rows, errors and
    /// rejections come out as a single thread would give them); in the browser, on this one.
    fn read<R: Read, S: OrderSink>(
        &mut self,
        rdr: &mut ::csv::Reader<R>,
        first: Option<&::csv::StringRecord>,
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
                self.produce(rdr, first, delim, &mut |p| {
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
            self.produce(rdr, first, delim, &mut |p| match feed(p, &mut ing, opts) {
                Ok(()) => !ing.abandoned(),
                Err(e) => {
                    failed = Some(e);
                    false
                }
            });
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
