//! Group commit: operations that arrive while a transaction is being written
//! wait for it, then run together in the next one — each in a savepoint of
//! its own, so a refused or failed operation rolls back alone — and share one
//! commit (one fsync). Each caller is answered only after that commit.
//!
//! ```text
//! callers ─▶ queue ─▶ drainer: BEGIN ─▶ SAVEPOINT a … RELEASE a ─▶ SAVEPOINT b … ─▶ COMMIT ─▶ answers
//! ```
//!
//! There is no background task while nothing is queued: the caller that
//! finds the queue idle spawns the drainer, which runs batches until the
//! queue is empty. Across instances the database's locks order the batches
//! as they order single transactions; a deadlock victim is answered as
//! contention and the pipeline runs it again in a later batch.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::FutureExt;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use tokio::sync::oneshot;

use super::tail::Tail;
use crate::audit::Heads;
use crate::service::error::{ServiceError, ServiceResult};
use crate::store::Db;

/// What a unit of work did, and whether its writes are to be kept.
pub struct Worked<T> {
    pub result: ServiceResult<T>,
    /// Commit (`true`) or roll back what the work wrote.
    pub keep: bool,
    /// What it moved of the totals and chain heads (kept with its writes).
    pub tail: Tail,
    /// Work to run afresh once these writes are rolled back (a refusal
    /// kept as an idempotent answer).
    pub afterwards: Option<Work<T>>,
}

impl<T> Worked<T> {
    /// Work that keeps nothing.
    pub fn dropped(result: ServiceResult<T>) -> Self {
        Worked {
            result,
            keep: false,
            tail: Tail::default(),
            afterwards: None,
        }
    }
}

/// A unit of work on a transaction (a savepoint, when grouped) that holds
/// the given chain heads already.
pub type Work<T> =
    Box<dyn for<'t> FnOnce(&'t DatabaseTransaction, Heads) -> BoxFuture<'t, Worked<T>> + Send>;

/// A queued unit of work, type-erased: it runs on the batch's transaction and
/// tail, then waits for the commit.
type Job =
    Box<dyn for<'t> FnOnce(&'t DatabaseTransaction, &'t mut Tail) -> BoxFuture<'t, Deliver> + Send>;

/// Answers a caller once its batch has committed (or failed to).
type Deliver = Box<dyn FnOnce(ServiceResult<()>) + Send>;

/// The write transactions of one database, grouped.
pub struct Group {
    db: Db,
    /// The most operations in one transaction.
    max_batch: usize,
    state: Mutex<Queue>,
    /// Batches written so far.
    batches: std::sync::atomic::AtomicU64,
    /// Wakes the writer thread, where there is one (SQLite).
    writer: Option<tokio::sync::mpsc::UnboundedSender<()>>,
    /// Each batch passes it; [`Group::pause`] closes it.
    gate: tokio::sync::RwLock<()>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    draining: bool,
}

impl Group {
    /// Groups the write transactions of `db`, at most `max_batch` at a time.
    pub fn new(db: Db, max_batch: usize) -> Arc<Self> {
        let sqlite = db.backend() == sea_orm::DbBackend::Sqlite;
        let (kick, kicks) = tokio::sync::mpsc::unbounded_channel();
        let group = Arc::new(Group {
            db,
            max_batch: max_batch.max(1),
            state: Mutex::new(Queue::default()),
            batches: Default::default(),
            writer: sqlite.then_some(kick),
            gate: tokio::sync::RwLock::new(()),
        });
        if sqlite {
            spawn_writer(Arc::downgrade(&group), kicks);
        }
        group
    }

    /// How many batches have been written (committed or not).
    pub fn batches(&self) -> u64 {
        self.batches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Holds every batch back until the guard is dropped; calls queue
    /// meanwhile and then share the next batch (so a test can put several
    /// calls in one batch without depending on timing).
    pub async fn pause(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.gate.write().await
    }

    /// How many calls wait for a batch.
    pub fn queued(&self) -> usize {
        self.state.lock().expect("group queue").jobs.len()
    }

    /// Runs `work` in the next batch and answers once it has committed.
    pub async fn run<T: Send + 'static>(self: &Arc<Self>, work: Work<T>) -> ServiceResult<T> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |txn, tail| {
            Box::pin(async move {
                let result = in_savepoint(txn, tail, work).await;
                Box::new(move |committed: ServiceResult<()>| {
                    let _ = answer.send(committed.and(result));
                }) as Deliver
            })
        });
        let start = {
            let mut queue = self.state.lock().expect("group queue");
            queue.jobs.push(job);
            !std::mem::replace(&mut queue.draining, true)
        };
        if start {
            match &self.writer {
                Some(writer) => {
                    let _ = writer.send(());
                }
                None => {
                    tokio::spawn(self.clone().drain());
                }
            }
        }
        // A batch that could not begin drops its jobs: the database is away.
        answered.await.unwrap_or_else(|_| {
            Err(ServiceError::Unavailable(
                "the batch could not be written".into(),
            ))
        })
    }

    /// Runs batches until the queue is empty.
    async fn drain(self: Arc<Self>) {
        loop {
            let _open = self.gate.read().await;
            let jobs: Vec<Job> = {
                let mut queue = self.state.lock().expect("group queue");
                if queue.jobs.is_empty() {
                    queue.draining = false;
                    return;
                }
                let n = queue.jobs.len().min(self.max_batch);
                queue.jobs.drain(..n).collect()
            };
            self.write(jobs).await;
        }
    }

    /// One batch: every job in its savepoint, the tail, one commit, then
    /// the answers.
    async fn write(&self, jobs: Vec<Job>) {
        let Ok(txn) = self.db.begin_write().await else {
            return; // dropping the jobs answers them as unavailable
        };
        let mut tail = Tail::default();
        let mut deliveries = Vec::with_capacity(jobs.len());
        for job in jobs {
            match AssertUnwindSafe(job(&txn, &mut tail)).catch_unwind().await {
                Ok(deliver) => deliveries.push(deliver),
                Err(_) => {
                    // A bug: what the batch wrote is in doubt; nothing of it stays.
                    tracing::error!("an operation panicked; its batch is rolled back");
                    let _ = txn.rollback().await;
                    let failed = Err(ServiceError::Internal("a batch was rolled back".into()));
                    for deliver in deliveries {
                        deliver(failed.clone());
                    }
                    return;
                }
            }
        }
        let committed = match tail.write(&txn).await {
            Ok(()) => txn.commit().await.map_err(ServiceError::from),
            Err(e) => {
                let _ = txn.rollback().await;
                Err(e)
            }
        };
        self.batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for deliver in deliveries {
            deliver(committed.clone());
        }
    }
}

/// SQLite's batches are written on a thread of their own, with a runtime of
/// its own: each statement is a round trip to the driver's worker thread,
/// and the writer answers each at once instead of queueing behind HTTP
/// work on the server's runtime (+15 % holds/s measured; see
/// docs/performance.md). The runtime keeps running between batches, so the
/// driver's own tasks spawned there (returning the connection to its pool)
/// always finish. The thread ends with its group. Not for PostgreSQL, whose
/// connections belong to the runtime that opened them.
fn spawn_writer(
    group: std::sync::Weak<Group>,
    mut kicks: tokio::sync::mpsc::UnboundedReceiver<()>,
) {
    std::thread::Builder::new()
        .name("vl-writer".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the writer's runtime");
            runtime.block_on(async move {
                while kicks.recv().await.is_some() {
                    let Some(group) = group.upgrade() else { return };
                    group.drain().await;
                }
            });
        })
        .expect("the writer thread");
}

/// Runs `work` in a savepoint of `txn`, kept (with its tail) or rolled back
/// as it says (and then its afterwards in another).
async fn in_savepoint<T>(
    txn: &DatabaseTransaction,
    tail: &mut Tail,
    mut work: Work<T>,
) -> ServiceResult<T> {
    loop {
        let savepoint = txn.begin().await?;
        let acted = work(&savepoint, tail.heads.clone()).await;
        if acted.keep {
            savepoint.commit().await?;
            tail.absorb(acted.tail);
            return acted.result;
        }
        savepoint.rollback().await?;
        match acted.afterwards {
            Some(next) => work = next,
            None => return acted.result,
        }
    }
}

/// Runs `work` alone in a transaction of its own (and its afterwards in
/// another).
pub async fn run_alone<T>(db: &Db, mut work: Work<T>) -> ServiceResult<T> {
    loop {
        let txn = db.begin_write().await?;
        let acted = work(&txn, Heads::new()).await;
        if acted.keep {
            acted.tail.write(&txn).await?;
            txn.commit().await?;
            return acted.result;
        }
        txn.rollback().await?;
        match acted.afterwards {
            Some(next) => work = next,
            None => return acted.result,
        }
    }
}
