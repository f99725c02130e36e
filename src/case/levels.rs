//! Where a case stands on each escalation path: a small map from path name to [`Level`],
//! in path order.
//!
//! A case is on one path, rarely two, so this is a sorted vector with room for exactly the
//! entries it has. A `BTreeMap` would allocate a whole node (about 720 bytes) for the single
//! entry almost every case has, and whole-ledger commands hold every case at once.

use crate::name::Name;
use chrono::{DateTime, Utc};

/// Where a case stands on one escalation path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// Paths and tiers are interned ([`Name`]): a pointer each, no copy per case.
    pub tier: Name,
    /// When the case entered this tier (starts the tier-budget clock).
    pub entered_at: DateTime<Utc>,
}

/// Level per path, in order of path name; a path the case was never escalated on has none.
/// Thin (one pointer), like a case's labels: whole-ledger commands hold every case at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Levels(thin_vec::ThinVec<(Name, Level)>);

impl Levels {
    /// The level on `path`, if the case has one there.
    pub fn get(&self, path: &str) -> Option<&Level> {
        self.position(path).ok().map(|i| &self.0[i].1)
    }

    /// Whether the case has a level on `path`.
    pub fn contains_key(&self, path: &str) -> bool {
        self.position(path).is_ok()
    }

    /// Sets the level on `path`.
    pub fn insert(&mut self, path: impl Into<Name>, level: Level) {
        let path = path.into();
        match self.position(&path) {
            Ok(i) => self.0[i].1 = level,
            Err(i) => {
                self.0.reserve_exact(1);
                self.0.insert(i, (path, level));
            }
        }
    }

    /// Removes the level on `path` (the case left that path).
    pub fn remove(&mut self, path: &str) {
        if let Ok(i) = self.position(path) {
            self.0.remove(i);
        }
    }

    /// Every (path, level), in order of path name.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &Level)> {
        self.0.iter().map(|(path, level)| (path, level))
    }

    /// Every level, in order of path name.
    pub fn values(&self) -> impl Iterator<Item = &Level> {
        self.0.iter().map(|(_, level)| level)
    }

    /// How many paths the case is on.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the case is on no path.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, path: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(p, _)| p.as_str().cmp(path))
    }
}

impl<'a> IntoIterator for &'a Levels {
    type Item = (&'a Name, &'a Level);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Name, Level)>,
        fn(&'a (Name, Level)) -> (&'a Name, &'a Level),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(path, level)| (path, level))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn level(tier: &str, minute: u32) -> Level {
        Level {
            tier: tier.into(),
            entered_at: Utc.with_ymd_and_hms(2026, 1, 5, 9, minute, 0).unwrap(),
        }
    }

    #[test]
    fn keeps_one_level_per_path_in_path_order() {
        let mut levels = Levels::default();
        levels.insert("support", level("L1", 0));
        levels.insert("management", level("M1", 1));
        levels.insert("support", level("L2", 2));
        let seen: Vec<(&str, &str)> = levels
            .iter()
            .map(|(p, l)| (p.as_str(), l.tier.as_str()))
            .collect();
        assert_eq!(seen, [("management", "M1"), ("support", "L2")]);
        assert_eq!(levels.get("support"), Some(&level("L2", 2)));
        assert!(levels.contains_key("management"));
        assert_eq!(levels.len(), 2);
        levels.remove("management");
        levels.remove("nowhere");
        assert!(!levels.contains_key("management"));
        assert_eq!(levels.get("nowhere"), None);
        let tiers: Vec<&str> = levels.values().map(|l| l.tier.as_str()).collect();
        assert_eq!(tiers, ["L2"]);
        assert_eq!((&levels).into_iter().count(), 1);
        levels.remove("support");
        assert!(levels.is_empty());
    }
}
