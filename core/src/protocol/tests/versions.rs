//! The version table: served within advertised, and the coverage page.

use crate::protocol::versions::*;

#[test]
fn coverage_doc_matches_version_table() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.join("docs/protocol-coverage.md"));
    let doc = root
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let generated = doc.split_once(COVERAGE_MARKER).map(|(_, g)| g);
    assert_eq!(
        generated,
        Some(coverage_markdown().as_str()),
        "regenerate docs/protocol-coverage.md from versions::coverage_markdown()"
    );
}

#[test]
fn served_versions_are_within_advertised_and_decodable() {
    for r in TABLE {
        assert!(r.min_advertised <= r.min_served && r.min_served <= r.max_advertised);
        let range = r.key.valid_versions();
        assert!(
            range.min <= r.min_served && r.max_advertised <= range.max,
            "{:?}",
            r.key
        );
    }
    assert!(supported(0, 3) && !supported(0, 2) && !supported(0, 12));
    assert!(!supported(9999, 0));
}
