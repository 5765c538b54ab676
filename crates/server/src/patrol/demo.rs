//! Demo patrol zones and plans.
