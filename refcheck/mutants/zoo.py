"""Mutants of the layers and losses (see refcheck.mutants)."""
