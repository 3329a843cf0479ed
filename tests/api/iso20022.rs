//! ISO 20022 messages checked against the official XSD, with the schema
//! files Python's `sepaxml` ships and the `xmlschema` validator, in a
//! virtual environment under `target/` made on first use (pinned versions,
//! from the package registry).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

const PACKAGES: [&str; 2] = ["sepaxml==2.7.0", "xmlschema==4.3.2"];

static VENV: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The Python of the environment, made once per test run.
fn python() -> PathBuf {
    let mut venv = VENV.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(python) = venv.as_ref() {
        return python.clone();
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/iso20022-venv");
    let python = dir.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import sepaxml, xmlschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .expect("python3 runs");
        assert!(made.success(), "python3 -m venv {}", dir.display());
        let installed = Command::new(dir.join("bin/pip"))
            .args(["install", "-q"])
            .args(PACKAGES)
            .status()
            .expect("pip runs");
        assert!(installed.success(), "pip install {PACKAGES:?}");
    }
    *venv = Some(python.clone());
    python
}

/// Asserts that `xml` is valid against the official XSD of `schema`
/// (e.g. `pain.001.001.09`).
pub fn assert_valid(schema: &str, xml: &str) {
    let file = tempfile::Builder::new().suffix(".xml").tempfile().unwrap();
    std::fs::write(file.path(), xml).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/iso20022/validate.py");
    let out = Command::new(python())
        .arg(script)
        .arg(schema)
        .arg(file.path())
        .output()
        .expect("the validator runs");
    assert!(
        out.status.success(),
        "not valid {schema}: {}{}\n{xml}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
