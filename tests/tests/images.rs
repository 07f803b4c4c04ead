//! Product images, up to the worker: the upload form (its policy decoded, since the S3 emulator
//! enforces none of it), the checks of the complete step against what was really uploaded, the
//! cap of ten, who may do what, and the objects a deletion leaves (none).

use api_tests::app::TestApp;
use api_tests::events::Event;
use api_tests::images;
use api_tests::media::{keys_under, upload};
use base64::Engine;
use serde_json::{json, Value};

/// A PNG's signature and header chunk saying `width` × `height`, padded to `size` bytes: what
/// the complete step reads (nothing is decoded there).
fn png(width: u32, height: u32, size: usize) -> Vec<u8> {
    let mut file = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    file.extend(width.to_be_bytes());
    file.extend(height.to_be_bytes());
    file.extend([8, 6, 0, 0, 0]);
    file.resize(size, 0);
    file
}

struct Owner {
    token: String,
    product: String,
}

async fn owner_with_product(app: &TestApp, email: &str) -> Owner {
    let token = app.user_token(email).await;
    let product = app.new_product_id(&token).await;
    Owner { token, product }
}

async fn create_upload(app: &TestApp, owner: &Owner, body: &Value) -> api_tests::app::TestResponse {
    let event = Event::load("create-image-upload")
        .images_of(&owner.product)
        .bearer(&owner.token)
        .json_body(body);
    app.invoke(&event).await
}

/// A pending image of `size` bytes of `content_type`: its id and upload form.
async fn pending(app: &TestApp, owner: &Owner, content_type: &str, size: usize) -> (String, Value) {
    let response = create_upload(
        app,
        owner,
        &json!({ "contentType": content_type, "size": size }),
    )
    .await;
    assert_eq!(response.status, 201, "{:?}", response.json());
    let data = response.json()["data"].clone();
    (
        data["id"].as_str().expect("id").to_owned(),
        data["upload"].clone(),
    )
}

async fn complete(app: &TestApp, owner: &Owner, image: &str) -> api_tests::app::TestResponse {
    let event = Event::load("complete-image")
        .image_of(&owner.product, image)
        .bearer(&owner.token);
    app.invoke(&event).await
}

async fn delete_image(app: &TestApp, token: &str, product: &str, image: &str) -> u16 {
    let event = Event::load("delete-image")
        .image_of(product, image)
        .bearer(token);
    app.invoke(&event).await.status
}

#[tokio::test]
async fn an_upload_form_fixes_the_key_the_type_the_exact_size_and_ten_minutes() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "form@example.com").await;

    let response = create_upload(
        &app,
        &owner,
        &json!({ "contentType": "image/jpeg", "size": 2_097_152, "alt": "  The lamp, lit  " }),
    )
    .await;

    assert_eq!(response.status, 201, "{:?}", response.json());
    let data = &response.json()["data"];
    assert_eq!(data["status"], "pending");
    let image = data["id"].as_str().expect("id");
    let key = format!("uploads/{}/{image}", owner.product);
    let form = &data["upload"];
    assert!(
        form["url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/{bucket}")),
        "{form}"
    );
    assert_eq!(form["fields"]["key"], key.as_str());
    assert_eq!(form["fields"]["Content-Type"], "image/jpeg");
    let expires = app.clock().now().plus(std::time::Duration::from_secs(600));
    assert_eq!(form["expiresAt"], expires.to_string());
    let policy = base64::engine::general_purpose::STANDARD
        .decode(form["fields"]["policy"].as_str().expect("policy"))
        .expect("base64 policy");
    let policy: Value = serde_json::from_slice(&policy).expect("JSON policy");
    assert_eq!(policy["expiration"], expires.to_string());
    let conditions = policy["conditions"].as_array().expect("conditions");
    for condition in [
        json!({ "bucket": bucket }),
        json!({ "key": key }),
        json!({ "Content-Type": "image/jpeg" }),
        json!(["content-length-range", 2_097_152, 2_097_152]),
    ] {
        assert!(conditions.contains(&condition), "{condition} in {policy}");
    }
    // A pending image is not shown, and does not change the product's version.
    let product = app.get_product(&owner.product).await.json();
    assert_eq!(product["data"]["images"], json!([]));
    assert_eq!(product["data"]["version"], 1);
}

#[tokio::test]
async fn what_an_upload_declares_is_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let owner = owner_with_product(&app, "fields@example.com").await;
    let cases = [
        (
            json!({ "contentType": "image/svg+xml", "size": 10 }),
            vec!["contentType"],
        ),
        (
            json!({ "contentType": "text/html", "size": 10 }),
            vec!["contentType"],
        ),
        (json!({ "size": 10 }), vec!["contentType"]),
        (
            json!({ "contentType": "image/png", "size": 0 }),
            vec!["size"],
        ),
        (
            json!({ "contentType": "image/png", "size": 10_485_761 }),
            vec!["size"],
        ),
        (
            json!({ "contentType": "image/png", "size": 1.5 }),
            vec!["size"],
        ),
        (
            json!({ "contentType": "image/png", "size": "10" }),
            vec!["size"],
        ),
        (json!({ "contentType": "image/png" }), vec!["size"]),
        (
            json!({ "contentType": "image/png", "size": 10, "alt": "a".repeat(501) }),
            vec!["alt"],
        ),
        (
            json!({ "contentType": "image/gif", "size": -1, "alt": 5 }),
            vec!["contentType", "size", "alt"],
        ),
    ];
    for (body, fields) in cases {
        let response = create_upload(&app, &owner, &body).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.error_fields(), fields, "{body}");
    }
    let unknown = create_upload(
        &app,
        &owner,
        &json!({ "contentType": "image/png", "size": 1, "url": "x" }),
    )
    .await;
    assert_eq!(unknown.status, 400);
    let largest = create_upload(
        &app,
        &owner,
        &json!({ "contentType": "image/png", "size": 10_485_760 }),
    )
    .await;
    assert_eq!(largest.status, 201, "10 MiB exactly is taken");
}

#[tokio::test]
async fn a_product_has_at_most_ten_images_pending_ones_included() {
    let app = TestApp::spawn().await;
    let owner = owner_with_product(&app, "ten@example.com").await;
    let mut images = Vec::new();
    for _ in 0..10 {
        images.push(pending(&app, &owner, "image/png", 100).await.0);
    }

    let eleventh = create_upload(
        &app,
        &owner,
        &json!({ "contentType": "image/png", "size": 100 }),
    )
    .await;

    assert_eq!(eleventh.status, 409, "{:?}", eleventh.json());
    // Deleting one frees its place.
    assert_eq!(
        delete_image(&app, &owner.token, &owner.product, &images[0]).await,
        204
    );
    let again = create_upload(
        &app,
        &owner,
        &json!({ "contentType": "image/png", "size": 100 }),
    )
    .await;
    assert_eq!(again.status, 201);
}

#[tokio::test]
async fn only_the_products_owner_may_add_complete_or_delete_its_images() {
    let app = TestApp::spawn().await;
    let owner = owner_with_product(&app, "owner@example.com").await;
    let (image, _) = pending(&app, &owner, "image/png", 100).await;
    let other = Owner {
        token: app.user_token("other@example.com").await,
        product: owner.product.clone(),
    };

    let body = json!({ "contentType": "image/png", "size": 100 });
    assert_eq!(create_upload(&app, &other, &body).await.status, 403);
    assert_eq!(complete(&app, &other, &image).await.status, 403);
    assert_eq!(
        delete_image(&app, &other.token, &owner.product, &image).await,
        403
    );

    let anonymous = Event::load("create-image-upload")
        .images_of(&owner.product)
        .json_body(&body);
    assert_eq!(app.invoke(&anonymous).await.status, 401);
    let missing = Owner {
        token: owner.token.clone(),
        product: "01JDQ4ZK8X9T6S2V3M5N7P8Q9R".to_owned(),
    };
    assert_eq!(create_upload(&app, &missing, &body).await.status, 404);
    assert_eq!(
        complete(&app, &owner, "01JDQ4ZM2A7C9E1G3J5K7M9P1R")
            .await
            .status,
        404
    );
    assert_eq!(complete(&app, &owner, "not-an-id").await.status, 404);
    assert_eq!(
        delete_image(
            &app,
            &owner.token,
            &owner.product,
            "01JDQ4ZM2A7C9E1G3J5K7M9P1R"
        )
        .await,
        404
    );
}

#[tokio::test]
async fn an_upload_that_is_not_what_was_declared_is_refused_and_deleted() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "bad@example.com").await;
    let html = b"<html><body><script>alert(1)</script></body></html>".to_vec();
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let cases = [
        ("an HTML file declared a PNG", "image/png", html.len(), html),
        ("an SVG declared a PNG", "image/png", svg.len(), svg),
        (
            "a PNG claiming 100,000 × 100,000 pixels",
            "image/png",
            4096,
            png(100_000, 100_000, 4096),
        ),
        (
            "a file of another size than declared",
            "image/png",
            4096,
            png(640, 480, 4000),
        ),
        (
            "a PNG declared a JPEG",
            "image/jpeg",
            4096,
            png(640, 480, 4096),
        ),
    ];
    for (what, content_type, declared, file) in cases {
        let (image, form) = pending(&app, &owner, content_type, declared).await;
        assert_eq!(upload(&form, &file, "create-image-upload"), 204, "{what}");

        let response = complete(&app, &owner, &image).await;

        assert_eq!(response.status, 400, "{what}: {:?}", response.json());
        let key = format!("uploads/{}/{image}", owner.product);
        assert!(
            keys_under(&bucket, &key).await.is_empty(),
            "{what}: upload deleted"
        );
        // The image is gone with it: completing again finds nothing.
        assert_eq!(complete(&app, &owner, &image).await.status, 404, "{what}");
    }
}

#[tokio::test]
async fn completing_before_the_upload_is_refused_and_the_image_waits_for_it() {
    let app = TestApp::spawn().await;
    let owner = owner_with_product(&app, "early@example.com").await;
    let (image, form) = pending(&app, &owner, "image/png", 4096).await;

    let early = complete(&app, &owner, &image).await;

    assert_eq!(early.status, 400, "{:?}", early.json());
    assert_eq!(
        upload(&form, &png(640, 480, 4096), "create-image-upload"),
        204
    );
    assert_eq!(complete(&app, &owner, &image).await.status, 202);
}

#[tokio::test]
async fn a_good_upload_is_accepted_for_processing_and_completing_again_answers_the_same() {
    let app = TestApp::spawn().await;
    let owner = owner_with_product(&app, "good@example.com").await;
    let (image, form) = pending(&app, &owner, "image/png", 4096).await;
    assert_eq!(
        upload(&form, &png(640, 480, 4096), "create-image-upload"),
        204
    );

    let first = complete(&app, &owner, &image).await;
    let second = complete(&app, &owner, &image).await;

    assert_eq!(first.status, 202, "{:?}", first.json());
    assert_eq!(
        first.json(),
        json!({ "data": { "id": image, "status": "processing" } })
    );
    assert_eq!((second.status, second.json()), (202, first.json()));
    let jobs = api_tests::outbox::jobs(&app).await;
    let image_jobs: Vec<&Value> = jobs.iter().filter(|job| job["job"] == "image").collect();
    assert_eq!(
        image_jobs.len(),
        1,
        "one job, however many completes: {jobs:?}"
    );
    assert_eq!(image_jobs[0]["imageId"], image.as_str());
    assert_eq!(image_jobs[0]["productId"], owner.product.as_str());
}

#[tokio::test]
async fn deleting_an_image_deletes_its_upload() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "delete@example.com").await;
    let (image, form) = pending(&app, &owner, "image/png", 4096).await;
    assert_eq!(
        upload(&form, &png(640, 480, 4096), "create-image-upload"),
        204
    );
    let prefix = format!("uploads/{}/", owner.product);
    assert_eq!(keys_under(&bucket, &prefix).await.len(), 1);

    assert_eq!(
        delete_image(&app, &owner.token, &owner.product, &image).await,
        204
    );

    assert!(keys_under(&bucket, &prefix).await.is_empty());
    assert_eq!(
        delete_image(&app, &owner.token, &owner.product, &image).await,
        404
    );
}

#[tokio::test]
async fn deleting_a_product_deletes_every_object_of_its_images() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "gone@example.com").await;
    for _ in 0..3 {
        let (_, form) = pending(&app, &owner, "image/png", 4096).await;
        assert_eq!(
            upload(&form, &png(64, 64, 4096), "create-image-upload"),
            204
        );
    }
    let prefix = format!("uploads/{}/", owner.product);
    assert_eq!(keys_under(&bucket, &prefix).await.len(), 3);

    let event = Event::load("delete-product")
        .product_id(&owner.product)
        .bearer(&owner.token);
    assert_eq!(app.invoke(&event).await.status, 204);

    assert!(keys_under(&bucket, &prefix).await.is_empty());
}

#[tokio::test]
async fn deleting_the_account_deletes_every_object_of_its_products_images() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "leaving@example.com").await;
    let second = Owner {
        token: owner.token.clone(),
        product: app.new_product_id(&owner.token).await,
    };
    for product in [&owner, &second] {
        let (_, form) = pending(&app, product, "image/png", 4096).await;
        assert_eq!(
            upload(&form, &png(64, 64, 4096), "create-image-upload"),
            204
        );
    }
    assert_eq!(keys_under(&bucket, "uploads/").await.len(), 2);

    let deletion = Event::load("delete-account")
        .bearer(&owner.token)
        .json_body(&json!({ "password": "correct horse battery" }));
    assert_eq!(app.invoke(&deletion).await.status, 204);
    app.deliver_outbox().await;

    assert!(keys_under(&bucket, "uploads/").await.is_empty());
    assert!(keys_under(&bucket, "images/").await.is_empty());
}

/// The key of a served file, from its URL (`IMAGES_BASE_URL/<key>`).
fn key_of(app: &TestApp, url: &Value) -> String {
    let base = format!("{}/", app.state.config.media.images_base_url);
    url.as_str()
        .and_then(|url| url.strip_prefix(&base))
        .unwrap_or_else(|| panic!("{url} is not under {base}"))
        .to_owned()
}

/// Uploads `file` as a new image of `content_type`, completes it and lets the worker run.
async fn uploaded(app: &TestApp, owner: &Owner, content_type: &str, file: &[u8]) -> String {
    let (image, form) = pending(app, owner, content_type, file.len()).await;
    assert_eq!(upload(&form, file, "create-image-upload"), 204);
    let completed = complete(app, owner, &image).await;
    assert_eq!(completed.status, 202, "{:?}", completed.json());
    app.deliver_outbox().await;
    image
}

#[tokio::test]
async fn a_phone_photo_is_served_upright_without_its_metadata_with_both_thumbnails() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "photo@example.com").await;
    let photo = images::phone_photo(2400, 1800);
    assert!(
        images::has_metadata(&photo),
        "the photo carries EXIF and GPS"
    );
    let before = app.get_product(&owner.product).await;

    let image = uploaded(&app, &owner, "image/jpeg", &photo).await;

    let after = app.get_product(&owner.product).await;
    let product = &after.json()["data"];
    assert_eq!(product["version"], 2, "{product}");
    assert_ne!(after.header("etag"), before.header("etag"));
    let shown = &product["images"][0];
    assert_eq!(shown["id"], image.as_str());
    assert_eq!(shown["contentType"], "image/jpeg");
    // Its EXIF said to turn it a quarter: served upright.
    assert_eq!(
        (shown["width"].clone(), shown["height"].clone()),
        (json!(1800), json!(2400))
    );
    for (url, size) in [
        (&shown["url"], (1800, 2400)),
        (&shown["thumbnails"]["800"], (600, 800)),
        (&shown["thumbnails"]["200"], (150, 200)),
    ] {
        let key = key_of(&app, url);
        let (bytes, content_type) = api_tests::media::object(&bucket, &key).await;
        assert_eq!(content_type.as_deref(), Some("image/jpeg"), "{key}");
        let (format, width, height) = images::served(&bytes);
        assert_eq!(
            (format, width, height),
            (image::ImageFormat::Jpeg, size.0, size.1),
            "{key}"
        );
        assert!(
            !images::has_metadata(&bytes),
            "{key} carries no EXIF, no GPS"
        );
    }
    assert!(
        keys_under(&bucket, &format!("uploads/{}/", owner.product))
            .await
            .is_empty(),
        "the upload is gone once made"
    );
    // Listed the same.
    let listed = app.list_products("").await.json();
    assert_eq!(listed["data"][0]["images"], product["images"]);
}

#[tokio::test]
async fn pngs_and_webps_stay_what_they_are_and_are_never_enlarged() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "formats@example.com").await;
    for (content_type, format) in [
        ("image/png", image::ImageFormat::Png),
        ("image/webp", image::ImageFormat::WebP),
    ] {
        uploaded(
            &app,
            &owner,
            content_type,
            &images::picture(300, 120, format),
        )
        .await;
        // Upload order is by when each upload was asked for.
        app.clock().advance(std::time::Duration::from_millis(1));
    }

    let product = app.get_product(&owner.product).await.json();
    let shown = product["data"]["images"]
        .as_array()
        .expect("images")
        .clone();
    assert_eq!(shown.len(), 2, "{product}");
    for (image, format) in shown
        .iter()
        .zip([image::ImageFormat::Png, image::ImageFormat::WebP])
    {
        for (url, size) in [
            (&image["url"], (300, 120)),
            (&image["thumbnails"]["800"], (300, 120)),
            (&image["thumbnails"]["200"], (200, 80)),
        ] {
            let (bytes, _) = api_tests::media::object(&bucket, &key_of(&app, url)).await;
            assert_eq!(images::served(&bytes), (format, size.0, size.1), "{url}");
        }
    }
}

#[tokio::test]
async fn an_upload_that_cannot_be_decoded_is_dropped_and_kept_for_an_operator() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "broken@example.com").await;
    // A PNG's header, then nothing a decoder can read.
    let broken = png(640, 480, 4096);
    let (image, form) = pending(&app, &owner, "image/png", broken.len()).await;
    assert_eq!(upload(&form, &broken, "create-image-upload"), 204);
    assert_eq!(complete(&app, &owner, &image).await.status, 202);

    app.deliver_outbox().await;

    let parked = app.failed_jobs("imager").await;
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0]["imageId"], image.as_str());
    assert_eq!(parked[0]["productId"], owner.product.as_str());
    let product = app.get_product(&owner.product).await.json();
    assert_eq!(product["data"]["images"], json!([]));
    assert_eq!(complete(&app, &owner, &image).await.status, 404, "dropped");
    assert!(keys_under(&bucket, "images/").await.is_empty());
    assert_eq!(
        keys_under(&bucket, "uploads/").await.len(),
        1,
        "the upload stays for its day, to be looked at"
    );
}

#[tokio::test]
async fn deleting_a_ready_image_its_product_or_its_account_deletes_every_served_file() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "served@example.com").await;
    let picture = images::picture(64, 64, image::ImageFormat::Png);
    let first = uploaded(&app, &owner, "image/png", &picture).await;
    uploaded(&app, &owner, "image/png", &picture).await;
    assert_eq!(keys_under(&bucket, "images/").await.len(), 6);
    let version = app.get_product(&owner.product).await.json()["data"]["version"].clone();

    assert_eq!(
        delete_image(&app, &owner.token, &owner.product, &first).await,
        204
    );

    assert_eq!(keys_under(&bucket, "images/").await.len(), 3);
    let product = app.get_product(&owner.product).await.json();
    assert_eq!(product["data"]["images"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        product["data"]["version"],
        json!(version.as_u64().expect("version") + 1)
    );

    let second = Owner {
        token: owner.token.clone(),
        product: app.new_product_id(&owner.token).await,
    };
    uploaded(&app, &second, "image/png", &picture).await;
    let event = Event::load("delete-product")
        .product_id(&owner.product)
        .bearer(&owner.token);
    assert_eq!(app.invoke(&event).await.status, 204);
    assert_eq!(
        keys_under(&bucket, "images/").await.len(),
        3,
        "the other product's"
    );

    let deletion = Event::load("delete-account")
        .bearer(&owner.token)
        .json_body(&json!({ "password": "correct horse battery" }));
    assert_eq!(app.invoke(&deletion).await.status, 204);
    app.deliver_outbox().await;
    assert!(keys_under(&bucket, "images/").await.is_empty());
    assert!(keys_under(&bucket, "uploads/").await.is_empty());
}

#[tokio::test]
async fn an_image_deleted_while_it_is_made_gets_no_files() {
    let app = TestApp::spawn().await;
    let bucket = app.media_bucket();
    let owner = owner_with_product(&app, "meanwhile@example.com").await;
    let picture = images::picture(64, 64, image::ImageFormat::Png);
    let (image, form) = pending(&app, &owner, "image/png", picture.len()).await;
    assert_eq!(upload(&form, &picture, "create-image-upload"), 204);
    assert_eq!(complete(&app, &owner, &image).await.status, 202);
    assert_eq!(
        delete_image(&app, &owner.token, &owner.product, &image).await,
        204
    );

    app.deliver_outbox().await;

    assert!(keys_under(&bucket, "images/").await.is_empty());
    assert_eq!(
        app.get_product(&owner.product).await.json()["data"]["images"],
        json!([])
    );
}
