//! `make scale`: one simulated second of a busy catalogue, played through the code that builds
//! every key the functions write and read — the products table and its indexes, the totals'
//! counters, the search entries, the limits and sessions tables — and, for each table and index,
//! the hottest partition key's writes and reads against DynamoDB's per-partition limits
//! (1,000 WCU and 3,000 RCU a second).
//!
//! The mix, all configurable: creates, updates and reads a second (reads split between single
//! products, most popular first, and list pages of every order, some filtered by category,
//! price range or search words), the clients they come from, the products already stored, the
//! listing shards and the size of an item. Capacity is counted as DynamoDB bills it: a write of
//! up to 1 KB is one WCU, twice that inside a transaction; a consistent read of up to 4 KB one
//! RCU, an eventually consistent one (every index read) half; an index whose sort key changes
//! takes a delete and a put.
//!
//! What it cannot see: adaptive capacity and split-for-heat (DynamoDB moves and splits busy
//! partitions, so a key below the limits is safe, but one above them is throttled whatever
//! else the table does); real item sizes (one size for every item); the extra round trips of a
//! page whose shards are unevenly filled; and the Lambda, API Gateway and account-level quotas
//! in front of the tables.

use std::collections::HashMap;

use shared::clock::Timestamp;
use shared::config::{listing_shards_for, CREATES_PER_SHARD, CREATES_PER_SPREAD_SHARD};
use shared::domain::{
    CatalogueQuery, Category, Id, Price, PriceRange, Product, ProductName, Search, SessionId, Sort,
};
use shared::http::rate_limit::counter_key;
use shared::store::listing::{self, first_read, index_keys, search_entries, Plan, Shards};
use shared::store::products::BY_OWNER_INDEX;
use shared::store::sessions;
use shared::store::totals::counters_of;

const WRITE_UNITS_PER_PARTITION: f64 = 1_000.0;
const READ_UNITS_PER_PARTITION: f64 = 3_000.0;

/// What one simulated second holds, and the shape of the catalogue it runs on.
#[derive(Debug, Clone)]
struct Mix {
    /// The deployment's declared peak create rate (`PeakCreatesPerSecond`): the listing shards
    /// follow from it as the functions work them out, unless `--shards` says otherwise.
    rate: u32,
    creates: usize,
    updates: usize,
    reads: usize,
    /// The share of reads that are list pages (the rest get one product).
    list_share: f64,
    clients: usize,
    products: usize,
    shards: u16,
    item_bytes: usize,
    limit: usize,
    /// Zipf exponent of product popularity: how strongly gets favour the best sellers.
    popularity: f64,
    /// The share of catalogue pages the front door's cache answers (0 without it).
    hit_ratio: f64,
    seed: u64,
}

impl Default for Mix {
    fn default() -> Self {
        let rate = shared::config::DEFAULT_PEAK_CREATES_PER_SECOND;
        Self {
            rate,
            creates: rate as usize,
            updates: 0,
            reads: 100_000,
            list_share: 0.2,
            clients: 50_000,
            products: 100_000,
            shards: listing_shards_for(rate),
            item_bytes: 600,
            limit: 20,
            popularity: 0.8,
            hit_ratio: 0.9,
            seed: 20_261_202,
        }
    }
}

const USAGE: &str =
    "usage: scale [--rate N] [--creates N] [--updates N] [--reads N] [--list-share F] \
[--clients N] [--products N] [--shards N] [--item-bytes N] [--limit N] [--popularity F] [--hit-ratio F] \
[--seed N]";

impl Mix {
    fn from_args() -> Result<Self, String> {
        let mut mix = Self::default();
        let mut args = std::env::args().skip(1);
        let (mut creates, mut shards) = (None, None);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let bad = || format!("{flag}: not a number: {value}");
            match flag.as_str() {
                "--rate" => mix.rate = value.parse().map_err(|_| bad())?,
                "--creates" => creates = Some(value.parse().map_err(|_| bad())?),
                "--updates" => mix.updates = value.parse().map_err(|_| bad())?,
                "--reads" => mix.reads = value.parse().map_err(|_| bad())?,
                "--list-share" => mix.list_share = value.parse().map_err(|_| bad())?,
                "--clients" => mix.clients = value.parse().map_err(|_| bad())?,
                "--products" => mix.products = value.parse().map_err(|_| bad())?,
                "--shards" => shards = Some(value.parse().map_err(|_| bad())?),
                "--item-bytes" => mix.item_bytes = value.parse().map_err(|_| bad())?,
                "--limit" => mix.limit = value.parse().map_err(|_| bad())?,
                "--popularity" => mix.popularity = value.parse().map_err(|_| bad())?,
                "--hit-ratio" => mix.hit_ratio = value.parse().map_err(|_| bad())?,
                "--seed" => mix.seed = value.parse().map_err(|_| bad())?,
                _ => return Err(USAGE.to_owned()),
            }
        }
        // The deployment's rate sets the shards and, unless told otherwise, the creates.
        mix.creates = creates.unwrap_or(mix.rate as usize);
        mix.shards = shards.unwrap_or_else(|| listing_shards_for(mix.rate));
        if mix.clients == 0 || mix.products == 0 || !(1..=100).contains(&mix.limit) {
            return Err("--clients and --products must be positive, --limit 1-100".to_owned());
        }
        if !(0.0..=1.0).contains(&mix.list_share) {
            return Err("--list-share is a share: 0 to 1".to_owned());
        }
        if !(0.0..=1.0).contains(&mix.hit_ratio) {
            return Err("--hit-ratio is a share: 0 to 1".to_owned());
        }
        Ok(mix)
    }
}

/// splitmix64: a seeded generator, so that a run can be repeated exactly.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// Picks ranks 0..n with probability proportional to 1 / (rank + 1)^exponent.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, exponent: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|rank| {
                total += 1.0 / ((rank + 1) as f64).powf(exponent);
                total
            })
            .collect();
        Self { cumulative }
    }

    fn pick(&self, random: &mut Random) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = random.unit() * total;
        self.cumulative
            .partition_point(|&c| c < target)
            .min(self.cumulative.len() - 1)
    }
}

/// Words product names are made of, most common first (a shop's vocabulary is skewed too).
fn vocabulary() -> Vec<String> {
    const ROOTS: &[&str] = &[
        "lamp", "desk", "chair", "table", "shade", "oak", "steel", "cable", "mug", "rug", "book",
        "case", "pack", "set", "mini", "pro", "max", "kids", "garden", "light",
    ];
    // Roots first, then made-up words with every stem a shop might have.
    let mut words: Vec<String> = ROOTS.iter().map(|w| (*w).to_owned()).collect();
    let letters = b"abcdefghijklmnopqrstuvwxyz";
    for i in 0..2_000usize {
        let a = letters[i % 26] as char;
        let b = letters[(i / 26) % 26] as char;
        let c = letters[(i * 7 + 3) % 26] as char;
        words.push(format!("{a}{b}{c}{}", i % 97));
    }
    words
}

/// The capacity each partition key of one table or index takes in the second.
#[derive(Default)]
struct Load {
    keys: HashMap<String, (f64, f64)>,
}

impl Load {
    fn write(&mut self, key: &str, units: f64) {
        self.keys.entry(key.to_owned()).or_default().0 += units;
    }

    fn read(&mut self, key: &str, units: f64) {
        self.keys.entry(key.to_owned()).or_default().1 += units;
    }

    /// The key with the most writes and the key with the most reads.
    fn hottest(&self) -> ((&str, f64), (&str, f64)) {
        let mut writes = ("-", 0.0);
        let mut reads = ("-", 0.0);
        for (key, &(w, r)) in &self.keys {
            if w > writes.1 {
                writes = (key, w);
            }
            if r > reads.1 {
                reads = (key, r);
            }
        }
        (writes, reads)
    }
}

/// Every table and index, by name ("products", "products.byShardPrice", ...).
#[derive(Default)]
struct Tables(HashMap<String, Load>);

impl Tables {
    fn of(&mut self, name: &str) -> &mut Load {
        self.0.entry(name.to_owned()).or_default()
    }
}

struct Simulation {
    mix: Mix,
    shards: Shards,
    random: Random,
    now: Timestamp,
    window_start: i64,
    clients: Vec<(String, Id)>,
    categories: Vec<Category>,
    category_zipf: Zipf,
    words: Vec<String>,
    word_zipf: Zipf,
    catalogue: Vec<Product>,
    popularity: Zipf,
    /// How many items each index partition holds (index, partition key).
    sizes: HashMap<(&'static str, String), usize>,
    owners: HashMap<Id, usize>,
    tables: Tables,
}

impl Simulation {
    fn new(mix: Mix) -> Result<Self, String> {
        let shards = Shards::new(mix.shards).ok_or("--shards must be 1-64")?;
        let mut random = Random(mix.seed);
        let now = Timestamp::from_millis(1_800_000_000_000);
        let clients = (0..mix.clients)
            .map(|i| {
                let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
                Id::generate(now).map(|id| (ip, id))
            })
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        // Category names of their own words, as a shop's are ("lighting", "garden-tools").
        let letters = b"abcdefghijklmnopqrstuvwxyz";
        let categories = (0..200usize)
            .map(|i| {
                let name: String = [i % 26, (i / 26) % 26, (i * 11 + 5) % 26]
                    .iter()
                    .map(|&l| letters[l] as char)
                    .chain("ware".chars())
                    .collect();
                Category::parse_str(&name).ok_or("category")
            })
            .collect::<Result<Vec<_>, _>>()?;
        let words = vocabulary();
        let mut simulation = Self {
            shards,
            category_zipf: Zipf::new(categories.len(), 1.0),
            word_zipf: Zipf::new(words.len(), 1.0),
            popularity: Zipf::new(mix.products, mix.popularity),
            random: Random(random.next()),
            now,
            window_start: now.millis() - now.millis().rem_euclid(60_000),
            clients,
            categories,
            words,
            catalogue: Vec::new(),
            sizes: HashMap::new(),
            owners: HashMap::new(),
            tables: Tables::default(),
            mix,
        };
        simulation.owners = (simulation.clients.iter().enumerate())
            .map(|(i, (_, id))| (id.clone(), i))
            .collect();
        for _ in 0..simulation.mix.products {
            let product = simulation.new_product()?;
            for (index, partition, _) in simulation.index_items(&product) {
                *simulation.sizes.entry((index, partition)).or_default() += 1;
            }
            simulation.catalogue.push(product);
        }
        Ok(simulation)
    }

    fn new_product(&mut self) -> Result<Product, String> {
        let owner = self.clients[self.random.below(self.clients.len())]
            .1
            .clone();
        let words = 2 + self.random.below(3);
        let name = (0..words)
            .map(|_| self.words[self.word_zipf.pick(&mut self.random)].clone())
            .collect::<Vec<_>>()
            .join(" ");
        let category = if self.random.chance(0.8) {
            Some(self.categories[self.category_zipf.pick(&mut self.random)].clone())
        } else {
            None
        };
        let price = Price::from_cents(self.random.below(200_000) as u64).ok_or("price")?;
        Ok(Product {
            id: Id::generate(self.now).map_err(|e| e.to_string())?,
            name: ProductName::from_stored(name),
            price,
            description: None,
            category,
            owner_id: owner,
            created_at: self.now,
            updated_at: self.now,
            version: 1,
            images: shared::domain::image::Images::default(),
        })
    }

    /// Capacity units of one item written: 1 KB a unit, twice inside a transaction.
    fn write_units(&self, transactional: bool) -> f64 {
        let units = self.mix.item_bytes.div_ceil(1024).max(1) as f64;
        if transactional {
            2.0 * units
        } else {
            units
        }
    }

    /// The request's counter in the limits table, and for a signed-in request its session.
    fn request(&mut self, client: usize, signed_in: bool) -> Result<(), String> {
        let (ip, user) = &self.clients[client];
        let key = counter_key(ip, self.window_start);
        self.tables.of("limits").write(&key, 1.0);
        if signed_in {
            let session = SessionId::generate(self.now).map_err(|e| e.to_string())?;
            let key = sessions::key(user, &session);
            let partition = key
                .get("userId")
                .and_then(|v| v.as_s().ok())
                .ok_or("session key")?
                .clone();
            self.tables.of("sessions").read(&partition, 1.0);
        }
        Ok(())
    }

    /// The items `product` puts in the indexes: index, partition key, sort key.
    fn index_items(&self, product: &Product) -> Vec<(&'static str, String, String)> {
        let keys = index_keys(product, self.shards);
        let id = product.id.to_string();
        let mut items = vec![
            (listing::BY_SHARD_CREATED, keys.list.clone(), id.clone()),
            (
                listing::BY_SHARD_PRICE,
                keys.list.clone(),
                keys.price.clone(),
            ),
            (listing::BY_SHARD_NAME, keys.list.clone(), keys.name.clone()),
            (BY_OWNER_INDEX, keys.owner.clone(), id.clone()),
        ];
        if let Some(category) = &keys.category {
            items.push((listing::BY_CATEGORY_CREATED, category.clone(), id.clone()));
            items.push((
                listing::BY_CATEGORY_PRICE,
                category.clone(),
                keys.price.clone(),
            ));
            items.push((
                listing::BY_CATEGORY_NAME,
                category.clone(),
                keys.name.clone(),
            ));
        }
        for (_, partition) in search_entries(product, self.shards) {
            items.push((listing::BY_SEARCH_CREATED, partition.clone(), id.clone()));
            items.push((
                listing::BY_SEARCH_PRICE,
                partition.clone(),
                keys.price.clone(),
            ));
            items.push((listing::BY_SEARCH_NAME, partition, keys.name.clone()));
        }
        items
    }

    /// The index writes of replacing `old` (none for a create) with `new`: an index item whose
    /// keys stay is rewritten in place, one whose keys move is deleted and put again.
    fn index_writes(&mut self, old: Option<&Product>, new: &Product) {
        let units = self.write_units(false);
        let before = old.map(|old| self.index_items(old)).unwrap_or_default();
        let after = self.index_items(new);
        for item in after
            .iter()
            .chain(before.iter().filter(|item| !after.contains(item)))
        {
            let (index, partition, _) = item;
            self.tables
                .of(&format!("products.{index}"))
                .write(partition, units);
        }
    }

    /// The base table writes of storing `product` and its search entries in one transaction.
    fn base_writes(&mut self, product: &Product) {
        let units = self.write_units(true);
        self.tables.of("products").write(product.id.as_str(), units);
        for (entry, _) in search_entries(product, self.shards) {
            self.tables.of("products").write(&entry, units);
        }
    }

    fn create(&mut self) -> Result<(), String> {
        let client = self.random.below(self.clients.len());
        self.request(client, true)?;
        let mut product = self.new_product()?;
        product.owner_id = self.clients[client].1.clone();
        self.base_writes(&product);
        for counter in counters_of(&product.id, product.category.as_ref()) {
            let units = self.write_units(true);
            self.tables.of("products").write(&counter, units);
        }
        self.index_writes(None, &product);
        Ok(())
    }

    /// A change of price, name or category of a stored product: its item, its entries and
    /// every index whose keys it changes (a moved key is a delete and a put).
    fn update(&mut self) -> Result<(), String> {
        let old = self.catalogue[self.random.below(self.catalogue.len())].clone();
        let owner = self.owners.get(&old.owner_id).copied().unwrap_or(0);
        self.request(owner, true)?;
        self.tables.of("products").read(old.id.as_str(), 1.0);
        let mut new = old.clone();
        match self.random.below(10) {
            0..=4 => {
                new.price = Price::from_cents(self.random.below(200_000) as u64).ok_or("price")?
            }
            5..=7 => new.name = self.new_product()?.name,
            _ => new.category = self.new_product()?.category,
        }
        new.version += 1;
        self.base_writes(&new);
        let kept: Vec<String> = search_entries(&new, self.shards)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        for (entry, _) in search_entries(&old, self.shards) {
            if !kept.contains(&entry) {
                let units = self.write_units(true);
                self.tables.of("products").write(&entry, units);
            }
        }
        if old.category != new.category {
            let units = self.write_units(true);
            for counter in counters_of(&old.id, old.category.as_ref())
                .into_iter()
                .chain(counters_of(&new.id, new.category.as_ref()))
                .filter(|counter| !counter.starts_with("total#all#"))
            {
                self.tables.of("products").write(&counter, units);
            }
        }
        self.index_writes(Some(&old), &new);
        Ok(())
    }

    fn get(&mut self) -> Result<(), String> {
        let client = self.random.below(self.clients.len());
        self.request(client, false)?;
        let product = &self.catalogue[self.popularity.pick(&mut self.random)];
        let units = self.mix.item_bytes.div_ceil(4096).max(1) as f64;
        let id = product.id.as_str().to_owned();
        self.tables.of("products").read(&id, units);
        Ok(())
    }

    /// One list page: the plan the function makes for its query, and one eventually consistent
    /// Query of each of the plan's partitions for as many items as the walk first asks.
    fn list(&mut self) -> Result<(), String> {
        let client = self.random.below(self.clients.len());
        self.request(client, false)?;
        let sort = match self.random.below(20) {
            0..=5 => Sort::NewestFirst,
            6..=7 => Sort::OldestFirst,
            8..=12 => Sort::CheapestFirst,
            13..=15 => Sort::DearestFirst,
            _ => Sort::Name,
        };
        let category = self
            .random
            .chance(0.5)
            .then(|| self.categories[self.category_zipf.pick(&mut self.random)].clone());
        let price = if self.random.chance(0.1) {
            PriceRange::new(Price::from_cents(1_000), Price::from_cents(5_000)).ok_or("range")?
        } else {
            PriceRange::default()
        };
        let search = if self.random.chance(0.1) {
            let word = self.words[self.word_zipf.pick(&mut self.random)].clone();
            Some(Search::parse(&word).map_err(str::to_owned)?)
        } else {
            None
        };
        let query = CatalogueQuery {
            sort,
            category,
            price,
            search,
        };
        let plan = Plan::for_query(&query, self.shards);
        let asked = first_read(&plan, &query, self.mix.limit, 1);
        let item_bytes = self.mix.item_bytes;
        let table = self.tables.of(&format!("products.{}", plan.index));
        for partition in &plan.partitions {
            // A Query is billed for what it reads (at least half a unit): no more than the
            // partition holds.
            let held = self
                .sizes
                .get(&(plan.index, partition.clone()))
                .copied()
                .unwrap_or(0);
            let bytes = asked.min(held) * item_bytes;
            table.read(partition, bytes.div_ceil(4096).max(1) as f64 / 2.0);
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), String> {
        let lists = (self.mix.reads as f64 * self.mix.list_share).round() as usize;
        let gets = self.mix.reads - lists;
        // Interleaved, as they would arrive.
        let mut left = [self.mix.creates, self.mix.updates, gets, lists];
        while left.iter().any(|&n| n > 0) {
            let total: usize = left.iter().sum();
            let mut pick = self.random.below(total);
            let kind = left
                .iter()
                .position(|&n| {
                    if pick < n {
                        true
                    } else {
                        pick -= n;
                        false
                    }
                })
                .ok_or("mix")?;
            left[kind] -= 1;
            match kind {
                0 => self.create()?,
                1 => self.update()?,
                2 => self.get()?,
                _ => self.list()?,
            }
        }
        Ok(())
    }

    fn report(&self) -> bool {
        let mix = &self.mix;
        let lists = (mix.reads as f64 * mix.list_share).round() as usize;
        println!(
            "One second: {} creates, {} updates, {} reads ({} gets, {} list pages of limit {}) from {} clients,",
            mix.creates, mix.updates, mix.reads, mix.reads - lists, lists, mix.limit, mix.clients
        );
        println!(
            "on {} stored products, {} listing shards, items of {} bytes, product popularity Zipf {}.",
            mix.products, mix.shards, mix.item_bytes, mix.popularity
        );
        println!(
            "Declared peak: {} creates a second, which takes {} listing shard(s) (one up to {CREATES_PER_SHARD}, past it one per {CREATES_PER_SPREAD_SHARD}){}.",
            mix.rate,
            listing_shards_for(mix.rate),
            if listing_shards_for(mix.rate) == mix.shards { "" } else { "; --shards overrides it" }
        );
        println!("Per partition key: at most {WRITE_UNITS_PER_PARTITION} WCU and {READ_UNITS_PER_PARTITION} RCU a second.\n");
        println!(
            "{:<27} {:<22} {:>8} {:<22} {:>8}  holds",
            "table / index", "hottest key (writes)", "WCU/s", "hottest key (reads)", "RCU/s"
        );
        let mut names: Vec<&String> = self.tables.0.keys().collect();
        names.sort();
        let mut all_hold = true;
        for name in names {
            let ((write_key, writes), (read_key, reads)) = self.tables.0[name].hottest();
            let holds = writes <= WRITE_UNITS_PER_PARTITION && reads <= READ_UNITS_PER_PARTITION;
            all_hold &= holds;
            println!(
                "{:<27} {:<22} {:>8.0} {:<22} {:>8.0}  {}",
                name,
                shorten(write_key),
                writes,
                shorten(read_key),
                reads,
                if holds { "yes" } else { "NO" }
            );
        }
        println!();
        if all_hold {
            println!("Every hottest key is within its partition's limits.");
        } else {
            println!("Some hottest keys are over their partition's limits (NO above).");
        }
        self.one_shard();
        all_hold
    }

    /// What one shard holds, for writes and for reads, and what that means for the reads asked.
    fn one_shard(&self) {
        let mix = &self.mix;
        let write_units = mix.item_bytes.div_ceil(1024).max(1) as f64;
        let page = Plan::for_query(&CatalogueQuery::default(), Shards::ONE);
        let asked = first_read(&page, &CatalogueQuery::default(), mix.limit, 1);
        let page_units = ((asked * mix.item_bytes).div_ceil(4096).max(1) as f64) / 2.0;
        let pages = READ_UNITS_PER_PARTITION / page_units;
        println!(
            "\nOne shard: each index partition takes {:.0} creates a second of items of {} bytes ({} write unit(s) each; an update that moves a product in an index, twice that), and {:.0} unfiltered pages of {} a second of one order ({} items asked, {} read units each, of {} a second).",
            WRITE_UNITS_PER_PARTITION / write_units,
            mix.item_bytes,
            write_units,
            pages,
            mix.limit,
            asked,
            page_units,
            READ_UNITS_PER_PARTITION
        );
        let listing_over = self.tables.0.iter().any(|(name, load)| {
            name.starts_with("products.byShard") && load.hottest().1 .1 > READ_UNITS_PER_PARTITION
        });
        if listing_over {
            println!(
                "At {} reads a second ({:.0} list pages) reaching the functions, the listing partitions do NOT hold: one order's pages all read the same partition of each shard, whatever the write rate. List pages answer `Cache-Control: public, max-age=5`, and the front door's cache (FrontDoor, on by default) answers most of them at the edge: see what is left of them behind it. More shards would spread the reads, but every page then reads every shard.",
                mix.reads,
                mix.reads as f64 * mix.list_share
            );
        }
    }
}

/// A key short enough for its column: ids are cut after their time part.
fn shorten(key: &str) -> String {
    if key.chars().count() > 22 {
        format!("{}…", key.chars().take(21).collect::<String>())
    } else {
        key.to_owned()
    }
}

/// The same second behind the front door's cache: what of it reaches the functions and the
/// tables when the edge answers `hit_ratio` of the catalogue pages (a product, `no-cache`, and
/// anything personal are never answered there).
fn behind_the_edge(mix: &Mix) -> Result<(), String> {
    let lists = (mix.reads as f64 * mix.list_share).round();
    let missed = (lists * (1.0 - mix.hit_ratio)).round();
    let gets = mix.reads as f64 - lists;
    let reaching = gets + missed;
    println!(
        "\n--- Behind the front door's cache, {:.0} % of catalogue pages answered at the edge ---",
        mix.hit_ratio * 100.0
    );
    println!(
        "Of {} reads a second, {:.0} reach the functions and the tables: {:.0} gets (never cached) and {:.0} of {:.0} list pages; {:.0} pages are answered at the edge.\n",
        mix.reads,
        reaching,
        gets,
        missed,
        lists,
        lists - missed
    );
    let behind = Mix {
        reads: reaching as usize,
        list_share: if reaching > 0.0 {
            missed / reaching
        } else {
            0.0
        },
        hit_ratio: 0.0,
        ..mix.clone()
    };
    let mut simulation = Simulation::new(behind)?;
    simulation.run()?;
    simulation.report();
    Ok(())
}

fn main() {
    let mix = match Mix::from_args() {
        Ok(mix) => mix,
        Err(message) => {
            eprintln!("scale: {message}");
            std::process::exit(2);
        }
    };
    let outcome = Simulation::new(mix.clone()).and_then(|mut simulation| {
        simulation.run()?;
        simulation.report();
        if mix.hit_ratio > 0.0 && mix.list_share > 0.0 {
            behind_the_edge(&mix)?;
        }
        Ok(())
    });
    // The report says which keys hold; it is not a check that fails.
    match outcome {
        Ok(_) => {}
        Err(message) => {
            eprintln!("scale: {message}");
            std::process::exit(2);
        }
    }
}
