//! In-memory log tests: partition windows and the topic-config model.

mod configs;
mod partition;
