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

/// Where a part of [`fill_parts`] puts what it makes: its own piece of the one buffer
/// shared by all parts, then (only if the piece turns out too small) a list of its own.
pub struct Slots<'a, R> {
    room: &'a mut [R],
    used: usize,
    more: Vec<R>,
}

impl<'a, R> Slots<'a, R> {
    fn new(room: &'a mut [R]) -> Self {
        Slots {
            room,
            used: 0,
            more: Vec::new(),
        }
    }

    /// Puts `r` after what this part has made so far.
    pub fn push(&mut self, r: R) {
        match self.room.get_mut(self.used) {
            Some(slot) => {
                *slot = r;
                self.used += 1;
            }
            None => self.more.push(r),
        }
    }
}

/// `part` run over `0..len` in contiguous ranges, one per thread ([`threads`]; one alone
/// below `MIN_PART` (2,048) items a thread), each pushing what it makes into [`Slots`]; what all
/// parts made, in the ranges' order. The result is that of one part over `0..len` for any
/// `part` that treats each index on its own; the first error in that order is returned.
///
/// The parts fill one buffer of `room(range)` items for each range (an upper bound of what
/// the range makes, e.g. four clocks a case), allocated once as one thread's would be: no
/// part keeps a list of its own to be copied together at the end, which would hold
/// everything twice. A part that makes more than its room still gives the right answer,
/// through a copy.
pub fn fill_parts<R, E, F>(
    len: usize,
    room: impl Fn(Range<usize>) -> usize,
    blank: R,
    part: F,
) -> Result<Vec<R>, E>
where
    R: Copy + Send + Sync,
    E: Send,
    F: Fn(Range<usize>, &mut Slots<'_, R>) -> Result<(), E> + Sync,
{
    let ranges = ranges(len, threads().min(len / MIN_PART).max(1));
    let rooms: Vec<usize> = ranges.iter().map(|r| room(r.clone())).collect();
    let mut all = vec![blank; rooms.iter().sum()];
    // Each part's piece of `all`, in order.
    let mut pieces = Vec::with_capacity(ranges.len());
    let mut rest = all.as_mut_slice();
    for n in &rooms {
        let (piece, after) = rest.split_at_mut(*n);
        pieces.push(piece);
        rest = after;
    }
    let work: Vec<_> = ranges.iter().cloned().zip(pieces).collect();
    let made = on_threads(work, |given, k| {
        // A piece that went with a thread that did not start: a list of its own.
        let (r, piece) = given.unwrap_or_else(|| (ranges[k].clone(), &mut []));
        let mut slots = Slots::new(piece);
        part(r, &mut slots)?;
        Ok((slots.used, slots.more))
    });
    let made = made.into_iter().collect::<Result<Vec<_>, E>>()?;
    if made.iter().all(|(_, more)| more.is_empty()) {
        // Each part's items moved down to follow the previous part's, in place.
        let (mut to, mut from) = (0, 0);
        for ((used, _), n) in made.iter().zip(&rooms) {
            all.copy_within(from..from + used, to);
            to += used;
            from += n;
        }
        all.truncate(to);
        return Ok(all);
    }
    let mut whole = Vec::new();
    let mut from = 0;
    for ((used, more), n) in made.into_iter().zip(&rooms) {
        whole.extend_from_slice(&all[from..from + used]);
        whole.extend(more);
        from += n;
    }
    Ok(whole)
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

    /// One pass over `0..len`: the indices not divisible by three, squared, `per` times
    /// each (a filter, so parts make different amounts).
    fn made(r: Range<usize>, per: usize, slots: &mut Slots<'_, usize>) -> Result<(), usize> {
        for i in r.filter(|i| i % 3 != 0) {
            for _ in 0..per {
                slots.push(i * i);
            }
        }
        Ok(())
    }

    fn one_pass(len: usize, per: usize) -> Vec<usize> {
        let mut room = vec![0; len * per];
        let mut slots = Slots::new(&mut room);
        let _ = made(0..len, per, &mut slots);
        let used = slots.used;
        room.truncate(used);
        room
    }

    #[test]
    fn parts_give_what_one_pass_gives_in_order() {
        for len in [0, 5, MIN_PART * 2 - 1, MIN_PART * 2, MIN_PART * 7 + 3] {
            let got = fill_parts(len, |r| r.len() * 2, 0, |r, s| made(r, 2, s));
            assert_eq!(got, Ok(one_pass(len, 2)), "len {len}");
        }
    }

    #[test]
    fn a_part_that_makes_more_than_its_room_still_gives_the_whole_in_order() {
        for len in [5, MIN_PART * 7 + 3] {
            // Room for one a case where three are made.
            let got = fill_parts(len, |r| r.len(), 0, |r, s| made(r, 3, s));
            assert_eq!(got, Ok(one_pass(len, 3)), "len {len}");
        }
    }

    #[test]
    fn the_first_error_in_order_is_returned() {
        let len = MIN_PART * 8;
        let got = fill_parts(
            len,
            |r| r.len(),
            0,
            |r, s| {
                for i in r {
                    if i % (MIN_PART * 3) == MIN_PART * 3 - 1 {
                        return Err(i);
                    }
                    s.push(i);
                }
                Ok(())
            },
        );
        assert_eq!(got, Err(MIN_PART * 3 - 1));
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
