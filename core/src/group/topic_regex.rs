//! Topic regexes of consumer-protocol subscriptions (KIP-848's `SubscribedTopicRegex`).
//!
//! Owns: compiling a member's pattern (bounded in length and compiled size, so a hostile pattern
//! costs little) and each group's resolution of its patterns to topic names, redone only when
//! the registry's set of topics changed. Kafka resolves on the coordinator with RE2/J and a whole-
//! name match (`Matcher.matches()`); the `regex` crate is of the same RE2 family (no
//! backreferences, linear-time matching), and patterns are anchored at both ends here to match
//! whole names too.

use std::collections::{BTreeMap, BTreeSet};

use regex::{Regex, RegexBuilder};

use crate::log::Registry;

/// Longest pattern accepted, in bytes.
pub const MAX_PATTERN_BYTES: usize = 1024;
/// Most memory one compiled pattern may take.
const MAX_COMPILED_BYTES: usize = 1 << 20;

/// `pattern` compiled to match whole topic names, or why it is not valid.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "SubscribedTopicRegex is longer than {MAX_PATTERN_BYTES} bytes."
        ));
    }
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(MAX_COMPILED_BYTES)
        .dfa_size_limit(MAX_COMPILED_BYTES)
        .build()
        .map_err(|e| format!("SubscribedTopicRegex is not a valid regular expression: {e}"))
}

/// A group's patterns and the topics each matched, as of a registry version.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    /// Registry topic-set version the resolution was made at.
    version: Option<u64>,
    by_pattern: BTreeMap<String, (Regex, BTreeSet<String>)>,
}

impl Resolved {
    /// Keep exactly the patterns in `patterns` (compiling new ones, which were checked when the
    /// member sent them) and resolve them again if topics came or went since the last time.
    /// Returns whether what a kept pattern matches changed.
    pub fn refresh<'a>(
        &mut self,
        patterns: impl Iterator<Item = &'a str>,
        registry: &Registry,
    ) -> bool {
        let wanted: BTreeSet<&str> = patterns.collect();
        let before = self.by_pattern.len();
        self.by_pattern.retain(|p, _| wanted.contains(p.as_str()));
        let mut added = false;
        for p in &wanted {
            if !self.by_pattern.contains_key(*p) {
                if let Ok(re) = compile(p) {
                    self.by_pattern
                        .insert((*p).to_owned(), (re, BTreeSet::new()));
                    added = true;
                }
            }
        }
        let version = registry.topics_version();
        if !added && self.by_pattern.len() == before && self.version == Some(version) {
            return false;
        }
        let names: Vec<String> = registry.all().iter().map(|t| t.name.clone()).collect();
        let mut changed = false;
        for (re, matched) in self.by_pattern.values_mut() {
            let now: BTreeSet<String> = names.iter().filter(|n| re.is_match(n)).cloned().collect();
            changed |= now != *matched;
            *matched = now;
        }
        self.version = Some(version);
        changed
    }

    /// The topics `pattern` matched at the last refresh.
    pub fn topics(&self, pattern: &str) -> Option<&BTreeSet<String>> {
        self.by_pattern.get(pattern).map(|(_, m)| m)
    }
}
