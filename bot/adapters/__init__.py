"""Platform adapters: each turns its platform's events into core calls and core replies into messages."""
