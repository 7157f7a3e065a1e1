//! Coordinator pieces tested alone: assignors and subscription parsing (the coordinator itself is driven through the handlers in broker/tests).

mod assignor;
mod subscription;
