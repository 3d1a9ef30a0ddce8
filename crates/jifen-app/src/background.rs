//! Loops the server runs beside its requests (the minute's jobs, the webhook rounds). Each
//! round runs on a blocking thread; a round that fails or panics is logged with its cause and
//! counted, and the loop goes on with the next round.

use std::time::{Duration, Instant};

/// The text of a panic's payload, whatever it was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
    }
}

/// Runs `round` every `period` for as long as the task lives (abort the task to stop it).
/// `name` labels the logs and the metrics `jifen_background_rounds_total`,
/// `jifen_background_round_seconds` and `jifen_panics_total{where=name}`.
pub async fn every<F, E>(name: &'static str, period: Duration, round: F)
where
    F: Fn() -> Result<(), E> + Send + Sync + Clone + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut number: u64 = 0;
    loop {
        tick.tick().await;
        number += 1;
        let span = tracing::info_span!("background", task = name, round = number);
        let f = round.clone();
        let started = Instant::now();
        let result = {
            let span = span.clone();
            tokio::task::spawn_blocking(move || span.in_scope(f)).await
        };
        let outcome = match result {
            Ok(Ok(())) => "ok",
            Ok(Err(e)) => {
                span.in_scope(|| tracing::error!(error = %e, "the round failed; the next one runs as planned"));
                "failed"
            }
            Err(join) => {
                let message = if join.is_panic() {
                    panic_message(join.into_panic().as_ref())
                } else {
                    "the round was cancelled".into()
                };
                span.in_scope(|| tracing::error!(panic = %message, "the round panicked; the next one runs as planned"));
                metrics::counter!("jifen_panics_total", "where" => name).increment(1);
                "panicked"
            }
        };
        metrics::counter!("jifen_background_rounds_total", "task" => name, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("jifen_background_round_seconds", "task" => name)
            .record(started.elapsed().as_secs_f64());
    }
}
