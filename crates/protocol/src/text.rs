//! Rules for the texts an artifact carries and a person reads: names, offers, purposes, values.
//!
//! A text shown to a person must not be able to lie about itself: something in it shows (not
//! only spaces, invisible characters, combining marks or blanks), no control characters, no
//! bidirectional overrides or isolates (which reorder what is displayed, e.g. U+202E), a
//! bounded number of lines each of which shows something (so a brand cannot fake or scroll
//! away the lines Tessera prints around its text), and, in names, no invisible characters
//! (zero-width spaces and other default-ignorable code points), no characters without a look
//! of their own (private use, U+FFFC) and no line breaks. [`looks_alike`] says when two names look the same to a
//! person (UTS #39 confusable skeletons), so a consumer can be warned about a brand whose name
//! imitates one they know.

use std::fmt;

use unicode_security::skeleton;

/// What is wrong with a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Empty, or nothing in it shows: only spaces, invisible characters, combining marks,
    /// fillers and blanks (U+3164, U+2800, …).
    Empty,
    /// More than `max` characters.
    TooLong { max: usize },
    /// A control character (U+0000–U+001F, U+007F–U+009F), other than a line break where allowed.
    ControlCharacter { code_point: u32 },
    /// A bidirectional formatting character (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C).
    BidiControl { code_point: u32 },
    /// An invisible character (a default-ignorable code point such as U+200B) in a name.
    Invisible { code_point: u32 },
    /// A private-use character or U+FFFC in a name: it has no look of its own.
    NoFixedLook { code_point: u32 },
    /// A line break in a text that must be one line.
    LineBreak,
    /// More than `max` lines.
    TooManyLines { max: usize },
    /// A line on which nothing shows (two line breaks in a row, or one at the start or the end).
    BlankLine,
    /// U+2028 or U+2029: only `\n` breaks a line.
    LineSeparator { code_point: u32 },
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextProblem::Empty => {
                f.write_str("shows nothing: it is empty or has only spaces, invisible characters or marks")
            }
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
            TextProblem::NoFixedLook { code_point } => write!(
                f,
                "contains U+{code_point:04X}, a character with no look of its own (private use or object \
                 replacement) that would make it look like another name"
            ),
            TextProblem::LineBreak => f.write_str("is on more than one line"),
            TextProblem::TooManyLines { max } => write!(f, "has more than {max} lines"),
            TextProblem::BlankLine => f.write_str("has a blank line (every line must show something)"),
            TextProblem::LineSeparator { code_point } => {
                write!(f, "contains U+{code_point:04X}, a Unicode line or paragraph separator; only \\n breaks lines")
            }
        }
    }
}

/// Whether `c` is a bidirectional formatting character (explicit embeddings, overrides,
/// isolates and the three implicit marks).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is invisible: a Unicode default-ignorable code point (zero-width space and
/// joiners, word joiner, soft hyphen, byte order mark, variation selectors, tags, Hangul
/// fillers, …).
pub fn is_invisible(c: char) -> bool {
    // The UTS #39 skeleton drops exactly the default-ignorable code points.
    let mut buffer = [0u8; 4];
    let text: &str = c.encode_utf8(&mut buffer);
    let visible = skeleton(text).next().is_some();
    !visible
}

/// Whether `c` has no look of its own: a private-use character (its glyph depends on the
/// font, if any), a noncharacter (U+FDD0–U+FDEF, and U+FFFE and U+FFFF of every plane, never
/// assigned) or U+FFFC OBJECT REPLACEMENT CHARACTER (a stand-in for something missing).
pub fn has_no_fixed_look(c: char) -> bool {
    let noncharacter = matches!(c, '\u{FDD0}'..='\u{FDEF}') || u32::from(c) & 0xFFFE == 0xFFFE;
    noncharacter
        || matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}' | '\u{FFFC}')
}

/// Whether `c`, on its own, puts something on the screen: not white space, not a control,
/// not invisible, not a combining mark (which only changes the character before it), not a
/// filler or blank that displays as empty space (Hangul fillers U+115F, U+1160, U+3164,
/// U+FFA0, Braille blank U+2800), and not a character with no look of its own.
pub fn shows_something(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}')
        || unicode_normalization::char::is_combining_mark(c)
        || has_no_fixed_look(c)
        || is_invisible(c))
}

/// Checks a text shown to a person: something in it shows, at most `max_chars` characters
/// and `max_lines` lines (lines are broken by `\n` only, and every line shows something), no
/// other control character, no bidirectional control.
pub fn check_display_text(text: &str, max_chars: usize, max_lines: usize) -> Result<(), TextProblem> {
    if text.chars().count() > max_chars {
        return Err(TextProblem::TooLong { max: max_chars });
    }
    if !text.chars().any(shows_something) {
        return Err(TextProblem::Empty);
    }
    for c in text.chars() {
        match c {
            '\n' | '\u{2028}' | '\u{2029}' if max_lines <= 1 => return Err(TextProblem::LineBreak),
            '\n' => {}
            '\u{2028}' | '\u{2029}' => return Err(TextProblem::LineSeparator { code_point: c.into() }),
            c if c.is_control() => return Err(TextProblem::ControlCharacter { code_point: c.into() }),
            c if is_bidi_control(c) => return Err(TextProblem::BidiControl { code_point: c.into() }),
            _ => {}
        }
    }
    if text.split('\n').count() > max_lines {
        return Err(TextProblem::TooManyLines { max: max_lines });
    }
    if text.split('\n').any(|line| !line.chars().any(shows_something)) {
        return Err(TextProblem::BlankLine);
    }
    Ok(())
}

/// Checks a name (a brand's name): a one-line display text with no invisible character and no
/// character without a look of its own either.
pub fn check_name(text: &str, max_chars: usize) -> Result<(), TextProblem> {
    check_display_text(text, max_chars, 1)?;
    if let Some(c) = text.chars().find(|&c| is_invisible(c)) {
        return Err(TextProblem::Invisible { code_point: c.into() });
    }
    match text.chars().find(|&c| has_no_fixed_look(c)) {
        Some(c) => Err(TextProblem::NoFixedLook { code_point: c.into() }),
        None => Ok(()),
    }
}

/// `text` for an error message: quoted, and cut to its first `max_chars` characters (with `…`)
/// so that a long hostile value cannot flood the message.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
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
        assert_eq!(check_display_text("two\nlines", 50, 2), Ok(()));
        assert_eq!(check_display_text("15 % \u{202E}ffo", 50, 2), Err(TextProblem::BidiControl { code_point: 0x202E }));
        assert_eq!(check_display_text("a\u{200D}b", 50, 2), Ok(()), "joiners are fine outside names");
    }

    #[test]
    fn a_text_must_show_something() {
        for blank in [
            "",
            "   ",
            "\u{200B}",
            "\u{0301}",
            "\u{0301}\u{0301}",
            "\u{3164}",
            "\u{115F}",
            "\u{FFA0}",
            "\u{2800}",
            "\u{00A0}",
            "\u{3000}",
            "\u{E000}",
            "\u{FFFC}",
            "\u{FFFF}",
            "\u{FDD0}",
            "\u{10FFFF}",
            "\u{034F}",
            "\u{17B4}",
            "\u{E0020}",
            " \u{200B} \u{2800} ",
        ] {
            assert_eq!(check_display_text(blank, 50, 1), Err(TextProblem::Empty), "{blank:?}");
        }
        for fine in ["Ana", "Jos\u{0065}\u{0301}", "\u{1F600}", "李", "مقهى", "\u{2801}"] {
            assert_eq!(check_display_text(fine, 50, 1), Ok(()), "{fine:?}");
        }
    }

    #[test]
    fn a_multi_line_text_has_few_lines_each_showing_something() {
        assert_eq!(check_display_text("15 % off\nuntil Sunday", 100, 2), Ok(()));
        assert_eq!(check_display_text("a\nb\nc", 100, 2), Err(TextProblem::TooManyLines { max: 2 }));
        assert_eq!(
            check_display_text(&format!("x{}", "\n".repeat(1999)), 2000, 12),
            Err(TextProblem::TooManyLines { max: 12 })
        );
        assert_eq!(check_display_text("a\n\nb", 100, 5), Err(TextProblem::BlankLine));
        assert_eq!(check_display_text("a\n", 100, 5), Err(TextProblem::BlankLine));
        assert_eq!(check_display_text("\na", 100, 5), Err(TextProblem::BlankLine));
        assert_eq!(check_display_text("a\n\u{200B}\u{3164}\nb", 100, 5), Err(TextProblem::BlankLine));
        assert_eq!(check_display_text("a\u{2028}b", 100, 5), Err(TextProblem::LineSeparator { code_point: 0x2028 }));
        assert_eq!(check_display_text("a\r\nb", 100, 5), Err(TextProblem::ControlCharacter { code_point: 0x0D }));
    }

    #[test]
    fn names_refuse_characters_without_a_look_of_their_own() {
        assert_eq!(check_name("Maison Exemple\u{E000}", 200), Err(TextProblem::NoFixedLook { code_point: 0xE000 }));
        assert_eq!(check_name("Maison Exemple\u{FFFC}", 200), Err(TextProblem::NoFixedLook { code_point: 0xFFFC }));
        assert_eq!(check_name("Maison\u{3164}Exemple", 200), Err(TextProblem::Invisible { code_point: 0x3164 }));
        assert_eq!(check_name("\u{0301}", 200), Err(TextProblem::Empty));
        assert_eq!(
            check_display_text("Logo \u{E000}", 50, 1),
            Ok(()),
            "allowed in other texts, as long as something shows"
        );
    }

    #[test]
    fn excerpts_are_cut() {
        assert_eq!(excerpt("short", 40), "\"short\"");
        assert_eq!(excerpt(&"é".repeat(495), 3), "\"ééé\"…");
    }
}
