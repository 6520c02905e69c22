//! GS1 Digital Link and element strings: known GTINs, every refusal, and round trips under proptest.

use passport::gs1::{DigitalLink, Gs1Error, gtin_check_digit, parse_element_string, parse_path};
use proptest::prelude::*;

const GTIN: &str = "04260712341013";
const CSET82: &str = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

fn ok(path: &str) -> DigitalLink {
    parse_path(path, None).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn err(path: &str) -> Gs1Error {
    parse_path(path, None).expect_err(path)
}

#[test]
fn known_gtins_are_accepted_and_padded_to_14_digits() {
    assert_eq!(ok("/01/04260712341013/21/P96-000000001").gtin, GTIN);
    assert_eq!(ok("/01/4006381333931").gtin, "04006381333931");
    assert_eq!(ok("/01/9506000134352/21/1").gtin, "09506000134352");
    assert_eq!(ok("/01/614141123452").gtin, "00614141123452");
    assert_eq!(ok("/01/96385074").gtin, "00000096385074");
    assert_eq!(gtin_check_digit("0426071234101"), Some(3));
    assert_eq!(gtin_check_digit("61414112345"), Some(2));
    assert_eq!(gtin_check_digit("12a"), None);
}

#[test]
fn a_wrong_check_digit_names_the_expected_one() {
    let e = err("/01/04260712341014/21/1");
    assert_eq!(e, Gs1Error::CheckDigit { gtin: "04260712341014".into(), found: 4, expected: 3 });
    assert_eq!(e.to_string(), "GTIN 04260712341014 has check digit 4, expected 3");
    assert!(matches!(err("/01/1234567/21/1"), Gs1Error::GtinFormat { .. }));
    assert!(matches!(err("/01/0426071234101X"), Gs1Error::GtinFormat { .. }));
}

#[test]
fn serial_lot_and_link_type_are_extracted() {
    let link = parse_path("/01/04260712341013/10/LOT-7/21/P96-1", Some("linkType=gs1:sustainabilityInfo&x=1")).unwrap();
    assert_eq!(link.lot.as_deref(), Some("LOT-7"));
    assert_eq!(link.serial.as_deref(), Some("P96-1"));
    assert_eq!(link.link_type.as_deref(), Some("gs1:sustainabilityInfo"));
    assert_eq!(link.product_identifier().unwrap(), "(01)04260712341013(21)P96-1");
    assert_eq!(link.element_string(), "(01)04260712341013(10)LOT-7(21)P96-1");
    for lt in ["gs1:pip", "gs1:certificationInfo", "all"] {
        let q = format!("foo=bar&linkType={}", lt.replace(':', "%3A"));
        assert_eq!(parse_path("/01/4006381333931", Some(&q)).unwrap().link_type.as_deref(), Some(lt));
    }
    assert_eq!(parse_path("/01/4006381333931", Some("a=b")).unwrap().link_type, None);
    assert_eq!(parse_path("/01/4006381333931", Some("linkType=")), Err(Gs1Error::LinkType));
    assert_eq!(parse_path("/01/4006381333931", Some("linkType=all&linkType=all")), Err(Gs1Error::DuplicateLinkType));
    assert!(ok("/01/4006381333931/10/B1").serial.is_none());
    assert_eq!(ok("/01/4006381333931/10/B1").product_identifier(), None);
}

#[test]
fn percent_encoded_values_are_decoded_and_bad_encoding_refused() {
    assert_eq!(ok("/01/04260712341013/21/A%2FB%25").serial.as_deref(), Some("A/B%"));
    assert_eq!(ok("/01/04260712341013/21/a.b").serial.as_deref(), Some("a.b"));
    for bad in ["/01/04260712341013/21/A%2", "/01/04260712341013/21/A%zz", "/01/04260712341013/21/%"] {
        assert!(matches!(err(bad), Gs1Error::BadPercent { .. }), "{bad}");
    }
    assert!(matches!(err("/01/04260712341013/21/A%20B"), Gs1Error::InvalidCharacter { .. }));
    assert!(matches!(err("/01/04260712341013/21/%C3%A9"), Gs1Error::InvalidCharacter { .. }));
    assert!(matches!(err("/01/04260712341013/21/A#B"), Gs1Error::Unencoded { ch: '#' }));
    assert_eq!(err("/01/04260712341013/21/é"), Gs1Error::NotAscii { what: "path" });
}

#[test]
fn unknown_duplicate_and_misordered_ais_are_refused() {
    assert_eq!(err("/02/04260712341013/21/1"), Gs1Error::NotDigitalLink);
    assert_eq!(err("/01/04260712341013/99/y"), Gs1Error::UnknownAi { ai: "99".into() });
    assert_eq!(err("/01/04260712341013/22/v/21/1"), Gs1Error::UnknownAi { ai: "22".into() });
    assert_eq!(err("/01/04260712341013/21/1/21/2"), Gs1Error::DuplicateAi { ai: "21" });
    assert_eq!(err("/01/04260712341013/01/04260712341013"), Gs1Error::DuplicateAi { ai: "01" });
    assert_eq!(err("/01/04260712341013/21/1/10/L"), Gs1Error::OutOfOrder);
    assert_eq!(err("/01/04260712341013/21"), Gs1Error::MissingValue { ai: "21" });
    assert_eq!(err("/01/04260712341013/21/1/junk"), Gs1Error::UnknownAi { ai: "junk".into() });
    assert_eq!(err("/01/04260712341013/21/1/"), Gs1Error::EmptySegment);
    assert_eq!(err("/01/04260712341013//21/1"), Gs1Error::EmptySegment);
    assert!(matches!(err("/01/04260712341013/21/ABCDEFGHIJKLMNOPQRSTU"), Gs1Error::ValueLength { len: 21, .. }));
}

/// Decision: raw `.`/`..` segments are refused; a percent-encoded value is opaque data (only ever a lookup key).
#[test]
fn dot_segments_are_refused_but_dots_in_values_are_data() {
    assert_eq!(err("/01/04260712341013/21/.."), Gs1Error::Traversal);
    assert_eq!(err("/01/04260712341013/../21/1"), Gs1Error::Traversal);
    assert_eq!(err("/01/04260712341013/21/1/../../etc"), Gs1Error::Traversal);
    assert_eq!(ok("/01/04260712341013/21/..%2F..").serial.as_deref(), Some("../.."));
    let dots = DigitalLink { gtin: GTIN.into(), serial: Some("..".into()), lot: None, link_type: None };
    assert_eq!(dots.digital_link_path(), "/01/04260712341013/21/%2E%2E");
    assert_eq!(ok(&dots.digital_link_path()), dots);
}

#[test]
fn oversized_input_is_refused() {
    let long = format!("/01/04260712341013/21/{}", "A".repeat(600));
    assert_eq!(err(&long), Gs1Error::TooLong { what: "path", len: long.len() });
    let q = "x".repeat(513);
    assert!(matches!(parse_path("/01/4006381333931", Some(&q)), Err(Gs1Error::TooLong { what: "query", .. })));
}

#[test]
fn element_strings_as_stored() {
    let link = parse_element_string("(01)04260712341013(21)P96-000000001").unwrap();
    assert_eq!(link.serial.as_deref(), Some("P96-000000001"));
    assert_eq!(link.digital_link_path(), "/01/04260712341013/21/P96-000000001");
    assert_eq!(parse_element_string("(01)04260712341013(10)L(1)(21)S(21)").unwrap().serial.as_deref(), Some("S(21)"));
    assert!(matches!(parse_element_string("(01)04260712341014(21)1"), Err(Gs1Error::CheckDigit { .. })));
    for bad in
        ["", "(01)4260712341013(21)1", "(01)04260712341013(17)270101", "(02)04260712341013", "(01)0426071234101é"]
    {
        assert!(parse_element_string(bad).is_err(), "{bad}");
    }
    assert!(matches!(parse_element_string("(01)04260712341013(21)"), Err(Gs1Error::ValueLength { len: 0, .. })));
}

fn gtin() -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, 13).prop_map(|d| {
        let data: String = d.iter().map(|d| char::from(b'0' + d)).collect();
        let check = gtin_check_digit(&data).unwrap();
        format!("{data}{check}")
    })
}

fn cset82_value() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(CSET82.chars().collect::<Vec<_>>()), 1..=20)
        .prop_map(|c| c.into_iter().collect())
}

proptest! {
    #[test]
    fn digital_link_paths_round_trip(gtin in gtin(), serial in cset82_value(), lot in proptest::option::of(cset82_value())) {
        let link = DigitalLink { gtin, serial: Some(serial), lot, link_type: None };
        let path = link.digital_link_path();
        prop_assert_eq!(parse_path(&path, None), Ok(link.clone()));
        let with_type = parse_path(&path, Some("linkType=gs1%3Apip")).unwrap();
        prop_assert_eq!(with_type.link_type.as_deref(), Some("gs1:pip"));
        let stored = link.product_identifier().unwrap();
        prop_assert_eq!(parse_element_string(&stored).unwrap().serial, link.serial.clone());
        if !link.lot.as_deref().unwrap_or_default().contains("(21)") {
            prop_assert_eq!(parse_element_string(&link.element_string()), Ok(link));
        }
    }

    #[test]
    fn parsing_never_panics(s in any::<String>(), q in proptest::option::of(any::<String>())) {
        let _ = parse_path(&s, q.as_deref());
        let _ = parse_element_string(&s);
    }

    #[test]
    fn parsing_link_shaped_junk_never_panics(tail in "[0-9A-Za-z%./()~#-]{0,80}", q in "[a-zA-Z=&%:]{0,40}") {
        let _ = parse_path(&format!("/01/{tail}"), Some(&q));
        let _ = parse_element_string(&format!("(01){tail}"));
    }
}
