//! The engine's one error type: a Kafka error code with an optional message for the client.
//!
//! Owns: [`KafkaError`] and [`KafkaResult`], used by the broker handlers, the writer, the group
//! coordinator and the transaction state alike. Codes come from `kafka_protocol::ResponseError`,
//! never from hand-typed numbers; the wire `i16` appears only where a response is built.
//!
//! The layers below keep their own small error enums (`ProtocolError`, `BatchError`,
//! `StoreError`, `NetError`); they become a `KafkaError` where a client must be answered.

use kafka_protocol::ResponseError;

/// A Kafka error as a client sees it: the code, and a message where the API carries one
/// (CreateTopics, AlterConfigs, ...). A message never holds internal detail such as SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaError {
    pub code: ResponseError,
    pub message: Option<String>,
}

/// An outcome answered to a client.
pub type KafkaResult<T> = Result<T, KafkaError>;

impl KafkaError {
    /// The error without a message.
    pub const fn new(code: ResponseError) -> Self {
        KafkaError {
            code,
            message: None,
        }
    }

    /// The error with a message for the client.
    pub fn with_message(code: ResponseError, message: impl Into<String>) -> Self {
        KafkaError {
            code,
            message: Some(message.into()),
        }
    }

    /// The wire code.
    pub fn code(&self) -> i16 {
        self.code.code()
    }

    /// A produce or log read the store could not serve.
    pub const fn storage() -> Self {
        KafkaError::new(ResponseError::KafkaStorageError)
    }

    /// A coordinator (group or transaction) write the store could not commit, or a coordinator
    /// that is shutting down: Kafka's retriable answer for both.
    pub const fn coordinator_unavailable() -> Self {
        KafkaError::new(ResponseError::CoordinatorNotAvailable)
    }

    /// The message as the wire carries it (null when there is none).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl From<ResponseError> for KafkaError {
    fn from(code: ResponseError) -> Self {
        KafkaError::new(code)
    }
}

impl std::fmt::Display for KafkaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {m}", self.code),
            None => write!(f, "{}", self.code),
        }
    }
}

impl std::error::Error for KafkaError {}

/// The wire code of an outcome: 0 for success.
pub fn code_of<T>(r: &KafkaResult<T>) -> i16 {
    r.as_ref().err().map_or(0, KafkaError::code)
}

/// The wire code of an optional error: 0 for none.
pub fn code_or_none(e: Option<&KafkaError>) -> i16 {
    e.map_or(0, KafkaError::code)
}
