//! The functions of the API, each declared once with everything it needs (see the module above
//! for what each part means and what is derived from it).

use super::{
    grant, media_grant, Endpoint, Grant, MediaGrant, Public, Route, SignedIn, Verified, Worker,
};
use crate::domain::outbox::{IMAGE_JOB, IMAGE_JOBS, MAIL_JOB, MAIL_JOBS, PURGE_JOB, PURGE_JOBS};
use crate::media::keys::{SERVED, UPLOADS};
use crate::state::Needs;
use crate::store::idempotency::BY_USER_INDEX as RECORDS_BY_USER;
use crate::store::limits::{
    FORGOT_IP_COUNTERS, LOGIN_EMAIL_COUNTERS, LOGIN_IP_COUNTERS, MAIL_ADDRESS_COUNTERS,
    REGISTRATION_COUNTERS, RESET_MAIL_COUNTERS, VERIFICATION_MAIL_COUNTERS,
};
use crate::store::listing::{
    BY_CATEGORY_CREATED, BY_CATEGORY_NAME, BY_CATEGORY_PRICE, BY_SEARCH_CREATED, BY_SEARCH_NAME,
    BY_SEARCH_PRICE, BY_SHARD_CREATED, BY_SHARD_NAME, BY_SHARD_PRICE,
};
use crate::store::products::BY_OWNER_INDEX;
use crate::store::tokens::BY_USER_INDEX as TOKENS_BY_USER;
use crate::tables::TableName::{Idempotency, Limits, Outbox, Products, Sessions, Tokens, Users};

/// `function` behind the route `METHOD path`: counted, on storage, 256 MB, no grants of its own.
macro_rules! route {
    ($method:literal, $path:literal, $function:literal) => {
        Endpoint::new($method, $path, concat!($method, " ", $path), $function)
    };
}

const GET: &str = "dynamodb:GetItem";
const PUT: &str = "dynamodb:PutItem";
const UPDATE: &str = "dynamodb:UpdateItem";
const DELETE: &str = "dynamodb:DeleteItem";
const QUERY: &str = "dynamodb:Query";
const CONDITION_CHECK: &str = "dynamodb:ConditionCheckItem";
const BATCH_GET: &str = "dynamodb:BatchGetItem";

/// The listing and search indexes of the products table.
const LISTING_INDEXES: &[&str] = &[
    BY_SHARD_CREATED,
    BY_SHARD_PRICE,
    BY_SHARD_NAME,
    BY_CATEGORY_CREATED,
    BY_CATEGORY_PRICE,
    BY_CATEGORY_NAME,
    BY_SEARCH_CREATED,
    BY_SEARCH_PRICE,
    BY_SEARCH_NAME,
];

pub const HEALTH: Endpoint<Public> = route!("GET", "/api/health", "health")
    .without_storage()
    .uncounted()
    .memory(128);
pub const REGISTER: Endpoint<Public> = route!("POST", "/api/auth/register", "register")
    .hashing()
    .grants(&[
        grant(Users, &[PUT], "The account, written if its email is free."),
        grant(
            Outbox,
            &[PUT],
            "In the same transaction: the verification mail; mail jobs alone.",
        )
        .keys_starting(&[MAIL_JOBS]),
        grant(
            Limits,
            &[PUT, UPDATE],
            "The registrations-per-address counters, and no other.",
        )
        .keys_starting(&[REGISTRATION_COUNTERS]),
    ]);
pub const LOGIN: Endpoint<Public> = route!("POST", "/api/auth/login", "login")
    .hashing()
    .with_signing_key()
    .grants(&[
        grant(Users, &[GET], "The account."),
        grant(
            Limits,
            &[PUT, UPDATE],
            "The failed-login counters (per email, per address), and no other.",
        )
        .keys_starting(&[LOGIN_EMAIL_COUNTERS, LOGIN_IP_COUNTERS]),
        grant(
            Sessions,
            &[PUT, QUERY, DELETE],
            "The new session; past 50 live ones, the oldest ends.",
        ),
    ]);
pub const LOGOUT: Endpoint<SignedIn> = route!("POST", "/api/auth/logout", "logout")
    .grants(&[grant(Sessions, &[DELETE], "Ends the current session.")]);
pub const LOGOUT_ALL: Endpoint<SignedIn> = route!("POST", "/api/auth/logout-all", "logout-all")
    .grants(&[grant(
        Users,
        &[UPDATE],
        "Ends every session by moving the account's session epoch on: that attribute alone.",
    )
    .attributes(&["email", "sessionEpoch"])]);
pub const LIST_SESSIONS: Endpoint<SignedIn> = route!("GET", "/api/auth/sessions", "list-sessions")
    .grants(&[grant(Sessions, &[QUERY], "The user's unexpired sessions.")]);
pub const END_SESSION: Endpoint<SignedIn> =
    route!("DELETE", "/api/auth/sessions/{id}", "end-session").grants(&[grant(
        Sessions,
        &[DELETE],
        "Ends one of the user's sessions.",
    )]);
pub const JWKS: Endpoint<Public> = route!("GET", "/api/auth/jwks.json", "jwks").memory(128);
pub const PROFILE: Endpoint<SignedIn> = route!("GET", "/api/profile", "profile");
pub const CHANGE_PASSWORD: Endpoint<SignedIn> = route!(
    "PUT",
    "/api/profile/password",
    "change-password"
)
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
        Outbox,
        &[PUT],
        "In the same transaction: the notice of the change; mail jobs alone.",
    )
    .keys_starting(&[MAIL_JOBS]),
    grant(
        Limits,
        &[PUT, UPDATE],
        "A wrong current password counts as a failed login for the account: its counter only.",
    )
    .keys_starting(&[LOGIN_EMAIL_COUNTERS]),
]);
pub const LIST_PRODUCTS: Endpoint<Public> = route!("GET", "/api/products", "list-products")
    .with_cursor_key()
    .reading_every_shard()
    .grants(&[
        grant(
            Products,
            &[QUERY],
            "Pages of the listing and search indexes.",
        )
        .on_indexes(LISTING_INDEXES),
        grant(Products, &[BATCH_GET], "The counters of a total."),
    ]);
pub const CREATE_PRODUCT: Endpoint<Verified> = route!("POST", "/api/products", "create-product")
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
pub const GET_PRODUCT: Endpoint<Public> = route!("GET", "/api/products/{id}", "get-product")
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
pub const UPDATE_PRODUCT: Endpoint<Verified> =
    route!("PUT", "/api/products/{id}", "update-product").grants(PRODUCT_CHANGE);
pub const PATCH_PRODUCT: Endpoint<Verified> =
    route!("PATCH", "/api/products/{id}", "patch-product").grants(PRODUCT_CHANGE);
pub const DELETE_PRODUCT: Endpoint<Verified> = route!(
    "DELETE",
    "/api/products/{id}",
    "delete-product"
)
.grants(&[
    grant(Products, &[GET], "The product, read before it is deleted."),
    grant(
        Products,
        &[DELETE, UPDATE],
        "One transaction: the owner's conditional delete, its search entries, its counters.",
    ),
])
.media(PRODUCT_OBJECTS_DELETION);
/// What deleting a product deletes of its images: every object under its prefixes.
const PRODUCT_OBJECTS_DELETION: &[MediaGrant] = &[
    media_grant(
        &["s3:ListBucket"],
        &[UPLOADS, SERVED],
        "Lists a deleted product's uploads and served images.",
    ),
    media_grant(&["s3:DeleteObject"], &[UPLOADS, SERVED], "Deletes them."),
];
/// A product whose search entries are still in an earlier layout of the word index (before
/// `make migrate`) has entries to drop in the transaction of any change of it.
const FORMER_ENTRIES_DROPPED: Grant = grant(
    Products,
    &[DELETE],
    "In the same transaction: search entries of an earlier layout, dropped.",
)
.untested("only a product stored before the current word index, not yet migrated, has any");
/// What a change of a product's images writes: read, then one transaction with its search
/// entries (copies of the product, shown images included).
const IMAGES_CHANGE: &[Grant] = &[
    grant(
        Products,
        &[GET],
        "The product, read before its images change.",
    ),
    grant(
        Products,
        &[PUT],
        "One transaction: the owner's conditional write and its search entries.",
    ),
    FORMER_ENTRIES_DROPPED,
];
pub const CREATE_IMAGE_UPLOAD: Endpoint<Verified> =
    route!("POST", "/api/products/{id}/images", "create-image-upload")
        .grants(IMAGES_CHANGE)
        .media(&[media_grant(
            &["s3:PutObject"],
            &[UPLOADS],
            "Signs upload forms: the upload a form makes is authorised by this role.",
        )]);
pub const COMPLETE_IMAGE: Endpoint<Verified> = route!(
    "POST",
    "/api/products/{id}/images/{imageId}/complete",
    "complete-image"
)
.grants(&[
    grant(
        Products,
        &[GET],
        "The product, read before its image is checked.",
    ),
    grant(
        Products,
        &[PUT],
        "One transaction: the owner's conditional write and its search entries.",
    ),
    FORMER_ENTRIES_DROPPED,
    grant(
        Outbox,
        &[PUT],
        "In the same transaction: the job of making what is served; image jobs alone.",
    )
    .keys_starting(&[IMAGE_JOBS]),
])
.media(&[
    media_grant(
        &["s3:GetObject"],
        &[UPLOADS],
        "The upload's size and first bytes.",
    ),
    media_grant(
        &["s3:DeleteObject"],
        &[UPLOADS],
        "Deletes an upload that is not what was declared.",
    ),
]);
pub const DELETE_IMAGE: Endpoint<Verified> = route!(
    "DELETE",
    "/api/products/{id}/images/{imageId}",
    "delete-image"
)
.grants(IMAGES_CHANGE)
.media(&[media_grant(
    &["s3:DeleteObject"],
    &[UPLOADS, SERVED],
    "Deletes the image's upload and what is served of it.",
)]);
pub const FORGOT_PASSWORD: Endpoint<Public> =
    route!("POST", "/api/auth/password/forgot", "forgot-password").grants(&[
        grant(
            Limits,
            &[PUT, UPDATE],
            "The forgot-password counters (per address, and reset mails per email).",
        )
        .keys_starting(&[FORGOT_IP_COUNTERS, RESET_MAIL_COUNTERS]),
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
        .keys_starting(&[MAIL_JOBS]),
    ]);
pub const RESET_PASSWORD: Endpoint<Public> = route!("POST", "/api/auth/password/reset", "reset-password")
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
        .keys_starting(&[LOGIN_EMAIL_COUNTERS]),
        grant(
            Outbox,
            &[PUT],
            "In the same transaction: the password-changed notice; mail jobs alone.",
        )
        .keys_starting(&[MAIL_JOBS]),
    ]);
pub const VERIFY_EMAIL: Endpoint<Public> = route!("POST", "/api/auth/email/verify", "verify-email")
    .grants(&[
        grant(Tokens, &[GET, UPDATE], "The verification token, used once."),
        grant(
            Users,
            &[UPDATE],
            "In the same transaction: the account's address marked verified; that attribute alone.",
        )
        .attributes(&["email", "emailVerified", "id"]),
    ]);
pub const RESEND_VERIFICATION: Endpoint<SignedIn> = route!(
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
    .keys_starting(&[VERIFICATION_MAIL_COUNTERS]),
    grant(Outbox, &[PUT], "The verification mail; mail jobs alone.").keys_starting(&[MAIL_JOBS]),
]);
pub const UPDATE_PROFILE: Endpoint<SignedIn> = route!("PATCH", "/api/profile", "update-profile")
    .grants(&[grant(
        Users,
        &[UPDATE],
        "The account's name, and no other attribute.",
    )
    .attributes(&["email", "id", "name"])]);
pub const DELETE_ACCOUNT: Endpoint<SignedIn> = route!("DELETE", "/api/profile", "delete-account")
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
            "In the same transaction: the purge of what the account owned, and the notice of the deletion.",
        )
        .keys_starting(&[PURGE_JOBS, MAIL_JOBS]),
        grant(
            Limits,
            &[PUT, UPDATE],
            "A wrong password counts as a failed login: the failed-login counters only.",
        )
        .keys_starting(&[LOGIN_EMAIL_COUNTERS, LOGIN_IP_COUNTERS]),
    ]);
/// Everything no other route takes: API Gateway's `$default` route. It counts requests on
/// unknown `/api/` paths against their client's budget, so it uses storage.
pub const FALLBACK: Endpoint<Public> =
    Endpoint::new("ANY", "$default", "$default", "fallback").memory(128);

/// Every route with a method and path; the fallback takes the rest.
pub const ROUTES: &[Route] = &[
    HEALTH.route,
    REGISTER.route,
    LOGIN.route,
    LOGOUT.route,
    LOGOUT_ALL.route,
    LIST_SESSIONS.route,
    END_SESSION.route,
    JWKS.route,
    PROFILE.route,
    CHANGE_PASSWORD.route,
    LIST_PRODUCTS.route,
    CREATE_PRODUCT.route,
    GET_PRODUCT.route,
    UPDATE_PRODUCT.route,
    PATCH_PRODUCT.route,
    DELETE_PRODUCT.route,
    FORGOT_PASSWORD.route,
    RESET_PASSWORD.route,
    VERIFY_EMAIL.route,
    RESEND_VERIFICATION.route,
    UPDATE_PROFILE.route,
    DELETE_ACCOUNT.route,
    CREATE_IMAGE_UPLOAD.route,
    COMPLETE_IMAGE.route,
    DELETE_IMAGE.route,
];

const NEEDS_STORAGE: Needs = Needs {
    storage: true,
    ..Needs::NOTHING
};

/// Sends the mails: verification and reset links (making their tokens as it sends them, so the
/// outbox never holds one), and the notices of a password change and of a deletion; at most
/// [`crate::config::LimitConfig::mails_per_address`] an hour to one address.
pub const MAILER: Worker = Worker {
    function: "mailer",
    job: MAIL_JOB,
    needs: Needs {
        mail: true,
        address_key: true,
        ..NEEDS_STORAGE
    },
    memory_mb: 256,
    timeout_seconds: 60,
    batch_size: 10,
    grants: &[
        grant(
            Tokens,
            &["dynamodb:PutItem"],
            "The token of the link a mail carries (its hash only).",
        ),
        grant(
            Users,
            &["dynamodb:ConditionCheckItem"],
            "In the same transaction: the token's account is still there (for a reset link, in its epoch).",
        )
        .attributes(&["email", "id", "sessionEpoch"]),
        grant(
            Limits,
            &["dynamodb:PutItem", "dynamodb:UpdateItem"],
            "The per-address mail counters (keyed by an HMAC of the address), and no other.",
        )
        .keys_starting(&[MAIL_ADDRESS_COUNTERS]),
    ],
    media: &[],
    sends_mail: true,
    failure_queue_variable: "MAILER_FAILURE_QUEUE_URL",
};

/// Removes everything of a deleted account: its products, sessions, tokens, idempotency records
/// and counters.
pub const PURGER: Worker = Worker {
    function: "purger",
    job: PURGE_JOB,
    needs: Needs {
        media: true,
        ..NEEDS_STORAGE
    },
    memory_mb: 256,
    timeout_seconds: 300,
    batch_size: 1,
    grants: &[
        grant(
            Products,
            &["dynamodb:Query"],
            "The deleted account's products, by owner.",
        )
        .on_indexes(&[BY_OWNER_INDEX]),
        grant(
            Products,
            &[
                "dynamodb:GetItem",
                "dynamodb:DeleteItem",
                "dynamodb:UpdateItem",
            ],
            "Each product read, then deleted in one transaction with its search entries and counters.",
        ),
        grant(
            Sessions,
            &["dynamodb:Query", "dynamodb:BatchWriteItem"],
            "The deleted account's sessions, and their deletion, 25 to a batch.",
        ),
        grant(
            Tokens,
            &["dynamodb:Query"],
            "The deleted account's verification and reset tokens, by account.",
        )
        .on_indexes(&[TOKENS_BY_USER]),
        grant(
            Tokens,
            &["dynamodb:BatchWriteItem"],
            "Their deletion, 25 to a batch.",
        ),
        grant(
            Idempotency,
            &["dynamodb:Query"],
            "The deleted account's idempotency records (which hold its products' JSON), by account.",
        )
        .on_indexes(&[RECORDS_BY_USER]),
        grant(
            Idempotency,
            &["dynamodb:BatchWriteItem"],
            "Their deletion, 25 to a batch.",
        ),
        grant(
            Limits,
            &["dynamodb:DeleteItem"],
            "The counters keyed by the account's email or id, and no other.",
        )
        .keys_starting(&[LOGIN_EMAIL_COUNTERS, RESET_MAIL_COUNTERS, VERIFICATION_MAIL_COUNTERS]),
        grant(
            Users,
            &["dynamodb:GetItem"],
            "Whether the account is gone (its key and id alone): an existing one is never purged.",
        )
        .attributes(&["email", "id"]),
    ],
    media: PRODUCT_OBJECTS_DELETION,
    sends_mail: false,
    failure_queue_variable: "PURGER_FAILURE_QUEUE_URL",
};

/// Makes what is served of a checked upload — the original re-encoded without its metadata and
/// two thumbnails — and shows the image in its product.
///
/// 2 GB: decoding is bounded by the pixel cap (40 megapixels, refused past it before any
/// allocation); such an image takes 160 MB in 8-bit RGBA, 320 MB in 16-bit, and its decode, its
/// upright copy and its encoder's copy take about three times that at once: 1 GB at worst. The
/// rest is headroom, and past 1,769 MB Lambda gives more than one vCPU to the encoders.
pub const IMAGER: Worker = Worker {
    function: "imager",
    job: IMAGE_JOB,
    needs: Needs {
        media: true,
        ..NEEDS_STORAGE
    },
    memory_mb: 2048,
    timeout_seconds: 120,
    batch_size: 1,
    grants: &[
        grant(
            Products,
            &[GET],
            "The product, read before its image is made.",
        ),
        grant(
            Products,
            &[PUT],
            "One transaction: the product with its image ready, and its search entries.",
        ),
        FORMER_ENTRIES_DROPPED,
    ],
    media: &[
        media_grant(&["s3:GetObject"], &[UPLOADS], "The checked upload."),
        media_grant(&["s3:PutObject"], &[SERVED], "The files it serves."),
        media_grant(&["s3:DeleteObject"], &[UPLOADS], "The upload, once made."),
        media_grant(
            &["s3:DeleteObject"],
            &[SERVED],
            "The files it made for an image deleted while it made them.",
        )
        .untested("only an image deleted between the worker's read and its write reaches it"),
    ],
    sends_mail: false,
    failure_queue_variable: "IMAGER_FAILURE_QUEUE_URL",
};

/// Every worker.
pub const WORKERS: &[Worker] = &[MAILER, PURGER, IMAGER];
