"""Unit tests: the rules, schemas and envelope, with no broker and no database
server. Services are exercised with nameko's worker_factory, and where a fake
would lie about SQL they get a real SQLite session in a temporary file."""
