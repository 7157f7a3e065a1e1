SELECT transactional_id, producer_id, producer_epoch, last_producer_epoch, state, timeout_ms,
       start_timestamp
  FROM kafka.transactions
