//! The worker threads of a command.

use crate::error::{Error, Result};

/// A rayon pool of `threads` workers (`None`: one per core).
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n.max(1));
    }
    builder
        .build()
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))
}
