//! Rules for the texts an artifact carries and a person reads: names, offers, purposes, values.
//!
//! A text shown to a person must not be able to lie about itself: no control characters,
//! no bidirectional overrides or isolates (which reorder what is displayed, e.g. U+202E), and,
//! in names, no invisible characters (zero-width spaces and other default-ignorable code
//! points) and no line breaks. [`looks_alike`] says when two names look the same to a
//! person (UTS #39 confusable skeletons), so a consumer can be warned about a brand whose name
//! imitates one they know.

use std::fmt;

use unicode_security::skeleton;

/// What is wrong with a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Empty or only spaces.
    Empty,
    /// More than `max` characters.
    TooLong { max: usize },
    /// A control character (U+0000–U+001F, U+007F–U+009F), other than a line break where allowed.
    ControlCharacter { code_point: u32 },
    /// A bidirectional formatting character (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C).
    BidiControl { code_point: u32 },
    /// An invisible character (a default-ignorable code point such as U+200B) in a name.
    Invisible { code_point: u32 },
    /// A line or paragraph break in a text that must be one line.
    LineBreak,
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextProblem::Empty => f.write_str("is empty"),
            TextProblem::TooLong { max } => write!(f, "is longer than {max} characters"),
            TextProblem::ControlCharacter { code_point } => {
                write!(f, "contains the control character U+{code_point:04X}")
            }
            TextProblem::BidiControl { code_point } => {
                write!(f, "contains U+{code_point:04X}, a bidirectional control that changes how the text is displayed")
            }
            TextProblem::Invisible { code_point } => {
                write!(
                    f,
                    "contains U+{code_point:04X}, an invisible character that would make it look like another name"
                )
            }
            TextProblem::LineBreak => f.write_str("is on more than one line"),
        }
    }
}

/// Whether `c` is a bidirectional formatting character (explicit embeddings, overrides,
/// isolates and the three implicit marks).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is invisible: a Unicode default-ignorable code point (zero-width space and
/// joiners, word joiner, soft hyphen, byte order mark, variation selectors, tags, …).
pub fn is_invisible(c: char) -> bool {
    // The UTS #39 skeleton drops exactly the default-ignorable code points.
    let mut buffer = [0u8; 4];
    let text: &str = c.encode_utf8(&mut buffer);
    let visible = skeleton(text).next().is_some();
    !visible
}

/// Checks a text shown to a person: not blank, at most `max_chars` characters, no control
/// character (a line feed only when `multiline`), no bidirectional control.
pub fn check_display_text(text: &str, max_chars: usize, multiline: bool) -> Result<(), TextProblem> {
    if text.trim().is_empty() {
        return Err(TextProblem::Empty);
    }
    if text.chars().count() > max_chars {
        return Err(TextProblem::TooLong { max: max_chars });
    }
    for c in text.chars() {
        if c == '\n' && multiline {
            continue;
        }
        if matches!(c, '\n' | '\u{2028}' | '\u{2029}') && !multiline {
            return Err(TextProblem::LineBreak);
        }
        if c.is_control() {
            return Err(TextProblem::ControlCharacter { code_point: c.into() });
        }
        if is_bidi_control(c) {
            return Err(TextProblem::BidiControl { code_point: c.into() });
        }
    }
    Ok(())
}

/// Checks a name (a brand's name): a one-line display text with no invisible character either.
pub fn check_name(text: &str, max_chars: usize) -> Result<(), TextProblem> {
    check_display_text(text, max_chars, false)?;
    match text.chars().find(|&c| is_invisible(c)) {
        Some(c) => Err(TextProblem::Invisible { code_point: c.into() }),
        None => Ok(()),
    }
}

/// Whether two names look the same to a person (confusable).
///
/// Built on the UTS #39 confusable skeleton (NFD, invisible characters removed, each
/// character replaced by its prototype from the Unicode confusables table: Cyrillic `Е` →
/// `E`, `0` → `O`, `m` → `rn`, …), compared case-insensitively, without the accents of
/// Latin letters (U+0300–U+036F) and with runs of spaces made one. Case is folded both
/// after the skeleton (so `I` and `l` stay alike) and before it (so `MAISON` and `maison`
/// are alike): the names look alike if either comparison says so.
pub fn looks_alike(a: &str, b: &str) -> bool {
    lookalike_keys(a).iter().zip(lookalike_keys(b)).any(|(x, y)| *x == y)
}

/// The two comparison keys of [`looks_alike`].
fn lookalike_keys(name: &str) -> [String; 2] {
    let skeleton_lower = |text: &str| skeleton(text).collect::<String>().to_lowercase();
    let tidy = |text: String| {
        let without_accents: String = text.chars().filter(|c| !('\u{0300}'..='\u{036F}').contains(c)).collect();
        without_accents.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    [tidy(skeleton_lower(&skeleton_lower(name))), tidy(skeleton_lower(&skeleton_lower(&name.to_lowercase())))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_look_alike_have_the_same_key() {
        let known = "Maison Exemple";
        for lookalike in [
            "Maison \u{0415}xemple",  // Cyrillic capital IE
            "Maison Ex\u{200B}emple", // zero-width space
            "MAISON EXEMPLE",
            "Maison  Exemple",
            "Ma\u{00EF}son Exemple", // accent
            "Mais0n Exemple",        // digit zero
            "Maison Exernple",       // r n
            "\u{FF2D}aison Exemple", // fullwidth M
            "Maison \u{0395}xemple", // Greek capital epsilon
        ] {
            assert!(looks_alike(lookalike, known), "{lookalike:?}");
        }
        assert!(looks_alike("Iulu", "lulu"), "capital I and small l");
        assert!(!looks_alike("Maison Exemplaire", known));
        assert!(!looks_alike("Brasserie Exemple", known));
    }

    #[test]
    fn names_refuse_controls_bidi_overrides_invisibles_and_line_breaks() {
        assert_eq!(check_name("Maison Exemple", 200), Ok(()));
        assert_eq!(check_name("Café du Marché — Lyon", 200), Ok(()));
        assert_eq!(check_name("مقهى", 200), Ok(()), "right-to-left scripts are fine");
        assert_eq!(check_name("Maison \u{202E}elpmexE", 200), Err(TextProblem::BidiControl { code_point: 0x202E }));
        assert_eq!(check_name("Maison\u{2067}x", 200), Err(TextProblem::BidiControl { code_point: 0x2067 }));
        assert_eq!(check_name("Ex\u{200B}emple", 200), Err(TextProblem::Invisible { code_point: 0x200B }));
        assert_eq!(check_name("Ex\u{00AD}emple", 200), Err(TextProblem::Invisible { code_point: 0xAD }));
        assert_eq!(check_name("Maison\nExemple", 200), Err(TextProblem::LineBreak));
        assert_eq!(check_name("Maison\u{2028}Exemple", 200), Err(TextProblem::LineBreak));
        assert_eq!(check_name("Maison\u{7}", 200), Err(TextProblem::ControlCharacter { code_point: 7 }));
        assert_eq!(check_name("   ", 200), Err(TextProblem::Empty));
        assert_eq!(check_name(&"x".repeat(201), 200), Err(TextProblem::TooLong { max: 200 }));
        assert_eq!(check_display_text("two\nlines", 50, true), Ok(()));
        assert_eq!(
            check_display_text("15 % \u{202E}ffo", 50, true),
            Err(TextProblem::BidiControl { code_point: 0x202E })
        );
        assert_eq!(check_display_text("a\u{200D}b", 50, true), Ok(()), "joiners are fine outside names");
    }
}
