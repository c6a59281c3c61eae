"""The audit service's refusals are the errors every service shares
(partanum.errors): InvalidInput names the fields at fault."""
