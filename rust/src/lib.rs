//! `analyzer._core`: the compiled parse core. `Core` parses batches of Postfix syslog
//! lines (BSD and RFC 3339 headers) into the same events, unparsed rows and counts as
//! `analyzer.parse.batch.parse_batch`, from the pattern table Python hands it as data.
//! Lines it cannot parse exactly as Python does go to the Python parser one by one.

mod clock;
mod core;
mod derive;
mod engine;
mod event;
mod objects;
mod patterns;
// the compiled ingest engine: parse + correlate + Arrow rows (issue 11)
mod correlate;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<core::Core>()?;
    m.add_class::<correlate::IngestEngine>()?;
    Ok(())
}
