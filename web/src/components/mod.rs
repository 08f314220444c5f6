//! Presentational pieces driven only by their props: no context, no HTTP.

pub mod account_summary;
pub mod activity_calendar;
pub mod activity_details;
pub mod activity_form;
pub mod activity_table;
pub mod app_header;
pub mod birth_date_input;
pub mod chart;
pub mod fields;
pub mod figures_chart;
pub mod figures_controls;
pub mod figures_result;
pub mod function_totals;
pub mod individual_person;
pub mod messages;
pub mod pagination;
pub mod participant_checklist;
pub mod participant_detail;
pub mod participation_history;
pub mod person_card;
pub mod person_details;
pub mod person_form;
pub mod person_picker;
pub mod person_table;
pub mod stats_table;
pub mod time_field;
