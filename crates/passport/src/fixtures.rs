//! Write bodies built from the demo data: a model record per demo model, and item bodies referencing it.
//! Used by `voltpass demo`, the benchmarks and the tests.

use crate::demo::{self, DemoModel};
use crate::document::split;
use rand::SeedableRng;
use serde_json::Value;

/// The `POST /api/v1/models` body of a demo model: the model part of one of its passports, plus its id.
pub fn model_body(model: DemoModel) -> Value {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0);
    let (mut part, _) = split(&demo::passport(model, 0, &mut rng));
    part["modelId"] = Value::String(model.model_id().to_string());
    part["reason"] = Value::String("demo data".into());
    part
}

/// The `POST /api/v1/passports` body of a generated document as an item referencing its model.
pub fn item_body(doc: &Value) -> Value {
    let (_, mut item) = split(doc);
    item["modelId"] = Value::String(model_of(doc).model_id().to_string());
    item
}

/// Which demo model a generated document belongs to (by its category).
pub fn model_of(doc: &Value) -> DemoModel {
    let category = doc.pointer("/generalProductInformation/batteryCategory").and_then(Value::as_str);
    DemoModel::ALL.into_iter().find(|m| Some(m.category()) == category).unwrap_or(DemoModel::EvNmc811Pack)
}
