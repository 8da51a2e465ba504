"""Z reports (per shift and per day); filled in by the reports work."""
