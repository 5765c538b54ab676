//! 警网融合 (police–grid data sharing). Changes partners may need emit events into the outbox in the
//! transaction of the change (`pingan_store::outbox`; the store's write functions emit them, so
//! every path that makes a change tells of it). Here: the events' published contract, an AsyncAPI
//! 3.0 document at `/api/asyncapi.json` generated from the same field lists the payloads are checked
//! against (`pingan_domain::sharing`).
//!
//! Not yet built (issue 24): sharing agreements, webhook and JetStream delivery, inbound events and
//! the admin pages; events for cases, tasks, risks, visits and alerts.

pub mod asyncapi;
