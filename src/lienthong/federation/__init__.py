"""Federation: peer Lienthong instances (another province, the national hub) whose tokens are
accepted under ordinary grants, and the client that reads at a peer."""
