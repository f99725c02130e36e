//! Work shared among the machine's cores. After the fold, a whole-ledger command works out
//! each case's SLA clocks and writes each row's JSON: work on every case, independent from
//! case to case, that one thread does at a few microseconds a case. Split into contiguous
//! parts on scoped threads, with the results put back in order, it gives the same answer
//! as one thread, sooner.
//!
//! The functions handed over are pure (they read the policy and the cases, nothing else),
//! so where a part runs changes nothing but the time. When a thread cannot be started, its
//! part runs on the calling thread; a panic in a part is carried on to the caller.

use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// At most this many threads share one piece of work: beyond it, the parts are too small
/// for the start of a thread to pay off at the sizes esc sees.
const MAX_THREADS: usize = 8;

/// Below this many items a piece of work runs on the calling thread: starting a thread
/// costs about as much as a few hundred cases.
const MIN_PART: usize = 2048;

/// The most threads the shell allows (`ESC_THREADS`); 0 for no limit but the machine's.
static LIMIT: AtomicUsize = AtomicUsize::new(0);

/// Lets at most `n` threads (at least one) share each piece of work from now on: the shell's
/// `ESC_THREADS`, for a cron job that must leave cores to others, or to compare outputs.
pub fn limit_to(n: NonZeroUsize) {
    LIMIT.store(n.get(), Ordering::Relaxed);
}

/// How many threads share a piece of work: the cores this process may use, at most
/// `MAX_THREADS` (8) and at most what [`limit_to`] allows, at least one.
pub fn threads() -> usize {
    let cores = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .clamp(1, MAX_THREADS);
    match LIMIT.load(Ordering::Relaxed) {
        0 => cores,
        n => cores.min(n),
    }
}

/// `0..len` cut into `parts` contiguous ranges of (nearly) equal length, in order.
fn ranges(len: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.clamp(1, len.max(1));
    let size = len.div_ceil(parts);
    (0..parts)
        .map(|i| (i * size).min(len)..((i + 1) * size).min(len))
        .collect()
}

/// What [`sorted_parts`] made: each part's items, sorted on the part's own thread, and the
/// order that merges them.
pub struct Sorted<R> {
    /// Each part's items, sorted.
    parts: Vec<Vec<R>>,
    /// Where each part's items start in the count of all of them.
    starts: Vec<usize>,
    /// Every item's place (its part's start plus its place in the part), in sorted order.
    order: Vec<usize>,
}

impl<R> Sorted<R> {
    /// How many items there are.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The `i`th item in sorted order (`i` below [`Sorted::len`]).
    pub fn get(&self, i: usize) -> &R {
        let at = self.order[i];
        // The last part starting at or before `at` (parts are few: a short scan).
        let part = self.starts.partition_point(|s| *s <= at) - 1;
        &self.parts[part][at - self.starts[part]]
    }

    /// Every item, in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &R> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// `part` run over `0..len` in contiguous ranges, one per thread ([`threads`]; one alone
/// below `MIN_PART` (2,048) items a thread), each pushing what it makes into a list of its
/// own (made with room for `room(range)` items, an upper bound of what the range makes, so
/// that it never grows by copying) and sorting it by `key` there; what all parts made, in
/// the order of `key`, merged as it is read ([`Sorted`]). No item is copied after it is made,
/// and the only work on one thread is the merge: a comparison an item.
///
/// For a `key` that is total (no two items have equal keys) the result is that of one
/// thread making every item and sorting them; the first error in the ranges' order is
/// returned.
pub fn sorted_parts<R, E, F, K>(
    len: usize,
    room: impl Fn(Range<usize>) -> usize + Sync,
    part: F,
    key: impl Fn(&R) -> K + Sync,
) -> Result<Sorted<R>, E>
where
    R: Send,
    E: Send,
    F: Fn(Range<usize>, &mut Vec<R>) -> Result<(), E> + Sync,
    K: Ord,
{
    let ranges = ranges(len, threads().min(len / MIN_PART).max(1));
    let made = on_threads(ranges.clone(), |given, k| {
        let r = given.unwrap_or_else(|| ranges[k].clone());
        let mut items = Vec::with_capacity(room(r.clone()));
        part(r, &mut items)?;
        items.sort_unstable_by_key(&key);
        Ok(items)
    });
    let parts = made.into_iter().collect::<Result<Vec<_>, E>>()?;
    let starts: Vec<usize> = parts
        .iter()
        .scan(0, |at, p| {
            let start = *at;
            *at += p.len();
            Some(start)
        })
        .collect();
    let order = merge(&parts, &starts, &key);
    Ok(Sorted {
        parts,
        starts,
        order,
    })
}

/// The places (`starts[p]` plus the place in `parts[p]`) of the items of the sorted
/// `parts`, in the order of `key`; of equal keys, the earlier part's first.
fn merge<R, K: Ord>(parts: &[Vec<R>], starts: &[usize], key: impl Fn(&R) -> K) -> Vec<usize> {
    let mut next = vec![0; parts.len()];
    let total = parts.iter().map(Vec::len).sum();
    let mut order = Vec::with_capacity(total);
    for _ in 0..total {
        // The part whose next item comes first (parts are few: a scan).
        let mut best: Option<(usize, K)> = None;
        for (p, items) in parts.iter().enumerate() {
            let Some(item) = items.get(next[p]) else {
                continue;
            };
            let k = key(item);
            if best.as_ref().is_none_or(|(_, b)| k < *b) {
                best = Some((p, k));
            }
        }
        let Some((p, _)) = best else { break };
        order.push(starts[p] + next[p]);
        next[p] += 1;
    }
    order
}

/// `run(Some(w), k)` for the `k`th of `work`, the first on this thread and each other on a
/// scoped thread of its own; the results in `work`'s order. When a thread cannot be
/// started, its item went with it: `run(None, k)` is called here instead. A panic in a
/// thread is carried on to the caller.
fn on_threads<W: Send, T: Send>(
    work: Vec<W>,
    run: impl Fn(Option<W>, usize) -> T + Sync,
) -> Vec<T> {
    let run = &run;
    let mut work = work.into_iter();
    let Some(first) = work.next() else {
        return Vec::new();
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = work
            .enumerate()
            .map(|(k, w)| {
                std::thread::Builder::new()
                    .name("esc-part".into())
                    .spawn_scoped(scope, move || run(Some(w), k + 1))
            })
            .collect();
        let mut made = vec![run(Some(first), 0)];
        for (k, started) in others.into_iter().enumerate() {
            made.push(match started {
                Ok(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(_) => run(None, k + 1),
            });
        }
        made
    })
}

/// Items whose results [`for_each_in_order`] holds at once: a block's figures take little
/// memory, and a block is enough work for each thread to pay for its start.
const BLOCK: usize = 16_384;

/// `each(i, figure(i))` for every `i` in `0..len`, in order, with the figures worked out on
/// every core a block at a time: for a tally over every case whose per-case figure (its
/// clocks) is the costly part, and whose adding up must see the cases in their order.
pub fn for_each_in_order<R: Send>(
    len: usize,
    figure: impl Fn(usize) -> R + Sync,
    mut each: impl FnMut(usize, R),
) {
    let figure = &figure;
    for block in ranges(len, len.div_ceil(BLOCK)) {
        let parts = threads().min(block.len() / MIN_PART).max(1);
        let pieces: Vec<Range<usize>> = ranges(block.len(), parts)
            .into_iter()
            .map(|r| r.start + block.start..r.end + block.start)
            .collect();
        let made = on_threads(pieces.clone(), |r, k| {
            r.unwrap_or_else(|| pieces[k].clone())
                .map(figure)
                .collect::<Vec<R>>()
        });
        for (i, r) in block.zip(made.into_iter().flatten()) {
            each(i, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_whole_in_order_without_overlap() {
        for len in [0, 1, 2, 7, 2048, 10_001] {
            for parts in 1..=9 {
                let rs = ranges(len, parts);
                assert!(!rs.is_empty() && rs.len() <= parts.max(1));
                assert_eq!(rs[0].start, 0);
                assert_eq!(rs.last().map(|r| r.end), Some(len));
                for w in rs.windows(2) {
                    assert_eq!(w[0].end, w[1].start, "{len} in {parts}: {rs:?}");
                }
            }
        }
    }

    /// What one thread makes of `0..len`: the indices not divisible by three, squared,
    /// `per` times each (a filter, so parts make different amounts), as (square, copy).
    fn made(r: Range<usize>, per: usize, out: &mut Vec<(usize, usize)>) -> Result<(), usize> {
        for i in r.filter(|i| i % 3 != 0) {
            for copy in 0..per {
                out.push((i * i, copy));
            }
        }
        Ok(())
    }

    /// A key that sorts the squares from the largest down, then the copies up: total.
    fn key(item: &(usize, usize)) -> (std::cmp::Reverse<usize>, usize) {
        (std::cmp::Reverse(item.0), item.1)
    }

    #[test]
    fn parts_give_what_one_pass_and_one_sort_give() {
        for len in [0, 5, MIN_PART * 2 - 1, MIN_PART * 2, MIN_PART * 7 + 3] {
            for (room, per) in [(2, 2), (1, 3), (0, 1)] {
                let got = sorted_parts(len, |r| r.len() * room, |r, s| made(r, per, s), key);
                let got: Vec<(usize, usize)> = got.expect("no error").iter().copied().collect();
                let mut want = Vec::new();
                let _ = made(0..len, per, &mut want);
                want.sort_by_key(key);
                assert_eq!(got, want, "len {len}, room {room}, per {per}");
            }
        }
    }

    #[test]
    fn the_merge_takes_each_part_in_turn_by_key() {
        let parts = vec![vec![1, 4, 9], vec![], vec![2, 3, 10, 11], vec![0]];
        let starts = [0, 3, 3, 7];
        let order = merge(&parts, &starts, |x| *x);
        assert_eq!(order, [7, 0, 3, 4, 1, 2, 5, 6]);
    }

    #[test]
    fn the_first_error_in_order_is_returned() {
        let len = MIN_PART * 8;
        let got = sorted_parts(
            len,
            |r| r.len(),
            |r, s| {
                for i in r {
                    if i % (MIN_PART * 3) == MIN_PART * 3 - 1 {
                        return Err(i);
                    }
                    s.push(i);
                }
                Ok(())
            },
            |i| *i,
        );
        assert_eq!(got.err(), Some(MIN_PART * 3 - 1));
    }

    #[test]
    fn each_figure_is_handed_on_in_order() {
        for len in [0, 3, MIN_PART * 2, BLOCK + MIN_PART * 3 + 5, BLOCK * 3] {
            let mut seen = Vec::new();
            for_each_in_order(len, |i| i * 7, |i, f| seen.push((i, f)));
            let want: Vec<(usize, usize)> = (0..len).map(|i| (i, i * 7)).collect();
            assert!(seen == want, "len {len}");
        }
    }
}
