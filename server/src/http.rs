//! placeholder until the lead lands it
