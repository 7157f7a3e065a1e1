//! The join barrier's timing on tokio's paused clock: what holds it up and for how long.

use std::time::Duration;

use kafka_protocol::ResponseError;
use tokio::time::Instant;

use super::classic_groups::{heartbeat, join, join_req, new_id, stable_pair, subscription, G};
use super::testkit::group_harness;
use crate::group::Limits;

#[tokio::test(start_paused = true)]
async fn an_unused_member_id_holds_the_barrier_only_until_its_session_timeout() {
    let h = group_harness(Limits::default());
    let (l, f, generation) = stable_pair(&h, G).await;
    // Handed out, never used.
    let _ghost = new_id(&h, G).await;
    let start = Instant::now();
    let (rl, rf) = tokio::join!(
        join(&h, 5, join_req(G, &l, None, subscription(&["t", "u"]))),
        async {
            assert_eq!(
                heartbeat(&h, G, generation, &f).await,
                ResponseError::RebalanceInProgress.code()
            );
            join(&h, 5, join_req(G, &f, None, subscription(&["t"]))).await
        }
    );
    assert_eq!((rl.error_code, rf.error_code), (0, 0));
    assert_eq!(rl.members.len(), 2);
    // The 10 s session of the unused id, not the 30 s rebalance timeout.
    let waited = Instant::now() - start;
    assert!(waited <= Duration::from_secs(11), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_member_that_never_rejoins_is_dropped_at_the_rebalance_timeout() {
    let h = group_harness(Limits::default());
    let (l, f, generation) = stable_pair(&h, G).await;
    // The follower keeps heartbeating (its session stays alive) but never rejoins.
    let (rl, _) = tokio::join!(
        join(&h, 5, join_req(G, &l, None, subscription(&["t", "u"]))),
        async {
            for _ in 0..20 {
                if heartbeat(&h, G, generation, &f).await
                    != ResponseError::RebalanceInProgress.code()
                {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
        }
    );
    assert_eq!((rl.error_code, rl.generation_id), (0, generation + 1));
    assert_eq!(rl.members.len(), 1);
    assert_eq!(
        heartbeat(&h, G, generation, &f).await,
        ResponseError::UnknownMemberId.code()
    );
}
