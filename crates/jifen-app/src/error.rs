use jifen_ledger::LedgerError;
use jifen_store::StoreError;

/// Why a use case did not happen. Every variant but `Store` and `Internal` is the caller's to
/// fix, and none of them leaves a partial write behind.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The request conflicts with the state: an order recorded twice, a reservation settled.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        details: serde_json::Value,
    },
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyMismatch,
    #[error("the server is shutting down")]
    Unavailable,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(
        code: &'static str,
        message: impl Into<String>,
        details: serde_json::Value,
    ) -> AppError {
        AppError::Conflict {
            code,
            message: message.into(),
            details,
        }
    }
}
