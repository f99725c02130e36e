//! Huge pages for the few large buffers a whole-ledger command fills at once.
//!
//! Holding 100,000 folded cases takes a fresh buffer of some 35 MB. The kernel hands it out
//! 4 KiB at a time, zeroing each page on the first write: some 8,600 page faults, all on the
//! thread that folds the ledger while the others read it, about a tenth of a read of
//! 100,000 open cases (BENCHMARKS.md, ninth session). Asked to back such a buffer with
//! 2 MiB pages (`madvise(MADV_HUGEPAGE)`, where the system's transparent huge pages are
//! `always` or `madvise`), it faults 17 times instead. Only whole 2 MiB pages inside the
//! buffer are asked for, so at most one more partly used page is resident than before.
//! Elsewhere than Linux, or where the kernel declines, nothing changes.

/// Buffers smaller than this are left alone: few faults to save, and a page half used.
const AT_LEAST: usize = 4 << 20;

/// The size of a huge page on x86-64 and on most 64-bit ARM kernels.
const HUGE: usize = 2 << 20;

/// Asks for huge pages to back the whole 2 MiB pages of `v`'s buffer (its capacity, used or
/// not), when it is at least [`AT_LEAST`] bytes. A hint: contents and length are untouched,
/// and it may be declined.
pub fn advise<T>(v: &mut Vec<T>) {
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes < AT_LEAST {
        return;
    }
    let at = v.as_mut_ptr() as usize;
    let first = at.next_multiple_of(HUGE);
    let end = (at + bytes) / HUGE * HUGE;
    if end > first {
        advise_range(first, end - first);
    }
}

#[cfg(target_os = "linux")]
fn advise_range(at: usize, len: usize) {
    // SAFETY: madvise(2) with MADV_HUGEPAGE changes only how the kernel backs the pages of
    // `[at, at + len)`, which lies inside one live allocation owned by the caller's vector;
    // it reads and writes no memory, and its failure (EINVAL where transparent huge pages
    // are off) changes nothing, so its result is not needed.
    unsafe {
        libc::madvise(at as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_at: usize, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_leaves_a_buffer_as_it_was() {
        let mut small: Vec<u64> = (0..1_000).collect();
        advise(&mut small);
        assert!(small.iter().copied().eq(0..1_000));
        let mut large: Vec<u64> = Vec::with_capacity(3 * HUGE);
        large.extend(0..HUGE as u64);
        advise(&mut large);
        assert_eq!(large.len(), HUGE);
        assert!(large.iter().copied().eq(0..HUGE as u64));
        large.extend(HUGE as u64..2 * HUGE as u64);
        assert!(large.iter().copied().eq(0..2 * HUGE as u64));
        let mut empty: Vec<u8> = Vec::new();
        advise(&mut empty);
        assert!(empty.is_empty());
    }
}
