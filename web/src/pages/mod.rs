//! One routed page per file; pages read the session from context and call `crate::api`.

pub mod accounts;
pub mod activity_calendar;
pub mod activity_day;
pub mod activity_detail;
pub mod activity_edit;
pub mod activity_editor;
pub mod activity_new;
pub mod figures;
pub mod home;
pub mod login;
pub mod not_found;
pub mod ops_changes;
pub mod ops_incidents;
pub mod ops_inquiries;
pub mod ops_maintenance;
pub mod ops_reports;
pub mod overview;
pub mod password;
pub mod period_locks;
pub mod person_detail;
pub mod person_edit;
pub mod person_end;
pub mod person_list;
pub mod person_new;
pub mod person_page;
pub mod sync_status;
