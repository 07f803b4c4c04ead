//! Where a product's images live in the media bucket. Uploads and served files have prefixes of
//! their own: a lifecycle rule deletes uploads never completed, and only served files are public
//! (through the CDN). Every key starts with the product's id, so a product's objects are one
//! prefix under each.

use crate::domain::Id;

/// Where clients upload to; what is left here a day later is deleted.
pub const UPLOADS: &str = "uploads/";
/// Where the files made from uploads are served from.
pub const SERVED: &str = "images/";

/// The key a client uploads image `image` of product `product` to.
pub fn upload_key(product: &Id, image: &Id) -> String {
    format!("{UPLOADS}{product}/{image}")
}

/// Every prefix of product `product`'s objects.
pub fn product_prefixes(product: &Id) -> [String; 2] {
    [
        format!("{UPLOADS}{product}/"),
        format!("{SERVED}{product}/"),
    ]
}

/// The key of a file served for image `image` of product `product`: `name` (`original`, `200`,
/// `800`) under a part no earlier file had (`fresh`), so a URL once served never changes content
/// and can be cached for good.
pub fn served_key(product: &Id, image: &Id, fresh: &str, name: &str, extension: &str) -> String {
    format!("{SERVED}{product}/{image}/{fresh}/{name}.{extension}")
}
