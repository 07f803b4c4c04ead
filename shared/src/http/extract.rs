//! What a handler takes. Each parameter of a handler is a type the pipeline knows how to produce
//! from the request before the handler runs ([`FromRequestParts`], in the spirit of axum's):
//! the state, the authenticated caller, the token signer, the cursor key, the parsed body; the
//! request itself may come last, for its path and headers.
//!
//! The route's callers are part of its type (`deploy::Access`), and a caller can only be
//! produced for a route whose callers are signed in: a handler that asks for one on a public
//! route does not compile. What a parameter needs loaded at cold start (a private key) is its
//! [`FromRequestParts::NEEDS`]: the function's state is built with it, so a handler never finds
//! a key missing at run time.

use std::future::Future;

use lambda_http::{Body, Request, Response};

use super::body::ReadBody;
use crate::auth::jwt::TokenSigner;
use crate::error::ApiError;
use crate::media::Media;
use crate::pagination::CursorKey;
use crate::state::{AppState, Needs};

/// A value the pipeline produces from a request, on a route whose callers are `A`.
pub trait FromRequestParts<'a, A>: Sized {
    /// What the function must load at cold start for this to be produced.
    const NEEDS: Needs = Needs::NOTHING;

    fn from_request_parts(
        state: &'a AppState,
        req: &Request,
    ) -> impl Future<Output = Result<Self, ApiError>>;
}

/// The function's state: its configuration, clock and tables.
impl<'a, A> FromRequestParts<'a, A> for &'a AppState {
    async fn from_request_parts(state: &'a AppState, _: &Request) -> Result<Self, ApiError> {
        Ok(state)
    }
}

/// The key tokens are signed with: only a function whose handler takes it loads it.
impl<'a, A> FromRequestParts<'a, A> for &'a TokenSigner {
    const NEEDS: Needs = Needs {
        signing_key: true,
        ..Needs::NOTHING
    };

    async fn from_request_parts(state: &'a AppState, _: &Request) -> Result<Self, ApiError> {
        state.signer()
    }
}

/// The key page cursors are signed with: only a function whose handler takes it loads it.
impl<'a, A> FromRequestParts<'a, A> for &'a CursorKey {
    const NEEDS: Needs = Needs {
        cursor_key: true,
        ..Needs::NOTHING
    };

    async fn from_request_parts(state: &'a AppState, _: &Request) -> Result<Self, ApiError> {
        state.cursors()
    }
}

/// The media bucket: only a function whose handler takes it has a client of it.
impl<'a, A> FromRequestParts<'a, A> for &'a Media {
    const NEEDS: Needs = Needs {
        media: true,
        ..Needs::NOTHING
    };

    async fn from_request_parts(state: &'a AppState, _: &Request) -> Result<Self, ApiError> {
        state.media()
    }
}

/// A request body read as JSON into its declared type (415, 413 or 400 otherwise: see
/// [`ReadBody::read`]).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<'a, A, T: ReadBody> FromRequestParts<'a, A> for Json<T> {
    async fn from_request_parts(_: &'a AppState, req: &Request) -> Result<Self, ApiError> {
        T::read(req).map(Json)
    }
}

/// A request body read as a JSON Merge Patch (RFC 7396) of its declared type (see
/// [`ReadBody::read_patch`]).
#[derive(Debug)]
pub struct MergePatch<T>(pub T);

impl<'a, A, T: ReadBody> FromRequestParts<'a, A> for MergePatch<T> {
    async fn from_request_parts(_: &'a AppState, req: &Request) -> Result<Self, ApiError> {
        T::read_patch(req).map(MergePatch)
    }
}

/// A handler of a route whose callers are `A`: an async function of extracted parameters
/// (`Args` tells the impls apart), with the request itself as an optional last one.
pub trait Handler<'a, A, Args>: Copy + 'static {
    /// What its parameters need loaded at cold start, together.
    const NEEDS: Needs;

    /// Produces the parameters from `req`, in order (the first refusal answers), then runs.
    fn call(
        self,
        state: &'a AppState,
        req: Request,
    ) -> impl Future<Output = Result<Response<Body>, ApiError>> + 'a;
}

/// `Args` of a handler whose parameters are all extracted.
#[derive(Debug)]
pub enum Extracted {}
/// `Args` of a handler that takes the request itself last.
#[derive(Debug)]
pub enum WithRequest {}

macro_rules! handler {
    ($($param:ident),*) => {
        impl<'a, A, F, Fut, $($param,)*> Handler<'a, A, (Extracted, $($param,)*)> for F
        where
            F: Fn($($param,)*) -> Fut + Copy + 'static,
            Fut: Future<Output = Result<Response<Body>, ApiError>> + 'a,
            $($param: FromRequestParts<'a, A> + 'a,)*
        {
            const NEEDS: Needs = Needs::NOTHING$(.and($param::NEEDS))*;

            #[allow(non_snake_case, unused_variables)]
            fn call(
                self,
                state: &'a AppState,
                req: Request,
            ) -> impl Future<Output = Result<Response<Body>, ApiError>> + 'a {
                async move {
                    $(let $param = $param::from_request_parts(state, &req).await?;)*
                    drop(req);
                    self($($param,)*).await
                }
            }
        }

        impl<'a, A, F, Fut, $($param,)*> Handler<'a, A, (WithRequest, $($param,)*)> for F
        where
            F: Fn($($param,)* Request) -> Fut + Copy + 'static,
            Fut: Future<Output = Result<Response<Body>, ApiError>> + 'a,
            $($param: FromRequestParts<'a, A> + 'a,)*
        {
            const NEEDS: Needs = Needs::NOTHING$(.and($param::NEEDS))*;

            #[allow(non_snake_case, unused_variables)]
            fn call(
                self,
                state: &'a AppState,
                req: Request,
            ) -> impl Future<Output = Result<Response<Body>, ApiError>> + 'a {
                async move {
                    $(let $param = $param::from_request_parts(state, &req).await?;)*
                    self($($param,)* req).await
                }
            }
        }
    };
}

handler!();
handler!(T1);
handler!(T1, T2);
handler!(T1, T2, T3);
handler!(T1, T2, T3, T4);
handler!(T1, T2, T3, T4, T5);
