"""What every Partanum service shares: configuration, the event envelope, the
transactional outbox and inbox, the broker topology and the database provider."""
