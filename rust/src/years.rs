//! The BSD year state of `--year` (`analyzer.clock.Clock` with an explicit year): the
//! year of the next line, the month of the last one (December -> January advances the
//! year) and the clock's text cache, whose hits skip that rule as they do in Python.
//! One state per reading setup, shared by the Rust pass and the Python parser behind it
//! (`Years`, whose clock reads and writes it), so lines either side parses advance it in
//! line order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::prelude::*;

/// `Clock`'s cache bound: cleared when it grows past this many texts.
const CACHE_LIMIT: usize = 100_000;

#[derive(Debug, Default)]
pub struct YearState {
    pub year: i32,
    pub last_month: u32,
    /// header text -> micros, valid for `year` only (as `Clock._cache`)
    pub cache: HashMap<String, i64>,
}

impl YearState {
    /// `Clock.year`'s setter: another year drops the cache.
    pub fn set_year(&mut self, year: i32) {
        if year != self.year {
            self.cache.clear();
        }
        self.year = year;
    }

    /// The year of a line of `month` (`Clock._bsd` with a year): `new_year` advances it.
    pub fn advance(&mut self, month: u32) -> i32 {
        if i64::from(self.last_month) - i64::from(month) >= 6 {
            self.set_year(self.year + 1);
        }
        self.last_month = month;
        self.year
    }

    /// `Clock.bsd`'s cache insert and bound.
    pub fn store(&mut self, text: &str, micros: i64) {
        self.cache.insert(text.to_owned(), micros);
        if self.cache.len() > CACHE_LIMIT {
            self.cache.clear();
        }
    }
}

pub type Shared = Arc<Mutex<YearState>>;

pub fn lock(state: &Shared) -> MutexGuard<'_, YearState> {
    // a panic while holding it cannot leave the state half-written (plain fields)
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The state as Python sees it (`rust_batch`'s clock of the Python parser).
#[pyclass(module = "analyzer._core")]
pub struct Years {
    pub(crate) state: Shared,
}

#[pymethods]
impl Years {
    #[new]
    fn new(year: i32, last_month: u32) -> Years {
        Years {
            state: Arc::new(Mutex::new(YearState {
                year,
                last_month,
                cache: HashMap::new(),
            })),
        }
    }

    #[getter]
    fn year(&self) -> i32 {
        lock(&self.state).year
    }

    #[setter]
    fn set_year(&self, year: i32) {
        lock(&self.state).set_year(year);
    }

    #[getter]
    fn last_month(&self) -> u32 {
        lock(&self.state).last_month
    }

    #[setter]
    fn set_last_month(&self, month: u32) {
        lock(&self.state).last_month = month;
    }

    /// The cached micros of a header text, None when not cached.
    fn lookup(&self, text: &str) -> Option<i64> {
        lock(&self.state).cache.get(text).copied()
    }

    fn store(&self, text: &str, micros: i64) {
        lock(&self.state).store(text, micros);
    }
}
