//! Writer threads and group commit.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use jifen_ledger::Millis;
use jifen_store::{Backend, IdemRecord, SqlConn, StoreError, Tx};
use tokio::sync::oneshot;

use crate::{AppError, Clock, ProgramCtx};

/// Commands one transaction may carry. Large enough that a writer under load commits a few
/// hundred commands per fsync; small enough that one batch stays well under a p99 budget.
pub const BATCH_MAX: usize = 512;
/// Commands waiting per writer before callers are told to back off (HTTP 503).
const QUEUE_DEPTH: usize = 32_768;
/// A command that hits a deadlock or serialization failure is retried this many times.
const CONFLICT_RETRIES: u32 = 8;

pub type CommandFn =
    Box<dyn FnMut(&mut Tx<'_>, &ProgramCtx, Millis) -> Result<serde_json::Value, AppError> + Send>;
type AdminFn = Box<dyn FnOnce(&mut Tx<'_>, Millis) -> Result<Box<dyn Any + Send>, AppError> + Send>;

/// A committed command's answer.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub body: serde_json::Value,
    /// True when this is the stored answer to an earlier request with the same key.
    pub replayed: bool,
}

/// A typed answer to a write (`App::write_view`).
#[derive(Debug, Clone)]
pub struct Written<T> {
    pub view: T,
    /// True when this is the stored answer to an earlier request with the same key.
    pub replayed: bool,
}

impl<T: serde::de::DeserializeOwned> Written<T> {
    /// Reads the view back from a write's JSON answer.
    pub fn from_outcome(out: Outcome) -> Result<Written<T>, AppError> {
        Ok(Written {
            view: serde_json::from_value(out.body).map_err(|e| {
                AppError::Internal(format!("a stored answer does not read back: {e}"))
            })?,
            replayed: out.replayed,
        })
    }
}

struct Command {
    ctx: Arc<ProgramCtx>,
    idem: Option<(String, String)>,
    run: CommandFn,
    reply: oneshot::Sender<Result<Outcome, AppError>>,
}

enum Job {
    Command(Command),
    /// Finish what was queued before, then stop.
    Stop,
    Admin(
        AdminFn,
        oneshot::Sender<Result<Box<dyn Any + Send>, AppError>>,
    ),
}

pub(crate) struct Writers {
    queues: Vec<SyncSender<Job>>,
    /// Jobs waiting per writer, for the queue-depth gauge.
    depths: Vec<Arc<AtomicI64>>,
    pub(crate) stats: Arc<WriterStats>,
    /// Set once shutdown began: new work is refused as `Unavailable`.
    closed: AtomicBool,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

/// Counters of what the writers did, for benchmarks and diagnostics.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub commands: AtomicU64,
    /// Time spent executing commands, in microseconds (excluding COMMIT).
    pub execute_micros: AtomicU64,
    /// Time spent in COMMIT (including the fsync), in microseconds.
    pub commit_micros: AtomicU64,
}

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

impl Writers {
    pub(crate) fn start(
        backend: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
    ) -> Result<Writers, AppError> {
        let mut queues = Vec::new();
        let mut depths = Vec::new();
        let mut threads = Vec::new();
        let stats = Arc::new(WriterStats::default());
        for i in 0..backend.writers() {
            let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE_DEPTH);
            let conn = backend.connect_writer()?;
            let syncer = backend.deferred_sync().map(start_syncer).transpose()?;
            let backend = backend.clone();
            let clock = clock.clone();
            let stats = stats.clone();
            let depth = Arc::new(AtomicI64::new(0));
            let loop_depth = depth.clone();
            let thread = std::thread::Builder::new()
                .name(format!("jifen-writer-{i}"))
                .spawn(move || {
                    WriterLoop {
                        backend,
                        clock,
                        conn,
                        stats,
                        syncer,
                        depth: loop_depth,
                        writer: i,
                    }
                    .run(rx)
                })
                .map_err(|e| AppError::Internal(format!("cannot start writer: {e}")))?;
            queues.push(tx);
            depths.push(depth);
            threads.push(thread);
        }
        Ok(Writers {
            queues,
            depths,
            stats,
            closed: AtomicBool::new(false),
            threads: Mutex::new(threads),
        })
    }

    /// Refuses new work, lets every writer finish the commands queued before (the batch in
    /// flight commits and its callers are answered), and waits for them to stop.
    pub(crate) fn shutdown(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        for q in &self.queues {
            // Blocks while the queue is full: the writer is draining it.
            let _ = q.send(Job::Stop);
        }
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for t in threads {
            if t.join().is_err() {
                tracing::error!("a writer thread panicked while stopping");
            }
        }
    }

    fn enqueue(&self, partition: &str, job: Job) -> Result<(), AppError> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(AppError::Unavailable);
        }
        let i = (fnv1a(partition) % self.queues.len() as u64) as usize;
        match self.queues[i].try_send(job) {
            Ok(()) => {
                self.depths[i].fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(TrySendError::Full(_)) => Err(AppError::Unavailable),
            Err(TrySendError::Disconnected(_)) => Err(AppError::Unavailable),
        }
    }

    /// Queues a command; the receiver yields its answer once it is committed and durable.
    fn enqueue_command(
        &self,
        ctx: Arc<ProgramCtx>,
        partition: &str,
        idem: Option<(String, String)>,
        run: CommandFn,
    ) -> Result<oneshot::Receiver<Result<Outcome, AppError>>, AppError> {
        let (reply, rx) = oneshot::channel();
        self.enqueue(
            partition,
            Job::Command(Command {
                ctx,
                idem,
                run,
                reply,
            }),
        )?;
        Ok(rx)
    }

    pub(crate) async fn submit(
        &self,
        ctx: Arc<ProgramCtx>,
        partition: &str,
        idem: Option<(String, String)>,
        run: CommandFn,
    ) -> Result<Outcome, AppError> {
        let rx = self.enqueue_command(ctx, partition, idem, run)?;
        rx.await.map_err(|_| AppError::Unavailable)?
    }

    pub(crate) fn submit_blocking(
        &self,
        ctx: Arc<ProgramCtx>,
        partition: &str,
        idem: Option<(String, String)>,
        run: CommandFn,
    ) -> Result<Outcome, AppError> {
        let rx = self.enqueue_command(ctx, partition, idem, run)?;
        rx.blocking_recv().map_err(|_| AppError::Unavailable)?
    }

    pub(crate) fn run_admin<T: Send + 'static>(
        &self,
        f: Box<dyn FnOnce(&mut Tx<'_>, Millis) -> Result<T, AppError> + Send>,
    ) -> Result<T, AppError> {
        let (reply, rx) = oneshot::channel();
        let job: AdminFn =
            Box::new(move |tx, now| f(tx, now).map(|v| Box::new(v) as Box<dyn Any + Send>));
        self.queues[0]
            .send(Job::Admin(job, reply))
            .map_err(|_| AppError::Unavailable)?;
        let any = rx.blocking_recv().map_err(|_| AppError::Unavailable)??;
        Ok(*any.downcast::<T>().expect("admin job returns its own type"))
    }
}

struct WriterLoop {
    backend: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
    conn: Box<dyn SqlConn>,
    stats: Arc<WriterStats>,
    /// Where committed answers wait for the disk, when the backend defers its sync.
    syncer: Option<(
        std::sync::mpsc::Sender<Vec<Delivery>>,
        std::thread::JoinHandle<()>,
    )>,
    /// Jobs waiting in this writer's queue.
    depth: Arc<AtomicI64>,
    writer: usize,
}

/// Numbers the batches of every writer, for the logs.
static BATCH_IDS: AtomicU64 = AtomicU64::new(1);

type Delivery = (
    oneshot::Sender<Result<Outcome, AppError>>,
    Result<Outcome, AppError>,
);

/// Starts the thread that makes commits durable and only then answers their callers. It takes
/// every group waiting, syncs once, and answers them all: while it syncs, the writer executes
/// and commits the next batch.
fn start_syncer(
    sync: Arc<dyn Fn() -> Result<(), StoreError> + Send + Sync>,
) -> Result<
    (
        std::sync::mpsc::Sender<Vec<Delivery>>,
        std::thread::JoinHandle<()>,
    ),
    AppError,
> {
    let (tx, rx) = std::sync::mpsc::channel::<Vec<Delivery>>();
    let thread = std::thread::Builder::new()
        .name("jifen-syncer".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut groups = vec![first];
                while let Ok(more) = rx.try_recv() {
                    groups.push(more);
                }
                let synced = sync();
                if let Err(e) = &synced {
                    tracing::error!(error = %e, "the sync after a commit failed; its callers are told");
                }
                for (reply, result) in groups.into_iter().flatten() {
                    let result = match (&synced, result) {
                        (Err(e), Ok(_)) => Err(AppError::Store(e.clone())),
                        (_, r) => r,
                    };
                    let _ = reply.send(result);
                }
            }
        })
        .map_err(|e| AppError::Internal(format!("cannot start the syncer: {e}")))?;
    Ok((tx, thread))
}

/// Runs one command inside an open transaction. The outer error aborts the transaction; the
/// inner result is the command's own answer.
fn run_one(
    tx: &mut Tx<'_>,
    cmd: &mut Command,
    now: Millis,
    in_batch: bool,
) -> Result<Result<Outcome, AppError>, StoreError> {
    let program = cmd.ctx.program.id;
    if let Some((key, hash)) = &cmd.idem
        && let Some(rec) = tx.idem_get(program, key)?
    {
        if &rec.request_hash != hash {
            return Ok(Err(AppError::IdempotencyMismatch));
        }
        let body = serde_json::from_str(&rec.response)
            .map_err(|e| StoreError::Corrupt(format!("idempotency record: {e}")))?;
        return Ok(Ok(Outcome {
            body,
            replayed: true,
        }));
    }
    let writes_before = tx.writes();
    let result = (cmd.run)(tx, &cmd.ctx, now);
    if let Err(e) = &result
        && in_batch
        && !matches!(e, AppError::Store(_))
        && tx.writes() != writes_before
    {
        // A command must decide before it writes. One that wrote and then refused would leave
        // half its work in the batch: abort the batch; re-run alone, its refusal rolls back
        // (`run_alone` rolls back every refused command).
        return Err(StoreError::Db(format!(
            "a command wrote before refusing ({e}); its batch is re-run"
        )));
    }
    match result {
        Ok(body) => {
            if let Some((key, hash)) = &cmd.idem {
                let rec = IdemRecord {
                    request_hash: hash.clone(),
                    status: 200,
                    response: body.to_string(),
                };
                tx.idem_put(program, key, &rec, now)?;
            }
            Ok(Ok(Outcome {
                body,
                replayed: false,
            }))
        }
        Err(AppError::Store(e)) => Err(e),
        Err(e @ AppError::Conflict { .. }) => {
            // Another node may have committed the same request while this one waited on its
            // row lock (PostgreSQL): the conflict is then that request's own effect, and the
            // right answer is its stored result.
            if let Some((key, hash)) = &cmd.idem
                && let Some(rec) = tx.idem_get(program, key)?
                && &rec.request_hash == hash
            {
                let body = serde_json::from_str(&rec.response)
                    .map_err(|e| StoreError::Corrupt(format!("idempotency record: {e}")))?;
                return Ok(Ok(Outcome {
                    body,
                    replayed: true,
                }));
            }
            Ok(Err(e))
        }
        Err(e) => Ok(Err(e)),
    }
}

impl WriterLoop {
    fn run(mut self, rx: Receiver<Job>) {
        let mut stopping = false;
        while !stopping && let Ok(first) = rx.recv() {
            let mut batch = Vec::new();
            let mut next = Some(first);
            while let Some(job) = next.take() {
                let waiting = self.depth.fetch_sub(1, Ordering::Relaxed) - 1;
                metrics::gauge!("jifen_writer_queue_depth", "writer" => self.writer.to_string())
                    .set(waiting.max(0) as f64);
                match job {
                    Job::Stop => {
                        // Undo the decrement: Stop was never counted in.
                        self.depth.fetch_add(1, Ordering::Relaxed);
                        stopping = true;
                        break;
                    }
                    Job::Admin(f, reply) => {
                        // Admin jobs run alone, after the commands queued before them.
                        self.process(std::mem::take(&mut batch));
                        let result = self.admin(f).and_then(|v| self.sync_now().map(|_| v));
                        let _ = reply.send(result);
                    }
                    Job::Command(c) => batch.push(c),
                }
                if batch.len() < BATCH_MAX {
                    next = rx.try_recv().ok();
                }
            }
            self.process(batch);
        }
        // Answered callers wait on the syncer: let it finish before the writer is gone.
        if let Some((tx, thread)) = self.syncer.take() {
            drop(tx);
            let _ = thread.join();
        }
    }

    fn admin(&mut self, f: AdminFn) -> Result<Box<dyn Any + Send>, AppError> {
        let now = self.clock.now();
        let result = {
            let mut tx = Tx::begin(self.conn.as_mut())?;
            match f(&mut tx, now) {
                Ok(v) => tx.commit().map(|_| v).map_err(AppError::from),
                Err(e) => {
                    let _ = tx.rollback();
                    Err(e)
                }
            }
        };
        if matches!(result, Err(AppError::Store(_))) {
            self.reconnect();
        }
        result
    }

    fn reconnect(&mut self) {
        if let Ok(c) = self.backend.connect_writer() {
            self.conn = c;
        }
    }

    /// Answers callers once their commits are durable.
    fn deliver(&mut self, deliveries: Vec<Delivery>) {
        match &self.syncer {
            Some((syncer, _)) => {
                if let Err(e) = syncer.send(deliveries) {
                    for (reply, _) in e.0 {
                        let _ = reply.send(Err(AppError::Unavailable));
                    }
                }
            }
            None => {
                for (reply, r) in deliveries {
                    let _ = reply.send(r);
                }
            }
        }
    }

    /// Makes every commit so far durable, for the rare paths that answer directly.
    fn sync_now(&self) -> Result<(), AppError> {
        match self.backend.deferred_sync() {
            Some(sync) => Ok(sync()?),
            None => Ok(()),
        }
    }

    fn process(&mut self, batch: Vec<Command>) {
        if batch.is_empty() {
            return;
        }
        let span = tracing::debug_span!(
            "batch",
            id = BATCH_IDS.fetch_add(1, Ordering::Relaxed),
            writer = self.writer,
            size = batch.len()
        );
        let _entered = span.enter();
        self.process_in_span(batch);
    }

    fn process_in_span(&mut self, mut batch: Vec<Command>) {
        let now = self.clock.now();
        match self.run_batch(&mut batch, now) {
            Ok(results) => {
                let deliveries = batch
                    .into_iter()
                    .zip(results)
                    .map(|(cmd, r)| (cmd.reply, r))
                    .collect();
                self.deliver(deliveries);
            }
            Err(e) => {
                // The database refused the batch as a whole; run each command alone so that one
                // command's failure is only its own.
                tracing::warn!(error = %e, "the batch failed as a whole; its commands run alone");
                metrics::counter!("jifen_writer_batches_failed_total").increment(1);
                self.reconnect();
                let mut deliveries = Vec::new();
                for mut cmd in batch {
                    let r = self.run_alone(&mut cmd);
                    deliveries.push((cmd.reply, r));
                }
                self.deliver(deliveries);
            }
        }
        if let Err(e) = self.conn.between_batches() {
            tracing::warn!(error = %e, "the store's upkeep between batches failed; tried again after the next batch");
        }
    }

    fn run_batch(
        &mut self,
        batch: &mut [Command],
        now: Millis,
    ) -> Result<Vec<Result<Outcome, AppError>>, StoreError> {
        let started = Instant::now();
        let mut tx = Tx::begin(self.conn.as_mut())?;
        let mut results = Vec::with_capacity(batch.len());
        for cmd in batch.iter_mut() {
            // A panic (a broken invariant assertion) must not take the writer down: the batch is
            // rolled back and every command re-run alone, where the culprit gets an error.
            match std::panic::catch_unwind(AssertUnwindSafe(|| run_one(&mut tx, cmd, now, true))) {
                Ok(r) => results.push(r?),
                Err(panic) => {
                    let message = crate::panic_message(panic.as_ref());
                    tracing::error!(panic = %message, "a command panicked; its batch is rolled back and re-run command by command");
                    metrics::counter!("jifen_panics_total", "where" => "writer").increment(1);
                    return Err(StoreError::Db(
                        "a command panicked; batch rolled back".into(),
                    ));
                }
            }
        }
        let executed = Instant::now();
        tx.commit()?;
        let s = &self.stats;
        s.batches.fetch_add(1, Ordering::Relaxed);
        s.commands.fetch_add(batch.len() as u64, Ordering::Relaxed);
        s.execute_micros
            .fetch_add((executed - started).as_micros() as u64, Ordering::Relaxed);
        let committed = executed.elapsed();
        s.commit_micros
            .fetch_add(committed.as_micros() as u64, Ordering::Relaxed);
        metrics::counter!("jifen_writer_batches_total").increment(1);
        metrics::counter!("jifen_writer_commands_total").increment(batch.len() as u64);
        metrics::histogram!("jifen_writer_batch_size").record(batch.len() as f64);
        metrics::histogram!("jifen_writer_execute_seconds")
            .record((executed - started).as_secs_f64());
        metrics::histogram!("jifen_writer_commit_seconds").record(committed.as_secs_f64());
        Ok(results)
    }

    fn run_alone(&mut self, cmd: &mut Command) -> Result<Outcome, AppError> {
        let mut attempt = 0;
        loop {
            let now = self.clock.now();
            let conn = self.conn.as_mut();
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let mut tx = Tx::begin(conn)?;
                let r = run_one(&mut tx, cmd, now, false)?;
                if r.is_ok() {
                    tx.commit()?;
                } else {
                    tx.rollback()?;
                }
                Ok::<_, StoreError>(r)
            }));
            let result = match result {
                Ok(r) => r,
                Err(panic) => {
                    let message = crate::panic_message(panic.as_ref());
                    tracing::error!(panic = %message, "a command panicked and was rolled back");
                    metrics::counter!("jifen_panics_total", "where" => "writer").increment(1);
                    self.reconnect();
                    return Err(AppError::Internal(
                        "the command failed unexpectedly and changed nothing".into(),
                    ));
                }
            };
            match result {
                Ok(r) => return r,
                Err(StoreError::Conflict(_)) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(2u64 << attempt.min(6)));
                }
                Err(e) => {
                    self.reconnect();
                    return Err(AppError::Store(e));
                }
            }
        }
    }
}
