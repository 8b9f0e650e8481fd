//! `/api/tunnels` and `/api/findings`: the objects of `diagnose --format
//! json`, each with what `watch` adds (its state, since when).

use serde_json::{json, Map, Value};

use crate::state::{Live, TunnelLive};
use crate::time::rfc3339;

/// `{"tunnels": [...]}`: every tunnel as `diagnose` reports it, plus
/// `state`, `since`, `state_changes` and `last_established`.
pub fn tunnels(live: &Live) -> Value {
    let tunnels: Vec<Value> = live.tunnels().map(tunnel).collect();
    json!({ "tunnels": tunnels })
}

fn tunnel(t: &TunnelLive) -> Value {
    let mut object = match t.summary.as_ref().map(serde_json::to_value) {
        Some(Ok(Value::Object(map))) => map,
        _ => {
            let mut map = Map::new();
            map.insert("host".into(), json!(t.host));
            map.insert("tunnel".into(), json!(t.tunnel));
            map
        }
    };
    object.insert("host".into(), json!(t.host));
    if let Some((local, remote)) = &t.configured {
        object.entry("local").or_insert(json!(local));
        object.entry("remote").or_insert(json!(remote));
        if object.get("local").is_some_and(Value::is_null) {
            object.insert("local".into(), json!(local));
        }
        if object.get("remote").is_some_and(Value::is_null) {
            object.insert("remote".into(), json!(remote));
        }
    }
    // Loaded in charon (VICI): configured, whatever the log showed of it.
    object.insert("configured".into(), json!(t.configured.is_some()));
    object.insert("state".into(), json!(t.state));
    object.insert("since".into(), json!(rfc3339(t.since_ms)));
    object.insert("state_changes".into(), json!(t.state_changes));
    object.insert(
        "last_established".into(),
        json!(t.last_established_ms.map(rfc3339)),
    );
    Value::Object(object)
}

/// `{"findings": [...]}`: the findings that stand, as `diagnose` reports
/// them, plus `since`, worst first.
pub fn findings(live: &Live) -> Value {
    let mut standing: Vec<_> = live.active().collect();
    standing.sort_by(|a, b| {
        a.1.finding
            .severity
            .cmp(&b.1.finding.severity)
            .then_with(|| a.0.cmp(b.0))
    });
    let findings: Vec<Value> = standing
        .into_iter()
        .map(|(key, a)| {
            let mut object = match serde_json::to_value(&a.finding) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            };
            object.insert("host".into(), json!(key.0));
            object.insert("since".into(), json!(rfc3339(a.since_ms)));
            Value::Object(object)
        })
        .collect();
    json!({ "findings": findings })
}
