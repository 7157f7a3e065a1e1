//! Coordinator pieces tested alone: assignors, subscription parsing and the consumer groups' rows (the coordinator itself is driven through the handlers in broker/tests).

mod assignor;
mod consumer_rows;
mod subscription;
