//! What a joint meeting (`meetings`) uses of supervised tasks: a decision assigns tasks in its own
//! transaction (`assign_in` with `FromDecision`), and the meeting shows the tasks each decision
//! assigned. Attachments are references like a task's evidence.

pub use super::{
    Evidence, FromDecision, Link, NewSupervisedTask, Task, TaskQuery, assign_in, list,
};
pub(crate) use super::{check_reference, linkable, view};
