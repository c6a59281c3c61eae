"""What the gateway's JSON API accepts and answers.

Requests are loaded with the services' own input schemas where they exist (the
same rules, the same messages); the few differences at the edge (the partner is
the caller's own, query strings carry text) are subclasses here. Answers are
described by the schemas of this package: the RPC results are JSON already, so
times are strings in ISO 8601, documented as such.
"""
