//! Group commit: the postings callers submit concurrently are collected and
//! stored a batch at a time, one database transaction (and one commit) per
//! batch, each caller answered with its own posting's outcome after the
//! commit that holds it.
//!
//! A few worker threads share one queue. A free worker takes the first posting
//! waiting, then every other one already waiting (up to `max_batch`), waits up
//! to `linger` for more if the batch is still small, and stores the batch with
//! [`posting::apply`]. While a batch commits, the next one gathers, so batches
//! grow with the load on their own: under light load a posting goes alone and
//! waits for nothing.
//!
//! If the database fails the batch as a whole (it cannot happen for a refused
//! posting, which is answered on its own inside the batch), each posting of it
//! is tried again alone, so one posting's trouble (e.g. an `external_id` that
//! a concurrent batch committed first) is never another's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::pg::PgConnection;
use ledger_domain::{LedgerError, Transaction};

use crate::PgPool;
use crate::error::TxError;
use crate::posting::{self, Posting};

/// How postings are grouped.
#[derive(Debug, Clone, Copy)]
pub struct PipelineConfig {
    /// Threads storing batches, each on its own connection while it does.
    pub workers: usize,
    /// Most postings in one batch.
    pub max_batch: usize,
    /// How long a batch smaller than `max_batch` waits for more postings.
    pub linger: Duration,
}

impl Default for PipelineConfig {
    /// One worker per core: PostgreSQL is the bottleneck, and fewer workers
    /// make larger batches (measured on 2 cores: 2 workers carry 1.5× the
    /// transfers of 4 at 64 clients).
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8)),
            max_batch: 256,
            linger: Duration::ZERO,
        }
    }
}

/// What the pipeline has done, for `/metrics`.
#[derive(Debug, Default)]
pub struct PipelineStats {
    pub batches: AtomicU64,
    pub postings: AtomicU64,
    /// Batches the database failed as a whole, whose postings were retried alone.
    pub split_batches: AtomicU64,
    /// Deadlocks and serialization failures retried (none expected: writes lock in one order).
    pub retries: AtomicU64,
}

impl PipelineStats {
    /// Each counter with a metric name and what it counts.
    pub fn counters(&self) -> [(&'static str, &'static str, u64); 4] {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            (
                "wallet_ledger_posting_batches_total",
                "Batches of postings committed (group commit).",
                read(&self.batches),
            ),
            (
                "wallet_ledger_postings_total",
                "Postings submitted to the pipeline (stored or refused).",
                read(&self.postings),
            ),
            (
                "wallet_ledger_posting_batches_split_total",
                "Batches the database failed as a whole, whose postings were retried one by one.",
                read(&self.split_batches),
            ),
            (
                "wallet_ledger_posting_retries_total",
                "Batches retried after a deadlock or serialization failure (none expected).",
                read(&self.retries),
            ),
        ]
    }
}

struct Job {
    posting: Posting,
    reply: SyncSender<Result<Transaction, LedgerError>>,
}

pub(crate) struct Pipeline {
    pool: PgPool,
    config: PipelineConfig,
    stats: Arc<PipelineStats>,
    queue: OnceLock<Sender<Job>>,
}

impl Pipeline {
    pub(crate) fn new(pool: PgPool, config: PipelineConfig) -> Self {
        Self {
            pool,
            config,
            stats: Arc::default(),
            queue: OnceLock::new(),
        }
    }

    pub(crate) fn stats(&self) -> &PipelineStats {
        &self.stats
    }

    /// Stores one posting with whatever else is submitted meanwhile; returns
    /// after the commit that holds it (or with its refusal).
    pub(crate) fn submit(&self, posting: Posting) -> Result<Transaction, LedgerError> {
        let queue = self.queue.get_or_init(|| self.start());
        let (reply, answer) = mpsc::sync_channel(1);
        queue
            .send(Job { posting, reply })
            .map_err(|_| LedgerError::Unknown(anyhow::anyhow!("the posting pipeline has stopped")))?;
        answer
            .recv()
            .map_err(|_| LedgerError::Unknown(anyhow::anyhow!("the posting pipeline dropped a posting")))?
    }

    /// Starts the workers; they stop when the pipeline (its queue's sender) is dropped.
    fn start(&self) -> Sender<Job> {
        let (sender, receiver) = mpsc::channel();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..self.config.workers.max(1) {
            let (pool, receiver, stats, config) =
                (self.pool.clone(), receiver.clone(), self.stats.clone(), self.config);
            let started = std::thread::Builder::new()
                .name(format!("posting-{i}"))
                .spawn(move || work(&pool, &receiver, &stats, config));
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start a posting worker");
            }
        }
        sender
    }
}

/// The next batch: the first job waiting (blocking), then what else is there.
fn gather(receiver: &Mutex<Receiver<Job>>, config: PipelineConfig) -> Option<Vec<Job>> {
    let queue = receiver.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let first = queue.recv().ok()?;
    let mut batch = vec![first];
    let deadline = Instant::now() + config.linger;
    while batch.len() < config.max_batch.max(1) {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match queue.recv_timeout(left) {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
    }
    Some(batch)
}

fn work(pool: &PgPool, receiver: &Mutex<Receiver<Job>>, stats: &PipelineStats, config: PipelineConfig) {
    while let Some(batch) = gather(receiver, config) {
        let (postings, replies): (Vec<Posting>, Vec<_>) = batch.into_iter().map(|j| (j.posting, j.reply)).unzip();
        let answers = match pool.get() {
            Ok(mut conn) => store(&mut conn, &postings, stats),
            Err(e) => postings
                .iter()
                .map(|_| {
                    Err(LedgerError::Unavailable(format!(
                        "no database connection available: {e}"
                    )))
                })
                .collect(),
        };
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats
            .postings
            .fetch_add(u64::try_from(postings.len()).unwrap_or(u64::MAX), Ordering::Relaxed);
        for (reply, answer) in replies.into_iter().zip(answers) {
            // a caller that gave up is not waiting: nothing to tell
            let _ = reply.send(answer);
        }
    }
}

/// One batch in one database transaction; split into postings alone if the
/// database fails it as a whole.
pub(crate) fn store(
    conn: &mut PgConnection,
    postings: &[Posting],
    stats: &PipelineStats,
) -> Vec<Result<Transaction, LedgerError>> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match conn.transaction(|c| posting::apply(c, postings)) {
            Ok(answers) => return answers,
            Err(e) if posting::is_retryable(&e) && attempt < 5 => {
                stats.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(attempt, batch = postings.len(), error = ?e, "posting batch retried");
            }
            Err(e) => {
                let [one] = postings else {
                    stats.split_batches.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(batch = postings.len(), error = ?e, "posting batch split");
                    return postings
                        .iter()
                        .flat_map(|p| store(conn, std::slice::from_ref(p), stats))
                        .collect();
                };
                return vec![Err(posting::domain_error(e, &one.transaction))];
            }
        }
    }
}

/// [`store`] for callers already inside a database transaction (a reversal,
/// a partial post): their postings are applied as one batch; the first
/// refusal fails the caller's transaction.
pub(crate) fn store_within(conn: &mut PgConnection, postings: &[Posting]) -> Result<Vec<Transaction>, TxError> {
    posting::apply(conn, postings)?
        .into_iter()
        .map(|answer| answer.map_err(TxError::Domain))
        .collect()
}
