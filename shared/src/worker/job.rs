//! What a worker's handler takes: the job, after what it needs of the function's state, each a
//! type the worker knows how to produce ([`FromState`]); what a parameter needs loaded at cold
//! start (the mail client) is its [`FromState::NEEDS`], so the state is built with it.

use std::future::Future;

use super::JobError;
use crate::domain::outbox::OutboxEntry;
use crate::error::ApiError;
use crate::mail::{AddressKey, MailSender};
use crate::media::Media;
use crate::state::{AppState, Needs};

/// A value a worker's handler takes from the function's state.
pub trait FromState<'a>: Sized {
    /// What the function must load at cold start for this to be produced.
    const NEEDS: Needs = Needs::NOTHING;

    fn from_state(state: &'a AppState) -> Result<Self, ApiError>;
}

impl<'a> FromState<'a> for &'a AppState {
    fn from_state(state: &'a AppState) -> Result<Self, ApiError> {
        Ok(state)
    }
}

/// The SES client: only a worker whose handler takes it has one.
impl<'a> FromState<'a> for &'a MailSender {
    const NEEDS: Needs = Needs {
        mail: true,
        ..Needs::NOTHING
    };

    fn from_state(state: &'a AppState) -> Result<Self, ApiError> {
        state.mail()
    }
}

/// The media bucket: only a worker whose handler takes it has a client of it.
impl<'a> FromState<'a> for &'a Media {
    const NEEDS: Needs = Needs {
        media: true,
        ..Needs::NOTHING
    };

    fn from_state(state: &'a AppState) -> Result<Self, ApiError> {
        state.media()
    }
}

/// The key of the per-address mail cap: only a worker whose handler takes it loads it.
impl<'a> FromState<'a> for &'a AddressKey {
    const NEEDS: Needs = Needs {
        address_key: true,
        ..Needs::NOTHING
    };

    fn from_state(state: &'a AppState) -> Result<Self, ApiError> {
        state.address_key()
    }
}

/// A worker's handler: an async function of what it takes from the state, then the job.
pub trait JobHandler<'a, Args>: Copy + 'static {
    /// What its parameters need loaded at cold start, together.
    const NEEDS: Needs;

    fn call(
        self,
        state: &'a AppState,
        entry: OutboxEntry,
    ) -> impl Future<Output = Result<(), JobError>> + 'a;
}

macro_rules! job_handler {
    ($($param:ident),*) => {
        impl<'a, F, Fut, $($param,)*> JobHandler<'a, ($($param,)*)> for F
        where
            F: Fn($($param,)* OutboxEntry) -> Fut + Copy + 'static,
            Fut: Future<Output = Result<(), JobError>> + 'a,
            $($param: FromState<'a> + 'a,)*
        {
            const NEEDS: Needs = Needs::NOTHING$(.and($param::NEEDS))*;

            #[allow(non_snake_case)]
            fn call(
                self,
                state: &'a AppState,
                entry: OutboxEntry,
            ) -> impl Future<Output = Result<(), JobError>> + 'a {
                async move {
                    $(let $param = $param::from_state(state)?;)*
                    self($($param,)* entry).await
                }
            }
        }
    };
}

job_handler!(T1);
job_handler!(T1, T2);
job_handler!(T1, T2, T3);
