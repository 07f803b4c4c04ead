//! Domain types: every value is checked once, at the edge, and travels typed afterwards.

// The request body macros are used by name in the modules after them (textual scope), and by
// path (`shared::collect_fields!`, `shared::request_body!`) outside the library.
#[macro_use]
pub mod body;
pub mod catalogue;
pub mod client;
pub mod email;
#[macro_use]
pub mod field;
pub mod id;
pub mod idempotency;
pub mod image;
pub mod mail;
pub mod merge_patch;
pub mod outbox;
pub mod price;
pub mod product;
pub mod session;
pub mod token;
pub mod user;
pub mod words;

pub use catalogue::{CatalogueQuery, PriceRange, Search, Sort};
pub use email::Email;
pub use field::Field;
pub use id::Id;
pub use price::Price;
pub use product::{
    product_not_found, Category, Description, Expected, Product, ProductInput, ProductName,
    ProductPatch, ProductRequest, WriteRefused,
};
pub use session::{Session, SessionId};
pub use user::{
    AccountDeletion, Credentials, DeleteAccountRequest, DisplayName, ForgotPasswordRequest,
    LoginRequest, Password, PasswordChange, PasswordChangeRequest, PasswordReset, ProfilePatch,
    ProfilePatchRequest, RegisterRequest, Registration, ResetPasswordRequest, User,
    VerifyEmailRequest,
};
