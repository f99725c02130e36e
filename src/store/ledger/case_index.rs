//! The per-case index `<ledger>.cases`: where each case's lines are, so that a single-case
//! command (`show`, `ack`, `note`, `escalate` …) reads only the lines of its case and never
//! the whole ledger.
//!
//! # Layout
//!
//! A fixed header (96 bytes), then one fixed entry (40 bytes, little-endian) per slot `i`
//! from 0 to the last `seq` it covers:
//!
//! | field | bytes | meaning |
//! |---|---|---|
//! | `offset` | 8 | where the line of the event with `seq` i starts in the ledger |
//! | `len` | 4 | its length without the `\n` |
//! | `ordinal` | 4 | the event's place in its case: 1 for the case's first event (0: a case with no slot) |
//! | `prev` | 8 | the `seq` of the case's event before it, 0 for its first |
//! | `check` | 4 | a hash of i and the four fields above |
//! | `head_check` | 4 | a hash of i and `head` |
//! | `head` | 8 | the `seq` of the last event of **case** `ESC-i` (slot 0: of the reserved id `ONCALL`), 0 if none |
//!
//! One array serves both maps because esc numbers a case after the cases before it: case
//! `ESC-n` is opened by an event whose `seq` is at least n, so its slot exists by the time it
//! has an event. A case of a hand-made ledger numbered beyond its opening `seq` gets no slot:
//! the header records the first such number, and that case and every case numbered after it
//! are read without the index.
//!
//! Reading case n: one read of slot n's `head`, then back along `prev` to the case's first
//! event, reading each line by its offset. The header says which ledger (inode and device)
//! and how much of it (the committed length and last `seq`, with a hash of the last line
//! covered) the index describes, whether it is being updated, and during which boot of the
//! machine it was written; a hash over the header guards it against accidental damage.
//!
//! # A cache, never trusted blindly
//!
//! The index is used only when the checkpoint (`<ledger>.idx`) vouches for the file, and it
//! never decides an answer alone: every line read through it must be a complete line of the
//! covered part, parse as an event with the `seq` and case the index says, and the case's
//! ordinals must run down to 1 without a gap. Anything else — a missing, short, stale,
//! garbled or foreign index, one written during another boot (its unsynced writes may have
//! been lost in a crash), one a writer was killed while updating — makes the caller read the
//! ledger as if there were no index. Lines appended after what the index covers (by an older
//! esc, or by a writer that crashed between the ledger's sync and the index's update) are
//! searched directly in that tail.
//!
//! Writers keep it up to date under the lock, after the ledger's sync (the index is not
//! synced: losing it costs one rebuild): they append the batch's entries and move the heads
//! of its cases. An index that lags behind the ledger is extended from where it stops, after
//! checking that the line it last covered is unchanged; one that is missing or unusable is
//! rebuilt from the ledger by the next writer, once. A full scan that rewrites the checkpoint
//! (the ledger changed outside esc) marks the index unusable first, so it is rebuilt rather
//! than trusted over an edited file. Readers never create or rebuild it.

use super::{
    Record, checked_case_number, file_name, find_case, last_line, open_sidecar, parse_record,
};
use crate::case::event::ONCALL;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::Hasher;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::path::Path;

const MAGIC: &[u8; 8] = b"esccases";
const VERSION: u32 = 1;
const HEADER_LEN: u64 = 96;
const ENTRY_LEN: u64 = 40;

/// The header's `state`: the entries are exactly what the header says.
const CLEAN: u32 = 1;
/// A writer is changing the entries: nothing in the file may be trusted.
const UPDATING: u32 = 2;

/// Entries written in one piece while an index is built.
const WRITE_CHUNK: usize = 1 << 16;

/// Head slots updated together in one read-modify-write of their block when this many fall
/// in one block; fewer are written one by one.
const PATCH_BLOCK: u64 = 4096;
const PATCH_DENSE: usize = 16;

/// What the index says about the ledger it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    state: u32,
    /// The boot of the machine during which the index was written (see [`boot`]).
    boot: u64,
    ino: u64,
    dev: u64,
    /// The committed length of the ledger the entries cover: the end of the line of `covered_seq`.
    covered_len: u64,
    covered_seq: u64,
    /// The first case number without a slot (`u64::MAX`: every case has one).
    unslotted_from: u64,
    /// A hash of the last covered line (the ledger's header line when `covered_seq` is 0).
    last_line: u64,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN as usize] {
        let mut out = [0u8; HEADER_LEN as usize];
        out[..8].copy_from_slice(MAGIC);
        out[8..12].copy_from_slice(&VERSION.to_le_bytes());
        out[12..16].copy_from_slice(&self.state.to_le_bytes());
        let fields = self.fields();
        for (i, n) in fields.iter().enumerate() {
            out[16 + 8 * i..24 + 8 * i].copy_from_slice(&n.to_le_bytes());
        }
        let check = self.check();
        out[88..96].copy_from_slice(&check.to_le_bytes());
        out
    }

    fn decode(bytes: &[u8; HEADER_LEN as usize]) -> Option<Header> {
        if &bytes[..8] != MAGIC || u32_at(bytes, 8) != VERSION {
            return None;
        }
        let header = Header {
            state: u32_at(bytes, 12),
            boot: u64_at(bytes, 16),
            ino: u64_at(bytes, 24),
            dev: u64_at(bytes, 32),
            covered_len: u64_at(bytes, 40),
            covered_seq: u64_at(bytes, 48),
            unslotted_from: u64_at(bytes, 56),
            last_line: u64_at(bytes, 64),
        };
        // Bytes 72..88 are reserved (zero).
        (bytes[72..88].iter().all(|&b| b == 0) && u64_at(bytes, 88) == header.check())
            .then_some(header)
    }

    fn fields(&self) -> [u64; 7] {
        [
            self.boot,
            self.ino,
            self.dev,
            self.covered_len,
            self.covered_seq,
            self.unslotted_from,
            self.last_line,
        ]
    }

    fn check(&self) -> u64 {
        let mut h = hasher();
        h.write_u32(VERSION);
        h.write_u32(self.state);
        for n in self.fields() {
            h.write_u64(n);
        }
        h.finish()
    }

    /// Whether the index belongs to `ledger` as it is now during this boot, is complete, and
    /// covers no more than the committed `valid_len` bytes and `last_seq` events.
    fn fits(&self, ledger: Identity, valid_len: u64, last_seq: u64) -> bool {
        let covered_all = self.covered_len == valid_len;
        self.state == CLEAN
            && self.boot == ledger.boot
            && self.ino == ledger.ino
            && self.dev == ledger.dev
            && self.covered_len <= valid_len
            && self.covered_seq <= last_seq
            && covered_all == (self.covered_seq == last_seq)
    }
}

/// One entry (see the module doc).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Entry {
    offset: u64,
    len: u32,
    ordinal: u32,
    prev: u64,
    head: u64,
}

/// Where `head_check` and `head` are in an entry: written together.
const HEAD_AT: u64 = 28;

impl Entry {
    /// The entry of slot `i` as stored.
    fn encode(&self, i: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.ordinal.to_le_bytes());
        out.extend_from_slice(&self.prev.to_le_bytes());
        out.extend_from_slice(&self.check(i).to_le_bytes());
        out.extend_from_slice(&encode_head(i, self.head));
    }

    /// The entry of slot `i`, and whether its event part and its head passed their checks.
    fn decode(i: u64, bytes: &[u8]) -> (Entry, bool, bool) {
        let entry = Entry {
            offset: u64_at(bytes, 0),
            len: u32_at(bytes, 8),
            ordinal: u32_at(bytes, 12),
            prev: u64_at(bytes, 16),
            head: u64_at(bytes, 32),
        };
        let event_ok = u32_at(bytes, 24) == entry.check(i);
        let head_ok = u32_at(bytes, 28) == head_check(i, entry.head);
        (entry, event_ok, head_ok)
    }

    fn check(&self, i: u64) -> u32 {
        let mut h = hasher();
        for n in [
            i,
            self.offset,
            u64::from(self.len),
            u64::from(self.ordinal),
            self.prev,
        ] {
            h.write_u64(n);
        }
        h.finish() as u32
    }
}

fn head_check(i: u64, head: u64) -> u32 {
    let mut h = hasher();
    h.write_u64(i);
    h.write_u64(head);
    h.write_u8(0x68);
    h.finish() as u32
}

/// `head_check` and `head` of slot `i`, as stored.
fn encode_head(i: u64, head: u64) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..4].copy_from_slice(&head_check(i, head).to_le_bytes());
    out[4..].copy_from_slice(&head.to_le_bytes());
    out
}

/// Where slot `i`'s entry starts, and where its head is.
fn entry_pos(i: u64) -> Option<u64> {
    i.checked_mul(ENTRY_LEN)?.checked_add(HEADER_LEN)
}

fn head_pos(i: u64) -> Option<u64> {
    entry_pos(i)?.checked_add(HEAD_AT)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut n = [0u8; 8];
    n.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(n)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut n = [0u8; 4];
    n.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(n)
}

fn hasher() -> siphasher::sip::SipHasher13 {
    // Fixed keys: a checksum, not a secret.
    siphasher::sip::SipHasher13::new_with_keys(0x6573_635f_6361_7365, 0x735f_696e_6465_7801)
}

fn hash_line(line: &[u8]) -> u64 {
    let mut h = hasher();
    h.write(line);
    h.finish()
}

/// The slot of a case id: n for `ESC-<n>`, 0 for `ONCALL`; `None` for an id esc never writes.
fn slot_of(case: &str) -> Option<u64> {
    if case == ONCALL {
        return Some(0);
    }
    checked_case_number(case).ok()
}

/// The ledger file an index belongs to, during this boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Identity {
    boot: u64,
    ino: u64,
    dev: u64,
}

impl Identity {
    /// The identity of the open ledger `file`; `None` where esc keeps no index (no boot id).
    pub(super) fn of(file: &File) -> Option<Identity> {
        let boot = boot()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = file.metadata().ok()?;
            Some(Identity {
                boot,
                ino: meta.ino(),
                dev: meta.dev(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = (file, boot);
            None
        }
    }
}

/// A hash of this boot's id (`/proc/sys/kernel/random/boot_id` on Linux). An index written
/// during another boot may have lost writes in a crash (it is never synced), so it is not
/// used. Without a boot id, esc keeps no index.
fn boot() -> Option<u64> {
    static BOOT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *BOOT.get_or_init(|| {
        let id = std::fs::read("/proc/sys/kernel/random/boot_id").ok()?;
        let id = id.trim_ascii();
        (!id.is_empty()).then(|| hash_line(id))
    })
}

fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(buf, pos)
    }
    #[cfg(not(unix))]
    {
        let _ = (file, buf, pos);
        Err(io::ErrorKind::Unsupported.into())
    }
}

fn write_at(file: &File, buf: &[u8], pos: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.write_all_at(buf, pos)
    }
    #[cfg(not(unix))]
    {
        let _ = (file, buf, pos);
        Err(io::ErrorKind::Unsupported.into())
    }
}

fn read_header(index: &File) -> Option<Header> {
    let mut bytes = [0u8; HEADER_LEN as usize];
    read_at(index, &mut bytes, 0).ok()?;
    Header::decode(&bytes)
}

fn read_raw(index: &File, i: u64) -> Option<(Entry, bool, bool)> {
    let mut bytes = [0u8; ENTRY_LEN as usize];
    read_at(index, &mut bytes, entry_pos(i)?).ok()?;
    Some(Entry::decode(i, &bytes))
}

/// The event part of entry `i` (`offset`, `len`, `ordinal`, `prev`), if it passes its check.
fn read_entry(index: &File, i: u64) -> Option<Entry> {
    read_raw(index, i).and_then(|(entry, ok, _)| ok.then_some(entry))
}

/// The head of slot `i`, if it passes its check.
fn read_head(index: &File, i: u64) -> Option<u64> {
    read_raw(index, i).and_then(|(entry, _, ok)| ok.then_some(entry.head))
}

/// The index at `index_path`, if it fits the ledger as the checkpoint describes it
/// (`valid_len`, `last_seq`) and the last line it covers is unchanged.
fn open_fitting(
    index_path: &Path,
    options: &mut OpenOptions,
    ledger: &File,
    valid_len: u64,
    last_seq: u64,
) -> Option<(File, Header)> {
    let identity = Identity::of(ledger)?;
    let index = open_sidecar(index_path, options).ok()?;
    let header = read_header(&index)?;
    if !header.fits(identity, valid_len, last_seq) {
        return None;
    }
    let entries_len = entry_pos(header.covered_seq.checked_add(1)?)?;
    if index.metadata().ok()?.len() < entries_len {
        return None;
    }
    let line = last_line(ledger, header.covered_len).ok()??;
    if hash_line(&line) != header.last_line {
        return None;
    }
    if header.covered_seq > 0 {
        let last = read_entry(&index, header.covered_seq)?;
        let ends_at = last
            .offset
            .checked_add(u64::from(last.len))?
            .checked_add(1)?;
        if ends_at != header.covered_len || last.len as usize != line.len() {
            return None;
        }
    } else if header.covered_len != line.len() as u64 + 1 {
        return None;
    }
    Some((index, header))
}

/// What the index says about one case.
#[derive(Debug, PartialEq)]
pub(super) enum Lookup {
    /// The case's events, every one checked against its line.
    Found(Vec<Record>),
    /// The index cannot answer: missing, not fitting the ledger, lagging beyond what can be
    /// searched, or changing under a writer right now.
    Unknown,
    /// The index fits the ledger but is wrong about this case: it should be rebuilt.
    Damaged,
}

/// The events of `case` read through the index at `index_path`, for the ledger `file` whose
/// committed lines (vouched for by the checkpoint) end at `valid_len` with `last_seq`.
pub(super) fn read_case(
    path: &Path,
    index_path: &Path,
    file: &File,
    valid_len: u64,
    last_seq: u64,
    case: &str,
) -> Lookup {
    let Some(slot) = slot_of(case) else {
        return Lookup::Unknown;
    };
    let Some((index, header)) = open_fitting(
        index_path,
        OpenOptions::new().read(true),
        file,
        valid_len,
        last_seq,
    ) else {
        return Lookup::Unknown;
    };
    if slot >= header.unslotted_from {
        return Lookup::Unknown;
    }
    let mut records = Vec::new();
    // A case numbered beyond the covered events has no event among them.
    if slot <= header.covered_seq {
        match follow_chain(path, file, &index, &header, slot, case) {
            Ok(chain) => records = chain,
            Err(lookup) => return lookup,
        }
    }
    if header.covered_len < valid_len {
        // Lines appended after the index: searched where they are.
        match search_tail(path, file, &header, valid_len, last_seq, case) {
            Some(tail) => records.extend(tail),
            None => return Lookup::Unknown,
        }
    }
    Lookup::Found(records)
}

/// The events of `case` (in `slot`) that the index covers, in order: from the slot's head
/// back along `prev`, each checked against its line.
fn follow_chain(
    path: &Path,
    file: &File,
    index: &File,
    header: &Header,
    slot: u64,
    case: &str,
) -> Result<Vec<Record>, Lookup> {
    let mut records = Vec::new();
    let mut seq = read_head(index, slot).ok_or(Lookup::Damaged)?;
    let mut expected: Option<u32> = None;
    while seq != 0 {
        if seq > header.covered_seq {
            // A writer is moving this head right now.
            return Err(Lookup::Unknown);
        }
        let entry = read_entry(index, seq).ok_or(Lookup::Damaged)?;
        let ordinal = expected.unwrap_or(entry.ordinal);
        let record = read_line(path, file, header.covered_len, entry);
        let fits = ordinal != 0
            && entry.ordinal == ordinal
            && entry.prev < seq
            // The first event of the case ends the chain; one that ends early skipped one.
            && (ordinal == 1) == (entry.prev == 0)
            && record
                .as_ref()
                .is_some_and(|r| r.seq == seq && r.case == case);
        match record {
            Some(record) if fits => records.push(record),
            _ => return Err(Lookup::Damaged),
        }
        expected = Some(ordinal - 1);
        seq = entry.prev;
    }
    records.reverse();
    Ok(records)
}

/// The events of `case` among the committed lines after what the index covers.
fn search_tail(
    path: &Path,
    file: &File,
    header: &Header,
    valid_len: u64,
    last_seq: u64,
    case: &str,
) -> Option<Vec<Record>> {
    let mut tail = vec![0u8; usize::try_from(valid_len - header.covered_len).ok()?];
    read_at(file, &mut tail, header.covered_len).ok()?;
    let found = find_case(path, &tail, tail.len() as u64, case).ok()?;
    let mut last = header.covered_seq;
    for record in &found {
        if record.seq <= last || record.seq > last_seq {
            return None;
        }
        last = record.seq;
    }
    Some(found)
}

/// The event on the line `entry` points at, which must be a whole line of the covered part.
fn read_line(path: &Path, file: &File, covered_len: u64, entry: Entry) -> Option<Record> {
    let len = entry.len as usize;
    let end = entry.offset.checked_add(entry.len as u64)?;
    if entry.offset == 0 || end >= covered_len {
        return None;
    }
    // The line with the `\n` before and after it.
    let mut bytes = vec![0u8; len.checked_add(2)?];
    read_at(file, &mut bytes, entry.offset - 1).ok()?;
    if bytes.first() != Some(&b'\n') || bytes.last() != Some(&b'\n') {
        return None;
    }
    parse_record(path, 0, &bytes[1..=len]).ok()
}

/// Marks the index unusable (the ledger changed outside esc): the next writer rebuilds it.
/// Never creates the file.
pub(super) fn invalidate(index_path: &Path) {
    if let Ok(index) = open_sidecar(index_path, OpenOptions::new().write(true)) {
        let _ = write_at(&index, &[0u8; 8], 0);
    }
}

/// One line of the ledger, as the index records it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line<'a> {
    pub offset: u64,
    /// Without the `\n`.
    pub len: u64,
    pub seq: u64,
    pub case: &'a str,
}

/// After a writer appended `lines` (one committed batch) to the ledger `file`, whose
/// committed part ended at `start` with `start_seq` before them: brings the index at
/// `index_path` up to date — extended, or rebuilt when it is missing or unusable. Failures
/// are ignored (the index is only a cache; an unusable one is never used).
pub(super) fn after_append(
    path: &Path,
    index_path: &Path,
    file: &File,
    start: u64,
    start_seq: u64,
    lines: &[Line<'_>],
) {
    let Some(identity) = Identity::of(file) else {
        return;
    };
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    let extended = open_fitting(index_path, &mut options, file, start, start_seq).and_then(
        |(index, header)| {
            let mut builder = Builder::new(path, file, index, header, false);
            // Marked as being changed first: if this writer dies midway, nothing in the
            // file is trusted.
            builder.set_state(UPDATING)?;
            builder.add_all(start, lines)
        },
    );
    if extended.is_none() {
        let _ = rebuild(path, index_path, file, identity, start, lines);
    }
}

/// Writes a new index for the ledger up to `start` and `lines` beside it, then renames it
/// into place.
fn rebuild(
    path: &Path,
    index_path: &Path,
    file: &File,
    identity: Identity,
    start: u64,
    lines: &[Line<'_>],
) -> Option<()> {
    let dir = index_path.parent().filter(|d| !d.as_os_str().is_empty());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name(index_path)))
        .suffix(".tmp")
        .tempfile_in(dir.unwrap_or(Path::new(".")))
        .ok()?;
    // The ledger's header line is what an index of no event covers.
    let mut first = Vec::new();
    let mut reader = file;
    reader.seek(SeekFrom::Start(0)).ok()?;
    io::BufReader::new(reader)
        .take(start)
        .read_until(b'\n', &mut first)
        .ok()?;
    if first.pop() != Some(b'\n') {
        return None;
    }
    let header = Header {
        state: UPDATING,
        boot: identity.boot,
        ino: identity.ino,
        dev: identity.dev,
        covered_len: first.len() as u64 + 1,
        covered_seq: 0,
        unslotted_from: u64::MAX,
        last_line: hash_line(&first),
    };
    let index = tmp.as_file().try_clone().ok()?;
    write_at(&index, &header.encode(), 0).ok()?;
    let mut slot0 = Vec::new();
    Entry::default().encode(0, &mut slot0);
    write_at(&index, &slot0, HEADER_LEN).ok()?;
    Builder::new(path, file, index, header, true).add_all(start, lines)?;
    tmp.persist(index_path).ok()?;
    Some(())
}

/// Hands every line of the ledger `file` between `from` and `to` (both line boundaries) to
/// `add`, with its `seq` and case read from the line. `None` if a line does not read.
fn scan(
    file: &File,
    from: u64,
    to: u64,
    mut add: impl FnMut(Line<'_>) -> Option<()>,
) -> Option<()> {
    #[derive(Deserialize)]
    struct SeqCase<'a> {
        seq: u64,
        #[serde(borrow)]
        case: Cow<'a, str>,
    }
    let mut reader = file;
    reader.seek(SeekFrom::Start(from)).ok()?;
    let mut reader = io::BufReader::with_capacity(1 << 20, reader.take(to.checked_sub(from)?));
    let mut line = Vec::new();
    let mut offset = from;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).ok()?;
        if n == 0 {
            break;
        }
        if line.pop() != Some(b'\n') {
            return None;
        }
        let fields: SeqCase = serde_json::from_slice(&line).ok()?;
        add(Line {
            offset,
            len: line.len() as u64,
            seq: fields.seq,
            case: &fields.case,
        })?;
        offset += n as u64;
    }
    (offset == to).then_some(())
}

/// What the index knows of one case while lines are added.
#[derive(Debug, Clone, Copy)]
struct CaseState {
    head: u64,
    ordinal: u32,
    /// Whether `head` changed and must be written.
    moved: bool,
}

/// Adds lines to an index: new entries are buffered (and written in chunks), heads of the
/// cases they belong to are kept here and written at the end.
struct Builder<'a> {
    path: &'a Path,
    ledger: &'a File,
    index: File,
    header: Header,
    /// A new index: no head in the file is set but those this builder wrote.
    fresh: bool,
    /// The last `seq` whose entry is in the file.
    written: u64,
    /// Entries after `written`, in `seq` order.
    pending: Vec<Entry>,
    cases: HashMap<u64, CaseState>,
}

impl<'a> Builder<'a> {
    fn new(path: &'a Path, ledger: &'a File, index: File, header: Header, fresh: bool) -> Self {
        Builder {
            path,
            ledger,
            index,
            header,
            fresh,
            written: header.covered_seq,
            pending: Vec::new(),
            cases: HashMap::new(),
        }
    }

    fn set_state(&mut self, state: u32) -> Option<()> {
        self.header.state = state;
        write_at(&self.index, &self.header.encode(), 0).ok()
    }

    /// Adds the ledger's lines from what the index covers up to `start`, then `lines` (at
    /// `start`), and writes the index.
    fn add_all(mut self, start: u64, lines: &[Line<'_>]) -> Option<()> {
        let ledger = self.ledger;
        if start > self.header.covered_len {
            scan(ledger, self.header.covered_len, start, |line| {
                self.add(line)
            })?;
        }
        if lines.first().is_some_and(|l| l.offset != start) {
            return None;
        }
        for &line in lines {
            self.add(line)?;
        }
        self.finish()
    }

    /// The state of case `case` (in `slot`) as the index holds it. A head taken from the
    /// file is checked against the ledger line it points at: a damaged index is rebuilt
    /// rather than extended.
    fn case(&mut self, slot: u64, case: &str) -> Option<CaseState> {
        if let Some(state) = self.cases.get(&slot) {
            return Some(*state);
        }
        let head = if self.fresh || slot > self.written {
            0
        } else {
            read_head(&self.index, slot)?
        };
        let mut ordinal = 0;
        if head != 0 {
            if head > self.written {
                return None;
            }
            let entry = read_entry(&self.index, head)?;
            let record = read_line(self.path, self.ledger, self.header.covered_len, entry)?;
            if record.seq != head || record.case != case || entry.ordinal == 0 {
                return None;
            }
            ordinal = entry.ordinal;
        }
        Some(CaseState {
            head,
            ordinal,
            moved: false,
        })
    }

    fn add(&mut self, line: Line<'_>) -> Option<()> {
        let seq = self.header.covered_seq.checked_add(1)?;
        if line.seq != seq {
            return None;
        }
        let slot = slot_of(line.case)?;
        // A case numbered beyond its first event's seq gets no slot, nor does any after it.
        if slot > seq {
            self.header.unslotted_from = self.header.unslotted_from.min(slot);
        }
        let mut entry = Entry {
            offset: line.offset,
            len: u32::try_from(line.len).ok()?,
            ..Entry::default()
        };
        if slot < self.header.unslotted_from {
            let state = self.case(slot, line.case)?;
            entry.ordinal = state.ordinal.checked_add(1)?;
            entry.prev = state.head;
            self.cases.insert(
                slot,
                CaseState {
                    head: seq,
                    ordinal: entry.ordinal,
                    moved: true,
                },
            );
        }
        self.pending.push(entry);
        self.header.covered_seq = seq;
        self.header.covered_len = line.offset.checked_add(line.len)?.checked_add(1)?;
        if self.pending.len() >= WRITE_CHUNK {
            self.flush()?;
        }
        Some(())
    }

    /// Writes the pending entries, with the heads known now for their slots.
    fn flush(&mut self) -> Option<()> {
        if self.pending.is_empty() {
            return Some(());
        }
        let first = self.written + 1;
        let mut bytes = Vec::with_capacity(self.pending.len() * ENTRY_LEN as usize);
        for (slot, entry) in (first..).zip(self.pending.iter_mut()) {
            if let Some(state) = self.cases.get_mut(&slot) {
                entry.head = state.head;
                state.moved = false;
            }
            entry.encode(slot, &mut bytes);
        }
        write_at(&self.index, &bytes, entry_pos(first)?).ok()?;
        self.written += self.pending.len() as u64;
        self.pending.clear();
        Some(())
    }

    /// Writes what is left, the moved heads, and the header saying what is covered now.
    fn finish(mut self) -> Option<()> {
        self.flush()?;
        let mut moved: Vec<(u64, u64)> = self
            .cases
            .iter()
            .filter(|(_, s)| s.moved)
            .map(|(&slot, s)| (slot, s.head))
            .collect();
        moved.sort_unstable();
        patch_heads(&self.index, &moved)?;
        let line = last_line(self.ledger, self.header.covered_len).ok()??;
        self.header.last_line = hash_line(&line);
        self.set_state(CLEAN)
    }
}

/// Writes `heads` (slot, head), sorted by slot: one by one where they are sparse, a block
/// at a time (read, patch, write) where many fall in one block.
fn patch_heads(index: &File, heads: &[(u64, u64)]) -> Option<()> {
    let mut rest = heads;
    while let Some(&(slot, _)) = rest.first() {
        let block = slot / PATCH_BLOCK;
        let n = rest
            .iter()
            .take_while(|(s, _)| s / PATCH_BLOCK == block)
            .count();
        let (group, after) = rest.split_at(n);
        rest = after;
        if group.len() < PATCH_DENSE {
            for &(slot, head) in group {
                write_at(index, &encode_head(slot, head), head_pos(slot)?).ok()?;
            }
            continue;
        }
        let first = block * PATCH_BLOCK;
        let last = group.last()?.0;
        let mut bytes = vec![0u8; usize::try_from((last - first + 1) * ENTRY_LEN).ok()?];
        let at = entry_pos(first)?;
        read_at(index, &mut bytes, at).ok()?;
        for &(slot, head) in group {
            let pos = usize::try_from((slot - first) * ENTRY_LEN + HEAD_AT).ok()?;
            bytes[pos..pos + 12].copy_from_slice(&encode_head(slot, head));
        }
        write_at(index, &bytes, at).ok()?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{append, note, opened, setup};
    use super::super::{Ledger, NewEvent};
    use super::*;
    use std::fs;

    /// Case ids read in every check: interleaved cases, on-call overrides, a case that does
    /// not exist.
    const CASES: [&str; 6] = ["ESC-1", "ESC-2", "ESC-3", "ESC-10", "ONCALL", "ESC-99"];

    fn oncall(text: &str) -> NewEvent {
        note(ONCALL, text)
    }

    /// Ten cases whose events interleave, batches of several cases, on-call overrides.
    fn interleaved() -> (tempfile::TempDir, Ledger) {
        let (dir, ledger) = setup();
        for n in 1..=10 {
            append(&ledger, vec![opened(&format!("ESC-{n}"))]);
        }
        for round in 0..5 {
            let text = format!("round {round}");
            append(
                &ledger,
                vec![note("ESC-1", &text), note("ESC-3", &text), oncall(&text)],
            );
            append(&ledger, vec![note("ESC-2", &text)]);
            append(&ledger, vec![note("ESC-10", &text), note("ESC-1", &text)]);
        }
        (dir, ledger)
    }

    /// The events of `case` from a full scan.
    fn scanned(ledger: &Ledger, case: &str) -> Vec<Record> {
        let all = ledger.read_all().expect("full scan");
        all.into_iter().filter(|r| r.case == case).collect()
    }

    /// The events of `case` through the index alone, `None` if it cannot answer.
    fn indexed(ledger: &Ledger, case: &str) -> Option<Vec<Record>> {
        let file = File::open(ledger.path()).expect("ledger");
        ledger.read_case_indexed(&file, case)
    }

    fn index_path(ledger: &Ledger) -> std::path::PathBuf {
        ledger.sidecar("cases")
    }

    fn header(ledger: &Ledger) -> Option<Header> {
        read_header(&File::open(index_path(ledger)).ok()?)
    }

    /// Every case reads as a full scan has it, without error; through the index too if
    /// `through_index`.
    fn assert_right_answers(ledger: &Ledger, through_index: bool, what: &str) {
        for case in CASES {
            let expected = scanned(ledger, case);
            let read = ledger.read_case(case);
            assert_eq!(read.ok().as_ref(), Some(&expected), "{what}: {case}");
            if through_index {
                assert_eq!(
                    indexed(ledger, case).as_ref(),
                    Some(&expected),
                    "{what}: {case} through the index"
                );
            }
        }
    }

    #[test]
    fn reads_through_the_index_equal_a_full_scan() {
        let (_dir, ledger) = interleaved();
        assert_right_answers(&ledger, true, "interleaved");
        let h = header(&ledger).expect("an index");
        let len = fs::metadata(ledger.path()).unwrap().len();
        assert_eq!((h.state, h.covered_len), (CLEAN, len));
        assert_eq!(scanned(&ledger, "ESC-1").len(), 11);
    }

    #[test]
    fn a_lagging_index_answers_from_the_tail_and_the_next_writer_extends_it() {
        let (_dir, ledger) = interleaved();
        let before = fs::read(index_path(&ledger)).unwrap();
        // A writer that does not keep the index (an older esc, or one that crashed after
        // the ledger's sync): simulated by putting the old index back.
        append(
            &ledger,
            vec![note("ESC-1", "later"), note("ESC-2", "later")],
        );
        append(&ledger, vec![opened("ESC-11"), oncall("later")]);
        fs::write(index_path(&ledger), &before).unwrap();
        let len = fs::metadata(ledger.path()).unwrap().len();
        assert!(header(&ledger).unwrap().covered_len < len);
        assert_right_answers(&ledger, true, "lagging index");
        assert_eq!(indexed(&ledger, "ESC-11").map(|r| r.len()), Some(1));

        append(&ledger, vec![note("ESC-11", "extended")]);
        let len = fs::metadata(ledger.path()).unwrap().len();
        assert_eq!(header(&ledger).unwrap().covered_len, len, "extended");
        assert_right_answers(&ledger, true, "extended index");
        assert_eq!(indexed(&ledger, "ESC-11").map(|r| r.len()), Some(2));
    }

    /// Rewrites the index's header with `change` applied (a valid check, so only the
    /// meaning of the fields is wrong).
    fn forge_header(ledger: &Ledger, change: impl Fn(&mut Header)) {
        let index = OpenOptions::new()
            .read(true)
            .write(true)
            .open(index_path(ledger))
            .unwrap();
        let mut h = read_header(&index).unwrap();
        change(&mut h);
        write_at(&index, &h.encode(), 0).unwrap();
    }

    /// Rewrites entry `i` with `change` applied to its event part, checks recomputed.
    fn forge_entry(ledger: &Ledger, i: u64, change: impl Fn(&mut Entry)) {
        let index = OpenOptions::new()
            .read(true)
            .write(true)
            .open(index_path(ledger))
            .unwrap();
        let (mut entry, _, _) = read_raw(&index, i).unwrap();
        change(&mut entry);
        let mut bytes = Vec::new();
        entry.encode(i, &mut bytes);
        write_at(&index, &bytes, entry_pos(i).unwrap()).unwrap();
    }

    #[test]
    fn a_damaged_or_foreign_index_never_changes_an_answer() {
        let (dir, ledger) = interleaved();
        let good = fs::read(index_path(&ledger)).unwrap();
        let (_other_dir, other) = interleaved();
        let foreign = fs::read(index_path(&other)).unwrap();
        let head_of_1 = scanned(&ledger, "ESC-1").last().unwrap().seq;
        type Damage<'a> = (&'a str, Box<dyn Fn() + 'a>);
        let damages: Vec<Damage> = vec![
            (
                "deleted",
                Box::new(|| fs::remove_file(index_path(&ledger)).unwrap()),
            ),
            (
                "empty",
                Box::new(|| fs::write(index_path(&ledger), b"").unwrap()),
            ),
            (
                "truncated",
                Box::new(|| fs::write(index_path(&ledger), &good[..good.len() / 2]).unwrap()),
            ),
            (
                "garbage",
                Box::new(|| {
                    let junk: Vec<u8> = (0..good.len()).map(|i| (i * 7 + 3) as u8).collect();
                    fs::write(index_path(&ledger), junk).unwrap()
                }),
            ),
            (
                "garbage after the header",
                Box::new(|| {
                    let mut bytes = good.clone();
                    bytes[HEADER_LEN as usize..].fill(0x5a);
                    fs::write(index_path(&ledger), bytes).unwrap()
                }),
            ),
            (
                "another ledger's",
                Box::new(|| fs::write(index_path(&ledger), &foreign).unwrap()),
            ),
            (
                "left updating",
                Box::new(|| forge_header(&ledger, |h| h.state = UPDATING)),
            ),
            (
                "another boot's",
                Box::new(|| forge_header(&ledger, |h| h.boot ^= 1)),
            ),
            (
                "covering more than the ledger",
                Box::new(|| forge_header(&ledger, |h| h.covered_len += 1)),
            ),
            (
                "skipping an event",
                Box::new(|| forge_entry(&ledger, head_of_1, |e| e.prev = e.prev.saturating_sub(3))),
            ),
            (
                "an ordinal off by one",
                Box::new(|| forge_entry(&ledger, head_of_1, |e| e.ordinal -= 1)),
            ),
            (
                "pointing at another case's line",
                Box::new(|| forge_entry(&ledger, head_of_1, |e| e.offset = 17)),
            ),
        ];
        for (what, damage) in &damages {
            fs::write(index_path(&ledger), &good).unwrap();
            damage();
            assert_right_answers(&ledger, false, what);
            assert_eq!(indexed(&ledger, "ESC-1"), None, "{what}: used");
        }
        // Every bit of the index flipped in turn: an answer is right or not given.
        for i in 0..good.len() {
            let mut bytes = good.clone();
            bytes[i] ^= 0x10;
            fs::write(index_path(&ledger), &bytes).unwrap();
            for case in CASES {
                if let Some(records) = indexed(&ledger, case) {
                    assert_eq!(records, scanned(&ledger, case), "byte {i} flipped: {case}");
                }
            }
        }
        // A read that finds the damage marks the index unusable; the next writer rebuilds
        // it, and it is used again.
        for (what, damage) in &damages {
            fs::write(index_path(&ledger), &good).unwrap();
            damage();
            assert_eq!(
                ledger.read_case("ESC-1").unwrap(),
                scanned(&ledger, "ESC-1")
            );
            append(&ledger, vec![note("ESC-2", what)]);
            assert_right_answers(&ledger, true, what);
        }
        drop(dir);
    }

    #[test]
    fn the_index_never_points_into_a_cut_tail() {
        let (_dir, ledger) = interleaved();
        append(
            &ledger,
            vec![note("ESC-1", "a"), note("ESC-1", "b"), note("ESC-3", "c")],
        );
        let covered = header(&ledger).unwrap().covered_len;
        // A crash cut the batch's last line: the whole batch is an uncommitted tail.
        let bytes = fs::read(ledger.path()).unwrap();
        fs::write(ledger.path(), &bytes[..bytes.len() - 10]).unwrap();
        let expected: Vec<String> = scanned(&ledger, "ESC-1")
            .iter()
            .map(|r| format!("{:?}", r.event))
            .collect();
        assert!(
            !expected.iter().any(|e| e.contains("\"a\"")),
            "{expected:?}"
        );
        assert_right_answers(&ledger, false, "torn batch");
        // The next writer cuts the tail and appends where it began; the index follows.
        append(&ledger, vec![note("ESC-1", "after the cut")]);
        let h = header(&ledger).unwrap();
        assert!(h.covered_len < covered);
        assert_eq!(h.covered_len, fs::metadata(ledger.path()).unwrap().len());
        assert_right_answers(&ledger, true, "after the repair");
    }

    #[test]
    fn an_edited_ledger_is_read_afresh_and_the_index_rebuilt() {
        let (_dir, ledger) = interleaved();
        // Two edits that keep every line's length: a note's text, and a note moved from
        // ESC-2 to ESC-3 (the index would miss it in ESC-3's chain).
        let text = fs::read_to_string(ledger.path()).unwrap();
        let edited = text.replacen("round 1", "ROUND 1", 1).replacen(
            "\"case\":\"ESC-2\",\"event\":\"noted\"",
            "\"case\":\"ESC-3\",\"event\":\"noted\"",
            1,
        );
        assert_ne!(edited, text);
        assert_eq!(edited.len(), text.len());
        fs::write(ledger.path(), &edited).unwrap();
        let ours = scanned(&ledger, "ESC-3");
        assert_right_answers(&ledger, false, "edited");
        assert_eq!(ledger.read_case("ESC-3").unwrap(), ours);
        // The full scan that vouched for the edited file marked the index unusable.
        assert_eq!(indexed(&ledger, "ESC-3"), None);
        append(&ledger, vec![note("ESC-3", "after the edit")]);
        assert_right_answers(&ledger, true, "rebuilt after the edit");
    }

    #[test]
    fn readers_never_create_the_index() {
        let (_dir, ledger) = interleaved();
        fs::remove_file(index_path(&ledger)).unwrap();
        assert_right_answers(&ledger, false, "no index");
        assert!(!index_path(&ledger).exists());
        append(&ledger, vec![note("ESC-1", "writer")]);
        assert!(index_path(&ledger).exists());
        assert_right_answers(&ledger, true, "built by the writer");
    }

    #[test]
    fn a_case_numbered_beyond_its_seq_is_read_without_the_index() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1")]);
        append(&ledger, vec![opened("ESC-1000")]);
        append(&ledger, vec![opened("ESC-1001"), note("ESC-1", "x")]);
        append(&ledger, vec![note("ESC-1000", "y"), note("ESC-1001", "z")]);
        assert_eq!(header(&ledger).unwrap().unslotted_from, 1000);
        for case in ["ESC-1", "ESC-1000", "ESC-1001", "ESC-999"] {
            assert_eq!(ledger.read_case(case).unwrap(), scanned(&ledger, case));
        }
        assert_eq!(indexed(&ledger, "ESC-1").map(|r| r.len()), Some(2));
        assert_eq!(indexed(&ledger, "ESC-1000"), None);
        assert_eq!(indexed(&ledger, "ESC-1001"), None);
    }

    #[test]
    fn a_large_batch_is_indexed_in_chunks() {
        let (_dir, ledger) = setup();
        let n = WRITE_CHUNK as u64 + 100;
        let mut batch: Vec<NewEvent> = (1..=n).map(|i| opened(&format!("ESC-{i}"))).collect();
        batch.push(note("ESC-5", "x"));
        append(&ledger, batch);
        append(&ledger, vec![note("ESC-65600", "y"), note("ESC-2", "z")]);
        for case in ["ESC-1", "ESC-2", "ESC-5", "ESC-65536", "ESC-65600"] {
            assert_eq!(
                indexed(&ledger, case),
                Some(scanned(&ledger, case)),
                "{case}"
            );
        }
        // Rebuilt from scratch, the same.
        fs::remove_file(index_path(&ledger)).unwrap();
        append(&ledger, vec![note("ESC-1", "w")]);
        for case in ["ESC-1", "ESC-2", "ESC-5", "ESC-65536", "ESC-65600"] {
            assert_eq!(
                indexed(&ledger, case),
                Some(scanned(&ledger, case)),
                "{case}"
            );
        }
    }
}
