//! Writing the operations log, for the API and the command line alike: an input checked by the
//! domain (`domain::ops_log`), then stored with its audit row. The audit row's target is the
//! record's number (`inquiry:12`), its detail the kind and state — never the free text.

use chrono::{DateTime, Utc};
use serde_json::json;
use shared::dto::ops_log::{ChangeInput, IncidentInput, InquiryInput, MaintenanceInput};
use shared::error::FieldError;

use crate::domain::audit::AuditDraft;
use crate::domain::ops_log::{
    Change, ChangeRecord, Incident, IncidentRecord, Inquiry, InquiryRecord, Maintenance, MaintenanceRecord,
};
use crate::store::{CommonStore, StoreError};

/// Why a write to the log did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("invalid record")]
    Invalid(Vec<FieldError>),
    /// A maintenance window that has begun cannot be cancelled.
    #[error("the maintenance window has begun")]
    Begun,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Vec<FieldError>> for LogError {
    fn from(e: Vec<FieldError>) -> Self {
        LogError::Invalid(e)
    }
}

/// The audit row's target for a record.
pub fn target(kind: &str, id: i64) -> String {
    format!("{kind}:{id}")
}

async fn inquiry_record(
    store: &dyn CommonStore,
    input: &InquiryInput,
    now: DateTime<Utc>,
) -> Result<InquiryRecord, LogError> {
    let codes = store.codes().await?;
    let centers: Vec<String> = store.centers().await?.into_iter().map(|c| c.code).collect();
    Ok(InquiryRecord::parse(input, &codes, &centers, now)?)
}

pub async fn add_inquiry(
    store: &dyn CommonStore,
    input: &InquiryInput,
    by: &str,
    audit: AuditDraft<Inquiry>,
    now: DateTime<Utc>,
) -> Result<Inquiry, LogError> {
    let record = inquiry_record(store, input, now).await?;
    let audit = audit.completed_by(|e, i: &Inquiry| {
        e.target = Some(target("inquiry", i.id));
        e.set_detail(json!({"category": i.record.category, "source_kind": i.record.source_kind,
                            "answered": i.record.first_answered_at.is_some(), "closed": i.record.closed_at.is_some()}));
    });
    Ok(store.create_inquiry(&record, by, now, audit).await?)
}

pub async fn edit_inquiry(
    store: &dyn CommonStore,
    id: i64,
    input: &InquiryInput,
    audit: AuditDraft<Inquiry>,
    now: DateTime<Utc>,
) -> Result<Inquiry, LogError> {
    let record = inquiry_record(store, input, now).await?;
    let audit = audit.completed_by(|e, i: &Inquiry| {
        e.set_detail(
            json!({"answered": i.record.first_answered_at.is_some(), "closed": i.record.closed_at.is_some(),
                            "work_minutes": i.record.work_minutes}),
        );
    });
    Ok(store.update_inquiry(id, &record, now, audit).await?)
}

pub async fn add_incident(
    store: &dyn CommonStore,
    input: &IncidentInput,
    by: &str,
    audit: AuditDraft<Incident>,
    now: DateTime<Utc>,
) -> Result<Incident, LogError> {
    let record = IncidentRecord::parse(input, now)?;
    let audit = audit.completed_by(|e, i: &Incident| {
        e.target = Some(target("incident", i.id));
        e.set_detail(json!({"kind": i.record.kind}));
    });
    Ok(store.create_incident(&record, by, now, audit).await?)
}

pub async fn edit_incident(
    store: &dyn CommonStore,
    id: i64,
    input: &IncidentInput,
    audit: AuditDraft<Incident>,
    now: DateTime<Utc>,
) -> Result<Incident, LogError> {
    let record = IncidentRecord::parse(input, now)?;
    let audit = audit.completed_by(|e, i: &Incident| {
        e.set_detail(
            json!({"triaged": i.record.triaged_at.is_some(), "resolved": i.record.resolved_at.is_some(),
                            "work_minutes": i.record.work_minutes}),
        );
    });
    Ok(store.update_incident(id, &record, now, audit).await?)
}

pub async fn add_change(
    store: &dyn CommonStore,
    input: &ChangeInput,
    by: &str,
    audit: AuditDraft<Change>,
    now: DateTime<Utc>,
) -> Result<Change, LogError> {
    let record = ChangeRecord::parse(input, now)?;
    let audit = audit.completed_by(|e, c: &Change| {
        e.target = Some(target("change", c.id));
        e.set_detail(json!({"kind": c.record.kind}));
    });
    Ok(store.create_change(&record, by, now, audit).await?)
}

pub async fn edit_change(
    store: &dyn CommonStore,
    id: i64,
    input: &ChangeInput,
    audit: AuditDraft<Change>,
    now: DateTime<Utc>,
) -> Result<Change, LogError> {
    let record = ChangeRecord::parse(input, now)?;
    Ok(store.update_change(id, &record, now, audit).await?)
}

pub async fn add_maintenance(
    store: &dyn CommonStore,
    input: &MaintenanceInput,
    by: &str,
    audit: AuditDraft<Maintenance>,
    now: DateTime<Utc>,
) -> Result<Maintenance, LogError> {
    let record = MaintenanceRecord::parse(input, now)?;
    let audit = audit.completed_by(|e, m: &Maintenance| {
        e.target = Some(target("maintenance", m.id));
    });
    Ok(store.create_maintenance(&record, by, now, audit).await?)
}

/// Cancels a window that has not begun.
pub async fn cancel_maintenance(
    store: &dyn CommonStore,
    id: i64,
    audit: AuditDraft<Maintenance>,
    now: DateTime<Utc>,
) -> Result<Maintenance, LogError> {
    let current = store.maintenance(id).await?;
    if current.cancelled_at.is_none() && current.record.starts_at <= now {
        return Err(LogError::Begun);
    }
    Ok(store.cancel_maintenance(id, now, audit).await?)
}
