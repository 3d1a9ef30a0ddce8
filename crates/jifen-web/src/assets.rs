//! Browser assets served from inside the binary: Apache ECharts, vendored from npm with its
//! licence (`assets/vendor/echarts/`), under a path that names its version so it can be cached
//! for a year as `immutable`; and our own chart script for the overview, cached for an hour
//! like the stylesheet. Both go gzipped to a browser that asks (the router's compression).

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The version of Apache ECharts inside the binary: it names the file and the path.
macro_rules! echarts_version {
    () => {
        "6.1.0"
    };
}

/// Where it is served; a new version is a new path.
pub const ECHARTS_PATH: &str = concat!("/assets/echarts-", echarts_version!(), ".min.js");
const ECHARTS: &str = include_str!(concat!(
    "../assets/vendor/echarts/echarts-",
    echarts_version!(),
    ".min.js"
));
/// The overview's charts, drawn from the numbers in its page.
const OVERVIEW_JS: &str = include_str!("../assets/overview.js");

pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(ECHARTS_PATH, get(echarts))
        .route("/console/assets/overview.js", get(overview_js))
}

fn script(body: &'static str, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

async fn echarts() -> Response {
    script(ECHARTS, "public, max-age=31536000, immutable")
}

async fn overview_js() -> Response {
    script(OVERVIEW_JS, "public, max-age=3600")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_names_the_version_of_the_file_inside() {
        assert_eq!(ECHARTS_PATH, "/assets/echarts-6.1.0.min.js");
        // The file's own banner names the same version.
        assert!(ECHARTS.len() > 500_000 && ECHARTS.contains("Apache"));
        assert!(ECHARTS.contains(concat!("\"", echarts_version!(), "\"")));
    }
}
