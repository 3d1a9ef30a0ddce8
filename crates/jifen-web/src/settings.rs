//! Console pages: settings.

use axum::Router;

use crate::Web;

pub(crate) fn routes() -> Router<Web> {
    Router::new()
}
