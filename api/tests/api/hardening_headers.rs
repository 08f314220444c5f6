//! Headers under attack (issue 13, finding 6): a strict Content-Security-Policy on the SPA, its
//! files, the API explorer and the API; HSTS only when a trusted proxy says the client used HTTPS.

use reqwest::StatusCode;
use shared::dto::meta::NodeRole;

use crate::helpers::*;

fn csp(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The directive `name` of a policy, e.g. `script-src 'self'`.
fn directive(policy: &str, name: &str) -> String {
    policy
        .split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_spa_its_files_the_explorer_and_the_api_carry_a_strict_csp() {
    let site = tempfile::tempdir().unwrap();
    // The real page, as built into web/dist.
    let index = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../web/index.html")).unwrap();
    std::fs::write(site.path().join("index.html"), &index).unwrap();
    std::fs::write(site.path().join("boot.js"), "//").unwrap();
    let dir = site.keep();
    let app = spawn_with(NodeRole::Center, move |s| s.server.static_dir = Some(dir)).await;

    for path in ["/", "/persons/C001-000001-3", "/boot.js"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let policy = csp(&res);
        let scripts = directive(&policy, "script-src");
        assert_eq!(
            scripts, "script-src 'self' 'wasm-unsafe-eval'",
            "{path}: {policy}"
        );
        assert_eq!(directive(&policy, "default-src"), "default-src 'none'");
        assert_eq!(directive(&policy, "style-src"), "style-src 'self'");
        assert_eq!(directive(&policy, "frame-ancestors"), "frame-ancestors 'none'");
    }
    // What the policy forbids is not needed: the page has no inline script or style.
    let lower = index.to_ascii_lowercase();
    for tag in lower.split("<script").skip(1) {
        let open = &tag[..tag.find('>').unwrap()];
        assert!(
            open.contains("src="),
            "an inline script in web/index.html: <script{open}>"
        );
    }
    assert!(!lower.contains("<style"), "an inline style in web/index.html");
    assert!(!lower.contains(" style="), "a style attribute in web/index.html");
    assert!(
        !lower.contains(" onload=") && !lower.contains(" onclick="),
        "an inline handler"
    );

    let res = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let policy = csp(&res);
    assert_eq!(directive(&policy, "script-src"), "script-src 'self'", "{policy}");
    let html = res.text().await.unwrap().to_ascii_lowercase();
    for tag in html.split("<script").skip(1) {
        assert!(
            tag[..tag.find('>').unwrap()].contains("src="),
            "the explorer has an inline script"
        );
    }

    let res = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(directive(&csp(&res), "default-src"), "default-src 'none'");
    let res = app.client.get(app.url("/api/v1/meta")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(directive(&csp(&res), "default-src"), "default-src 'none'");
}

async fn hsts(app: &TestApp, proto: Option<&str>) -> Option<String> {
    let mut req = app.client.get(app.url("/api/v1/meta"));
    if let Some(p) = proto {
        req = req.header("X-Forwarded-Proto", p);
    }
    let res = req.send().await.unwrap();
    res.headers()
        .get("strict-transport-security")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn hsts_is_sent_only_when_a_trusted_proxy_says_the_client_used_https() {
    let direct = spawn_app().await;
    assert_eq!(
        hsts(&direct, Some("https")).await,
        None,
        "anyone can write the header"
    );
    assert_eq!(hsts(&direct, None).await, None);
    let proxied = spawn_with(NodeRole::Center, |s| {
        s.server.trusted_proxies = vec![api::config::ProxyNet::parse("127.0.0.0/8").unwrap()];
    })
    .await;
    let header = hsts(&proxied, Some("https"))
        .await
        .expect("HSTS behind an HTTPS proxy");
    assert!(header.starts_with("max-age=31536000"), "{header}");
    assert_eq!(hsts(&proxied, Some("http")).await, None);
}
