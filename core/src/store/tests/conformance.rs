//! The conformance suite on `MemStore`, each case on a fresh store and all of them on one.

use crate::store::conformance::CASES;
use crate::store::MemStore;

#[test]
fn every_conformance_case_holds_for_the_memory_store() {
    for (name, case) in CASES {
        let mut store = MemStore::new();
        eprintln!("conformance: {name}");
        case(&mut store);
    }
}

#[test]
fn the_conformance_cases_hold_on_one_shared_store() {
    let mut store = MemStore::new();
    for (name, case) in CASES {
        eprintln!("conformance: {name}");
        case(&mut store);
    }
}
