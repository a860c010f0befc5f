//! Zeroed arrays of words read and written at random (the id tables of the streamed summary
//! and of the grouped log: one lookup per order, each at a random place of a table of up to
//! hundreds of MB).
//!
//! A random read of such a table misses the cache, and with 4 KiB pages it misses the TLB
//! too: the page walk is a second dependent load, and a core walks few pages at once, so the
//! misses of a batch of lookups overlap less than their loads would. On Linux an array of
//! [`HUGE_BYTES`] or more gets an anonymous mapping of its own that the kernel is asked to
//! back with transparent huge pages (`madvise(MADV_HUGEPAGE)` through `memmap2`: no unsafe
//! code here). It is advice: where transparent huge pages are off (`never`), or none is free,
//! the pages are ordinary ones and nothing else changes. Elsewhere (other systems, wasm32) and
//! for smaller arrays, a `Vec`. Either way the words start at zero, and untouched pages cost
//! no memory.

/// Arrays from this size (4 MiB: two huge pages) get their own advised mapping.
#[cfg(target_os = "linux")]
const HUGE_BYTES: usize = 4 << 20;

/// A fixed number of `u64` words, all zero at first (see the module docs).
pub(crate) struct ZeroedWords {
    #[cfg(target_os = "linux")]
    map: Option<memmap2::MmapMut>,
    heap: Vec<u64>,
}

impl ZeroedWords {
    /// `len` zero words.
    pub(crate) fn new(len: usize) -> Self {
        #[cfg(target_os = "linux")]
        {
            let bytes = len.saturating_mul(8);
            if bytes >= HUGE_BYTES {
                if let Ok(map) = memmap2::MmapMut::map_anon(bytes) {
                    // Advice only: refused or unsupported, the pages are ordinary ones.
                    let _ = map.advise(memmap2::Advice::HugePage);
                    return Self {
                        map: Some(map),
                        heap: Vec::new(),
                    };
                }
            }
            Self {
                map: None,
                heap: vec![0; len],
            }
        }
        #[cfg(not(target_os = "linux"))]
        Self { heap: vec![0; len] }
    }

    /// The words.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u64] {
        #[cfg(target_os = "linux")]
        if let Some(m) = &self.map {
            // A mapping is page-aligned and `8 × len` bytes long: the cast cannot fail.
            return bytemuck::cast_slice(&m[..]);
        }
        &self.heap
    }

    /// The words, to write.
    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u64] {
        #[cfg(target_os = "linux")]
        if let Some(m) = &mut self.map {
            return bytemuck::cast_slice_mut(&mut m[..]);
        }
        &mut self.heap
    }

    /// The number of words.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }
}

impl Default for ZeroedWords {
    fn default() -> Self {
        Self::new(0)
    }
}

impl Clone for ZeroedWords {
    fn clone(&self) -> Self {
        let mut c = Self::new(self.len());
        c.as_mut_slice().copy_from_slice(self.as_slice());
        c
    }
}

impl std::fmt::Debug for ZeroedWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ZeroedWords({} words)", self.len())
    }
}

/// A growable array of plain values (`bytemuck::Pod`, a multiple of 8 bytes, aligned to at most
/// 8) in [`ZeroedWords`]: the streamed summary's per-customer totals, written at random once
/// per order. Reserved room costs no memory until written; growing beyond it copies.
pub(crate) struct HugeVec<T> {
    buf: ZeroedWords,
    len: usize,
    item: std::marker::PhantomData<T>,
}

impl<T: bytemuck::Pod> HugeVec<T> {
    /// Words per value (checked when the type is used: a multiple of 8 bytes, aligned to at
    /// most 8).
    const WORDS: usize = {
        assert!(size_of::<T>() % 8 == 0 && size_of::<T>() > 0 && align_of::<T>() <= 8);
        size_of::<T>() / 8
    };

    /// An empty array.
    pub(crate) fn new() -> Self {
        Self {
            buf: ZeroedWords::new(0),
            len: 0,
            item: std::marker::PhantomData,
        }
    }

    /// The values it can hold without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len() / Self::WORDS
    }

    /// Room for `n` more values.
    pub(crate) fn reserve(&mut self, n: usize) {
        let need = self.len.saturating_add(n);
        if need > self.capacity() {
            self.grow_to(need.max(self.capacity().saturating_mul(2)).max(16));
        }
    }

    fn grow_to(&mut self, cap: usize) {
        let mut buf = ZeroedWords::new(cap * Self::WORDS);
        let used = self.len * Self::WORDS;
        buf.as_mut_slice()[..used].copy_from_slice(&self.buf.as_slice()[..used]);
        self.buf = buf;
    }

    /// Appends `v`.
    #[inline]
    pub(crate) fn push(&mut self, v: T) {
        if self.len == self.capacity() {
            self.reserve(1);
        }
        let i = self.len;
        self.all_mut()[i] = v;
        self.len += 1;
    }

    /// Grows to `n` values, the new ones `v` (never shrinks).
    pub(crate) fn resize(&mut self, n: usize, v: T) {
        if n > self.len {
            self.reserve(n - self.len);
            let from = self.len;
            self.all_mut()[from..n].fill(v);
            self.len = n;
        }
    }

    fn all(&self) -> &[T] {
        bytemuck::cast_slice(self.buf.as_slice())
    }

    fn all_mut(&mut self) -> &mut [T] {
        bytemuck::cast_slice_mut(self.buf.as_mut_slice())
    }
}

impl<T: bytemuck::Pod> Default for HugeVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: bytemuck::Pod> std::ops::Deref for HugeVec<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        &self.all()[..self.len]
    }
}

impl<T: bytemuck::Pod> std::ops::DerefMut for HugeVec<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        let n = self.len;
        &mut self.all_mut()[..n]
    }
}

impl<T: bytemuck::Pod> std::fmt::Debug for HugeVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HugeVec({} of {})", self.len, self.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::{HugeVec, ZeroedWords};

    /// A `HugeVec` holds what a `Vec` given the same pushes and resizes holds, across growth
    /// from empty, from a reservation, and past the size of a mapping.
    #[test]
    fn huge_vec_is_a_vec() {
        let mut h: HugeVec<[u64; 4]> = HugeVec::new();
        let mut v: Vec<[u64; 4]> = Vec::new();
        for i in 0..200_000u64 {
            if i == 1000 {
                h.reserve(50_000);
            }
            if i % 7919 == 0 {
                let n = (i + 3) as usize;
                h.resize(n, [i, 1, 2, 3]);
                v.resize(n, [i, 1, 2, 3]);
            }
            h.push([i, i * 2, 0, u64::MAX - i]);
            v.push([i, i * 2, 0, u64::MAX - i]);
            if i % 10_007 == 0 {
                h[0][2] += 1;
                v[0][2] += 1;
            }
        }
        assert_eq!(&h[..], &v[..]);
        assert!(h.capacity() >= h.len());
        h.resize(3, [9; 4]);
        assert_eq!(h.len(), v.len(), "resize never shrinks");
    }

    /// Small and large arrays (a `Vec`, a mapping on Linux) start at zero, keep what is
    /// written, and clone to equal, independent arrays.
    #[test]
    fn words_start_at_zero_and_keep_writes() {
        for len in [0, 2, 1000, (8 << 20) / 8 + 3] {
            let mut w = ZeroedWords::new(len);
            assert_eq!(w.len(), len);
            assert!(w.as_slice().iter().all(|&x| x == 0));
            if len == 0 {
                assert_eq!(w.clone().len(), 0);
                continue;
            }
            w.as_mut_slice()[len - 1] = 7;
            w.as_mut_slice()[0] = u64::MAX;
            let mut c = w.clone();
            assert_eq!(c.as_slice(), w.as_slice());
            c.as_mut_slice()[0] = 1;
            assert_eq!(w.as_slice()[0], u64::MAX);
            assert_eq!(w.as_slice()[len - 1], 7);
            assert_eq!(
                w.as_slice()[1..len - 1].iter().filter(|&&x| x != 0).count(),
                0
            );
        }
    }
}
