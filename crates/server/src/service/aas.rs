//! The AAS registry, discovery and submodel repository over the passports (IDTA-01002 Part 2).
//!
//! Twins come from three sources, listed in this order with one cursor: type twins of battery models (`m`),
//! instance twins of passports (`p`), and descriptors partners registered through the API (`r`). Generated twins
//! are never stored; their content goes through the same access filter as every other read
//! ([`super::reads::audience`] and `passport::access::visible`). Specific asset ids other than the public ones
//! are shown to readers who see the whole passport, or whose connector-attested BPN holds a grant in force for
//! the group `twin`.

use interop::aas::twins::{self, PassportFacts, SubmodelKind, TwinOf};
use interop::aas::{self, Cursor, Endpoints, Twin};
use passport::access::{self, Audience};
use serde_json::{Value, json};
use store::{Actor, AuditEvent, PassportFilter, PassportHead, Role, StoredDescriptor};
use time::OffsetDateTime;

use super::reads::{CEASED, audience};
use super::{PassportService, Result, ServiceError};

/// Group a grant names to let a partner's BPN see a passport twin's asset ids.
pub const TWIN_GROUP: &str = "twin";

/// Who reads: the authenticated actor (or the public) and, when a trusted connector forwarded the request, the
/// consumer's Business Partner Number.
#[derive(Debug, Clone, Default)]
pub struct AasReader {
    pub actor: Option<Actor>,
    pub bpn: Option<String>,
}

/// Filters of `GET /shell-descriptors` and `GET /shells`.
#[derive(Debug, Clone, Default)]
pub struct TwinQuery {
    pub asset_kind: Option<String>,
    pub asset_type: Option<String>,
    pub created_after: Option<OffsetDateTime>,
}

/// One entry of a twin listing.
enum Listed {
    Model(String),
    Passport(PassportHead),
    Registered(StoredDescriptor),
}

const SOURCES: [&str; 3] = ["m", "p", "r"];

fn not_found(what: String) -> ServiceError {
    ServiceError::NotFound(what)
}

impl PassportService {
    /// May this reader see every asset id (and the full content) of a passport's twin?
    async fn sees_twin(&self, reader: &AasReader, head: &PassportHead) -> Result<bool> {
        if matches!(audience(reader.actor.as_ref(), head), Audience::Operator | Audience::Authority) {
            return Ok(true);
        }
        let Some(bpn) = &reader.bpn else { return Ok(false) };
        let held = self.store.grants_for(Some(&bpn_actor_id(bpn)), Some(&head.responsible)).await?;
        Ok(super::grants::grant_covering(&held, head, &[TWIN_GROUP.to_string()], OffsetDateTime::now_utc()).is_some())
    }

    fn sees_model_twin(reader: &AasReader) -> bool {
        matches!(reader.actor.as_ref().map(|a| a.role), Some(Role::Admin | Role::Authority | Role::EconomicOperator))
    }

    async fn twin_of(&self, of: &TwinOf) -> Result<(Twin, Option<PassportHead>)> {
        match of {
            TwinOf::Passport(id) => {
                let head = self.head(id).await?;
                Ok((twins::passport_twin(&facts(&head)), Some(head)))
            }
            TwinOf::Model(id) => {
                self.model(id, None).await?;
                Ok((twins::model_twin(id), None))
            }
        }
    }

    /// A generated twin's descriptor with the asset ids this reader may see.
    async fn generated_descriptor(&self, of: &TwinOf, reader: &AasReader, endpoints: &Endpoints) -> Result<Value> {
        let (twin, head) = self.twin_of(of).await?;
        self.describe(&twin, head.as_ref(), reader, endpoints).await
    }

    /// The descriptor of a twin already read (`head` for a passport's, `None` for a model's), asset ids hidden
    /// as the reader must see them.
    async fn describe(
        &self,
        twin: &Twin,
        head: Option<&PassportHead>,
        reader: &AasReader,
        endpoints: &Endpoints,
    ) -> Result<Value> {
        let sees_all = match head {
            Some(head) => self.sees_twin(reader, head).await?,
            None => Self::sees_model_twin(reader),
        };
        let mut descriptor = aas::shell_descriptor(twin, endpoints);
        aas::descriptor::hide_asset_ids(&mut descriptor, sees_all, reader.bpn.as_deref());
        Ok(descriptor)
    }

    fn registered_view(stored: &StoredDescriptor, reader: &AasReader) -> Value {
        let mut body = stored.body.clone();
        let owner = reader.actor.as_ref().is_some_and(|a| owns(a, stored) || a.role == Role::Authority);
        aas::descriptor::hide_asset_ids(&mut body, owner, reader.bpn.as_deref());
        body
    }

    /// `GET /shell-descriptors/{id}`.
    pub async fn shell_descriptor(&self, id: &str, reader: &AasReader, endpoints: &Endpoints) -> Result<Value> {
        if twins::parse_submodel_id(id).is_some() {
            return Err(ServiceError::BadRequest(format!("{id} is a submodel identifier, not a shell identifier")));
        }
        if let Some(of) = twins::parse_shell_id(id) {
            return self.generated_descriptor(&of, reader, endpoints).await.map_err(|e| match e {
                ServiceError::NotFound(_) => not_found(format!("no shell descriptor {id}")),
                other => other,
            });
        }
        let stored = self.store.descriptor(id).await?.ok_or_else(|| not_found(format!("no shell descriptor {id}")))?;
        Ok(Self::registered_view(&stored, reader))
    }

    /// One page of twins of every source, after `cursor`.
    async fn list_twins(
        &self,
        query: &TwinQuery,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<(Vec<Listed>, Option<Cursor>)> {
        let (mut source, mut after) = resume_at(cursor)?;
        let wants = |kind: &str| query.asset_kind.as_deref().is_none_or(|k| k == kind);
        let mut out = Vec::new();
        // Fetch one more than asked, so a full page knows whether another follows.
        while source < SOURCES.len() && out.len() <= limit {
            let room = (limit + 1 - out.len()) as i64;
            let before = out.len();
            match SOURCES[source] {
                "m" if wants("Type") => {
                    let ids = match &query.asset_type {
                        Some(model) if after.as_deref().is_none_or(|a| a < model.as_str()) => {
                            match self.store.model(model, None).await? {
                                Some(m) if query.created_after.is_none_or(|t| m.meta.created_at > t) => {
                                    vec![model.clone()]
                                }
                                _ => Vec::new(),
                            }
                        }
                        Some(_) => Vec::new(),
                        None => self
                            .store
                            .model_ids_page(query.created_after, after.as_deref(), room)
                            .await?
                            .into_iter()
                            .map(|(id, _)| id)
                            .collect(),
                    };
                    out.extend(ids.into_iter().map(Listed::Model));
                }
                "p" if wants("Instance") => {
                    let filter = PassportFilter {
                        model_id: query.asset_type.clone(),
                        created_after: query.created_after,
                        ..Default::default()
                    };
                    let heads = self.store.list_passports(&filter, after.as_deref(), room).await?;
                    out.extend(heads.into_iter().map(Listed::Passport));
                }
                "r" => {
                    let found = self.store.descriptors(&[], query.created_after, after.as_deref(), room).await?;
                    out.extend(
                        found
                            .into_iter()
                            .filter(|d| query.asset_kind.as_deref().is_none_or(|k| d.body["assetKind"] == k))
                            .filter(|d| query.asset_type.as_deref().is_none_or(|t| d.body["assetType"] == t))
                            .map(Listed::Registered),
                    );
                }
                _ => {}
            }
            // A source that returned fewer than asked is exhausted: the next one starts from its beginning.
            if (out.len() - before) as i64 >= room {
                break;
            }
            source += 1;
            after = None;
        }
        let next = if out.len() > limit {
            out.truncate(limit);
            out.last().map(|last| match last {
                Listed::Model(id) => Cursor(vec!["m".into(), id.clone()]),
                Listed::Passport(head) => Cursor(vec!["p".into(), head.id.clone()]),
                Listed::Registered(d) => Cursor(vec!["r".into(), d.id.clone()]),
            })
        } else {
            None
        };
        Ok((out, next))
    }

    /// `GET /shell-descriptors`.
    pub async fn shell_descriptors(
        &self,
        query: &TwinQuery,
        cursor: Option<&Cursor>,
        limit: usize,
        reader: &AasReader,
        endpoints: &Endpoints,
    ) -> Result<(Vec<Value>, Option<Cursor>)> {
        let (listed, next) = self.list_twins(query, cursor, limit).await?;
        let mut out = Vec::with_capacity(listed.len());
        for item in listed {
            out.push(match item {
                Listed::Model(id) => self.generated_descriptor(&TwinOf::Model(id), reader, endpoints).await?,
                Listed::Passport(head) => {
                    self.describe(&twins::passport_twin(&facts(&head)), Some(&head), reader, endpoints).await?
                }
                Listed::Registered(stored) => Self::registered_view(&stored, reader),
            });
        }
        Ok((out, next))
    }

    /// `GET /shells` (AAS repository, read-only): the generated twins as shells.
    pub async fn shells(
        &self,
        query: &TwinQuery,
        cursor: Option<&Cursor>,
        limit: usize,
        reader: &AasReader,
    ) -> Result<(Vec<Value>, Option<Cursor>)> {
        let (listed, next) = self.list_twins(query, cursor, limit).await?;
        let mut out = Vec::with_capacity(listed.len());
        for item in listed {
            let (twin, head) = match item {
                Listed::Model(id) => (twins::model_twin(&id), None),
                Listed::Passport(head) => (twins::passport_twin(&facts(&head)), Some(head)),
                // Registered descriptors describe twins held elsewhere: not shells of this repository.
                Listed::Registered(_) => continue,
            };
            out.push(self.shell_of(&twin, head.as_ref(), reader).await?);
        }
        Ok((out, next))
    }

    /// A generated twin as an AAS, with the asset ids the reader may see.
    pub async fn shell(&self, of: &TwinOf, reader: &AasReader) -> Result<Value> {
        let (twin, head) = self.twin_of(of).await?;
        self.shell_of(&twin, head.as_ref(), reader).await
    }

    async fn shell_of(&self, twin: &Twin, head: Option<&PassportHead>, reader: &AasReader) -> Result<Value> {
        let endpoints = Endpoints { base_url: String::new(), connector: None };
        let descriptor = self.describe(twin, head, reader, &endpoints).await?;
        Ok(twins::shell(twin, &aas::descriptor::asset_ids(&descriptor)))
    }

    /// `GET /lookup/shells?assetIds=...`: ids of shells having EVERY given asset id visible to the reader.
    pub async fn lookup_shells(
        &self,
        pairs: &[(String, String)],
        cursor: Option<&Cursor>,
        limit: usize,
        reader: &AasReader,
    ) -> Result<(Vec<String>, Option<Cursor>)> {
        let restricted = pairs.iter().any(|(name, _)| !aas::PUBLIC_ASSET_ID_NAMES.contains(&name.as_str()));
        let generated = GeneratedLookup::from_pairs(pairs);
        let (mut source, mut after) = resume_at(cursor)?;
        let mut out: Vec<(String, String)> = Vec::new();
        while source < SOURCES.len() && out.len() <= limit {
            let room = (limit + 1 - out.len()) as i64;
            let mut exhausted = true;
            match (SOURCES[source], &generated) {
                ("m", Some(lookup)) if lookup.models => {
                    if let Some(model) = &lookup.model_id
                        && after.as_deref().is_none_or(|a| a < model.as_str())
                        && self.store.model(model, None).await?.is_some()
                        && (!restricted || Self::sees_model_twin(reader))
                    {
                        out.push(("m".into(), model.clone()));
                    }
                }
                ("p", Some(lookup)) if lookup.passports => {
                    let heads: Vec<PassportHead> = match &lookup.passport_id {
                        Some(id) => self
                            .store
                            .passport_head(id)
                            .await?
                            .into_iter()
                            .filter(|h| after.as_deref().is_none_or(|a| a < h.id.as_str()))
                            .filter(|h| lookup.model_id.as_ref().is_none_or(|m| *m == h.model_id))
                            .filter(|h| lookup.battery_id.as_ref().is_none_or(|b| *b == h.battery_id))
                            .collect(),
                        None => {
                            // A battery id names one battery (a few passports at most): filter by it alone, so the
                            // store uses its battery index rather than scanning every passport of the model.
                            let filter = match &lookup.battery_id {
                                Some(battery) => {
                                    PassportFilter { battery_id: Some(battery.clone()), ..Default::default() }
                                }
                                None => PassportFilter { model_id: lookup.model_id.clone(), ..Default::default() },
                            };
                            let heads = self.store.list_passports(&filter, after.as_deref(), room).await?;
                            exhausted = (heads.len() as i64) < room;
                            heads
                                .into_iter()
                                .filter(|h| lookup.model_id.as_ref().is_none_or(|m| *m == h.model_id))
                                .collect()
                        }
                    };
                    for head in heads {
                        let id = head.id.clone();
                        if !restricted || self.sees_twin(reader, &head).await? {
                            out.push(("p".into(), id.clone()));
                        }
                        after = Some(id);
                    }
                }
                ("r", _) => {
                    let found = self.store.descriptors(pairs, None, after.as_deref(), room).await?;
                    exhausted = (found.len() as i64) < room;
                    for stored in found {
                        let view = Self::registered_view(&stored, reader);
                        let visible = aas::descriptor::asset_ids(&view);
                        if pairs.iter().all(|p| visible.contains(p)) {
                            out.push(("r".into(), stored.id.clone()));
                        }
                        after = Some(stored.id);
                    }
                }
                _ => {}
            }
            if !exhausted {
                break;
            }
            source += 1;
            after = None;
        }
        let next = if out.len() > limit {
            out.truncate(limit);
            out.last().map(|(source, key)| Cursor(vec![source.clone(), key.clone()]))
        } else if source < SOURCES.len() {
            // A page filtered down by visibility may end early; continue from the last key examined.
            after.map(|key| Cursor(vec![SOURCES[source].to_string(), key]))
        } else {
            None
        };
        let ids = out
            .into_iter()
            .map(|(source, key)| match source.as_str() {
                "m" => twins::shell_id(&TwinOf::Model(key)),
                "p" => twins::shell_id(&TwinOf::Passport(key)),
                _ => key,
            })
            .collect();
        Ok((ids, next))
    }

    /// `GET /lookup/shells/{aasId}`: the asset ids of a shell the reader may see.
    pub async fn shell_asset_links(&self, id: &str, reader: &AasReader) -> Result<Vec<Value>> {
        let endpoints = Endpoints { base_url: String::new(), connector: None };
        let descriptor = self.shell_descriptor(id, reader, &endpoints).await?;
        Ok(aas::descriptor::asset_ids(&descriptor)
            .into_iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect())
    }

    /// `POST /shell-descriptors`: registers a partner's twin. Ids voltpass generates are refused.
    pub async fn register_descriptor(&self, actor: &Actor, body: Value) -> Result<Value> {
        let id = checked_descriptor(&body)?;
        if self.store.descriptor(&id).await?.is_some() {
            return Err(ServiceError::Duplicate(format!("shell descriptor {id} exists; PUT replaces it")));
        }
        let now = OffsetDateTime::now_utc();
        let stored = StoredDescriptor {
            id: id.clone(),
            owner: owner_of(actor),
            body: body.clone(),
            created_at: now,
            updated_at: now,
        };
        self.store
            .put_descriptor(&stored, AuditEvent::new(&actor.id, "aas.descriptor.create", &id, body.clone()))
            .await?;
        Ok(body)
    }

    /// `PUT /shell-descriptors/{id}`: replaces a registered descriptor (its owner or an admin).
    pub async fn replace_descriptor(&self, actor: &Actor, id: &str, body: Value) -> Result<()> {
        if twins::parse_shell_id(id).is_some() {
            return Err(generated_is_read_only(id));
        }
        let body_id = checked_descriptor(&body)?;
        if body_id != id {
            return Err(ServiceError::BadRequest(format!("the body's id {body_id} is not the path's id {id}")));
        }
        let existing =
            self.store.descriptor(id).await?.ok_or_else(|| not_found(format!("no shell descriptor {id}")))?;
        may_change(actor, &existing)?;
        let stored = StoredDescriptor { body: body.clone(), updated_at: OffsetDateTime::now_utc(), ..existing };
        self.store.put_descriptor(&stored, AuditEvent::new(&actor.id, "aas.descriptor.replace", id, body)).await?;
        Ok(())
    }

    /// `DELETE /shell-descriptors/{id}`.
    pub async fn delete_descriptor(&self, actor: &Actor, id: &str) -> Result<()> {
        if twins::parse_shell_id(id).is_some() {
            return Err(generated_is_read_only(id));
        }
        let existing =
            self.store.descriptor(id).await?.ok_or_else(|| not_found(format!("no shell descriptor {id}")))?;
        may_change(actor, &existing)?;
        let event = AuditEvent::new(&actor.id, "aas.descriptor.delete", id, existing.body.clone());
        if !self.store.delete_descriptor(id, event).await? {
            return Err(not_found(format!("no shell descriptor {id}")));
        }
        Ok(())
    }

    /// Changes the submodel descriptors of a registered shell: `change` edits the list, which must stay valid.
    pub async fn edit_submodel_descriptors(
        &self,
        actor: &Actor,
        shell_id: &str,
        change: impl FnOnce(&mut Vec<Value>) -> Result<()>,
    ) -> Result<()> {
        self.edit_list(actor, shell_id, "submodelDescriptors", change).await
    }

    /// Discovery's asset links of a registered shell are its descriptor's `specificAssetIds`: `change` edits them.
    pub async fn edit_asset_links(
        &self,
        actor: &Actor,
        shell_id: &str,
        change: impl FnOnce(&mut Vec<Value>) -> Result<()>,
    ) -> Result<()> {
        self.edit_list(actor, shell_id, "specificAssetIds", change).await
    }

    /// Edits one list member of a registered descriptor (its owner or an admin); the result must stay valid and
    /// is written with its audit entry.
    async fn edit_list(
        &self,
        actor: &Actor,
        shell_id: &str,
        member: &str,
        change: impl FnOnce(&mut Vec<Value>) -> Result<()>,
    ) -> Result<()> {
        if twins::parse_shell_id(shell_id).is_some() {
            return Err(generated_is_read_only(shell_id));
        }
        let existing = self
            .store
            .descriptor(shell_id)
            .await?
            .ok_or_else(|| not_found(format!("no shell descriptor {shell_id}")))?;
        may_change(actor, &existing)?;
        let mut body = existing.body.clone();
        let mut list = body[member].as_array().cloned().unwrap_or_default();
        change(&mut list)?;
        if list.is_empty() {
            body.as_object_mut().map(|o| o.remove(member));
        } else {
            body[member] = Value::Array(list);
        }
        checked_descriptor(&body)?;
        let stored = StoredDescriptor { body: body.clone(), updated_at: OffsetDateTime::now_utc(), ..existing };
        let event = AuditEvent::new(&actor.id, "aas.descriptor.replace", shell_id, body);
        self.store.put_descriptor(&stored, event).await?;
        Ok(())
    }

    /// A submodel in the metamodel, with the content the reader may see.
    pub async fn submodel(&self, id: &str, reader: &AasReader) -> Result<Value> {
        let (kind, value) = self.submodel_content(id, reader).await?;
        Ok(aas::elements::submodel(id, kind.id_short(), kind.semantic_id(), &value))
    }

    /// A submodel's value as its aspect model's JSON schema describes it (what Catena-X consumers read at
    /// `$value`), with the content the reader may see.
    pub async fn submodel_value(&self, id: &str, reader: &AasReader) -> Result<Value> {
        Ok(self.submodel_content(id, reader).await?.1)
    }

    async fn submodel_content(&self, id: &str, reader: &AasReader) -> Result<(SubmodelKind, Value)> {
        if twins::parse_shell_id(id).is_some() {
            return Err(ServiceError::BadRequest(format!("{id} is a shell identifier, not a submodel identifier")));
        }
        let (kind, of) =
            twins::parse_submodel_id(id).ok_or_else(|| not_found(format!("no submodel {id} in this repository")))?;
        let document = self.twin_document(&of, reader).await.map_err(|e| match e {
            ServiceError::NotFound(_) => not_found(format!("no submodel {id} in this repository")),
            other => other,
        })?;
        Ok((kind, submodel_value(kind, &document, id)?))
    }

    /// The document a twin's submodels are built from, as the reader may see it: the composed passport, or the
    /// battery model's record.
    async fn twin_document(&self, of: &TwinOf, reader: &AasReader) -> Result<Value> {
        match of {
            TwinOf::Passport(passport_id) => {
                Ok(self.passport(passport_id, None, reader.actor.as_ref()).await?.document)
            }
            TwinOf::Model(model_id) => {
                let model = self.model(model_id, None).await?;
                let audience = self.model_audience(reader.actor.as_ref(), &model).await?;
                Ok(access::visible(&model.document, audience))
            }
        }
    }

    /// `GET /submodels`: every generated submodel the reader may read, optionally of one semantic id or idShort.
    pub async fn submodels(
        &self,
        semantic_id: Option<&str>,
        id_short: Option<&str>,
        cursor: Option<&Cursor>,
        limit: usize,
        reader: &AasReader,
    ) -> Result<(Vec<Value>, Option<Cursor>)> {
        let kinds: Vec<SubmodelKind> = SubmodelKind::all()
            .into_iter()
            .filter(|k| semantic_id.is_none_or(|s| s == k.semantic_id()))
            .filter(|k| id_short.is_none_or(|s| s == k.id_short()))
            .collect();
        let mut out = Vec::new();
        let mut twin_cursor = None;
        if let Some(Cursor(key)) = cursor {
            // A submodel cursor is (source, twin key, slug of the last submodel served of that twin): first the
            // rest of that twin's submodels, then the twins after it.
            let [source, twin, slug] = key.as_slice() else {
                return Err(ServiceError::BadRequest("cursor was not issued by this server".into()));
            };
            let of = match source.as_str() {
                "m" => TwinOf::Model(twin.clone()),
                "p" => TwinOf::Passport(twin.clone()),
                _ => return Err(ServiceError::BadRequest("cursor was not issued by this server".into())),
            };
            let all = SubmodelKind::of(&of);
            let rest: Vec<SubmodelKind> = match all.iter().position(|k| k.slug() == slug) {
                Some(served) => all[served + 1..].to_vec(),
                None => all,
            };
            if let Some(next) = self.collect_submodels(&of, source, &rest, &kinds, limit, reader, &mut out).await? {
                return Ok((out, Some(next)));
            }
            twin_cursor = Some(Cursor(vec![source.clone(), twin.clone()]));
        }
        loop {
            let (listed, next) = self.list_twins(&TwinQuery::default(), twin_cursor.as_ref(), 50).await?;
            for item in listed {
                let (of, source) = match item {
                    Listed::Model(id) => (TwinOf::Model(id), "m"),
                    Listed::Passport(head) => (TwinOf::Passport(head.id), "p"),
                    Listed::Registered(_) => continue,
                };
                let all = SubmodelKind::of(&of);
                if let Some(next) = self.collect_submodels(&of, source, &all, &kinds, limit, reader, &mut out).await? {
                    return Ok((out, Some(next)));
                }
            }
            match next {
                Some(next) => twin_cursor = Some(next),
                None => return Ok((out, None)),
            }
        }
    }

    /// Appends the submodels of `of` among `kinds` (and `wanted`) to `out`; when the page is full before one of
    /// them, returns the cursor that resumes at it.
    #[allow(clippy::too_many_arguments)]
    async fn collect_submodels(
        &self,
        of: &TwinOf,
        source: &str,
        kinds: &[SubmodelKind],
        wanted: &[SubmodelKind],
        limit: usize,
        reader: &AasReader,
        out: &mut Vec<Value>,
    ) -> Result<Option<Cursor>> {
        let key = match of {
            TwinOf::Model(id) | TwinOf::Passport(id) => id.clone(),
        };
        let kinds: Vec<SubmodelKind> = kinds.iter().copied().filter(|k| wanted.contains(k)).collect();
        if kinds.is_empty() {
            return Ok(None);
        }
        // One read of the twin's document for all its submodels; ended passports are not listed.
        let document = match self.twin_document(of, reader).await {
            Ok(document) => document,
            Err(ServiceError::Gone(_) | ServiceError::Forbidden(_) | ServiceError::NotFound(_)) => return Ok(None),
            Err(other) => return Err(other),
        };
        let mut last_served: Option<&str> = None;
        for kind in kinds {
            let id = twins::submodel_id(kind, of);
            // Content the reader's access group cannot build is not listed.
            let Ok(value) = submodel_value(kind, &document, &id) else { continue };
            if out.len() == limit {
                // Resume after the last one served: of this twin, or of the twin before.
                return Ok(Some(match last_served {
                    Some(slug) => Cursor(vec![source.to_string(), key, slug.to_string()]),
                    None => resume_before(out, source, &key),
                }));
            }
            out.push(aas::elements::submodel(&id, kind.id_short(), kind.semantic_id(), &value));
            last_served = Some(kind.slug());
        }
        Ok(None)
    }
}

/// One submodel's value from its twin's document; refused when the reader's view lacks what the format needs.
fn submodel_value(kind: SubmodelKind, document: &Value, id: &str) -> Result<Value> {
    kind.value(document).map_err(|e| {
        ServiceError::Forbidden(format!(
            "submodel {id} cannot be built from what your access group may read ({e}); the IDTA parts can"
        ))
    })
}

/// The cursor that resumes at the first submodel of twin (`source`, `key`) when the page filled up exactly at
/// the end of the previous twin: that twin's last submodel, read back from the page.
fn resume_before(out: &[Value], source: &str, key: &str) -> Cursor {
    let last = out.last().and_then(|sm| sm["id"].as_str()).and_then(twins::parse_submodel_id);
    match last {
        Some((kind, TwinOf::Model(id))) => Cursor(vec!["m".into(), id, kind.slug().into()]),
        Some((kind, TwinOf::Passport(id))) => Cursor(vec!["p".into(), id, kind.slug().into()]),
        // Unreachable with a non-empty page; restart at this twin's beginning.
        None => Cursor(vec![source.to_string(), key.to_string(), String::new()]),
    }
}

/// Where a twin listing resumes: the index of the source in [`SOURCES`] and the last key served there.
fn resume_at(cursor: Option<&Cursor>) -> Result<(usize, Option<String>)> {
    match cursor {
        None => Ok((0, None)),
        Some(Cursor(key)) => match key.as_slice() {
            [source, last] => SOURCES
                .iter()
                .position(|s| s == source)
                .map(|i| (i, Some(last.clone())))
                .ok_or_else(|| ServiceError::BadRequest("cursor was not issued by this server".into())),
            _ => Err(ServiceError::BadRequest("cursor was not issued by this server".into())),
        },
    }
}

fn facts(head: &PassportHead) -> PassportFacts {
    PassportFacts {
        passport_id: head.id.clone(),
        battery_id: head.battery_id.clone(),
        model_id: head.model_id.clone(),
        status: if head.status == CEASED { "ended".into() } else { head.status.clone() },
    }
}

/// The actor standing for a Catena-X partner's BPN in grants.
pub fn bpn_actor_id(bpn: &str) -> String {
    format!("bpn:{bpn}")
}

/// `BPNL` + 12 upper-case letters or digits (also BPNS sites and BPNA addresses).
pub fn is_bpn(text: &str) -> bool {
    text.len() == 16
        && ["BPNL", "BPNS", "BPNA"].iter().any(|p| text.starts_with(p))
        && text[4..].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn owner_of(actor: &Actor) -> String {
    match (actor.role, &actor.organisation) {
        (Role::EconomicOperator, Some(org)) => org.clone(),
        _ => actor.id.clone(),
    }
}

fn owns(actor: &Actor, stored: &StoredDescriptor) -> bool {
    actor.role == Role::Admin || owner_of(actor) == stored.owner
}

fn may_change(actor: &Actor, stored: &StoredDescriptor) -> Result<()> {
    if owns(actor, stored) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("shell descriptor {} belongs to {}", stored.id, stored.owner)))
    }
}

fn generated_is_read_only(id: &str) -> ServiceError {
    ServiceError::Lifecycle(format!(
        "shell descriptor {id} is generated from a passport or battery model; change the passport or model instead"
    ))
}

/// The descriptor's id after the metamodel checks; voltpass's own id space is refused.
fn checked_descriptor(body: &Value) -> Result<String> {
    aas::check_shell_descriptor(body).map_err(|errors| ServiceError::BadRequest(errors.join("; ")))?;
    let id = body["id"].as_str().unwrap_or_default().to_string();
    if id.starts_with("urn:voltpass:") {
        return Err(ServiceError::BadRequest(format!(
            "{id}: identifiers starting urn:voltpass: are reserved for generated twins"
        )));
    }
    Ok(id)
}

/// What generated twins a lookup can match, from the asset ids asked for.
struct GeneratedLookup {
    models: bool,
    passports: bool,
    model_id: Option<String>,
    battery_id: Option<String>,
    passport_id: Option<String>,
}

impl GeneratedLookup {
    fn from_pairs(pairs: &[(String, String)]) -> Option<GeneratedLookup> {
        let mut lookup =
            GeneratedLookup { models: true, passports: true, model_id: None, battery_id: None, passport_id: None };
        let set = |slot: &mut Option<String>, value: &str| match slot {
            Some(existing) if existing != value => false,
            _ => {
                *slot = Some(value.to_string());
                true
            }
        };
        for (name, value) in pairs {
            let consistent = match name.as_str() {
                "manufacturerPartId" => set(&mut lookup.model_id, value),
                "partInstanceId" | "batteryIdentifier" => {
                    lookup.models = false;
                    set(&mut lookup.battery_id, value)
                }
                "batteryPassportIdentifier" => {
                    lookup.models = false;
                    set(&mut lookup.passport_id, value)
                }
                "digitalTwinType" if value == "PartInstance" => {
                    lookup.models = false;
                    true
                }
                "digitalTwinType" if value == "PartType" => {
                    lookup.passports = false;
                    true
                }
                "assetLifecyclePhase" if value == "AsBuilt" => {
                    lookup.models = false;
                    true
                }
                "assetLifecyclePhase" if value == "AsPlanned" => {
                    lookup.passports = false;
                    true
                }
                _ => false,
            };
            if !consistent {
                return None;
            }
        }
        // Type twins are found by their part id only.
        lookup.models &= lookup.model_id.is_some();
        (lookup.models || lookup.passports).then_some(lookup)
    }
}
