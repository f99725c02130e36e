//! The ledger: an append-only JSON Lines file of [`Record`]s, the only store of case history.
//!
//! # Format
//!
//! Line 1 is the header `{"esc_ledger":1}` (the format version). Every following line is one
//! [`Record`] as compact JSON, numbered by `seq` 1, 2, 3… without gaps. Every line, the last
//! included, ends with `\n`. Line numbers in messages are 1-based and count the header, so
//! the event with `seq` n is on line n + 1.
//!
//! # Batches: all or nothing
//!
//! One append writes a batch of events (one `open`, a whole `import`, everything one sweep
//! decided). Every line of a batch except its last carries `"more":true` as its last field;
//! a line without it commits itself and every line before it. So a ledger written before
//! batches existed — no line has `more` — is all committed, and the format version stays 1.
//! Readers take only committed lines as data: lines after the last committed one are the
//! uncommitted tail of a batch cut short by a crash, treated exactly like a torn tail (below).
//! The marker never leaves this module: [`Record`] and [`NewEvent`] know nothing of it, and a
//! store on another backend keeps the same rule with a transaction per batch.
//!
//! # Files beside the ledger (for `ledger.jsonl`)
//!
//! - `ledger.jsonl.lock` — the write lock. It is never deleted (deleting a lock file races).
//! - `ledger.jsonl.idx` — the checkpoint, a cache (see below). Deleting it loses nothing.
//! - `ledger.jsonl.cases` — the per-case index, a cache (see [`case_index`]): where each
//!   case's lines are, so that [`Ledger::read_case`] reads only those. Made and kept by
//!   writers, used only when the checkpoint vouches for the file and every line read
//!   through it checks out. Deleting it loses nothing.
//! - `ledger.jsonl.torn` — torn and uncommitted tails cut from the ledger's end, kept for
//!   inspection.
//!
//! All of them, and the ledger, are created with mode 0600 (owner only). The sidecar files
//! are opened with `O_NOFOLLOW`: a symbolic link planted at one of their names is refused,
//! never followed. The ledger path itself may be a symbolic link, but what it names must be a
//! regular file: a FIFO, a device (`/dev/zero`) or a directory is refused before any read.
//!
//! # Writing: one lock, one write, one sync
//!
//! [`Ledger::lock`] takes an exclusive lock ([`File::lock`], `flock` on Unix) on the ledger's
//! directory and then on the sibling file `<ledger>.lock`, not on the ledger itself. These
//! can be taken before the ledger exists (the first append creates it), and the writer opens
//! the ledger by name only after it holds them, so it always appends to the current file
//! even if the ledger was replaced (a backup restored, an editor's save-by-rename) while it
//! waited. The directory lock cannot be lost: a cleaner that deletes `<ledger>.lock` while a
//! writer holds it cannot delete the directory holding the ledger, so a second writer still
//! waits. The sibling lock keeps older versions of esc out; after taking it the writer checks
//! that the file it locked is still the one at that name (same device and inode) and locks
//! the new one if not. Under the guard the
//! caller reads the state it needs and calls [`WriteGuard::append`], which numbers the events
//! from the last `seq`, writes all their lines in one `write`, and `sync_data`s before
//! returning. If the write or the sync fails, the file is cut back to where it was, so a
//! failed append leaves no partial lines (and a crash leaves at most an uncommitted tail).
//!
//! A brand-new ledger file gets its header written and synced, and its directory entry
//! synced, *before* any event is written: if syncing the directory fails, the command fails
//! with no event written and the new file removed again (so the retry syncs its directory
//! entry anew): a retry never records a case twice.
//! Once the events' own sync succeeds, the append has succeeded. [`Ledger::create`] (`esc
//! init`) writes the header to a temporary file and links it into place without replacing
//! anything, so a ledger file never exists half-created.
//!
//! Each line is read back before anything is written: esc never writes a line it could not
//! read again. An append also refuses events that would damage the ledger (below): a case id
//! that is not `ESC-<n>`, a number above [`MAX_CASE_NUMBER`], an `opened` for a number already
//! taken, an event for a case number never given out.
//!
//! # Torn and uncommitted tail
//!
//! Bytes after the last `\n` are a torn write from a crash, and complete lines after the last
//! committed line are an unfinished batch: neither is ever read as data. Reads ignore them
//! and report them ([`Scan::torn_tail`], [`Summary::torn_tail`], [`VerifyReport::torn_tail`]).
//! The next append, under the lock, first copies them to `<ledger>.torn` (synced) and then
//! cuts the ledger back to its last committed line; only bytes that never formed committed
//! data are ever removed, and even those are kept. So the ledger stays append-only for
//! every committed line, and `esc ledger verify` names a tail separately from damage. A file
//! whose only (incomplete) line is not the start of the header is not treated as a torn
//! ledger but as damage, so esc never cuts a file that is not a ledger.
//!
//! # Damage
//!
//! Any other problem is [`LedgerError::Damaged`] with the line number, and every read and
//! every append stops on it: a bad header, an empty line, a line that is not a valid
//! [`Record`], a `seq` that is not the previous one plus one, a case id that is not canonical
//! (`ESC-<n>` with 1 ≤ n ≤ [`MAX_CASE_NUMBER`], no leading zero, no other character), a
//! second `opened` for one case, an event of a case never opened before it, and time going
//! backwards within a case (an event earlier than the case's previous event; across cases
//! time may go back, as a back-fill with `--now` does). [`Ledger::verify`] lists every
//! problem instead of stopping at the first.
//!
//! # Checkpoint (`<ledger>.idx`)
//!
//! Whole-ledger reads ([`Ledger::visit`]) stream the file line by line; the others read it
//! into memory. Appending must not read a 150 MB ledger. The checkpoint records, for one exact
//! state of the ledger file (length, mtime, ctime, inode and device), the last `seq`, the
//! highest case number, whether any on-call override (an event of the reserved id `ONCALL`,
//! to which the case rules below do not apply) exists and where the committed lines end, with a hash of those numbers
//! together with the bytes of the last committed line. It is written atomically (temporary
//! file and rename) after each append and after each full validating scan. Before it is used
//! it must vouch for the file: the metadata must match, the byte before its end must be the
//! `\n` of a committed line whose `seq` is its last `seq`, and the hash must match that line.
//! A checkpoint that fails any of these — forged, stale, from another ledger — is ignored and
//! the ledger is scanned in full, which rewrites it. A file with a tail is always scanned.
//! The reads that return records ([`Ledger::read_all`], [`Ledger::read_case`]) always read
//! the file and report damage they meet, checkpoint or not ([`Ledger::read_case`] reads
//! only its case's lines when the per-case index can answer). (The checkpoint guards against
//! mistakes and stale copies, not against someone who may write the ledger's directory: they
//! could edit the ledger itself.)
//!
//! A reader without the lock writes a checkpoint only if it can take the lock at once and the
//! ledger is still exactly what it scanned; failures to write a checkpoint are ignored (it is
//! only a cache, and one that does not vouch for the file is never used).

mod case_index;

use crate::case::event::ONCALL;
use crate::case::{Event, NewEvent, Record, Seen, Skimmed};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::hash::Hasher;
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The format version written in the header.
pub const FORMAT_VERSION: u64 = 1;

/// The highest case number a ledger may hold: far beyond any real ledger, far below where
/// arithmetic on it could overflow. `esc open` refuses to go past it.
pub const MAX_CASE_NUMBER: u64 = 1_000_000_000_000_000;

/// The header line, newline included.
const HEADER_LINE: &[u8] = b"{\"esc_ledger\":1}\n";

/// How every line of a batch but its last ends: the batch goes on.
const MORE_MARK: &[u8] = b",\"more\":true}";

/// The version of the checkpoint file's own format.
const CHECKPOINT_VERSION: u32 = 3;

/// A checkpoint file is tiny; reading more than this means it is not one.
const MAX_CHECKPOINT_BYTES: u64 = 64 * 1024;

/// The longest last line a checkpoint is checked against; a longer one means a full scan.
const MAX_LAST_LINE_BYTES: u64 = 16 * 1024 * 1024;

/// Mode of every file esc creates beside and for the ledger.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Mode of directories created for a new ledger.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;

/// At most this many problems are kept in a [`VerifyReport`]; the rest are only counted.
const MAX_PROBLEMS: usize = 1000;

/// What to do about a damaged line.
const DAMAGE_HINT: &str =
    "restore the line from a backup or remove it; `esc ledger verify` shows every problem";

/// Why the ledger could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The operating system refused an operation.
    #[error("cannot {action} {}: {error}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    /// A line of the ledger is not what esc wrote there.
    #[error("ledger {} is damaged at line {line}: {message}; {DAMAGE_HINT}", path.display())]
    Damaged {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The ledger was written by a newer (or unknown) format.
    #[error(
        "ledger {} has format version {found}, but this esc reads version {FORMAT_VERSION}; \
         use an esc that supports version {found}",
        path.display()
    )]
    UnsupportedVersion { path: PathBuf, found: u64 },
    /// `create` found a file already there.
    #[error(
        "ledger {} already exists; esc never overwrites a ledger (move it away first to start a new one)",
        path.display()
    )]
    AlreadyExists { path: PathBuf },
    /// The ledger path names something that is not a regular file.
    #[error(
        "ledger {} is {kind}, not a regular file; point --ledger or ESC_LEDGER at a ledger file such as .esc/ledger.jsonl",
        path.display()
    )]
    NotAFile { path: PathBuf, kind: &'static str },
    /// A file beside the ledger is a symbolic link, which esc never follows.
    #[error(
        "{} is a symbolic link; esc never follows links beside the ledger. Remove it (esc recreates the file)",
        path.display()
    )]
    Symlink { path: PathBuf },
    /// An event could not be turned into a line that reads back as the same event.
    #[error(
        "cannot store an event of case `{case}` in ledger {}: {message}; nothing was written (this is a bug in esc)",
        path.display()
    )]
    Encode {
        path: PathBuf,
        case: String,
        message: String,
    },
    /// The events would damage the ledger (a case number out of range or reused).
    #[error("cannot append to ledger {}: {message}; nothing was written", path.display())]
    Refused { path: PathBuf, message: String },
}

/// A tail that is not data: an incomplete last line (a write torn by a crash) and/or complete
/// lines of a batch whose last line never made it to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TornTail {
    /// The 1-based line number the tail starts on.
    pub line: usize,
    /// How many bytes it has.
    pub bytes: u64,
    /// How many of its lines are complete lines of an unfinished batch (0 for a plain torn
    /// write).
    pub lines: usize,
}

/// Every event of the ledger, and its torn tail if it has one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    pub records: Vec<Record>,
    pub torn_tail: Option<TornTail>,
}

/// What an append needs to know, usually answered by the checkpoint without reading the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The `seq` of the last event, 0 for an empty ledger.
    pub last_seq: u64,
    /// The number the next case gets: the highest `ESC-<n>` in the ledger plus one.
    pub next_case_number: u64,
    /// Whether the ledger holds on-call overrides (events of the reserved id `ONCALL`), so
    /// commands read them only when there are some.
    pub has_oncall: bool,
    pub torn_tail: Option<TornTail>,
}

/// One problem found by [`Ledger::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line number (the header is line 1).
    pub line: usize,
    pub message: String,
}

/// The result of checking every line of a ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub path: PathBuf,
    /// Whether the ledger file exists (a missing ledger is an empty one).
    pub exists: bool,
    /// Committed events that read correctly.
    pub events: u64,
    /// Distinct case ids among them.
    pub cases: usize,
    /// The `seq` of the last committed event that read correctly.
    pub last_seq: u64,
    /// A torn or uncommitted tail: acceptable (the next append sets it aside), not damage.
    pub torn_tail: Option<TornTail>,
    /// Damage, in line order; at most 1000 are kept.
    pub problems: Vec<Problem>,
    /// Problems beyond those kept in `problems`.
    pub more_problems: usize,
}

impl VerifyReport {
    /// True when nothing is damaged (a torn tail is not damage).
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, line: usize, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { line, message });
        } else {
            self.more_problems += 1;
        }
    }
}

/// The ledger at one path. Opening it reads nothing; every method reads the file afresh.
#[derive(Debug, Clone)]
pub struct Ledger {
    path: PathBuf,
}

/// Proof of holding the ledger's write lock; the only way to append. Dropping it unlocks.
#[derive(Debug)]
pub struct WriteGuard<'a> {
    ledger: &'a Ledger,
    _lock: Locks,
    repaired: Option<TornTail>,
}

/// The locks a writer holds: the ledger's directory (which a cleaner cannot delete from
/// under it) and the sibling `<ledger>.lock` (which older esc versions take).
#[derive(Debug)]
struct Locks {
    _dir: Option<File>,
    _file: File,
}

impl Ledger {
    /// Opens the ledger at `path`. A missing file is an empty ledger; it is created by the
    /// first append, not here. Anything at `path` that is not a regular file is refused.
    pub fn open(path: impl Into<PathBuf>) -> Result<Ledger, LedgerError> {
        let path = path.into();
        match fs::metadata(&path) {
            Ok(meta) => {
                check_regular(&path, &meta)?;
                Ok(Ledger { path })
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Ledger { path }),
            Err(error) => Err(io_err("open ledger", &path, error)),
        }
    }

    /// Creates a new ledger holding only the header (for `esc init`), with mode 0600, synced
    /// together with its directory. Refuses if anything already exists at `path`.
    pub fn create(path: impl Into<PathBuf>) -> Result<Ledger, LedgerError> {
        let ledger = Ledger { path: path.into() };
        let path = &ledger.path;
        if fs::symlink_metadata(path).is_ok() {
            return Err(LedgerError::AlreadyExists { path: path.clone() });
        }
        let dir = ledger.dir();
        ensure_dir(&dir)?;
        let create_err = |error| io_err("create ledger", path, error);
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", file_name(path)))
            .suffix(".new")
            .tempfile_in(&dir)
            .map_err(create_err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(FILE_MODE))
                .map_err(create_err)?;
        }
        tmp.write_all(HEADER_LINE).map_err(create_err)?;
        tmp.as_file().sync_all().map_err(create_err)?;
        // Link into place only if nothing is there: a ledger is never replaced.
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                LedgerError::AlreadyExists { path: path.clone() }
            } else {
                create_err(e.error)
            }
        })?;
        sync_dir(&dir).map_err(|error| io_err("sync the directory of", path, error))?;
        Ok(ledger)
    }

    /// The ledger file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every committed event, in order. A torn or uncommitted tail is left out (see
    /// [`Ledger::scan`] to learn of it); a damaged line is an error.
    pub fn read_all(&self) -> Result<Vec<Record>, LedgerError> {
        Ok(self.scan()?.records)
    }

    /// Every committed event, in order, and the torn tail if there is one.
    pub fn scan(&self) -> Result<Scan, LedgerError> {
        self.scan_as(Access::Unlocked)
    }

    /// The events of one case, in order. When the checkpoint vouches for the file (esc wrote
    /// and checked every line, and nothing changed it since), only lines of that case are
    /// fully parsed and every other line is checked for shape (`{"seq":N,…}`) and `seq`
    /// order; otherwise every line is parsed, so damage anywhere stops this read. A line not
    /// in esc's compact shape — one edited by hand — is always fully parsed.
    pub fn read_case(&self, case: &str) -> Result<Vec<Record>, LedgerError> {
        let Some(file) = self.open_to_read()? else {
            return Ok(Vec::new());
        };
        if let Some(records) = self.read_case_indexed(&file, case) {
            return Ok(records);
        }
        // The fast path needs the checkpoint's word that esc itself wrote (and so checked)
        // every line; after any outside change, every line is parsed, so damage anywhere
        // stops this read too, and the checkpoint is refreshed for the next command.
        let before = file
            .metadata()
            .map_err(|error| io_err("read ledger", &self.path, error))?;
        check_regular(&self.path, &before)?;
        if let Some(stamp) = Stamp::of(&before)
            && let Some(checkpoint) = self.load_checkpoint(stamp, &file)
        {
            let records = find_case_in_file(&self.path, &file, checkpoint.valid_len, case)?;
            let after = file
                .metadata()
                .map_err(|error| io_err("read ledger", &self.path, error))?;
            // Kept only if the file stayed the same while it was read.
            if Stamp::of(&after) == Some(stamp) {
                return Ok(records);
            }
        }
        let mut records = Vec::new();
        let one = OneCase {
            case,
            records: &mut records,
        };
        self.walk_file(&file, &before, Access::Unlocked, Reading::EVERY, one)?;
        Ok(records)
    }

    /// The events of `case` through the per-case index (`<ledger>.cases`), reading only that
    /// case's lines; `None` when the checkpoint does not vouch for the file or the index
    /// cannot answer for certain (see `case_index`). An index found wrong about the case is
    /// marked unusable, so that the next writer rebuilds it: by a reader only if it can take
    /// the lock at once and the index is still wrong then (not a writer's update in flight).
    fn read_case_indexed(&self, file: &File, case: &str) -> Option<Vec<Record>> {
        let cases = self.sidecar("cases");
        let lookup = || {
            let Some(checkpoint) = file
                .metadata()
                .ok()
                .and_then(|meta| Stamp::of(&meta))
                .and_then(|stamp| self.load_checkpoint(stamp, file))
            else {
                return case_index::Lookup::Unknown;
            };
            case_index::read_case(
                &self.path,
                &cases,
                file,
                checkpoint.valid_len,
                checkpoint.last_seq,
                case,
            )
        };
        match lookup() {
            case_index::Lookup::Found(records) => return Some(records),
            case_index::Lookup::Unknown => return None,
            case_index::Lookup::Damaged => {}
        }
        if self.sidecar("lock").exists()
            && let Ok(Some(_locks)) = self.take_locks(false)
            && lookup() == case_index::Lookup::Damaged
        {
            case_index::invalidate(&cases);
        }
        None
    }

    /// The last `seq`, 0 for an empty ledger.
    pub fn last_seq(&self) -> Result<u64, LedgerError> {
        Ok(self.summary()?.last_seq)
    }

    /// The number for the next case: the highest `n` among the ledger's `ESC-<n>` ids plus one.
    /// Every record's id counts, not only `opened` ones, so no id in the file is ever reused.
    pub fn next_case_number(&self) -> Result<u64, LedgerError> {
        Ok(self.summary()?.next_case_number)
    }

    /// Last `seq`, next case number and torn tail: from the checkpoint when it vouches for
    /// the file, else from a full validating scan (which refreshes the checkpoint).
    pub fn summary(&self) -> Result<Summary, LedgerError> {
        self.summary_as(Access::Unlocked)
    }

    /// [`Ledger::next_case_number`] when the checkpoint answers it; `None` rather than a scan.
    pub fn known_next_case_number(&self) -> Option<u64> {
        let file = self.open_to_read().ok()??;
        let stamp = Stamp::of(&file.metadata().ok()?)?;
        let checkpoint = self.load_checkpoint(stamp, &file)?;
        Some(checkpoint.state().summary().next_case_number)
    }

    /// Takes the exclusive write lock, waiting for other writers. Creates the ledger's
    /// directory if needed (the lock file lives beside the ledger).
    pub fn lock(&self) -> Result<WriteGuard<'_>, LedgerError> {
        ensure_dir(&self.dir())?;
        let locks = self.take_locks(true)?.ok_or_else(|| {
            io_err(
                "lock",
                &self.sidecar("lock"),
                io::Error::other("the lock could not be taken"),
            )
        })?;
        Ok(WriteGuard {
            ledger: self,
            _lock: locks,
            repaired: None,
        })
    }

    /// The write locks, waiting for them if `wait`, else `None` when another writer holds
    /// them. On Unix the ledger's directory is locked first: unlike `<ledger>.lock`, it
    /// cannot be deleted by a cleaner while a writer holds it, so two writers are never in
    /// at once. Then `<ledger>.lock` (which older versions of esc lock) is locked, and
    /// checked to be still the file at that name; if it was deleted or replaced while this
    /// writer waited, the file now at that name is locked instead.
    fn take_locks(&self, wait: bool) -> Result<Option<Locks>, LedgerError> {
        let take = |file: &File, path: &Path| -> Result<bool, LedgerError> {
            if wait {
                file.lock().map_err(|error| io_err("lock", path, error))?;
                return Ok(true);
            }
            match file.try_lock() {
                Ok(()) => Ok(true),
                Err(fs::TryLockError::WouldBlock) => Ok(false),
                Err(fs::TryLockError::Error(error)) => Err(io_err("lock", path, error)),
            }
        };
        let dir_path = self.dir();
        let dir = open_dir_for_lock(&dir_path);
        if let Some(dir) = &dir
            && !take(dir, &dir_path)?
        {
            return Ok(None);
        }
        let lock_path = self.sidecar("lock");
        loop {
            let file = open_lock_file(&lock_path)?;
            if !take(&file, &lock_path)? {
                return Ok(None);
            }
            if is_file_at(&file, &lock_path) {
                return Ok(Some(Locks {
                    _dir: dir,
                    _file: file,
                }));
            }
            // Locked a file no longer at that name: a lock nobody else would ever take.
        }
    }

    /// Checks every line: the header, that each line is a valid event, that `seq` runs from
    /// 1 without gaps, and the rules every case's history keeps (see the module doc).
    /// Reports every problem with its line number, and a torn or uncommitted tail apart from
    /// damage. Errors only when the file cannot be read at all.
    pub fn verify(&self) -> Result<VerifyReport, LedgerError> {
        let mut report = VerifyReport {
            path: self.path.clone(),
            exists: false,
            events: 0,
            cases: 0,
            last_seq: 0,
            torn_tail: None,
            problems: Vec::new(),
            more_problems: 0,
        };
        let Some(mut file) = self.open_to_read()? else {
            return Ok(report);
        };
        // Read a line at a time: a ledger of any size is checked in the memory of its
        // longest line.
        let read_err = |error| io_err("read ledger", &self.path, error);
        check_regular(&self.path, &file.metadata().map_err(read_err)?)?;
        file.seek(SeekFrom::Start(0)).map_err(read_err)?;
        let mut reader = io::BufReader::with_capacity(1 << 16, file);
        report.exists = true;
        let mut buf = Vec::new();
        // The bytes read so far; a last line without its newline is a torn tail.
        let mut len = reader.read_until(b'\n', &mut buf).map_err(read_err)?;
        let Some(header) = buf.strip_suffix(b"\n") else {
            // Not one complete line.
            if HEADER_LINE.starts_with(&buf) {
                report.torn_tail = torn_tail(len as u64, 0, 0, 0);
            } else {
                report.problem(1, NO_COMPLETE_LINE.to_owned());
            }
            return Ok(report);
        };
        if let Err(error) = check_header(&self.path, header) {
            report.problem(1, problem_message(error));
        }
        let mut offset = header.len() + 1;
        let mut committed_len = offset;
        let mut committed_lines = 1;
        let mut cases = HashSet::new();
        let mut batch_cases: Vec<compact_str::CompactString> = Vec::new();
        let mut checker = Checker::default();
        let mut expected = 1;
        let mut after_damage = false;
        for line_no in 2.. {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf).map_err(read_err)?;
            len += n;
            let Some(line) = buf.strip_suffix(b"\n") else {
                break;
            };
            offset += n;
            if line.is_empty() {
                report.problem(line_no, EMPTY_LINE.to_owned());
                continue;
            }
            match parse_record(&self.path, line_no, line) {
                Ok(record) => {
                    // Right after a damaged line the count resumes from what is found:
                    // the damage is already reported there.
                    if record.seq != expected && !after_damage {
                        report.problem(line_no, seq_message(record.seq, expected));
                    }
                    if let Err(message) = checker.check(&record) {
                        report.problem(line_no, message);
                    }
                    after_damage = false;
                    expected = record.seq.saturating_add(1);
                    batch_cases.push(record.case);
                    if !continues(line) {
                        report.events += batch_cases.len() as u64;
                        // On-call overrides belong to no case.
                        cases.extend(batch_cases.drain(..).filter(|c| c != ONCALL));
                        report.last_seq = record.seq;
                        committed_len = offset;
                        committed_lines = line_no;
                    }
                }
                Err(error) => {
                    report.problem(line_no, problem_message(error));
                    expected = expected.saturating_add(1);
                    after_damage = true;
                }
            }
        }
        report.cases = cases.len();
        report.torn_tail = torn_tail(
            len as u64,
            committed_len as u64,
            committed_lines,
            batch_cases.len(),
        );
        Ok(report)
    }

    fn scan_as(&self, access: Access) -> Result<Scan, LedgerError> {
        let mut records = Vec::new();
        let torn_tail =
            self.visit_as(access, Batches::Vouched(None), |batch: &mut Vec<Record>| {
                records.append(batch)
            })?;
        Ok(Scan { records, torn_tail })
    }

    /// Hands every committed event, in order, to `f` without keeping them: a whole-ledger
    /// command (sweep, reports) folds as it reads and never holds all records at once (only
    /// the lines of one batch until its last line commits them). Validates exactly as
    /// [`Ledger::read_all`] does; returns the torn tail if there is one.
    pub fn visit(&self, f: impl FnMut(Record)) -> Result<Option<TornTail>, LedgerError> {
        self.visit_skipping(|_| false, f)
    }

    /// [`Ledger::visit`] without the events `skip` names (by event name, `opened` …). On
    /// lines the checkpoint vouches for (esc wrote and checked them), a skipped event's line
    /// is read only as far as the ledger's rules need (`seq`, `at`, `case`, `event`); others
    /// are read whole, so damage there still stops the read.
    pub fn visit_skipping(
        &self,
        skip: fn(&str) -> bool,
        f: impl FnMut(Record),
    ) -> Result<Option<TornTail>, LedgerError> {
        let skipping = Skip {
            names: skip,
            skimmed: false,
        };
        let batches = Batches::Vouched(Some(skipping));
        self.visit_as(Access::Unlocked, batches, Skipping { skip, f })
    }

    /// [`Ledger::visit`], handing the events `skim` names on as [`Skimmed`]: on lines the
    /// checkpoint vouches for, they are read only as far as the ledger's rules need, and a
    /// queued notification's promise; other lines are read whole (and a skimmed event made
    /// of the record), so damage there still stops the read.
    pub fn visit_skimming(
        &self,
        skim: fn(&str) -> bool,
        f: impl FnMut(Seen),
    ) -> Result<Option<TornTail>, LedgerError> {
        self.visit_skimming_as(Access::Unlocked, skim, f)
    }

    fn visit_skimming_as(
        &self,
        access: Access,
        skim: fn(&str) -> bool,
        f: impl FnMut(Seen),
    ) -> Result<Option<TornTail>, LedgerError> {
        let skimming = Skip {
            names: skim,
            skimmed: true,
        };
        self.visit_as(
            access,
            Batches::Vouched(Some(skimming)),
            Skimming { skim, f },
        )
    }

    /// Hands every committed batch — the events one append wrote together — in order, to
    /// `f`: for copying a ledger to another store with its batch boundaries (one
    /// transaction per batch there). Validates exactly as [`Ledger::visit`] does.
    pub fn visit_batches(
        &self,
        mut f: impl FnMut(Vec<Record>),
    ) -> Result<Option<TornTail>, LedgerError> {
        self.visit_as(
            Access::Unlocked,
            Batches::Whole,
            |batch: &mut Vec<Record>| f(std::mem::take(batch)),
        )
    }

    fn visit_as(
        &self,
        access: Access,
        batches: Batches,
        f: impl Sink,
    ) -> Result<Option<TornTail>, LedgerError> {
        let path = &self.path;
        let read_err = |error| io_err("read ledger", path, error);
        let Some(file) = self.open_to_read()? else {
            return Ok(None);
        };
        let before = file.metadata().map_err(read_err)?;
        let reading = match batches {
            Batches::Whole => Reading::EVERY,
            Batches::Vouched(skip) => Reading {
                vouched: Stamp::of(&before)
                    .and_then(|stamp| self.load_checkpoint(stamp, &file))
                    .map_or(0, |checkpoint| checkpoint.valid_len),
                skip,
            },
        };
        Ok(self
            .walk_file(&file, &before, access, reading, f)?
            .torn_tail())
    }

    /// Walks the open ledger `file` (whose metadata was `before`) from its start, streamed
    /// through a buffer so it is never held in memory whole, and refreshes the checkpoint
    /// if the file stayed the same while it was read.
    fn walk_file(
        &self,
        file: &File,
        before: &fs::Metadata,
        access: Access,
        reading: Reading,
        sink: impl Sink,
    ) -> Result<State, LedgerError> {
        let read_err = |error| io_err("read ledger", &self.path, error);
        // Checking the checkpoint read the last line: start again from the top.
        let mut from = file;
        from.seek(SeekFrom::Start(0)).map_err(read_err)?;
        let reader = io::BufReader::with_capacity(1 << 18, file);
        let layout = walk(&self.path, reader, reading, sink)?;
        let after = file.metadata().map_err(read_err)?;
        let state = State::new(layout);
        if let (Some(a), Some(b)) = (Stamp::of(before), Stamp::of(&after))
            && a == b
            && a.len == layout.len
        {
            self.refresh_checkpoint(a, state, access, file);
        }
        Ok(state)
    }

    fn summary_as(&self, access: Access) -> Result<Summary, LedgerError> {
        let Some(mut file) = self.open_to_read()? else {
            return Ok(State::EMPTY.summary());
        };
        Ok(self.state_of(&mut file, access)?.summary())
    }

    /// The state of the open ledger `file`: from the checkpoint if it vouches for the file,
    /// else by a full validating scan that then refreshes the checkpoint. The scan streams
    /// the file and keeps no record, so the first writer after a copy or a restore (which
    /// the checkpoint no longer describes) does not hold the ledger in memory.
    fn state_of(&self, file: &mut File, access: Access) -> Result<State, LedgerError> {
        let read_err = |error| io_err("read ledger", &self.path, error);
        let before = file.metadata().map_err(read_err)?;
        if let Some(stamp) = Stamp::of(&before)
            && let Some(checkpoint) = self.load_checkpoint(stamp, file)
        {
            return Ok(checkpoint.state());
        }
        check_regular(&self.path, &before)?;
        self.walk_file(file, &before, access, Reading::EVERY, Discard)
    }

    /// Opens the ledger for reading, or `None` if it does not exist. Refuses anything that
    /// is not a regular file without blocking on it (a FIFO is opened non-blocking).
    fn open_to_read(&self) -> Result<Option<File>, LedgerError> {
        let mut options = OpenOptions::new();
        options.read(true);
        match open_ledger_file(&self.path, options) {
            Ok(file) => Ok(Some(file)),
            Err(LedgerError::Io { error, .. }) if error.kind() == io::ErrorKind::NotFound => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// The checkpoint, if there is one, it describes exactly the file with `stamp`, and it
    /// vouches for the file's last committed line.
    fn load_checkpoint(&self, stamp: Stamp, file: &File) -> Option<Checkpoint> {
        let mut bytes = Vec::new();
        open_sidecar(&self.sidecar("idx"), OpenOptions::new().read(true))
            .ok()?
            .take(MAX_CHECKPOINT_BYTES)
            .read_to_end(&mut bytes)
            .ok()?;
        let checkpoint: Checkpoint = serde_json::from_slice(&bytes).ok()?;
        let shape_ok = checkpoint.esc_ledger_idx == CHECKPOINT_VERSION
            && checkpoint.stamp == stamp
            && checkpoint.valid_len == stamp.len
            && checkpoint.max_case <= MAX_CASE_NUMBER;
        if !shape_ok {
            return None;
        }
        let last = last_line(file, checkpoint.valid_len).ok()??;
        (checkpoint.vouches_for(&last) && checkpoint.check == checkpoint.hash(&last))
            .then_some(checkpoint)
    }

    /// Writes the checkpoint for a state just scanned, unless it is already there. Without the
    /// lock, only if the lock is free right now and the file is still the one scanned.
    fn refresh_checkpoint(&self, stamp: Stamp, state: State, access: Access, file: &File) {
        if state.len != state.valid_len {
            // A file with a tail is always scanned; the next append removes the tail.
            return;
        }
        if self.load_checkpoint(stamp, file).map(|c| c.state()) == Some(state) {
            return;
        }
        let Ok(Some(last)) = last_line(file, state.valid_len) else {
            return;
        };
        let checkpoint = Checkpoint::new(stamp, state, &last);
        // The file changed in a way no checkpoint recorded (an edit, a restored copy): the
        // per-case index is not extended over it but rebuilt by the next writer. Marked
        // before the new checkpoint is written, so no reader trusts both together.
        let cases = self.sidecar("cases");
        match access {
            Access::Locked => {
                case_index::invalidate(&cases);
                let _ = self.write_checkpoint(&checkpoint);
            }
            Access::Unlocked => {
                // A reader creates no file: it only refreshes a checkpoint that a writer
                // made, beside the lock file that writer left.
                if !self.sidecar("idx").exists() || !self.sidecar("lock").exists() {
                    return;
                }
                let Ok(Some(_locks)) = self.take_locks(false) else {
                    return;
                };
                let unchanged = fs::metadata(&self.path)
                    .ok()
                    .and_then(|meta| Stamp::of(&meta))
                    == Some(stamp);
                if unchanged {
                    case_index::invalidate(&cases);
                    let _ = self.write_checkpoint(&checkpoint);
                }
            }
        }
    }

    /// Replaces the checkpoint atomically (temporary file, then rename; a link at the name
    /// is replaced, never followed). Not synced: a lost or stale checkpoint only costs a
    /// full scan.
    fn write_checkpoint(&self, checkpoint: &Checkpoint) -> io::Result<()> {
        let idx = self.sidecar("idx");
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", file_name(&idx)))
            .suffix(".tmp")
            .tempfile_in(self.dir())?;
        serde_json::to_writer(&mut tmp, checkpoint)?;
        tmp.persist(&idx).map_err(|e| e.error)?;
        Ok(())
    }

    /// `<ledger>.<ext>`, beside the ledger.
    fn sidecar(&self, ext: &str) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(".");
        name.push(ext);
        PathBuf::from(name)
    }

    /// The directory holding the ledger.
    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        }
    }
}

impl WriteGuard<'_> {
    /// The locked ledger.
    pub fn ledger(&self) -> &Ledger {
        self.ledger
    }

    /// Appends `events` as one batch in one write, numbering them from the last `seq` + 1,
    /// and syncs the file before returning the stored records: after a crash readers see all
    /// of them or none. Removes a torn or uncommitted tail first (keeping its bytes in
    /// `<ledger>.torn`). Creates the ledger with its header if it does not exist yet (header
    /// and directory entry synced before any event is written). Refuses, writing nothing, if
    /// the ledger is damaged or the events would damage it.
    pub fn append(&mut self, events: Vec<NewEvent>) -> Result<Vec<Record>, LedgerError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let ledger = self.ledger;
        let path = &ledger.path;
        let append_err = |error| io_err("append to ledger", path, error);
        let mut options = private_file();
        options.read(true).append(true).create(true);
        let mut file = open_ledger_file(path, options)?;
        let state = ledger.state_of(&mut file, Access::Locked)?;

        // Encode and check everything before touching the file.
        let count = events.len();
        let mut buf = Vec::with_capacity(256 * count);
        let mut records = Vec::with_capacity(count);
        let mut max_case = state.max_case;
        let mut oncall = state.oncall;
        let mut last_line_start = 0;
        let mut line_starts = Vec::with_capacity(count);
        for (i, (seq, event)) in (state.last_seq + 1..).zip(events).enumerate() {
            let mut record = event.into_record(seq);
            record.login = crate::store::login().map(Into::into);
            max_case = admit(path, &record, max_case)?;
            oncall |= record.case == ONCALL;
            last_line_start = buf.len();
            line_starts.push(last_line_start);
            encode(path, &record, &mut buf)?;
            debug_assert!(!buf[last_line_start..].contains(&b'\n'));
            if i + 1 < count {
                // Every line but the batch's last says the batch goes on.
                buf.pop();
                buf.extend_from_slice(MORE_MARK);
            }
            buf.push(b'\n');
            records.push(record);
        }
        let last_seq = state.last_seq + records.len() as u64;

        let mut start = state.valid_len;
        if let Some(torn) = state.torn_tail() {
            keep_torn_fragment(ledger, &mut file, state, torn)?;
            file.set_len(state.valid_len).map_err(append_err)?;
            self.repaired = Some(torn);
        }
        if start == 0 {
            // A new (or torn-header) ledger: make the header and the file's directory entry
            // durable before any event is written, so that a failure here leaves no event
            // behind, and a success of the events' own sync below is the whole truth.
            let durable = file
                .write_all(HEADER_LINE)
                .and_then(|()| file.sync_data())
                .map_err(append_err)
                .and_then(|()| {
                    sync_dir(&ledger.dir())
                        .map_err(|error| io_err("sync the directory of", path, error))
                });
            if let Err(error) = durable {
                if state.len == 0 {
                    // The file was made here and holds no event: remove it, so that a retry
                    // creates it again and syncs its directory entry again.
                    let _ = fs::remove_file(path);
                }
                return Err(error);
            }
            start = HEADER_LINE.len() as u64;
        }
        if let Err(error) = file.write_all(&buf).and_then(|()| file.sync_data()) {
            // Leave no partial lines behind: cut back to where this append started.
            let _ = file.set_len(start).and_then(|()| file.sync_data());
            return Err(append_err(error));
        }

        let expected_len = start + buf.len() as u64;
        if let Some(stamp) = file.metadata().ok().and_then(|meta| Stamp::of(&meta))
            && stamp.len == expected_len
        {
            let after = State {
                len: expected_len,
                valid_len: expected_len,
                last_seq,
                max_case,
                oncall,
                tail_lines: 0,
            };
            let last = &buf[last_line_start..buf.len() - 1];
            let _ = ledger.write_checkpoint(&Checkpoint::new(stamp, after, last));
            // The index after the ledger's sync: a crash before it leaves an index that
            // lags behind, which the next writer extends.
            let ends = line_starts.iter().skip(1).copied().chain([buf.len()]);
            let lines: Vec<case_index::Line<'_>> = line_starts
                .iter()
                .zip(ends)
                .zip(&records)
                .map(|((&from, to), record)| case_index::Line {
                    offset: start + from as u64,
                    len: (to - from - 1) as u64,
                    seq: record.seq,
                    case: &record.case,
                })
                .collect();
            case_index::after_append(
                path,
                &ledger.sidecar("cases"),
                &file,
                start,
                state.last_seq,
                &lines,
            );
        }
        Ok(records)
    }

    /// The torn tail the last [`WriteGuard::append`] removed, if it removed one.
    pub fn repaired(&self) -> Option<TornTail> {
        self.repaired
    }

    /// [`Ledger::summary`], refreshing the checkpoint under the lock if it was stale.
    pub fn summary(&self) -> Result<Summary, LedgerError> {
        self.ledger.summary_as(Access::Locked)
    }

    /// [`Ledger::last_seq`] under the lock.
    pub fn last_seq(&self) -> Result<u64, LedgerError> {
        Ok(self.summary()?.last_seq)
    }

    /// [`Ledger::next_case_number`] under the lock.
    pub fn next_case_number(&self) -> Result<u64, LedgerError> {
        Ok(self.summary()?.next_case_number)
    }

    /// [`Ledger::read_all`] under the lock.
    pub fn read_all(&self) -> Result<Vec<Record>, LedgerError> {
        Ok(self.ledger.scan_as(Access::Locked)?.records)
    }

    /// [`Ledger::visit`] under the lock.
    pub fn visit(&self, mut f: impl FnMut(Record)) -> Result<Option<TornTail>, LedgerError> {
        self.ledger.visit_as(
            Access::Locked,
            Batches::Vouched(None),
            |batch: &mut Vec<Record>| batch.drain(..).for_each(&mut f),
        )
    }

    /// [`Ledger::visit_skimming`] under the lock.
    pub fn visit_skimming(
        &self,
        skim: fn(&str) -> bool,
        f: impl FnMut(Seen),
    ) -> Result<Option<TornTail>, LedgerError> {
        self.ledger.visit_skimming_as(Access::Locked, skim, f)
    }

    /// [`Ledger::read_case`] under the lock.
    pub fn read_case(&self, case: &str) -> Result<Vec<Record>, LedgerError> {
        self.ledger.read_case(case)
    }
}

/// Whether the caller holds the write lock (and so may write the checkpoint freely).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Locked,
    Unlocked,
}

/// What a full validating read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    len: u64,
    /// Where the committed lines end.
    valid_len: u64,
    /// The `seq` of the last committed event.
    last_seq: u64,
    /// The highest case number among committed events.
    max_case: u64,
    /// Whether a committed event belongs to the reserved id `ONCALL`.
    oncall: bool,
    /// Complete lines after `valid_len` (an unfinished batch).
    tail_lines: usize,
}

/// What appending needs to know about a checked ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    /// File length, tail included.
    len: u64,
    /// Length up to and including the last committed line's `\n`.
    valid_len: u64,
    last_seq: u64,
    /// The highest `n` among `ESC-<n>` case ids, 0 if none.
    max_case: u64,
    /// Whether any event belongs to the reserved id `ONCALL` (on-call overrides).
    oncall: bool,
    /// Complete lines of an unfinished batch after `valid_len`.
    tail_lines: usize,
}

impl State {
    const EMPTY: State = State {
        len: 0,
        valid_len: 0,
        last_seq: 0,
        max_case: 0,
        oncall: false,
        tail_lines: 0,
    };

    fn new(layout: Layout) -> State {
        State {
            len: layout.len,
            valid_len: layout.valid_len,
            last_seq: layout.last_seq,
            max_case: layout.max_case,
            oncall: layout.oncall,
            tail_lines: layout.tail_lines,
        }
    }

    /// Committed lines: the header and one per event (none if the header is not complete).
    fn lines(&self) -> usize {
        if self.valid_len == 0 {
            0
        } else {
            usize::try_from(self.last_seq).map_or(usize::MAX, |n| n.saturating_add(1))
        }
    }

    fn torn_tail(&self) -> Option<TornTail> {
        torn_tail(self.len, self.valid_len, self.lines(), self.tail_lines)
    }

    fn summary(&self) -> Summary {
        Summary {
            last_seq: self.last_seq,
            next_case_number: self.max_case.saturating_add(1),
            has_oncall: self.oncall,
            torn_tail: self.torn_tail(),
        }
    }
}

/// The identity of one exact state of the ledger file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Stamp {
    len: u64,
    mtime_ns: i64,
    ctime_ns: i64,
    ino: u64,
    dev: u64,
}

impl Stamp {
    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| s.checked_mul(1_000_000_000)?.checked_add(n);
        Some(Stamp {
            len: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec())?,
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec())?,
            ino: meta.ino(),
            dev: meta.dev(),
        })
    }

    #[cfg(not(unix))]
    fn of(meta: &fs::Metadata) -> Option<Stamp> {
        let since = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some(Stamp {
            len: meta.len(),
            mtime_ns: i64::try_from(since.as_nanos()).ok()?,
            ctime_ns: 0,
            ino: 0,
            dev: 0,
        })
    }
}

/// The `<ledger>.idx` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Checkpoint {
    esc_ledger_idx: u32,
    stamp: Stamp,
    valid_len: u64,
    last_seq: u64,
    max_case: u64,
    oncall: bool,
    /// A hash of every field above and the bytes of the last committed line.
    check: u64,
}

impl Checkpoint {
    /// The checkpoint of a tail-less `state` whose last committed line (without `\n`) is
    /// `last_line` (the header for an empty ledger).
    fn new(stamp: Stamp, state: State, last_line: &[u8]) -> Checkpoint {
        let mut checkpoint = Checkpoint {
            esc_ledger_idx: CHECKPOINT_VERSION,
            stamp,
            valid_len: state.valid_len,
            last_seq: state.last_seq,
            max_case: state.max_case,
            oncall: state.oncall,
            check: 0,
        };
        checkpoint.check = checkpoint.hash(last_line);
        checkpoint
    }

    /// SipHash (fixed keys: a checksum, not a secret) of the fields and the last line.
    fn hash(&self, last_line: &[u8]) -> u64 {
        let mut h = siphasher::sip::SipHasher13::new_with_keys(
            0x6573_635f_6c65_6467,
            0x6572_5f69_6478_0002,
        );
        for n in [
            u64::from(self.esc_ledger_idx),
            self.stamp.len,
            self.stamp.mtime_ns as u64,
            self.stamp.ctime_ns as u64,
            self.stamp.ino,
            self.stamp.dev,
            self.valid_len,
            self.last_seq,
            self.max_case,
            u64::from(self.oncall),
        ] {
            h.write_u64(n);
        }
        h.write(last_line);
        h.finish()
    }

    /// Whether `last_line`, the line that ends at `valid_len`, is what this checkpoint says:
    /// the header for an empty ledger, else a committed event with its `last_seq`.
    fn vouches_for(&self, last_line: &[u8]) -> bool {
        if self.last_seq == 0 {
            return self.max_case == 0
                && !self.oncall
                && last_line.len() + 1 == HEADER_LINE.len()
                && HEADER_LINE.starts_with(last_line);
        }
        !continues(last_line)
            && serde_json::from_slice::<SeqOnly>(last_line).is_ok_and(|l| l.seq == self.last_seq)
    }

    fn state(&self) -> State {
        State {
            len: self.stamp.len,
            valid_len: self.valid_len,
            last_seq: self.last_seq,
            max_case: self.max_case,
            oncall: self.oncall,
            tail_lines: 0,
        }
    }
}

/// The `seq` of a line, without reading the rest.
#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
}

/// The rules every case's history keeps, checked line by line in ledger order.
#[derive(Default)]
struct Checker {
    /// The time of the latest event of every opened case, indexed by case number: case
    /// numbers are given out one after another, so this is dense in practice.
    dense: Vec<Option<DateTime<Utc>>>,
    /// The same for case numbers far beyond the others (only in hand-made ledgers).
    sparse: HashMap<u64, Option<DateTime<Utc>>>,
}

impl Checker {
    /// Why `record` cannot follow the records checked so far, if it cannot.
    fn check(&mut self, record: &Record) -> Result<(), String> {
        let opened = matches!(record.event, Event::Opened { .. });
        self.check_parts(&record.case, record.at, opened)
    }

    /// [`Checker::check`] of an event of `case` at `at` (an `opened` one if `opened`).
    fn check_parts(&mut self, case: &str, at: DateTime<Utc>, opened: bool) -> Result<(), String> {
        if case == ONCALL {
            // On-call overrides belong to no case: none of the case rules apply.
            return Ok(());
        }
        let n = checked_case_number(case)?;
        let Some(last) = self.slot(n, opened) else {
            return Err(format!(
                "an event of case {}, which was never opened (no `opened` event for it on an earlier line)",
                case
            ));
        };
        match last {
            Some(_) if opened => Err(format!(
                "case {} is opened a second time (a case number is never reused)",
                case
            )),
            None if !opened => Err(format!(
                "an event of case {}, which was never opened (no `opened` event for it on an earlier line)",
                case
            )),
            Some(before) if at < *before => Err(format!(
                "time goes backwards in case {}: this event is at {}, after its event at {}",
                case,
                crate::render::rfc3339(at),
                crate::render::rfc3339(*before)
            )),
            _ => {
                *last = Some(at);
                Ok(())
            }
        }
    }

    /// The place for case `n`'s latest time, made if `create`; `None` if it has none.
    fn slot(&mut self, n: u64, create: bool) -> Option<&mut Option<DateTime<Utc>>> {
        let index = usize::try_from(n).ok()?;
        let dense_limit = self.dense.len().saturating_mul(2).saturating_add(1 << 16);
        if index < self.dense.len() || (create && index < dense_limit) {
            if index >= self.dense.len() {
                self.dense.resize(index + 1, None);
            }
            return self.dense.get_mut(index);
        }
        if create {
            return Some(self.sparse.entry(n).or_insert(None));
        }
        self.sparse.get_mut(&n)
    }
}

/// `n` of a canonical case id `ESC-<n>` (1 ≤ n ≤ [`MAX_CASE_NUMBER`], digits only, no leading
/// zero), or why it is not one.
fn checked_case_number(id: &str) -> Result<u64, String> {
    let shown = || id.escape_debug();
    let digits = id.strip_prefix("ESC-").unwrap_or("");
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !canonical {
        return Err(format!(
            "case id \"{}\" is not a canonical case id (ESC- and a number from 1, digits only, no leading zero)",
            shown()
        ));
    }
    match digits.parse::<u64>() {
        Ok(n) if n <= MAX_CASE_NUMBER => Ok(n),
        _ => Err(format!(
            "case id {} is beyond the highest case number a ledger may hold ({MAX_CASE_NUMBER})",
            shown()
        )),
    }
}

/// Checks that `record` may be appended to a ledger whose highest case number is `max_case`
/// (the appending writer's cheap share of the [`Checker`] rules); returns the new highest.
fn admit(path: &Path, record: &Record, max_case: u64) -> Result<u64, LedgerError> {
    let refused = |message: String| LedgerError::Refused {
        path: path.to_owned(),
        message,
    };
    if record.case == ONCALL {
        return Ok(max_case);
    }
    let n = checked_case_number(&record.case).map_err(refused)?;
    if matches!(record.event, Event::Opened { .. }) {
        if n <= max_case {
            return Err(refused(format!(
                "case {} would be opened, but the ledger already has case numbers up to {max_case} (a case number is never reused)",
                record.case
            )));
        }
        return Ok(n);
    }
    if n > max_case {
        return Err(refused(format!(
            "an event of case {}, which was never opened",
            record.case
        )));
    }
    Ok(max_case)
}

/// Whether a ledger line (without its `\n`) says its batch goes on: its last field is
/// `"more":true`. esc writes exactly [`MORE_MARK`] at the end; a hand-formatted line that
/// mentions `"more"` is parsed to be sure.
fn continues(line: &[u8]) -> bool {
    if line.ends_with(MORE_MARK) {
        return true;
    }
    // One searcher for every line (building one is a noticeable share of a large read).
    static MORE_KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"more\""));
    if MORE_KEY.find(line).is_none() {
        return false;
    }
    #[derive(Deserialize)]
    struct More {
        #[serde(default)]
        more: bool,
    }
    serde_json::from_slice::<More>(line).is_ok_and(|m| m.more)
}

const NO_COMPLETE_LINE: &str = "the file has no complete line and is not the start of the ledger \
     header {\"esc_ledger\":1} (is it an esc ledger? check --ledger and ESC_LEDGER)";
const EMPTY_LINE: &str = "the line is empty";

/// Walks the complete lines of a ledger read from `reader`: checks the header, parses every
/// event line and checks that `seq` runs 1, 2, 3 … and that every case keeps the rules of
/// [`Checker`], and hands each committed event to `commit` — the lines of a batch only when
/// its last line is read. Bytes after the last `\n` are a torn tail and complete lines after
/// the last committed one an uncommitted tail: never data. Reads line by line, so a ledger
/// streamed from disk is never held in memory whole. `reading` says what may be left out
/// on lines a checkpoint vouches for.
///
/// Lines are read in bundles ([`read_raw_lines`]) on a second thread, which parses every
/// other bundle itself and hands the others to a third ([`RawLines::parse`]), while this
/// one takes the parsed bundles in turn, checks them and hands on what came before: a
/// whole-ledger read costs about the largest of the three rather than their sum. What is
/// checked, in what order, and the first error met are as in a read on one thread (which
/// is what happens when no thread can be started; without the third, the second parses
/// every bundle).
fn walk(
    path: &Path,
    reader: impl BufRead + Send,
    reading: Reading,
    commit: impl Sink,
) -> Result<Layout, LedgerError> {
    walk_on(path, reader, reading, commit, true)
}

/// [`walk`], reading on a second thread if `two_threads` (and one can be started), else on
/// this one (tests compare the two).
fn walk_on(
    path: &Path,
    reader: impl BufRead + Send,
    reading: Reading,
    commit: impl Sink,
    two_threads: bool,
) -> Result<Layout, LedgerError> {
    /// Lines handed over at a time, and how many such bundles may wait: little memory in
    /// flight, few hand-overs.
    const BUNDLE: usize = 256;
    const WAITING: usize = 2;
    let mut walker = Walker::new(path, reading, commit);
    let mut reader = Some(reader);
    let threaded = two_threads.then(|| {
        use std::sync::mpsc::sync_channel;
        std::thread::scope(|scope| {
            // Two lanes of parsed bundles, taken in turn: the reading thread parses the even
            // bundles itself and hands the odd ones, as raw lines, to a parsing thread.
            let (send_even, take_even) = sync_channel::<Vec<(usize, LineRead)>>(WAITING);
            let (send_raw, take_raw) = sync_channel::<RawLines>(WAITING);
            let (send_odd, take_odd) = sync_channel::<Vec<(usize, LineRead)>>(WAITING);
            let parser = std::thread::Builder::new()
                .name("ledger-parser".into())
                .spawn_scoped(scope, move || {
                    for raw in take_raw {
                        if send_odd.send(raw.parse(path, reading)).is_err() {
                            return;
                        }
                    }
                })
                .is_ok();
            // Borrowed, not moved: if the thread cannot start, the reader is still here.
            let slot = &mut reader;
            let started = std::thread::Builder::new()
                .name("ledger-reader".into())
                .spawn_scoped(scope, move || {
                    let Some(reader) = slot.take() else { return };
                    read_raw_lines(path, reader, BUNDLE, |k, raw| {
                        if parser && k % 2 == 1 {
                            return send_raw.send(raw).is_ok();
                        }
                        let parsed = raw.parse(path, reading);
                        // A line that ends the read ends it here too.
                        let last = parsed.iter().any(|(_, line)| ends_read(line));
                        send_even.send(parsed).is_ok() && !last
                    });
                });
            match started {
                Ok(_) => {
                    let lanes = [Some(take_even), parser.then_some(take_odd)];
                    let bundles = (0..).map_while(|k: usize| {
                        let lane = if lanes[1].is_some() { k % 2 } else { 0 };
                        lanes[lane].as_ref()?.recv().ok()
                    });
                    let result = walker.take_all(bundles.flatten());
                    // The lanes go before the threads are waited for, so that a thread
                    // still handing on lines (after an error here) stops at once.
                    drop(lanes);
                    Some(result)
                }
                Err(_) => None,
            }
        })
    });
    match threaded.flatten() {
        Some(result) => result?,
        None => {
            // No second thread: read and check on this one.
            let Some(reader) = reader else {
                return Err(io_err(
                    "read ledger",
                    path,
                    io::Error::other("the reader thread could not be started"),
                ));
            };
            let mut error = None;
            read_raw_lines(path, reader, BUNDLE, |_, raw| {
                for (n, line) in raw.parse(path, reading) {
                    let last = ends_read(&line);
                    match walker.take(n, line) {
                        Ok(more) if more && !last => {}
                        Ok(_) => return false,
                        Err(e) => {
                            error = Some(e);
                            return false;
                        }
                    }
                }
                true
            });
            if let Some(e) = error {
                return Err(e);
            }
        }
    }
    Ok(walker.layout())
}

/// What reading one line gave: the line, or why it cannot be read (which ends the read).
type LineRead = Result<Line, LedgerError>;

/// Whether `line` ends the read: an error or a torn tail.
fn ends_read(line: &LineRead) -> bool {
    !matches!(line, Ok(Line::Header | Line::Event { .. }))
}

/// Whole lines as read from the file, not yet parsed: a bundle that one thread reads and
/// another may parse ([`RawLines::parse`] is a function of the bytes and where they are).
struct RawLines {
    text: Vec<u8>,
    /// Each line's end in `text`, its number in the file and its end in the file.
    lines: Vec<(usize, usize, u64)>,
    /// Why reading stopped after these lines, if it failed.
    failed: Option<LedgerError>,
}

impl RawLines {
    /// Each line's length and what it is, in order: up to and including the first line
    /// that ends the read (then the read's failure, if it failed after these lines).
    fn parse(self, path: &Path, reading: Reading) -> Vec<(usize, LineRead)> {
        let mut out = Vec::with_capacity(self.lines.len() + 1);
        let mut start = 0;
        for (stop, line_no, end) in self.lines {
            let line = &self.text[start..stop];
            let read = read_line(path, line, line_no, end, reading);
            let last = ends_read(&read);
            out.push((line.len(), read));
            if last {
                return out;
            }
            start = stop;
        }
        if let Some(e) = self.failed {
            out.push((0, Err(e)));
        }
        out
    }
}

/// Reads `reader` in bundles of up to `bundle` whole lines (the last may be torn) and hands
/// `each` every bundle with its number (0, 1, …), until the end of the file, a read that
/// fails (its error closes the last bundle), or `each` returns `false`.
fn read_raw_lines(
    path: &Path,
    mut reader: impl BufRead,
    bundle: usize,
    mut each: impl FnMut(usize, RawLines) -> bool,
) {
    let mut end: u64 = 0;
    let mut line_no = 0;
    for k in 0.. {
        let mut raw = RawLines {
            text: Vec::with_capacity(bundle * 256),
            lines: Vec::with_capacity(bundle),
            failed: None,
        };
        let mut done = false;
        while raw.lines.len() < bundle {
            match reader.read_until(b'\n', &mut raw.text) {
                Ok(0) => {
                    done = true;
                    break;
                }
                Ok(n) => {
                    end += n as u64;
                    line_no += 1;
                    raw.lines.push((raw.text.len(), line_no, end));
                }
                Err(error) => {
                    raw.failed = Some(io_err("read ledger", path, error));
                    done = true;
                    break;
                }
            }
        }
        if (raw.lines.is_empty() && raw.failed.is_none()) || !each(k, raw) || done {
            return;
        }
    }
}

/// One line of the ledger as read on its own; the rules that join lines are [`Walker`]'s.
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every line is an event; boxing it would cost an allocation per line"
)]
enum Line {
    /// The end of the file without its `\n`: a torn tail, which ends the read.
    Torn,
    /// The header, checked.
    Header,
    /// An event; `continues` when its batch goes on after it.
    Event { entry: Entry, continues: bool },
}

/// An event's line: read whole, or (a skipped event on a vouched line) only its head.
enum Entry {
    Record(Record),
    /// A line of an event left out, read only as far as [`Head`] (and [`Skimmed`]) reads.
    Head(Skimmed),
}

/// What `line` (the `line_no`th, `\n` included, ending `end` bytes into the file) is.
fn read_line(
    path: &Path,
    line: &[u8],
    line_no: usize,
    end: u64,
    reading: Reading,
) -> Result<Line, LedgerError> {
    let Some(content) = line.strip_suffix(b"\n") else {
        // A torn tail: the end of the file without its newline.
        if line_no == 1 && !HEADER_LINE.starts_with(line) {
            return Err(damaged(path, 1, NO_COMPLETE_LINE.to_owned()));
        }
        return Ok(Line::Torn);
    };
    if line_no == 1 {
        check_header(path, content)?;
        return Ok(Line::Header);
    }
    if content.is_empty() {
        return Err(damaged(path, line_no, EMPTY_LINE.to_owned()));
    }
    let entry = match reading.skipped(content, end) {
        Some(skimmed) => Entry::Head(skimmed),
        None => Entry::Record(parse_record(path, line_no, content)?),
    };
    Ok(Line::Event {
        entry,
        continues: continues(content),
    })
}

/// The rules that join the lines of a ledger, applied line after line in order: `seq`
/// without gaps, the case rules ([`Checker`]), and batches, each handed to `commit` once
/// its last line is read (or line by line where the checkpoint vouches for them).
struct Walker<'p, F> {
    path: &'p Path,
    reading: Reading,
    commit: F,
    len: u64,
    valid_len: u64,
    last_seq: u64,
    seen_seq: u64,
    max_case: u64,
    oncall: bool,
    line_no: usize,
    checker: Checker,
    batch: Vec<Record>,
    // Lines of the open batch, handed on early or not, and what they hold.
    batch_lines: usize,
    batch_max_case: u64,
    batch_oncall: bool,
}

impl<'p, F: Sink> Walker<'p, F> {
    fn new(path: &'p Path, reading: Reading, commit: F) -> Self {
        Walker {
            path,
            reading,
            commit,
            len: 0,
            valid_len: 0,
            last_seq: 0,
            seen_seq: 0,
            max_case: 0,
            oncall: false,
            line_no: 0,
            checker: Checker::default(),
            batch: Vec::new(),
            batch_lines: 0,
            batch_max_case: 0,
            batch_oncall: false,
        }
    }

    /// Every line of `lines` until one ends the read.
    fn take_all(
        &mut self,
        lines: impl Iterator<Item = (usize, LineRead)>,
    ) -> Result<(), LedgerError> {
        for (n, read) in lines {
            if !self.take(n, read)? {
                break;
            }
        }
        Ok(())
    }

    /// The next line, `n` bytes long; `false` when the read ends with it.
    fn take(&mut self, n: usize, read: LineRead) -> Result<bool, LedgerError> {
        let line = read?;
        self.len += n as u64;
        let (entry, continues) = match line {
            Line::Torn => return Ok(false),
            Line::Header => {
                self.line_no += 1;
                self.valid_len = self.len;
                return Ok(true);
            }
            Line::Event { entry, continues } => (entry, continues),
        };
        self.line_no += 1;
        let (path, line_no) = (self.path, self.line_no);
        let expected = self.seen_seq + 1;
        // What the rules read of the line, whether it was read whole or only its head.
        let (seq, case, at, opened) = match &entry {
            Entry::Head(s) => (s.seq, s.case.as_str(), s.at, s.event == "opened"),
            Entry::Record(r) => (
                r.seq,
                r.case.as_str(),
                r.at,
                matches!(r.event, Event::Opened { .. }),
            ),
        };
        if seq != expected {
            return Err(damaged(path, line_no, seq_message(seq, expected)));
        }
        self.checker
            .check_parts(case, at, opened)
            .map_err(|message| damaged(path, line_no, message))?;
        self.batch_max_case = self.batch_max_case.max(case_number(case));
        self.batch_oncall |= case == ONCALL;
        self.seen_seq = expected;
        self.batch_lines += 1;
        // A record that is a batch of its own, or a vouched line with every line before it
        // handed on already, goes straight to the sink: no copy into the batch and out.
        let alone = self.batch.is_empty() && (!continues || self.len <= self.reading.vouched);
        let handed = match entry {
            Entry::Record(record) if self.commit.takes(&record) => {
                if alone {
                    self.commit.one(record);
                } else {
                    self.batch.push(record);
                }
                alone
            }
            Entry::Record(_) => false,
            // Only a vouched line is skimmed, and the lines before it were vouched too, so
            // they were all handed on already: the order of events is kept.
            Entry::Head(skimmed) => {
                self.commit.skimmed(skimmed);
                false
            }
        };
        if !continues {
            self.max_case = self.max_case.max(self.batch_max_case);
            self.oncall |= self.batch_oncall;
            if !handed {
                self.commit.batch(&mut self.batch);
                self.batch.clear();
            }
            (self.batch_lines, self.batch_max_case, self.batch_oncall) = (0, 0, false);
            self.valid_len = self.len;
            self.last_seq = self.seen_seq;
        } else if self.len <= self.reading.vouched && !handed {
            self.commit.batch(&mut self.batch);
            self.batch.clear();
        }
        Ok(true)
    }

    fn layout(&self) -> Layout {
        Layout {
            len: self.len,
            valid_len: self.valid_len,
            last_seq: self.last_seq,
            max_case: self.max_case,
            oncall: self.oncall,
            tail_lines: self.batch_lines,
        }
    }
}

/// How a streaming read hands on the lines of a batch (the events one append wrote).
#[derive(Debug, Clone, Copy)]
enum Batches {
    /// Each batch whole, once its last line is read (copying a ledger batch by batch).
    Whole,
    /// Line by line where the checkpoint vouches that the batch was committed, so a batch
    /// of a hundred thousand imported cases is never held at once; else each batch whole.
    /// Events the [`Skip`] names are not read whole there.
    Vouched(Option<Skip>),
}

/// Events a read leaves out (see [`Ledger::visit_skipping`], [`Ledger::visit_skimming`]).
#[derive(Debug, Clone, Copy)]
struct Skip {
    /// Which, by event name.
    names: fn(&str) -> bool,
    /// Handed on as [`Skimmed`] (with a queued notification's promise), else dropped.
    skimmed: bool,
}

/// Where a walk hands on what it read: each batch of records as its lines commit it, and
/// each skimmed event in its place between them.
trait Sink {
    fn batch(&mut self, batch: &mut Vec<Record>);
    /// A batch of one record, or a vouched line handed on by itself: what [`Sink::batch`]
    /// does with `vec![record]`, without the vector.
    fn one(&mut self, record: Record) {
        self.batch(&mut vec![record]);
    }
    fn skimmed(&mut self, _: Skimmed) {}
    /// Whether it takes `record` at all: a record it does not take is checked but never
    /// held, not even while its batch is unfinished.
    fn takes(&self, _: &Record) -> bool {
        true
    }
}

/// The sink of a walk that only checks and measures: it takes no record.
struct Discard;

impl Sink for Discard {
    fn batch(&mut self, _: &mut Vec<Record>) {}

    fn takes(&self, _: &Record) -> bool {
        false
    }
}

/// The sink of a walk for one case's records: it takes no other.
struct OneCase<'c, 'r> {
    case: &'c str,
    records: &'r mut Vec<Record>,
}

impl Sink for OneCase<'_, '_> {
    fn batch(&mut self, batch: &mut Vec<Record>) {
        self.records.append(batch);
    }

    fn one(&mut self, record: Record) {
        self.records.push(record)
    }

    fn takes(&self, record: &Record) -> bool {
        record.case == self.case
    }
}

impl<F: FnMut(&mut Vec<Record>)> Sink for F {
    fn batch(&mut self, batch: &mut Vec<Record>) {
        self(batch)
    }
}

/// The sink of [`Ledger::visit_skipping`]: an event `skip` names that is read whole (on a
/// line no checkpoint vouches for) is checked but not taken, so an unfinished batch never
/// holds it.
struct Skipping<F> {
    skip: fn(&str) -> bool,
    f: F,
}

impl<F: FnMut(Record)> Sink for Skipping<F> {
    fn batch(&mut self, batch: &mut Vec<Record>) {
        batch.drain(..).for_each(&mut self.f);
    }

    fn one(&mut self, record: Record) {
        (self.f)(record)
    }

    fn takes(&self, record: &Record) -> bool {
        !(self.skip)(record.event.name())
    }
}

/// The sink of [`Ledger::visit_skimming`]: an event `skim` names that was read whole (on a
/// line no checkpoint vouches for) is handed on skimmed too, so `f` sees the same either way.
struct Skimming<F> {
    skim: fn(&str) -> bool,
    f: F,
}

impl<F: FnMut(Seen)> Sink for Skimming<F> {
    fn batch(&mut self, batch: &mut Vec<Record>) {
        for r in batch.drain(..) {
            (self.f)(Seen::of(r, self.skim));
        }
    }

    fn one(&mut self, record: Record) {
        (self.f)(Seen::of(record, self.skim))
    }

    fn skimmed(&mut self, skimmed: Skimmed) {
        (self.f)(Seen::Skimmed(skimmed))
    }
}

/// What [`walk`] may leave out on lines a checkpoint vouches for.
#[derive(Debug, Clone, Copy)]
struct Reading {
    /// Lines that end within the first `vouched` bytes were written and checked by esc:
    /// they are handed on at once, without waiting for the end of their batch.
    vouched: u64,
    /// Events not to read whole: on a vouched line, only the fields the ledger's rules need
    /// are read ([`Head`]).
    skip: Option<Skip>,
}

impl Reading {
    /// Every line read whole, every batch handed on whole.
    const EVERY: Reading = Reading {
        vouched: 0,
        skip: None,
    };

    /// The head of a vouched `line` of an event not to hand on; `None` for any other line.
    /// The event's name is first looked up in the bytes (esc writes `"event":"<name>"`), so
    /// a line that is wanted is parsed once, whole.
    fn skipped(&self, line: &[u8], end: u64) -> Option<Skimmed> {
        let skip = self.skip.filter(|_| end <= self.vouched)?;
        let head = match Head::written(line) {
            Some(head) => (skip.names)(&head.event).then_some(head)?,
            None => {
                const TAG: &[u8] = b"\"event\":\"";
                let at = memchr::memmem::find(line, TAG)? + TAG.len();
                let len = memchr::memchr(b'"', &line[at..])?;
                let name = std::str::from_utf8(&line[at..at + len]).ok()?;
                if !(skip.names)(name) {
                    return None;
                }
                let head: Head<'_> = serde_json::from_slice(line).ok()?;
                (head.event == name).then_some(head)?
            }
        };
        // A promise not in the form esc writes: the line is read whole.
        let promise = if skip.skimmed && head.event == "notification_queued" {
            crate::case::event::written_promise(line)?
        } else {
            None
        };
        Some(Skimmed {
            seq: head.seq,
            at: head.at,
            case: head.case.as_ref().into(),
            event: head.event.as_ref().into(),
            promise,
        })
    }
}

/// What the ledger's rules read of a line: its number, time, case and kind of event.
#[derive(Deserialize)]
struct Head<'a> {
    seq: u64,
    #[serde(deserialize_with = "crate::case::event::utc_time")]
    at: DateTime<Utc>,
    #[serde(borrow)]
    case: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    event: std::borrow::Cow<'a, str>,
}

impl<'a> Head<'a> {
    /// The head of a line as esc writes it — `{"seq":…,"at":"…","actor":"…","case":"…",
    /// "step":"…"` with `policy` and `login` when present, then `"event":"…"` — read from its
    /// first bytes alone, without scanning the rest; `None` for any other shape (the caller
    /// then parses the line). Only for vouched lines: the rest of the line is not checked.
    fn written(line: &'a [u8]) -> Option<Head<'a>> {
        let rest = line.strip_prefix(b"{\"seq\":")?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || (digits > 1 && rest[0] == b'0') {
            return None;
        }
        let seq: u64 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        let rest = rest[digits..].strip_prefix(b",\"at\":\"")?;
        let at = crate::case::event::fast_utc(std::str::from_utf8(rest.get(..20)?).ok()?)?;
        let rest = rest[20..].strip_prefix(b"\",\"actor\":")?;
        let rest = after_string(rest)?;
        let (case, rest) = plain_string(rest.strip_prefix(b",\"case\":")?)?;
        let mut rest = after_string(rest.strip_prefix(b",\"step\":")?)?;
        for key in [&b",\"policy\":"[..], b",\"login\":"] {
            if let Some(value) = rest.strip_prefix(key) {
                rest = after_string(value)?;
            }
        }
        let (event, _) = plain_string(rest.strip_prefix(b",\"event\":")?)?;
        Some(Head {
            seq,
            at,
            case: std::borrow::Cow::Borrowed(case),
            event: std::borrow::Cow::Borrowed(event),
        })
    }
}

/// The bytes after the JSON string `bytes` starts with; `None` if it does not start with one
/// or the string does not end.
fn after_string(bytes: &[u8]) -> Option<&[u8]> {
    let mut i = 1;
    if bytes.first() != Some(&b'"') {
        return None;
    }
    loop {
        i += memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
        if bytes[i] == b'"' {
            return Some(&bytes[i + 1..]);
        }
        // An escape: the backslash and the byte it escapes.
        i += 2;
    }
}

/// The JSON string `bytes` starts with, when it has no escapes (an id or an event name),
/// and the bytes after it.
fn plain_string(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let body = bytes.strip_prefix(b"\"")?;
    let end = crate::json_plain::plain_len(body);
    if body.get(end) != Some(&b'"') {
        return None;
    }
    let text = std::str::from_utf8(&body[..end]).ok()?;
    Some((text, &body[end + 1..]))
}

fn torn_tail(len: u64, valid_len: u64, committed_lines: usize, lines: usize) -> Option<TornTail> {
    (len > valid_len).then(|| TornTail {
        line: committed_lines.saturating_add(1),
        bytes: len - valid_len,
        lines,
    })
}

/// The line (without its `\n`) that ends at byte `end` of `file`, whose byte `end - 1` must
/// be a `\n`; `None` if it is not, or the line is longer than [`MAX_LAST_LINE_BYTES`].
fn last_line(file: &File, end: u64) -> io::Result<Option<Vec<u8>>> {
    if end == 0 {
        return Ok(None);
    }
    let mut reader = file;
    let mut tail = Vec::new();
    let mut pos = end;
    loop {
        let step = pos.min(8192);
        pos -= step;
        let mut chunk = vec![0; step as usize];
        reader.seek(SeekFrom::Start(pos))?;
        reader.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        if tail.last() != Some(&b'\n') {
            return Ok(None);
        }
        let body = &tail[..tail.len() - 1];
        if let Some(i) = memchr::memrchr(b'\n', body) {
            return Ok(Some(body[i + 1..].to_vec()));
        }
        if pos == 0 {
            return Ok(Some(body.to_vec()));
        }
        if (tail.len() as u64) > MAX_LAST_LINE_BYTES {
            return Ok(None);
        }
    }
}

fn check_header(path: &Path, line: &[u8]) -> Result<(), LedgerError> {
    #[derive(Deserialize)]
    struct Header {
        esc_ledger: u64,
    }
    match serde_json::from_slice::<Header>(line) {
        Ok(Header {
            esc_ledger: FORMAT_VERSION,
        }) => Ok(()),
        Ok(Header { esc_ledger: found }) => Err(LedgerError::UnsupportedVersion {
            path: path.to_owned(),
            found,
        }),
        Err(_) => Err(damaged(
            path,
            1,
            "the first line is not the ledger header {\"esc_ledger\":1} \
             (is it an esc ledger? check --ledger and ESC_LEDGER)"
                .to_owned(),
        )),
    }
}

/// The events of `case` in a ledger image whose first `valid_len` bytes esc wrote and
/// checked (the checkpoint says so): a substring search for `"case":"<id>",` — which esc's
/// compact lines carry right after `actor` — finds them without splitting every line.
fn find_case(
    path: &Path,
    bytes: &[u8],
    valid_len: u64,
    case: &str,
) -> Result<Vec<Record>, LedgerError> {
    let hay = bytes.get(..valid_len as usize).unwrap_or(bytes);
    let mut records = Vec::new();
    case_lines(path, hay, case, &mut records, |start| {
        Ok(memchr::memchr_iter(b'\n', &hay[..start]).count() + 1)
    })?;
    Ok(records)
}

/// [`find_case`] over the first `valid_len` bytes of `file`, read in chunks of whole lines:
/// the file is never held in memory whole.
fn find_case_in_file(
    path: &Path,
    file: &File,
    valid_len: u64,
    case: &str,
) -> Result<Vec<Record>, LedgerError> {
    const CHUNK: usize = 1 << 20;
    let read_err = |error| io_err("read ledger", path, error);
    let mut from = file;
    from.seek(SeekFrom::Start(0)).map_err(read_err)?;
    let mut reader = from.take(valid_len);
    let mut records = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    // Where `buf` starts in the file.
    let mut offset: u64 = 0;
    loop {
        let old = buf.len();
        buf.resize(old + CHUNK, 0);
        let n = reader.read(&mut buf[old..]).map_err(read_err)?;
        buf.truncate(old + n);
        // The lines complete so far (every byte, at the end).
        let complete = if n == 0 {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None => continue,
            }
        };
        case_lines(path, &buf[..complete], case, &mut records, |start| {
            line_number_at(path, file, offset + start as u64)
        })?;
        if n == 0 {
            return Ok(records);
        }
        buf.drain(..complete);
        offset += complete as u64;
    }
}

/// Adds to `records` the events of `case` in `hay` (whole lines esc wrote and checked);
/// `line_of` numbers the line starting at a byte of `hay`, for an error.
fn case_lines(
    path: &Path,
    hay: &[u8],
    case: &str,
    records: &mut Vec<Record>,
    line_of: impl Fn(usize) -> Result<usize, LedgerError>,
) -> Result<(), LedgerError> {
    let pattern = format!("\"case\":{},", serde_json::Value::from(case));
    let mut after = 0;
    for pos in memchr::memmem::find_iter(hay, pattern.as_bytes()) {
        if pos < after {
            continue;
        }
        let start = memchr::memrchr(b'\n', &hay[..pos]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &hay[pos..]).map_or(hay.len(), |i| pos + i);
        after = end;
        let line = &hay[start..end];
        match parse_record(path, 0, line) {
            Ok(record) if record.case == case => records.push(record),
            Ok(_) => {}
            Err(_) => {
                let line_no = line_of(start)?;
                return Err(parse_record(path, line_no, line).err().unwrap_or_else(|| {
                    LedgerError::Damaged {
                        path: path.to_path_buf(),
                        line: line_no,
                        message: "not a valid event".into(),
                    }
                }));
            }
        }
    }
    Ok(())
}

/// The number of the line that starts at byte `at` of `file` (for an error message).
fn line_number_at(path: &Path, file: &File, at: u64) -> Result<usize, LedgerError> {
    let read_err = |error| io_err("read ledger", path, error);
    let mut from = file;
    from.seek(SeekFrom::Start(0)).map_err(read_err)?;
    let mut reader = io::BufReader::with_capacity(1 << 18, from.take(at));
    let mut lines = 1;
    loop {
        let chunk = reader.fill_buf().map_err(read_err)?;
        if chunk.is_empty() {
            return Ok(lines);
        }
        lines += memchr::memchr_iter(b'\n', chunk).count();
        let n = chunk.len();
        reader.consume(n);
    }
}

fn parse_record(path: &Path, line_no: usize, line: &[u8]) -> Result<Record, LedgerError> {
    // UTF-8 checked once for the line rather than string by string (the same errors).
    // esc's own plain `opened` lines are read without serde (`case::record_quick`), the same
    // record serde would give; every other line, and every error, is serde's.
    match std::str::from_utf8(line) {
        Ok(text) => crate::case::record_quick::read_line(text),
        Err(_) => serde_json::from_slice(line),
    }
    .map_err(|error| {
        // serde_json says "… at line 1 column N"; within one line only the column matters.
        let mut message = error.to_string();
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        damaged(
            path,
            line_no,
            format!(
                "not a valid event ({message}, at column {})",
                error.column()
            ),
        )
    })
}

/// `n` of a case id `ESC-<n>`, 0 for any other id.
fn case_number(id: &str) -> u64 {
    id.strip_prefix("ESC-")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Serializes `record` onto `buf` as one compact line (without the `\n`), after checking that
/// the line reads back as the same record.
fn encode(path: &Path, record: &Record, buf: &mut Vec<u8>) -> Result<(), LedgerError> {
    let encode_err = |message: String| LedgerError::Encode {
        path: path.to_owned(),
        case: record.case.to_string(),
        message,
    };
    let start = buf.len();
    serde_json::to_writer(&mut *buf, record).map_err(|e| encode_err(e.to_string()))?;
    match serde_json::from_slice::<Record>(&buf[start..]) {
        Ok(back) if back == *record => Ok(()),
        Ok(_) => Err(encode_err("it does not read back as written".to_owned())),
        Err(e) => Err(encode_err(format!("it does not read back: {e}"))),
    }
}

/// Copies the torn or uncommitted tail to `<ledger>.torn` (synced) before it is cut from
/// the ledger.
fn keep_torn_fragment(
    ledger: &Ledger,
    file: &mut File,
    state: State,
    torn: TornTail,
) -> Result<(), LedgerError> {
    let path = &ledger.path;
    let mut fragment = Vec::new();
    file.seek(SeekFrom::Start(state.valid_len))
        .and_then(|_| {
            Read::take(&mut *file, state.len - state.valid_len).read_to_end(&mut fragment)
        })
        .map_err(|error| io_err("read the torn tail of", path, error))?;
    let torn_path = ledger.sidecar("torn");
    let mut out = open_sidecar(&torn_path, private_file().create(true).append(true))?;
    let what = if torn.lines > 0 {
        format!(
            "uncommitted tail of {}: lines {}.. ({} complete lines of a batch whose last line is missing)",
            path.display(),
            torn.line,
            torn.lines
        )
    } else {
        format!("torn tail of {}: line {}", path.display(), torn.line)
    };
    let mut entry = format!(
        "# {what}, {} bytes, removed before appending seq {}\n",
        torn.bytes,
        state.last_seq + 1
    )
    .into_bytes();
    entry.extend_from_slice(&fragment);
    if entry.last() != Some(&b'\n') {
        entry.push(b'\n');
    }
    out.write_all(&entry)
        .and_then(|()| out.sync_data())
        .map_err(|error| io_err("keep the torn tail in", &torn_path, error))
}

/// Opens the ledger file itself with `options`, refusing anything but a regular file. On
/// Unix it is opened non-blocking, so a FIFO at the path is refused instead of waited on.
fn open_ledger_file(
    path: &Path,
    #[allow(unused_mut)] mut options: OpenOptions,
) -> Result<File, LedgerError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(path)
        .map_err(|error| io_err("open ledger", path, error))?;
    let meta = file
        .metadata()
        .map_err(|error| io_err("open ledger", path, error))?;
    check_regular(path, &meta)?;
    Ok(file)
}

/// Refuses a ledger path whose file is not a regular file.
fn check_regular(path: &Path, meta: &fs::Metadata) -> Result<(), LedgerError> {
    let ft = meta.file_type();
    if ft.is_file() {
        return Ok(());
    }
    if ft.is_dir() {
        return Err(is_a_directory(path));
    }
    #[allow(unused_mut)]
    let mut kind = "a special file";
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            kind = "a FIFO (named pipe)";
        } else if ft.is_char_device() || ft.is_block_device() {
            kind = "a device";
        } else if ft.is_socket() {
            kind = "a socket";
        }
    }
    Err(LedgerError::NotAFile {
        path: path.to_owned(),
        kind,
    })
}

/// Opens a file beside the ledger (`.lock`, `.idx`, `.torn`) without following a symbolic
/// link at its name.
fn open_sidecar(path: &Path, options: &mut OpenOptions) -> Result<File, LedgerError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    match options.open(path) {
        Ok(file) => Ok(file),
        Err(error) => {
            let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if is_link {
                Err(LedgerError::Symlink {
                    path: path.to_owned(),
                })
            } else {
                Err(io_err("open", path, error))
            }
        }
    }
}

fn open_lock_file(lock_path: &Path) -> Result<File, LedgerError> {
    let file = open_sidecar(
        lock_path,
        private_file()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )?;
    let meta = file
        .metadata()
        .map_err(|error| io_err("open the lock file", lock_path, error))?;
    if !meta.is_file() {
        return Err(io_err(
            "open the lock file",
            lock_path,
            io::Error::other("it is not a regular file; remove it (esc recreates it)"),
        ));
    }
    Ok(file)
}

/// The ledger's directory, opened to be locked (Unix); `None` elsewhere or if it cannot be
/// opened (then the sibling lock file alone serializes writers).
fn open_dir_for_lock(dir: &Path) -> Option<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(dir)
            .ok()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Whether the open `file` is the one now at `path` (same device and inode): false once the
/// name was deleted or pointed at another file.
fn is_file_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::symlink_metadata(path)) {
            (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// Options for a file only its owner may read (mode 0600 on Unix).
fn private_file() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options
}

/// Creates `dir` and any missing parents (mode 0700), syncing each new entry into its parent.
fn ensure_dir(dir: &Path) -> Result<(), LedgerError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut current = dir;
    while fs::symlink_metadata(current).is_err() {
        missing.push(current.to_owned());
        match current.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => current = parent,
            _ => break,
        }
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    let dir_err = |error| io_err("create directory", dir, error);
    builder.create(dir).map_err(dir_err)?;
    for created in missing.iter().rev() {
        let parent = match created.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        sync_dir(parent).map_err(dir_err)?;
    }
    Ok(())
}

/// Makes the directory's entries (a new file's name) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "ledger".to_owned(), |n| n.to_string_lossy().into_owned())
}

fn io_err(action: &'static str, path: &Path, error: io::Error) -> LedgerError {
    LedgerError::Io {
        action,
        path: path.to_owned(),
        error,
    }
}

fn is_a_directory(path: &Path) -> LedgerError {
    io_err(
        "open ledger",
        path,
        io::Error::other("it is a directory; the ledger is a file such as .esc/ledger.jsonl"),
    )
}

fn damaged(path: &Path, line: usize, message: String) -> LedgerError {
    LedgerError::Damaged {
        path: path.to_owned(),
        line,
        message,
    }
}

fn seq_message(found: u64, expected: u64) -> String {
    format!(
        "its seq is {found} where {expected} was expected (events are numbered 1, 2, 3… without gaps)"
    )
}

/// The part of an error worth a line in a verify report.
fn problem_message(error: LedgerError) -> String {
    match error {
        LedgerError::Damaged { message, .. } => message,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Event;
    use chrono::{TimeZone, Utc};

    fn at(minute: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, minute % 60, 0)
            .single()
            .expect("valid time")
    }

    pub(super) fn note(case: &str, text: &str) -> NewEvent {
        NewEvent {
            policy: None,
            at: at(1),
            actor: "ana".into(),
            case: case.into(),
            event: Event::Noted { text: text.into() },
        }
    }

    pub(super) fn opened(case: &str) -> NewEvent {
        NewEvent {
            policy: None,
            at: at(0),
            actor: "ana".into(),
            case: case.into(),
            event: Event::Opened {
                title: format!("{case}: \"login\" fails\nfor everyone").into(),
                severity: "sev2".into(),
                case_type: "incident".into(),
                account: Some("acme".into()),
                reporter: None,
                channel: None,
                labels: vec!["auth".into()],
                description: None,
                path: "support".into(),
                tier: "l1".into(),
                owner: "ana".into(),
                dedup_key: None,
            },
        }
    }

    pub(super) fn append(ledger: &Ledger, events: Vec<NewEvent>) -> Vec<Record> {
        let mut guard = ledger.lock().expect("lock");
        guard.append(events).expect("append")
    }

    pub(super) fn setup() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().expect("tempdir");
        let ledger = Ledger::open(dir.path().join(".esc/ledger.jsonl")).expect("open");
        (dir, ledger)
    }

    fn seqs(records: &[Record]) -> Vec<u64> {
        records.iter().map(|r| r.seq).collect()
    }

    fn damaged_line(result: Result<impl std::fmt::Debug, LedgerError>) -> usize {
        match result {
            Err(LedgerError::Damaged { line, .. }) => line,
            other => panic!("expected damage, got {other:?}"),
        }
    }

    #[test]
    fn missing_ledger_is_empty_and_not_created() {
        let (_dir, ledger) = setup();
        assert_eq!(ledger.read_all().unwrap(), vec![]);
        assert_eq!(ledger.read_case("ESC-1").unwrap(), vec![]);
        assert_eq!(ledger.last_seq().unwrap(), 0);
        assert_eq!(ledger.next_case_number().unwrap(), 1);
        assert!(ledger.verify().unwrap().is_ok());
        assert!(!ledger.path().exists());
    }

    #[test]
    fn round_trip_with_header() {
        let (_dir, ledger) = setup();
        let written = append(&ledger, vec![opened("ESC-1"), note("ESC-1", "first")]);
        assert_eq!(seqs(&written), [1, 2]);
        assert_eq!(ledger.read_all().unwrap(), written);
        let text = fs::read_to_string(ledger.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], r#"{"esc_ledger":1}"#);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with(r#"{"seq":2,"#), "{}", lines[2]);
        assert!(text.ends_with('\n'));
        assert_eq!(ledger.next_case_number().unwrap(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1")]);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(ledger.path()), 0o600);
        assert_eq!(mode(&ledger.sidecar("lock")), 0o600);
        assert_eq!(mode(&ledger.sidecar("idx")), 0o600);
        assert_eq!(mode(&ledger.sidecar("cases")), 0o600);

        let created = Ledger::create(dir.path().join("init/ledger.jsonl")).unwrap();
        assert_eq!(mode(created.path()), 0o600);
    }

    #[test]
    fn create_writes_header_and_refuses_to_overwrite() {
        let (_dir, ledger) = setup();
        let created = Ledger::create(ledger.path()).unwrap();
        assert_eq!(fs::read(created.path()).unwrap(), HEADER_LINE);
        assert_eq!(created.read_all().unwrap(), vec![]);
        append(&created, vec![opened("ESC-1")]);
        let before = fs::read(created.path()).unwrap();
        let err = Ledger::create(created.path()).unwrap_err();
        assert!(matches!(err, LedgerError::AlreadyExists { .. }), "{err}");
        assert!(err.to_string().contains("already exists"));
        assert_eq!(fs::read(created.path()).unwrap(), before);
        let written = append(&created, vec![note("ESC-1", "x")]);
        assert_eq!(seqs(&written), [2]);
    }

    #[test]
    fn seq_is_gap_free_across_appends() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1"), note("ESC-1", "a")]);
        let second = append(&ledger, vec![opened("ESC-2"), note("ESC-1", "b")]);
        assert_eq!(seqs(&second), [3, 4]);
        fs::remove_file(ledger.sidecar("idx")).unwrap();
        let third = append(&ledger, vec![note("ESC-2", "c")]);
        assert_eq!(seqs(&third), [5]);
        assert_eq!(seqs(&ledger.read_all().unwrap()), [1, 2, 3, 4, 5]);
        assert_eq!(ledger.next_case_number().unwrap(), 3);
        let report = ledger.verify().unwrap();
        assert!(report.is_ok(), "{report:?}");
        assert_eq!((report.events, report.cases, report.last_seq), (5, 2, 5));
    }

    #[test]
    fn torn_tail_is_ignored_then_kept_aside_and_cut() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1"), note("ESC-1", "a")]);
        let mut file = OpenOptions::new().append(true).open(ledger.path()).unwrap();
        file.write_all(br#"{"seq":3,"at":"2026-11-2"#).unwrap();
        drop(file);

        let scan = ledger.scan().unwrap();
        assert_eq!(seqs(&scan.records), [1, 2]);
        let torn = scan.torn_tail.expect("torn tail");
        assert_eq!(torn.line, 4);
        assert_eq!(torn.bytes, 24);
        assert_eq!(ledger.summary().unwrap().torn_tail, Some(torn));
        assert_eq!(ledger.read_case("ESC-1").unwrap().len(), 2);
        let report = ledger.verify().unwrap();
        assert!(report.is_ok());
        assert_eq!(report.torn_tail, Some(torn));

        let mut guard = ledger.lock().unwrap();
        let written = guard.append(vec![note("ESC-1", "b")]).unwrap();
        assert_eq!(guard.repaired(), Some(torn));
        drop(guard);
        assert_eq!(seqs(&written), [3]);
        let all = ledger.read_all().unwrap();
        assert_eq!(seqs(&all), [1, 2, 3]);
        assert_eq!(all[2], written[0]);
        assert!(ledger.scan().unwrap().torn_tail.is_none());
        let kept = fs::read_to_string(ledger.sidecar("torn")).unwrap();
        assert!(kept.contains("line 4, 24 bytes"), "{kept}");
        assert!(kept.contains(r#"{"seq":3,"at":"2026-11-2"#), "{kept}");
    }

    #[test]
    fn a_batch_is_all_or_nothing_at_every_cut_point() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1")]);
        let before = fs::read(ledger.path()).unwrap();
        let batch = vec![note("ESC-1", "a"), opened("ESC-2"), note("ESC-2", "b")];
        append(&ledger, batch);
        let after = fs::read(ledger.path()).unwrap();
        let text = String::from_utf8(after[before.len()..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with(r#","more":true}"#), "{}", lines[0]);
        assert!(lines[1].ends_with(r#","more":true}"#), "{}", lines[1]);
        assert!(!lines[2].contains("more"), "{}", lines[2]);
        assert_eq!(seqs(&ledger.read_all().unwrap()), [1, 2, 3, 4]);
        assert_eq!(ledger.read_case("ESC-2").unwrap().len(), 2);
        let mut batches = Vec::new();
        ledger.visit_batches(|b| batches.push(seqs(&b))).unwrap();
        assert_eq!(batches, [vec![1], vec![2, 3, 4]]);

        for cut in before.len()..after.len() {
            fs::write(ledger.path(), &after[..cut]).unwrap();
            let scan = ledger.scan().unwrap();
            assert_eq!(seqs(&scan.records), [1], "cut at {cut}");
            let expected = (cut > before.len()).then(|| {
                let tail = &after[before.len()..cut];
                TornTail {
                    line: 3,
                    bytes: tail.len() as u64,
                    lines: tail.iter().filter(|&&b| b == b'\n').count(),
                }
            });
            assert_eq!(scan.torn_tail, expected, "cut at {cut}");
            assert_eq!(ledger.summary().unwrap().torn_tail, expected);
            assert_eq!(ledger.next_case_number().unwrap(), 2, "cut at {cut}");
            assert_eq!(ledger.read_case("ESC-2").unwrap(), vec![], "cut at {cut}");
            assert_eq!(seqs(&ledger.read_case("ESC-1").unwrap()), [1]);
            let report = ledger.verify().unwrap();
            assert!(report.is_ok(), "cut at {cut}: {report:?}");
            assert_eq!(
                (report.events, report.last_seq, report.torn_tail),
                (1, 1, expected)
            );
        }

        // The next writer sets the unfinished batch aside and numbers from the last commit.
        fs::write(ledger.path(), &after[..after.len() - 1]).unwrap();
        let mut guard = ledger.lock().unwrap();
        let written = guard.append(vec![opened("ESC-2")]).unwrap();
        assert_eq!(guard.repaired().map(|t| (t.line, t.lines)), Some((3, 2)));
        drop(guard);
        assert_eq!(seqs(&written), [2]);
        let report = ledger.verify().unwrap();
        assert!(report.is_ok() && report.torn_tail.is_none(), "{report:?}");
        assert_eq!(report.events, 2);
        let kept = fs::read_to_string(ledger.sidecar("torn")).unwrap();
        assert!(kept.contains("uncommitted tail"), "{kept}");
        assert!(kept.contains(lines[1]), "{kept}");
    }

    #[test]
    fn lines_of_a_vouched_batch_are_handed_on_one_by_one_and_never_past_it() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1")]);
        append(
            &ledger,
            vec![note("ESC-1", "a"), opened("ESC-2"), note("ESC-2", "b")],
        );
        let bytes = fs::read(ledger.path()).unwrap();
        let len = bytes.len() as u64;
        let handed = |vouched: u64, bytes: &[u8]| {
            let mut sizes = Vec::new();
            let reading = Reading {
                vouched,
                skip: None,
            };
            let layout = walk(ledger.path(), bytes, reading, |b: &mut Vec<Record>| {
                sizes.push(seqs(b))
            })
            .unwrap();
            (sizes, layout.tail_lines, layout.last_seq, layout.max_case)
        };
        // Unvouched, a batch is handed on whole once its last line is read.
        assert_eq!(handed(0, &bytes), (vec![vec![1], vec![2, 3, 4]], 0, 4, 2));
        // Vouched by a checkpoint, line by line: the same records, the same layout.
        let one_by_one = vec![vec![1], vec![2], vec![3], vec![4]];
        assert_eq!(handed(len, &bytes), (one_by_one, 0, 4, 2));
        // The visit the reports use goes by the checkpoint the writer left.
        let vouched = ledger.load_checkpoint(
            Stamp::of(&fs::metadata(ledger.path()).unwrap()).unwrap(),
            &File::open(ledger.path()).unwrap(),
        );
        assert_eq!(vouched.map(|c| c.valid_len), Some(len));
        let mut visited = Vec::new();
        ledger.visit(|r| visited.push(r.seq)).unwrap();
        assert_eq!(visited, [1, 2, 3, 4]);
        // Lines past what is vouched wait for their batch's end; a batch cut short is
        // never handed on.
        let first = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        let second = first + bytes[first..].iter().position(|&b| b == b'\n').unwrap() + 1;
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(handed(second as u64, cut), (vec![vec![1]], 2, 1, 1));
    }

    #[test]
    fn skipped_events_are_left_out_and_the_rest_is_what_a_full_read_gives() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1"), note("ESC-1", "a")]);
        append(&ledger, vec![opened("ESC-2"), note("ESC-1", "b")]);
        append(&ledger, vec![note("ESC-2", "c")]);
        let wanted: Vec<Record> = ledger
            .read_all()
            .unwrap()
            .into_iter()
            .filter(|r| r.event.name() != "noted")
            .collect();
        let skipping = || {
            let mut got = Vec::new();
            ledger
                .visit_skipping(|e| e == "noted", |r| got.push(r))
                .unwrap();
            got
        };
        // Vouched by the writer's checkpoint: skipped lines are read only for the rules.
        assert!(ledger.sidecar("idx").exists());
        assert_eq!(skipping(), wanted);
        // Unvouched (no checkpoint), every line is read whole: the same answer.
        fs::remove_file(ledger.sidecar("idx")).unwrap();
        assert_eq!(skipping(), wanted);
        // A line that breaks the rules stops the read even when its event is skipped.
        let text = fs::read_to_string(ledger.path()).unwrap();
        let broken = text.replace(
            r#""case":"ESC-2","step":"update""#,
            r#""case":"ESC-7","step":"update""#,
        );
        assert_ne!(broken, text);
        fs::write(ledger.path(), broken).unwrap();
        let mut none = 0;
        let result = ledger.visit_skipping(|e| e == "noted", |_| none += 1);
        assert!(
            matches!(result, Err(LedgerError::Damaged { line: 6, .. })),
            "{result:?}"
        );
    }

    #[test]
    fn skimmed_events_are_what_their_records_give_vouched_or_not() {
        let (_dir, ledger) = setup();
        let queued = |message: &str, promise: Option<DateTime<Utc>>| {
            let mut e = note("ESC-1", "");
            e.event = Event::NotificationQueued {
                action: "update".into(),
                recipients: vec!["ana".into()],
                message: message.into(),
                due: at(2),
                audience: crate::case::event::Audience::Customer,
                clock: None,
                promise,
            };
            e
        };
        let subsecond = at(3) + chrono::TimeDelta::milliseconds(250);
        append(&ledger, vec![opened("ESC-1"), queued("plain", None)]);
        append(
            &ledger,
            vec![
                queued(r#"text with ,"promise":"2030-01-01T00:00:00Z" in it"#, None),
                queued("a promise", Some(at(5))),
                note("ESC-1", "a"),
                queued("a promise to the millisecond", Some(subsecond)),
            ],
        );
        let skim = |e: &str| e == "notification_queued";
        let wanted: Vec<Seen> = ledger
            .read_all()
            .unwrap()
            .into_iter()
            .map(|r| Seen::of(r, skim))
            .collect();
        let promises: Vec<_> = wanted
            .iter()
            .filter_map(|s| match s {
                Seen::Skimmed(s) => Some(s.promise),
                Seen::Whole(_) => None,
            })
            .collect();
        assert_eq!(promises, [None, None, Some(at(5)), Some(subsecond)]);
        let skimming = || {
            let mut got = Vec::new();
            ledger.visit_skimming(skim, |s| got.push(s)).unwrap();
            got
        };
        // Vouched: skimmed lines are read from their head and their promise only.
        assert!(ledger.sidecar("idx").exists());
        assert_eq!(skimming(), wanted);
        // Unvouched, every line is read whole: the same answer.
        fs::remove_file(ledger.sidecar("idx")).unwrap();
        assert_eq!(skimming(), wanted);
    }

    #[test]
    fn a_case_is_found_in_a_file_read_in_chunks_as_in_the_whole_image() {
        let (dir, ledger) = setup();
        // Over 1 MB of lines (more than one chunk), three cases interleaved.
        let cases = ["ESC-1", "ESC-2", "ESC-3"];
        append(&ledger, cases.iter().map(|c| opened(c)).collect());
        let text = "x".repeat(300);
        for _ in 0..12 {
            let batch = (0..300)
                .map(|i| note(cases[i % 3], &format!("{i} {text}")))
                .collect();
            append(&ledger, batch);
        }
        let bytes = fs::read(ledger.path()).unwrap();
        assert!(bytes.len() > 1 << 20, "{}", bytes.len());
        let file_of = |bytes: &[u8]| {
            let path = dir.path().join("copy.jsonl");
            fs::write(&path, bytes).unwrap();
            File::open(&path).unwrap()
        };
        let path = ledger.path();
        let both = |bytes: &[u8], case: &str| {
            let len = bytes.len() as u64;
            let whole = find_case(path, bytes, len, case).map_err(|e| e.to_string());
            let chunked =
                find_case_in_file(path, &file_of(bytes), len, case).map_err(|e| e.to_string());
            (whole, chunked)
        };
        for case in cases {
            let (whole, chunked) = both(&bytes, case);
            assert_eq!(whole.as_ref().map(Vec::len), Ok(1 + 1200));
            assert_eq!(chunked, whole, "{case}");
        }
        // A damaged line of the case, in every chunk: the same error, the same line number.
        let text = String::from_utf8(bytes.clone()).unwrap();
        let starts: Vec<usize> = text
            .match_indices("\"case\":\"ESC-2\",")
            .map(|(i, _)| i)
            .step_by(97)
            .collect();
        assert!(starts.iter().any(|&i| i > 1 << 20));
        for at in starts {
            let mut spoiled = bytes.clone();
            spoiled[at + 20] = b'{';
            let (whole, chunked) = both(&spoiled, "ESC-2");
            assert!(whole.is_err(), "spoiled at {at}");
            assert_eq!(chunked, whole, "spoiled at {at}");
        }
    }

    #[test]
    fn the_head_of_a_written_line_is_read_from_its_first_bytes_as_serde_reads_it() {
        let head = |h: Head| (h.seq, h.at, h.case.into_owned(), h.event.into_owned());
        let actors = ["ana", r#"a "quoted" \ name"#, "ünïcode \u{7f}", ""];
        for (i, actor) in actors.into_iter().enumerate() {
            for (policy, login) in [(None, None), (Some("p1"), None), (Some("p\"2"), Some("l"))] {
                let mut event = note("ESC-12", "text with \"event\":\"opened\"");
                event.actor = actor.into();
                event.policy = policy.map(str::to_owned);
                let mut record = event.into_record(i as u64 * 1000 + 7);
                record.login = login.map(Into::into);
                let line = serde_json::to_vec(&record).unwrap();
                let fast = Head::written(&line).map(head);
                let slow: Head = serde_json::from_slice(&line).unwrap();
                assert_eq!(fast, Some(head(slow)), "{}", String::from_utf8_lossy(&line));
            }
        }
        // Any other shape is left to the full parse.
        for other in [
            r#"{"at":"2026-11-23T09:01:00Z","seq":1,"actor":"a","case":"ESC-1","step":"update","event":"noted"}"#,
            r#"{"seq": 1,"at":"2026-11-23T09:01:00Z","actor":"a","case":"ESC-1","step":"update","event":"noted"}"#,
            r#"{"seq":01,"at":"2026-11-23T09:01:00Z","actor":"a","case":"ESC-1","step":"update","event":"noted"}"#,
            r#"{"seq":1,"at":"2026-11-23T09:01:00+00:00","actor":"a","case":"ESC-1","step":"update","event":"noted"}"#,
            r#"{"seq":1,"at":"2026-11-23T09:01:00Z","actor":"a","case":"ESC\u002d1","step":"update","event":"noted"}"#,
            r#"{"seq":1,"at":"2026-11-23T09:01:00Z","actor":"a","case":"ESC-1","event":"noted"}"#,
            r#"{"seq":1,"at":"2026-11-23T09:01:00Z","actor":"a","case":"ESC-1","step":"update","text":"x","event":"noted"}"#,
            r#"{"seq":1,"at":"2026-11-23T09:01:00Z","actor":"a\","#,
            r#"{"seq":99999999999999999999,"at":"2026-11-23T09:01:00Z","actor":"a","case":"ESC-1","step":"update","event":"noted"}"#,
        ] {
            assert!(Head::written(other.as_bytes()).is_none(), "{other}");
        }
    }

    #[test]
    fn reading_on_two_threads_finds_what_one_thread_finds_on_every_damaged_ledger() {
        // Enough lines for many hand-overs between the threads, batches of one to three
        // events, a skipped kind of event, and every way of cutting or spoiling the file.
        let mut text = HEADER_LINE.to_vec();
        let mut seq = 0;
        for case in 1..=150u64 {
            let id = format!("ESC-{case}");
            let events = [opened(&id), note(&id, "a"), note(&id, "b")];
            let n = 1 + (case % 3) as usize;
            for (i, event) in events.into_iter().take(n).enumerate() {
                seq += 1;
                let mut line = serde_json::to_vec(&event.into_record(seq)).unwrap();
                if i + 1 < n {
                    line.pop();
                    line.extend_from_slice(MORE_MARK);
                }
                line.push(b'\n');
                text.extend(line);
            }
        }
        let path = Path::new("ledger.jsonl");
        let read = |bytes: &[u8], reading: Reading, two: bool| {
            let mut handed = Vec::new();
            walk_on(
                path,
                bytes,
                reading,
                |b: &mut Vec<Record>| handed.push(seqs(b)),
                two,
            )
            .map(|layout| (layout, handed))
            .map_err(|e| e.to_string())
        };
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for cut in (0..text.len())
            .step_by(97)
            .chain([text.len() - 1, text.len()])
        {
            variants.push(text[..cut].to_vec());
        }
        for at in (0..text.len()).step_by(331) {
            for byte in [b'x', b'\n', b'"', b'9'] {
                let mut spoiled = text.clone();
                spoiled[at] = byte;
                variants.push(spoiled);
            }
        }
        let len = text.len() as u64;
        let skipping = Reading {
            vouched: len,
            skip: Some(Skip {
                names: |e| e == "noted",
                skimmed: false,
            }),
        };
        let mut failures = 0;
        for bytes in &variants {
            for reading in [Reading::EVERY, skipping] {
                let one = read(bytes, reading, false);
                failures += usize::from(one.is_err());
                assert_eq!(read(bytes, reading, true), one);
                // A walk that keeps no record checks and measures the same.
                let discarding =
                    walk_on(path, &bytes[..], reading, Discard, true).map_err(|e| e.to_string());
                assert_eq!(discarding, one.clone().map(|(layout, _)| layout));
            }
        }
        // The spoiled ledgers did exercise the errors, and the whole one reads whole.
        assert!(failures > variants.len() / 2, "{failures}");
        let (layout, _) = read(&text, Reading::EVERY, true).unwrap();
        assert_eq!((layout.last_seq, layout.max_case), (seq, 150));
    }

    #[test]
    fn a_ledger_without_batch_marks_is_all_committed() {
        let (_dir, ledger) = setup();
        fs::create_dir_all(ledger.dir()).unwrap();
        let mut text = String::from_utf8(HEADER_LINE.to_vec()).unwrap();
        for (seq, event) in [opened("ESC-1"), note("ESC-1", "old")]
            .into_iter()
            .enumerate()
        {
            text.push_str(&serde_json::to_string(&event.into_record(seq as u64 + 1)).unwrap());
            text.push('\n');
        }
        fs::write(ledger.path(), text).unwrap();
        assert_eq!(seqs(&ledger.read_all().unwrap()), [1, 2]);
        assert!(ledger.verify().unwrap().torn_tail.is_none());
        // A hand-formatted `"more": true` is a batch mark too.
        let hand = fs::read_to_string(ledger.path()).unwrap().replacen(
            r#""text":"old"}"#,
            r#""text":"old", "more": true }"#,
            1,
        );
        fs::write(ledger.path(), hand).unwrap();
        assert_eq!(seqs(&ledger.read_all().unwrap()), [1]);
        assert_eq!(ledger.verify().unwrap().torn_tail.map(|t| t.lines), Some(1));
    }

    #[test]
    fn torn_header_is_an_empty_ledger() {
        let (_dir, ledger) = setup();
        fs::create_dir_all(ledger.dir()).unwrap();
        fs::write(ledger.path(), br#"{"esc_led"#).unwrap();
        assert_eq!(ledger.read_all().unwrap(), vec![]);
        assert_eq!(ledger.summary().unwrap().torn_tail.map(|t| t.line), Some(1));
        let written = append(&ledger, vec![opened("ESC-1")]);
        assert_eq!(seqs(&written), [1]);
        let text = fs::read_to_string(ledger.path()).unwrap();
        assert!(
            text.starts_with("{\"esc_ledger\":1}\n{\"seq\":1,"),
            "{text}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_ledger_is_never_cut() {
        let (_dir, ledger) = setup();
        fs::create_dir_all(ledger.dir()).unwrap();
        for content in [&b"my notes"[..], b"my notes\nmore"] {
            fs::write(ledger.path(), content).unwrap();
            assert_eq!(damaged_line(ledger.read_all()), 1);
            let mut guard = ledger.lock().unwrap();
            assert_eq!(damaged_line(guard.append(vec![opened("ESC-1")])), 1);
            drop(guard);
            assert_eq!(fs::read(ledger.path()).unwrap(), content);
        }
    }

    #[test]
    fn unsupported_version_is_named() {
        let (_dir, ledger) = setup();
        fs::create_dir_all(ledger.dir()).unwrap();
        fs::write(ledger.path(), "{\"esc_ledger\":2}\n").unwrap();
        let err = ledger.read_all().unwrap_err();
        assert!(
            matches!(err, LedgerError::UnsupportedVersion { found: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn damaged_middle_line_names_the_line() {
        let (_dir, ledger) = setup();
        append(
            &ledger,
            vec![opened("ESC-1"), note("ESC-1", "a"), note("ESC-1", "b")],
        );
        let text = fs::read_to_string(ledger.path()).unwrap();
        let broken = text.replacen(r#"{"seq":2,"#, r#"{"seq":2,,"#, 1);
        fs::write(ledger.path(), &broken).unwrap();

        let err = ledger.read_all().unwrap_err();
        assert!(matches!(err, LedgerError::Damaged { line: 3, .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("ledger.jsonl"), "{message}");
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("esc ledger verify"), "{message}");
        assert_eq!(damaged_line(ledger.read_case("ESC-1")), 3);
        assert_eq!(damaged_line(ledger.next_case_number()), 3);
        let mut guard = ledger.lock().unwrap();
        assert_eq!(damaged_line(guard.append(vec![note("ESC-1", "c")])), 3);
        drop(guard);
        assert_eq!(fs::read_to_string(ledger.path()).unwrap(), broken);

        let report = ledger.verify().unwrap();
        assert_eq!(report.problems.len(), 1, "{report:?}");
        assert_eq!(report.problems[0].line, 3);
        assert_eq!(report.events, 2);
    }

    #[test]
    fn seq_gap_and_empty_line_are_damage() {
        let (_dir, ledger) = setup();
        append(
            &ledger,
            vec![opened("ESC-1"), note("ESC-1", "a"), note("ESC-1", "b")],
        );
        let text = fs::read_to_string(ledger.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Line 3 (seq 2) removed: line 3 now holds seq 3.
        fs::write(
            ledger.path(),
            format!("{}\n{}\n{}\n", lines[0], lines[1], lines[3]),
        )
        .unwrap();
        assert_eq!(damaged_line(ledger.read_all()), 3);
        assert_eq!(damaged_line(ledger.read_case("ESC-9")), 3);
        let report = ledger.verify().unwrap();
        assert_eq!(report.problems.len(), 1);
        assert!(report.problems[0].message.contains("seq is 3 where 2"));

        fs::write(ledger.path(), format!("{}\n{}\n\n", lines[0], lines[1])).unwrap();
        assert_eq!(damaged_line(ledger.read_all()), 3);
    }

    #[test]
    fn verify_lists_every_problem_apart_from_a_torn_tail() {
        let (_dir, ledger) = setup();
        append(
            &ledger,
            std::iter::once(opened("ESC-1"))
                .chain((1..5).map(|i| note("ESC-1", &format!("n{i}"))))
                .collect(),
        );
        let text = fs::read_to_string(ledger.path()).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[2] = "garbage".into();
        lines[4] = "{}".into();
        fs::write(ledger.path(), format!("{}\n{{\"seq\":6", lines.join("\n"))).unwrap();
        let report = ledger.verify().unwrap();
        let lines: Vec<usize> = report.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 5], "{report:?}");
        assert_eq!(
            report.torn_tail,
            Some(TornTail {
                line: 7,
                bytes: 8,
                lines: 0
            })
        );
        assert_eq!((report.events, report.last_seq), (3, 5));
    }

    #[test]
    fn the_summary_knows_whether_there_are_oncall_overrides() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1")]);
        assert!(!ledger.summary().unwrap().has_oncall);
        let e = Event::OncallOverride {
            role: "agent".into(),
            person: "ana".into(),
            from: at(0),
            to: at(30),
        };
        let mut o = note(ONCALL, "");
        o.event = e;
        append(&ledger, vec![o]);
        assert!(
            ledger.summary().unwrap().has_oncall,
            "from the append's checkpoint"
        );
        // Rebuilt by a scan when the checkpoint is gone.
        fs::remove_file(ledger.sidecar("idx")).unwrap();
        assert!(ledger.summary().unwrap().has_oncall, "from a scan");
        assert_eq!(ledger.next_case_number().unwrap(), 2, "ONCALL is no case");
        let report = ledger.verify().unwrap();
        assert!(report.is_ok(), "{report:?}");
        assert_eq!((report.events, report.cases), (2, 1));
    }

    fn read_checkpoint(ledger: &Ledger) -> Checkpoint {
        serde_json::from_slice(&fs::read(ledger.sidecar("idx")).unwrap()).unwrap()
    }

    #[test]
    fn checkpoint_is_used_only_when_it_vouches_for_the_file() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1"), note("ESC-1", "a")]);
        let idx = ledger.sidecar("idx");
        let genuine = read_checkpoint(&ledger);
        assert_eq!((genuine.last_seq, genuine.max_case), (2, 1));
        let file = File::open(ledger.path()).unwrap();
        let last = last_line(&file, genuine.valid_len).unwrap().unwrap();
        assert!(last.starts_with(br#"{"seq":2,"#));
        assert!(genuine.vouches_for(&last) && genuine.check == genuine.hash(&last));

        // Forged or stale numbers (issue 10, item 5) are ignored: the ledger is scanned, the
        // answers are right, and the checkpoint is rewritten.
        let forgeries: [fn(&mut Checkpoint); 5] = [
            |c| {
                c.last_seq = 0;
                c.max_case = 0;
            },
            |c| c.max_case = 41,
            |c| c.last_seq = 1,
            |c| c.valid_len -= 10,
            |c| c.check ^= 1,
        ];
        for forge in forgeries {
            let mut forged = genuine;
            forge(&mut forged);
            fs::write(&idx, serde_json::to_vec(&forged).unwrap()).unwrap();
            assert_eq!(ledger.summary().unwrap().next_case_number, 2, "{forged:?}");
            assert_eq!(ledger.last_seq().unwrap(), 2, "{forged:?}");
            assert_eq!(read_checkpoint(&ledger), genuine);
        }
        // A lowered `last_seq` whose hash was recomputed still does not vouch for the file:
        // the line at its end has seq 2.
        let mut forged = genuine;
        forged.last_seq = 1;
        forged.check = forged.hash(&last);
        fs::write(&idx, serde_json::to_vec(&forged).unwrap()).unwrap();
        assert_eq!(ledger.last_seq().unwrap(), 2);

        // The genuine checkpoint is what is used: one whose hash was recomputed by hand for
        // other numbers is believed (it is a check against mistakes and stale copies, not
        // against someone who may write the ledger's directory).
        let mut recomputed = genuine;
        recomputed.max_case = 41;
        recomputed.check = recomputed.hash(&last);
        fs::write(&idx, serde_json::to_vec(&recomputed).unwrap()).unwrap();
        assert_eq!(ledger.next_case_number().unwrap(), 42);
    }

    #[test]
    fn checkpoint_is_rebuilt_when_stale_or_deleted() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1"), note("ESC-1", "a")]);
        let idx = ledger.sidecar("idx");
        let mut checkpoint: Checkpoint = serde_json::from_slice(&fs::read(&idx).unwrap()).unwrap();
        checkpoint.max_case = 41;
        checkpoint.stamp.mtime_ns -= 1;
        fs::write(&idx, serde_json::to_vec(&checkpoint).unwrap()).unwrap();
        assert_eq!(ledger.next_case_number().unwrap(), 2);
        let rebuilt: Checkpoint = serde_json::from_slice(&fs::read(&idx).unwrap()).unwrap();
        assert_eq!((rebuilt.last_seq, rebuilt.max_case), (2, 1));

        // Changed from outside: a hand-added event is counted.
        let ledger_text = fs::read_to_string(ledger.path()).unwrap();
        let line = ledger_text
            .lines()
            .nth(2)
            .unwrap()
            .replace(r#""seq":2"#, r#""seq":3"#)
            .replace("ESC-1", "ESC-7")
            .replace(r#""event":"noted","text":"a""#, r#""event":"opened","title":"t","severity":"sev2","type":"incident","path":"support","tier":"l1","owner":"ana""#);
        fs::write(ledger.path(), format!("{ledger_text}{line}\n")).unwrap();
        assert_eq!(ledger.next_case_number().unwrap(), 8);
        assert_eq!(ledger.last_seq().unwrap(), 3);

        fs::remove_file(&idx).unwrap();
        assert_eq!(ledger.last_seq().unwrap(), 3);
        // A reader creates no file: the next writer makes the checkpoint again.
        assert!(!idx.exists());
        append(&ledger, vec![note("ESC-7", "b")]);
        assert!(idx.exists());
        fs::write(&idx, b"not json").unwrap();
        let written = append(&ledger, vec![opened("ESC-8")]);
        assert_eq!(seqs(&written), [5]);
        assert_eq!(ledger.next_case_number().unwrap(), 9);
    }

    #[test]
    fn read_case_tells_esc_7_from_esc_70() {
        let (_dir, ledger) = setup();
        let mut events = Vec::new();
        for n in 1..=70 {
            events.push(opened(&format!("ESC-{n}")));
        }
        events.push(note("ESC-70", "seventy"));
        events.push(note("ESC-7", "seven, mentions \"case\":\"ESC-70\""));
        events.push(opened("ESC-77"));
        append(&ledger, events);
        let seven = ledger.read_case("ESC-7").unwrap();
        assert_eq!(seqs(&seven), [7, 72]);
        assert!(seven.iter().all(|r| r.case == "ESC-7"));
        assert_eq!(seqs(&ledger.read_case("ESC-70").unwrap()), [70, 71]);
        assert_eq!(ledger.read_case("ESC-77").unwrap().len(), 1);
        assert_eq!(ledger.read_case("ESC-700").unwrap(), vec![]);
        assert_eq!(ledger.next_case_number().unwrap(), 78);
    }

    #[test]
    fn read_case_finds_hand_formatted_lines() {
        let (_dir, ledger) = setup();
        append(&ledger, vec![opened("ESC-1")]);
        let mut text = fs::read_to_string(ledger.path()).unwrap();
        text.push_str(
            r#"{ "seq": 2, "at": "2026-11-23T09:05:00Z", "actor": "bo", "case": "ESC-1", "step": "update", "event": "noted", "text": "by hand" }"#,
        );
        text.push('\n');
        fs::write(ledger.path(), text).unwrap();
        assert_eq!(seqs(&ledger.read_case("ESC-1").unwrap()), [1, 2]);
    }

    #[test]
    fn lock_serializes_writers() {
        let (_dir, ledger) = setup();
        let path = ledger.path().to_owned();
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let ledger = Ledger::open(path).unwrap();
                    for i in 0..50 {
                        let mut guard = ledger.lock().unwrap();
                        let n = guard.next_case_number().unwrap();
                        let last = guard.last_seq().unwrap();
                        let written = guard
                            .append(vec![opened(&format!("ESC-{n}"))])
                            .unwrap_or_else(|e| panic!("thread {t} event {i}: {e}"));
                        assert_eq!(written[0].seq, last + 1);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let all = ledger.read_all().unwrap();
        assert_eq!(seqs(&all), (1..=100).collect::<Vec<_>>());
        let cases: HashSet<&str> = all.iter().map(|r| r.case.as_str()).collect();
        assert_eq!(cases.len(), 100, "every case number given once");
        assert_eq!(ledger.next_case_number().unwrap(), 101);
        assert!(ledger.verify().unwrap().is_ok());
    }
}
