//! `voltpass catenax`: what a Catena-X connector (Tractus-X EDC) in front of voltpass needs.
//!
//! `assets` writes the Management API v3 JSON-LD bodies that offer voltpass's Digital Twin Registry and its submodels
//! in the dataspace: one asset for the registry, one per submodel kind, an access and a usage policy definition with
//! the Catena-X constraints (profile 2025/9), and a contract definition tying them together. Shapes follow the
//! Tractus-X EDC management API walkthrough (`docs/usage/management-api-walkthrough`) and the Digital Twin KIT.
//!
//! No secret is ever written: the data plane authenticates to voltpass with the API key stored in the EDC's vault
//! under [`VAULT_SECRET`], referenced by name (`authKey` + `secretName`).

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use interop::aas::connector_asset_id;
use interop::aas::twins::SubmodelKind;
use serde_json::{Value, json};
use std::io::Write;

/// The EDC asset id of voltpass's Digital Twin Registry.
pub const REGISTRY_ASSET_ID: &str = "voltpass-dtr";
/// The EDC vault secret holding the data plane's voltpass API key, as the header value (`Bearer vpk_...`).
pub const VAULT_SECRET: &str = "voltpass-connector-key";
/// Policy and contract definition ids.
pub const ACCESS_POLICY_ID: &str = "voltpass-dpp-access";
pub const USAGE_POLICY_ID: &str = "voltpass-dpp-usage";
pub const CONTRACT_DEFINITION_ID: &str = "voltpass-dpp";
/// Catena-X usage purpose of the digital product passport use case.
pub const USAGE_PURPOSE: &str = "cx.circular.dpp:1";
pub const FRAMEWORK_AGREEMENT: &str = "DataExchangeGovernance:1.0";

const EDC_NS: &str = "https://w3id.org/edc/v0.0.1/ns/";

#[derive(Subcommand)]
pub enum CatenaxCommand {
    /// Write the EDC Management API v3 JSON-LD (assets, policies, contract definition) offering voltpass's
    /// registry and submodels through a Tractus-X EDC.
    Assets(AssetsArgs),
}

#[derive(ClapArgs)]
pub struct AssetsArgs {
    /// voltpass's base URL as the EDC data plane reaches it, e.g. `https://passports.internal:8080`.
    #[arg(long)]
    base_url: String,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<String>,
    /// Offer the data only to these business partners (BPNL); repeat or separate with commas. Default: every
    /// active Catena-X member that signed the Data Exchange Governance framework agreement.
    #[arg(long = "bpn", value_name = "BPNL", value_delimiter = ',')]
    bpns: Vec<String>,
}

pub fn run(command: CatenaxCommand) -> anyhow::Result<()> {
    match command {
        CatenaxCommand::Assets(args) => {
            let definitions = assets(&args.base_url, &args.bpns)?;
            let mut text = serde_json::to_string_pretty(&definitions)?;
            text.push('\n');
            match &args.out {
                Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {path}"))?,
                None => std::io::stdout().lock().write_all(text.as_bytes())?,
            }
            eprintln!(
                "{} definitions: POST each to the EDC management API (/v3/assets, /v3/policydefinitions, \
                 /v3/contractdefinitions); the data plane's voltpass key belongs in the EDC vault as `{VAULT_SECRET}`",
                definitions.as_array().map_or(0, Vec::len)
            );
            Ok(())
        }
    }
}

/// A BPNL: `BPNL` and 12 letters or digits.
fn valid_bpnl(bpn: &str) -> bool {
    bpn.len() == 16 && bpn.starts_with("BPNL") && bpn[4..].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The definitions, in the order they must be created: assets, policies, contract definition.
pub fn assets(base_url: &str, bpns: &[String]) -> anyhow::Result<Value> {
    let base = base_url.trim_end_matches('/');
    if !(base.starts_with("https://") || base.starts_with("http://")) || base.len() <= "https://".len() {
        bail!("--base-url must be an http(s) URL, not `{base_url}`");
    }
    for bpn in bpns {
        if !valid_bpnl(bpn) {
            bail!("`{bpn}` is not a BPNL (BPNL followed by 12 capital letters or digits)");
        }
    }
    let mut out = vec![registry_asset(base)];
    let mut asset_ids = vec![REGISTRY_ASSET_ID.to_string()];
    for kind in SubmodelKind::all() {
        let asset = submodel_asset(base, kind);
        asset_ids.push(asset["@id"].as_str().unwrap_or_default().to_string());
        out.push(asset);
    }
    out.push(access_policy(bpns));
    out.push(usage_policy());
    out.push(contract_definition(&asset_ids));
    Ok(Value::Array(out))
}

/// The `@context` of asset bodies (Tractus-X EDC management API, Digital Twin KIT prefixes).
fn asset_context() -> Value {
    json!({
        "@vocab": EDC_NS,
        "edc": EDC_NS,
        "cx-common": "https://w3id.org/catenax/ontology/common#",
        "cx-taxo": "https://w3id.org/catenax/taxonomy#",
        "dct": "http://purl.org/dc/terms/",
        "aas-semantics": "https://admin-shell.io/aas/3/0/HasSemantics/"
    })
}

/// The data plane forwards consumer requests to `base_url` (path and query appended, always as GET) and adds the
/// `Authorization` header whose value it reads from the vault secret [`VAULT_SECRET`].
fn data_address(base_url: String, proxy_query_params: bool) -> Value {
    json!({
        "@type": "DataAddress",
        "type": "HttpData",
        "baseUrl": base_url,
        "proxyPath": "true",
        "proxyQueryParams": proxy_query_params.to_string(),
        "proxyMethod": "false",
        "proxyBody": "false",
        "authKey": "Authorization",
        "secretName": VAULT_SECRET
    })
}

fn registry_asset(base: &str) -> Value {
    json!({
        "@context": asset_context(),
        "@type": "Asset",
        "@id": REGISTRY_ASSET_ID,
        "properties": {
            "dct:type": {"@id": "https://w3id.org/catenax/taxonomy#DigitalTwinRegistry"},
            // Deprecated by dct:type (CX-0002); kept for consumers that still filter on it.
            "asset:prop:type": "data.core.digitalTwinRegistry",
            "cx-common:version": "3.0",
            "description": "voltpass Digital Twin Registry (AAS API v3): battery passport and battery model twins"
        },
        "dataAddress": data_address(format!("{base}/api/v3"), true)
    })
}

fn submodel_asset(base: &str, kind: SubmodelKind) -> Value {
    json!({
        "@context": asset_context(),
        "@type": "Asset",
        "@id": connector_asset_id(kind.slug()),
        "properties": {
            "dct:type": {"@id": "https://w3id.org/catenax/taxonomy#Submodel"},
            "cx-common:version": "3.0",
            "aas-semantics:semanticId": {"@id": kind.semantic_id()},
            "description": format!("voltpass {} submodels", kind.id_short())
        },
        "dataAddress": data_address(format!("{base}/api/v3/submodels"), false)
    })
}

/// The `@context` of policy definitions: ODRL plus the Catena-X 2025/9 policy profile, whose context maps the plain
/// left operands (`Membership`, ...) to `https://w3id.org/catenax/2025/9/policy/`.
fn policy_context() -> Value {
    json!([
        "http://www.w3.org/ns/odrl.jsonld",
        "https://w3id.org/catenax/2025/9/policy/context.jsonld",
        {"@vocab": EDC_NS}
    ])
}

fn constraint(left: &str, operator: &str, right: Value) -> Value {
    json!({"leftOperand": left, "operator": operator, "rightOperand": right})
}

/// Who sees the offer in the catalog: active members under the Data Exchange Governance framework agreement,
/// narrowed to the given business partners.
fn access_policy(bpns: &[String]) -> Value {
    let mut and = vec![
        constraint("Membership", "eq", json!("active")),
        constraint("FrameworkAgreement", "eq", json!(FRAMEWORK_AGREEMENT)),
    ];
    if !bpns.is_empty() {
        and.push(constraint("BusinessPartnerNumber", "isAnyOf", json!(bpns)));
    }
    json!({
        "@context": policy_context(),
        "@type": "PolicyDefinition",
        "@id": ACCESS_POLICY_ID,
        "policy": {
            "@type": "Set",
            "permission": [{"action": "access", "constraint": [{"and": and}]}]
        }
    })
}

/// What a contract allows: use for the digital product passport purpose, by active members under the framework
/// agreement.
fn usage_policy() -> Value {
    json!({
        "@context": policy_context(),
        "@type": "PolicyDefinition",
        "@id": USAGE_POLICY_ID,
        "policy": {
            "@type": "Set",
            "permission": [{"action": "use", "constraint": [{"and": [
                constraint("Membership", "eq", json!("active")),
                constraint("FrameworkAgreement", "eq", json!(FRAMEWORK_AGREEMENT)),
                constraint("UsagePurpose", "isAnyOf", json!([USAGE_PURPOSE])),
            ]}]}]
        }
    })
}

fn contract_definition(asset_ids: &[String]) -> Value {
    json!({
        "@context": {"@vocab": EDC_NS},
        "@type": "ContractDefinition",
        "@id": CONTRACT_DEFINITION_ID,
        "accessPolicyId": ACCESS_POLICY_ID,
        "contractPolicyId": USAGE_POLICY_ID,
        "assetsSelector": [{
            "@type": "Criterion",
            "operandLeft": format!("{EDC_NS}id"),
            "operator": "in",
            "operandRight": asset_ids
        }]
    })
}
