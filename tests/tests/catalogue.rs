//! The catalogue's listing against DynamoDB Local: every order across pages, exactly once, also
//! while others write; price ranges; search; totals; page numbers; cursors bound to their query;
//! the write-sharded indexes (products from before the indexes, brought in by the migration, are
//! tested beside it: tools/tests/migrate.rs).

use std::collections::{HashMap, HashSet};

use api_tests::app::endpoint;
use api_tests::catalogue::{every_page, every_page_after, ids_of, items_with, total};
use api_tests::dynamodb_proxy::{self, CounterWrites};
use api_tests::{join_all, Event, TestApp, TestResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use shared::domain::catalogue::fold;

/// A product as the tests expect to see it listed.
#[derive(Debug, Clone)]
struct Listed {
    id: String,
    name: String,
    cents: u64,
    category: Option<String>,
}

impl Listed {
    fn of(product: &Value) -> Self {
        let price = product["price"].as_f64().expect("price");
        Self {
            id: product["id"].as_str().expect("id").to_owned(),
            name: product["name"].as_str().expect("name").to_owned(),
            cents: (price * 100.0).round() as u64,
            category: product["category"].as_str().map(str::to_owned),
        }
    }
}

const NAMES: &[&str] = &[
    "Desk Lamps",
    "clamp",
    "Café table",
    "LAMP shade",
    "Armchair",
    "bookcase",
    "Éclair tin",
    "Zebra rug",
    "mirror",
    "Oak desk",
    "lamp",
    "Lamp",
];

/// `count` products of `category` (none where `None`), with names from [`NAMES`] and a handful
/// of prices, so that names and prices repeat and ties are broken by id.
async fn seed(app: &TestApp, token: &str, count: usize, category: Option<&str>) -> Vec<Listed> {
    let bodies: Vec<Value> = (0..count)
        .map(|i| {
            let name = format!("{} {}", NAMES[i % NAMES.len()], i % 7);
            let price = [0.0, 9.99, 10.0, 12.5, 99.0, 1500.0, 29.9][(i * 5) % 7];
            json!({ "name": name, "price": price, "category": category })
        })
        .collect();
    let mut seeded = Vec::new();
    for chunk in bodies.chunks(10) {
        for response in join_all(chunk.iter().map(|body| app.create_product(token, body))).await {
            assert_eq!(response.status, 201, "{:?}", response.json());
            seeded.push(Listed::of(&response.json()["data"]));
        }
    }
    seeded
}

/// The order the contract gives `sort`, ties broken by id.
fn sorted(mut products: Vec<Listed>, sort: &str) -> Vec<String> {
    match sort {
        "-createdAt" => products.sort_by(|a, b| b.id.cmp(&a.id)),
        "createdAt" => products.sort_by(|a, b| a.id.cmp(&b.id)),
        "price" => products.sort_by(|a, b| (a.cents, &a.id).cmp(&(b.cents, &b.id))),
        "-price" => products.sort_by(|a, b| (b.cents, &b.id).cmp(&(a.cents, &a.id))),
        "name" => products.sort_by(|a, b| (fold(&a.name), &a.id).cmp(&(fold(&b.name), &b.id))),
        other => panic!("no sort {other}"),
    }
    products.into_iter().map(|p| p.id).collect()
}

/// Where the tests of listing run: the default deployment's one shard, and the 13 shards a
/// deployment declaring 10,000 creates a second gets, where every page merges 13 Queries.
const LAYOUTS: [&[(&str, &str)]; 2] = [&[], &[("PEAK_CREATES_PER_SECOND", "10000")]];

const SORTS: [&str; 5] = ["-createdAt", "createdAt", "price", "-price", "name"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_order_lists_every_product_once_across_pages_with_and_without_a_category() {
    for layout in LAYOUTS {
        let app = TestApp::spawn_with(layout).await;
        let token = app.user_token("shop@example.com").await;
        let mut everything = seed(&app, &token, 210, Some("lighting")).await;
        everything.extend(seed(&app, &token, 30, None).await);
        let lighting: Vec<Listed> = everything
            .iter()
            .filter(|p| p.category.as_deref() == Some("lighting"))
            .cloned()
            .collect();

        for sort in SORTS {
            let listed = every_page(&app, &format!("limit=20&sort={sort}")).await;
            assert_eq!(listed, sorted(everything.clone(), sort), "sort={sort}");
            let in_category =
                every_page(&app, &format!("limit=17&sort={sort}&category=lighting")).await;
            assert_eq!(
                in_category,
                sorted(lighting.clone(), sort),
                "sort={sort}&category=lighting"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paging_gives_each_product_once_while_others_create_update_and_delete() {
    for layout in LAYOUTS {
        let app = TestApp::spawn_with(layout).await;
        let token = app.user_token("busy@example.com").await;
        let other = app.user_token("other@example.com").await;
        let before = seed(&app, &token, 90, Some("garden")).await;
        let doomed: HashSet<String> = before.iter().step_by(9).map(|p| p.id.clone()).collect();
        let survivors: Vec<&Listed> = before.iter().filter(|p| !doomed.contains(&p.id)).collect();

        let mut created = HashSet::new();
        for sort in SORTS {
            let query = format!("limit=10&sort={sort}");
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            let mut page_number = 0;
            loop {
                let url = cursor
                    .as_ref()
                    .map_or(query.clone(), |c| format!("{query}&cursor={c}"));
                let body = app.list_products(&url).await.json();
                seen.extend(ids_of(&body));
                // Between pages: a product created, one renamed (its place in this order kept), and
                // on one page, the doomed ones deleted.
                let fresh = app
                    .create_product(&other, &json!({ "name": "Newcomer", "price": 11.0 }))
                    .await;
                created.insert(fresh.json()["data"]["id"].as_str().expect("id").to_owned());
                let renamed = survivors[page_number % survivors.len()];
                if sort != "name" {
                    let event = Event::load("update-product")
                        .product_id(&renamed.id)
                        .bearer(&token)
                        .json_body(&json!({
                            "name": format!("{} again", renamed.name),
                            "price": renamed.cents as f64 / 100.0,
                            "category": "garden"
                        }));
                    assert_eq!(app.invoke(&event).await.status, 200);
                }
                if page_number == 2 {
                    for id in &doomed {
                        let event = Event::load("delete-product").product_id(id).bearer(&token);
                        let status = app.invoke(&event).await.status;
                        assert!(status == 204 || status == 404, "{status}");
                    }
                }
                page_number += 1;
                match body["nextCursor"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => break,
                }
            }

            let unique: HashSet<&String> = seen.iter().collect();
            assert_eq!(
                unique.len(),
                seen.len(),
                "sort={sort}: a product listed twice"
            );
            for product in &before {
                let listed = seen.contains(&product.id);
                assert!(
                    listed || doomed.contains(&product.id),
                    "sort={sort}: {} never listed",
                    product.id
                );
            }
            let unknown: Vec<&String> = seen
                .iter()
                .filter(|id| !before.iter().any(|p| &p.id == *id) && !created.contains(*id))
                .collect();
            assert!(unknown.is_empty(), "sort={sort}: {unknown:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_price_range_lists_exactly_the_products_inside_it_in_every_order() {
    for layout in LAYOUTS {
        let app = TestApp::spawn_with(layout).await;
        let token = app.user_token("ranges@example.com").await;
        let mut everything = seed(&app, &token, 60, Some("kitchen")).await;
        everything.extend(seed(&app, &token, 20, None).await);

        for (min, max) in [
            (Some("10"), Some("99")),
            (Some("12.5"), None),
            (None, Some("9.99")),
        ] {
            let inside: Vec<Listed> = everything
                .iter()
                .filter(|p| min.is_none_or(|m| p.cents >= cents(m)))
                .filter(|p| max.is_none_or(|m| p.cents <= cents(m)))
                .cloned()
                .collect();
            let mut range = String::new();
            if let Some(min) = min {
                range.push_str(&format!("&minPrice={min}"));
            }
            if let Some(max) = max {
                range.push_str(&format!("&maxPrice={max}"));
            }
            for sort in SORTS {
                let listed = every_page(&app, &format!("limit=7&sort={sort}{range}")).await;
                assert_eq!(listed, sorted(inside.clone(), sort), "sort={sort}{range}");
            }
            let in_kitchen: Vec<Listed> = inside
                .iter()
                .filter(|p| p.category.as_deref() == Some("kitchen"))
                .cloned()
                .collect();
            let listed = every_page(
                &app,
                &format!("limit=9&sort=-price&category=kitchen{range}"),
            )
            .await;
            assert_eq!(listed, sorted(in_kitchen, "-price"), "kitchen{range}");
        }

        let inverted = app.list_products("minPrice=10&maxPrice=9.99").await;
        assert_eq!(inverted.status, 400);
        assert_eq!(inverted.error_fields(), ["minPrice"]);
        for bad in [
            "minPrice=-1",
            "maxPrice=1.999",
            "minPrice=abc",
            "maxPrice=1000000",
        ] {
            assert_eq!(app.list_products(bad).await.status, 400, "{bad}");
        }
    }
}

fn cents(text: &str) -> u64 {
    (text.parse::<f64>().expect("price") * 100.0).round() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn search_matches_word_starts_of_name_and_category_whatever_the_case_and_accents() {
    for layout in LAYOUTS {
        let app = TestApp::spawn_with(layout).await;
        let token = app.user_token("search@example.com").await;
        let mut ids = HashMap::new();
        for (name, price, category) in [
            ("Desk Lamps", 30.0, Some("lighting")),
            ("Clamp", 5.0, Some("tools")),
            ("Café table", 120.0, None),
            ("LAMP shade", 12.0, Some("lighting")),
            ("Reading light", 45.0, Some("lamp-parts")),
        ] {
            let created = app
                .create_product(
                    &token,
                    &json!({ "name": name, "price": price, "category": category }),
                )
                .await;
            ids.insert(
                name,
                created.json()["data"]["id"]
                    .as_str()
                    .expect("id")
                    .to_owned(),
            );
        }
        // Enough others that a search reads past a page of the index.
        fillers(&app, &token, 40, "other").await;
        let found = |names: &[&str]| -> HashSet<String> {
            names.iter().map(|name| ids[name].clone()).collect()
        };
        let search = |query: &'static str| {
            let app = &app;
            async move {
                every_page(app, query)
                    .await
                    .into_iter()
                    .collect::<HashSet<String>>()
            }
        };

        assert_eq!(
            search("q=lamp").await,
            found(&["Desk Lamps", "LAMP shade", "Reading light"])
        );
        assert_eq!(search("q=LAMPS").await, found(&["Desk Lamps"]));
        assert_eq!(search("q=cafe").await, found(&["Café table"]));
        assert_eq!(search("q=d%C3%A9sk%20lamp").await, found(&["Desk Lamps"]));
        assert_eq!(
            search("q=lamp&category=lighting").await,
            found(&["Desk Lamps", "LAMP shade"])
        );
        assert_eq!(search("q=lamp&maxPrice=20").await, found(&["LAMP shade"]));
        assert_eq!(search("q=amp").await, HashSet::new());

        let by_price = every_page(&app, "q=lamp&sort=-price&limit=1").await;
        assert_eq!(
            by_price,
            [
                ids["Reading light"].clone(),
                ids["Desk Lamps"].clone(),
                ids["LAMP shade"].clone()
            ]
        );
        for bad in ["q=", "q=%20%20", "q=!!"] {
            let refused = app.list_products(bad).await;
            assert_eq!(refused.status, 400, "{bad}");
            assert_eq!(refused.error_fields(), ["q"]);
        }
        let long = format!("q={}", "a".repeat(101));
        assert_eq!(app.list_products(&long).await.status, 400);
    }
}

#[tokio::test]
async fn a_search_page_reads_a_bounded_window_and_goes_on_with_a_cursor() {
    for layout in LAYOUTS {
        let app = TestApp::spawn_with(layout).await;
        let token = app.user_token("window@example.com").await;
        let needle = app
            .create_product(&token, &json!({ "name": "Needle", "price": 1 }))
            .await
            .json()["data"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        // 30 newer products under the same stem that do not match: more than 10 × limit for
        // limit=2 read in the word index.
        app.clock().advance(std::time::Duration::from_millis(5));
        let (app, token) = (&app, &token);
        for chunk in (0..30).collect::<Vec<_>>().chunks(10) {
            let creates = chunk.iter().map(|i| {
                let body = json!({ "name": format!("Neediness {i}"), "price": 2 });
                async move { app.create_product(token, &body).await.status }
            });
            assert!(join_all(creates).await.iter().all(|s| *s == 201));
        }

        let first = app.list_products("q=needle&limit=2").await.json();
        assert_eq!(first["data"].as_array().map(Vec::len), Some(0));
        assert!(first["nextCursor"].is_string(), "the page goes on: {first}");
        assert_eq!(every_page(app, "q=needle&limit=2").await, [needle]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_word_index_follows_renames_deletes_long_names_and_short_words() {
    let app = TestApp::spawn().await;
    let token = app.user_token("words@example.com").await;
    let id_of = |response: &TestResponse| {
        response.json()["data"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let lamp = id_of(
        &app.create_product(
            &token,
            &json!({ "name": "Desk Lamps", "price": 30, "category": "tv-room" }),
        )
        .await,
    );
    // As many distinct word stems as a name may have; one more is refused.
    let words_of = |count: usize| -> String {
        (0..count - 1)
            .map(|i| format!("w{i:02}"))
            .chain(["lampshade".to_owned()])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let long = id_of(
        &app.create_product(&token, &json!({ "name": words_of(30), "price": 5 }))
            .await,
    );
    let too_long = app
        .create_product(&token, &json!({ "name": words_of(31), "price": 5 }))
        .await;
    assert_eq!(too_long.status, 400);
    assert_eq!(too_long.error_fields(), ["name"]);
    fillers(&app, &token, 12, "other").await;
    let search = |query: &'static str| {
        let app = &app;
        async move { every_page(app, query).await }
    };
    assert_eq!(
        search("q=lamp&sort=price").await,
        [long.clone(), lamp.clone()]
    );
    assert_eq!(search("q=w28").await, [long.as_str()]);
    // Words shorter than a stem are looked for on the listing.
    assert_eq!(search("q=tv").await, [lamp.as_str()]);
    assert_eq!(search("q=de%20tv").await, [lamp.as_str()]);

    let event = Event::load("update-product")
        .product_id(&lamp)
        .bearer(&token)
        .json_body(&json!({ "name": "Desk Chair", "price": 31 }));
    assert_eq!(app.invoke(&event).await.status, 200);
    assert_eq!(search("q=lamp").await, [long.as_str()]);
    assert_eq!(search("q=chair").await, [lamp.as_str()]);
    let listed = app.list_products("q=desk").await.json();
    assert_eq!(listed["data"][0]["price"], json!(31.0), "{listed}");
    assert_eq!(listed["data"][0]["version"], json!(2), "{listed}");
    assert_eq!(
        search("q=tv").await,
        Vec::<String>::new(),
        "the category went"
    );

    for id in [&lamp, &long] {
        let event = Event::load("delete-product").product_id(id).bearer(&token);
        assert_eq!(app.invoke(&event).await.status, 204);
    }
    assert_eq!(search("q=chair").await, Vec::<String>::new());
    assert_eq!(search("q=lampshade").await, Vec::<String>::new());
    let entries = items_with(&app, "productId").await.len();
    assert_eq!(
        entries, 24,
        "the fillers' entries alone: `fil` and `oth` for each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn totals_are_exact_after_creates_deletes_and_changes_of_category() {
    let app = TestApp::spawn().await;
    let token = app.user_token("totals@example.com").await;
    assert_eq!(total(&app, "limit=1").await, 0);
    let books = seed(&app, &token, 25, Some("books")).await;
    let plain = seed(&app, &token, 12, None).await;
    assert_eq!(total(&app, "limit=1").await, 37);
    assert_eq!(total(&app, "category=books").await, 25);
    assert_eq!(total(&app, "category=books&sort=name").await, 25);
    assert_eq!(total(&app, "category=toys").await, 0);

    for product in books.iter().take(5).chain(plain.iter().take(2)) {
        let event = Event::load("delete-product")
            .product_id(&product.id)
            .bearer(&token);
        assert_eq!(app.invoke(&event).await.status, 204);
    }
    let moved = &books[10];
    let event = Event::load("update-product")
        .product_id(&moved.id)
        .bearer(&token)
        .json_body(&json!({ "name": "Moved", "price": 1, "category": "toys" }));
    assert_eq!(app.invoke(&event).await.status, 200);

    assert_eq!(total(&app, "limit=1").await, 30);
    assert_eq!(total(&app, "category=books").await, 19);
    assert_eq!(total(&app, "category=toys").await, 1);
    let listed = every_page(&app, "limit=100&category=books").await;
    assert_eq!(listed.len(), 19);

    for query in ["q=lamp", "minPrice=1", "maxPrice=5", "category=books&q=x"] {
        let refused = app.list_products(&format!("{query}&include=total")).await;
        assert_eq!(refused.status, 400, "{query}");
        assert_eq!(refused.error_fields(), ["include"]);
    }
    assert_eq!(app.list_products("include=everything").await.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_and_deletes_keep_the_total_exact() {
    let app = TestApp::spawn().await;
    let token = app.user_token("racers@example.com").await;
    let seeded = seed(&app, &token, 30, Some("race")).await;
    let creates = (0..30).map(|i| {
        let body = json!({ "name": format!("Racer {i}"), "price": 1, "category": "race" });
        let (app, token) = (&app, &token);
        async move { app.create_product(token, &body).await.status }
    });
    let deletes = seeded.iter().take(20).map(|product| {
        let event = Event::load("delete-product")
            .product_id(&product.id)
            .bearer(&token);
        let app = &app;
        async move { app.invoke(&event).await.status }
    });
    let (created, deleted) = tokio::join!(join_all(creates), join_all(deletes));

    assert!(created.iter().all(|s| *s == 201), "{created:?}");
    assert!(deleted.iter().all(|s| *s == 204), "{deleted:?}");
    assert_eq!(total(&app, "category=race").await, 40);
    assert_eq!(total(&app, "limit=1").await, 40);
}

/// The pages of `query` as its cursors give them.
async fn cursor_pages(app: &TestApp, query: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = cursor
            .as_ref()
            .map_or(query.to_owned(), |c| format!("{query}&cursor={c}"));
        let body = app.list_products(&url).await.json();
        pages.push(ids_of(&body));
        match body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return pages,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_page_number_gives_what_the_cursors_give_on_that_page() {
    for layout in LAYOUTS {
        let app = TestApp::spawn_with(layout).await;
        let token = app.user_token("pages@example.com").await;
        seed(&app, &token, 75, Some("paged")).await;

        // Pages the bound never cuts short: every item read belongs (no filter, or a price range
        // under a price order), or nearly every one does (every product under the search's stem
        // matches it).
        for query in [
            "limit=20",
            "limit=20&sort=price",
            "limit=15&sort=-price&minPrice=10",
            "limit=20&sort=name&q=lamp",
        ] {
            let cursor_pages = cursor_pages(&app, query).await;
            for (i, expected) in cursor_pages.iter().enumerate() {
                let numbered = app.list_products(&format!("{query}&page={}", i + 1)).await;
                assert_eq!(numbered.status, 200);
                let body = numbered.json();
                assert_eq!(&ids_of(&body), expected, "{query}&page={}", i + 1);
                assert_eq!(body["page"], json!(i + 1));
                assert!(body["limit"].is_u64());
            }
            let past = app
                .list_products(&format!("{query}&page={}", cursor_pages.len() + 1))
                .await
                .json();
            assert_eq!(ids_of(&past), Vec::<String>::new(), "{query}: past the end");
        }
        // A filter the index cannot serve: reaching page 8 of 7 may take more reads than the
        // request's bound (10 × limit and one per shard). A numbered page then ends early, and
        // its cursor goes on exactly where it stopped; a page it reaches whole is the cursors'.
        let query = "limit=7&minPrice=10&sort=createdAt";
        let cursor_pages = cursor_pages(&app, query).await;
        let all: Vec<String> = cursor_pages.concat();
        for number in 1..=cursor_pages.len() {
            let body = app
                .list_products(&format!("{query}&page={number}"))
                .await
                .json();
            let page = ids_of(&body);
            if page.len() == 7 {
                assert_eq!(page, cursor_pages[number - 1], "{query}&page={number}");
            }
            let mut from_here = page;
            if let Some(cursor) = body["nextCursor"].as_str() {
                from_here.extend(every_page_after(&app, query, Some(cursor)).await);
            }
            // Nothing repeated, nothing skipped: what follows is the listing's end, from no later
            // than where the cursors' page starts.
            let cursors_from_here: usize = cursor_pages[number - 1..].iter().map(Vec::len).sum();
            assert!(
                all.ends_with(&from_here) && from_here.len() >= cursors_from_here,
                "{query}&page={number}: {} products from here on, the cursors' {cursors_from_here}",
                from_here.len()
            );
        }
        let deepest = app.list_products("limit=20&page=50").await;
        assert_eq!(deepest.status, 200);
        let too_deep = app.list_products("limit=20&page=51").await;
        assert_eq!(too_deep.status, 400);
        assert_eq!(too_deep.error_fields(), ["page"]);
        assert!(too_deep.json()["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nextCursor")));
        let first = app.list_products("limit=5").await.json();
        let cursor = first["nextCursor"].as_str().expect("cursor");
        let both = app
            .list_products(&format!("limit=5&page=2&cursor={cursor}"))
            .await;
        assert_eq!(both.status, 400);
        for bad in ["page=0", "page=-1", "page=x", "page=1.5"] {
            assert_eq!(app.list_products(bad).await.status, 400, "{bad}");
        }
    }
}

#[tokio::test]
async fn a_cursor_works_only_for_the_query_it_was_issued_for() {
    let app = TestApp::spawn().await;
    let token = app.user_token("cursors@example.com").await;
    seed(&app, &token, 12, Some("bound")).await;
    let first = app.list_products("limit=5&sort=price").await.json();
    let cursor = first["nextCursor"].as_str().expect("cursor").to_owned();

    assert_eq!(
        app.list_products(&format!("limit=5&sort=price&cursor={cursor}"))
            .await
            .status,
        200
    );
    for other in [
        "limit=5&sort=name",
        "limit=5&sort=-price",
        "limit=5&sort=price&category=bound",
        "limit=5&sort=price&minPrice=1",
        "limit=5&sort=price&q=lamp",
    ] {
        let refused: TestResponse = app.list_products(&format!("{other}&cursor={cursor}")).await;
        assert_eq!(refused.status, 400, "{other}");
        assert_eq!(refused.error_fields(), ["cursor"]);
    }
    // Another shard count is another listing.
    let resharded = app.with_config(&[("LISTING_SHARDS", "8")]);
    let refused = resharded
        .list_products(&format!("limit=5&sort=price&cursor={cursor}"))
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        app.list_products("sort=updatedAt").await.error_fields(),
        ["sort"]
    );
}

/// `count` products named `Filler <i>`, which no search of the tests finds.
async fn fillers(app: &TestApp, token: &str, count: usize, category: &str) {
    for chunk in (0..count).collect::<Vec<_>>().chunks(10) {
        let creates = chunk.iter().map(|i| {
            let body = json!({ "name": format!("Filler {i}"), "price": 3, "category": category });
            async move { app.create_product(token, &body).await.status }
        });
        assert!(join_all(creates).await.iter().all(|s| *s == 201));
    }
}

/// Every value of `attribute` among the products table's items, with how many items hold it.
async fn spread_of(app: &TestApp, attribute: &str) -> HashMap<String, usize> {
    let mut spread = HashMap::new();
    for item in items_with(app, attribute).await {
        if let Some(AttributeValue::S(value)) = item.get(attribute) {
            *spread.entry(value.clone()).or_default() += 1;
        }
    }
    spread
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_creates_in_one_category_by_one_owner_spread_over_every_index() {
    // A deployment that declares 10,000 creates a second: 13 shards.
    let app = TestApp::spawn_with(LAYOUTS[1]).await;
    let token = app.user_token("bulk@example.com").await;
    seed(&app, &token, 200, Some("bulk")).await;

    // The partition keys of every index of the products table (the sort keys are unique).
    for attribute in ["listKey", "categoryKey", "ownerKey"] {
        let spread = spread_of(&app, attribute).await;
        let held: usize = spread.values().sum();
        assert_eq!(held, 200, "{attribute}");
        let (hottest, most) = spread
            .iter()
            .max_by_key(|(_, count)| **count)
            .expect("values");
        assert!(
            *most <= 50,
            "{attribute} = {hottest} holds {most} of 200 products"
        );
        assert_eq!(spread.len(), 13, "{attribute}: one value per shard");
    }
    // The word index: each product is filed under each stem of its words, every stem over the
    // shards ("q:bul#00" .. "q:bul#12" for the category every product has).
    let entries = spread_of(&app, "searchKey").await;
    let (hottest, most) = entries
        .iter()
        .max_by_key(|(_, count)| **count)
        .expect("search entries");
    assert!(
        *most <= 50,
        "searchKey = {hottest} holds {most} of 200 products"
    );
    let bulk = entries
        .keys()
        .filter(|key| key.starts_with("q:bul#"))
        .count();
    assert_eq!(bulk, 13, "the category's stem over every shard");
    // The totals' counters are items of their own, each changed by a share of the creates.
    let counters = spread_of(&app, "id").await;
    let counter_items = counters
        .keys()
        .filter(|id| id.starts_with("total#"))
        .count();
    assert!(counter_items > 13, "{counter_items} counter items");
}

/// `count` products named `name(i)`, created 25 at a time; every one must be created.
async fn named(app: &TestApp, token: &str, count: usize, name: impl Fn(usize) -> String) {
    let name = &name;
    for chunk in (0..count).collect::<Vec<_>>().chunks(25) {
        let creates = chunk.iter().map(|&i| async move {
            let body = json!({ "name": name(i), "price": 1 + i % 50 });
            app.create_product(token, &body).await.status
        });
        assert!(join_all(creates).await.iter().all(|s| *s == 201));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_costliest_requests_read_no_more_than_their_bound_from_dynamodb() {
    for layout in LAYOUTS {
        let proxy = dynamodb_proxy::start(endpoint(), CounterWrites::Pass)
            .await
            .expect("proxy");
        let app = TestApp::spawn_on(&proxy.endpoint(), layout).await;
        let shards = usize::from(app.state.shards().count());
        let token = app.user_token("bound@example.com").await;
        // 1,050 products under one search stem: every one of them matches `zzz`, none `zzzz`,
        // and none is priced 999,999.99.
        named(&app, &token, 1_050, |i| format!("Zzzyva {i}")).await;

        // The bound: 10 × limit, or page × limit for a deeper page; twice that over several
        // shards; and one item per shard.
        let spread = if shards > 1 { 2 } else { 1 };
        for (query, limit, page, listed) in [
            ("q=zzzz&limit=100&page=10", 100, 10, 0),
            ("q=zzz&limit=100&page=10", 100, 10, 100),
            (
                "sort=name&minPrice=999999.99&limit=1&page=1000",
                1,
                1_000,
                0,
            ),
            ("sort=name&minPrice=999999.99&limit=1", 1, 1, 0),
            ("q=zzzz&limit=20", 20, 1, 0),
            ("limit=100&page=10", 100, 10, 100),
            ("limit=20", 20, 1, 20),
        ] {
            let bound = limit * usize::max(page, 10) * spread + shards;
            proxy.clear_queries();
            let response = app.list_products(query).await;
            assert_eq!(response.status, 200, "{query}");
            let body = response.json();
            assert_eq!(ids_of(&body).len(), listed, "{query}");
            // Where the bound is below the 1,050 products, the listing goes on past it.
            if bound < 1_050 {
                assert!(body["nextCursor"].is_string(), "{query}: {body}");
            }
            let queries = proxy.queries();
            let returned: u64 = queries.iter().map(|q| q.returned).sum();
            assert!(
                returned as usize <= bound,
                "{query}: DynamoDB returned {returned} items, the bound is {bound}: {queries:?}"
            );
            assert!(
                queries
                    .iter()
                    .all(|q| q.limit.is_some_and(|limit| limit as usize <= bound)),
                "{query}: a Query asked for more than the bound: {queries:?}"
            );
        }
        // With one shard, the default page is one Query of `limit + 1` items.
        if shards == 1 {
            proxy.clear_queries();
            app.list_products("limit=20").await;
            let queries = proxy.queries();
            assert_eq!(
                queries,
                [dynamodb_proxy::Query {
                    limit: Some(21),
                    returned: 21
                }]
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn names_of_more_words_than_the_index_keeps_are_refused_and_crowd_out_no_search() {
    let app = TestApp::spawn().await;
    let token = app.user_token("crowd@example.com").await;
    let needle = app
        .create_product(&token, &json!({ "name": "Felt needle", "price": 2 }))
        .await
        .json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Distinct words of three characters: `<letter><two digits>`, each its own stem.
    let words = |product: usize, count: usize| -> String {
        (0..count)
            .map(|w| format!("{}{w:02}", (b'a' + (product % 26) as u8) as char))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // 200 names of 41 to 45 distinct words, newer than the needle: each refused, naming the field.
    let app_ref = &app;
    let token_ref = &token;
    for chunk in (0..200).collect::<Vec<_>>().chunks(25) {
        let creates = chunk.iter().map(|&i| {
            let body = json!({ "name": words(i, 41 + i % 5), "price": 1 });
            async move { app_ref.create_product(token_ref, &body).await }
        });
        for refused in join_all(creates).await {
            assert_eq!(refused.status, 400);
            assert_eq!(refused.error_fields(), ["name"]);
        }
    }
    // 200 names of as many words as a name may have are taken, each filed under its own stems.
    named(&app, &token, 200, |i| words(i, 30)).await;

    let first = app.list_products("q=needle").await.json();
    assert_eq!(ids_of(&first), std::slice::from_ref(&needle), "{first}");
    assert_eq!(every_page(&app, "q=felt%20needle").await, [needle]);
    assert_eq!(
        every_page(&app, "q=b29").await.len(),
        8,
        "b: 200 / 26, rounded up"
    );
}
