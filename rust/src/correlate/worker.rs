//! The thread that correlates batches while the caller's thread writes the rows handed
//! back and reads and parses the next (a pipeline of up to two batches across the two
//! cores). It holds the rules while batches are in flight and hands back, with each
//! batch, the tables whose rows reached the size to be written. One thread for the run:
//! a thread per batch would start each batch with an empty allocator heap (fresh pages
//! to fault in and zero).

use std::collections::HashSet;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::columns::Table;
use super::rules::Rules;
use super::value::{Obj, K, PATTERN, V};
use super::{event_obj, AskPython};
use crate::event::Fields;

/// An event of a batch: made already (by a finishing port or by Python), or the parsed
/// fields `event_obj` makes it from.
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

    /// Each event made and correlated in turn.
    fn correlate(&mut self, rules: &mut Rules, ask: &mut AskPython<'_>) {
        for pending in self.events.drain(..) {
            let event = match pending {
                Pending::Made(event) => event,
                Pending::Parsed(fields) => {
                    event_obj(&fields, &self.names, &self.texts, &self.fixed, PATTERN)
                }
            };
            rules.feed(event, ask);
        }
    }
}

/// What the caller sends: the rules (before the first batch after they came back), a
/// batch with the size from which a table's rows are handed over after it, or a request
/// for the rules back.
enum Job {
    Rules(Box<Rules>),
    Batch(Batch, usize),
    Back,
}

/// What comes back: a batch once correlated (to be dropped with the GIL held: its bytes)
/// with the tables whose rows were handed over after it and whether the rules hold an
/// error (nothing more is correlated then), or the rules.
pub enum Done {
    Batch(Batch, Vec<Table>, bool),
    Rules(Box<Rules>),
}

pub struct Worker {
    jobs: Option<Sender<Job>>,
    done: Mutex<Receiver<Done>>, // a Mutex: the Python class must be Sync
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
                let mut held: Option<Box<Rules>> = None;
                for job in inbox {
                    let reply = match job {
                        Job::Rules(rules) => {
                            held = Some(rules);
                            continue;
                        }
                        Job::Batch(mut batch, take_bytes) => {
                            let rules = held.as_mut().expect("the rules come before a batch");
                            // after an error nothing more is correlated: the caller
                            // raises it when it takes the rules back
                            if rules.error.is_none() {
                                batch.correlate(rules, &mut ask);
                            }
                            let full = rules
                                .tables
                                .iter_mut()
                                .filter(|t| t.rows > 0 && t.bytes() >= take_bytes)
                                .map(Table::split_off)
                                .collect();
                            Done::Batch(batch, full, rules.error.is_some())
                        }
                        Job::Back => Done::Rules(held.take().expect("the rules are here")),
                    };
                    if outbox.send(reply).is_err() {
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

    /// Hand the rules to the thread (the batches after this are correlated with them).
    pub fn lend(&self, rules: Box<Rules>) -> bool {
        self.send(Job::Rules(rules))
    }

    /// Correlate `batch` after those before it; then hand over the rows of every table
    /// holding at least `take_bytes`.
    pub fn start(&self, batch: Batch, take_bytes: usize) -> bool {
        self.send(Job::Batch(batch, take_bytes))
    }

    /// Ask for the rules back (they come after every batch started before).
    pub fn ask_back(&self) -> bool {
        self.send(Job::Back)
    }

    fn send(&self, job: Job) -> bool {
        self.jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok())
    }

    /// The next reply, waited for; None when the thread died (a panic in the rules).
    pub fn next(&self) -> Option<Done> {
        self.done.lock().ok()?.recv().ok()
    }

    /// The next reply if there is one already.
    pub fn next_ready(&self) -> Option<Done> {
        self.done.lock().ok()?.try_recv().ok()
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
