//! Store tests: the conformance suite on MemStore, and recovery from what a store committed.

mod conformance;
mod recovery;
