//! docs/benchmarks.md: what `lambda-bench` measured, written out with the targets it is held to.

use std::fmt::Write as _;

use super::plan::{PAGES, SPREAD_PAGES};
use super::Percentiles;

/// register and login are timed in blocks of this many warm invocations, each block after half
/// as many argon2id verifications in the benchmark process.
pub const INTERLEAVED_BLOCK: usize = 20;

/// How the numbers were taken.
#[derive(Debug)]
pub struct Setup {
    pub written_at: String,
    pub machine: String,
    /// Where the functions and DynamoDB Local ran, and how DynamoDB Local was warmed.
    pub placement: String,
    pub memory_mb: &'static str,
    pub cold_runs: usize,
    pub warm_runs: usize,
    pub slow_warm_runs: usize,
}

/// One function's measurements (milliseconds unless named otherwise).
#[derive(Debug)]
pub struct FunctionResult {
    pub name: &'static str,
    pub init: Percentiles,
    pub first: Percentiles,
    pub cold: Percentiles,
    /// Whether `cold` excludes one argon2 hash (register and login).
    pub cold_excludes_hash: bool,
    pub warm: Percentiles,
    /// For register and login: argon2id verifications timed between their warm invocations.
    pub yardstick: Option<Percentiles>,
    pub peak_rss_mib: f64,
    pub size_mib: f64,
}

/// What passwords cost, measured in the benchmark process and through login.
#[derive(Debug)]
pub struct PasswordCosts {
    /// A verification as this API does it (one reused buffer).
    pub verification: Percentiles,
    /// A verification through the `argon2` crate's `PasswordVerifier` (memory per call).
    pub reference: Percentiles,
    /// The first hash of a fresh process.
    pub first_in_fresh_process: Percentiles,
    pub wrong_password: Percentiles,
    pub unknown_email: Percentiles,
}

/// MiB, as the table shows them, in the MB (10^6 bytes) the targets are set in.
fn mb(mib: f64) -> f64 {
    mib * 1.048_576
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**not met**"
    }
}

/// The function with the highest `value` among those `included`.
fn worst(
    results: &[FunctionResult],
    value: impl Fn(&FunctionResult) -> f64,
    included: impl Fn(&FunctionResult) -> bool,
) -> (&'static str, f64) {
    results
        .iter()
        .filter(|r| included(r))
        .map(|r| (r.name, value(r)))
        .fold(("", f64::MIN), |a, b| if b.1 > a.1 { b } else { a })
}

fn find<'a>(results: &'a [FunctionResult], name: &str) -> Option<&'a FunctionResult> {
    results.iter().find(|r| r.name == name)
}

fn functions_section(out: &mut String, setup: &Setup, results: &[FunctionResult]) {
    let Setup {
        cold_runs,
        warm_runs,
        slow_warm_runs,
        ..
    } = setup;
    let _ = writeln!(out, "- **Init**: process start to its first `GET /runtime/invocation/next` (Lambda's Init Duration); p50 of {cold_runs} cold starts.");
    let _ = writeln!(out, "- **First**: the first invocation of a fresh process (connection set-up included); p50 of {cold_runs}.");
    let _ = writeln!(out, "- **Cold**: init + first, p50. `*` excludes one argon2id hash as a fresh process pays for it, timed in a fresh process just before each cold start (see Passwords).");
    let _ = writeln!(out, "- **Warm**: later invocations of one process; {warm_runs} runs ({slow_warm_runs} for register and login). Event handed over to response received.");
    let _ = writeln!(out, "- **RSS**: peak resident memory (VmHWM) after the warm runs. **Size**: the binary as built. Both in MiB; the targets below convert them to the MB (10^6 bytes) they are set in.\n");
    let _ = writeln!(out, "| function | init ms | first ms | cold ms | warm p50 ms | warm p90 ms | warm p99 ms | peak RSS MiB | size MiB |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let _ = writeln!(
            out,
            "| {} | {:.1} | {:.1} | {:.1}{} | {:.2} | {:.2} | {:.2} | {:.1} | {:.2} |",
            r.name,
            r.init.p50,
            r.first.p50,
            r.cold.p50,
            if r.cold_excludes_hash { "*" } else { "" },
            r.warm.p50,
            r.warm.p90,
            r.warm.p99,
            r.peak_rss_mib,
            r.size_mib,
        );
    }
}

fn passwords_section(
    out: &mut String,
    setup: &Setup,
    results: &[FunctionResult],
    costs: &PasswordCosts,
) {
    let argon2 = costs.verification;
    let _ = writeln!(out, "\n## Passwords\n");
    let _ = writeln!(
        out,
        "One argon2id verification (m=19 MiB, t=2, p=1) on one core here, as this API does it \
         (one reused 19 MiB buffer): p50 {:.1} ms, p90 {:.1} ms. Through the `argon2` crate's \
         `PasswordVerifier`, which allocates the memory per call: p50 {:.1} ms. The first hash of \
         a fresh process, which also allocates and first touches the buffer: p50 {:.1} ms (of \
         {} processes, one before each cold start of register and login).\n",
        argon2.p50,
        argon2.p90,
        costs.reference.p50,
        costs.first_in_fresh_process.p50,
        2 * setup.cold_runs
    );
    let _ = writeln!(out, "What register and login add to their argon2id operation: their warm p50 against verifications timed over the same stretch, in blocks of {} between blocks of {} invocations (timing one after every invocation would evict the function's 19 MiB from the cache each time):\n", INTERLEAVED_BLOCK / 2, INTERLEAVED_BLOCK);
    let _ = writeln!(
        out,
        "| function | warm p50 ms | argon2id p50 ms | the rest of the request |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for r in results {
        if let Some(yardstick) = r.yardstick {
            let _ = writeln!(
                out,
                "| {} | {:.1} | {:.1} | {:+.1} ms ({:+.0} %) |",
                r.name,
                r.warm.p50,
                yardstick.p50,
                r.warm.p50 - yardstick.p50,
                (r.warm.p50 / yardstick.p50 - 1.0) * 100.0
            );
        }
    }
    let round_trip = find(results, "get-product").map_or(f64::NAN, |r| r.warm.p50);
    let _ = writeln!(out, "\nLogin's own work besides the verification is two round trips' worth of storage and an Ed25519 signature: before argon2, the account read and both failed-login reservations (conditional increments) at once; after it, the session written, the email's failures cleared and the IP's reservation given back, at once. A round trip is about get-product's warm p50 ({round_trip:.2} ms). register adds two conditional writes, the registration counter before hashing and the account after it. Differences under a millisecond are within how much argon2 itself moves between blocks here.");
    let (wrong, unknown) = (costs.wrong_password, costs.unknown_email);
    let _ = writeln!(out, "\nLogin failures, warm p50 / p90: wrong password {:.1} / {:.1} ms, unknown email {:.1} / {:.1} ms. Both verify one hash (a dummy one for unknown emails), so their times match and reveal nothing.\n", wrong.p50, wrong.p90, unknown.p50, unknown.p90);
    let _ = writeln!(out, "Lambda gives a function CPU in proportion to its memory (one full vCPU at 1,769 MB). The verification above at Lambda sizes, scaled from this core:\n");
    let _ = writeln!(out, "| memory | CPU share | argon2id verification |");
    let _ = writeln!(out, "|---:|---:|---:|");
    for memory in [512.0_f64, 1024.0, 1769.0] {
        let share = (memory / 1769.0).min(1.0);
        let _ = writeln!(
            out,
            "| {memory:.0} MB | {:.0} % | ~{:.0} ms |",
            share * 100.0,
            argon2.p50 / share
        );
    }
    let _ = writeln!(out, "\nregister and login are deployed at 1,024 MB (template.yaml): a login costs about {:.0} ms of argon2 there, against {:.0} ms at 512 MB, for twice the memory price over a few tens of milliseconds. Every other function runs at 256 MB or less: their work is I/O and their peak RSS is far below it.", argon2.p50 / (1024.0 / 1769.0), argon2.p50 / (512.0 / 1769.0));
}

/// What DynamoDB Local itself takes, timed in the benchmark process with the functions' client:
/// get-product's GetItem, and the listing's Query of 20 and of 100 items from one partition,
/// with the read units it reports for each.
#[derive(Debug, Clone, Copy)]
pub struct StorageFloor {
    pub get_item: Percentiles,
    pub query_20: Percentiles,
    pub query_100: Percentiles,
    pub query_20_units: f64,
    pub query_100_units: f64,
}

/// DynamoDB Local's own reads the catalogue's targets compare with, timed in the benchmark
/// process beside the functions.
pub const FLOOR_GET_ITEM: &str = "DynamoDB Local: GetItem";
pub const FLOOR_QUERY_20: &str = "DynamoDB Local: Query of 20";
pub const FLOOR_QUERY_100: &str = "DynamoDB Local: Query of 100";
pub const FLOORS: [&str; 3] = [FLOOR_GET_ITEM, FLOOR_QUERY_20, FLOOR_QUERY_100];

/// Samples of each contender the catalogue's targets compare, timed over the same stretch.
pub const CATALOGUE_RUNS: usize = 300;

/// What one list page reads, made in the benchmark process through the store as the function
/// makes it: the items DynamoDB returned and the read units it reports for them.
#[derive(Debug, Clone, Copy)]
pub struct PageCost {
    pub name: &'static str,
    pub shards: u16,
    pub read: usize,
    pub read_units: f64,
}

fn catalogue_section(
    out: &mut String,
    results: &[FunctionResult],
    floor: &StorageFloor,
    pages: &[PageCost],
    compared: &[(&'static str, Percentiles)],
) {
    let _ = writeln!(out, "\n## Catalogue pages and safe writes\n");
    let get = find(results, "get-product").map_or(f64::NAN, |r| r.warm.p50);
    let spread = pages.iter().map(|page| page.shards).max().unwrap_or(1);
    let _ = writeln!(out, "The default deployment declares 1,000 creates a second, which one listing shard absorbs: a page is one Query of `limit + 1` items from one partition. The pages marked @10k/s run as a deployment declaring 10,000 creates a second does, over the same products laid out in its {spread} shards: each page merges {spread} Queries, which DynamoDB would serve from separate partitions at once and DynamoDB Local answers one after another from one JVM and one SQLite file. Read units are DynamoDB Local's own count (`ReturnConsumedCapacity`) for the Queries each page makes, made once in the benchmark process through the same store code; $ per million pages at us-east-1's on-demand $0.125 per million read units.\n");
    let _ = writeln!(
        out,
        "| request | shards | warm p50 ms | warm p99 ms | against get-product p50 | items read | read units | $ per million |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    let cost_of = |name: &str| pages.iter().find(|page| page.name == name);
    for name in ["get-product"]
        .into_iter()
        .chain(PAGES.iter().map(|page| page.0))
        .chain(SPREAD_PAGES.iter().map(|page| page.0))
    {
        if let Some(r) = find(results, name) {
            let (shards, read, units) =
                cost_of(name).map_or(("-".to_owned(), "-".to_owned(), "-".to_owned()), |page| {
                    (
                        page.shards.to_string(),
                        page.read.to_string(),
                        format!("{:.1}", page.read_units),
                    )
                });
            let dollars = cost_of(name).map_or("-".to_owned(), |page| {
                format!("{:.3}", page.read_units * READ_UNIT_PRICE)
            });
            let _ = writeln!(
                out,
                "| {name} | {shards} | {:.2} | {:.2} | {:.1}× | {read} | {units} | {dollars} |",
                r.warm.p50,
                r.warm.p99,
                r.warm.p50 / get
            );
        }
    }
    for (name, timing, units, items) in [
        (
            "DynamoDB Local: Query of 20",
            floor.query_20,
            floor.query_20_units,
            20,
        ),
        (
            "DynamoDB Local: Query of 100",
            floor.query_100,
            floor.query_100_units,
            100,
        ),
    ] {
        let _ = writeln!(
            out,
            "| {name} | 1 | {:.2} | {:.2} | {:.1}× | {items} | {units:.1} | {:.3} |",
            timing.p50,
            timing.p99,
            timing.p50 / get,
            units * READ_UNIT_PRICE
        );
    }
    for name in [
        "create-product",
        "create-product Idempotency-Key",
        "create-product Idempotency-Key replayed",
        "update-product",
        "patch-product",
    ] {
        if let Some(r) = find(results, name) {
            let _ = writeln!(
                out,
                "| {name} | - | {:.2} | {:.2} | {:.1}× | - | - | - |",
                r.warm.p50,
                r.warm.p99,
                r.warm.p50 / get
            );
        }
    }
    let _ = writeln!(out, "\nThe targets compare timings taken over the same stretch: get-product, the three pages and DynamoDB Local's own reads in turn, in blocks of 10, {CATALOGUE_RUNS} of each, every one started once its process is idle and 1 ms later (the machine's pace drifts over a run by more than the differences compared):\n");
    let _ = writeln!(out, "| over the same stretch | p50 ms | p90 ms | p99 ms |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for (name, timing) in compared {
        let _ = writeln!(
            out,
            "| {name} | {:.3} | {:.3} | {:.3} |",
            timing.p50, timing.p90, timing.p99
        );
    }
    let _ = writeln!(out);
    let p50_of = |name: &str| {
        compared
            .iter()
            .find(|(compared, _)| *compared == name)
            .map_or(f64::NAN, |(_, timing)| timing.p50)
    };
    let (get, page) = (p50_of("get-product"), p50_of(PAGES[0].0));
    let ratio = page / get;
    let _ = writeln!(out, "Target: the default page's warm p50 within 2× get-product's: {page:.2} ms against {get:.2} ms, {ratio:.2}× — {}.\n", verdict(ratio <= 2.0));
    let query_100 = p50_of(FLOOR_QUERY_100);
    let ceiling = query_100 + get;
    for (name, _) in &PAGES[1..] {
        let page = p50_of(name);
        let _ = writeln!(out, "Target: {name} warm p50 within DynamoDB Local's Query of 100 plus get-product's p50 ({query_100:.2} + {get:.2} = {ceiling:.2} ms): {page:.2} ms — {}.\n", verdict(page <= ceiling));
    }
    if let (Some(list), Some(get_product)) =
        (find(results, PAGES[0].0), find(results, "get-product"))
    {
        let ratio = list.cold.p50 / get_product.cold.p50;
        let _ = writeln!(out, "Target: list-products' cold start within 1.5× get-product's: {:.1} ms against {:.1} ms, {ratio:.2}× — {}.\n", list.cold.p50, get_product.cold.p50, verdict(ratio <= 1.5));
    }
    if let Some(page) = cost_of(PAGES[0].0) {
        let ratio = page.read_units / floor.query_20_units;
        let _ = writeln!(out, "Target: read units of the default page within 1.5× one Query returning its 20 products: {:.1} against {:.1}, {ratio:.2}× — {}.", page.read_units, floor.query_20_units, verdict(ratio <= 1.5));
    }
    if let (Some(plain), Some(keyed), Some(replayed)) = (
        find(results, "create-product"),
        find(results, "create-product Idempotency-Key"),
        find(results, "create-product Idempotency-Key replayed"),
    ) {
        let _ = writeln!(out, "\nAn Idempotency-Key adds one conditional put before the create (the record, started) and one item to its transaction (the record, completed): {:+.2} ms at p50. A replay reads nothing but that conditional put's refusal, which returns the stored response: {:.2} ms against {:.2} ms for the create it replays.", keyed.warm.p50 - plain.warm.p50, replayed.warm.p50, plain.warm.p50);
    }
}

/// One function's warm latency with the rate limiter off and on, in the same run.
#[derive(Debug, Clone, Copy)]
pub struct LimiterCost {
    pub function: &'static str,
    pub off: Percentiles,
    pub on: Percentiles,
    /// Warm invocations timed of each.
    pub runs: usize,
}

/// DynamoDB on-demand prices in us-east-1, dollars per million request units.
const READ_UNIT_PRICE: f64 = 0.125;
const WRITE_UNIT_PRICE: f64 = 0.625;

/// The request units one request of `function` costs, limiter off, as (reads, writes): items
/// under 1 KB, strongly consistent reads. The limiter adds one write unit (its counter).
fn request_units(function: &str) -> (u32, u32) {
    match function {
        // One GetItem.
        "get-product" => (1, 0),
        // The account and session (BatchGetItem of two); one transaction of seven items at two
        // units each (the account's condition check, the product, its three search entries for
        // "Desk lamp" in "lighting", its two total counters); and sixteen index entries (three
        // listing, three category, the owner's, three for each search entry).
        "create-product" => (2, 30),
        _ => (0, 0),
    }
}

fn limiter_section(out: &mut String, limiter: &[LimiterCost]) {
    let _ = writeln!(out, "\n## What the rate limit costs\n");
    let _ = writeln!(out, "Every counted request bumps its client's counter (one UpdateItem). A write is counted before it runs (a conditional increment that refuses past the budget), so it pays that round trip. A read is answered without waiting for its counter: the response is posted as soon as the read is done, and the counter's write runs after it, before the function asks for its next event (a `lambda_runtime` layer; the client does not wait, the invocation's billed duration includes it). The two processes below run the same binary, one with `RATE_LIMIT_REQUESTS=0`, invoked in alternating blocks of 10 within this run, {} warm invocations each. Each invocation starts once its process is idle (its after-response work done) and 1 ms later, in both processes alike: DynamoDB Local serves every table from one JVM and one SQLite database, and a read arriving within a millisecond of a write to another table pays for work that write left behind (measured while choosing this method: +0.2 ms at p50 after the counter's write, nothing measurable after a GetItem in its place); in DynamoDB the limits table's partitions are not the products table's:\n", limiter.first().map_or(0, |cost| cost.runs));
    let _ = writeln!(
        out,
        "| function | off p50 ms | on p50 ms | added p50 | off p99 ms | on p99 ms | added p99 |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    for cost in limiter {
        let _ = writeln!(
            out,
            "| {} | {:.3} | {:.3} | {:+.3} ms | {:.3} | {:.3} | {:+.3} ms |",
            cost.function,
            cost.off.p50,
            cost.on.p50,
            cost.on.p50 - cost.off.p50,
            cost.off.p99,
            cost.on.p99,
            cost.on.p99 - cost.off.p99,
        );
    }
    let _ = writeln!(out, "\nWhat DynamoDB charges per million requests (on-demand, us-east-1: ${READ_UNIT_PRICE} per million read units, ${WRITE_UNIT_PRICE} per million write units; items under 1 KB):\n");
    let _ = writeln!(
        out,
        "| function | units off | $ per million off | units on | $ per million on |"
    );
    let _ = writeln!(out, "|---|---|---:|---|---:|");
    for cost in limiter {
        let (reads, writes) = request_units(cost.function);
        let price = |reads: u32, writes: u32| {
            f64::from(reads) * READ_UNIT_PRICE + f64::from(writes) * WRITE_UNIT_PRICE
        };
        let _ = writeln!(
            out,
            "| {} | {reads} read, {writes} write | {:.3} | {reads} read, {} write | {:.3} |",
            cost.function,
            price(reads, writes),
            writes + 1,
            price(reads, writes + 1),
        );
    }
    let _ = writeln!(out, "\nThe counter items expire with their window (TTL), so storage stays at one small item per active client. A client an instance knows to be over its budget is refused with no storage call at all, so a flood from one client costs the counter writes of its budget, not one per request.");
    if let Some(get) = limiter.iter().find(|cost| cost.function == "get-product") {
        let added = get.on.p50 - get.off.p50;
        let _ = writeln!(out, "\nTarget: get-product warm p50 with the limiter on within 0.1 ms of off: {added:+.3} ms — {}.", verdict(added <= 0.1));
    }
}

fn sessions_section(out: &mut String, results: &[FunctionResult], limiter: &[LimiterCost]) {
    let _ = writeln!(out, "\n## What sessions cost\n");
    let round_trip = limiter
        .iter()
        .find(|cost| cost.function == "get-product")
        .map_or(f64::NAN, |cost| cost.off.p50);
    let create_off = limiter
        .iter()
        .find(|cost| cost.function == "create-product")
        .map_or(f64::NAN, |cost| cost.off.p50);
    let profile = find(results, "profile").map_or(f64::NAN, |r| r.warm.p50);
    let _ = writeln!(out, "Every authenticated request reads the account and its session in one consistent BatchGetItem of two items before it acts. profile answers from that same read, so the session check costs it nothing: its warm p50 is {profile:.2} ms, about one round trip. A write pays that one round trip before its own: create-product with the limiter off (the session read, then the put) takes {create_off:.2} ms, where a lone read (get-product, limiter off) takes {round_trip:.2} ms. Login adds its session write to the writes it already made after argon2 (see Passwords).");
    let argon2 = find(results, "login")
        .and_then(|r| r.yardstick)
        .map_or(f64::NAN, |y| y.p50);
    let _ = writeln!(out, "\nThe last run before sessions (2026-11-25) measured login 23.02, profile 0.51 and create-product 0.91 ms warm p50, on a machine whose argon2id verification took 21.4 ms where this one's takes {argon2:.1} ms: figures from two machines this far apart say little about each other, which is why the costs above are measured within this run.");
    let _ = writeln!(out, "\nIn DynamoDB units (items under 1 KB): an authenticated request adds 2 read request units (two strongly consistent item reads), about $0.25 per million requests at us-east-1's on-demand $0.125 per million read units. A successful login costs 1 read unit (the account), 5 write units (two reservations, the session, clearing the account's failures, giving back the IP's reservation) and one Query of the user's unexpired sessions, which keeps them to 50 live ones (1 read unit for up to about 4 KB of sessions, so a few; at most 100 items are read); about $3.25 per million logins at $0.125 and $0.625 per million read and write units.");
}

/// Forgot-password's answers for an existing account and a missing one.
#[derive(Debug, Clone, Copy)]
pub struct ForgotTiming {
    pub existing: Percentiles,
    pub missing: Percentiles,
    pub runs: usize,
}

fn forgot_section(out: &mut String, forgot: &ForgotTiming) {
    let difference = (forgot.existing.p50 - forgot.missing.p50).abs();
    let relative = 100.0 * difference / forgot.missing.p50.min(forgot.existing.p50);
    let _ = writeln!(out, "\n## Forgot-password tells no account apart\n");
    let _ = writeln!(out, "`POST /api/auth/password/forgot` answers 202 alike for every email; the account is looked up, and a reset mail owed, only after the answer is posted. Its answers in one warm process, for an existing account and a missing one alternating in blocks of 10, {} of each (the forgot and reset-mail limits raised out of the way), each invocation started once the process was idle:\n", forgot.runs);
    let _ = writeln!(out, "| email | p50 ms | p90 ms | p99 ms |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for (name, timing) in [
        ("existing account", forgot.existing),
        ("no account", forgot.missing),
    ] {
        let _ = writeln!(
            out,
            "| {name} | {:.3} | {:.3} | {:.3} |",
            timing.p50, timing.p90, timing.p99
        );
    }
    let _ = writeln!(out, "\nTarget: medians within 5 % of each other: {difference:.3} ms apart, {relative:.1} % — {}.", verdict(relative <= 5.0));
}

/// What writing one request line costs, timed in the benchmark process.
#[derive(Debug, Clone, Copy)]
pub struct MetricsCost {
    /// One `Telemetry::record`: the line built, serialised and written.
    pub request_line: Percentiles,
}

fn metrics_section(out: &mut String, results: &[FunctionResult], cost: &MetricsCost) {
    let line_ms = cost.request_line.p50;
    let health = find(results, "health").map_or(f64::NAN, |r| r.warm.p50);
    let _ = writeln!(out, "\n## What the metrics cost\n");
    let _ = writeln!(out, "Every request line is also its metrics (CloudWatch EMF): the `_aws` block and eight values beside the log fields, serialised and written in one call, and a timer around each DynamoDB call (an `Instant` taken and kept in the call's configuration). Writing one line, timed 10,000 times in this process: p50 {:.1} µs, p99 {:.1} µs — the whole of health's warm p50 ({health:.2} ms) is the event read, the pipeline and this line. Warm budget ≤ 0.05 ms per request: {:.1} µs — {}. At cold start the metrics add no work: the cold-start flag is a static, and the timer is registered with the DynamoDB client as it is built; cold starts are in the table above.", line_ms * 1000.0, cost.request_line.p99 * 1000.0, line_ms * 1000.0, verdict(line_ms <= 0.05));
}

fn targets_section(out: &mut String, results: &[FunctionResult], costs: &PasswordCosts) {
    let hashing = |r: &FunctionResult| r.cold_excludes_hash;
    let _ = writeln!(out, "\n## Targets\n");
    let (name, cold) = worst(results, |r| r.cold.p50, |_| true);
    let _ = writeln!(
        out,
        "- Cold start p50 ≤ 15 ms for every function: worst {name} at {cold:.1} ms — {}.",
        verdict(cold <= 15.0)
    );
    let get = find(results, "get-product").map_or(f64::NAN, |r| r.warm.p50);
    let _ = writeln!(
        out,
        "- get-product warm p50 ≤ 1.5 ms: {get:.2} ms — {}.",
        verdict(get <= 1.5)
    );
    let (name, rss) = worst(results, |r| r.peak_rss_mib, |r| !hashing(r));
    let (hasher, hasher_rss) = worst(results, |r| r.peak_rss_mib, hashing);
    let buffer_mib = f64::from(shared::auth::password::MEMORY_KIB) / 1024.0;
    let _ = writeln!(
        out,
        "- Peak RSS ≤ 16 MB: the functions that do not hash, worst {name} at {:.1} MB — {}. \
         register and login, worst {hasher} at {:.1} MB — {}, and not reachable under the \
         contract, which requires argon2id with at least {buffer_mib:.0} MiB ({:.1} MB) of working memory: \
         that buffer alone is over the target. Besides it they hold {:.1} MB, as the others do; \
         the buffer is allocated once per process and reused, so it does not grow.",
        mb(rss),
        verdict(mb(rss) <= 16.0),
        mb(hasher_rss),
        verdict(mb(hasher_rss) <= 16.0),
        mb(buffer_mib),
        mb(hasher_rss - buffer_mib),
    );
    let (name, size) = worst(results, |r| r.size_mib, |_| true);
    let _ = writeln!(
        out,
        "- Stripped binary ≤ 8 MB: largest {name} at {:.2} MB — {}.",
        mb(size),
        verdict(mb(size) <= 8.0)
    );
    let Some(login) = find(results, "login") else {
        return;
    };
    let argon2 = login.yardstick.unwrap_or(costs.verification).p50;
    let _ = writeln!(out, "- login p50 within 10 % of one argon2id verification: login {:.1} ms against {argon2:.1} ms for the verifications timed between its invocations, {:+.0} % — {}.", login.warm.p50, (login.warm.p50 / argon2 - 1.0) * 100.0, verdict(login.warm.p50 <= argon2 * 1.10));
}

/// The image worker on the jobs of completed uploads of one photo.
#[derive(Debug)]
pub struct ImagerTiming {
    pub photo_bytes: usize,
    pub photo_size: (u32, u32),
    /// Its memory size in the manifest, which the processes ran with.
    pub memory_mb: u32,
    pub init: Percentiles,
    /// The first job of a fresh process.
    pub first: Percentiles,
    /// Later jobs of one process.
    pub warm: Percentiles,
    pub cold_runs: usize,
    pub warm_runs: usize,
    /// The highest peak resident memory (VmHWM) of every process that ran a job.
    pub peak_rss_mib: f64,
}

fn images_section(out: &mut String, results: &[FunctionResult], imager: &ImagerTiming) {
    let warm = |name: &str| find(results, name).map_or(f64::NAN, |r| r.warm.p50);
    let get = warm("get-product");
    let (create, complete) = (warm("create-image-upload"), warm("complete-image"));
    let ImagerTiming {
        photo_bytes,
        photo_size: (width, height),
        memory_mb,
        ..
    } = imager;
    let _ = writeln!(out, "\n## Product images\n");
    let _ = writeln!(out, "The image runs upload one photo: a phone's {width} × {height} JPEG with EXIF orientation and GPS, {:.2} MB ({photo_bytes} bytes), generated as the tests generate it, to the media bucket in moto's S3 emulator on loopback (a Python server, pinned beside DynamoDB Local).\n", *photo_bytes as f64 / 1e6);
    let _ = writeln!(out, "- **create-image-upload** (a pending image on a product of its own: the product read, one conditional write, a presigned POST signed in the function): warm p50 {create:.2} ms, {:.1}× get-product's {get:.2} ms.", create / get);
    let _ = writeln!(out, "- **complete-image** (HeadObject, the first 512 KiB of the upload read for its signature and header, one transaction of the image's state and its job): warm p50 {complete:.2} ms, {:.1}× get-product's. Most of it is the emulator's: reading half a megabyte from a Python server on loopback; S3 itself answers a first byte in 10–30 ms in a region, which will dominate in AWS.", complete / get);
    let _ = writeln!(out, "- **The image worker** (`imager`, {memory_mb} MB), per job of the photo: read the upload, decode it, turn it upright, re-encode it without metadata and make the 800 and 200 px thumbnails, write the three files, mark the image ready, delete the upload. First job of a fresh process (p50 of {}): init {:.1} ms + job {:.0} ms. Warm (p50/p90/p99 of {}): **{:.0} / {:.0} / {:.0} ms** on one core of this machine; at {memory_mb} MB Lambda gives a little over one vCPU.", imager.cold_runs, imager.init.p50, imager.first.p50, imager.warm_runs, imager.warm.p50, imager.warm.p90, imager.warm.p99);
    let cold = |name: &str| find(results, name).map_or(f64::NAN, |r| r.cold.p50);
    let size = |name: &str| find(results, name).map_or(f64::NAN, |r| mb(r.size_mib));
    let _ = writeln!(out, "- **What S3 adds to the functions that call it.** complete-image and delete-product reach the emulator in their first invocation (a connection, then complete-image's HeadObject and ranged read; delete-product's products each had a pending image, so each deletion lists the product's two prefixes and deletes what is there: {:.2} ms warm). Their cold starts, {:.1} and {:.1} ms, are over the 15 ms target by what moto takes; a product that never had an image costs delete-product no S3 call. The S3 client (its XML protocol and checksums) also makes their binaries the largest, {:.2} and {:.2} MB, over the 8 MB target.", warm("delete-product"), cold("complete-image"), cold("delete-product"), size("complete-image"), size("delete-product"));
    let _ = writeln!(out, "- **Peak memory** of every worker process: **{:.0} MiB** for the {:.1}-megapixel photo, against {memory_mb} MB. Decoding is bounded by the pixel cap ({} megapixels, refused at complete before anything is decoded): at the cap one RGBA copy is {} MB, and the decoded picture, its upright copy and the encoder's copy at once stay near 3× that; the memory size keeps that worst case with room to spare, and above 1,769 MB Lambda adds CPU the encoders use.", imager.peak_rss_mib, f64::from(*width) * f64::from(*height) / 1e6, shared::domain::image::MAX_PIXELS / 1_000_000, shared::domain::image::MAX_PIXELS * 4 / 1_000_000);
}

/// Everything one run measured, which the report is written from.
pub struct Report<'a> {
    pub setup: &'a Setup,
    pub results: &'a [FunctionResult],
    pub costs: &'a PasswordCosts,
    pub limiter: &'a [LimiterCost],
    pub metrics: &'a MetricsCost,
    pub forgot: &'a ForgotTiming,
    pub floor: &'a StorageFloor,
    pub pages: &'a [PageCost],
    /// Get-product, the default deployment's pages and DynamoDB Local's own reads, timed in turn
    /// over the same stretch.
    pub compared: &'a [(&'static str, Percentiles)],
    /// The image worker, when complete-image ran.
    pub imager: Option<&'a ImagerTiming>,
    pub failures: &'a [String],
}

/// The whole report.
pub fn render(report: &Report<'_>) -> String {
    let Report {
        setup,
        results,
        costs,
        limiter,
        metrics,
        forgot,
        floor,
        pages,
        compared,
        imager,
        failures,
    } = *report;
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `make bench` ({}). Machine: {}. Every function's release binary \
         (`target/release`, stripped, LTO) runs under the Lambda Runtime API host in \
         `tests/src/runtime_api.rs`, as Lambda runs it, against DynamoDB Local on loopback, with \
         `AWS_LAMBDA_FUNCTION_MEMORY_SIZE={}` and nothing else competing for the CPU. {}\n",
        setup.written_at, setup.machine, setup.memory_mb, setup.placement
    );
    functions_section(&mut out, setup, results);
    passwords_section(&mut out, setup, results, costs);
    sessions_section(&mut out, results, limiter);
    limiter_section(&mut out, limiter);
    metrics_section(&mut out, results, metrics);
    forgot_section(&mut out, forgot);
    catalogue_section(&mut out, results, floor, pages, compared);
    if let Some(imager) = imager {
        images_section(&mut out, results, imager);
    }
    targets_section(&mut out, results, costs);
    if !failures.is_empty() {
        let _ = writeln!(out, "\n**Unexpected answers:** {}", failures.join("; "));
    }
    out
}
