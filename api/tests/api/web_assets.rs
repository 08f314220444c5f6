//! The SPA's files as served (decision 0029): precompressed copies chosen by `Accept-Encoding`,
//! hashed names cached for a year as immutable, the page never cached, and the first load of the
//! real build within 1.5 MB.

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use reqwest::StatusCode;
use shared::dto::meta::NodeRole;

use crate::helpers::*;

const HASHED: &str = "app-0123456789.js";

async fn with_site() -> TestApp {
    let site = tempfile::tempdir().unwrap();
    let p = site.path();
    std::fs::write(
        p.join("index.html"),
        format!("<!DOCTYPE html><title>Attaka</title><script type=\"module\" src=\"/{HASHED}\"></script>"),
    )
    .unwrap();
    std::fs::write(p.join(HASHED), "console.log('plain');").unwrap();
    std::fs::write(p.join(format!("{HASHED}.br")), b"BROTLI-BYTES").unwrap();
    std::fs::write(p.join(format!("{HASHED}.gz")), b"GZIP-BYTES").unwrap();
    std::fs::write(p.join("plain.css"), "body{}").unwrap();
    let dir = site.keep();
    spawn_with(NodeRole::Center, move |s| s.server.static_dir = Some(dir)).await
}

fn header(res: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    res.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::test]
async fn a_hashed_file_is_served_precompressed_as_asked_and_kept_for_a_year() {
    let app = with_site().await;
    let url = app.url(&format!("/{HASHED}"));
    for (accept, encoding, body) in [
        ("gzip, deflate, br", "br", "BROTLI-BYTES"),
        ("gzip", "gzip", "GZIP-BYTES"),
        ("br;q=0, gzip", "gzip", "GZIP-BYTES"),
    ] {
        let res = app
            .client
            .get(&url)
            .header(ACCEPT_ENCODING, accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{accept}");
        assert_eq!(header(&res, CONTENT_ENCODING), encoding, "{accept}");
        assert!(header(&res, CONTENT_TYPE).contains("javascript"), "{accept}");
        assert_eq!(header(&res, CACHE_CONTROL), "public, max-age=31536000, immutable");
        assert!(header(&res, VARY)
            .to_ascii_lowercase()
            .contains("accept-encoding"));
        assert_eq!(res.text().await.unwrap(), body);
    }
    // No encoding accepted: the plain file, still immutable.
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(header(&res, CONTENT_ENCODING), "");
    assert_eq!(header(&res, CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert_eq!(res.text().await.unwrap(), "console.log('plain');");
}

#[tokio::test]
async fn the_page_and_files_without_a_hash_are_never_cached() {
    let app = with_site().await;
    for path in ["/", "/index.html", "/persons/C001-000001-3", "/plain.css"] {
        let res = app
            .client
            .get(app.url(path))
            .header(ACCEPT_ENCODING, "br, gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&res, CACHE_CONTROL), "no-store", "{path}");
    }
    // A missing asset stays a 404, and is not kept either.
    let res = app
        .client
        .get(app.url("/app-aaaaaaaaaa.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&res, CACHE_CONTROL), "no-store");
}

/// The files a first visit loads, in the order the browser finds them: the page, what it links
/// (style, preloaded wasm, boot script) and what the boot script imports.
fn first_load(dist: &std::path::Path) -> Vec<String> {
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
    let mut files = vec!["/".to_owned()];
    for attr in ["href=\"/", "src=\"/"] {
        for part in index.split(attr).skip(1) {
            files.push(format!("/{}", &part[..part.find('"').unwrap()]));
        }
    }
    let boot = files
        .iter()
        .find(|f| f.starts_with("/boot"))
        .expect("boot script")
        .clone();
    let boot_text = std::fs::read_to_string(dist.join(&boot[1..])).unwrap();
    for part in boot_text.split("from \"/").skip(1) {
        files.push(format!("/{}", &part[..part.find('"').unwrap()]));
    }
    files
}

#[tokio::test]
async fn the_built_web_apps_first_load_is_at_most_one_and_a_half_megabytes_with_brotli() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist");
    if !dist.join("index.html").is_file() {
        // scripts/test.sh builds the SPA first and sets ATTAKA_REQUIRE_WEB_DIST, so there this
        // cannot be skipped; a bare `cargo nextest` without a build says so.
        assert!(
            std::env::var_os("ATTAKA_REQUIRE_WEB_DIST").is_none(),
            "web/dist is missing: run scripts/build-web.sh"
        );
        eprintln!("SKIPPED: web/dist is not built (scripts/build-web.sh)");
        return;
    }
    let dir = dist.clone();
    let app = spawn_with(NodeRole::Center, move |s| s.server.static_dir = Some(dir)).await;
    let files = first_load(&dist);
    for kind in [".js", ".wasm", ".css"] {
        assert!(files.iter().any(|f| f.ends_with(kind)), "no {kind} in {files:?}");
    }
    let mut total = 0;
    for f in &files {
        let res = app
            .client
            .get(app.url(f))
            .header(ACCEPT_ENCODING, "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{f}");
        if f != "/" {
            assert_eq!(header(&res, CONTENT_ENCODING), "br", "{f}");
            assert_eq!(
                header(&res, CACHE_CONTROL),
                "public, max-age=31536000, immutable",
                "{f}"
            );
        } else {
            assert_eq!(header(&res, CACHE_CONTROL), "no-store");
        }
        let bytes = res.bytes().await.unwrap().len();
        eprintln!("{f}: {bytes} bytes");
        total += bytes;
    }
    assert!(
        total <= 1_572_864,
        "first load {total} bytes over 1.5 MB: {files:?}"
    );
}
