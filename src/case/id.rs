//! Case ids: `ESC-<n>`, n counting from 1. Commands accept `ESC-7`, `esc-7` and `7`.

/// The canonical id for case number `n`.
pub fn format(n: u64) -> String {
    format!("ESC-{n}")
}

/// The number in a canonical id.
pub fn number(id: &str) -> Option<u64> {
    id.strip_prefix("ESC-")?.parse().ok().filter(|n| *n > 0)
}

/// Why a case id was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a case id: write ESC-7, esc-7 or 7")]
pub struct BadId(pub String);

/// Normalise what a user typed into the canonical id.
pub fn parse(input: &str) -> Result<String, BadId> {
    let t = input.trim();
    let digits = match t.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("esc-") => &t[4..],
        _ => t,
    };
    match digits.parse::<u64>() {
        Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(format(n)),
        _ => Err(BadId(input.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_forms() {
        assert_eq!(parse("ESC-7").unwrap(), "ESC-7");
        assert_eq!(parse("esc-7").unwrap(), "ESC-7");
        assert_eq!(parse("7").unwrap(), "ESC-7");
        assert_eq!(parse(" Esc-012 ").unwrap(), "ESC-12");
    }

    #[test]
    fn refuses_others() {
        for bad in [
            "", "ESC-", "ESC-0", "0", "-3", "ESC-+3", "x7", "ESC-7a", "é",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_round_trip() {
        assert_eq!(number(&format(42)), Some(42));
        assert_eq!(number("ESC-x"), None);
    }
}
