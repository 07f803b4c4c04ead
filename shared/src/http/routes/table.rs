//! The routes of the API, each declared once with everything its function needs (see the
//! module above for what each part means and what is derived from it).

use super::{grant, Grant, Route, TableName};

use TableName::{Idempotency, Limits, Outbox, Products, Sessions, Tokens, Users};

const GET: &str = "dynamodb:GetItem";
const PUT: &str = "dynamodb:PutItem";
const UPDATE: &str = "dynamodb:UpdateItem";
const DELETE: &str = "dynamodb:DeleteItem";
const QUERY: &str = "dynamodb:Query";
const CONDITION_CHECK: &str = "dynamodb:ConditionCheckItem";
const BATCH_GET: &str = "dynamodb:BatchGetItem";

/// The outbox's mail jobs and purge jobs, by the key each is written under
/// (`domain::outbox::OutboxEntry::new`): only account deletion may owe a purge.
const MAIL_JOBS: &[&str] = &["mail#*"];
const PURGE_JOBS: &[&str] = &["purge#*"];

/// The listing and search indexes of the products table (`shared/src/store/listing.rs`).
const LISTING_INDEXES: &[&str] = &[
    "byShardCreated",
    "byShardPrice",
    "byShardName",
    "byCategoryCreated",
    "byCategoryPrice",
    "byCategoryName",
    "bySearchCreated",
    "bySearchPrice",
    "bySearchName",
];

pub const HEALTH: Route = route!("GET", "/api/health", "health")
    .public()
    .without_storage()
    .uncounted()
    .memory(128);
pub const REGISTER: Route = route!("POST", "/api/auth/register", "register")
    .public()
    .hashing()
    .grants(&[
        grant(Users, &[PUT], "The account, written if its email is free."),
        grant(
            Outbox,
            &[PUT],
            "In the same transaction: the verification mail; mail jobs alone.",
        )
        .leading_keys(MAIL_JOBS),
        grant(
            Limits,
            &[PUT, UPDATE],
            "The registrations-per-address counters, and no other.",
        )
        .leading_keys(&["register-ip#*"]),
    ]);
pub const LOGIN: Route = route!("POST", "/api/auth/login", "login")
    .public()
    .hashing()
    .with_signing_key()
    .grants(&[
        grant(Users, &[GET], "The account."),
        grant(
            Limits,
            &[PUT, UPDATE],
            "The failed-login counters (per email, per address), and no other.",
        )
        .leading_keys(&["login-email#*", "login-ip#*"]),
        grant(
            Sessions,
            &[PUT, QUERY, DELETE],
            "The new session; past 50 live ones, the oldest ends.",
        ),
    ]);
pub const LOGOUT: Route = route!("POST", "/api/auth/logout", "logout").grants(&[grant(
    Sessions,
    &[DELETE],
    "Ends the current session.",
)]);
pub const LOGOUT_ALL: Route =
    route!("POST", "/api/auth/logout-all", "logout-all").grants(&[grant(
        Users,
        &[UPDATE],
        "Ends every session by moving the account's session epoch on: that attribute alone.",
    )
    .attributes(&["email", "sessionEpoch"])]);
pub const LIST_SESSIONS: Route = route!("GET", "/api/auth/sessions", "list-sessions")
    .grants(&[grant(Sessions, &[QUERY], "The user's unexpired sessions.")]);
pub const END_SESSION: Route =
    route!("DELETE", "/api/auth/sessions/{id}", "end-session").grants(&[grant(
        Sessions,
        &[DELETE],
        "Ends one of the user's sessions.",
    )]);
pub const JWKS: Route = route!("GET", "/api/auth/jwks.json", "jwks")
    .public()
    .memory(128);
pub const PROFILE: Route = route!("GET", "/api/profile", "profile");
pub const CHANGE_PASSWORD: Route = route!("PUT", "/api/profile/password", "change-password")
    .hashing()
    .grants(&[
        grant(
            Users,
            &[UPDATE],
            "One transaction updates the account and the current session.",
        ),
        grant(
            Sessions,
            &[UPDATE],
            "One transaction updates the account and the current session.",
        ),
        grant(
            Limits,
            &[PUT, UPDATE],
            "A wrong current password counts as a failed login for the account: its counter only.",
        )
        .leading_keys(&["login-email#*"]),
    ]);
pub const LIST_PRODUCTS: Route = route!("GET", "/api/products", "list-products")
    .public()
    .with_cursor_key()
    .grants(&[
        grant(
            Products,
            &[QUERY],
            "Pages of the listing and search indexes.",
        )
        .on_indexes(LISTING_INDEXES),
        grant(Products, &[BATCH_GET], "The counters of a total."),
    ]);
pub const CREATE_PRODUCT: Route = route!("POST", "/api/products", "create-product")
    .verified_callers()
    .grants(&[
        grant(Products, &[PUT], "The new product and its search entries."),
        grant(
            Idempotency,
            &[PUT, GET, DELETE],
            "With an Idempotency-Key: the caller's record of it, started, read, completed or released.",
        ),
        grant(
            Products,
            &[UPDATE],
            "In the same transaction: the counters of its totals.",
        ),
        grant(
            Users,
            &[CONDITION_CHECK],
            "In the same transaction: the owner's account is still there.",
        ),
    ]);
pub const GET_PRODUCT: Route = route!("GET", "/api/products/{id}", "get-product")
    .public()
    .grants(&[grant(Products, &[GET], "The product.")]);
/// What a change of a product writes: read, then one transaction with its search entries and,
/// when the category changes, its counters.
const PRODUCT_CHANGE: &[Grant] = &[
    grant(Products, &[GET], "The product, read before it is changed."),
    grant(
        Products,
        &[PUT, DELETE, UPDATE],
        "One transaction: the owner's conditional write, its search entries, its counters.",
    ),
];
pub const UPDATE_PRODUCT: Route =
    route!("PUT", "/api/products/{id}", "update-product").grants(PRODUCT_CHANGE);
pub const PATCH_PRODUCT: Route =
    route!("PATCH", "/api/products/{id}", "patch-product").grants(PRODUCT_CHANGE);
pub const DELETE_PRODUCT: Route =
    route!("DELETE", "/api/products/{id}", "delete-product").grants(&[
        grant(Products, &[GET], "The product, read before it is deleted."),
        grant(
            Products,
            &[DELETE, UPDATE],
            "One transaction: the owner's conditional delete, its search entries, its counters.",
        ),
    ]);
pub const FORGOT_PASSWORD: Route = route!("POST", "/api/auth/password/forgot", "forgot-password")
    .public()
    .grants(&[
        grant(
            Limits,
            &[PUT, UPDATE],
            "The forgot-password counters (per address, and reset mails per email).",
        )
        .leading_keys(&["forgot-ip#*", "reset-mail#*"]),
        grant(
            Users,
            &[GET],
            "The account asked about, after the response.",
        ),
        grant(
            Outbox,
            &[PUT],
            "The reset mail, owed if the account exists; mail jobs alone.",
        )
        .leading_keys(MAIL_JOBS),
    ]);
pub const RESET_PASSWORD: Route = route!("POST", "/api/auth/password/reset", "reset-password")
    .public()
    .hashing()
    .grants(&[
        grant(Tokens, &[GET, UPDATE], "The reset token, used once."),
        grant(
            Users,
            &[UPDATE],
            "In the same transaction: the new password, and every session ended; those attributes alone.",
        )
        .attributes(&["email", "id", "passwordHash", "sessionEpoch"]),
        grant(
            Limits,
            &[DELETE],
            "In the same transaction: the email's failed-login counter cleared.",
        )
        .leading_keys(&["login-email#*"]),
        grant(
            Outbox,
            &[PUT],
            "In the same transaction: the password-changed notice; mail jobs alone.",
        )
        .leading_keys(MAIL_JOBS),
    ]);
pub const VERIFY_EMAIL: Route = route!("POST", "/api/auth/email/verify", "verify-email")
    .public()
    .grants(&[
        grant(Tokens, &[GET, UPDATE], "The verification token, used once."),
        grant(
            Users,
            &[UPDATE],
            "In the same transaction: the account's address marked verified; that attribute alone.",
        )
        .attributes(&["email", "emailVerified", "id"]),
    ]);
pub const RESEND_VERIFICATION: Route = route!(
    "POST",
    "/api/auth/email/verify/resend",
    "resend-verification"
)
.grants(&[
    grant(
        Limits,
        &[PUT, UPDATE],
        "The verification-mails counters, and no other.",
    )
    .leading_keys(&["verify-mail#*"]),
    grant(Outbox, &[PUT], "The verification mail; mail jobs alone.").leading_keys(MAIL_JOBS),
]);
pub const UPDATE_PROFILE: Route =
    route!("PATCH", "/api/profile", "update-profile").grants(&[grant(
        Users,
        &[UPDATE],
        "The account's name, and no other attribute.",
    )
    .attributes(&["email", "id", "name"])]);
pub const DELETE_ACCOUNT: Route = route!("DELETE", "/api/profile", "delete-account")
    .hashing()
    .grants(&[
        grant(
            Users,
            &[DELETE],
            "The account, if its password is still the one checked.",
        ),
        grant(
            Outbox,
            &[PUT],
            "In the same transaction: the purge of what the account owned; purge jobs alone.",
        )
        .leading_keys(PURGE_JOBS),
        grant(
            Limits,
            &[PUT, UPDATE],
            "A wrong password counts as a failed login: the failed-login counters only.",
        )
        .leading_keys(&["login-email#*", "login-ip#*"]),
    ]);
/// Everything no other route takes: API Gateway's `$default` route. It counts requests on
/// unknown `/api/` paths against their client's budget, so it uses storage.
pub const FALLBACK: Route = Route::new("ANY", "$default", "$default", "fallback")
    .public()
    .memory(128);

/// Every route with a method and path; the fallback takes the rest.
pub const ROUTES: &[Route] = &[
    HEALTH,
    REGISTER,
    LOGIN,
    LOGOUT,
    LOGOUT_ALL,
    LIST_SESSIONS,
    END_SESSION,
    JWKS,
    PROFILE,
    CHANGE_PASSWORD,
    LIST_PRODUCTS,
    CREATE_PRODUCT,
    GET_PRODUCT,
    UPDATE_PRODUCT,
    PATCH_PRODUCT,
    DELETE_PRODUCT,
    FORGOT_PASSWORD,
    RESET_PASSWORD,
    VERIFY_EMAIL,
    RESEND_VERIFICATION,
    UPDATE_PROFILE,
    DELETE_ACCOUNT,
];
