//! The tools behind `make dev` and `make bench` (their binaries are in `src/bin`): what is shared
//! among them is the benchmark's statistics and report.

pub mod bench;
