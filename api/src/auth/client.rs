//! The client's address and scheme as far as they can be believed: forwarding headers
//! (`Forwarded`, `X-Forwarded-For`, `X-Forwarded-Proto`) count only when the peer is one of
//! `server.trusted_proxies`; from anyone else they are ignored and the peer is the client.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;

use crate::config::ProxyNet;

fn trusted(ip: &IpAddr, proxies: &[ProxyNet]) -> bool {
    proxies.iter().any(|p| p.contains(ip))
}

/// One `for=` or `X-Forwarded-For` entry as an address: quotes, IPv6 brackets and a port
/// removed; none for `unknown` or an obfuscated name.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    // `192.0.2.43:47011`
    let (host, port) = v.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse().ok()
}

fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
}

/// The `for=` chain of `Forwarded` (RFC 7239), else `X-Forwarded-For`, nearest hop last.
/// An entry that is no address is `None`.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<Option<IpAddr>> = header_values(headers, "forwarded")
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then(|| parse_node(v))
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    header_values(headers, "x-forwarded-for")
        .map(parse_node)
        .collect()
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
/// address in the forwarding chain that is not itself a trusted proxy (walking from the
/// right, so entries a client wrote itself at the left are never reached past an untrusted
/// hop). An unreadable entry stops the walk at the hop that added it.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, proxies: &[ProxyNet]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted(&peer, proxies) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).into_iter().rev() {
        match hop {
            Some(ip) => {
                client = ip;
                if !trusted(&ip, proxies) {
                    break;
                }
            }
            None => break,
        }
    }
    Some(client)
}

/// Whether a trusted proxy says the client used HTTPS (`X-Forwarded-Proto: https` or
/// `Forwarded: proto=https`).
pub fn forwarded_https(peer: Option<IpAddr>, headers: &HeaderMap, proxies: &[ProxyNet]) -> bool {
    if !peer.is_some_and(|p| trusted(&p, proxies)) {
        return false;
    }
    let proto = header_values(headers, "forwarded")
        .flat_map(|e| e.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("proto"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .chain(header_values(headers, "x-forwarded-proto").map(|v| v.trim().to_owned()))
        .last();
    proto.is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn proxies(list: &[&str]) -> Vec<ProxyNet> {
        list.iter().map(|s| ProxyNet::parse(s).unwrap()).collect()
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[("x-forwarded-for", "203.0.113.77"), ("forwarded", "for=10.7.7.2")]);
        assert_eq!(client_ip(ip("192.0.2.9"), &h, &[]), ip("192.0.2.9"));
        assert_eq!(
            client_ip(ip("192.0.2.9"), &h, &proxies(&["10.0.0.0/8"])),
            ip("192.0.2.9")
        );
    }

    #[test]
    fn a_trusted_proxy_is_believed_but_a_forged_left_entry_is_not_reached() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "203.0.113.77, 198.51.100.4")]);
        // The proxy appended the real client (198.51.100.4); the client wrote the first entry.
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &p), ip("198.51.100.4"));
        let h = headers(&[(
            "forwarded",
            r#"for="[2001:db8::1]:4711";proto=https, for=10.0.0.6"#,
        )]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &p), ip("2001:db8::1"));
        assert!(forwarded_https(ip("10.0.0.5"), &h, &p));
        assert!(!forwarded_https(ip("192.0.2.1"), &h, &p));
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_proxy_that_added_it() {
        let p = proxies(&["10.0.0.5"]);
        let h = headers(&[("x-forwarded-for", "203.0.113.77, unknown")]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &p), ip("10.0.0.5"));
    }
}
