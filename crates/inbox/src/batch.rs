//! Writes in groups: the packets (or revocations) that arrive while a transaction commits are
//! written together in the next one — one transaction and one flush to disk for all of them —
//! and each request is answered once its own write is committed (or refused). Under load this
//! is what keeps the HTTP import close to the in-process rate; alone, a write waits for nobody.
//!
//! A batch that fails as a whole (a database error) is retried item by item, so that one item
//! never makes another fail.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tessera_brand::BrandError;
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::error::ApiError;

type Reply<O> = oneshot::Sender<Result<O, BrandError>>;

/// What writes a batch: one outcome per item, in order, or an error for the whole batch.
pub type Write<T, O> = Arc<
    dyn Fn(Vec<T>) -> Pin<Box<dyn Future<Output = Result<Vec<Result<O, BrandError>>, BrandError>> + Send>>
        + Send
        + Sync,
>;

/// A queue of items waiting to be written.
pub struct Batcher<T, O> {
    queue: mpsc::Sender<(T, Reply<O>)>,
}

impl<T, O> std::fmt::Debug for Batcher<T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Batcher")
    }
}

impl<T: Clone + Send + 'static, O: Send + 'static> Batcher<T, O> {
    /// Starts the task that writes what is queued with `write`, at most `max_batch` items per
    /// transaction and `parallel` transactions at once; `sizes` hears each batch's size.
    pub fn start(
        write: Write<T, O>,
        max_batch: usize,
        parallel: usize,
        sizes: impl Fn(usize) + Send + 'static,
    ) -> Batcher<T, O> {
        let (queue, mut receiver) = mpsc::channel::<(T, Reply<O>)>(max_batch * 4);
        let slots = Arc::new(Semaphore::new(parallel));
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                // Wait for a free transaction slot first: what arrives meanwhile joins this batch.
                let Ok(slot) = Arc::clone(&slots).acquire_owned().await else { return };
                let mut jobs = vec![first];
                while jobs.len() < max_batch {
                    match receiver.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                sizes(jobs.len());
                let write = Arc::clone(&write);
                tokio::spawn(async move {
                    write_batch(&write, jobs).await;
                    drop(slot);
                });
            }
        });
        Batcher { queue }
    }

    /// Writes `item` with whatever else is waiting, and says what became of it.
    pub async fn submit(&self, item: T) -> Result<O, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((item, reply)).await.map_err(|_| ApiError::Stopping)?;
        Ok(answer.await.map_err(|_| ApiError::Stopping)??)
    }
}

async fn write_batch<T: Clone, O>(write: &Write<T, O>, jobs: Vec<(T, Reply<O>)>) {
    let items: Vec<T> = jobs.iter().map(|(item, _)| item.clone()).collect();
    match write(items).await {
        Ok(outcomes) => {
            for ((_, reply), outcome) in jobs.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
        }
        Err(e) if jobs.len() == 1 => {
            if let Some((_, reply)) = jobs.into_iter().next() {
                let _ = reply.send(Err(e));
            }
        }
        Err(_) => {
            for (item, reply) in jobs {
                let outcome = match write(vec![item]).await {
                    Ok(mut outcomes) => outcomes.pop().unwrap_or_else(|| unreachable!("one outcome per item")),
                    Err(e) => Err(e),
                };
                let _ = reply.send(outcome);
            }
        }
    }
}
