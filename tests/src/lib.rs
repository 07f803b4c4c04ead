//! Test support shared by the integration tests and the local stack: the tables of
//! `template.yaml`, DynamoDB Local, the sample events of `events/`, and a spawned app.

pub mod app;
pub mod dispatch;
pub mod dynamodb_local;
pub mod dynamodb_proxy;
pub mod emf;
pub mod events;
pub mod mails;
pub mod outbox;
pub mod runtime_api;
pub mod tables;

pub use app::{TestApp, TestResponse};
pub use events::Event;

/// Runs futures concurrently and collects their outputs in order.
pub async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
