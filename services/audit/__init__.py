"""The audit service: every event of every service, in a log that cannot be
rewritten silently, queryable by item, partner, site, actor and period."""
