//! `analyzer._core`: the compiled parse core. `Core` parses batches of Postfix, Exim and
//! Sendmail lines (syslog with BSD and RFC 3339 headers, Exim's own log) into the same
//! events, unparsed rows and counts as `analyzer.parse.batch.parse_batch`, from the
//! pattern tables Python hands it as data; `Years` is `--year`'s BSD year state.
//! Lines it cannot parse exactly as Python does go to the Python parser one by one.

mod clock;
mod core;
mod derive;
mod engine;
mod event;
// the Exim and Sendmail patterns' last steps, ported from Python
mod finish;
mod objects;
mod patterns;
mod years;
// the compiled ingest engine: parse + correlate + Arrow rows (issue 11)
mod correlate;

use pyo3::prelude::*;

// the engine's events and open state are many small allocations (see Cargo.toml)
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<core::Core>()?;
    m.add_class::<years::Years>()?;
    m.add_class::<correlate::IngestEngine>()?;
    Ok(())
}
