//! What a catalogue listing asks for — an order, a category, a price range, search words — checked,
//! and the text forms the indexes keep: folded words and names.

use super::product::{Category, Product};
use super::Price;

/// The longest search text taken (`q`).
pub const MAX_SEARCH_CHARS: usize = 100;

pub use super::words::{fold, words, STEM_CHARS};
use super::words::{stem_of, stems};

pub use super::product::{MAX_CATEGORY_STEMS, MAX_NAME_STEMS, MAX_STEMS};

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

/// The stems the word index files `product` under: each distinct stem of its words, at most
/// [`MAX_STEMS`] for a product written since names were held to [`MAX_NAME_STEMS`].
pub fn product_stems(product: &Product) -> Vec<String> {
    stems(&product_words(product))
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
    fn a_search_word_matches_the_start_of_a_word_only() {
        let lamp = Search::parse("Lamp").expect("search");
        assert!(lamp.matches(&words("Desk Lamps")));
        assert!(!lamp.matches(&words("Clamp")));
        let both = Search::parse("café DESK").expect("search");
        assert!(both.matches(&words("Desk for the cafeteria")));
        assert!(!both.matches(&words("Desk lamp")));
    }

    #[test]
    fn no_category_has_more_stems_than_counted_for_it() {
        // A stem takes three characters and a hyphen before the next: 50 characters hold 12.
        assert_eq!((50 + 1) / (STEM_CHARS + 1), MAX_CATEGORY_STEMS);
        let distinct: String = (0..MAX_CATEGORY_STEMS)
            .map(|i| format!("a{}{}-", (b'a' + i as u8) as char, (b'a' + i as u8) as char))
            .collect();
        let category = Category::parse_str(&distinct[..distinct.len() - 1]).expect("category");
        assert_eq!(stems(&words(category.as_str())).len(), MAX_CATEGORY_STEMS);
    }

    #[test]
    fn a_search_reads_the_stem_of_its_longest_word() {
        let stem = |text: &str| Search::parse(text).expect("search").stem();
        assert_eq!(stem("desk LAMPS").as_deref(), Some("lam"));
        assert_eq!(stem("Café").as_deref(), Some("caf"));
        assert_eq!(stem("tv la"), None);
        // Every product a search matches is filed under its stem.
        let search = Search::parse("lamp shad").expect("search");
        let filed = stems(&words("Lampshade: a shady lamp"));
        assert!(filed.contains(&search.stem().expect("stem")));
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
