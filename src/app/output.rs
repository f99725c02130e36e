//! Writing to stdout: a closed pipe (`esc list | head`) is a quiet success, not a panic.
//!
//! This is the one place human output is made safe for a terminal: everything written with
//! [`Output::raw`], [`Output::line`] or [`Output::say`] passes through
//! [`crate::render::neutralise`] (escape sequences, carriage returns, other control and bidi
//! characters from case text become visible escapes). Machine formats (`--json`, CSV) go
//! through [`Output::data`] and stay byte-exact.

use anyhow::Result;
use serde::Serialize;
use std::io::{self, ErrorKind, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// What a text written with [`Output::pieces`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// For people: made safe for a terminal and fitted to its width ([`Output::raw`]).
    People,
    /// Markdown: made safe, never wrapped ([`Output::document`]).
    Document,
    /// Machine-readable: exactly as given ([`Output::data`]).
    Data,
}

/// Where command output goes.
pub struct Output {
    /// `--quiet`: commands print nothing on success.
    pub quiet: bool,
    closed: bool,
}

impl Output {
    pub fn new(quiet: bool) -> Self {
        Output {
            quiet,
            closed: false,
        }
    }

    /// Write text for people, made safe for a terminal.
    pub fn raw(&mut self, text: &str) -> Result<()> {
        self.pieces(Text::People, |put| put(text))
    }

    /// Write a Markdown document with tables (a review, a report as `md`), made safe for
    /// a terminal but never wrapped: a table row is one line or no row at all.
    pub fn document(&mut self, text: &str) -> Result<()> {
        self.pieces(Text::Document, |put| put(text))
    }

    /// Write machine-readable text (JSON, CSV) exactly as given.
    pub fn data(&mut self, text: &str) -> Result<()> {
        self.pieces(Text::Data, |put| put(text))
    }

    /// A table for people of `len` rows, the i-th being `row(i)`, then `tail`: drawn a chunk
    /// of rows at a time ([`crate::render::Grid::write_rows`]), so a long table is never
    /// held whole.
    pub fn table(
        &mut self,
        grid: &crate::render::Grid,
        len: usize,
        row: &dyn Fn(usize) -> Vec<crate::render::Styled>,
        tail: &str,
    ) -> Result<()> {
        self.pieces(Text::People, |put| {
            grid.write_rows(len, row, put)?;
            put(tail)
        })
    }

    /// Write text made a piece at a time (a long table, CSV or Markdown of many rows), so
    /// that the whole text is never held: `write` hands each piece to `put`, which treats it
    /// as [`Output::raw`], [`Output::document`] or [`Output::data`] treat their text. A piece
    /// ends at the end of a line (what [`crate::render::fit`] wraps is a whole line).
    pub fn pieces(
        &mut self,
        kind: Text,
        write: impl FnOnce(&mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<()>,
    ) -> Result<()> {
        let colour = crate::render::layout().color;
        self.with_plain_stdout(|w| {
            write(&mut |text: &str| match kind {
                Text::People => {
                    let safe = crate::render::neutralise(text, colour);
                    w.write_all(crate::render::fit(&safe).as_bytes())
                }
                Text::Document => w.write_all(crate::render::neutralise(text, colour).as_bytes()),
                Text::Data => w.write_all(text.as_bytes()),
            })
        })
    }

    /// Write one line.
    pub fn line(&mut self, text: &str) -> Result<()> {
        self.raw(&format!("{text}\n"))
    }

    /// Write a line unless `--quiet`.
    pub fn say(&mut self, text: &str) -> Result<()> {
        if self.quiet {
            return Ok(());
        }
        self.line(text)
    }

    /// Pretty JSON on one document, serialised straight into a buffered stdout (a large
    /// document is never held in memory as text).
    pub fn json<T: Serialize>(&mut self, value: &T) -> Result<()> {
        self.with_stdout(|w| {
            super::pretty::to_writer(&mut *w, value)?;
            w.write_all(b"\n")
        })
    }

    /// Pretty JSON of an array of `len` elements, the i-th being `item(i)`, as the whole
    /// document: what [`Output::json`] writes for `[item(0), item(1), …]`, byte for byte,
    /// with the elements made and turned into text on every core (see `write_array`).
    pub fn json_array<T, F>(&mut self, len: usize, item: F) -> Result<()>
    where
        T: Serialize,
        F: Fn(usize) -> T + Sync,
    {
        self.with_stdout(|w| {
            write_array(w, 0, len, &item)?;
            w.write_all(b"\n")
        })
    }

    /// Pretty JSON of the object `head` with one more field, `key`, last, holding the array
    /// of `len` elements `item(i)`: what [`Output::json`] writes for such a struct, byte for
    /// byte, the array made as in [`Output::json_array`].
    pub fn json_object_with_array<H, T, F>(
        &mut self,
        head: &H,
        key: &str,
        len: usize,
        item: F,
    ) -> Result<()>
    where
        H: Serialize,
        T: Serialize,
        F: Fn(usize) -> T + Sync,
    {
        self.with_stdout(|w| {
            w.write_all(&object_opened_for(head, key)?)?;
            write_array(w, 1, len, &item)?;
            w.write_all(b"\n}\n")
        })
    }

    /// Runs `write` on a buffered stdout and flushes it; a closed pipe ends the output
    /// quietly.
    fn with_stdout(
        &mut self,
        write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> io::Result<()>,
    ) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let written = write(&mut stdout).and_then(|()| stdout.flush());
        self.ended(written)
    }

    /// Runs `write` on stdout as it is (line-buffered: no buffer of our own to make for a
    /// line, and a large piece goes out at once) and flushes it; a closed pipe ends the
    /// output quietly.
    fn with_plain_stdout(
        &mut self,
        write: impl FnOnce(&mut std::io::StdoutLock<'static>) -> io::Result<()>,
    ) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let mut stdout = std::io::stdout().lock();
        let written = write(&mut stdout).and_then(|()| stdout.flush());
        self.ended(written)
    }

    /// The outcome of a write: a closed pipe (`esc list | head`) closes the output quietly.
    fn ended(&mut self, written: io::Result<()>) -> Result<()> {
        match written {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Elements turned into text at a time: about 450 KB of a list's JSON, so that what is in
/// flight (a chunk being written, one waiting and one being made per thread) stays small
/// and the threads still hand over rarely. 1,024 held 1–2 MB more at the same speed, which
/// took `report breaches` over 100,000 open cases to the edge of 64 MiB.
const CHUNK: usize = 512;

/// The text of `head` (which must serialise as a JSON object) up to where a last field
/// `key` holds its value: `{` and the fields, then `"key": `, as pretty JSON.
fn object_opened_for<H: Serialize>(head: &H, key: &str) -> io::Result<Vec<u8>> {
    let mut text = super::pretty::to_vec(head)?;
    let key = super::pretty::to_vec(key)?;
    if text == b"{}" {
        text.truncate(1);
        text.extend_from_slice(b"\n  ");
    } else if text.ends_with(b"\n}") {
        text.truncate(text.len() - 2);
        text.extend_from_slice(b",\n  ");
    } else {
        return Err(io::Error::other(
            "esc could not write its JSON output (a report head that is not an object); \
             please report this",
        ));
    }
    text.extend_from_slice(&key);
    text.extend_from_slice(b": ");
    Ok(text)
}

/// Writes the pretty JSON array `[item(0), …, item(len - 1)]` as it appears nested `depth`
/// levels deep in a pretty document (each level indents by two spaces). The elements are
/// made and turned into text in chunks of [`CHUNK`], shared round-robin among
/// [`crate::par::threads`] threads, and written in order: chunk `k` is the pretty text
/// ([`super::pretty`], serde_json's bytes) of its elements as they lie between the array's
/// brackets, so the bytes are those of serialising the whole array in one go.
fn write_array<W, T, F>(w: &mut W, depth: usize, len: usize, item: &F) -> io::Result<()>
where
    W: Write,
    T: Serialize,
    F: Fn(usize) -> T + Sync,
{
    let chunks = len.div_ceil(CHUNK);
    let text = |k: usize, buffer: Vec<u8>| {
        chunk_text(depth, k * CHUNK..((k + 1) * CHUNK).min(len), item, buffer)
    };
    w.write_all(b"[")?;
    let lanes = crate::par::threads().min(chunks).max(1);
    std::thread::scope(|scope| -> io::Result<()> {
        // Lane 0 is this thread; lane t > 0 a thread making chunks t, t + lanes, … in
        // order, each handed over when the one before it has been taken. A chunk's buffer,
        // once written, goes back to its lane for a later chunk: made in a buffer that
        // already has the room, a chunk's text is never copied as it grows.
        type Lane = (Receiver<io::Result<Vec<u8>>>, SyncSender<Vec<u8>>);
        let others: Vec<Option<Lane>> = (1..lanes)
            .map(|t| {
                let (hand, take) = sync_channel::<io::Result<Vec<u8>>>(1);
                let (give_back, back) = sync_channel::<Vec<u8>>(2);
                let started = std::thread::Builder::new()
                    .name("esc-json".into())
                    .spawn_scoped(scope, move || {
                        for k in (t..chunks).step_by(lanes) {
                            let made = text(k, back.try_recv().unwrap_or_default());
                            let failed = made.is_err();
                            if hand.send(made).is_err() || failed {
                                break;
                            }
                        }
                    });
                started.ok().map(|_| (take, give_back))
            })
            .collect();
        let mut own = Vec::new();
        for k in 0..chunks {
            let lane = k % lanes;
            let other = lane.checked_sub(1).and_then(|t| others[t].as_ref());
            let made = match other {
                // A lane that stopped early (its thread failed) is made here instead.
                Some((take, _)) => take
                    .recv()
                    .unwrap_or_else(|_| text(k, std::mem::take(&mut own))),
                None => text(k, std::mem::take(&mut own)),
            }?;
            if k > 0 {
                w.write_all(b",")?;
            }
            w.write_all(&made)?;
            match other {
                Some((_, give_back)) => {
                    // A full or closed lane drops it.
                    let _ = give_back.try_send(made);
                }
                None => own = made,
            }
        }
        Ok(())
    })?;
    if len > 0 {
        w.write_all(b"\n")?;
        w.write_all(&b"  ".repeat(depth))?;
    }
    w.write_all(b"]")
}

/// The text of elements `range` as they appear inside an array nested `depth` levels deep
/// in a pretty document: `\n`, the indent and each element, separated by `,` — what lies
/// between the brackets ([`super::pretty::elements_to_vec`]).
/// Written into `buffer` (emptied first).
fn chunk_text<T, F>(
    depth: usize,
    range: std::ops::Range<usize>,
    item: &F,
    buffer: Vec<u8>,
) -> io::Result<Vec<u8>>
where
    T: Serialize,
    F: Fn(usize) -> T,
{
    Ok(super::pretty::elements_to_vec(
        depth + 1,
        range.map(item),
        buffer,
    )?)
}

/// A JSON array whose elements are made one at a time while it is written: `items` is
/// consumed by the first serialisation (a second one writes `[]`). With
/// [`Output::json`], a list of a hundred thousand cases never exists as a whole.
pub struct Each<I>(std::cell::Cell<Option<I>>);

impl<I> Each<I> {
    pub fn new(items: I) -> Self {
        Each(std::cell::Cell::new(Some(items)))
    }
}

impl<I> Serialize for Each<I>
where
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        for item in self.0.take().into_iter().flatten() {
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row with a nested object, an array and text that needs escaping.
    #[derive(Serialize)]
    struct Row {
        id: String,
        n: usize,
        tags: Vec<&'static str>,
        sla: std::collections::BTreeMap<&'static str, Option<usize>>,
    }

    fn row(i: usize) -> Row {
        Row {
            id: format!("ESC-{i} \"q\"\n"),
            n: i,
            tags: if i.is_multiple_of(2) {
                vec![]
            } else {
                vec!["a", "b"]
            },
            sla: [("due", Some(i)), ("at", None)].into_iter().collect(),
        }
    }

    #[derive(Serialize)]
    struct Head {
        now: &'static str,
        count: usize,
    }

    #[derive(Serialize)]
    struct Whole {
        now: &'static str,
        count: usize,
        rows: Vec<Row>,
    }

    #[test]
    fn an_array_made_in_chunks_is_the_text_of_one_serialisation() {
        for len in [0, 1, 2, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let mut got = Vec::new();
            write_array(&mut got, 0, len, &row).expect("written");
            let rows: Vec<Row> = (0..len).map(row).collect();
            let want = serde_json::to_vec_pretty(&rows).expect("serialised");
            assert!(got == want, "top level, {len} elements");

            let mut got = object_opened_for(
                &Head {
                    now: "t",
                    count: len,
                },
                "rows",
            )
            .expect("head");
            write_array(&mut got, 1, len, &row).expect("written");
            got.extend_from_slice(b"\n}");
            let whole = Whole {
                now: "t",
                count: len,
                rows,
            };
            let want = serde_json::to_vec_pretty(&whole).expect("serialised");
            assert!(
                got == want,
                "in an object, {len} elements:\n{}",
                String::from_utf8_lossy(&got)
            );
        }
    }

    #[test]
    fn a_head_without_fields_still_opens_the_array_field() {
        #[derive(Serialize)]
        struct Empty {}
        #[derive(Serialize)]
        struct Only {
            rows: Vec<Row>,
        }
        let mut got = object_opened_for(&Empty {}, "rows").expect("head");
        write_array(&mut got, 1, 3, &row).expect("written");
        got.extend_from_slice(b"\n}");
        let want = serde_json::to_vec_pretty(&Only {
            rows: (0..3).map(row).collect(),
        })
        .expect("serialised");
        assert!(got == want);
        assert!(object_opened_for(&[1, 2], "rows").is_err());
    }
}
