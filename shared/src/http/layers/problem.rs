//! An error, from the deadline or the handler, rendered as its problem response (the one
//! renderer: `http::problem`).

use std::convert::Infallible;

use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Body, Request, Response};

use super::{arrival, BoxFuture, Middleware};
use crate::error::ApiError;
use crate::http::problem;

/// Turns the errors of the services inside it into problem responses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Problems;

impl<'a> Middleware<'a> for Problems {
    type Inner = ApiError;
    type Error = Infallible;

    fn around<S>(self, req: Request, inner: S) -> BoxFuture<'a, Result<Response<Body>, Infallible>>
    where
        S: Service<Request, Response = Response<Body>, Error = ApiError> + 'a,
        S::Future: 'a,
    {
        Box::pin(async move {
            let request_id = arrival(&req).request_id;
            Ok(match inner.oneshot(req).await {
                Ok(response) => response,
                Err(error) => problem::respond(&error, &request_id),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::layers::{Arrival, Wrap};
    use lambda_http::tower::service_fn;
    use lambda_http::tower::Layer;

    fn request(request_id: &str) -> Request {
        let mut req = Request::default();
        let mut arrival = Arrival::of(&req);
        arrival.request_id = request_id.to_owned();
        req.extensions_mut().insert(arrival);
        req
    }

    fn failing(
        error: fn() -> ApiError,
    ) -> impl Service<Request, Response = Response<Body>, Error = ApiError> + Clone {
        service_fn(move |_: Request| std::future::ready(Err(error())))
    }

    #[tokio::test]
    async fn a_client_error_becomes_its_problem_with_the_request_id() {
        let service = Wrap::new(Problems).layer(failing(|| ApiError::NotFound("gone".into())));
        let response = service.oneshot(request("req-1")).await.expect("answered");
        assert_eq!(response.status(), 404);
        let body: serde_json::Value =
            serde_json::from_slice(response.body().as_ref()).expect("problem json");
        assert_eq!(body["detail"], "gone");
        assert_eq!(body["requestId"], "req-1");
        assert!(response.extensions().get::<problem::Cause>().is_none());
    }

    #[tokio::test]
    async fn a_server_error_says_nothing_and_carries_its_cause_to_the_request_line() {
        let service = Wrap::new(Problems).layer(failing(|| {
            ApiError::unexpected("read product", "disk on fire")
        }));
        let response = service.oneshot(request("req-2")).await.expect("answered");
        assert_eq!(response.status(), 500);
        let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        assert!(!body.contains("disk on fire"), "{body}");
        let cause = response
            .extensions()
            .get::<problem::Cause>()
            .expect("cause");
        assert!(
            cause.as_str().contains("disk on fire"),
            "{}",
            cause.as_str()
        );
    }

    #[tokio::test]
    async fn a_response_passes_untouched() {
        let answering = service_fn(|_: Request| {
            std::future::ready(Ok::<_, ApiError>(crate::http::response::no_content()))
        });
        let response = Wrap::new(Problems)
            .layer(answering)
            .oneshot(request("req-3"))
            .await
            .expect("answered");
        assert_eq!(response.status(), 204);
    }
}
