//! Plain JSON string text: bytes that stand for themselves between a string's quotes — not
//! `"`, not `\` and not a control character. Reading esc's own ledger lines and writing
//! pretty JSON both look for the end of such a run, over hundreds of megabytes of text in a
//! whole-ledger command; here it is found eight bytes at a time.

/// How many bytes at the start of `bytes` are plain (the place of the first `"`, `\` or
/// control character, or `bytes.len()` when there is none).
pub fn plain_len(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(word) = bytes
        .get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
    {
        let found = not_plain(u64::from_le_bytes(word));
        if found != 0 {
            // The lowest flag is exact (see `not_plain`): the first such byte.
            return at + found.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    let rest = &bytes[at..];
    at + rest
        .iter()
        .position(|b| !is_plain(*b))
        .unwrap_or(rest.len())
}

/// Whether `byte` stands for itself in a JSON string.
fn is_plain(byte: u8) -> bool {
    byte >= 0x20 && byte != b'"' && byte != b'\\'
}

/// The high bit of each of the eight bytes of `word` (little-endian) that may be a control
/// character, `"` or `\`: the lowest one set is such a byte, and no such byte is left
/// unflagged (above the lowest, a borrow may flag a byte that is not one).
fn not_plain(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte below n (n ≤ 128) leaves its high bit set in (x - n) & !x; a byte equal to c
    // is a zero byte of x ^ c. A borrow runs upward only from a byte that is flagged itself.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    below(word, 0x20)
        | zero(word ^ (ONES * u64::from(b'"')))
        | zero(word ^ (ONES * u64::from(b'\\')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_run_ends_at_the_first_quote_backslash_or_control_character() {
        assert_eq!(plain_len(b""), 0);
        assert_eq!(plain_len(b"plain text, longer than a word"), 30);
        assert_eq!(plain_len(b"0123456789\"rest"), 10);
        assert_eq!(plain_len(b"01234567\\"), 8);
        assert_eq!(plain_len(b"\x1f"), 0);
        let wide = "héllo wörld\u{7f}\u{80}";
        assert_eq!(plain_len(wide.as_bytes()), wide.len());
    }

    proptest! {
        #[test]
        fn the_run_is_what_a_byte_by_byte_look_finds(
            bytes in proptest::collection::vec(
                prop_oneof![8 => 0x20u8..=0xff, 1 => 0u8..0x20, 1 => Just(b'"'), 1 => Just(b'\\')],
                0..40,
            )
        ) {
            let slow = bytes.iter().position(|b| !is_plain(*b)).unwrap_or(bytes.len());
            prop_assert_eq!(plain_len(&bytes), slow);
        }
    }
}
