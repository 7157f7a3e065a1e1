//! Producer-state tests: sequence checks and windows alone (the writer paths that use them are
//! tested through the handlers in broker/tests).

mod sequence;
