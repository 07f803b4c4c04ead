//! Text as search sees it: folded words, and the stems the word index files them under.

/// How many leading characters of a word its search stem is: the word index files a product
/// under the stem of each of its words, and a search word of at least this length reads the
/// products under its own stem.
pub const STEM_CHARS: usize = 3;

/// The first [`STEM_CHARS`] characters of a folded word.
pub fn stem_of(word: &str) -> String {
    word.chars().take(STEM_CHARS).collect()
}

/// The distinct stems of `words` (folded, as [`words`] gives them), in order of first use:
/// where the word index files what holds them. Words shorter than a stem have none.
pub fn stems<S: AsRef<str>>(words: &[S]) -> Vec<String> {
    let mut stems: Vec<String> = Vec::new();
    for word in words.iter().map(AsRef::as_ref) {
        if word.chars().count() >= STEM_CHARS {
            let stem = stem_of(word);
            if !stems.contains(&stem) {
                stems.push(stem);
            }
        }
    }
    stems
}

/// The words of `text` as search compares them: folded (see [`fold`]) and split at everything
/// that is not a letter or a digit.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `text` lowercased, with the accents of Latin letters removed ("Café" → "cafe", "Straße" →
/// "strasse") and combining marks dropped; everything else kept as it is.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        match latin_base(c) {
            Some(base) => folded.push_str(base),
            None => folded.extend(c.to_lowercase()),
        }
    }
    folded
}

/// The unaccented lowercase letters of an accented Latin-1 or Latin Extended-A letter.
fn latin_base(c: char) -> Option<&'static str> {
    let base = match c {
        'À'..='Å' | 'à'..='å' | 'Ā'..='ą' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' | 'Ć'..='č' => "c",
        'Ð' | 'ð' | 'Ď'..='đ' => "d",
        'È'..='Ë' | 'è'..='ë' | 'Ē'..='ě' => "e",
        'Ĝ'..='ģ' => "g",
        'Ĥ'..='ħ' => "h",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ĩ'..='ı' => "i",
        'Ĳ' | 'ĳ' => "ij",
        'Ĵ' | 'ĵ' => "j",
        'Ķ'..='ĸ' => "k",
        'Ĺ'..='ł' => "l",
        'Ñ' | 'ñ' | 'Ń'..='ŋ' => "n",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō'..='ő' => "o",
        'Œ' | 'œ' => "oe",
        'Ŕ'..='ř' => "r",
        'Ś'..='š' | 'ſ' => "s",
        'ß' => "ss",
        'Ţ'..='ŧ' => "t",
        'Þ' | 'þ' => "th",
        'Ù'..='Ü' | 'ù'..='ü' | 'Ũ'..='ų' => "u",
        'Ŵ' | 'ŵ' => "w",
        'Ý' | 'ý' | 'ÿ' | 'Ŷ'..='Ÿ' => "y",
        'Ź'..='ž' => "z",
        _ => return None,
    };
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("Café Crème"), "cafe creme");
        assert_eq!(fold("STRASSE Straße"), "strasse strasse");
        assert_eq!(fold("Ærø Łódź"), "aero lodz");
        assert_eq!(fold("Cafe\u{301}"), "cafe");
        assert_eq!(fold("Ωμέγα"), "ωμέγα");
    }

    #[test]
    fn words_split_at_anything_but_letters_and_digits() {
        assert_eq!(words("Desk Lamps, 2-pack!"), ["desk", "lamps", "2", "pack"]);
        assert_eq!(words("  --  "), Vec::<String>::new());
    }

    #[test]
    fn each_word_long_enough_has_a_stem_and_each_stem_is_kept_once() {
        assert_eq!(
            stems(&words("Desk Lamps, 2-pack of lamp shades")),
            ["des", "lam", "pac", "sha"]
        );
        assert_eq!(stems(&words("tv to go")), Vec::<String>::new());
    }
}
