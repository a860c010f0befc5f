//! Compact string columns and an interner (one buffer, no per-value allocation).

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

use super::huge::ZeroedWords;

/// Many strings in one buffer: value `i` is `buf[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrColumn {
    buf: String,
    offsets: Vec<u32>,
}

impl StrColumn {
    /// An empty column.
    #[must_use]
    pub fn new() -> Self {
        Self {
            buf: String::new(),
            offsets: vec![0],
        }
    }
    /// Number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    /// Whether there are no values.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends a value.
    pub fn push(&mut self, s: &str) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.buf.push_str(s);
        self.offsets.push(self.buf.len() as u32);
    }
    /// Appends the values of one block: `text` holds them one after another, and `ends[k]`
    /// is where value `k` ends in it.
    pub fn extend_block(&mut self, text: &str, ends: &[u32]) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let base = self.buf.len() as u32;
        self.buf.push_str(text);
        self.offsets.extend(ends.iter().map(|&e| base + e));
    }
    /// An empty column with room for `values` values of `bytes` bytes in all.
    #[must_use]
    pub fn with_capacity(values: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(values + 1);
        offsets.push(0);
        Self {
            buf: String::with_capacity(bytes),
            offsets,
        }
    }
    /// Value `i` (empty string when out of range).
    #[must_use]
    pub fn get(&self, i: usize) -> &str {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.buf.get(a as usize..b as usize).unwrap_or(""),
            _ => "",
        }
    }
    /// A new column with values in the order of `perm`.
    #[must_use]
    pub fn permuted(&self, perm: &[u32]) -> Self {
        self.gathered(perm, self.buf.len())
    }

    /// [`Self::permuted`], a long column gathered in two halves on two cores (a read at random
    /// per value: both cores pay), the second half then appended to the first. For callers
    /// whose other core is idle (not inside another [`crate::par::join`]).
    #[must_use]
    pub(crate) fn permuted_on_two_cores(&self, perm: &[u32]) -> Self {
        /// Values below which a second thread costs more than it saves.
        const TWO_CORES_FROM: usize = 1 << 16;
        if perm.len() < TWO_CORES_FROM {
            return self.permuted(perm);
        }
        let (first, second) = perm.split_at(perm.len() / 2);
        let (b, mut out) = crate::par::join(&|| self.gathered(second, 0), || {
            // Room for both halves: the second is appended without growing.
            self.gathered(first, self.buf.len())
        });
        out.extend_block(&b.buf, b.offsets.get(1..).unwrap_or_default());
        out
    }

    /// The values `perm` names, in its order, in a column with room for `bytes` bytes.
    fn gathered(&self, perm: &[u32], bytes: usize) -> Self {
        let mut out = Self {
            buf: String::with_capacity(bytes),
            offsets: Vec::with_capacity(perm.len() + 1),
        };
        out.offsets.push(0);
        for &p in perm {
            out.push(self.get(p as usize));
        }
        out
    }
    /// Bytes held.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.offsets.capacity() * 4
    }
    /// The values one after another, and where each starts and ends (`len() + 1` offsets
    /// from 0): Arrow's layout of a text column.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))] // the Arrow output
    pub(crate) fn raw(&self) -> (&str, &[u32]) {
        (&self.buf, &self.offsets)
    }
}

/// The hash an [`Interner`] gives `s` (fixed seeds: the same on every thread and run).
#[cfg_attr(not(feature = "parquet"), allow(dead_code))] // used by the Parquet reader
pub(crate) fn id_hash(s: &str) -> u64 {
    FixedState::default().hash_one(s)
}

/// Maps strings to dense indices in first-seen order.
///
/// Each table slot holds the full 64-bit hash, the index and (for strings of up to 19 bytes,
/// e.g. most customer ids) the bytes themselves, so a probe settles equality inside the slot
/// without chasing the string column: one cache line per lookup on the hot path.
#[derive(Debug, Default)]
pub struct Interner {
    values: StrColumn,
    table: HashTable<Slot>,
    hasher: FixedState,
}

const INLINE: usize = 19;

#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    idx: u32,
    len: u8,
    bytes: [u8; INLINE],
}

impl Slot {
    fn new(hash: u64, idx: u32, s: &str) -> Self {
        let mut bytes = [0u8; INLINE];
        let len = if s.len() <= INLINE {
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            s.len() as u8
        } else {
            u8::MAX
        };
        Self {
            hash,
            idx,
            len,
            bytes,
        }
    }
    fn matches(&self, hash: u64, s: &str, values: &StrColumn) -> bool {
        if self.hash != hash {
            return false;
        }
        if self.len == u8::MAX {
            values.get(self.idx as usize) == s
        } else {
            &self.bytes[..self.len as usize] == s.as_bytes()
        }
    }
}

impl Interner {
    /// An empty interner.
    #[must_use]
    pub fn new() -> Self {
        Self {
            values: StrColumn::new(),
            table: HashTable::new(),
            hasher: FixedState::default(),
        }
    }
    /// Room for `n` more distinct strings of about `bytes_each` bytes.
    pub fn reserve(&mut self, n: usize, bytes_each: usize) {
        self.table.reserve(n, |x| x.hash);
        self.values.offsets.reserve(n);
        self.values.buf.reserve(n * bytes_each);
    }
    /// The index of `s` and whether it was new, inserting it if new.
    pub fn intern_new(&mut self, s: &str) -> (u32, bool) {
        let h = self.hasher.hash_one(s);
        self.intern_hashed(h, s)
    }
    /// [`Self::intern_new`] with `s`'s hash ([`id_hash`]) already worked out.
    pub(crate) fn intern_hashed(&mut self, h: u64, s: &str) -> (u32, bool) {
        let values = &self.values;
        match self.table.entry(h, |x| x.matches(h, s, values), |x| x.hash) {
            hashbrown::hash_table::Entry::Occupied(e) => (e.get().idx, false),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let i = self.values.len() as u32;
                e.insert(Slot::new(h, i, s));
                self.values.push(s);
                (i, true)
            }
        }
    }
    /// The index of `s`, inserting it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        self.intern_new(s).0
    }
    /// Ids `rows` of `text` (one after another, id `k` ending at `ends[k]`), whose hashes
    /// ([`id_hash`]) are `hashes`, interned in order: `each(index, new)` for every id. Each
    /// chunk's slots are warmed first (a loop of independent loads), and no hash is worked
    /// out again (those `hashes` lacks are worked out a chunk at a time).
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))] // plain batches come from Arrow
    pub(crate) fn intern_run(
        &mut self,
        text: &str,
        ends: &[u32],
        hashes: &[u64],
        rows: std::ops::Range<usize>,
        mut each: impl FnMut(u32, bool),
    ) {
        let at = |k: usize| {
            let start = if k == 0 { 0 } else { ends[k - 1] as usize };
            text.get(start..ends[k] as usize).unwrap_or_default()
        };
        let mut k = rows.start;
        let mut scratch: Vec<u64> = Vec::new();
        while k < rows.end {
            let end = (k + 2048).min(rows.end);
            // Hashes the batch did not bring (hex ids, which go by number elsewhere): worked
            // out here, a chunk at a time, so that the chunk is still warmed first.
            let chunk = if let Some(h) = hashes.get(k..end) {
                h
            } else {
                scratch.clear();
                scratch.extend(
                    (k..end).map(|j| hashes.get(j).copied().unwrap_or_else(|| id_hash(at(j)))),
                );
                &scratch
            };
            self.warm_hashed(chunk);
            for (j, &h) in (k..end).zip(chunk) {
                let (i, new) = self.intern_hashed(h, at(j));
                each(i, new);
            }
            k = end;
        }
    }
    /// Loads the table slots of ids with these hashes ([`id_hash`]) without changing anything.
    pub(crate) fn warm_hashed(&self, hashes: &[u64]) {
        self.warm_by(hashes.iter().copied());
    }
    /// Loads the table slots of ids with these hashes ([`id_hash`]) without changing anything.
    pub(crate) fn warm_by_hash(&self, hashes: impl Iterator<Item = u64>) {
        self.warm_by(hashes);
    }
    /// Loads the table slots of `ids` without changing anything (see [`CustomerIds::warm`]).
    pub fn warm<'a>(&self, ids: impl Iterator<Item = &'a str>) {
        self.warm_by(ids.map(|s| self.hasher.hash_one(s)));
    }
    /// Loads the slot of each hash (a tight loop of independent loads), and for a string too
    /// long to sit in its slot, where it starts and ends in the column and its first and last
    /// bytes (what the lookup compares).
    fn warm_by(&self, hashes: impl Iterator<Item = u64>) {
        let (buf, offsets) = (self.values.buf.as_bytes(), &self.values.offsets);
        let mut acc = 0u32;
        for h in hashes {
            if let Some(x) = self.table.find(h, |x| x.hash == h) {
                acc ^= x.idx;
                if x.len == u8::MAX
                    && let (Some(&start), Some(&end)) =
                        (offsets.get(x.idx as usize), offsets.get(x.idx as usize + 1))
                {
                    let at = |i: u32| u32::from(buf.get(i as usize).copied().unwrap_or(0));
                    acc ^= at(start) ^ at(end.saturating_sub(1));
                }
            }
        }
        std::hint::black_box(acc);
    }
    /// The index of `s` if present.
    #[must_use]
    pub fn lookup(&self, s: &str) -> Option<u32> {
        let h = self.hasher.hash_one(s);
        self.table
            .find(h, |x| x.matches(h, s, &self.values))
            .map(|x| x.idx)
    }
    /// Number of distinct strings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }
    /// Whether empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// The strings, by index.
    #[must_use]
    pub fn values(&self) -> &StrColumn {
        &self.values
    }
    /// Gives up the table and returns the strings.
    #[must_use]
    pub fn into_values(self) -> StrColumn {
        self.values
    }
}

/// Order ids with a fast path for the common case of ids that rise with time (`#1001`,
/// `O0000000123`): while every new id has the same non-digit prefix and a larger number than
/// the last, no hash table is built (a repeat of the last id is still found, as line items of
/// one order usually sit together). The first id that breaks the pattern builds the table
/// once and the rest go through it, so results never depend on the input's order. Ids of one
/// prefix and one width in any order (a shuffled export), with numbers close together, are
/// found by their number in an index instead ([`DenseIds`]), until one does not fit.
#[derive(Debug, Default)]
pub struct OrderIds {
    ids: Interner,
    monotone: bool,
    prefix_len: usize,
    last_number: u64,
    reserve: usize,
    /// The index by number, after the ids stopped rising (while they fit it).
    dense: Option<DenseIds>,
}

/// Ids of one prefix and one width: each id's index by its number less `base` (`NONE` where
/// no id); the number of such an id says its text.
#[derive(Debug)]
struct DenseIds {
    prefix: String,
    width: usize,
    base: u64,
    index: Vec<u32>,
}

impl DenseIds {
    /// The number of `id` when it has the prefix and width.
    #[inline]
    fn number(&self, id: &str) -> Option<u64> {
        if id.len() != self.width {
            return None;
        }
        let (p, num) = split_number(id)?;
        (p == self.prefix).then_some(num)
    }
}

fn split_number(s: &str) -> Option<(&str, u64)> {
    let digits = s.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 18 {
        return None;
    }
    let (p, d) = s.split_at(s.len() - digits);
    d.parse().ok().map(|n| (p, n))
}

impl OrderIds {
    /// Empty, in the fast mode, expecting about `n` ids.
    #[must_use]
    pub fn new(n: usize) -> Self {
        Self {
            ids: Interner::new(),
            monotone: true,
            prefix_len: 0,
            last_number: 0,
            reserve: n,
            dense: None,
        }
    }
    /// Number of ids.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// Whether empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// Inserts `id`; returns the index of an equal id inserted before, if any.
    pub fn insert(&mut self, id: &str) -> Option<u32> {
        if self.monotone {
            let n = self.ids.len();
            if n > 0 && self.ids.values.get(n - 1) == id {
                return Some(n as u32 - 1);
            }
            if let Some((p, num)) = split_number(id) {
                let first = n == 0;
                let same_prefix = first
                    || (p.len() == self.prefix_len
                        && self.ids.values.get(0).get(..p.len()) == Some(p));
                if same_prefix && (first || num > self.last_number) {
                    self.prefix_len = p.len();
                    self.last_number = num;
                    if first && self.reserve > 0 {
                        self.ids.values.offsets.reserve(self.reserve);
                        self.ids.values.buf.reserve(self.reserve * id.len());
                    }
                    self.ids.values.push(id);
                    return None;
                }
            }
            self.monotone = false;
            self.dense = self.build_dense();
            if self.dense.is_none() {
                self.build_table();
            }
        }
        if let Some(d) = &mut self.dense {
            let n = self.ids.values.len();
            let room = dense_room(n + 1, self.reserve);
            if let Some(k) = d
                .number(id)
                .and_then(|num| dense_slot(&mut d.base, &mut d.index, room, num))
            {
                if d.index[k] != NONE {
                    return Some(d.index[k]);
                }
                d.index[k] = n as u32;
                self.ids.values.push(id);
                return None;
            }
            self.dense = None;
            self.build_table();
        }
        let (i, new) = self.ids.intern_new(id);
        if new { None } else { Some(i) }
    }

    /// The index by number of the rising ids so far, when they all have one width (they have
    /// one prefix) and their numbers lie close enough together.
    fn build_dense(&self) -> Option<DenseIds> {
        let v = &self.ids.values;
        if v.is_empty() {
            return None;
        }
        let first = v.get(0);
        let width = first.len();
        let prefix = first.get(..self.prefix_len)?.to_owned();
        let (lo, hi) = (split_number(first)?.1, self.last_number);
        if hi < lo || hi - lo > dense_room(v.len(), self.reserve) {
            return None;
        }
        let mut index = Vec::with_capacity(self.reserve.max(v.len()));
        index.resize(usize::try_from(hi - lo + 1).ok()?, NONE);
        let d = DenseIds {
            prefix,
            width,
            base: lo,
            index: Vec::new(),
        };
        for i in 0..v.len() {
            let num = d.number(v.get(i))?;
            index[usize::try_from(num - lo).ok()?] = i as u32;
        }
        Some(DenseIds { index, ..d })
    }
    /// Appends ids of one prefix whose numbers rise strictly from `first` to `last`, when they
    /// keep the fast mode: they share the prefix of the ids before and `first` is above the
    /// last number. `false`, with nothing changed, otherwise (the caller inserts them one by
    /// one).
    pub(crate) fn extend_rising(
        &mut self,
        prefix: &[u8],
        first: u64,
        last: u64,
        text: &str,
        ends: &[u32],
    ) -> bool {
        let n = self.ids.len();
        if !self.monotone
            || n > 0
                && (prefix.len() != self.prefix_len
                    || self.ids.values.get(0).as_bytes().get(..prefix.len()) != Some(prefix)
                    || first <= self.last_number)
        {
            return false;
        }
        if n == 0 && self.reserve > 0 {
            self.ids.values.offsets.reserve(self.reserve);
            self.ids
                .values
                .buf
                .reserve(self.reserve * text.len() / ends.len().max(1));
        }
        self.ids.values.extend_block(text, ends);
        self.prefix_len = prefix.len();
        self.last_number = last;
        true
    }
    /// Appends ids of one prefix and width, given by their numbers (and written out in
    /// `text`, ending at `ends`), while the index by number holds them: one index slot per id,
    /// no text parsed or compared. `false`, with no id added, when the ids are not in that mode,
    /// do not fit its span, or one was inserted before or repeats in the batch (the caller then
    /// checks and inserts them one by one).
    #[cfg(feature = "parquet")]
    pub(crate) fn extend_dense(
        &mut self,
        prefix: &[u8],
        width: usize,
        numbers: &[u64],
        text: &str,
        ends: &[u32],
    ) -> bool {
        let Some(d) = &mut self.dense else {
            return false;
        };
        let (Some(&lo), Some(&hi)) = (numbers.iter().min(), numbers.iter().max()) else {
            return false;
        };
        if d.width != width || d.prefix.as_bytes() != prefix || ends.len() != numbers.len() {
            return false;
        }
        let n0 = self.ids.values.len();
        let room = dense_room(n0 + numbers.len(), self.reserve);
        // (growing the index to the batch's span adds no id)
        if dense_slot(&mut d.base, &mut d.index, room, lo).is_none()
            || dense_slot(&mut d.base, &mut d.index, room, hi).is_none()
        {
            return false;
        }
        let base = d.base;
        for (k, &num) in numbers.iter().enumerate() {
            let slot = &mut d.index[(num - base) as usize];
            if *slot != NONE {
                // seen before, or earlier in this batch: undo this batch's slots
                for &m in &numbers[..k] {
                    d.index[(m - base) as usize] = NONE;
                }
                return false;
            }
            *slot = (n0 + k) as u32;
        }
        self.ids.values.extend_block(text, ends);
        true
    }
    fn build_table(&mut self) {
        self.monotone = false;
        self.dense = None;
        let values = std::mem::take(&mut self.ids.values);
        let mut ids = Interner::new();
        ids.reserve(self.reserve.max(values.len()), 0);
        ids.values = values;
        for i in 0..ids.values.len() {
            let s = ids.values.get(i);
            let h = ids.hasher.hash_one(s);
            ids.table
                .insert_unique(h, Slot::new(h, i as u32, s), |x| x.hash);
        }
        self.ids = ids;
    }
    /// The index of `id`, if inserted.
    #[must_use]
    pub fn lookup(&self, id: &str) -> Option<u32> {
        if let Some(d) = &self.dense {
            let k = usize::try_from(d.number(id)?.checked_sub(d.base)?).ok()?;
            return d.index.get(k).copied().filter(|&i| i != NONE);
        }
        if !self.monotone {
            return self.ids.lookup(id);
        }
        // Usually a further line of the latest order.
        let v = &self.ids.values;
        if let Some(last) = v.len().checked_sub(1) {
            if v.get(last) == id {
                return Some(last as u32);
            }
        }
        // Ids are sorted by number with one prefix: binary search.
        let (p, num) = split_number(id)?;
        if p.len() != self.prefix_len {
            return None;
        }
        let v = &self.ids.values;
        let (mut lo, mut hi) = (0usize, v.len());
        while lo < hi {
            let mid = usize::midpoint(lo, hi);
            let m = split_number(v.get(mid)).map_or(0, |x| x.1);
            match m.cmp(&num) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return (v.get(mid) == id).then_some(mid as u32),
            }
        }
        None
    }
    /// The ids in insertion order.
    #[must_use]
    pub fn into_values(self) -> StrColumn {
        self.ids.values
    }
    /// The ids in insertion order, borrowed (id `i` is the `i`-th inserted).
    #[must_use]
    pub fn values(&self) -> &StrColumn {
        &self.ids.values
    }
}

/// A set of order ids that keeps no text while the ids rise one by one (`O0000000001`,
/// `O0000000002`, … : one prefix, one width, each number above the last): only runs of
/// consecutive numbers. Order logs in time order usually look like that, and then checking 10M
/// order ids for repeats takes a few bytes instead of their 150 MB of text. The first id that
/// does not fit moves the ids, rebuilt from the runs, into an [`OrderIds`] (same answers).
#[derive(Debug)]
pub(crate) enum OrderIdSet {
    Rising {
        prefix: String,
        width: usize,
        /// First number and length of each run of consecutive numbers.
        runs: Vec<(u64, u64)>,
        count: usize,
        reserve: usize,
    },
    /// Ids of one prefix and one width in any order, with numbers close together (see
    /// [`dense_room`]): each id's index by its number less `base` (`NONE` where no id).
    Dense {
        prefix: String,
        width: usize,
        base: u64,
        index: Vec<u32>,
        count: usize,
        reserve: usize,
    },
    Table(OrderIds),
}

/// No id at this number (in [`OrderIdSet::Dense`]).
const NONE: u32 = u32::MAX;

/// How many numbers a [`OrderIdSet::Dense`] set of `count` ids (or of the `reserve` ids
/// expected) may span: four per id plus 4M, so that the index stays a few bytes per id.
fn dense_room(count: usize, reserve: usize) -> u64 {
    4 * (count.max(reserve) as u64 + 1) + (1 << 22)
}

/// The index slot of `num`, growing the index (down, by moving `base`, or up) to hold it while
/// the span stays within `room`; `None` when it would not.
fn dense_slot(base: &mut u64, index: &mut Vec<u32>, room: u64, num: u64) -> Option<usize> {
    if index.is_empty() {
        *base = num;
    }
    if num < *base {
        let span = *base + index.len() as u64 - num;
        if span > room {
            return None;
        }
        // Grow down by at least the index's length (amortised), within the room.
        let new_base = num.saturating_sub((index.len() as u64).min(room - span));
        let shift = usize::try_from(*base - new_base).ok()?;
        index.splice(0..0, std::iter::repeat_n(NONE, shift));
        *base = new_base;
        return usize::try_from(num - new_base).ok();
    }
    let k = num - *base;
    if k >= index.len() as u64 {
        if k + 1 > room {
            return None;
        }
        index.resize(usize::try_from(k + 1).ok()?, NONE);
    }
    usize::try_from(k).ok()
}

/// Adds `num` (above every number so far) to runs of consecutive numbers.
fn push_run(runs: &mut Vec<(u64, u64)>, num: u64) {
    match runs.last_mut() {
        Some((a, len)) if *a + *len == num => *len += 1,
        _ => runs.push((num, 1)),
    }
}

impl OrderIdSet {
    /// Empty, expecting about `n` ids.
    pub(crate) fn new(n: usize) -> Self {
        Self::Rising {
            prefix: String::new(),
            width: 0,
            runs: Vec::new(),
            count: 0,
            reserve: n,
        }
    }

    /// The last number, when rising and not empty.
    fn last_number(&self) -> Option<u64> {
        match self {
            Self::Rising { runs, .. } => runs.last().map(|&(a, len)| a + len - 1),
            Self::Dense { .. } | Self::Table(_) => None,
        }
    }

    /// Inserts `id`; returns the index of an equal id inserted before, if any.
    pub(crate) fn insert(&mut self, id: &str) -> Option<u32> {
        if let Self::Rising {
            prefix,
            width,
            runs,
            count,
            ..
        } = self
        {
            if let Some((p, num)) = split_number(id) {
                let fits = *count == 0 || (id.len() == *width && p == prefix.as_str());
                let last = runs.last().map(|&(a, len)| a + len - 1);
                if fits && last == Some(num) {
                    return Some(*count as u32 - 1); // the last id again (a line of its order)
                }
                if fits && last.is_none_or(|l| num > l) {
                    if *count == 0 {
                        *width = id.len();
                        p.clone_into(prefix);
                    }
                    push_run(runs, num);
                    *count += 1;
                    return None;
                }
                if fits {
                    self.switch_to_dense();
                }
            }
        }
        if let Self::Dense {
            prefix,
            width,
            base,
            index,
            count,
            reserve,
        } = self
        {
            if let Some((p, num)) = split_number(id).filter(|_| id.len() == *width) {
                if p == prefix.as_str() {
                    let room = dense_room(*count, *reserve);
                    if let Some(k) = dense_slot(base, index, room, num) {
                        if index[k] != NONE {
                            return Some(index[k]);
                        }
                        index[k] = *count as u32;
                        *count += 1;
                        return None;
                    }
                }
            }
        }
        if !matches!(self, Self::Table(_)) {
            self.switch_to_table();
        }
        match self {
            Self::Table(t) => t.insert(id),
            _ => None, // unreachable: converted above
        }
    }

    /// Appends ids of `width` bytes, each `prefix` and a zero-padded number of `numbers` in any
    /// order, as inserting them one by one would when none repeats (an id before, or one of
    /// the batch); `false`, with nothing changed, when one does, or the ids do not fit the set
    /// (the caller inserts them one by one, which finds the repeat).
    pub(crate) fn extend_any(
        &mut self,
        id_prefix: &[u8],
        id_width: usize,
        numbers: &[u64],
    ) -> bool {
        let Ok(p) = std::str::from_utf8(id_prefix) else {
            return false;
        };
        match self {
            Self::Rising {
                prefix,
                width,
                count,
                ..
            } => {
                if *count == 0 {
                    *width = id_width;
                    p.clone_into(prefix);
                } else if *width != id_width || prefix.as_str() != p {
                    return false;
                }
                self.switch_to_dense();
            }
            Self::Dense { .. } => {}
            Self::Table(_) => return false,
        }
        let Self::Dense {
            prefix,
            width,
            base,
            index,
            count,
            reserve,
        } = self
        else {
            return false;
        };
        if *width != id_width || prefix.as_str() != p {
            return false;
        }
        // Room for the batch's numbers first (this only grows the index).
        let (Some(&lo), Some(&hi)) = (numbers.iter().min(), numbers.iter().max()) else {
            return false;
        };
        let n = *count + numbers.len();
        let room = dense_room(n, *reserve);
        if dense_slot(base, index, room, lo).is_none()
            || dense_slot(base, index, room, hi).is_none()
        {
            return false;
        }
        for (j, &num) in numbers.iter().enumerate() {
            let k = (num - *base) as usize;
            if index[k] != NONE {
                // A repeat: undo the batch.
                for &m in &numbers[..j] {
                    index[(m - *base) as usize] = NONE;
                }
                return false;
            }
            index[k] = (*count + j) as u32;
        }
        *count = n;
        true
    }

    /// Leaves the rising mode for the dense one (ids of one prefix and width in any order):
    /// the runs become the index.
    fn switch_to_dense(&mut self) {
        let Self::Rising {
            prefix,
            width,
            runs,
            count,
            reserve,
        } = self
        else {
            return;
        };
        let (lo, hi) = match (runs.first(), runs.last()) {
            (Some(&(a, _)), Some(&(b, len))) => (a, b + len),
            _ => (0, 0),
        };
        if hi - lo > dense_room(*count, *reserve) {
            self.switch_to_table();
            return;
        }
        let mut index = Vec::with_capacity((*reserve).max((hi - lo) as usize));
        index.resize((hi - lo) as usize, NONE);
        let mut i = 0u32;
        for &(a, len) in runs.iter() {
            for num in a..a + len {
                index[(num - lo) as usize] = i;
                i += 1;
            }
        }
        *self = Self::Dense {
            prefix: std::mem::take(prefix),
            width: *width,
            base: lo,
            index,
            count: *count,
            reserve: *reserve,
        };
    }

    /// Appends ids of `width` bytes, each `prefix` and a zero-padded number of `numbers`
    /// (strictly rising), as inserting them one by one would; `false`, with nothing changed,
    /// when they do not continue the ids before (a number not above the last, or another
    /// prefix in the text mode).
    pub(crate) fn extend_numbers(
        &mut self,
        id_prefix: &[u8],
        id_width: usize,
        numbers: &[u64],
    ) -> bool {
        let (Some(&first), Some(&last)) = (numbers.first(), numbers.last()) else {
            return false;
        };
        if matches!(self, Self::Dense { .. }) {
            return self.extend_any(id_prefix, id_width, numbers);
        }
        let above = self.last_number().is_none_or(|l| first > l);
        if let Self::Rising {
            prefix,
            width,
            runs,
            count,
            ..
        } = self
        {
            let fits = *count == 0 || (id_width == *width && id_prefix == prefix.as_bytes());
            if fits && above {
                let Ok(p) = std::str::from_utf8(id_prefix) else {
                    return false;
                };
                if *count == 0 {
                    *width = id_width;
                    p.clone_into(prefix);
                }
                for &num in numbers {
                    push_run(runs, num);
                }
                *count += numbers.len();
                return true;
            }
            if fits {
                // Below the last number: the ids are no longer rising.
                return self.extend_any(id_prefix, id_width, numbers);
            }
        }
        // The ids as text, for the text mode.
        let digits = id_width.saturating_sub(id_prefix.len());
        let mut text = String::with_capacity(numbers.len() * id_width);
        let mut ends = Vec::with_capacity(numbers.len());
        let Ok(p) = std::str::from_utf8(id_prefix) else {
            return false;
        };
        for &num in numbers {
            text.push_str(p);
            std::fmt::Write::write_fmt(&mut text, format_args!("{num:0digits$}")).ok();
            let Ok(end) = u32::try_from(text.len()) else {
                return false;
            };
            ends.push(end);
        }
        self.extend_rising(id_prefix, first, last, &text, &ends)
    }

    /// Appends rising ids given as text (see [`OrderIds::extend_rising`]), leaving the runs
    /// first.
    pub(crate) fn extend_rising(
        &mut self,
        prefix: &[u8],
        first: u64,
        last: u64,
        text: &str,
        ends: &[u32],
    ) -> bool {
        let above = self.last_number().is_none_or(|l| first > l);
        if let Self::Rising {
            prefix: p, count, ..
        } = self
        {
            // Only ids that would have been accepted one by one move the set on.
            if *count > 0 && (!above || p.as_bytes() != prefix) {
                return false;
            }
            self.switch_to_table();
        }
        match self {
            Self::Table(t) => t.extend_rising(prefix, first, last, text, ends),
            Self::Rising { .. } | Self::Dense { .. } => false,
        }
    }

    /// The index of `id`, if inserted.
    pub(crate) fn lookup(&self, id: &str) -> Option<u32> {
        match self {
            Self::Table(t) => t.lookup(id),
            Self::Dense {
                prefix,
                width,
                base,
                index,
                ..
            } => {
                let (p, num) = split_number(id)?;
                if id.len() != *width || p != prefix.as_str() {
                    return None;
                }
                let k = usize::try_from(num.checked_sub(*base)?).ok()?;
                index.get(k).copied().filter(|&i| i != NONE)
            }
            Self::Rising {
                prefix,
                width,
                runs,
                count,
                ..
            } => {
                let (p, num) = split_number(id)?;
                if id.len() != *width || p != prefix.as_str() {
                    return None;
                }
                // Usually a line of a recent order: in the last run.
                if let Some(&(a, len)) = runs.last() {
                    if (a..a + len).contains(&num) {
                        return u32::try_from(*count as u64 - len + num - a).ok();
                    }
                }
                let mut index = 0;
                for &(a, len) in runs {
                    if (a..a + len).contains(&num) {
                        return u32::try_from(index + num - a).ok();
                    }
                    index += len;
                }
                None
            }
        }
    }

    /// Leaves the rising or dense mode: every id so far, rebuilt from the runs or the index,
    /// into an [`OrderIds`] (in insertion order).
    fn switch_to_table(&mut self) {
        if let Self::Dense {
            prefix,
            width,
            base,
            index,
            count,
            reserve,
        } = self
        {
            let mut number = vec![0u64; *count];
            for (k, &i) in index.iter().enumerate() {
                if i != NONE {
                    number[i as usize] = *base + k as u64;
                }
            }
            let mut t = OrderIds::new((*reserve).max(*count));
            let digits = *width - prefix.len();
            let mut id = String::with_capacity(*width);
            for num in number {
                id.clear();
                id.push_str(prefix);
                std::fmt::Write::write_fmt(&mut id, format_args!("{num:0digits$}")).ok();
                t.insert(&id);
            }
            *self = Self::Table(t);
            return;
        }
        let Self::Rising {
            prefix,
            width,
            runs,
            count,
            reserve,
        } = self
        else {
            return;
        };
        let mut t = OrderIds::new((*reserve).max(*count));
        let digits = *width - prefix.len();
        let mut id = String::with_capacity(*width);
        for &(a, len) in runs.iter() {
            for num in a..a + len {
                id.clear();
                id.push_str(prefix);
                std::fmt::Write::write_fmt(&mut id, format_args!("{num:0digits$}")).ok();
                t.insert(&id);
            }
        }
        *self = Self::Table(t);
    }
}

/// Customer ids, with a fast path for fixed-width member numbers (`00012345`, `C-00012345`,
/// 会員番号): while every id is one fixed prefix (none, or text not ending in a digit) followed
/// by a digit string of one width, and the numbers stay dense (below 16 slots per customer seen
/// or 4 per expected row, plus 4M), an id maps to its customer through a direct array indexed by
/// its number, with no hashing. (With one prefix and one width, text order, numeric order and
/// natural order agree.) The first id that breaks the pattern moves every id into an
/// [`Interner`] once; results never depend on which path ran.
#[derive(Debug)]
pub struct CustomerIds {
    ids: Interner,
    dense: Option<Dense>,
    /// After the dense mode: ids that are numbers written one way (decimal integers, or member
    /// numbers of one prefix and width beyond the dense range), found by their number.
    keyed: Option<Keyed>,
    /// After the dense mode: ids of one [`HexForm`] (UUIDs and the like), found by their
    /// number (their text is kept too).
    hex: Option<HexKeyed>,
    rows_hint: usize,
}

/// Ids of one [`HexForm`]: each id's index by its number, and each index's number.
#[derive(Debug)]
struct HexKeyed {
    form: HexForm,
    map: HexRows,
    keys: Vec<[u64; 2]>,
}

impl HexKeyed {
    /// The index of the id numbered `v` (text `s`), adding it to `values` if new.
    #[inline]
    fn intern(&mut self, v: [u64; 2], s: &str, values: &mut StrColumn) -> u32 {
        let next = self.keys.len() as u32;
        let i = self.map.get_or_insert(v, next);
        if i == next {
            self.keys.push(v);
            values.push(s);
        }
        i
    }
}

/// Ids of one [`KeyText`] form: each id's index by its number, and each index's number.
#[derive(Debug)]
struct Keyed {
    form: KeyText,
    map: IntRows,
    numbers: Vec<i64>,
}

#[derive(Debug)]
struct Dense {
    /// Length of every id (0: no id yet).
    width: usize,
    /// The text before the digits, shared by every id.
    prefix: Box<[u8]>,
    slots: Vec<u32>,
}

const EMPTY: u32 = u32::MAX;

impl Default for CustomerIds {
    fn default() -> Self {
        Self::new()
    }
}

impl CustomerIds {
    /// Empty, in the fast mode.
    #[must_use]
    pub fn new() -> Self {
        Self {
            ids: Interner::new(),
            dense: Some(Dense {
                width: 0,
                prefix: Box::default(),
                slots: Vec::new(),
            }),
            keyed: None,
            hex: None,
            rows_hint: 0,
        }
    }
    /// Expect about `rows` rows (widens the fast mode's density bound).
    pub fn expect_rows(&mut self, rows: usize) {
        self.rows_hint = rows;
    }
    fn dense_limit(&self) -> usize {
        (16 * (self.ids.len() + 1)).max(4 * self.rows_hint) + (1 << 22)
    }
    /// The slot of `s` and the length of its prefix, if `s` fits the pattern (any prefix and
    /// width before the first id).
    fn dense_slot(d: &Dense, limit: usize, s: &str) -> Option<(usize, usize)> {
        member_number(d.width, &d.prefix, s).filter(|&(n, _)| n < limit)
    }
    /// The index of `s`, inserting it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let limit = self.dense_limit();
        if let Some(d) = &mut self.dense {
            if let Some((n, prefix)) = Self::dense_slot(d, limit, s) {
                if d.width == 0 {
                    d.width = s.len();
                    d.prefix = s.as_bytes()[..prefix].into();
                }
                if n >= d.slots.len() {
                    d.slots
                        .resize((n + 1).max(d.slots.len() * 2).min(limit), EMPTY);
                }
                let slot = &mut d.slots[n];
                if *slot == EMPTY {
                    *slot = self.ids.values.len() as u32;
                    self.ids.values.push(s);
                }
                return *slot;
            }
            self.keyed = self.build_keyed(s);
            if self.keyed.is_none() {
                self.hex = self.build_hex(s);
            }
            if self.keyed.is_none() && self.hex.is_none() {
                self.build_table();
            } else {
                self.dense = None;
            }
        }
        if let Some(k) = &mut self.keyed {
            if let Some(v) = k.form.key(s) {
                let next = k.numbers.len() as u32;
                let i = k.map.get_or_insert(v, next);
                if i == next {
                    k.numbers.push(v);
                    self.ids.values.push(s);
                }
                return i;
            }
            self.build_table();
        }
        if let Some(h) = &mut self.hex {
            if let Some((v, case)) = h.form.key(s.as_bytes()) {
                h.form.note_case(case);
                return h.intern(v, s, &mut self.ids.values);
            }
            self.build_table();
        }
        self.ids.intern(s)
    }
    /// The hex mode for the ids so far and `next` (leaving the dense mode): `None` unless
    /// they are all of one [`HexForm`].
    fn build_hex(&self, next: &str) -> Option<HexKeyed> {
        let (mut form, _) = HexForm::of(next.as_bytes())?;
        let v = &self.ids.values;
        let mut keys = Vec::with_capacity(v.len().max(expected_customers(self.rows_hint)));
        for i in 0..v.len() {
            let (key, case) = form.key(v.get(i).as_bytes())?;
            form.note_case(case);
            keys.push(key);
        }
        let mut map = HexRows::with_capacity(keys.len().max(expected_customers(self.rows_hint)));
        for (i, &k) in keys.iter().enumerate() {
            map.get_or_insert(k, i as u32);
        }
        Some(HexKeyed { form, map, keys })
    }
    /// The keyed mode for the ids so far and `next` (leaving the dense mode): member numbers
    /// of the dense mode's pattern, or decimal integers; `None` when they are not all of one
    /// form.
    fn build_keyed(&self, next: &str) -> Option<Keyed> {
        let d = self.dense.as_ref()?;
        let padded = match (d.width, member_number(d.width, &d.prefix, next)) {
            (0, Some((_, p))) => Some(KeyText::Padded {
                prefix: next.as_bytes()[..p].into(),
                width: next.len(),
            }),
            (_, Some(_)) => Some(KeyText::Padded {
                prefix: d.prefix.clone(),
                width: d.width,
            }),
            _ => None,
        };
        let v = &self.ids.values;
        // Integers first: `12` of width 2 is also the decimal integer 12, and integers stay
        // keyed whatever their width.
        for form in [Some(KeyText::Int), padded].into_iter().flatten() {
            let numbers: Option<Vec<i64>> = (0..v.len()).map(|i| form.key(v.get(i))).collect();
            if let (Some(numbers), Some(_)) = (numbers, form.key(next)) {
                let mut map =
                    IntRows::with_capacity(numbers.len().max(expected_customers(self.rows_hint)));
                for (i, &n) in numbers.iter().enumerate() {
                    map.get_or_insert(n, i as u32);
                }
                return Some(Keyed { form, map, numbers });
            }
        }
        None
    }
    /// The index of `s`, if interned.
    #[must_use]
    pub fn lookup(&self, s: &str) -> Option<u32> {
        if let Some(k) = &self.keyed {
            return k.map.get(k.form.key(s)?);
        }
        if let Some(h) = &self.hex {
            return h.map.get(h.form.key(s.as_bytes())?.0);
        }
        match &self.dense {
            Some(d) => {
                let (n, _) = Self::dense_slot(d, self.dense_limit(), s)?;
                d.slots.get(n).copied().filter(|&i| i != EMPTY)
            }
            None => self.ids.lookup(s),
        }
    }
    /// Loads the lookup slots of `ids` without changing anything, so that interning them right
    /// after finds them in cache: a tight loop of independent loads lets the CPU overlap the
    /// cache misses that a row-by-row loop would pay one after another.
    pub fn warm<'a>(&self, ids: impl Iterator<Item = &'a str>) {
        if let Some(k) = &self.keyed {
            k.map.warm(ids.filter_map(|s| k.form.key(s)));
            return;
        }
        if let Some(h) = &self.hex {
            h.map
                .warm(ids.filter_map(|s| h.form.key(s.as_bytes()).map(|(v, _)| v)));
            return;
        }
        let Some(d) = &self.dense else {
            self.ids.warm(ids);
            return;
        };
        let limit = self.dense_limit();
        let mut acc = 0u32;
        for s in ids {
            if let Some((n, _)) = Self::dense_slot(d, limit, s) {
                acc ^= d.slots.get(n).copied().unwrap_or(0);
            }
        }
        std::hint::black_box(acc);
    }
    /// The indices of text ids `from..` of `text` (one after another, id `k` ending at
    /// `ends[k]`), whose hashes ([`id_hash`]) are `hashes` and, when they are all of one
    /// [`HexForm`], numbers `hex`, interned one after another and appended to `out`: the same
    /// indices as [`Self::intern`] of each, one per id. Ids of the hex mode's form go by
    /// number; in the table mode (ids that are not numbers of one form: codes, e-mails) each
    /// chunk's slots are warmed first, as the streamed summary does, and no hash is worked
    /// out again.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))] // plain batches come from Arrow
    pub(crate) fn intern_text(
        &mut self,
        text: &str,
        ends: &[u32],
        hashes: &[u64],
        hex: Option<&crate::io::plain::HexIds>,
        from: usize,
        out: &mut Vec<u32>,
    ) {
        let n = ends.len();
        let at = |k: usize| {
            let start = if k == 0 { 0 } else { ends[k - 1] as usize };
            text.get(start..ends[k] as usize).unwrap_or_default()
        };
        if let Some(h) = hex.filter(|h| h.keys.len() == n) {
            // No id yet: the hex mode from the first.
            if self.dense.is_some() && self.ids.values.is_empty() {
                self.dense = None;
                self.hex = Some(HexKeyed {
                    form: h.form,
                    map: HexRows::with_capacity(expected_customers(self.rows_hint)),
                    keys: Vec::new(),
                });
            }
            let (mode, values) = (&mut self.hex, &mut self.ids.values);
            if let Some(m) = mode {
                if let Some(form) = m.form.joined(&h.form) {
                    m.form = form;
                    let mut k = from;
                    while k < n {
                        let end = (k + 2048).min(n);
                        m.map.warm(h.keys[k..end].iter().copied());
                        for j in k..end {
                            out.push(m.intern(h.keys[j], at(j), values));
                        }
                        k = end;
                    }
                    return;
                }
            }
        }
        let mut k = from;
        // The dense, keyed or hex mode (which the next id may leave for the table): id by id.
        while k < n && (self.dense.is_some() || self.keyed.is_some() || self.hex.is_some()) {
            out.push(self.intern(at(k)));
            k += 1;
        }
        self.ids
            .intern_run(text, ends, hashes, k..n, |i, _| out.push(i));
    }
    /// The indices of integer ids (an integer customer column) interned as their decimal text
    /// one after another, appended to `out`: the same indices as [`Self::intern`] of each
    /// text, by number in the keyed mode (each chunk's slots warmed first).
    pub fn intern_numbers(&mut self, ids: &[i64], out: &mut Vec<u32>) {
        let mut b = [0u8; 20];
        for chunk in ids.chunks(2048) {
            self.warm_numbers(chunk.iter().copied());
            for &v in chunk {
                if let Some(k) = self.keyed.as_mut().filter(|k| k.form == KeyText::Int) {
                    let next = k.numbers.len() as u32;
                    let i = k.map.get_or_insert(v, next);
                    if i == next {
                        k.numbers.push(v);
                        let t = crate::io::int_text(v, &mut b);
                        self.ids
                            .values
                            .push(std::str::from_utf8(t).unwrap_or_default());
                    }
                    out.push(i);
                } else {
                    let t = crate::io::int_text(v, &mut b);
                    out.push(self.intern(std::str::from_utf8(t).unwrap_or_default()));
                }
            }
        }
    }
    /// The indices of member numbers (`prefix` then each number zero-padded to `width`
    /// bytes in all) interned one after another, appended to `out`: the same indices as
    /// [`Self::intern`] of each text; by number (each chunk's slots warmed first) while the
    /// keyed mode holds ids of that one text.
    pub fn intern_member_numbers(
        &mut self,
        prefix: &[u8],
        width: usize,
        numbers: &[u64],
        out: &mut Vec<u32>,
    ) {
        let digits = width.saturating_sub(prefix.len());
        // Below this, a number has fewer digits (leading zeros: not its integer text).
        let min_int = if digits <= 1 {
            0
        } else {
            10_u64.saturating_pow(digits as u32 - 1)
        };
        let mut text = String::with_capacity(width);
        for chunk in numbers.chunks(2048) {
            // Keyed by number: each id is the one text of its number in the keyed form.
            let by_number = self.keyed.as_ref().is_some_and(|k| match &k.form {
                KeyText::Int => prefix.is_empty() && chunk.iter().all(|&n| n >= min_int),
                KeyText::Padded {
                    prefix: p,
                    width: w,
                } => **p == *prefix && *w == width,
            }) && chunk.iter().all(|&n| i64::try_from(n).is_ok());
            if let (true, Some(k)) = (by_number, self.keyed.as_mut()) {
                k.map.warm(chunk.iter().map(|&n| n as i64));
                for &n in chunk {
                    let next = k.numbers.len() as u32;
                    let i = k.map.get_or_insert(n as i64, next);
                    if i == next {
                        k.numbers.push(n as i64);
                        self.ids
                            .values
                            .push(crate::io::plain::write_padded(&mut text, prefix, width, n));
                    }
                    out.push(i);
                }
                continue;
            }
            for &n in chunk {
                let id = crate::io::plain::write_padded(&mut text, prefix, width, n);
                out.push(self.intern(id));
            }
        }
    }
    /// [`Self::warm`] for integer ids (an integer customer column) about to be interned as
    /// their decimal text: the slots of their numbers in the keyed or direct-array mode.
    pub fn warm_numbers(&self, ids: impl Iterator<Item = i64>) {
        let mut acc = 0u32;
        if let Some(k) = &self.keyed {
            if k.form == KeyText::Int {
                k.map.warm(ids);
                return;
            }
        } else if let Some(d) = self.dense.as_ref().filter(|d| d.prefix.is_empty()) {
            for n in ids.filter_map(|v| usize::try_from(v).ok()) {
                acc ^= d.slots.get(n).copied().unwrap_or(0);
            }
        }
        std::hint::black_box(acc);
    }
    fn build_table(&mut self) {
        self.dense = None;
        self.keyed = None;
        self.hex = None;
        let values = std::mem::take(&mut self.ids.values);
        let mut ids = Interner::new();
        ids.reserve(values.len(), 0);
        ids.values = values;
        for i in 0..ids.values.len() {
            let s = ids.values.get(i);
            let h = ids.hasher.hash_one(s);
            ids.table
                .insert_unique(h, Slot::new(h, i as u32, s), |x| x.hash);
        }
        self.ids = ids;
    }
    /// Number of distinct ids.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// Whether empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// The ids in first-seen order.
    #[must_use]
    pub fn values(&self) -> &StrColumn {
        &self.ids.values
    }
    /// Indices in [`natural_cmp`] order (from the direct array when in the fast mode).
    #[must_use]
    pub fn natural_order(&self) -> Vec<u32> {
        if let Some(h) = &self.hex {
            // The rows only: the sorted keys would be dropped (16 bytes a customer).
            return hex_natural_rows(&h.form, &h.keys, false).0;
        }
        if let Some(k) = &self.keyed {
            // One prefix and width of digits, or integers without a sign: by value.
            if k.numbers.iter().all(|&n| n >= 0) {
                // The keys travel with their rows: no random read of a key per pass. Each half
                // sorted on its own core, then merged (the keys are distinct).
                let keyed: Vec<(i64, u32)> = k
                    .numbers
                    .iter()
                    .enumerate()
                    .map(|(r, &v)| (v, r as u32))
                    .collect();
                return sorted_apart(keyed, |h| radsort::sort_by_key(h, |&(v, _)| v), false).0;
            }
            return natural_order(&self.ids.values);
        }
        match &self.dense {
            // One prefix and one width of digits: numeric order is text order is natural order.
            Some(d) => d.slots.iter().copied().filter(|&i| i != EMPTY).collect(),
            None => natural_order(&self.ids.values),
        }
    }
    /// Gives up the lookup structures and returns the ids.
    #[must_use]
    pub fn into_values(self) -> StrColumn {
        self.ids.values
    }
}

/// The rows and keys of `keyed` (distinct keys) in key order: each half sorted by `sort` on
/// its own core, then merged into the two columns (the pass that would otherwise only unzip
/// them); the keys only when `keys` (else an empty column). The keys are distinct, so the
/// order is the same however the halves fall.
pub(crate) fn sorted_apart<K: Copy + Ord + Send>(
    mut keyed: Vec<(K, u32)>,
    sort: impl Fn(&mut [(K, u32)]) + Sync,
    keys: bool,
) -> (Vec<u32>, Vec<K>) {
    let mid = keyed.len() / 2;
    let (lo, hi) = keyed.split_at_mut(mid);
    crate::par::join_once(|| sort(lo), || sort(hi));
    let (a, b) = keyed.split_at(mid);
    let mut rows = Vec::with_capacity(keyed.len());
    let mut values = Vec::with_capacity(if keys { keyed.len() } else { 0 });
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        let (v, r) = if x.0 < y.0 {
            i += 1;
            x
        } else {
            j += 1;
            y
        };
        rows.push(r);
        if keys {
            values.push(v);
        }
    }
    for &(v, r) in a[i..].iter().chain(&b[j..]) {
        rows.push(r);
        if keys {
            values.push(v);
        }
    }
    (rows, values)
}

/// Sorts hex keys (high half, low half) by value: by the low half alone when every high half
/// is the same (ids of up to 16 digits), else by the high half's top bits into buckets, each
/// bucket then sorted whole ([`by_top_bits`]).
fn sort_hex(v: &mut [([u64; 2], u32)]) {
    let one_high = v.windows(2).all(|w| w[0].0[0] == w[1].0[0]);
    if one_high {
        radsort::sort_by_key(v, |p| p.0[1]);
        return;
    }
    by_top_bits(
        v,
        |p| p.0[0],
        |b| {
            if b.len() <= SMALL_BUCKET {
                b.sort_unstable_by_key(|p| p.0);
                return;
            }
            radsort::sort_by_key(b, |p| p.0[0]);
            for run in b.chunk_by_mut(|x, y| x.0[0] == y.0[0]) {
                if run.len() > 1 {
                    run.sort_unstable_by_key(|p| p.0[1]);
                }
            }
        },
    );
}

/// Buckets up to this size are sorted by comparison (in cache; a radix sort's passes over
/// a few dozen items cost more than they save).
const SMALL_BUCKET: usize = 256;

/// Sorts `v` by `high` then as `fine` sorts a bucket: one counting pass places the items in
/// 2^16 buckets by the top 16 significant bits of `high` (of all items' bits), and `fine`
/// sorts each bucket (which must order its items by `high` first). For random keys (UUIDs,
/// hashes) that is one scattering pass and buckets of a few dozen items sorted in cache,
/// where an LSB radix sort of 64-bit keys makes eight passes over all items. Keys of at most
/// 16 significant bits go to `fine` whole.
fn by_top_bits<T: Copy>(v: &mut [T], high: impl Fn(&T) -> u64, fine: impl Fn(&mut [T])) {
    const BITS: u32 = 16;
    let all = v.iter().fold(0u64, |a, x| a | high(x));
    let top = 64 - all.leading_zeros();
    if top <= BITS || v.len() <= SMALL_BUCKET {
        fine(v);
        return;
    }
    let shift = top - BITS;
    let bucket = |x: &T| (high(x) >> shift) as usize & ((1 << BITS) - 1);
    let mut starts = vec![0usize; (1 << BITS) + 1];
    for x in v.iter() {
        starts[bucket(x) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut next = starts.clone();
    let mut out: Vec<T> = v.to_vec();
    for x in v.iter() {
        let b = bucket(x);
        out[next[b]] = *x;
        next[b] += 1;
    }
    for w in starts.windows(2) {
        if w[1] - w[0] > 1 {
            fine(&mut out[w[0]..w[1]]);
        }
    }
    v.copy_from_slice(&out);
}

/// Whether a hex key has a digit above 9 (its text a letter).
fn hex_has_letter(k: [u64; 2]) -> bool {
    const TOP: u64 = 0x8888_8888_8888_8888;
    // A nibble is 10-15 when its top bit is set with one of the next two.
    k.iter().any(|&x| x & (x << 1 | x << 2) & TOP != 0)
}

/// The rows of hex ids `ids` in natural order, and their keys in that order. Natural order
/// is text order for ids that are not all digits, and text order of one form's ids (one
/// length, dashes at the same places, hex digits of one case, `0-9` before the letters) is
/// the order of their numbers; without dashes, all-digit ids come first (by value, which
/// their numbers also order). The keys only when `keys` (else an empty column).
pub(crate) fn hex_natural_rows(
    form: &HexForm,
    ids: &[[u64; 2]],
    keys: bool,
) -> (Vec<u32>, Vec<[u64; 2]>) {
    let keyed = |keep: &dyn Fn([u64; 2]) -> bool| -> Vec<([u64; 2], u32)> {
        ids.iter()
            .enumerate()
            .filter(|&(_, &k)| keep(k))
            .map(|(r, &k)| (k, r as u32))
            .collect()
    };
    if form.has_dashes() {
        return sorted_apart(keyed(&|_| true), sort_hex, keys);
    }
    let (mut rows, mut sorted) = sorted_apart(keyed(&|k| !hex_has_letter(k)), sort_hex, keys);
    let (r, k) = sorted_apart(keyed(&hex_has_letter), sort_hex, keys);
    rows.extend(r);
    sorted.extend(k);
    (rows, sorted)
}

/// Number keys to rows, for the hot path of the streamed summary: an open-addressing table
/// with linear probing whose slot holds a key and its row together, so that a lookup (hit or
/// miss, and the insert after a miss) touches the one cache line of its home slot, and
/// [`KeyRows::warm`] can load the home slots of a batch of keys in a loop of independent
/// loads (their cache misses overlap) before they are looked up one by one. (A `hashbrown`
/// map keeps its control bytes apart from its entries: two lines per key, the second known
/// only after the first, and an insert's line not loaded by a lookup that missed.) Keys are
/// integers ([`IntRows`]) or the 128-bit numbers of hexadecimal ids ([`HexRows`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyRows<K> {
    /// The slots, a power of two of them (or none), at most [`KeyRows::MAX_LOAD`] full: each
    /// `K::WORDS` words of its key, then its row plus one (zero: a free slot, so that a new
    /// table needs no filling). Large tables are advised for huge pages ([`ZeroedWords`]).
    words: ZeroedWords,
    /// The number of slots (kept: the hot paths mask with it).
    n_slots: usize,
    len: usize,
    key: std::marker::PhantomData<K>,
}

/// The customers to reserve id tables for in a log of about `rows` rows: half as many. Real
/// logs have 0.17 (UCI Online Retail) to 0.97 (Olist) customers per order, CDNOW 0.34. A table
/// sized for a quarter of the rows grew once (every key moved into a table twice the size) on
/// the benchmark's logs of 0.38 customers per order: 5-7 % of `kokyaku summary` and `report`
/// on 10M orders.
pub(crate) const fn expected_customers(rows: usize) -> usize {
    rows / 2
}

/// Integer keys to rows.
pub(crate) type IntRows = KeyRows<i64>;

/// The numbers of hexadecimal ids ([`HexForm`]) to rows; a key is its two halves (high,
/// low), so that a slot takes 24 bytes, not the 32 of a 16-byte-aligned `u128`.
pub(crate) type HexRows = KeyRows<[u64; 2]>;

/// A key of [`KeyRows`]: its 64-bit hash (a finaliser, so that runs of keys spread out).
pub(crate) trait RowKey: Copy + Default + PartialEq {
    /// The words a key takes in a slot.
    const WORDS: usize;
    fn mix(self) -> u64;
    /// Whether the key's words `w` (`WORDS` of them) are this key.
    fn is(self, w: &[u64]) -> bool;
    /// Writes the key into its words `w`.
    fn put(self, w: &mut [u64]);
    /// The key whose words `w` starts with.
    fn from_words(w: &[u64]) -> Self;
}

/// The 64-bit finaliser of `MurmurHash3`.
#[inline]
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl RowKey for i64 {
    const WORDS: usize = 1;
    #[inline]
    fn mix(self) -> u64 {
        fmix64(self as u64)
    }
    #[inline]
    fn is(self, w: &[u64]) -> bool {
        w[0] == self as u64
    }
    #[inline]
    fn put(self, w: &mut [u64]) {
        w[0] = self as u64;
    }
    #[inline]
    fn from_words(w: &[u64]) -> Self {
        w[0] as i64
    }
}

impl RowKey for [u64; 2] {
    const WORDS: usize = 2;
    #[inline]
    fn mix(self) -> u64 {
        fmix64(self[0].wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ self[1])
    }
    #[inline]
    fn is(self, w: &[u64]) -> bool {
        w[0] == self[0] && w[1] == self[1]
    }
    #[inline]
    fn put(self, w: &mut [u64]) {
        w[0] = self[0];
        w[1] = self[1];
    }
    #[inline]
    fn from_words(w: &[u64]) -> Self {
        [w[0], w[1]]
    }
}

impl<K: RowKey> KeyRows<K> {
    /// Full slots per slot at most: 3/4 (probes stay a few slots long).
    const MAX_LOAD: (usize, usize) = (3, 4);

    /// Words per slot: the key's, then the row's.
    const STRIDE: usize = K::WORDS + 1;

    /// A table for `n` keys without growing.
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut t = Self::default();
        t.reserve(n);
        t
    }

    /// The number of keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The number of slots.
    fn n_slots(&self) -> usize {
        self.n_slots
    }

    /// Room for `n` more keys without growing.
    pub(crate) fn reserve(&mut self, n: usize) {
        let need = self.len.saturating_add(n);
        if need.saturating_mul(Self::MAX_LOAD.1) > self.n_slots().saturating_mul(Self::MAX_LOAD.0) {
            let slots = (need.saturating_mul(Self::MAX_LOAD.1) / Self::MAX_LOAD.0 + 1)
                .max(16)
                .next_power_of_two();
            self.rehash(slots);
        }
    }

    /// Moves the keys into `n` (a power of two) slots.
    fn rehash(&mut self, n: usize) {
        let old = std::mem::replace(&mut self.words, ZeroedWords::new(n * Self::STRIDE));
        self.n_slots = n;
        for slot in old.as_slice().chunks_exact(Self::STRIDE) {
            if slot[K::WORDS] != 0 {
                let key = K::from_words(slot);
                let i = self.probe(key) * Self::STRIDE;
                self.words.as_mut_slice()[i..i + Self::STRIDE].copy_from_slice(slot);
            }
        }
    }

    /// The home slot of `key`.
    #[inline]
    fn home(&self, key: K) -> usize {
        (key.mix() as usize) & (self.n_slots() - 1)
    }

    /// The slot holding `key`, or the free slot where it would go (the table is not full).
    #[inline]
    fn probe(&self, key: K) -> usize {
        let mask = self.n_slots() - 1;
        let words = self.words.as_slice();
        let mut i = self.home(key);
        loop {
            let slot = &words[i * Self::STRIDE..(i + 1) * Self::STRIDE];
            if slot[K::WORDS] == 0 || key.is(slot) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The row in slot `i` (`None`: free).
    #[inline]
    fn row_at(&self, i: usize) -> Option<u32> {
        let r = self.words.as_slice()[i * Self::STRIDE + K::WORDS];
        r.checked_sub(1).map(|r| r as u32)
    }

    /// The row of `key`, if present.
    #[inline]
    pub(crate) fn get(&self, key: K) -> Option<u32> {
        if self.n_slots == 0 {
            return None;
        }
        self.row_at(self.probe(key))
    }

    /// The row of `key`, inserting `row` (below `u32::MAX`) for it if absent.
    #[inline]
    pub(crate) fn get_or_insert(&mut self, key: K, row: u32) -> u32 {
        if self.n_slots == 0 {
            self.reserve(1);
        }
        let mut i = self.probe(key);
        if let Some(r) = self.row_at(i) {
            return r;
        }
        if (self.len + 1) * Self::MAX_LOAD.1 > self.n_slots() * Self::MAX_LOAD.0 {
            self.rehash(self.n_slots() * 2);
            i = self.probe(key);
        }
        let slot = &mut self.words.as_mut_slice()[i * Self::STRIDE..(i + 1) * Self::STRIDE];
        key.put(slot);
        slot[K::WORDS] = u64::from(row) + 1;
        self.len += 1;
        row
    }

    /// Loads the home slot of each key without changing anything (a tight loop of
    /// independent loads, whose cache misses overlap): its first and its last word, which
    /// lie in two cache lines for a quarter of the slots of three words (hex keys).
    pub(crate) fn warm(&self, keys: impl Iterator<Item = K>) {
        if self.n_slots == 0 {
            return;
        }
        let words = self.words.as_slice();
        let mut acc = 0u64;
        for k in keys {
            let at = self.home(k) * Self::STRIDE;
            acc ^= words[at] ^ words[at + K::WORDS];
        }
        std::hint::black_box(acc);
    }
}

/// How numbers kept as keys (of the streamed summary's keyed ids, of [`CustomerIds`]) are
/// written: the one text each number has, so that the
/// number stands for the text exactly (`007` and `7` are different customers: only one of
/// them can be of a given form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyText {
    /// Decimal text as `{v}` writes it (no leading zeros, no plus sign).
    Int,
    /// `prefix` then the number zero-padded to `width` bytes in all (1-18 digits).
    Padded { prefix: Box<[u8]>, width: usize },
}

impl KeyText {
    /// The number `id` writes in this form, if it is of it.
    #[inline]
    pub(crate) fn key(&self, id: &str) -> Option<i64> {
        match self {
            Self::Int => crate::io::int_of_text(id),
            Self::Padded { prefix, width } => {
                let (n, _) = member_number(*width, prefix, id)?;
                i64::try_from(n).ok()
            }
        }
    }

    /// The column of the texts of `values` (what [`KeyText::write`] writes for each), written
    /// into one buffer of the column's own, checked as UTF-8 once.
    pub(crate) fn write_column(&self, values: &[i64]) -> StrColumn {
        let mut text: Vec<u8> = Vec::with_capacity(values.len() * 12);
        let mut offsets = Vec::with_capacity(values.len() + 1);
        offsets.push(0);
        let mut buf = String::new();
        for &v in values {
            match self {
                Self::Int => {
                    let mut b = [0u8; 20];
                    text.extend_from_slice(crate::io::int_text(v, &mut b));
                }
                Self::Padded { prefix, width } => {
                    push_padded(&mut text, prefix, width - prefix.len(), v, &mut buf);
                }
            }
            offsets.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        // Digits, a sign and a prefix that was text: valid UTF-8.
        let buf = String::from_utf8(text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        StrColumn { buf, offsets }
    }

    /// The text of `v`, in `buf`.
    pub(crate) fn write<'a>(&self, v: i64, buf: &'a mut String) -> &'a str {
        buf.clear();
        match self {
            Self::Int => {
                let mut b = [0u8; 20];
                buf.push_str(
                    std::str::from_utf8(crate::io::int_text(v, &mut b)).unwrap_or_default(),
                );
            }
            Self::Padded { prefix, width } => {
                // As the column writes it ([`push_padded`]): a prefix that was text and ASCII
                // digits, UTF-8.
                let mut bytes = std::mem::take(buf).into_bytes();
                push_padded(
                    &mut bytes,
                    prefix,
                    width - prefix.len(),
                    v,
                    &mut String::new(),
                );
                *buf = String::from_utf8(bytes).unwrap_or_default();
            }
        }
        buf
    }
}

/// Appends `prefix` and `v` zero-padded to `digits` digits (as `{v:0digits$}` writes it): the
/// digits from `itoa`, the zeros in front; a negative `v` (never a member number's) through
/// the formatter, in `scratch`.
#[inline]
fn push_padded(out: &mut Vec<u8>, prefix: &[u8], digits: usize, v: i64, scratch: &mut String) {
    out.extend_from_slice(prefix);
    if let Ok(n) = u64::try_from(v) {
        let mut b = itoa::Buffer::new();
        let d = b.format(n).as_bytes();
        out.extend(std::iter::repeat_n(b'0', digits.saturating_sub(d.len())));
        out.extend_from_slice(d);
    } else {
        scratch.clear();
        std::fmt::Write::write_fmt(scratch, format_args!("{v:0digits$}")).ok();
        out.extend_from_slice(scratch.as_bytes());
    }
}

/// Text ids of hexadecimal digits with dashes at fixed places: UUIDs
/// (`8f14e45f-ceea-467f-a0e6-4d2d1f3c5b7e`), hex object ids (`65a1f0c2e4b0d9a1c3f2e8b7`). Every
/// id of a form is `len` bytes, a dash at each place `dashes` marks and a hex digit at every
/// other (1-32 of them), its letters of one case. Such an id is a 128-bit number (its digits),
/// and the form writes the number back as that one text, so the number can stand for the id
/// (as [`KeyText`] for decimal numbers): a table keyed by it keeps, compares and hashes no
/// text per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HexForm {
    len: u8,
    /// Digits: `len` less the dashes.
    digits: u8,
    dashes: u64,
    /// Where each digit is, right-aligned: `places[32 - digits + k]` is digit `k`'s byte;
    /// the places before the first digit are `u8::MAX` (no byte: a `0`).
    places: [u8; 32],
    /// The case of the letters: `None` while no id had a letter (either case fits then).
    upper: Option<bool>,
}

/// `b` in each byte of a word.
const fn bytes(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// Of eight bytes below 0x80 each: 0x80 in the bytes that are at least `lo` and at most
/// `hi`, 0 in the others (no carry or borrow crosses a byte: `x + 0x80 - lo` and
/// `0x80 + hi - x` stay within one).
#[inline]
fn in_range(w: u64, lo: u8, hi: u8) -> u64 {
    let ge = w.wrapping_add(bytes(0x80 - lo));
    let le = bytes(0x80 + hi).wrapping_sub(w);
    ge & le & bytes(0x80)
}

impl HexForm {
    /// The form of `id` and its number, if it is hex digits and dashes (at most 64 bytes, 1-32
    /// digits, letters of one case).
    pub(crate) fn of(id: &[u8]) -> Option<(Self, [u64; 2])> {
        if id.is_empty() || id.len() > 64 {
            return None;
        }
        let dashes = id
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'-')
            .fold(0u64, |m, (i, _)| m | 1 << i);
        let digits = id.len() - dashes.count_ones() as usize;
        if digits == 0 || digits > 32 {
            return None;
        }
        let mut places = [u8::MAX; 32];
        let digit_places = (0..id.len()).filter(|&i| dashes >> i & 1 == 0);
        for (slot, i) in places[32 - digits..].iter_mut().zip(digit_places) {
            *slot = i as u8;
        }
        let form = Self {
            len: id.len() as u8,
            digits: digits as u8,
            dashes,
            places,
            upper: None,
        };
        let (key, upper) = form.key(id)?;
        Some((Self { upper, ..form }, key))
    }

    /// The number of `id` if it is of this form, and the case of its letters (`None`: it has
    /// none). A letter of the other case than the form's: not of it. (The digits are
    /// gathered into four words, right-aligned behind `0`s, then classified and packed eight
    /// bytes at a time in a word's arithmetic, without branches or tables.)
    #[inline]
    pub(crate) fn key(&self, id: &[u8]) -> Option<([u64; 2], Option<bool>)> {
        if id.len() != usize::from(self.len) {
            return None;
        }
        let mut dashes = 0u64;
        let mut m = self.dashes;
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            dashes |= u64::from(id.get(i) == Some(&b'-')) << i;
            m &= m - 1;
        }
        if dashes != self.dashes {
            return None;
        }
        // The digits gathered into four words in registers, a `0` before the first (`id` has
        // every place: its length is the form's). Built in memory byte by byte, the words'
        // loads would wait for the bytes' stores.
        let mut raw = [0u64; 4];
        for (w, places) in raw.iter_mut().zip(self.places.chunks_exact(8)) {
            *w = places.iter().enumerate().fold(0, |w, (j, &place)| {
                let b = id.get(usize::from(place)).copied().unwrap_or(b'0');
                w | u64::from(b) << (8 * j)
            });
        }
        let (mut bad, mut upper, mut lower) = (0u64, 0u64, 0u64);
        let mut packed = [0u8; 16];
        for (&w, out) in raw.iter().zip(packed.chunks_exact_mut(4)) {
            let digit = in_range(w, b'0', b'9');
            let up = in_range(w, b'A', b'F');
            let low = in_range(w, b'a', b'f');
            // A byte at or above 0x80 is none of them (and would defeat `in_range`).
            bad |= (w & bytes(0x80)) | ((digit | up | low) ^ bytes(0x80));
            upper |= up;
            lower |= low;
            // A digit's value is its low four bits; a letter's (1-6) nine more.
            let nib = (w & bytes(0x0f)) + ((up | low) >> 7) * 9;
            // Byte `2j` (the higher digit, first in the text) and `2j + 1` into one byte of
            // each 16-bit lane, then the lanes' low bytes together.
            let pairs = ((nib & 0x000f_000f_000f_000f) << 4) | ((nib >> 8) & 0x000f_000f_000f_000f);
            let pairs = (pairs | (pairs >> 8)) & 0x0000_ffff_0000_ffff;
            let pairs = (pairs | (pairs >> 16)) & 0xffff_ffff;
            out.copy_from_slice(&(pairs as u32).to_le_bytes());
        }
        if bad != 0 {
            return None;
        }
        let case = match (upper != 0, lower != 0) {
            (true, true) => return None,
            (true, false) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        };
        if case.is_some() && self.upper.is_some() && case != self.upper {
            return None;
        }
        let (hi, lo) = packed.split_at(8);
        let half = |h: &[u8]| u64::from_be_bytes(h.try_into().unwrap_or_default());
        Some(([half(hi), half(lo)], case))
    }

    /// The form both `self` and `other` fit (the same places; letters of one case), if any.
    pub(crate) fn joined(&self, other: &Self) -> Option<Self> {
        let case_fits = self.upper.is_none() || other.upper.is_none() || self.upper == other.upper;
        (self.len == other.len && self.dashes == other.dashes && case_fits).then_some(Self {
            upper: self.upper.or(other.upper),
            ..*self
        })
    }

    /// The length of every id of the form, in bytes.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether the form has dashes (so no id of it is all digits).
    pub(crate) fn has_dashes(&self) -> bool {
        self.dashes != 0
    }

    /// Notes the case of an id's letters that [`HexForm::key`] found.
    pub(crate) fn note_case(&mut self, case: Option<bool>) {
        self.upper = self.upper.or(case);
    }

    /// The text of `key`, appended to `out`.
    pub(crate) fn write(&self, key: [u64; 2], out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + usize::from(self.len), b'-');
        if let Some(id) = out.get_mut(start..) {
            self.fill(key, id);
        }
    }

    /// Writes the digits of `key` into their places in `id` (`len` bytes, the dashes already
    /// there), in this form's case: each a byte of two words in registers.
    #[inline]
    fn fill(&self, key: [u64; 2], id: &mut [u8]) {
        // From a digit's value (10-15) to its letter, past `'0' + value`.
        let gap = if self.upper == Some(true) { b'A' } else { b'a' } - b'0' - 10;
        let halves = [hex16(key[0], gap), hex16(key[1], gap)];
        for (&half, places) in halves.iter().zip(self.places.chunks_exact(16)) {
            for (j, &place) in places.iter().enumerate() {
                if let Some(c) = id.get_mut(usize::from(place)) {
                    // The half's digit `j`: its first is the top byte.
                    *c = (half >> (8 * (15 - j))) as u8;
                }
            }
        }
    }

    /// The column of the texts of `keys`, in order: a column of dashes, each id's digits
    /// written into their places.
    pub(crate) fn write_column(&self, keys: &[[u64; 2]]) -> StrColumn {
        let len = usize::from(self.len).max(1);
        let mut text = vec![b'-'; keys.len() * len];
        for (id, &k) in text.chunks_exact_mut(len).zip(keys) {
            self.fill(k, id);
        }
        let offsets = (0..=keys.len())
            .map(|i| u32::try_from(i * len).unwrap_or(u32::MAX))
            .collect();
        // Hex digits and dashes: ASCII.
        let buf = String::from_utf8(text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        StrColumn { buf, offsets }
    }
}

/// The 16 hex digits of `v`, one a byte, the first in the top byte, letters `gap` past
/// `'0' + value` (word arithmetic: the nibbles spread one to a byte in four shift-and-mask
/// steps, then each byte offset to its character; no byte carries into the next).
#[inline]
fn hex16(v: u64, gap: u8) -> u128 {
    let x = u128::from(v);
    let x = (x | (x << 32)) & 0x0000_0000_ffff_ffff_0000_0000_ffff_ffff;
    let x = (x | (x << 16)) & 0x0000_ffff_0000_ffff_0000_ffff_0000_ffff;
    let x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff_00ff_00ff_00ff_00ff;
    let x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f_0f0f_0f0f_0f0f_0f0f;
    let ones = u128::from_ne_bytes([1; 16]);
    // 1 in the bytes of 10-15 (`x + 6` reaches 16), 0 in the others.
    let letters = ((x + ones * 6) >> 4) & ones;
    x + ones * u128::from(b'0') + letters * u128::from(gap)
}

/// The number of a member-number id and the length of its prefix: `s` must be `width` bytes,
/// `prefix` followed by digits (with `width == 0`, any text ending in 1-18 digits fits and
/// sets the pattern).
pub(crate) fn member_number(width: usize, prefix: &[u8], s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let digits = if width == 0 {
        let t = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        &b[b.len() - t..]
    } else {
        // A byte loop, not `starts_with`: prefixes are a few bytes (usually none) and a
        // `memcmp` call per row cost more than the whole lookup.
        if b.len() != width || !prefix.iter().zip(b).all(|(p, c)| p == c) {
            return None;
        }
        let digits = &b[prefix.len()..];
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        digits
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let n = digits
        .iter()
        .fold(0usize, |a, &c| a * 10 + usize::from(c - b'0'));
    Some((n, b.len() - digits.len()))
}

/// Natural order for ids: all-digit ids compare as numbers (so `2 < 10`), others as text.
#[must_use]
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let da = !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit());
    let db = !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit());
    if da && db {
        let ta = a.trim_start_matches('0');
        let tb = b.trim_start_matches('0');
        ta.len()
            .cmp(&tb.len())
            .then_with(|| ta.cmp(tb))
            .then_with(|| a.cmp(b))
    } else {
        db.cmp(&da).then_with(|| a.cmp(b))
    }
}

/// Indices `0..col.len()` sorted by [`natural_cmp`] of their strings (ties by index).
#[must_use]
pub fn natural_order(col: &StrColumn) -> Vec<u32> {
    let n = col.len();
    if (1..n).all(|i| natural_cmp(col.get(i - 1), col.get(i)).is_le()) {
        return (0..n as u32).collect();
    }
    // Radix-sort integer keys that order like `natural_cmp` (all-digit ids by value, first;
    // others by their first 8 bytes, big-endian, zero-padded), then settle equal keys by
    // `natural_cmp` itself: millions of ids sort in linear passes, not string comparisons.
    let mut digits: Vec<(u64, u32)> = Vec::new();
    let mut text: Vec<(u64, u32)> = Vec::new();
    for i in 0..n {
        let s = col.get(i);
        let b = s.as_bytes();
        if !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
            // The value without leading zeros; over 19 significant digits, above every value
            // of 19 (ties settled below).
            let t = s.trim_start_matches('0').as_bytes();
            let v = if t.len() <= 19 {
                t.iter().fold(0u64, |a, &c| a * 10 + u64::from(c - b'0'))
            } else {
                u64::MAX
            };
            digits.push((v, i as u32));
        } else {
            let mut k = [0u8; 8];
            let m = b.len().min(8);
            k[..m].copy_from_slice(&b[..m]);
            text.push((u64::from_be_bytes(k), i as u32));
        }
    }
    let mut out = Vec::with_capacity(n);
    for mut part in [digits, text] {
        radsort::sort_by_key(&mut part, |p| p.0);
        for run in part.chunk_by_mut(|x, y| x.0 == y.0) {
            if run.len() > 1 {
                run.sort_unstable_by(|x, y| {
                    natural_cmp(col.get(x.1 as usize), col.get(y.1 as usize)).then(x.1.cmp(&y.1))
                });
            }
            out.extend(run.iter().map(|p| p.1));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn padded_key_column_writes_as_the_formatter_does() {
        // Numbers shorter than, as long as and longer than the width; zero; negatives and
        // the ends of i64 (never a member number's, written as the formatter writes them).
        let values = [
            0,
            7,
            42,
            1_234_567,
            99_999_999,
            123_456_789_012,
            -5,
            i64::MAX,
            i64::MIN,
        ];
        for (prefix, width) in [("", 8), ("C-", 10), ("M", 1), ("", 18)] {
            let form = KeyText::Padded {
                prefix: prefix.as_bytes().into(),
                width,
            };
            let col = form.write_column(&values);
            let digits = width - prefix.len();
            for (i, &v) in values.iter().enumerate() {
                let want = format!("{prefix}{v:0digits$}");
                let (a, b) = (col.offsets[i] as usize, col.offsets[i + 1] as usize);
                assert_eq!(&col.buf[a..b], want, "{prefix:?} width {width}, {v}");
                assert_eq!(form.write(v, &mut String::new()), want);
            }
        }
    }

    #[test]
    fn intern_text_gives_the_indices_intern_gives() {
        // Member numbers (the dense mode), integers, then codes (the table mode) part way
        // through a chunk, repeats of each, and more than one chunk of 2048 ids.
        let mut ids: Vec<String> = Vec::new();
        for i in 0..3000 {
            ids.push(match i % 5 {
                0 if i > 1000 => format!("CODE-{}", i % 700),
                1 => format!("{:08}", i % 900),
                _ => format!("{:08}", i % 1300),
            });
        }
        let (mut text, mut ends, mut hashes) = (String::new(), Vec::new(), Vec::new());
        for s in &ids {
            text.push_str(s);
            ends.push(text.len() as u32);
            hashes.push(id_hash(s));
        }
        for from in [0, 1] {
            let (mut a, mut b) = (CustomerIds::new(), CustomerIds::new());
            let mut got = Vec::new();
            a.intern_text(&text, &ends, &hashes, None, from, &mut got);
            let want: Vec<u32> = ids[from..].iter().map(|s| b.intern(s)).collect();
            assert_eq!(got, want, "from {from}");
            assert_eq!(a.len(), b.len());
            // And again on the filled table: every id found, none added.
            let mut again = Vec::new();
            a.intern_text(&text, &ends, &hashes, None, from, &mut again);
            assert_eq!(again, want);
            assert_eq!(a.len(), b.len());
            // Without the hashes: the same indices, every id (none dropped).
            let mut c = CustomerIds::new();
            let mut unhashed = Vec::new();
            c.intern_text(&text, &ends, &hashes[..100], None, from, &mut unhashed);
            assert_eq!(unhashed, want);
        }
    }

    #[test]
    fn permuted_on_two_cores_is_the_gather_in_order() {
        // Long enough for the two halves; ids of different lengths (offsets must carry over),
        // the empty id, and a permutation that is not a simple reversal.
        let n: u32 = 200_003;
        let mut col = StrColumn::new();
        for i in 0..n {
            col.push(&if i % 7 == 0 {
                String::new()
            } else {
                format!("C{}", i * 31)
            });
        }
        let perm: Vec<u32> = (0..n)
            .map(|i| (u64::from(i) * 100_019 % u64::from(n)) as u32)
            .collect();
        let got = col.permuted_on_two_cores(&perm);
        assert_eq!(got.len(), n as usize);
        for (k, &p) in perm.iter().enumerate() {
            assert_eq!(got.get(k), col.get(p as usize), "value {k}");
        }
        assert_eq!(got.raw(), col.permuted(&perm).raw());
        // A short one (one thread) and an empty one.
        let short = &perm[..10];
        assert_eq!(
            col.permuted_on_two_cores(short).raw(),
            col.permuted(short).raw()
        );
        assert_eq!(col.permuted_on_two_cores(&[]).len(), 0);
    }

    /// One step on an order-id set: insert an id, or a block of consecutive ids.
    #[derive(Debug, Clone)]
    enum Step {
        /// 0: next number; 1: skip ahead; 2: the last again; 3: an early one; 4: unpadded;
        /// 5: another prefix; 6: not a number.
        Insert(u8),
        /// Consecutive ids from the next number (or, with `true`, from an early one).
        Block(u8, bool),
        /// Ids of one width in any order (each before the next number with `true`), maybe
        /// repeating one: taken whole by `extend_any` or one by one.
        Any(Vec<(bool, u8)>),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0u8..7).prop_map(Step::Insert),
            2 => (1u8..6, prop::bool::weighted(0.2)).prop_map(|(n, back)| Step::Block(n, back)),
            2 => prop::collection::vec((prop::bool::weighted(0.3), 0u8..12), 1..6).prop_map(Step::Any),
        ]
    }

    proptest! {
        /// `OrderIdSet` answers every insert and lookup as `OrderIds` does, whether it keeps
        /// runs of numbers or has moved to text.
        #[test]
        fn order_id_set_answers_like_order_ids(steps in prop::collection::vec(step(), 0..60)) {
            let mut set = OrderIdSet::new(8);
            let mut ids = OrderIds::new(8);
            let mut next = 1u64;
            let mut seen: Vec<String> = Vec::new();
            for st in steps {
                match st {
                    Step::Insert(k) => {
                        let id = match k {
                            0 => { next += 1; format!("O{next:04}") }
                            1 => { next += 7; format!("O{next:04}") }
                            2 => format!("O{next:04}"),
                            3 => format!("O{:04}", next / 2),
                            4 => { next += 1; format!("O{next}") }
                            5 => format!("P{next:04}"),
                            _ => "abc".to_owned(),
                        };
                        prop_assert_eq!(set.insert(&id), ids.insert(&id), "{}", id);
                        seen.push(id);
                    }
                    Step::Block(n, back) => {
                        let first = if back { next / 2 } else { next + 1 };
                        // Rising, with a gap after every third id.
                        let numbers: Vec<u64> =
                            (0..u64::from(n)).map(|i| first + i + i / 3).collect();
                        let block: Vec<String> =
                            numbers.iter().map(|x| format!("O{x:04}")).collect();
                        let last = *numbers.last().unwrap_or(&first);
                        // Taken whole when it keeps the set rising; else one by one, as the
                        // per-row path would.
                        let mut text = String::new();
                        let mut ends = Vec::new();
                        for b in &block {
                            text.push_str(b);
                            ends.push(text.len() as u32);
                        }
                        let taken = set.extend_numbers(b"O", 5, &numbers);
                        if taken {
                            // Every id was new (the reference may take them whole, or not).
                            if !ids.extend_rising(b"O", first, last, &text, &ends) {
                                for b in &block {
                                    prop_assert_eq!(ids.insert(b), None, "{}", b);
                                }
                            }
                        } else {
                            for b in &block {
                                prop_assert_eq!(set.insert(b), ids.insert(b), "{}", b);
                            }
                        }
                        next = next.max(last);
                        seen.extend(block);
                    }
                    Step::Any(offsets) => {
                        let numbers: Vec<u64> = offsets
                            .iter()
                            .map(|&(back, v)| if back { next / 2 + u64::from(v) } else { next + 1 + u64::from(v) })
                            .collect();
                        let block: Vec<String> =
                            numbers.iter().map(|x| format!("O{x:04}")).collect();
                        let same_width = block.iter().all(|b| b.len() == 5);
                        if same_width && set.extend_any(b"O", 5, &numbers) {
                            // Taken: every id was new, as one by one.
                            for b in &block {
                                prop_assert_eq!(ids.insert(b), None, "{}", b);
                            }
                        } else {
                            for b in &block {
                                prop_assert_eq!(set.insert(b), ids.insert(b), "{}", b);
                            }
                        }
                        next = next.max(numbers.iter().copied().max().unwrap_or(next));
                        seen.extend(block);
                    }
                }
                for id in seen.iter().chain(["O9999", "zz"].iter().map(|s| (*s).to_owned()).collect::<Vec<_>>().iter()) {
                    prop_assert_eq!(set.lookup(id), ids.lookup(id), "{}", id);
                }
            }
        }
    }

    proptest! {
        /// `OrderIds` (rising, then indexed by number, then a hash table) answers every
        /// insert and lookup as a plain map of the texts does.
        #[test]
        fn order_ids_answer_like_a_map(
            steps in prop::collection::vec(
                prop_oneof![
                    8 => (0u64..200).prop_map(|n| format!("O{:05}", 1_000 + n)),
                    1 => (0u64..200).prop_map(|n| format!("O{}", 1_000 + n)),
                    1 => (0u64..3).prop_map(|n| format!("P{:05}", 1_000 + n)),
                    1 => Just("O99999999999".to_owned()),
                    1 => Just("abc".to_owned()),
                ],
                0..80),
            rising_first in 0usize..40,
        ) {
            let mut steps = steps;
            // A rising start (the fast mode), then any order.
            let k = rising_first.min(steps.len());
            steps[..k].sort();
            let mut ids = OrderIds::new(8);
            let mut map: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
            for id in &steps {
                let want = map.get(id).copied();
                prop_assert_eq!(ids.insert(id), want, "{}", id);
                if want.is_none() {
                    map.insert(id.clone(), map.len() as u32);
                }
                for probe in steps.iter().chain(["O01000", "O00999", "zz"].map(str::to_owned).iter()) {
                    prop_assert_eq!(ids.lookup(probe), map.get(probe).copied(), "{}", probe);
                }
            }
            prop_assert_eq!(ids.len(), map.len());
        }
    }

    proptest! {
        /// `CustomerIds` (dense member numbers, then keyed by number, then a hash table)
        /// answers every intern and lookup as a plain map of the texts does, and orders its ids
        /// as `natural_order` orders their texts.
        #[test]
        fn customer_ids_answer_like_a_map(
            ids in prop::collection::vec(
                prop_oneof![
                    6 => (0u64..50).prop_map(|n| format!("{:010}", 10_000_000 + n * 7_919_000)),
                    4 => (0u64..50).prop_map(|n| (10_000_000 + n * 7_919_000).to_string()),
                    2 => (0u64..20).prop_map(|n| format!("C-{:08}", n * 9_000_001)),
                    1 => (0u64..12).prop_map(|n| n.to_string()),
                    1 => (0u64..12).prop_map(|n| format!("{n:03}")),
                    1 => Just("-7".to_owned()),
                    1 => Just("mail@example.jp".to_owned()),
                ],
                0..60),
            hint in prop::sample::select(vec![0usize, 100, 10_000_000]),
        ) {
            let mut c = CustomerIds::new();
            c.expect_rows(hint);
            let mut map: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
            for id in &ids {
                let want = map.get(id.as_str()).copied().unwrap_or(map.len() as u32);
                prop_assert_eq!(c.intern(id), want, "{}", id);
                map.entry(id.as_str()).or_insert(want);
                for probe in ids.iter().map(String::as_str).chain(["0", "0010000000", "x"]) {
                    prop_assert_eq!(c.lookup(probe), map.get(probe).copied(), "{}", probe);
                }
            }
            prop_assert_eq!(c.natural_order(), natural_order(c.values()));
        }
    }

    #[test]
    fn order_ids_fast_path_and_fallback() {
        let mut o = OrderIds::new(0);
        assert_eq!(o.insert("#1001"), None);
        assert_eq!(o.insert("#1001"), Some(0));
        assert_eq!(o.insert("#1005"), None);
        assert_eq!(o.lookup("#1001"), Some(0));
        assert_eq!(o.lookup("#1002"), None);
        assert_eq!(o.lookup("#01005"), None);
        // Out of order: the table is built and both old and new ids are found.
        assert_eq!(o.insert("#1003"), None);
        assert_eq!(o.insert("#1001"), Some(0));
        assert_eq!(o.insert("X"), None);
        assert_eq!(o.insert("#1005"), Some(1));
        assert_eq!(o.lookup("#1003"), Some(2));
        assert_eq!(o.into_values().len(), 4);
    }

    #[test]
    fn customer_ids_dense_then_table() {
        let mut c = CustomerIds::new();
        assert_eq!(c.intern("0003"), 0);
        assert_eq!(c.intern("0001"), 1);
        assert_eq!(c.intern("0003"), 0);
        assert_eq!(c.natural_order(), vec![1, 0]);
        // Another width leaves the fast mode; old and new ids keep their indices.
        assert_eq!(c.intern("12"), 2);
        assert_eq!(c.intern("0001"), 1);
        assert_eq!(c.intern("12"), 2);
        assert_eq!(c.natural_order(), vec![1, 0, 2]);
        let mut c = CustomerIds::new();
        c.intern("1");
        assert_eq!(c.intern("999999999999"), 1); // far beyond dense: table
        assert_eq!(c.intern("1"), 0);
    }

    #[test]
    fn customer_ids_with_a_prefix_stay_dense_and_order_naturally() {
        let ids = ["C-0003", "C-0001", "C-0010", "C-0001", "C-0002"];
        let mut c = CustomerIds::new();
        let got: Vec<u32> = ids.iter().map(|s| c.intern(s)).collect();
        assert_eq!(got, vec![0, 1, 2, 1, 3]);
        assert!(c.dense.is_some(), "one prefix, one width: the direct array");
        assert_eq!(c.natural_order(), vec![1, 3, 0, 2]);
        // The same ids through the hash table give the same indices and order.
        let mut t = CustomerIds::new();
        t.build_table();
        let got_t: Vec<u32> = ids.iter().map(|s| t.intern(s)).collect();
        assert_eq!(got_t, got);
        assert_eq!(t.natural_order(), c.natural_order());
        // Another prefix, a digit where the prefix was, or another width: the table, same ids.
        for other in ["D-0004", "C10004", "C-00004", "0004"] {
            let mut c2 = CustomerIds::new();
            for s in ids {
                c2.intern(s);
            }
            assert_eq!(c2.intern(other), 4, "{other}");
            assert!(c2.dense.is_none(), "{other} leaves the fast mode");
            assert_eq!(c2.intern("C-0010"), 2);
            let order: Vec<&str> = c2
                .natural_order()
                .iter()
                .map(|&i| c2.values().get(i as usize))
                .collect();
            let mut want: Vec<&str> = vec!["C-0003", "C-0001", "C-0010", "C-0002", other];
            want.sort_by(|a, b| natural_cmp(a, b));
            assert_eq!(order, want, "{other}");
        }
    }

    #[test]
    fn interns() {
        let mut i = Interner::new();
        assert_eq!(i.intern("a"), 0);
        assert_eq!(i.intern("b"), 1);
        assert_eq!(i.intern("a"), 0);
        assert_eq!(i.lookup("b"), Some(1));
        assert_eq!(i.lookup("c"), None);
        assert_eq!(i.values().get(1), "b");
    }

    #[test]
    fn natural_order_of_ids() {
        let mut v = vec!["10", "2", "b", "a", "002"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, vec!["002", "2", "10", "a", "b"]);
        let mut c = StrColumn::new();
        for s in ["10", "2", "002", "7"] {
            c.push(s);
        }
        assert_eq!(natural_order(&c), vec![2, 1, 3, 0]);
    }

    #[test]
    fn natural_order_by_keys_equals_sorting_by_natural_cmp() {
        // Digits (short, long, zero-padded, over 19 digits), text sharing 8-byte prefixes,
        // embedded NUL bytes, non-ASCII, empty.
        let ids = [
            "10",
            "2",
            "002",
            "0",
            "00",
            "18446744073709551615",
            "99999999999999999999",
            "000000000000000000000001",
            "123456789012345678901",
            "abcdefgh2",
            "abcdefgh10",
            "abcdefgh",
            "abcdefg",
            "ab\0",
            "ab",
            "C-0002",
            "C-0010",
            "顧客-1",
            "",
            "b",
            "a",
            "54321000-x",
            "00012345-x",
        ];
        let mut c = StrColumn::new();
        for s in ids {
            c.push(s);
        }
        let mut want: Vec<u32> = (0..ids.len() as u32).collect();
        want.sort_by(|&a, &b| natural_cmp(ids[a as usize], ids[b as usize]).then(a.cmp(&b)));
        assert_eq!(natural_order(&c), want);
        // Random ids over a small alphabet (many shared prefixes, all-digit ones, zero padding).
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"0019aZ-";
        let mut c = StrColumn::new();
        let mut ids = Vec::new();
        for _ in 0..3000 {
            let len = (next() % 23) as usize;
            let s: String = (0..len)
                .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                .collect();
            c.push(&s);
            ids.push(s);
        }
        let mut want: Vec<u32> = (0..ids.len() as u32).collect();
        want.sort_by(|&a, &b| natural_cmp(&ids[a as usize], &ids[b as usize]).then(a.cmp(&b)));
        assert_eq!(natural_order(&c), want);
    }

    /// Every byte value at every digit place of a UUID form (its first eight bytes read as a
    /// word): only `0-9`, `a-f` in a lower-case form's id and `A-F` in an upper-case one's
    /// give a number, and it is the digit's; bytes at and above 0x80 (UTF-8 lead and
    /// continuation bytes) never do, nor do their neighbours' digits change.
    #[test]
    fn hex_key_takes_only_hex_digits_at_each_place() {
        for (id, lower) in [
            ("8f14e45f-ceea-467f-a0e6-4d2d1f3c5b7e", true),
            ("8F14E45F-CEEA-467F-A0E6-4D2D1F3C5B7E", false),
        ] {
            let (form, key) = HexForm::of(id.as_bytes()).expect("a UUID");
            for place in (0..id.len()).filter(|&i| id.as_bytes()[i] != b'-') {
                for b in 0..=255u8 {
                    let mut other = id.as_bytes().to_vec();
                    other[place] = b;
                    let is_digit = b.is_ascii_digit()
                        || if lower {
                            (b'a'..=b'f').contains(&b)
                        } else {
                            (b'A'..=b'F').contains(&b)
                        };
                    match form.key(&other) {
                        Some((k, _)) => {
                            assert!(is_digit, "byte {b:#04x} at {place} gave a number");
                            let mut back = Vec::new();
                            form.write(k, &mut back);
                            assert_eq!(back, other, "byte {b:#04x} at {place}");
                            if other == id.as_bytes() {
                                assert_eq!(k, key);
                            }
                        }
                        None => assert!(!is_digit, "digit {b:#04x} at {place} refused"),
                    }
                }
            }
        }
    }

    /// An id of hex digits (upper, lower or either case) with dashes at some places.
    fn hex_text() -> impl Strategy<Value = String> {
        (
            prop::collection::vec((any::<u8>(), prop::bool::weighted(0.15)), 1..40),
            0u8..3,
        )
            .prop_map(|(parts, case)| {
                parts
                    .iter()
                    .map(|&(d, dash)| {
                        if dash {
                            '-'
                        } else {
                            let c = char::from(b"0123456789abcdef"[usize::from(d % 16)]);
                            if case == 1 { c.to_ascii_uppercase() } else { c }
                        }
                    })
                    .collect()
            })
    }

    proptest! {
        /// A hex id's form writes its number back as the id; another id of the form has
        /// another number; ids of another length, dash place or letter case, or with a byte
        /// that is not a hex digit, are not of the form.
        #[test]
        fn hex_forms_write_their_ids_back(
            a in hex_text(),
            other in hex_text(),
            like in 0u8..4,
            at in any::<usize>(),
        ) {
            // `b`: another id, or `a`'s layout in upper or lower case or with other digits
            // (so that the case and digit checks meet ids of the form's places).
            let b = match like {
                0 => other,
                1 => a.to_ascii_uppercase(),
                2 => a.to_ascii_lowercase(),
                _ => a
                    .bytes()
                    .zip(other.bytes().cycle())
                    .map(|(x, y)| if x == b'-' || y == b'-' { char::from(x) } else { char::from(y) })
                    .collect(),
            };
            let digits = a.bytes().filter(|&c| c != b'-').count();
            let Some((form, key)) = HexForm::of(a.as_bytes()) else {
                prop_assert!(digits == 0 || digits > 32);
                return Ok(());
            };
            let mut out = Vec::new();
            form.write(key, &mut out);
            prop_assert_eq!(std::str::from_utf8(&out).ok(), Some(a.as_str()));
            // The column writer (runs of digits copied) writes the same texts.
            let col = form.write_column(&[key, key]);
            prop_assert_eq!(col.get(0), a.as_str());
            prop_assert_eq!(col.get(1), a.as_str());
            let has_upper = b.bytes().any(|c| c.is_ascii_uppercase());
            let has_lower = b.bytes().any(|c| c.is_ascii_lowercase());
            let same_places = b.len() == a.len()
                && a.bytes().zip(b.bytes()).all(|(x, y)| (x == b'-') == (y == b'-'));
            let case_fits = match form.upper {
                Some(true) => !has_lower,
                Some(false) => !has_upper,
                None => !(has_upper && has_lower),
            };
            match form.key(b.as_bytes()) {
                Some((kb, case)) => {
                    prop_assert!(same_places && case_fits);
                    prop_assert_eq!(kb == key, a == b);
                    let mut f = form;
                    f.note_case(case);
                    let mut out = Vec::new();
                    f.write(kb, &mut out);
                    prop_assert_eq!(std::str::from_utf8(&out).ok(), Some(b.as_str()));
                    let col = f.write_column(&[key, kb]);
                    prop_assert_eq!(col.get(1), b.as_str());
                }
                None => prop_assert!(!same_places || !case_fits),
            }
            // A byte that is neither a digit nor a dash: next to the digits and letters in
            // ASCII, or with only bit 5 or bit 7 apart from one.
            let mut bad = a.clone().into_bytes();
            let i = at % bad.len();
            let near = [b'g', b'G', b'/', b':', b'@', b'`', b' ', b'\x10', 0xC1, 0xE6, 0xB0];
            bad[i] = if bad[i] == b'-' { b'0' } else { near[at / bad.len() % near.len()] };
            prop_assert_eq!(form.key(&bad), None);
        }
    }

    /// Ids of one layout (`places` bytes, a dash where `dashes` has a bit): all digits (kinds
    /// 0-7) or hex with letters (8-16, 19 in upper case), many of them repeats of a few (the
    /// seed of kinds 0-3 and 10-14 is one of four), and now and then an id of another form
    /// (17, 18).
    fn one_form_ids() -> impl Strategy<Value = Vec<String>> {
        (
            2usize..40,
            prop_oneof![Just(0u64), any::<u64>()],
            prop::collection::vec((any::<u64>(), 0u8..20), 1..80),
        )
            .prop_map(|(places, dashes, picks)| {
                let dashes = dashes & !1; // the first byte a digit
                picks
                    .iter()
                    .map(|&(r, kind)| {
                        let repeat = matches!(kind, 0..=3 | 10..=14);
                        let mut x = if repeat { r % 4 } else { r };
                        let id: String = (0..places)
                            .map(|i| {
                                if dashes >> (i % 64) & 1 == 1 {
                                    return '-';
                                }
                                x = x.rotate_left(5) ^ 0x9e37_79b9;
                                let d = (x % if kind < 8 { 10 } else { 16 }) as usize;
                                let c = char::from(b"0123456789abcdef"[d]);
                                if kind == 19 {
                                    c.to_ascii_uppercase()
                                } else {
                                    c
                                }
                            })
                            .collect();
                        match kind {
                            18 => format!("{id}x"),
                            17 => format!("z{}", r % 5),
                            _ => id,
                        }
                    })
                    .collect()
            })
    }

    proptest! {
        /// Hex ids (all-digit ones among them), id by id or a batch at a time with the
        /// numbers the decoder works out: the indices an [`Interner`] gives, every id found,
        /// and natural order as [`natural_order`] of their text.
        #[test]
        fn hex_customer_ids_intern_and_order_as_text(ids in one_form_ids(), from in 0usize..3) {
            let mut want = Interner::new();
            let expect: Vec<u32> = ids.iter().map(|s| want.intern(s)).collect();
            let mut one = CustomerIds::new();
            let got: Vec<u32> = ids.iter().map(|s| one.intern(s)).collect();
            prop_assert_eq!(&got, &expect);
            let mut text = String::new();
            let mut ends = Vec::new();
            for s in &ids {
                text.push_str(s);
                ends.push(text.len() as u32);
            }
            let from = from.min(ids.len());
            let mut batch = CustomerIds::new();
            let mut got = Vec::new();
            // The first ids one by one (a batch may follow ids of another route).
            for s in &ids[..from] {
                got.push(batch.intern(s));
            }
            let c = crate::io::plain::Customers::text(ids.len(), ids.iter().map(String::as_bytes));
            if let Some(crate::io::plain::Customers::Text { hashes, hex, .. }) = &c {
                batch.intern_text(&text, &ends, hashes, hex.as_ref(), from, &mut got);
            } else {
                got.extend(ids[from..].iter().map(|s| batch.intern(s)));
            }
            prop_assert_eq!(&got, &expect);
            for ids in [&one, &batch] {
                prop_assert_eq!(ids.len(), want.len());
                for i in 0..want.len() {
                    prop_assert_eq!(ids.lookup(want.values().get(i)), Some(i as u32));
                }
                prop_assert_eq!(ids.lookup("not-an-id"), None);
                prop_assert_eq!(ids.natural_order(), natural_order(want.values()));
                prop_assert_eq!(ids.values(), want.values());
            }
        }
    }

    /// A key for the `IntRows` tests: mostly from a small range (repeats, and runs of
    /// neighbouring keys that crowd neighbouring slots), sometimes an extreme.
    fn int_key() -> impl Strategy<Value = i64> {
        prop_oneof![
            8 => -40i64..200,
            1 => any::<i64>(),
            1 => prop::sample::select(vec![i64::MIN, i64::MAX, -1, 0]),
        ]
    }

    proptest! {
        /// `IntRows` gives every key the row a `HashMap` gives it (first-seen rows, inserted
        /// through growth from no slots or from a reserved size, and looked up after), answers
        /// `None` for keys never inserted, and keeps its load at most 3/4.
        #[test]
        fn int_rows_answer_like_a_hash_map(
            keys in prop::collection::vec(int_key(), 0..400),
            probes in prop::collection::vec(int_key(), 0..50),
            reserved in 0usize..40,
        ) {
            let mut t = IntRows::with_capacity(reserved);
            let mut want: std::collections::HashMap<i64, u32> = std::collections::HashMap::new();
            for &k in &keys {
                let next = want.len() as u32;
                let w = *want.entry(k).or_insert(next);
                prop_assert_eq!(t.get_or_insert(k, next), w);
                prop_assert!(t.len() * 4 <= t.n_slots() * 3);
            }
            prop_assert_eq!(t.len(), want.len());
            t.warm(keys.iter().chain(&probes).copied());
            for k in keys.iter().chain(&probes) {
                prop_assert_eq!(t.get(*k), want.get(k).copied());
            }
        }
    }

    /// Keys that share a home slot probe past each other (the table of 16 slots holds 12
    /// keys chosen to collide at its last slot, so that their run wraps around to the start).
    #[test]
    fn int_rows_collisions_probe_on() {
        let mut t = IntRows::with_capacity(1);
        assert_eq!(t.n_slots(), 16);
        let home = 15;
        let colliding: Vec<i64> = (0..1_000_000)
            .filter(|&k| t.home(k) == home)
            .take(12)
            .collect();
        assert_eq!(colliding.len(), 12);
        for (r, &k) in colliding.iter().enumerate() {
            assert_eq!(t.get_or_insert(k, r as u32), r as u32);
        }
        assert_eq!(t.n_slots(), 16, "12 keys fit 16 slots at 3/4");
        for (r, &k) in colliding.iter().enumerate() {
            assert_eq!(t.get_or_insert(k, 99), r as u32);
            assert_eq!(t.get(k), Some(r as u32));
        }
        let absent = (0..1_000_000).find(|&k| t.home(k) == home && !colliding.contains(&k));
        assert_eq!(absent.and_then(|k| t.get(k)), None);
        // One more key grows the table; the rows stay.
        assert_eq!(t.get_or_insert(-5, 12), 12);
        assert_eq!(t.n_slots(), 32);
        for (r, &k) in colliding.iter().enumerate() {
            assert_eq!(t.get(k), Some(r as u32));
        }
    }

    proptest! {
        /// Hex keys sort as a comparison sort orders them: random halves, high halves from a
        /// few values (buckets of many items, sorted by radix), high halves of few bits (sorted
        /// whole), one high half, more items than a small bucket holds.
        #[test]
        fn sort_hex_orders_keys_by_value(
            keys in prop::collection::vec((any::<u64>(), any::<u64>()), 0..3_000),
            highs in 0usize..4,
            bits in prop::sample::select(vec![1u32, 12, 17, 40, 64]),
        ) {
            let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
            let mut v: Vec<([u64; 2], u32)> = keys
                .iter()
                .enumerate()
                .map(|(r, &(h, l))| {
                    let h = match highs {
                        0 => h & mask,
                        1 => (h % 3) << (bits - 1).min(62),
                        2 => 7,
                        _ => h,
                    };
                    ([h, l], r as u32)
                })
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            sort_hex(&mut v);
            // Keys may repeat here (never in use): compare the keys, then the sets of rows.
            prop_assert_eq!(
                v.iter().map(|p| p.0).collect::<Vec<_>>(),
                want.iter().map(|p| p.0).collect::<Vec<_>>()
            );
            v.sort_unstable();
            prop_assert_eq!(v, want);
        }
    }
}
