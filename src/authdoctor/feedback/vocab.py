"""The words feedback is given in: what an outcome and a door may be. Nothing else, so a door's
argument parser can name them without loading the database layer."""
OUTCOMES = ("fixed", "not-this", "something-else")
DOORS = ("page", "api", "slack", "cli")
