//! A well-formed request to each function of the manifest, for the tests that must cover every
//! route (storage failures, say): a route added to the manifest without a request here fails
//! those tests by name, rather than going untested.

use serde_json::json;

use crate::Event;

/// The password of the accounts these requests speak for.
pub const PASSWORD: &str = "correct horse battery";

/// A well-formed request to `function` that does its work: as the caller of `token` for a
/// signed-in route, on the product `product` for a product's route.
pub fn request_to(function: &str, token: &str, product: &str) -> Event {
    let event = Event::load(function);
    let signed_in = |event: Event| event.bearer(token);
    let some_token = "A".repeat(43);
    match function {
        "health" | "jwks" | "list-products" | "fallback" => event,
        "register" | "login" => {
            event.json_body(&json!({ "email": "every-route@example.com", "password": PASSWORD }))
        }
        "logout" | "logout-all" | "list-sessions" | "profile" | "resend-verification" => {
            signed_in(event)
        }
        "end-session" => signed_in(event.session_id("0123456789abcdef0123456789abcdef")),
        "change-password" => signed_in(event).json_body(
            &json!({ "currentPassword": PASSWORD, "newPassword": "another horse battery" }),
        ),
        "get-product" => event.product_id(product),
        "create-product" => signed_in(event).json_body(&json!({ "name": "Lamp", "price": 1 })),
        "update-product" => {
            signed_in(event.product_id(product)).json_body(&json!({ "name": "Lamp", "price": 2 }))
        }
        "patch-product" => signed_in(event.product_id(product))
            .raw_body(r#"{"price":2}"#)
            .header("content-type", "application/merge-patch+json"),
        "delete-product" => signed_in(event.product_id(product)),
        "forgot-password" => event.json_body(&json!({ "email": "every-route@example.com" })),
        "reset-password" => {
            event.json_body(&json!({ "token": some_token, "newPassword": "another horse battery" }))
        }
        "verify-email" => event.json_body(&json!({ "token": some_token })),
        "update-profile" => signed_in(event)
            .raw_body(r#"{"name":"Someone"}"#)
            .header("content-type", "application/merge-patch+json"),
        "delete-account" => signed_in(event).json_body(&json!({ "password": PASSWORD })),
        "create-image-upload" => signed_in(event.images_of(product))
            .json_body(&json!({ "contentType": "image/png", "size": 100 })),
        // An image the product has not: its check reads the product first.
        "complete-image" | "delete-image" => {
            signed_in(event.image_of(product, "01JDQ4ZM2A7C9E1G3J5K7M9P1R"))
        }
        other => panic!("no request to {other} in tests/src/every_route.rs: write one"),
    }
}

/// Whether `route`'s own work reads or writes storage before it answers: a signed-in route
/// (its caller is read), one with grants of its own, or a counted write (its counter comes
/// first). A counted read answers before its counter, and health counts nothing.
pub fn works_on_storage(route: &shared::deploy::Route) -> bool {
    let write = !matches!(route.method, "GET" | "HEAD" | "ANY");
    route.authenticated() || !route.grants.is_empty() || (route.counted && write)
}
