//! 工作台: each person's home page — what they must do now, by what their role lets them do: the
//! officer's assignments, the dispatcher's overdue clocks, the mediator's disputes by time left, the
//! legal supervisor's open alerts, the grid worker's reports and grid-tier disputes, the leader's
//! headline figures with their trend, and everyone's unread notifications. Read-only: it links to the
//! pages where the work is done.

pub mod pages;
