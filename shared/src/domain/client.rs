//! The client a request comes from, as the limits count it.

use std::net::IpAddr;

/// The client a source address stands for: an IPv4 address itself, an IPv6 address its /64
/// (one subscriber's network: a client rotating through its own /64 is still one client).
/// Text that is not an address is taken as it is.
pub fn client_of(ip: &str) -> String {
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_client_is_its_address() {
        assert_eq!(client_of("203.0.113.10"), "203.0.113.10");
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        assert_eq!(
            client_of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            client_of("2001:db8:1:2::1"),
            client_of("2001:db8:1:2:ffff::9")
        );
        assert_ne!(client_of("2001:db8:1:2::1"), client_of("2001:db8:1:3::1"));
    }
}
