//! SLA arithmetic: business calendars and the clocks of a case. Pure: `now` is an argument.

pub mod calendar;
pub mod clock;
pub mod table;
