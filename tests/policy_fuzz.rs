//! The policy parser never panics on mangled input, and every diagnostic points into the text.
//!
//! Valid policies are mangled (byte ranges deleted, lines duplicated, characters swapped,
//! random bytes and unicode inserted, truncation) and fed to `esc::policy::parse`. Ok or Err
//! are both fine; a panic is not, and every span must lie within the text on char boundaries.

use esc::policy::source::line_col;
use proptest::prelude::*;
use std::sync::LazyLock;

static SOURCES: LazyLock<Vec<String>> = LazyLock::new(|| {
    [
        "tests/fixtures/spec-excerpt.toml",
        "tests/fixtures/minimal.toml",
    ]
    .iter()
    .map(|rel| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        std::fs::read_to_string(path).expect("fixture")
    })
    .collect()
});

/// One way of mangling a text; positions are fractions of the current length.
#[derive(Debug, Clone)]
enum Edit {
    DeleteRange(f64, f64),
    DuplicateLine(f64),
    SwapChars(f64, f64),
    InsertBytes(f64, Vec<u8>),
    InsertText(f64, String),
    Truncate(f64),
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = 0.0..1.0f64;
    // Characters that matter to TOML and to the checks, plus multi-byte ones.
    let pieces = prop::sample::select(vec![
        "\"", "'", "[", "]", "{", "}", "=", ",", ".", "\n", "\r\n", "#", "\\", "\\u", "\"\"\"",
        "'''", "{{", "}}", "{%", "-", ":", "24:00", "0", "1.5", "2d", "é", "→", "😀", "\u{0}",
        "\u{feff}", "ß", "\t", " ",
    ]);
    prop_oneof![
        (at.clone(), 0.0..0.2f64).prop_map(|(a, len)| Edit::DeleteRange(a, len)),
        at.clone().prop_map(Edit::DuplicateLine),
        (at.clone(), at.clone()).prop_map(|(a, b)| Edit::SwapChars(a, b)),
        (at.clone(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(a, b)| Edit::InsertBytes(a, b)),
        (at.clone(), "\\PC{1,6}").prop_map(|(a, s)| Edit::InsertText(a, s)),
        (at.clone(), prop::collection::vec(pieces, 1..4))
            .prop_map(|(a, p)| Edit::InsertText(a, p.concat())),
        at.prop_map(Edit::Truncate),
    ]
}

fn index(len: usize, at: f64) -> usize {
    ((len as f64) * at) as usize
}

/// Apply an edit to raw bytes; the result is made valid UTF-8 (lossily) afterwards.
fn apply(bytes: &mut Vec<u8>, e: &Edit) {
    let len = bytes.len();
    match e {
        Edit::DeleteRange(a, l) => {
            let start = index(len, *a).min(len);
            let end = (start + index(len, *l)).min(len);
            bytes.drain(start..end);
        }
        Edit::DuplicateLine(a) => {
            let at = index(len, *a).min(len);
            let start = bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let end = bytes[at..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(len, |i| at + i + 1);
            let line = bytes[start..end].to_vec();
            bytes.splice(end..end, line);
        }
        Edit::SwapChars(a, b) => {
            if len > 0 {
                let (i, j) = (index(len, *a).min(len - 1), index(len, *b).min(len - 1));
                bytes.swap(i, j);
            }
        }
        Edit::InsertBytes(a, b) => {
            let at = index(len, *a).min(len);
            bytes.splice(at..at, b.iter().copied());
        }
        Edit::InsertText(a, s) => {
            let at = index(len, *a).min(len);
            bytes.splice(at..at, s.bytes());
        }
        Edit::Truncate(a) => bytes.truncate(index(len, *a)),
    }
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let Err(diags) = esc::policy::parse(text) else {
        return Ok(());
    };
    prop_assert!(!diags.is_empty(), "Err without diagnostics");
    for d in &diags {
        let (s, e) = (d.span.start, d.span.end);
        prop_assert!(
            s <= e && e <= text.len(),
            "span {s}..{e} outside a text of {} bytes: {}",
            text.len(),
            d.message
        );
        prop_assert!(
            text.is_char_boundary(s) && text.is_char_boundary(e),
            "span {s}..{e} splits a character: {}",
            d.message
        );
        prop_assert!(!d.message.trim().is_empty());
        let (line, col) = line_col(text, s);
        prop_assert!(line >= 1 && col >= 1);
        prop_assert!(line <= text.lines().count().max(1) + 1);
        let _ = line_col(text, e);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mangled_policies_never_panic(
        which in 0..2usize,
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let mut bytes = SOURCES[which].clone().into_bytes();
        for e in &edits {
            apply(&mut bytes, e);
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        check(&text)?;
    }

    #[test]
    fn unicode_inside_values_keeps_spans_on_char_boundaries(
        which in 0..2usize,
        at in 0.0..1.0f64,
        s in "[é→😀ß\\\\nt{}\"%a-z ]{1,12}",
    ) {
        // Insert just after an opening quote, so the text lands inside a string value.
        let src = &SOURCES[which];
        let quotes: Vec<usize> = src.match_indices('"').map(|(i, _)| i + 1).collect();
        let i = quotes[index(quotes.len(), at).min(quotes.len() - 1)];
        let mut text = src.clone();
        text.insert_str(i, &s);
        check(&text)?;
    }
}

#[test]
fn line_col_is_safe_anywhere() {
    let text = "a = \"é😀\"\nb = 1\n";
    for offset in 0..=text.len() + 3 {
        let _ = line_col(text, offset);
    }
    assert_eq!(line_col(text, 0), (1, 1));
    assert_eq!(line_col(text, text.find('b').unwrap()), (2, 1));
    // Columns count characters, not bytes.
    assert_eq!(line_col(text, text.find('😀').unwrap()), (1, 7));
}
