"""Hostile inputs (issue 12): the generator other tests import, and the fuzzing suite."""
