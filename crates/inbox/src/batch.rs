//! Packets stored in groups: the packets that arrive while a transaction commits are stored
//! together in the next one — one transaction and one flush to disk for all of them — and each
//! request is answered once its own packet is committed (or refused). Under load this is what
//! keeps the HTTP import close to the in-process rate; alone, a packet waits for nobody.
//!
//! A batch that fails as a whole (a database error) is retried packet by packet, so one
//! packet never makes another fail.

use std::sync::Arc;

use tessera_brand::import::{CheckedPacket, ImportOutcome};
use tessera_brand::{BrandError, Store};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::error::ApiError;
use crate::metrics::Metrics;

type Reply = oneshot::Sender<Result<ImportOutcome, BrandError>>;

/// The queue of packets waiting to be stored.
#[derive(Debug, Clone)]
pub struct Batcher {
    queue: mpsc::Sender<(CheckedPacket, Reply)>,
}

impl Batcher {
    /// Starts the task that stores what is queued, at most `max_batch` packets per
    /// transaction and `parallel` transactions at once.
    pub fn start(store: Arc<Store>, metrics: Arc<Metrics>, max_batch: usize, parallel: usize) -> Batcher {
        let (queue, mut receiver) = mpsc::channel::<(CheckedPacket, Reply)>(max_batch * 4);
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
                let store = Arc::clone(&store);
                metrics.batch(jobs.len());
                tokio::spawn(async move {
                    store_batch(&store, jobs).await;
                    drop(slot);
                });
            }
        });
        Batcher { queue }
    }

    /// Stores `packet` with whatever else is waiting, and says what became of it.
    pub async fn store(&self, packet: CheckedPacket) -> Result<ImportOutcome, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((packet, reply)).await.map_err(|_| ApiError::Stopping)?;
        Ok(answer.await.map_err(|_| ApiError::Stopping)??)
    }
}

async fn store_batch(store: &Store, jobs: Vec<(CheckedPacket, Reply)>) {
    let packets: Vec<CheckedPacket> = jobs.iter().map(|(p, _)| p.clone()).collect();
    match store.store_packets(packets).await {
        Ok(outcomes) => {
            for ((_, reply), outcome) in jobs.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
        }
        Err(e) if jobs.len() == 1 => {
            let (_, reply) = jobs.into_iter().next().unwrap_or_else(|| unreachable!("one job"));
            let _ = reply.send(Err(e));
        }
        Err(_) => {
            for (packet, reply) in jobs {
                let outcome = match store.store_packets(vec![packet]).await {
                    Ok(mut outcomes) => outcomes.pop().unwrap_or_else(|| unreachable!("one outcome per packet")),
                    Err(e) => Err(e),
                };
                let _ = reply.send(outcome);
            }
        }
    }
}
