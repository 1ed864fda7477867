//! The server side: building 402 challenges from route configuration, and
//! deciding whether a payment header pays a route (decode, match, verify).
//! Settlement and replay storage are the shell's part (they need I/O).

pub mod gate;
mod identifier;
mod offers;
pub mod route;

pub use gate::{Decision, Gate, GateOptions, PaymentCheck, check_payment};
pub use route::{Route, RouteConfig};
