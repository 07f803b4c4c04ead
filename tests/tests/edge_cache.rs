//! What the front door's cache (template.yaml) assumes of the API, held to the API itself: the
//! catalogue's cache key is exactly the query parameters list-products reads, and what it caches
//! says so in its headers — catalogue pages public and short, and private to anyone with
//! credentials; a product `no-cache` with its ETag; anything personal `no-store`.

use api_tests::app::{TestApp, ALLOWED_ORIGIN};
use api_tests::events::Event;
use serde_yaml::Value;
use shared::deploy::{http_functions, LIST_PRODUCTS};

const TEMPLATE: &str = include_str!("../../template.yaml");

fn resource(name: &str) -> Value {
    let template: Value = serde_yaml::from_str(TEMPLATE).expect("template.yaml parses");
    template["Resources"][name]["Properties"].clone()
}

/// The catalogue pages' cache policy.
fn cache_policy() -> Value {
    resource("CataloguePagesCachePolicy")["CachePolicyConfig"].clone()
}

fn strings(value: &Value) -> Vec<String> {
    let mut strings: Vec<String> = value
        .as_sequence()
        .expect("a list")
        .iter()
        .map(|item| item.as_str().expect("text").to_owned())
        .collect();
    strings.sort();
    strings
}

/// `max-age` of a `Cache-Control` value.
fn max_age(cache_control: &str) -> Option<u64> {
    cache_control
        .split(',')
        .find_map(|directive| directive.trim().strip_prefix("max-age="))
        .and_then(|age| age.parse().ok())
}

#[test]
fn the_catalogue_pages_cache_key_is_exactly_the_query_parameters_list_products_reads() {
    let key = &cache_policy()["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"];
    assert_eq!(key["QueryStringBehavior"], "whitelist");
    let mut read: Vec<String> = list_products::QUERY_PARAMETERS
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    read.sort();
    assert_eq!(strings(&key["QueryStrings"]), read);
}

#[tokio::test]
async fn list_products_reads_no_query_parameter_it_does_not_list() {
    // In a debug build the handler panics on reading a parameter missing from its list (and so
    // from the cache key above); every parameter is read on every request.
    let app = TestApp::spawn().await;
    let query = "category=lamps&cursor=x&include=total&limit=5&maxPrice=9&minPrice=1&page=1&q=a&sort=price&color=red";
    let status = app.list_products(query).await.status;
    assert_eq!(
        status, 400,
        "an unreadable cursor is refused, without a panic"
    );
    assert_eq!(app.list_products("").await.status, 200);
}

#[test]
fn only_the_catalogue_pages_are_cached_and_only_as_long_as_they_say() {
    let policy = cache_policy();
    // Nothing without a Cache-Control of its own, and never against one (no-store, private).
    assert_eq!(policy["DefaultTTL"], 0);
    assert_eq!(policy["MinTTL"], 0);
    let max_ttl = policy["MaxTTL"].as_u64().expect("MaxTTL");
    let page_age = max_age(list_products::CACHE_CONTROL).expect("a page's max-age");
    assert!(page_age <= max_ttl);
    // Keyed on what a page's headers depend on: the origin (CORS), the credentials.
    let key = &policy["ParametersInCacheKeyAndForwardedToOrigin"];
    assert_eq!(
        strings(&key["HeadersConfig"]["Headers"]),
        ["Authorization", "Origin"]
    );
    assert_eq!(
        strings(&key["CookiesConfig"]["Cookies"]),
        [shared::http::credentials::TOKEN_COOKIE]
    );

    // The one behaviour with that policy is list-products' path; every other goes uncached.
    let distribution = resource("Distribution")["DistributionConfig"].clone();
    let behaviours = distribution["CacheBehaviors"]
        .as_sequence()
        .expect("behaviours");
    let cached: Vec<String> = behaviours
        .iter()
        .filter_map(|behaviour| match behaviour {
            Value::Tagged(tagged) if tagged.tag == "If" => tagged.value[1].as_mapping().cloned(),
            Value::Mapping(mapping) => Some(mapping.clone()),
            _ => None,
        })
        .filter(|behaviour| {
            matches!(&behaviour["CachePolicyId"], Value::Tagged(t) if t.tag == "Ref" && t.value == "CataloguePagesCachePolicy")
        })
        .map(|behaviour| behaviour["PathPattern"].as_str().expect("path").to_owned())
        .collect();
    assert_eq!(cached, [LIST_PRODUCTS.route.path]);
    let default = &distribution["DefaultCacheBehavior"];
    let api = match default {
        Value::Tagged(tagged) if tagged.tag == "If" => tagged.value[1].clone(),
        other => panic!("the default behaviour follows FrontDoor: {other:?}"),
    };
    assert_eq!(api["TargetOriginId"], "api");
    assert_eq!(
        api["CachePolicyId"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "CachingDisabled"
    );
}

#[tokio::test]
async fn a_catalogue_page_is_public_and_short_for_everyone_and_private_to_credentials() {
    let app = TestApp::spawn().await;
    let token = app.user_token("edge@example.com").await;
    let anonymous = app
        .invoke(&Event::load("list-products").header("origin", ALLOWED_ORIGIN))
        .await;
    assert_eq!(anonymous.status, 200);
    assert_eq!(
        anonymous.header("cache-control"),
        Some(list_products::CACHE_CONTROL)
    );
    assert!(list_products::CACHE_CONTROL.starts_with("public"));
    let vary = anonymous.header("vary").unwrap_or_default().to_lowercase();
    assert!(vary.contains("origin"), "{vary}");

    for with_credentials in [
        Event::load("list-products").bearer(&token),
        Event::load("list-products").cookie(&format!("__Host-token={token}")),
    ] {
        let page = app.invoke(&with_credentials).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("cache-control"), Some("private, max-age=5"));
    }
}

#[tokio::test]
async fn a_product_is_revalidated_and_anything_personal_is_never_stored() {
    let app = TestApp::spawn().await;
    let token = app.user_token("edge-personal@example.com").await;
    let product = app.new_product_id(&token).await;
    let read = app.get_product(&product).await;
    assert_eq!(read.header("cache-control"), Some("no-cache"));
    assert!(read.header("etag").is_some());

    // Every GET that needs credentials.
    let personal: Vec<_> = http_functions()
        .filter(|route| route.method == "GET" && route.authenticated())
        .collect();
    assert!(!personal.is_empty());
    for route in personal {
        let answered = app
            .invoke(&Event::load(route.function).bearer(&token))
            .await;
        assert_eq!(answered.status, 200, "{}", route.function);
        assert_eq!(
            answered.header("cache-control"),
            Some("no-store"),
            "{}",
            route.function
        );
    }
}
