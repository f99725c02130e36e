//! Interned names: the strings a ledger repeats on case after case — severities, types,
//! accounts, paths, tiers, owners — held once per process, so that a case holds one pointer
//! to each (8 bytes; `Option<Name>` too) rather than its own copy (24 bytes, and a heap
//! block of its own beyond 24 characters). Whole-ledger commands hold every case at once,
//! in memory the kernel hands out fresh (and zeroes, page by page): over a hundred thousand
//! open cases, a case's six names in 48 bytes rather than 96 are some 5 MB less of it.
//!
//! A name is made with [`Name::new`] and never freed: the distinct names of a ledger are few
//! (a policy's and its people's), and a process lives for one command (or, `esc serve`, over
//! the same few names). Each thread looks a name up in its own set first, so folding never
//! waits on a lock but for a name it has not seen yet. The pointer is to the name's `&str`
//! (pointer and length), made once per distinct name: reading a name's text is one load more.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// Names by their text (a [`Name`] hashes and compares as its text, and is looked up by a
/// `&str`).
type Set = HashSet<Name, foldhash::fast::FixedState>;

const fn empty_set() -> Set {
    HashSet::with_hasher(foldhash::fast::FixedState::with_seed(0x5eed))
}

/// Every name of the process.
static ALL: Mutex<Set> = Mutex::new(empty_set());

thread_local! {
    /// The names this thread has made or looked up.
    static SEEN: RefCell<Set> = const { RefCell::new(empty_set()) };
}

/// The text of the empty name.
static EMPTY: &str = "";

/// An interned string (see the module's documentation). Compares, hashes and orders as
/// its text.
#[derive(Clone, Copy)]
pub struct Name(&'static &'static str);

impl Default for Name {
    fn default() -> Name {
        Name(&EMPTY)
    }
}

impl Name {
    /// The name with this text.
    pub fn new(text: &str) -> Name {
        if text.is_empty() {
            return Name::default();
        }
        let interned = SEEN.try_with(|seen| {
            if let Some(s) = seen.borrow().get(text) {
                return *s;
            }
            let s = Name::shared(text);
            seen.borrow_mut().insert(s);
            s
        });
        // A thread being torn down has no set of its own left: the shared one.
        interned.unwrap_or_else(|_| Name::shared(text))
    }

    /// The process's copy of `text`, made on first use.
    fn shared(text: &str) -> Name {
        let mut all = ALL.lock().unwrap_or_else(PoisonError::into_inner);
        match all.get(text) {
            Some(s) => *s,
            None => {
                let s: &'static str = Box::leak(text.into());
                let s = Name(Box::leak(Box::new(s)));
                all.insert(s);
                s
            }
        }
    }

    /// The name's text.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        // Interned: the same text is the same pointer, but for the empty name.
        std::ptr::eq(self.0, other.0) || self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// Comparisons with the string types names are read from and compared with.
/// (`CompactString` compares with anything that is `AsRef<str>`, a name too.)
macro_rules! text_eq {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for Name {
            fn eq(&self, other: &$t) -> bool {
                self.as_str() == AsRef::<str>::as_ref(other)
            }
        }
        impl PartialEq<Name> for $t {
            fn eq(&self, other: &Name) -> bool {
                AsRef::<str>::as_ref(self) == other.as_str()
            }
        }
    )*};
}

text_eq!(str, &str, String);

impl PartialEq<compact_str::CompactString> for Name {
    fn eq(&self, other: &compact_str::CompactString) -> bool {
        self.as_str() == other.as_str()
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Self {
        Name::new(text)
    }
}

impl From<&String> for Name {
    fn from(text: &String) -> Self {
        Name::new(text)
    }
}

impl From<String> for Name {
    fn from(text: String) -> Self {
        Name::new(&text)
    }
}

impl From<compact_str::CompactString> for Name {
    fn from(text: compact_str::CompactString) -> Self {
        Name::new(&text)
    }
}

impl From<&compact_str::CompactString> for Name {
    fn from(text: &compact_str::CompactString) -> Self {
        Name::new(text)
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.0.to_string()
    }
}

impl From<Name> for compact_str::CompactString {
    fn from(name: Name) -> Self {
        compact_str::CompactString::new(name.0)
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Name, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Name;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Name, E> {
                Ok(Name::new(text))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_its_text_made_once() {
        let a = Name::new("sev1");
        let b = Name::new(&String::from("sev1"));
        assert!(std::ptr::eq(a.as_str(), b.as_str()), "one copy");
        assert_eq!(a, b);
        assert_eq!(a, "sev1");
        assert_eq!("sev1", a);
        assert_ne!(a, Name::new("sev2"));
        assert!(Name::new("L1") < Name::new("L2"));
        assert_eq!(Name::default(), Name::new(""));
        // Another thread finds the same copy.
        let other = std::thread::spawn(|| Name::new("sev1").as_str().as_ptr() as usize)
            .join()
            .expect("thread");
        assert_eq!(other, a.as_str().as_ptr() as usize);
        let json = serde_json::to_string(&a).expect("serialises");
        assert_eq!(json, "\"sev1\"");
        let back: Name = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, a);
    }
}
