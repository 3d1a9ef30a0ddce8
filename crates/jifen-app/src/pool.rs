use std::sync::{Arc, Mutex};

use jifen_store::{Backend, SqlConn, Tx};

use crate::AppError;

/// Connections kept for reads; more are opened on demand and the extras kept up to this many.
const READ_CONNECTIONS_KEPT: usize = 16;

/// A small pool of read connections. Reads run without a transaction: each query sees the
/// latest committed state, which is what balance and history pages need.
#[derive(Clone)]
pub struct ReadPool {
    backend: Arc<dyn Backend>,
    idle: Arc<Mutex<Vec<Box<dyn SqlConn>>>>,
}

impl ReadPool {
    pub fn new(backend: Arc<dyn Backend>) -> ReadPool {
        ReadPool {
            backend,
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        // An idle connection the server closed meanwhile is let go, not handed out.
        let mut conn = loop {
            let conn = self.idle.lock().expect("pool lock").pop();
            match conn {
                Some(mut c) => {
                    if c.is_usable() {
                        break c;
                    }
                }
                None => break self.backend.connect()?,
            }
        };
        let result = {
            let mut tx = Tx::read(conn.as_mut());
            f(&mut tx)
        };
        match &result {
            // The server went away: the idle connections went with it.
            Err(AppError::Store(jifen_store::StoreError::Unavailable(_))) => {
                self.idle.lock().expect("pool lock").clear();
            }
            // A connection that failed at the database level is dropped rather than reused.
            Err(AppError::Store(_)) => {}
            _ => {
                let mut idle = self.idle.lock().expect("pool lock");
                if idle.len() < READ_CONNECTIONS_KEPT {
                    idle.push(conn);
                }
            }
        }
        result
    }
}
