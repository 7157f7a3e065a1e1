//! Cleaner tests.
