//! Domain types: every value is checked once, at the edge, and travels typed afterwards.

pub mod email;
pub mod field;
pub mod id;
pub mod price;
pub mod product;
pub mod session;
pub mod user;

pub use email::Email;
pub use field::Field;
pub use id::Id;
pub use price::Price;
pub use product::{
    product_not_found, Category, Description, Expected, Product, ProductInput, ProductName,
    ProductRequest, WriteRefused,
};
pub use session::{Session, SessionId};
pub use user::{
    Credentials, DisplayName, LoginRequest, Password, PasswordChange, PasswordChangeRequest,
    RegisterRequest, Registration, User,
};
