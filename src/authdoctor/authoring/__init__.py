"""Tools for the people who write the knowledge base: lint, counted weights, evaluation, simulation."""
