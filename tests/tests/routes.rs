//! Every route of the table is served, through the stack `make dev` runs (the watch router and
//! the local gateway), by its own function: what `make gen` derives from the table is enough for
//! a route to work, nothing else has to be written by hand. Every other method on a route's
//! path is the fallback's 405, and preflights allow what the table takes. `make test` starts the
//! stack and runs these with `--ignored`.

use lambda_http::http::{self, Method};
use shared::deploy::ROUTES;
use shared::http::routes::{all_methods, allowed_methods, paths};

/// Methods every path is tried with.
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
/// What the fallback says of a path no route takes: a route's own 404 says something else.
const NO_ROUTE: &str = "No route matches this path.";
/// An origin the served stack allows (`make test` sets it).
const ORIGIN: &str = "https://app.example";

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn send(method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let base = std::env::var("E2E_BASE_URL").expect("E2E_BASE_URL names the served API");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut builder = http::Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(format!("{base}{path}"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = if matches!(method, "POST" | "PUT" | "PATCH" | "DELETE") {
        b"{}".to_vec()
    } else {
        Vec::new()
    };
    let mut response = agent
        .run(builder.body(body).expect("request"))
        .expect("the API answers");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

/// A path of `pattern` with its parameter filled in.
fn concrete(pattern: &str) -> String {
    pattern.replace("{id}", "01JDQ4ZK8X9T6S2V3M5N7P8Q9R")
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn every_route_is_answered_by_its_own_function() {
    for route in ROUTES {
        let path = concrete(route.path);
        let headers = [("content-type", "application/json")];

        let reply = send(route.method, &path, &headers);

        let what = format!("{} {path}", route.method);
        assert!(
            reply.header("x-request-id").is_some(),
            "{what}: not the API's answer"
        );
        assert!(
            reply.status < 500,
            "{what}: {} {}",
            reply.status,
            reply.body
        );
        assert_ne!(reply.status, 405, "{what}: {}", reply.body);
        assert!(
            !reply.body.contains(NO_ROUTE),
            "{what}: the fallback answered"
        );
        if route.authenticated() {
            assert_eq!(reply.status, 401, "{what} without a token: {}", reply.body);
        }
    }
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn every_other_method_on_a_route_path_is_a_405_with_what_the_path_allows() {
    for pattern in paths() {
        let path = concrete(pattern);
        let allow = allowed_methods(&path).expect("a route path");
        for method in METHODS {
            let routed = ROUTES
                .iter()
                .any(|route| route.path == pattern && route.method == *method);
            if routed || *method == "OPTIONS" {
                continue;
            }

            let reply = send(method, &path, &[]);

            assert_eq!(reply.status, 405, "{method} {path}: {}", reply.body);
            assert_eq!(
                reply.header("allow"),
                Some(allow.as_str()),
                "{method} {path}"
            );
        }
    }
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn preflights_on_every_route_path_allow_the_methods_of_the_table() {
    for pattern in paths() {
        let path = concrete(pattern);

        let reply = send(
            "OPTIONS",
            &path,
            &[
                ("origin", ORIGIN),
                ("access-control-request-method", "POST"),
            ],
        );

        assert_eq!(reply.status, 204, "{path}: {}", reply.body);
        assert_eq!(
            reply.header("access-control-allow-methods"),
            Some(all_methods()),
            "{path}"
        );
        assert_eq!(
            reply.header("allow"),
            allowed_methods(&path).as_deref(),
            "{path}"
        );
    }
}
