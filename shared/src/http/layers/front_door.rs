//! The front door's check, when the API is deployed behind it: a request without the origin
//! header's secret is refused (403) before anything else is done for it (no preflight, no
//! counter, no handler, no storage call), and so is one the viewer sent over TLS older than 1.2;
//! one with it goes on, its client now the viewer's address the CDN passed on. Off (locally, or with an edge of the deployment's own), every
//! request goes on as it came.

use std::convert::Infallible;

use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Body, Request, Response};

use super::{arrival, BoxFuture, Middleware};
use crate::error::ApiError;
use crate::front_door::{
    modern_tls, viewer_ip, ORIGIN_HEADER, VIEWER_ADDRESS_HEADER, VIEWER_TLS_HEADER,
};
use crate::http::context::ViewerAddress;
use crate::http::problem;
use crate::state::AppState;

/// Lets in what came through the front door, when there is one.
#[derive(Debug, Clone, Copy)]
pub struct FrontDoorCheck<'a> {
    pub state: &'a AppState,
}

impl<'a> Middleware<'a> for FrontDoorCheck<'a> {
    type Inner = Infallible;
    type Error = Infallible;

    fn around<S>(
        self,
        mut req: Request,
        inner: S,
    ) -> BoxFuture<'a, Result<Response<Body>, Infallible>>
    where
        S: Service<Request, Response = Response<Body>, Error = Infallible> + 'a,
        S::Future: 'a,
    {
        let Some(door) = self.state.front_door() else {
            return Box::pin(inner.oneshot(req));
        };
        Box::pin(async move {
            let presented = req
                .headers()
                .get(ORIGIN_HEADER)
                .map(|value| value.as_bytes().to_vec());
            if !door.admits(presented.as_deref()).await {
                let refused =
                    ApiError::Forbidden("this API is reached through its front door only".into());
                return Ok(problem::respond(&refused, &arrival(&req).request_id));
            }
            let tls = req
                .headers()
                .get(VIEWER_TLS_HEADER)
                .and_then(|value| value.to_str().ok());
            if tls.is_some_and(|tls| !modern_tls(tls)) {
                let refused = ApiError::Forbidden("TLS 1.2 or later is required".into());
                return Ok(problem::respond(&refused, &arrival(&req).request_id));
            }
            let viewer = req
                .headers()
                .get(VIEWER_ADDRESS_HEADER)
                .and_then(|value| value.to_str().ok())
                .and_then(viewer_ip);
            if let Some(ip) = viewer {
                req.extensions_mut().insert(ViewerAddress(ip.to_string()));
            }
            inner.oneshot(req).await
        })
    }
}
