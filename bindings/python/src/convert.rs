//! JSON documents between Python and Rust, and the small argument types
//! shared by every binding file.
//!
//! Python → JSON accepts what `json.dumps` accepts without options (dicts
//! with `str` keys, lists and tuples, `str`, `int`, finite `float`, `bool`,
//! `None`) plus `paved.Entity`; anything else is a `TypeError` naming the
//! JSON path. JSON → Python gives plain `dict`/`list`/scalars.

use std::path::PathBuf;

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use crate::model::PyEntity;

/// A JSON path for messages: `$` for the root, then `.key` and `[i]`.
fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn at(path: &str) -> &str {
    if path.is_empty() {
        "the document"
    } else {
        path
    }
}

/// Convert a Python value to JSON; `path` names where it is, for errors.
pub(crate) fn to_json(obj: &Bound<'_, PyAny>, path: &str) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_owned()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(PyValueError::new_err(format!(
            "{}: integer {} does not fit in 64 bits",
            at(path),
            obj.repr()?
        )));
    }
    if obj.is_instance_of::<PyFloat>() {
        let f: f64 = obj.extract()?;
        return Number::from_f64(f).map(Value::Number).ok_or_else(|| {
            PyValueError::new_err(format!("{}: {f} is not a JSON number", at(path)))
        });
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = key_of(&k, path)?;
            let value = to_json(&v, &child(path, &key))?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l
            .iter()
            .enumerate()
            .map(|(i, v)| to_json(&v, &format!("{path}[{i}]")))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t
            .iter()
            .enumerate()
            .map(|(i, v)| to_json(&v, &format!("{path}[{i}]")))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(e) = obj.cast::<PyEntity>() {
        return Ok(e.get().document().clone());
    }
    if let Ok(m) = obj.cast::<PyMapping>() {
        let mut map = Map::new();
        for item in m.items()?.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let key = key_of(&k, path)?;
            let value = to_json(&v, &child(path, &key))?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    Err(PyTypeError::new_err(format!(
        "{}: expected a JSON value (dict, list, str, int, float, bool or None), got {}",
        at(path),
        obj.get_type().name()?
    )))
}

fn key_of(k: &Bound<'_, PyAny>, path: &str) -> PyResult<String> {
    match k.cast::<PyString>() {
        Ok(s) => Ok(s.to_str()?.to_owned()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{}: keys must be str, got {} {}",
            at(path),
            k.get_type().name()?,
            k.repr()?
        ))),
    }
}

/// Convert JSON to plain Python objects.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)
            } else if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)
            }
        }
        Value::String(s) => s.into_bound_py_any(py),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for v in items {
                list.append(to_py(py, v)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            Ok(dict.into_any())
        }
    }
}

/// The JSON form of a serializable core type, as Python objects (`to_dict()`).
pub(crate) fn serde_to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_value(value)
        .map_err(|e| PyValueError::new_err(format!("cannot convert to a dict: {e}")))?;
    to_py(py, &json)
}

/// The JSON string of a core enum (`Outcome::Created` → `"created"`).
pub(crate) fn enum_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => e.to_string(),
    }
}

/// One path or several (`str | PathLike | Sequence[str | PathLike]`).
pub(crate) fn paths(obj: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if obj.is_instance_of::<PyString>() {
        return Ok(vec![obj.extract()?]);
    }
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(vec![p]);
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| {
        PyTypeError::new_err("paths: expected a path (str or os.PathLike) or a list of paths")
    })? {
        out.push(item?.extract::<PathBuf>().map_err(|_| {
            PyTypeError::new_err("paths: expected a path (str or os.PathLike) or a list of paths")
        })?);
    }
    Ok(out)
}

/// One string or several (`str | Sequence[str]`), e.g. filter strings or orders.
pub(crate) fn strings(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![s.to_str()?.to_owned()]);
    }
    let err = || PyTypeError::new_err(format!("{what}: expected a str or a list of str"));
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| err())? {
        out.push(item?.extract::<String>().map_err(|_| err())?);
    }
    Ok(out)
}
