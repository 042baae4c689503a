//! Writes in groups: the packets (or revocations) that arrive while a transaction commits are
//! written together in the next one — one transaction and one flush to disk for all of them —
//! and each request is answered once its own write is committed (or refused). Under load this
//! is what keeps the HTTP import close to the in-process rate; alone, a write waits for nobody.
//!
//! Before a batch closes, the requests ready to run are let through first (the batcher yields
//! to them), for at most the batch's window: on a busy core, where checking a packet takes as
//! much CPU as a commit, a commit would otherwise take the two or three packets checked while
//! the last one was flushed, and the server would spend as much time committing as checking.
//! A batch stops gathering as soon as a round adds nothing: alone, a write waits for nobody.
//!
//! A batch that fails as a whole (a database error) is retried item by item, so that one item
//! never makes another fail.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

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
    /// transaction and `parallel` transactions at once, a batch gathering for at most `window`
    /// while requests ready to run add to it; `sizes` hears each batch's size.
    pub fn start(
        write: Write<T, O>,
        max_batch: usize,
        parallel: usize,
        window: Duration,
        sizes: impl Fn(usize) + Send + 'static,
    ) -> Batcher<T, O> {
        let (queue, mut receiver) = mpsc::channel::<(T, Reply<O>)>(max_batch * 4);
        let slots = Arc::new(Semaphore::new(parallel));
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                // Wait for a free transaction slot first: what arrives meanwhile joins this batch.
                let Ok(slot) = Arc::clone(&slots).acquire_owned().await else { return };
                let closes = tokio::time::Instant::now() + window;
                let mut jobs = vec![first];
                loop {
                    while jobs.len() < max_batch {
                        match receiver.try_recv() {
                            Ok(job) => jobs.push(job),
                            Err(_) => break,
                        }
                    }
                    if jobs.len() >= max_batch || tokio::time::Instant::now() >= closes {
                        break;
                    }
                    // Let the requests ready to run (bodies read, packets being checked) go
                    // first; stop as soon as a round brings nothing.
                    tokio::task::yield_now().await;
                    if receiver.is_empty() {
                        break;
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use super::*;

    /// The size of each batch written, in order.
    type Sizes = Arc<Mutex<Vec<usize>>>;

    /// A batcher whose write takes `commit` (a flush to disk) and records each batch's size.
    fn recording_batcher(window: Duration, commit: Duration) -> (Arc<Batcher<u32, u32>>, Sizes) {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let heard = Arc::clone(&sizes);
        let write: Write<u32, u32> = Arc::new(move |items: Vec<u32>| {
            Box::pin(async move {
                tokio::time::sleep(commit).await;
                Ok(items.into_iter().map(Ok).collect())
            })
        });
        let batcher = Batcher::start(write, 256, 1, window, move |size| heard.lock().unwrap().push(size));
        (Arc::new(batcher), sizes)
    }

    fn one_core() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn a_write_alone_waits_for_nobody() {
        one_core().block_on(async {
            let (batcher, sizes) = recording_batcher(Duration::from_secs(3600), Duration::ZERO);
            let started = Instant::now();
            assert_eq!(batcher.submit(7).await.unwrap(), 7);
            assert!(started.elapsed() < Duration::from_secs(60), "it did not wait for the window");
            assert_eq!(*sizes.lock().unwrap(), vec![1]);
        });
    }

    #[test]
    fn on_a_busy_core_the_packets_being_checked_are_committed_together() {
        // 16 clients, each sending 10 packets one after the other; checking a packet keeps the
        // one core busy for 300 µs, a commit flushes for 1 ms. Taking only what was checked
        // during the last flush would commit a few at a time.
        const CLIENTS: u32 = 16;
        const EACH: u32 = 10;
        let sizes = one_core().block_on(async {
            let (batcher, sizes) = recording_batcher(Duration::from_millis(200), Duration::from_millis(1));
            let mut clients = Vec::new();
            for client in 0..CLIENTS {
                let batcher = Arc::clone(&batcher);
                clients.push(tokio::spawn(async move {
                    for i in 0..EACH {
                        // The packet comes in over the network (the timer, like a socket, is
                        // seen by the runtime only between rounds of tasks), then is checked.
                        tokio::time::sleep(Duration::from_micros(200)).await;
                        std::thread::sleep(Duration::from_micros(300));
                        let item = client * EACH + i;
                        assert_eq!(batcher.submit(item).await.unwrap(), item);
                    }
                }));
            }
            for client in clients {
                client.await.unwrap();
            }
            let sizes = sizes.lock().unwrap().clone();
            sizes
        });
        assert_eq!(sizes.iter().sum::<usize>(), (CLIENTS * EACH) as usize);
        // Each packet waits for the others being checked: (nearly) every batch holds most of

        let small = sizes.iter().filter(|size| **size < CLIENTS as usize / 2).count();
        assert!(small <= 2, "batch sizes {sizes:?}");
    }
}
