//! The thread that correlates a batch while the caller's thread writes the rows of the
//! batches before and reads and parses the next (a pipeline of one batch across the two
//! cores). One thread for the run: a thread per batch would start each batch with an
//! empty allocator heap (fresh pages to fault in and zero).

use std::collections::HashSet;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::rules::Rules;
use super::value::{Obj, K, PATTERN, V};
use super::{refill_event, AskPython};
use crate::event::Fields;

/// An event of a batch: made already (by a finishing port or by Python), or the parsed
/// fields `refill_event` makes it from.
pub enum Pending<'a> {
    Made(Obj),
    Parsed(Fields<'a>),
}

/// A batch's events in line order, with what they are made from: the interned names and
/// fixed values (`finish::core_values`) and the batch's bytes, which the parsed fields
/// borrow.
pub struct Batch {
    events: Vec<Pending<'static>>,
    names: Vec<K>,
    texts: Vec<String>,
    fixed: Vec<V>,
    _data: Py<PyBytes>, // after `events`: dropped after them
}

impl Batch {
    pub fn new<'a>(
        events: Vec<Pending<'a>>,
        data: &'a Bound<'_, PyBytes>,
        names: Vec<K>,
        texts: Vec<String>,
        fixed: Vec<V>,
    ) -> Batch {
        // SAFETY: the fields borrow only the bytes of `data` (`Engine::parse_lines`),
        // which a Python bytes object never changes nor moves while it lives; the batch
        // holds a reference to it, and its fields are dropped before it (the worker
        // takes them out, then the batch is dropped by the caller, field order above).
        let events =
            unsafe { std::mem::transmute::<Vec<Pending<'a>>, Vec<Pending<'static>>>(events) };
        Batch {
            events,
            names,
            texts,
            fixed,
            _data: data.clone().unbind(),
        }
    }

    /// Each event made and correlated in turn (a parsed one in the strings of the one
    /// before: most of its fields allocate nothing).
    fn correlate(&mut self, rules: &mut Rules, ask: &mut AskPython<'_>) {
        let mut event = Obj::default();
        for pending in self.events.drain(..) {
            match pending {
                Pending::Made(mut made) => rules.feed(&mut made, ask),
                Pending::Parsed(fields) => {
                    refill_event(
                        &mut event,
                        &fields,
                        &self.names,
                        &self.texts,
                        &self.fixed,
                        PATTERN,
                    );
                    rules.feed(&mut event, ask);
                }
            }
        }
    }
}

type Job = (Box<Rules>, Batch);

pub struct Worker {
    jobs: Option<Sender<Job>>,
    done: Mutex<Receiver<Job>>, // a Mutex: the Python class must be Sync
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// `is_local`, `own_ips`: what the rules ask about a client address (`AskPython`).
    pub fn new(is_local: Arc<Py<PyAny>>, own_ips: Arc<HashSet<String>>) -> std::io::Result<Worker> {
        let (jobs, inbox) = channel::<Job>();
        let (outbox, done) = channel();
        let thread = std::thread::Builder::new()
            .name("analyzer-correlate".into())
            .spawn(move || {
                let mut ask = AskPython(&is_local, &own_ips);
                for (mut rules, mut batch) in inbox {
                    batch.correlate(&mut rules, &mut ask);
                    if outbox.send((rules, batch)).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Worker {
            jobs: Some(jobs),
            done: Mutex::new(done),
            thread: Some(thread),
        })
    }

    /// Correlate `batch` with `rules` (they come back from `finish`).
    pub fn start(&self, rules: Box<Rules>, batch: Batch) -> bool {
        self.jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send((rules, batch)).is_ok())
    }

    /// The rules and batch of the job started last, once correlated (the batch to be
    /// dropped with the GIL held); None when the thread died (a panic in the rules).
    pub fn finish(&self) -> Option<Job> {
        self.done.lock().ok()?.recv().ok()
    }
}

impl Drop for Worker {
    /// Ends the thread after the job in flight (the GIL released meanwhile: the thread
    /// may ask Python about an address). Not while the interpreter exits (an engine
    /// left to the end, say in an error's traceback): the GIL cannot be released and
    /// taken back then; the thread, idle unless a job is in flight, ends with the
    /// process (`IngestEngine.close` ends it before).
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            Python::attach(|py| {
                let finalizing = py
                    .import("sys")
                    .and_then(|sys| sys.call_method0("is_finalizing"))
                    .and_then(|v| v.extract::<bool>())
                    .unwrap_or(true);
                if !finalizing {
                    py.detach(|| thread.join().ok());
                }
            });
        }
    }
}
