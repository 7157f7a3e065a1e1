SELECT producer_id, producer_epoch, transactional_id FROM kafka.producers
