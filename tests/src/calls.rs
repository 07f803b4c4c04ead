//! Which function a test app's AWS call belongs to. A test app runs every handler in one process
//! on one client, so the handler being run is kept for the task ([`as_function`]) and written
//! into each call's user agent (`app/<function>`), as a deployed function's own client writes
//! its name (`shared::aws::name_function`). The recorder in front of the local endpoints reads
//! it, and the role check holds the call to that function's role.

use std::future::Future;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;

tokio::task_local! {
    static FUNCTION: &'static str;
}

/// Runs `work` as `function`: every AWS call it makes carries the function's name.
pub async fn as_function<F: Future>(function: &'static str, work: F) -> F::Output {
    FUNCTION.scope(function, work).await
}

/// Names the calling function in the user agent of each call made inside [`as_function`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NameCaller;

impl Intercept for NameCaller {
    fn name(&self) -> &'static str {
        "NameCaller"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(function) = FUNCTION.try_with(|function| *function) else {
            return Ok(());
        };
        let headers = context.request_mut().headers_mut();
        let agent = headers.get("x-amz-user-agent").unwrap_or_default();
        let named = format!("{agent} app/{function}");
        headers.insert("x-amz-user-agent", named);
        Ok(())
    }
}

/// `client` with its calls named by [`NameCaller`].
pub fn naming_callers(client: &aws_sdk_dynamodb::Client) -> aws_sdk_dynamodb::Client {
    let config = client.config().to_builder().interceptor(NameCaller);
    aws_sdk_dynamodb::Client::from_conf(config.build())
}
