//! What a catalogue listing asks for — an order, a category, a price range, search words — checked,
//! and the text forms the indexes keep: folded words and names.

use super::product::{Category, Product};
use super::Price;

/// The longest search text taken (`q`).
pub const MAX_SEARCH_CHARS: usize = 100;

/// How many leading characters of a word its search stem is: the word index files a product
/// under the stem of each of its words, and a search word of at least this length reads the
/// products under its own stem.
pub const STEM_CHARS: usize = 3;

/// The most stems a product is filed under; one with more is filed once, under the overflow
/// entry every search reads as well (names of more than 40 distinct words are rare, and the
/// entries of a product are written in one transaction with it).
pub const MAX_STEMS: usize = 40;

/// The order of a listing. Every order is total: ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// `-createdAt`, the default.
    NewestFirst,
    /// `createdAt`.
    OldestFirst,
    /// `price`.
    CheapestFirst,
    /// `-price`.
    DearestFirst,
    /// `name`: case- and accent-insensitive.
    Name,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::NewestFirst,
        Sort::OldestFirst,
        Sort::CheapestFirst,
        Sort::DearestFirst,
        Sort::Name,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sort| sort.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::NewestFirst => "-createdAt",
            Sort::OldestFirst => "createdAt",
            Sort::CheapestFirst => "price",
            Sort::DearestFirst => "-price",
            Sort::Name => "name",
        }
    }

    /// Whether the order runs from the highest key down.
    pub fn descending(self) -> bool {
        matches!(self, Sort::NewestFirst | Sort::DearestFirst)
    }
}

/// Prices from `min` to `max`, both inclusive; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PriceRange {
    pub min: Option<Price>,
    pub max: Option<Price>,
}

impl PriceRange {
    /// A range whose lower end is not above its upper end.
    pub fn new(min: Option<Price>, max: Option<Price>) -> Option<Self> {
        match (min, max) {
            (Some(min), Some(max)) if min > max => None,
            _ => Some(Self { min, max }),
        }
    }

    pub fn is_open(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }

    pub fn contains(&self, price: Price) -> bool {
        self.min.is_none_or(|min| price >= min) && self.max.is_none_or(|max| price <= max)
    }
}

/// Search text as its folded words: a product matches when each is the start of one of its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    words: Vec<String>,
}

impl Search {
    /// 1–100 characters holding at least one letter or digit.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        if text.chars().count() > MAX_SEARCH_CHARS || text.trim().is_empty() {
            return Err("must be 1-100 characters of search text");
        }
        let mut words = words(text);
        if words.is_empty() {
            return Err("must hold at least one letter or digit");
        }
        words.sort();
        words.dedup();
        Ok(Self { words })
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The stem whose products hold every match: that of the longest word, if one is at least
    /// [`STEM_CHARS`] long (shorter words alone are checked on the listing itself).
    pub fn stem(&self) -> Option<String> {
        self.words
            .iter()
            .filter(|word| word.chars().count() >= STEM_CHARS)
            .max_by_key(|word| word.chars().count())
            .map(|word| stem_of(word))
    }

    /// Whether every search word starts one of `product_words`.
    pub fn matches(&self, product_words: &[String]) -> bool {
        self.words.iter().all(|word| {
            product_words
                .iter()
                .any(|own| own.starts_with(word.as_str()))
        })
    }
}

/// One listing: the order, and what the products listed must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueQuery {
    pub sort: Sort,
    pub category: Option<Category>,
    pub price: PriceRange,
    pub search: Option<Search>,
}

impl Default for CatalogueQuery {
    fn default() -> Self {
        Self {
            sort: Sort::NewestFirst,
            category: None,
            price: PriceRange::default(),
            search: None,
        }
    }
}

impl CatalogueQuery {
    /// Whether the exact total is kept for this query: all products, or one category's.
    pub fn has_total(&self) -> bool {
        self.price.is_open() && self.search.is_none()
    }

    /// Whether `product` belongs in this listing.
    pub fn matches(&self, product: &Product) -> bool {
        self.category
            .as_ref()
            .is_none_or(|category| product.category.as_ref() == Some(category))
            && self.price.contains(product.price)
            && self
                .search
                .as_ref()
                .is_none_or(|search| search.matches(&product_words(product)))
    }

    /// The query in one canonical line, which a cursor is bound to: the same listing always
    /// gives the same line, and two different listings never do.
    pub fn canonical(&self) -> String {
        let cents = |price: Option<Price>| price.map_or(String::new(), |p| p.cents().to_string());
        format!(
            "sort={}|category={}|min={}|max={}|q={}",
            self.sort.as_str(),
            self.category.as_ref().map_or("", Category::as_str),
            cents(self.price.min),
            cents(self.price.max),
            self.search
                .as_ref()
                .map_or(String::new(), |search| search.words().join(" ")),
        )
    }
}

/// The words a search looks in: the product's name and its category (split at hyphens).
pub fn product_words(product: &Product) -> Vec<String> {
    let mut own = words(product.name.as_str());
    if let Some(category) = &product.category {
        own.extend(words(category.as_str()));
    }
    own
}

/// Where the word index files a product: under each distinct stem of its words, or, past
/// [`MAX_STEMS`], under the overflow entry alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stems {
    Each(Vec<String>),
    Overflow,
}

impl Stems {
    pub fn of(product: &Product) -> Self {
        Self::of_words(product_words(product))
    }

    fn of_words(words: Vec<String>) -> Self {
        let mut stems: Vec<String> = Vec::new();
        for word in words {
            if word.chars().count() >= STEM_CHARS {
                let stem = stem_of(&word);
                if !stems.contains(&stem) {
                    stems.push(stem);
                }
            }
        }
        if stems.len() > MAX_STEMS {
            Stems::Overflow
        } else {
            Stems::Each(stems)
        }
    }
}

/// The first [`STEM_CHARS`] characters of a folded word.
fn stem_of(word: &str) -> String {
    word.chars().take(STEM_CHARS).collect()
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
    fn every_sort_reads_back_from_its_name() {
        for sort in Sort::ALL {
            assert_eq!(Sort::parse(sort.as_str()), Some(sort));
        }
        for other in ["", "price ", "-name", "createdat", "updatedAt", "+price"] {
            assert_eq!(Sort::parse(other), None, "{other:?}");
        }
    }

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
    fn a_search_word_matches_the_start_of_a_word_only() {
        let lamp = Search::parse("Lamp").expect("search");
        assert!(lamp.matches(&words("Desk Lamps")));
        assert!(!lamp.matches(&words("Clamp")));
        let both = Search::parse("café DESK").expect("search");
        assert!(both.matches(&words("Desk for the cafeteria")));
        assert!(!both.matches(&words("Desk lamp")));
    }

    #[test]
    fn a_product_is_filed_under_the_stem_of_each_word_long_enough() {
        assert_eq!(
            Stems::of_words(words("Desk Lamps, 2-pack of lamp shades")),
            Stems::Each(vec!["des".into(), "lam".into(), "pac".into(), "sha".into()])
        );
        let many = (0..=MAX_STEMS).map(|i| format!("{i:03}x")).collect();
        assert_eq!(Stems::of_words(many), Stems::Overflow);
    }

    #[test]
    fn a_search_reads_the_stem_of_its_longest_word() {
        let stem = |text: &str| Search::parse(text).expect("search").stem();
        assert_eq!(stem("desk LAMPS").as_deref(), Some("lam"));
        assert_eq!(stem("Café").as_deref(), Some("caf"));
        assert_eq!(stem("tv la"), None);
        // Every product a search matches is filed under its stem.
        let search = Search::parse("lamp shad").expect("search");
        let Stems::Each(stems) = Stems::of_words(words("Lampshade: a shady lamp")) else {
            panic!("few words");
        };
        assert!(stems.contains(&search.stem().expect("stem")));
    }

    #[test]
    fn search_text_needs_a_word_and_at_most_a_hundred_characters() {
        assert!(Search::parse("").is_err());
        assert!(Search::parse("   ").is_err());
        assert!(Search::parse("?!").is_err());
        assert!(Search::parse(&"a".repeat(101)).is_err());
        assert!(Search::parse(&"é".repeat(100)).is_ok());
    }

    #[test]
    fn a_range_is_inclusive_and_never_inverted() {
        let price = |cents| Price::from_cents(cents).expect("price");
        let range = PriceRange::new(Some(price(100)), Some(price(200))).expect("range");
        assert!(range.contains(price(100)) && range.contains(price(200)));
        assert!(!range.contains(price(99)) && !range.contains(price(201)));
        assert_eq!(PriceRange::new(Some(price(2)), Some(price(1))), None);
        assert!(PriceRange::new(None, Some(price(1))).is_some());
    }

    #[test]
    fn canonical_lines_tell_queries_apart() {
        let mut a = CatalogueQuery::default();
        let b = CatalogueQuery {
            sort: Sort::Name,
            ..CatalogueQuery::default()
        };
        assert_ne!(a.canonical(), b.canonical());
        a.search = Some(Search::parse("lamp desk").expect("search"));
        let same = CatalogueQuery {
            search: Some(Search::parse("DESK  lamp desk").expect("search")),
            ..CatalogueQuery::default()
        };
        assert_eq!(a.canonical(), same.canonical());
    }
}
