//! Makes the keys a deployment (or `make dev`) needs, into a directory: an Ed25519 signing key
//! (`signing-key.pem`, PKCS#8, readable by its owner only), its public key as a JWK `x`
//! (`public-key`, for `JWT_PUBLIC_KEYS` / the `TokenPublicKeys` parameter), a cursor key
//! (`cursor-key`) and the key of the per-address mail cap (`address-key`). Keys already there are kept, so running it again changes nothing.
//!
//! `keygen DIR` prints the public key.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use secrecy::ExposeSecret;
use shared::auth::keys::SigningKey;
use shared::domain::session::random_128_bits;

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

fn run(dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let signing = dir.join("signing-key.pem");
    let public = dir.join("public-key");
    if !signing.exists() {
        let (key, pem) = SigningKey::generate()?;
        write_private(&signing, pem.expose_secret()).map_err(|e| e.to_string())?;
        std::fs::write(&public, key.public().x()).map_err(|e| e.to_string())?;
    }
    let pem = std::fs::read_to_string(&signing).map_err(|e| e.to_string())?;
    let key = SigningKey::from_pem(&pem.into())?;
    std::fs::write(&public, key.public().x()).map_err(|e| e.to_string())?;

    // The HMAC keys: the page cursors', and the per-address mail cap's.
    for name in ["cursor-key", "address-key"] {
        let path = dir.join(name);
        if !path.exists() {
            let random = || random_128_bits().map_err(|e| e.to_string());
            let text = format!("{}{}", random()?, random()?);
            write_private(&path, &text).map_err(|e| e.to_string())?;
        }
    }
    Ok(key.public().x().to_owned())
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: keygen DIR");
        std::process::exit(2);
    };
    match run(Path::new(&dir)) {
        Ok(public_key) => println!("{public_key}"),
        Err(error) => {
            eprintln!("keygen: {error}");
            std::process::exit(1);
        }
    }
}
