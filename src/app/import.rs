//! `esc import FILE`: bulk import of existing cases (JSON Lines or CSV).

use super::output::Output;
use super::settings::Settings;
use anyhow::{Result, bail};
use std::path::Path;

/// Import every record of `file`, all or nothing.
pub fn import(_settings: &Settings, file: &Path, _out: &mut Output) -> Result<()> {
    bail!("importing {} is not available yet", file.display())
}
