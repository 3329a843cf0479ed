//! What every saved page must pass, at each width it is saved at: axe-core
//! (vendored in `tests/vendor/`) reports no violation, and no API field code
//! or, on a Chinese page, no English is shown to the reader
//! (`page_checks.js`).

use fantoccini::Client;
use serde_json::Value;

const AXE: &str = include_str!("../vendor/axe.min.js");
const WORDING: &str = include_str!("page_checks.js");

/// Runs axe-core on the page as it is laid out now; its violations, each
/// with the rule, its impact and up to three of the elements at fault.
async fn axe_violations(client: &Client) -> Vec<String> {
    let loaded = client
        .execute("return typeof window.axe === 'object'", vec![])
        .await
        .expect("a script ran");
    if loaded != Value::Bool(true) {
        client.execute(AXE, vec![]).await.expect("axe-core loaded");
    }
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']})
               .then(r => done(r.violations.map(v =>
                   `${v.id} (${v.impact}): ${v.help} — ` +
                   v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe-core ran");
    strings(found)
}

/// The page's wording faults: field codes anywhere, English on a Chinese page.
async fn wording_faults(client: &Client) -> Vec<String> {
    let found = client
        .execute(WORDING, vec![])
        .await
        .expect("the wording check ran");
    strings(found)
}

fn strings(value: Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Every fault of the page as laid out now, each prefixed with where it was
/// seen (`name` at `width` px).
pub async fn faults(client: &Client, name: &str, width: u32) -> Vec<String> {
    let mut all = axe_violations(client).await;
    all.extend(wording_faults(client).await);
    all.into_iter()
        .map(|fault| format!("{name} at {width} px: {fault}"))
        .collect()
}
