//! Several instances starting at the same moment on a fresh Mongo database all start (issue 16):
//! the one moment they all create the collections, indexes and schema marker is the normal case
//! of a rolling start, not an edge. Needs `MONGODB_URI` (`cargo xtask test` starts FerretDB and
//! sets it); without it the test skips, except under `CI=true`, where it fails.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Barrier};
use std::time::Instant;

use common::{Options, Server, mongo_uri};

/// Instances started together per round.
const INSTANCES: usize = 4;
/// Rounds, each on a database of its own.
const ROUNDS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_starting_together_on_a_fresh_database_all_become_ready() {
    let Some(uri) = mongo_uri() else { return };
    let started = Instant::now();
    for round in 0..ROUNDS {
        let database = format!("telegcrm_start_{}_{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let barrier = Arc::new(Barrier::new(INSTANCES));
        let launches: Vec<_> = (0..INSTANCES)
            .map(|_| {
                let env = vec![("MONGODB_URI".to_owned(), uri.clone()), ("MONGODB_DATABASE".to_owned(), database.clone())];
                let barrier = Arc::clone(&barrier);
                tokio::task::spawn_blocking(move || {
                    barrier.wait();
                    Server::start_with(Options { store: "mongo", env, ..Options::default() })
                })
            })
            .collect();
        let mut servers = Vec::with_capacity(INSTANCES);
        for (i, launch) in launches.into_iter().enumerate() {
            match launch.await {
                Ok(server) => servers.push(server),
                Err(e) => panic!("round {round}: instance {i} of {INSTANCES} on {database} did not start (its error is above): {e}"),
            }
        }
        for (i, server) in servers.iter().enumerate() {
            let res = server.http().get(server.url("/readyz")).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200, "round {round}: instance {i} on {database}: /readyz {}", res.text().await.unwrap());
        }
    }
    eprintln!("{ROUNDS} rounds of {INSTANCES} instances started in {:.1} s", started.elapsed().as_secs_f64());
}
