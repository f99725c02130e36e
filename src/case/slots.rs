//! Where each case is in a vector, by id: what a whole-ledger fold looks up for every
//! record it reads ([`super::Folder`], and the desk report's steps).

use std::collections::HashMap;

/// The slot of each case id. Canonical ids (`ESC-<n>`, the dense common case) are found by
/// number, without hashing; any other id by a map.
#[derive(Debug, Default)]
pub struct CaseSlots {
    /// Slot + 1 by case number (0: none).
    by_number: Vec<u32>,
    by_id: HashMap<String, usize>,
}

impl CaseSlots {
    /// The number of a canonical id (`ESC-` and digits without a leading zero), small
    /// enough to index a vector by.
    fn dense_number(id: &str) -> Option<usize> {
        let digits = id.strip_prefix("ESC-")?;
        let canonical = !digits.is_empty()
            && digits.len() <= 8
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit());
        canonical.then(|| digits.parse().ok()).flatten()
    }

    /// The slot of `id`, if it has one.
    pub fn find(&self, id: &str) -> Option<usize> {
        let dense = CaseSlots::dense_number(id).and_then(|n| self.by_number.get(n));
        match dense {
            Some(&i) if i > 0 => Some(i as usize - 1),
            _ if self.by_id.is_empty() => None,
            _ => self.by_id.get(id).copied(),
        }
    }

    /// `id` is at `slot` from now on.
    pub fn remember(&mut self, id: &str, slot: usize) {
        match (CaseSlots::dense_number(id), u32::try_from(slot + 1)) {
            (Some(n), Ok(at)) => {
                if self.by_number.len() <= n {
                    self.by_number.resize(n + 1, 0);
                }
                self.by_number[n] = at;
            }
            _ => {
                self.by_id.insert(id.to_owned(), slot);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_and_other_ids_find_their_slots() {
        let mut s = CaseSlots::default();
        s.remember("ESC-7", 0);
        s.remember("ESC-007", 1);
        s.remember("legacy", 2);
        s.remember(&format!("ESC-{}", u64::MAX), 3);
        assert_eq!(s.find("ESC-7"), Some(0));
        assert_eq!(s.find("ESC-007"), Some(1));
        assert_eq!(s.find("legacy"), Some(2));
        assert_eq!(s.find(&format!("ESC-{}", u64::MAX)), Some(3));
        assert_eq!(s.find("ESC-8"), None);
        assert_eq!(s.find("ESC-1000000"), None);
        assert_eq!(s.find("other"), None);
    }
}
