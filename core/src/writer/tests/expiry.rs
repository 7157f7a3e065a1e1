//! Producer ids and transactional ids expire; the greatest id stays, so ids are never reused.

use std::time::Duration;

use tokio::sync::oneshot;

use crate::store::{MemStore, Store};
use crate::writer::*;

fn init(writer: &mut Writer, store: &mut MemStore, tid: Option<&str>) -> ProducerIdEpoch {
    let (reply, mut rx) = oneshot::channel();
    writer.process(
        store,
        vec![Command::Txn(TxnCommand::InitProducer {
            transactional_id: tid.map(str::to_owned),
            timeout_ms: 60_000,
            current: ProducerIdEpoch {
                producer_id: -1,
                producer_epoch: -1,
            },
            reply,
        })],
    );
    rx.try_recv().unwrap().unwrap()
}

#[test]
fn unused_producer_ids_and_idle_transactional_ids_expire_but_the_newest_id_stays() {
    let registry = Arc::new(crate::log::Registry::new(1 << 20));
    let policy = ExpiryPolicy {
        producer_id_expiration_ms: 1_000,
        transactional_id_expiration_ms: 1_000,
        check_interval: Duration::ZERO,
    };
    let mut writer = Writer::with_expiry(registry.clone(), policy);
    let mut store = MemStore::new();
    let old = init(&mut writer, &mut store, None).producer_id;
    let txn = init(&mut writer, &mut store, Some("idle")).producer_id;
    let fresh = init(&mut writer, &mut store, None).producer_id;
    let newest = init(&mut writer, &mut store, None).producer_id;
    {
        let mut t = registry.producers().lock();
        for id in [old, txn, newest] {
            t.producers.get_mut(&id).unwrap().last_used_ms = 0;
        }
        t.txns.get_mut("idle").unwrap().updated_ms = 0;
    }
    writer.tick(&mut store);

    let stored: Vec<i64> = store
        .load_topics()
        .unwrap()
        .producers
        .iter()
        .map(|p| p.producer_id)
        .collect();
    assert_eq!(
        stored,
        vec![fresh, newest],
        "old and idle gone; newest kept"
    );
    let t = registry.producers().lock();
    assert!(!t.producers.contains_key(&old) && !t.producers.contains_key(&txn));
    assert!(!t.txns.contains_key("idle"));
    assert!(store.load_topics().unwrap().transactions.is_empty());
    drop(t);
    // After a restart the next id still follows the newest one.
    let registry = Arc::new(crate::log::Registry::new(1 << 20));
    crate::recovery::rebuild(&mut store, &registry).unwrap();
    let mut writer = Writer::new(registry);
    assert!(init(&mut writer, &mut store, None).producer_id > newest);
}
