//! Exim's and Sendmail's parts of the open state in the checkpoint's format (as
//! `Sessions._sessions_state`, `SendmailHop._hop_state`, `EximCwd._cwds_state` give them
//! and their `_load_*` take them back, from Python objects or from JSON's lists), so a
//! run goes on under either path.

use std::collections::VecDeque;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::rules::{MsgKey, Rules, SessionKey};
use super::value::{obj_from_py, Obj, ToPy};

fn bad(what: &str) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(format!("open state: {what}"))
}

fn obj(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Obj> {
    obj_from_py(v.cast::<PyDict>()?).ok_or_else(|| bad(what))
}

fn session(item: &Bound<'_, PyAny>) -> PyResult<SessionKey> {
    Ok((
        item.get_item(0)?.extract()?,
        item.get_item(1)?.extract()?,
        item.get_item(2)?.extract()?,
    ))
}

/// `[ts, host, queue id, value]` entries of `held` and `handoffs`
fn timed<'py>(item: &Bound<'py, PyAny>) -> PyResult<(i64, MsgKey, Bound<'py, PyAny>)> {
    let key = (item.get_item(1)?.extract()?, item.get_item(2)?.extract()?);
    Ok((item.get_item(0)?.extract()?, key, item.get_item(3)?))
}

/// Take back `logins`, `auth_seen`, `held`, `handoffs` and `cwds` from `part(key)`.
pub fn load<'py>(
    r: &mut Rules,
    part: impl Fn(&str) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<()> {
    let sm = &mut r.sendmail;
    for item in part("logins")?.try_iter()? {
        let item = item?; // [host, program, pid, login]
        sm.logins
            .load(session(&item)?, obj(&item.get_item(3)?, "a login")?);
    }
    for item in part("auth_seen")?.try_iter()? {
        let item = item?; // [host, program, pid, ts]
        sm.auth_seen
            .load(session(&item)?, item.get_item(3)?.extract()?);
    }
    for item in part("held")?.try_iter()? {
        let item = item?;
        let (ts, key, events) = timed(&item)?;
        let events = events
            .try_iter()?
            .map(|e| obj(&e?, "a held reject"))
            .collect::<PyResult<Vec<_>>>()?;
        sm.held.insert(key.clone(), events);
        sm.held_order.push_back((ts, key));
    }
    for item in part("handoffs")?.try_iter()? {
        let item = item?;
        let (ts, key, msp) = timed(&item)?;
        sm.handoffs.insert(key.clone(), obj(&msp, "a hand-over")?);
        sm.handoff_order.push_back((ts, key));
    }
    for item in part("cwds")?.try_iter()? {
        let item = item?; // [host, pid, [[ts, path], ...]]
        let key = (item.get_item(0)?.extract()?, item.get_item(1)?.extract()?);
        let mut pending = VecDeque::new();
        for entry in item.get_item(2)?.try_iter()? {
            let entry = entry?;
            pending.push_back((entry.get_item(0)?.extract()?, entry.get_item(1)?.extract()?));
        }
        r.exim.cwds.load(key, pending);
    }
    Ok(())
}

/// Set `logins`, `auth_seen`, `held`, `handoffs` and `cwds` in `out`.
pub fn save<'py>(r: &Rules, to: &ToPy<'py>, out: &Bound<'py, PyDict>) -> PyResult<()> {
    let py = to.py;
    let sm = &r.sendmail;
    let logins = PyList::empty(py);
    for ((host, program, pid), login) in r.live_logins() {
        logins.append(
            (host, program, pid, to.dict(login)?)
                .into_pyobject(py)?
                .to_list(),
        )?;
    }
    out.set_item("logins", logins)?;
    let seen = PyList::empty(py);
    for k in sm.auth_seen.keys_in_order() {
        let ts = *sm.auth_seen.peek(&k).expect("listed");
        seen.append(
            (k.0.as_str(), k.1.as_str(), k.2, ts)
                .into_pyobject(py)?
                .to_list(),
        )?;
    }
    out.set_item("auth_seen", seen)?;
    let held = PyList::empty(py);
    for (ts, key) in &sm.held_order {
        if let Some(events) = sm.held.get(key) {
            let list = PyList::empty(py);
            for e in events {
                list.append(to.dict(e)?)?;
            }
            held.append(
                (*ts, key.0.as_str(), key.1.as_str(), list)
                    .into_pyobject(py)?
                    .to_list(),
            )?;
        }
    }
    out.set_item("held", held)?;
    let handoffs = PyList::empty(py);
    for (ts, key) in &sm.handoff_order {
        if let Some(msp) = sm.handoffs.get(key) {
            let entry = (*ts, key.0.as_str(), key.1.as_str(), to.dict(msp)?);
            handoffs.append(entry.into_pyobject(py)?.to_list())?;
        }
    }
    out.set_item("handoffs", handoffs)?;
    let cwds = PyList::empty(py);
    for k in r.exim.cwds.keys_in_order() {
        let pending = PyList::empty(py);
        for (ts, path) in r.exim.cwds.peek(&k).expect("listed") {
            pending.append((*ts, path.as_str()).into_pyobject(py)?.to_list())?;
        }
        cwds.append((k.0.as_str(), k.1, pending).into_pyobject(py)?.to_list())?;
    }
    out.set_item("cwds", cwds)?;
    Ok(())
}
