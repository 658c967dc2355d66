//! Paging through AWS Incident Manager.

mod incident_manager;

pub use incident_manager::{cut, AwsError, IncidentManager, StartIncident, RAW_DATA_MAX};
