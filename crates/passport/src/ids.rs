//! Passport identifiers: server-assigned URNs built on UUIDv7, so they sort by creation time.

use uuid::Uuid;

/// URN namespace of passports created by voltpass.
pub const URN_PREFIX: &str = "urn:voltpass:";

/// A new passport identifier, e.g. `urn:voltpass:01934f2a9b7c7d3e8f1a2b3c4d5e6f70`.
///
/// The UUID is written without hyphens because the Battery Pass schema restricts
/// `batteryPassportIdentifier` to `^urn:[a-z0-9]+:[a-z0-9]+$`.
pub fn new_passport_id() -> String {
    format!("{URN_PREFIX}{}", Uuid::now_v7().simple())
}

/// True for identifiers the Battery Pass schema accepts: `urn:<nid>:<nss>`, lower-case letters and digits.
pub fn is_passport_id(id: &str) -> bool {
    let parts: Vec<&str> = id.splitn(3, ':').collect();
    let token_ok = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    parts.len() == 3 && parts[0] == "urn" && token_ok(parts[1]) && token_ok(parts[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sortable_and_match_the_schema_pattern() {
        let a = new_passport_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_passport_id();
        assert!(a < b, "UUIDv7 ids sort by creation time: {a} {b}");
        for id in [&a, &b] {
            let (ns, rest) = id.strip_prefix("urn:").unwrap().split_once(':').unwrap();
            assert!(ns.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            assert!(rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            assert_eq!(rest.len(), 32);
            assert!(is_passport_id(id));
        }
        assert!(!is_passport_id("urn:voltpass:ABC"));
        assert!(!is_passport_id("urn:voltpass:01-23"));
        assert!(!is_passport_id("voltpass:0123"));
    }
}
