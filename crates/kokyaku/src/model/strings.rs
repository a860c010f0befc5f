//! Compact string columns and an interner (one buffer, no per-value allocation).

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

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
        Self { buf: String::new(), offsets: vec![0] }
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
        let mut out = Self { buf: String::with_capacity(self.buf.len()), offsets: Vec::with_capacity(perm.len() + 1) };
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
}

/// Maps strings to dense indices in first-seen order.
#[derive(Debug, Default)]
pub struct Interner {
    values: StrColumn,
    table: HashTable<u32>,
    hasher: FixedState,
}

impl Interner {
    /// An empty interner.
    #[must_use]
    pub fn new() -> Self {
        Self { values: StrColumn::new(), table: HashTable::new(), hasher: FixedState::default() }
    }
    /// The index of `s`, inserting it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let h = self.hasher.hash_one(s);
        let values = &self.values;
        if let Some(&i) = self.table.find(h, |&i| values.get(i as usize) == s) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(s);
        let (values, hasher) = (&self.values, &self.hasher);
        self.table.insert_unique(h, i, |&j| hasher.hash_one(values.get(j as usize)));
        i
    }
    /// The index of `s` if present.
    #[must_use]
    pub fn lookup(&self, s: &str) -> Option<u32> {
        let h = self.hasher.hash_one(s);
        self.table.find(h, |&i| self.values.get(i as usize) == s).copied()
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

/// Natural order for ids: all-digit ids compare as numbers (so `2 < 10`), others as text.
#[must_use]
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let da = !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit());
    let db = !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit());
    if da && db {
        let ta = a.trim_start_matches('0');
        let tb = b.trim_start_matches('0');
        ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb)).then_with(|| a.cmp(b))
    } else {
        db.cmp(&da).then_with(|| a.cmp(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn natural_order() {
        let mut v = vec!["10", "2", "b", "a", "002"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, vec!["002", "2", "10", "a", "b"]);
    }
}
