"""One router per resource; each calls the core, never does its work."""
