//! The built SPA's files as the browser should keep them (decision 0029): `scripts/build-web.sh`
//! names every asset by a hash of its content (`attaka-web-3f2a9c1b7e.js`) and writes a brotli
//! (`.br`) and a gzip (`.gz`) copy beside it. Here a request accepting one of those encodings is
//! answered with the precompressed copy; hashed files are cached for a year as immutable, and
//! the page itself (`index.html`, deep links) is never cached, so a new build is seen at once.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::guard::GuardContext;
use actix_web::http::header::{self, ContentEncoding, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

/// `Cache-Control` of a file whose name carries its content's hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of the page: never kept, so it always names the current assets.
pub const NEVER: &str = "no-store";

/// Whether a file name carries a content hash: `name-<10 hex>.ext`.
pub fn is_hashed(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    stem.rsplit_once('-')
        .is_some_and(|(_, h)| h.len() == 10 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The precompressed encodings, best first, with their file suffix.
const VARIANTS: [(&str, &str, ContentEncoding); 2] = [
    ("br", ".br", ContentEncoding::Brotli),
    ("gzip", ".gz", ContentEncoding::Gzip),
];

fn accepts(req_accept: Option<&HeaderValue>, coding: &str) -> bool {
    req_accept.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|part| {
            let mut bits = part.split(';').map(str::trim);
            let name = bits.next().unwrap_or_default();
            let refused = bits.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
            name.eq_ignore_ascii_case(coding) && !refused
        })
    })
}

/// The precompressed copy of the file the request names, when the client accepts its encoding.
fn variant(
    dir: &Path,
    path: &str,
    accept: Option<&HeaderValue>,
) -> Option<(PathBuf, PathBuf, ContentEncoding)> {
    let name = path.strip_prefix('/')?;
    if name.is_empty() || name.contains('/') || name.contains("..") || name.starts_with('.') {
        return None;
    }
    let original = dir.join(name);
    VARIANTS.iter().find_map(|(coding, suffix, encoding)| {
        let file = dir.join(format!("{name}{suffix}"));
        (accepts(accept, coding) && file.is_file() && original.is_file())
            .then(|| (file, original.clone(), *encoding))
    })
}

/// Routes a GET or HEAD naming a file with a precompressed copy the client accepts to
/// [`precompressed`]; the rest goes to the plain file service.
pub fn service(dir: PathBuf) -> actix_web::Resource {
    let guard_dir = dir.clone();
    web::resource("/{file}")
        .guard(actix_web::guard::fn_guard(move |ctx: &GuardContext| {
            let head = ctx.head();
            matches!(
                head.method,
                actix_web::http::Method::GET | actix_web::http::Method::HEAD
            ) && variant(
                &guard_dir,
                head.uri.path(),
                head.headers.get(header::ACCEPT_ENCODING),
            )
            .is_some()
        }))
        .app_data(web::Data::new(AssetDir(dir)))
        .to(precompressed)
}

struct AssetDir(PathBuf);

async fn precompressed(req: HttpRequest, dir: web::Data<AssetDir>) -> actix_web::Result<HttpResponse> {
    let (file, original, encoding) = variant(&dir.0, req.path(), req.headers().get(header::ACCEPT_ENCODING))
        .ok_or(crate::error::ApiError::NotFound)?;
    let mime = actix_files::file_extension_to_mime(
        original.extension().and_then(|e| e.to_str()).unwrap_or_default(),
    );
    let mut res = NamedFile::open(file)?
        .set_content_type(mime)
        .set_content_encoding(encoding)
        .into_response(&req);
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(res)
}

/// Sets `Cache-Control` on what is not the API: a year for hashed files, never for the rest
/// (the page and any file without a hash).
pub async fn cache_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path().to_owned();
    let mut res = next.call(req).await?;
    if path.starts_with("/api/") || res.headers().contains_key(header::CACHE_CONTROL) {
        return Ok(res);
    }
    let name = path.rsplit('/').next().unwrap_or_default();
    let ok = res.status().is_success() || res.status() == actix_web::http::StatusCode::NOT_MODIFIED;
    let value = if ok && is_hashed(name) { IMMUTABLE } else { NEVER };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    if ok && name.contains('.') {
        res.headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_told_from_plain_ones() {
        assert!(is_hashed("attaka-web-0123abcdef.js"));
        assert!(is_hashed("attaka-web_bg-0123abcdef.wasm"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("attaka-web.js"));
        assert!(!is_hashed("boot-12345.js"));
    }

    #[test]
    fn an_encoding_refused_with_q_zero_is_not_chosen() {
        let v = HeaderValue::from_static("gzip, deflate, br;q=0");
        assert!(!accepts(Some(&v), "br"));
        assert!(accepts(Some(&v), "gzip"));
        assert!(!accepts(None, "gzip"));
    }
}
