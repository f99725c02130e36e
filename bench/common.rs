//! Pieces the benchmark harnesses share: building the release binary, the parse-only
//! floor, medians.

use esc::case::Record;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Run `cargo build --release --bin esc` (unless `skip`) and return the binary to time:
/// `given`, else `target/release/esc`.
pub fn release_binary(given: Option<&Path>, skip: bool) -> Result<PathBuf, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    if !skip {
        eprintln!("building the release binary: cargo build --release --bin esc");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let ok = Command::new(cargo)
            .args(["build", "--release", "--bin", "esc"])
            .current_dir(manifest)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?
            .success();
        if !ok {
            return Err("`cargo build --release --bin esc` failed".into());
        }
    }
    let esc = release_dir(manifest).join("esc");
    if esc.is_file() {
        Ok(esc)
    } else {
        Err(format!(
            "no esc binary at {}: run `cargo build --release` first (or give --esc PATH)",
            esc.display()
        ))
    }
}

/// `target/release`: where the running harness lives (`target/release/examples/NAME`, which
/// follows `CARGO_TARGET_DIR`), else beside the manifest.
fn release_dir(manifest: &Path) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .filter(|dir| dir.join("esc").is_file())
        .unwrap_or_else(|| manifest.join("target/release"))
}

/// Read the ledger and deserialize every event line into a `Record`: the floor for anything
/// that reads every event. Returns the number of events.
#[allow(dead_code)] // not every harness uses the parse floor
pub fn parse_only(ledger: &Path) -> Result<usize, String> {
    let bytes = std::fs::read(ledger).map_err(|e| format!("{}: {e}", ledger.display()))?;
    let mut count = 0usize;
    for line in bytes.split(|&b| b == b'\n').skip(1) {
        if line.is_empty() {
            continue;
        }
        let record: Record = serde_json::from_slice(line)
            .map_err(|e| format!("{} line {}: {e}", ledger.display(), count + 2))?;
        std::hint::black_box(&record);
        count += 1;
    }
    Ok(count)
}

/// Median, minimum and maximum of a non-empty sample.
#[allow(dead_code)] // not every harness reports spreads
pub fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => (0.0, 0.0, 0.0),
        n => (v[(n - 1) / 2], v[0], v[n - 1]),
    }
}

/// The scan floor: read the ledger's bytes and scan each event line's JSON once without
/// building anything (`serde::de::IgnoredAny`). No whole-ledger command can be faster than
/// reading and looking at every byte once. Returns the number of events.
#[allow(dead_code)] // not every harness uses the scan floor
pub fn scan_floor(ledger: &Path) -> Result<usize, String> {
    let bytes = std::fs::read(ledger).map_err(|e| format!("{}: {e}", ledger.display()))?;
    let mut count = 0usize;
    // Line 1 is the header.
    let body = memchr::memchr(b'\n', &bytes).map_or(bytes.len(), |i| i + 1);
    let mut start = body;
    for end in memchr::memchr_iter(b'\n', &bytes[body..]).map(|i| i + body) {
        let line = &bytes[start..end];
        start = end + 1;
        if line.is_empty() {
            continue;
        }
        let _: serde::de::IgnoredAny = serde_json::from_slice(line)
            .map_err(|e| format!("{} event {}: {e}", ledger.display(), count + 1))?;
        count += 1;
    }
    Ok(count)
}
